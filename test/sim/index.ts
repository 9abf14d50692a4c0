/**
 * The simulated OpenShift cluster: `start(scenario, options)` serves a named starting state on
 * 127.0.0.1 over the real Kubernetes HTTP protocol with every simulated controller running.
 * Tests, benchmarks and `npm run sim` all start it this way.
 *
 * Time is real but scaled: `speed` simulated seconds pass per real second (default 1). The
 * controllers' delays (REAL_TIMING) are those of a real cluster; `sim.clock` is a Clock on the
 * same scale, so llw given that clock waits its real default intervals (10 s polls, 30 s settle)
 * in simulated time.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../../src/cluster/clock.ts";
import { ApiServer } from "./apiserver.ts";
import { seedCluster, seedOperator } from "./cluster.ts";
import { type Ctx, newStats, REAL_TIMING, type Stats, type Timing } from "./context.ts";
import { type ArgoOptions, startArgo } from "./controllers/argo.ts";
import { startDisruption } from "./controllers/disruption.ts";
import { startGc } from "./controllers/gc.ts";
import { startImages } from "./controllers/images.ts";
import { type Kubelet, startKubelet } from "./controllers/kubelet.ts";
import { startKubevirt } from "./controllers/kubevirt.ts";
import { type MachineProvider, startMachineApi } from "./controllers/machine.ts";
import { startMco } from "./controllers/mco.ts";
import { startNto } from "./controllers/nto.ts";
import { type Olm, startOlm } from "./controllers/olm.ts";
import { startScheduler } from "./controllers/scheduler.ts";
import { startServiceAccounts } from "./controllers/serviceaccount.ts";
import { type Nic, startSriov } from "./controllers/sriov.ts";
import { scenario as named, type Scenario } from "./scenarios.ts";

export interface SimOptions {
  port?: number;
  /** Simulated seconds per real second (default 1: a real cluster's pace). */
  speed?: number;
  /** Overrides of the real delays (simulated ms). */
  timing?: Partial<Timing>;
  /** Argo CD's app of apps children (default: the workshop's bootstrap Applications). */
  argo?: Partial<ArgoOptions>;
  /** Where to write the kubeconfig (default: a new temporary directory). */
  kubeconfig?: string;
  /** Changes to the scenario's cluster spec (version, workers) before it is built. */
  cluster?: Partial<Scenario["cluster"]>;
  /** Scenario operators to leave out (e.g. to install them in the test). */
  without?: Scenario["operators"];
  /** The cloud behind the Machine API (default: made-up instance IDs). */
  machines?: MachineProvider;
}

export interface Sim {
  scenario: Scenario;
  api: ApiServer;
  ctx: Ctx;
  url: string;
  /** Path of a kubeconfig for this cluster (context "sim", plus "unreachable" and "wrong-ca"). */
  kubeconfig: string;
  stats: Stats;
  timing: Timing;
  kubelet: Kubelet;
  olm: Olm;
  /** NICs per node, as the SR-IOV config daemon reads them. */
  nics: Map<string, Nic[]>;
  /** A Clock on the simulator's time scale (for llw's polling loops). */
  clock: Clock;
  /** Waits until `pred` holds (polling every simulated second), or throws after `simulatedMs`. */
  until(pred: () => boolean, simulatedMs?: number, what?: string): Promise<void>;
  /** Lets the cluster converge at high speed (rollouts, operators) until no controller has work left. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export const WORKSHOP_APPS = ["operator-sriov-network-operator", "instance-sriov-network-operator", "tuning"];

export function scaledClock(speed: number): Clock {
  return {
    now: () => Date.now() * speed,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.max(1, ms / speed))),
  };
}

export async function start(scenario: string | Scenario, o: SimOptions = {}): Promise<Sim> {
  const sc = typeof scenario === "string" ? named(scenario) : scenario;
  const spec = { ...sc.cluster, ...o.cluster };
  const speed = o.speed ?? 1;
  const api = await ApiServer.start({ ...(o.port !== undefined ? { port: o.port } : {}), speed: 10_000 });
  const timing = { ...REAL_TIMING, ...o.timing };
  const ocpMinor = spec.version.split(".").slice(0, 2).join(".");
  const ctx: Ctx = { api, timing, stats: newStats(), ocpMinor, evictionWebhooks: [] };
  const nics = new Map<string, Nic[]>();
  seedCluster(ctx, spec, nics);
  startServiceAccounts(ctx);
  startScheduler(ctx);
  const kubelet = startKubelet(ctx);
  startDisruption(ctx);
  startMco(ctx);
  startNto(ctx);
  const olm = startOlm(ctx);
  startSriov(ctx, { nics });
  startKubevirt(ctx);
  startImages(ctx);
  startArgo(ctx, { children: WORKSHOP_APPS, ...o.argo });
  startGc(ctx);
  startMachineApi(ctx, o.machines);
  for (const op of sc.operators) if (!o.without?.includes(op)) seedOperator(ctx, olm, op);
  const dir = o.kubeconfig ? undefined : mkdtempSync(join(tmpdir(), "llw-sim-"));
  const kubeconfig = o.kubeconfig ?? join(dir!, "kubeconfig");
  const sim: Sim = {
    scenario: sc,
    api,
    ctx,
    url: api.url,
    kubeconfig,
    stats: ctx.stats,
    timing,
    kubelet,
    olm,
    nics,
    clock: scaledClock(speed),
    async until(pred, simulatedMs = 30 * 60_000, what = "condition") {
      const deadline = api.now() + simulatedMs;
      while (!pred()) {
        if (api.now() > deadline)
          throw new Error(`simulator: ${what} not reached within ${simulatedMs / 1000}s simulated`);
        await new Promise((r) => setTimeout(r, Math.max(1, 1000 / api.speed)));
      }
    },
    async settle() {
      const was = api.speed;
      api.speed = 10_000;
      await quiesce(api);
      api.speed = was;
    },
    stop: () => api.stop(),
  };
  try {
    sc.setup?.(sim);
    // Converge at high speed: the starting state is what the controllers make of the scenario.
    await quiesce(api);
    if (sc.workloads) {
      sc.workloads(sim);
      await quiesce(api);
    }
    if (api.errors.length > 0) throw api.errors[0];
  } catch (e) {
    // A scenario that fails to start must not leave its server listening (the test file would
    // never exit).
    await api.stop();
    throw e;
  }
  api.speed = speed;
  Object.assign(ctx.stats, newStats());
  api.requests.length = 0;
  writeKubeconfigFile(api, kubeconfig);
  return sim;
}

async function quiesce(api: ApiServer): Promise<void> {
  const deadline = Date.now() + 20_000;
  let quiet = 0;
  while (quiet < 3 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    quiet = api.pendingTimers() === 0 ? quiet + 1 : 0;
  }
}

function writeKubeconfigFile(api: ApiServer, path: string): void {
  const dir = join(path, "..");
  const file = path.slice(dir.length + 1);
  api.writeKubeconfig(dir, undefined, file);
}
