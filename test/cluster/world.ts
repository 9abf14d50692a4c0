/**
 * A simulated-cluster world for the cluster command tests: a scenario of the simulator
 * (test/sim, default untuned-c5-metal: 2 c5.metal workers in the worker pool, the workshop's
 * operators installed), a kubeconfig pointing at it, and llw run in-process on the simulator's
 * clock, so it polls with its real default intervals (10 s, 30 s settle) in simulated time.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import type { ApiServer, Obj } from "../sim/apiserver.ts";
import { defaultWorkers } from "../sim/cluster.ts";
import { type Sim, type SimOptions, start } from "../sim/index.ts";
import { GI_KI, nodeResources } from "../sim/objects.ts";

export interface WorldOptions {
  /** Scenario to start from (default untuned-c5-metal). */
  scenario?: string;
  /** OpenShift version (ClusterVersion). */
  version?: string;
  platform?: string;
  workers?: { name: string; instanceType: string; hugepages1Gi?: string; kvm?: string }[];
  /** Serve the SR-IOV operator's API (installed through OLM). Default true. */
  sriov?: boolean;
  /** Simulated seconds per real second (default 100). */
  speed?: number;
  sim?: SimOptions;
}

export interface World {
  sim: Sim;
  api: ApiServer;
  dir: string;
  kubeconfig: string;
  /** Runs llw in-process like a user would, on the simulator's clock; returns exit code and output. */
  llw(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  stop(): Promise<void>;
}

export async function startWorld(o: WorldOptions = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), "llw-cluster-"));
  const workers = o.workers?.map((w) => ({ name: w.name, instanceType: w.instanceType }));
  const sim = await start(o.scenario ?? "untuned-c5-metal", {
    speed: o.speed ?? 100,
    kubeconfig: join(dir, "kubeconfig"),
    ...o.sim,
    cluster: {
      ...(o.version ? { version: o.version } : {}),
      ...(o.platform ? { platform: o.platform } : {}),
      ...(workers
        ? { workers: workers.map((w, i) => ({ ...defaultWorkers(w.instanceType, i + 1)[i]!, ...w })) }
        : {}),
    },
    ...(o.sriov === false ? { without: ["sriov" as const] } : {}),
  });
  // Hardware a test asks for on its workers (1G hugepages already allocated, KVM devices).
  for (const w of o.workers ?? []) {
    if (!w.hugepages1Gi && !w.kvm) continue;
    const gi = Number.parseInt(w.hugepages1Gi ?? "0", 10);
    const res = nodeResources(w.instanceType, undefined, w.kvm ? { "devices.kubevirt.io/kvm": w.kvm } : {});
    if (gi) {
      res.capacity["hugepages-1Gi"] = `${gi}Gi`;
      res.allocatable["hugepages-1Gi"] = `${gi}Gi`;
      res.allocatable.memory = `${Number.parseInt(res.allocatable.memory!, 10) - gi * GI_KI}Ki`;
    }
    sim.api.update("v1", "Node", w.name, undefined, { status: res });
  }
  return {
    sim,
    api: sim.api,
    dir,
    kubeconfig: sim.kubeconfig,
    async llw(...args: string[]) {
      const ctx = bufferContext({
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: sim.kubeconfig },
        clock: sim.clock,
      });
      const code = await main(args, ctx);
      return { code, out: ctx.out(), err: ctx.err() };
    },
    stop: () => sim.stop(),
  };
}

/**
 * The workshop tuning for c5.metal workers: profile (with 1G hugepages; 0 pages leaves them out)
 * + an SR-IOV policy.
 */
export function profile(hugepages = 16): Obj {
  return {
    apiVersion: "performance.openshift.io/v2",
    kind: "PerformanceProfile",
    metadata: { name: "workshop-c5-metal" },
    spec: {
      cpu: { reserved: "0-1,48-49", isolated: "2-47,50-95" },
      ...(hugepages > 0
        ? { hugepages: { defaultHugepagesSize: "1G", pages: [{ size: "1G", count: hugepages }] } }
        : {}),
      machineConfigPoolSelector: { "pools.operator.machineconfiguration.openshift.io/worker": "" },
      nodeSelector: { "node-role.kubernetes.io/worker": "" },
      numa: { topologyPolicy: "restricted" },
      realTimeKernel: { enabled: false },
      workloadHints: { realTime: true, highPowerConsumption: false, perPodPowerManagement: false },
    },
  };
}

export function sriovPolicy(): Obj {
  return {
    apiVersion: "sriovnetwork.openshift.io/v1",
    kind: "SriovNetworkNodePolicy",
    metadata: { name: "ena-dataplane", namespace: "openshift-sriov-network-operator" },
    spec: {
      resourceName: "ena_dataplane",
      nodeSelector: { "node-role.kubernetes.io/worker": "" },
      numVfs: 1,
      deviceType: "netdevice",
      nicSelector: { netFilter: "aws/NetworkID:0a1b2c3d4e5f60718" },
    },
  };
}

/** Writes objects as YAML files in a new directory under the world's dir; returns its path. */
export function writeChangeSet(w: World, name: string, objs: Obj[]): string {
  const d = join(w.dir, name);
  mkdirSync(d, { recursive: true });
  objs.forEach((o, i) => {
    writeFileSync(join(d, `${String(i).padStart(2, "0")}-${o.kind.toLowerCase()}.yaml`), stringify(o));
  });
  return d;
}
