import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import type { ApiServer, Obj } from "../sim/apiserver.ts";
import { type Sim, start } from "../sim/index.ts";

/** oslat output as the cnf-tests runner logs it (glog header on the first line; 32 buckets, the last "including overflows"). */
const OSLAT_LOG = `I1127 21:00:00.000000       1 main.go:120] Running the oslat command with arguments [--duration 60 --rtprio 1 --cpu-list 3-5 --cpu-main-thread 2]
oslat V 2.40
        Core:\t 3 4 5
Counter Freq:\t 2095 2095 2095 (Mhz)
    001 (us):\t 119168195 122253999 118000000
    002 (us):\t 120 80 95
    003 (us):\t 3 1 0
    004 (us):\t 0 0 1
${Array.from({ length: 28 }, (_, i) => `    ${String(i + 5).padStart(3, "0")} (us):\t 0 0 0${i === 27 ? " (including overflows)" : ""}`).join("\n")}
     Minimum:\t 1 1 1 (us)
     Average:\t 1.000 1.000 1.000 (us)
     Maximum:\t 3 3 4 (us)
     Max-Min:\t 2 2 3 (us)
    Duration:\t 60.001 60.001 60.001 (sec)
`;

function profile(name: string): Obj {
  return {
    apiVersion: "performance.openshift.io/v2",
    kind: "PerformanceProfile",
    metadata: { name },
    spec: {
      cpu: { isolated: "2-47", reserved: "0-1" },
      nodeSelector: { "node-role.kubernetes.io/worker-rt": "" },
    },
  };
}

/** llw in-process on the simulator's clock. */
function ctxFor(sim: Sim, cwd: string) {
  return bufferContext({ cwd, clock: sim.clock });
}

describe("simulated cluster: llw latency run (tuned-c5-metal)", () => {
  let sim: Sim;
  let api: ApiServer;
  let kubeconfig: string;
  let phase: "Succeeded" | "Failed" = "Succeeded";
  before(async () => {
    // The default ServiceAccount takes 5 s to appear in a new namespace (a busy controller manager).
    // At 20x the 5 s take a quarter of a real second: longer than an API round trip, even under load.
    sim = await start("tuned-c5-metal", { speed: 20, timing: { serviceAccount: 5000 } });
    api = sim.api;
    kubeconfig = sim.kubeconfig;
    // The runner's program: it ends as `phase` with the runner's output as its log.
    sim.kubelet.run(
      (p) => p.metadata.namespace === "llw-latency",
      () => ({
        phase,
        log: phase === "Failed" ? "F1127 runner: cannot set rt priority\n" : OSLAT_LOG,
        runMs: 60_000,
      }),
    );
  });
  after(() => sim.stop());

  it("creates the jitter pod from benchmarks/oslat on the profile's nodes once the new namespace's default ServiceAccount exists (saying so), waits, stores the log like a run and removes the pod", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "llw-lat-run-"));
    const ctx = ctxFor(sim, cwd);
    const code = await main(
      [
        "latency",
        "run",
        "--tool",
        "oslat",
        "--duration",
        "1m",
        "--cpus",
        "4",
        "--kubeconfig",
        kubeconfig,
        "--max-latency",
        "20",
      ],
      { ...ctx, cwd },
    );
    assert.equal(code, 0, ctx.err());
    assert.match(ctx.err(), /namespace llw-latency: waiting for its default ServiceAccount/);
    const created = api.requests.filter(
      (r) => r.method === "POST" && r.path.startsWith("/api/v1/namespaces/llw-latency/pods?"),
    );
    assert.equal(created.length, 1, "the pod was created once, after the ServiceAccount: no 403 first");
    const runs = readdirSync(join(cwd, "results", "latency"));
    assert.equal(runs.length, 1);
    const dir = join(cwd, "results", "latency", runs[0]!);
    assert.equal(readFileSync(join(dir, "oslat.log"), "utf8"), OSLAT_LOG);
    const meta = JSON.parse(readFileSync(join(dir, "metadata.json"), "utf8"));
    assert.equal(meta.kind, "jitter");
    assert.equal(meta.profile, "workshop-c5-metal");
    assert.match(meta.node, /^ip-10-0-1-1[01]\.us-east-2\.compute\.internal$/, "a worker-rt node");
    assert.equal(meta.cluster.clusterVersion, "4.19.10");
    assert.equal(meta.durationSec, 60);
    assert.match(ctx.out(), /oslat cpu 3\s+\d+\s+1\s+1/);
    assert.match(ctx.out(), /PASS: max latency below 20 us/);
    assert.equal(api.list("v1", "Pod", "llw-latency").length, 0, "the pod was deleted");
    const pod = api.requests.filter(
      (r) => r.path.startsWith("/api/v1/namespaces/llw-latency/pods/") && r.method === "DELETE",
    );
    assert.equal(pod.length, 1);
  });

  it("the created pod is Guaranteed, privileged, on performance-<profile>, selecting the profile's node role", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "llw-lat-run-"));
    let seen: Obj | undefined;
    api.controller((ev) => {
      if (ev.def.kind === "Pod" && ev.type === "ADDED") seen = ev.object;
    });
    assert.equal(
      await main(
        ["latency", "run", "--tool", "cyclictest", "--duration", "30", "--kubeconfig", kubeconfig, "--keep"],
        ctxFor(sim, cwd),
      ),
      2,
    );
    // The log is oslat output, so this cyclictest run is reported as an error (the log is kept).
    assert.ok(seen);
    assert.equal(seen!.spec.runtimeClassName, "performance-workshop-c5-metal");
    assert.equal(seen!.metadata.annotations["cpu-quota.crio.io"], "disable");
    assert.deepEqual(seen!.spec.nodeSelector, { "node-role.kubernetes.io/worker-rt": "" });
    assert.equal(seen!.spec.containers[0].securityContext.privileged, true);
    assert.equal(seen!.spec.containers[0].resources.limits.cpu, "4");
    assert.equal(api.list("v1", "Pod", "llw-latency").length, 1, "--keep keeps the pod");
  });

  it("a failed pod is an environment error that shows the log tail; the log is kept", async () => {
    phase = "Failed";
    const cwd = mkdtempSync(join(tmpdir(), "llw-lat-run-"));
    const ctx = ctxFor(sim, cwd);
    assert.equal(await main(["latency", "run", "--kubeconfig", kubeconfig], ctx), 3);
    assert.match(ctx.err(), /the oslat pod failed[\s\S]*cannot set rt priority/);
    const [run] = readdirSync(join(cwd, "results", "latency"));
    assert.match(
      readFileSync(join(cwd, "results", "latency", run!, "oslat.log"), "utf8"),
      /cannot set rt priority/,
    );
    phase = "Succeeded";
  });

  it("asks which profile when there are several, and names them", async () => {
    api.seed(profile("workshop-m5-metal"));
    const ctx = ctxFor(sim, mkdtempSync(join(tmpdir(), "llw-lat-run-")));
    assert.equal(await main(["latency", "run", "--kubeconfig", kubeconfig], ctx), 2);
    assert.match(ctx.err(), /several PerformanceProfiles[\s\S]*workshop-c5-metal, workshop-m5-metal/);
  });
});

describe("simulated cluster: llw latency run --baseline (before tuning: no PerformanceProfile on the cluster)", () => {
  let sim: Sim;
  let kubeconfig: string;
  const created: Obj[] = [];
  before(async () => {
    sim = await start("untuned-c5-metal", { speed: 100 });
    kubeconfig = sim.kubeconfig;
    sim.api.on(["Pod"], (ev) => {
      if (ev.type === "ADDED") created.push(structuredClone(ev.object));
    });
    sim.kubelet.run(
      (p) => p.metadata.namespace === "llw-latency",
      () => ({ phase: "Succeeded", log: OSLAT_LOG, runMs: 60_000 }),
    );
  });
  after(() => sim.stop());

  it("without --baseline it refuses: no PerformanceProfile, no isolated CPUs", async () => {
    const ctx = ctxFor(sim, mkdtempSync(join(tmpdir(), "llw-lat-run-")));
    assert.equal(await main(["latency", "run", "--kubeconfig", kubeconfig], ctx), 2);
    assert.match(ctx.err(), /no PerformanceProfile/);
  });

  it("runs the same Guaranteed pod without runtime class and CRI-O annotations on --node, stored under latency-baseline", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "llw-lat-run-"));
    const ctx = ctxFor(sim, cwd);
    const node = "ip-10-0-1-10.us-east-2.compute.internal";
    const code = await main(
      [
        "latency",
        "run",
        "--baseline",
        "--tool",
        "oslat",
        "--duration",
        "1m",
        "--cpus",
        "4",
        "--node",
        node,
        "--kubeconfig",
        kubeconfig,
      ],
      ctx,
    );
    assert.equal(code, 0, ctx.err());
    const pod = created.at(-1)!;
    assert.equal(pod.spec.runtimeClassName, undefined, "no performance runtime class");
    assert.ok(
      !Object.keys(pod.metadata.annotations ?? {}).some((k) => k.endsWith(".crio.io")),
      "no CRI-O annotations",
    );
    // One node by name: node affinity on metadata.name (the hostname label need not be the node name).
    assert.equal(pod.spec.nodeSelector, undefined);
    assert.deepEqual(
      pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
      [{ matchFields: [{ key: "metadata.name", operator: "In", values: [node] }] }],
    );
    const c = pod.spec.containers[0];
    assert.equal(c.command[0], "/usr/bin/oslat-runner", "the same tool as the tuned run");
    assert.equal(c.securityContext.privileged, true);
    assert.deepEqual(c.resources.limits, c.resources.requests, "Guaranteed: requests = limits");
    assert.equal(c.resources.limits.cpu, "4");
    assert.equal(pod.metadata.labels["llw.workshop/mode"], "baseline");
    assert.match(ctx.err(), /baseline: no runtime class, no CRI-O annotations/);
    const [run] = readdirSync(join(cwd, "results", "latency-baseline"));
    const meta = JSON.parse(
      readFileSync(join(cwd, "results", "latency-baseline", run!, "metadata.json"), "utf8"),
    );
    assert.equal(meta.mode, "baseline");
    assert.equal(meta.profile, undefined);
    assert.equal(meta.node, node);
    assert.match(ctx.out(), /oslat cpu 3/);
  });

  it("selects worker nodes by default, or the --node-selector label; --profile is refused with --baseline", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "llw-lat-run-"));
    assert.equal(
      await main(
        [
          "latency",
          "run",
          "--baseline",
          "--tool",
          "cyclictest",
          "--kubeconfig",
          kubeconfig,
          "--label",
          "before",
        ],
        ctxFor(sim, cwd),
      ),
      2, // the simulated runner logs oslat output: the cyclictest run reports the mismatch
    );
    assert.deepEqual(created.at(-1)!.spec.nodeSelector, { "node-role.kubernetes.io/worker": "" });
    assert.equal(created.at(-1)!.spec.runtimeClassName, undefined);
    // No node has that label on this untuned cluster: refused before any pod exists.
    const before = created.length;
    const none = ctxFor(sim, cwd);
    assert.equal(
      await main(
        [
          "latency",
          "run",
          "--baseline",
          "--node-selector",
          "node-role.kubernetes.io/worker-rt",
          "--kubeconfig",
          kubeconfig,
          "--duration",
          "10",
        ],
        none,
      ),
      2,
    );
    assert.match(none.err(), /none matches its node selector \(node-role\.kubernetes\.io\/worker-rt\)/);
    assert.match(none.err(), /--node-selector <label key>/);
    assert.equal(created.length, before, "no pod created");
    const ctx = ctxFor(sim, cwd);
    assert.equal(
      await main(["latency", "run", "--baseline", "--profile", "x", "--kubeconfig", kubeconfig], ctx),
      2,
    );
    assert.match(ctx.err(), /--baseline runs without a PerformanceProfile/);
  });
});
