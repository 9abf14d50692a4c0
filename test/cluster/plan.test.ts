import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { formatDuration, parseDuration, testClock } from "../../src/cluster/clock.ts";
import { crdServes, orderObjects, planDirectInstall } from "../../src/cluster/install-plan.ts";
import type { KubeObject } from "../../src/cluster/kube.ts";
import { assessOperator } from "../../src/cluster/olm.ts";
import { Progress } from "../../src/cluster/progress.ts";
import {
  changeAction,
  diffRollout,
  type NodeRollout,
  planTuning,
  poolDone,
  poolsRolledBy,
  selectorMatches,
} from "../../src/cluster/tune-plan.ts";
import { waitFor } from "../../src/cluster/wait.ts";
import { makeColors } from "../../src/lib/color.ts";
import { EnvironmentError } from "../../src/lib/errors.ts";
import { cond, poolNode as node, settledPool as pool } from "../sim/fixtures.ts";
import { profile, sriovPolicy } from "./world.ts";

const k = (o: unknown) => o as KubeObject;
const MC = (name: string, role: string): KubeObject =>
  k({
    apiVersion: "machineconfiguration.openshift.io/v1",
    kind: "MachineConfig",
    metadata: { name, labels: { "machineconfiguration.openshift.io/role": role } },
    spec: {},
  });
const workerPool = k(pool("worker", 2, "rendered-worker-1"));
const rtPool = k({
  ...pool("worker-rt", 1, "rendered-worker-rt-1"),
  spec: {
    machineConfigSelector: {
      matchExpressions: [
        { key: "machineconfiguration.openshift.io/role", operator: "In", values: ["worker", "worker-rt"] },
      ],
    },
    nodeSelector: { matchLabels: { "node-role.kubernetes.io/worker-rt": "" } },
    configuration: { name: "rendered-worker-rt-1" },
  },
});
const w1 = k(node("w1", "worker", "c5.metal"));
const rt1 = k({
  ...node("rt1", "worker", "c5.metal"),
  metadata: {
    ...node("rt1", "worker", "c5.metal").metadata,
    labels: { ...node("rt1", "worker", "c5.metal").metadata.labels, "node-role.kubernetes.io/worker-rt": "" },
  },
});

describe("tuning planner", () => {
  it("label selectors: matchLabels, In, NotIn, Exists, DoesNotExist; empty selects nothing", () => {
    const l = { a: "1", b: "2" };
    assert.ok(selectorMatches({ matchLabels: { a: "1" } }, l));
    assert.ok(selectorMatches({ matchExpressions: [{ key: "b", operator: "In", values: ["2", "3"] }] }, l));
    assert.ok(!selectorMatches({ matchExpressions: [{ key: "b", operator: "NotIn", values: ["2"] }] }, l));
    assert.ok(
      selectorMatches(
        {
          matchExpressions: [
            { key: "a", operator: "Exists" },
            { key: "z", operator: "DoesNotExist" },
          ],
        },
        l,
      ),
    );
    assert.ok(!selectorMatches({}, l));
    assert.ok(!selectorMatches(undefined, l));
  });

  it("changeAction: create when absent, unchanged when the live object already holds every field, update otherwise", () => {
    const p = k(profile());
    assert.equal(changeAction(p, undefined), "create");
    const live = k({
      ...profile(),
      metadata: { ...p.metadata, uid: "x", resourceVersion: "9" },
      status: { conditions: [] },
    });
    assert.equal(changeAction(p, live), "unchanged");
    assert.equal(changeAction(k(profile(8)), live), "update");
    assert.equal(
      changeAction(k({ ...profile(), metadata: { name: p.metadata.name, labels: { x: "y" } } }), live),
      "update",
    );
  });

  it("poolsRolledBy: profile via machineConfigPoolSelector or nodeSelector, MachineConfig via the pool's selector, SR-IOV via its nodes (custom pool wins)", () => {
    const pools = [workerPool, rtPool];
    const nodes = [w1, rt1];
    assert.deepEqual(poolsRolledBy(k(profile()), pools, nodes), ["worker"]);
    const rtProfile = k({
      ...profile(),
      spec: {
        ...profile().spec,
        machineConfigPoolSelector: undefined,
        nodeSelector: { "node-role.kubernetes.io/worker-rt": "" },
      },
    });
    assert.deepEqual(poolsRolledBy(rtProfile, pools, nodes), ["worker-rt"]);
    assert.deepEqual(
      poolsRolledBy(MC("99-worker-x", "worker"), pools, nodes),
      ["worker", "worker-rt"],
      "worker-rt also takes worker MachineConfigs",
    );
    assert.deepEqual(poolsRolledBy(MC("99-rt-x", "worker-rt"), pools, nodes), ["worker-rt"]);
    assert.deepEqual(poolsRolledBy(k(sriovPolicy()), pools, nodes), ["worker", "worker-rt"]);
    assert.deepEqual(
      poolsRolledBy(k({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }), pools, nodes),
      [],
    );
    const tunedNoBoot = k({
      kind: "Tuned",
      apiVersion: "tuned.openshift.io/v1",
      metadata: { name: "t" },
      spec: {
        profile: [{ data: "[sysctl]\nx=1" }],
        recommend: [{ machineConfigLabels: { "machineconfiguration.openshift.io/role": "worker" } }],
      },
    });
    assert.deepEqual(poolsRolledBy(tunedNoBoot, pools, nodes), []);
  });

  it("planTuning: one pool rolled once for several objects; expected reboots = its nodes; unchanged objects roll nothing", () => {
    const plan = planTuning([k(profile()), k(sriovPolicy())], () => undefined, [workerPool], [w1]);
    assert.deepEqual(
      plan.pools.map((p) => p.name),
      ["worker"],
    );
    assert.equal(plan.expectedReboots, 2);
    assert.deepEqual(plan.refusals, []);
    const again = planTuning([k(profile())], (o) => o, [workerPool], [w1]);
    assert.deepEqual(again.pools, []);
    assert.equal(again.expectedReboots, 0);
  });

  it("planTuning refuses a degraded pool and notes a pool paused by someone else", () => {
    const degraded = k({
      ...workerPool,
      status: {
        ...workerPool.status,
        degradedMachineCount: 1,
        conditions: [cond("Degraded", "True", "", "Node w1 is reporting: boom")],
      },
    });
    assert.match(
      planTuning([k(profile())], () => undefined, [degraded], [w1]).refusals[0] ?? "",
      /worker is degraded \(Degraded: Node w1 is reporting: boom\)/,
    );
    const paused = k({ ...workerPool, spec: { ...workerPool.spec, paused: true } });
    assert.match(
      planTuning([k(profile())], () => undefined, [paused], [w1]).notes.join(),
      /already paused by someone else/,
    );
  });

  it("planTuning refuses two PerformanceProfiles for the same pool", () => {
    const other = k({ ...profile(), metadata: { name: "workshop-m5-metal" } });
    assert.match(
      planTuning([k(profile()), other], () => undefined, [workerPool], [w1]).refusals.join(),
      /PerformanceProfiles workshop-c5-metal, workshop-m5-metal all select MachineConfigPool worker/,
    );
  });

  it("planTuning creates a new pool from the change set and counts the nodes it will select", () => {
    const newPool = k({
      apiVersion: "machineconfiguration.openshift.io/v1",
      kind: "MachineConfigPool",
      metadata: {
        name: "worker-rt",
        labels: { "pools.operator.machineconfiguration.openshift.io/worker-rt": "" },
      },
      spec: { nodeSelector: { matchLabels: { "node-role.kubernetes.io/worker-rt": "" } } },
    });
    const rtProfile = k({
      ...profile(),
      spec: {
        ...profile().spec,
        machineConfigPoolSelector: { "pools.operator.machineconfiguration.openshift.io/worker-rt": "" },
      },
    });
    const plan = planTuning([newPool, rtProfile], () => undefined, [workerPool], [w1, rt1]);
    assert.equal(plan.poolObjects[0]?.action, "create");
    assert.deepEqual(
      plan.pools.map((p) => [p.name, p.isNew]),
      [["worker-rt", true]],
    );
    assert.equal(plan.expectedReboots, 1);
  });

  it("diffRollout reports each node's reboot start and finish once", () => {
    const n = (name: string, cur: string, des: string, state: string): NodeRollout => ({
      name,
      currentConfig: cur,
      desiredConfig: des,
      state,
    });
    const before = [n("a", "r1", "r1", "Done"), n("b", "r1", "r1", "Done")];
    const mid = [n("a", "r1", "r2", "Working"), n("b", "r1", "r1", "Done")];
    const after = [n("a", "r2", "r2", "Done"), n("b", "r1", "r2", "Working")];
    assert.deepEqual(
      diffRollout(before, mid).map((e) => `${e.node} ${e.kind}`),
      ["a rebooting"],
    );
    assert.deepEqual(
      diffRollout(mid, after).map((e) => `${e.node} ${e.kind}`),
      ["a updated", "b rebooting"],
    );
    assert.deepEqual(diffRollout(after, after), []);
    assert.deepEqual(
      diffRollout(after, [
        n("a", "r2", "r2", "Done"),
        { ...n("b", "r1", "r2", "Degraded"), reason: "disk" },
      ]).map((e) => e.detail),
      ["disk"],
    );
  });

  it("poolDone needs Updated, every machine updated and the status config equal to the spec's", () => {
    assert.ok(poolDone(workerPool));
    assert.ok(
      !poolDone(
        k({ ...workerPool, spec: { ...workerPool.spec, configuration: { name: "rendered-worker-2" } } }),
      ),
    );
    assert.ok(!poolDone(k({ ...workerPool, status: { ...workerPool.status, updatedMachineCount: 1 } })));
  });
});

describe("direct install planner", () => {
  const ns = k({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "openshift-sriov-network-operator" },
  });
  const og = k({
    apiVersion: "operators.coreos.com/v1",
    kind: "OperatorGroup",
    metadata: { name: "g", namespace: "openshift-sriov-network-operator" },
  });
  const sub = k({
    apiVersion: "operators.coreos.com/v1alpha1",
    kind: "Subscription",
    metadata: { name: "sriov", namespace: "openshift-sriov-network-operator" },
    spec: { name: "sriov-network-operator" },
  });
  const cfg = k({
    apiVersion: "sriovnetwork.openshift.io/v1",
    kind: "SriovOperatorConfig",
    metadata: { name: "default", namespace: "openshift-sriov-network-operator" },
  });
  const hco = k({
    apiVersion: "hco.kubevirt.io/v1beta1",
    kind: "HyperConverged",
    metadata: { name: "kubevirt-hyperconverged", namespace: "openshift-cnv" },
  });

  it("orders operators, then waits for them and for the CRDs, then CRs, then tuning last, whatever the input order", () => {
    const steps = planDirectInstall([k(sriovPolicy()), cfg, k(profile()), sub, hco, og, ns]);
    assert.deepEqual(
      steps.map((s) => s.type),
      ["apply", "operators", "crds", "apply", "tuning"],
    );
    const first = steps[0]!;
    assert.ok(first.type === "apply");
    assert.deepEqual(
      first.objects.map((o) => o.kind),
      ["Namespace", "OperatorGroup", "Subscription"],
    );
    const crds = steps[2]!;
    assert.ok(crds.type === "crds");
    assert.deepEqual(
      crds.crds.map((c) => `${c.kind}:${c.provider}`),
      [
        "HyperConverged:kubevirt-hyperconverged",
        "SriovNetworkNodePolicy:sriov-network-operator",
        "SriovOperatorConfig:sriov-network-operator",
      ],
    );
    const tuning = steps[4]!;
    assert.ok(tuning.type === "tuning");
    assert.deepEqual(
      tuning.objects.map((o) => o.kind),
      ["PerformanceProfile", "SriovNetworkNodePolicy"],
    );
  });

  it("property: every Namespace comes before anything in it, and every CR after its CRD wait", () => {
    const pool_ = [ns, og, sub, cfg, hco, k(profile()), k(sriovPolicy())];
    fc.assert(
      fc.property(fc.shuffledSubarray(pool_, { minLength: 1 }), (objs) => {
        const steps = planDirectInstall(objs);
        const flat = steps.flatMap((s, i) => ("objects" in s ? s.objects.map((o) => ({ o, i })) : []));
        const crdStep = steps.findIndex((s) => s.type === "crds");
        for (const { o, i } of flat) {
          if (o.kind === "Namespace") continue;
          const nsAt = flat.find(
            (x) => x.o.kind === "Namespace" && x.o.metadata.name === o.metadata.namespace,
          );
          if (nsAt) assert.ok(nsAt.i <= i);
          if (["SriovOperatorConfig", "HyperConverged", "SriovNetworkNodePolicy"].includes(o.kind))
            assert.ok(crdStep >= 0 && crdStep < i);
        }
      }),
    );
  });

  it("sorts by Argo CD sync wave first", () => {
    const a = k({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "a", annotations: { "argocd.argoproj.io/sync-wave": "5" } },
    });
    const b = k({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "b", annotations: { "argocd.argoproj.io/sync-wave": "-1" } },
    });
    assert.deepEqual(
      orderObjects([a, ns, b]).map((o) => o.metadata.name),
      ["b", "openshift-sriov-network-operator", "a"],
    );
  });

  it("crdServes matches group, kind and a served version; Established from conditions", () => {
    const crd = k({
      spec: {
        group: "g.io",
        names: { kind: "K" },
        versions: [
          { name: "v1", served: true },
          { name: "v0", served: false },
        ],
      },
      status: { conditions: [cond("Established", "True")] },
    });
    assert.deepEqual(crdServes(crd, { group: "g.io", version: "v1", kind: "K" }), {
      matches: true,
      established: true,
    });
    assert.equal(crdServes(crd, { group: "g.io", version: "v0", kind: "K" }).matches, false);
  });
});

describe("OLM assessment", () => {
  const sub = (status: object = {}, conds: object[] = []) =>
    k({
      metadata: { name: "s", namespace: "ns" },
      spec: { source: "redhat-operators", sourceNamespace: "openshift-marketplace" },
      status: { ...status, conditions: conds },
    });
  const csvObj = (phase: string, message = "") =>
    k({
      metadata: { name: "op.v1" },
      status: { phase, message, reason: phase === "Failed" ? "InstallCheckFailed" : undefined },
    });
  const base = { pkg: "op", namespace: "ns" };
  it("Succeeded is done; Failed is failed with the CSV's message", () => {
    assert.equal(assessOperator({ ...base, csv: csvObj("Succeeded") }).done, true);
    assert.match(
      assessOperator({ ...base, csv: csvObj("Failed", "deployment not ready") }).failed?.what ?? "",
      /CSV op\.v1 is Failed \(InstallCheckFailed\): deployment not ready/,
    );
  });
  it("a plan waiting for approval names the approve command", () => {
    const plan = k({
      metadata: { name: "install-abc" },
      spec: { approved: false },
      status: { phase: "RequiresApproval" },
    });
    const a = assessOperator({
      ...base,
      subscription: sub({ installPlanRef: { name: "install-abc" } }),
      installPlan: plan,
    });
    assert.equal(a.approval, "install-abc");
    assert.match(a.blocker?.next ?? "", /oc patch installplan install-abc -n ns/);
  });
  it("ResolutionFailed fails at once; an unhealthy catalog is the blocker", () => {
    assert.match(
      assessOperator({
        ...base,
        subscription: sub({}, [
          { type: "ResolutionFailed", status: "True", message: "no operators found in channel fast" },
        ]),
      }).failed?.what ?? "",
      /no operators found in channel fast/,
    );
    const cat = k({
      metadata: { name: "redhat-operators" },
      status: { connectionState: { lastObservedState: "TRANSIENT_FAILURE" } },
    });
    assert.match(
      assessOperator({ ...base, subscription: sub(), catalogSource: cat }).blocker?.what ?? "",
      /CatalogSource redhat-operators is unhealthy \(TRANSIENT_FAILURE\)/,
    );
  });
  it("no subscription yet is just waiting", () => {
    const a = assessOperator(base);
    assert.equal(a.done, false);
    assert.equal(a.failed, undefined);
  });
});

describe("waiting with an injected clock (no real sleeps)", () => {
  const quiet = (clock: ReturnType<typeof testClock>) =>
    new Progress({ write: () => true }, makeColors(false), clock);
  it("polls until done, advancing the test clock by the interval", async () => {
    const clock = testClock();
    let n = 0;
    await waitFor({
      what: "x",
      timeoutMs: 60_000,
      intervalMs: 10_000,
      clock,
      progress: quiet(clock),
      poll: async () => ({ done: ++n === 4, status: `poll ${n}` }),
    });
    assert.equal(n, 4);
    assert.equal(clock.slept, 30_000);
  });
  it("times out with the blocker's reason", async () => {
    const clock = testClock();
    await assert.rejects(
      waitFor({
        what: "CSV",
        timeoutMs: 20_000,
        intervalMs: 10_000,
        clock,
        progress: quiet(clock),
        poll: async () => ({
          done: false,
          status: "Installing",
          blocker: { what: "catalog down", next: "fix it" },
        }),
      }),
      (e: Error) =>
        e instanceof EnvironmentError && /timed out after 20s waiting for CSV: catalog down/.test(e.message),
    );
  });
  it("off a TTY, progress prints a line only when the state changes, with elapsed time", async () => {
    const clock = testClock();
    let out = "";
    const p = new Progress({ write: (s: string) => (out += s) }, makeColors(false), clock);
    let n = 0;
    await waitFor({
      what: "pool",
      timeoutMs: 600_000,
      intervalMs: 60_000,
      clock,
      progress: p,
      poll: async () => ({ done: ++n === 4, status: n < 3 ? "1/2 nodes updated" : "2/2 nodes updated" }),
    });
    assert.equal(out, "    pool: 1/2 nodes updated (0s)\n    pool: 2/2 nodes updated (2m00s)\n");
  });
});

describe("progress on a terminal", () => {
  it("redraws one line in place with a spinner and clears it before the step's result", () => {
    const clock = testClock();
    let out = "";
    const p = new Progress({ write: (s: string) => (out += s), isTTY: true }, makeColors(false), clock);
    p.step("CSV of x");
    p.update("Installing");
    p.update("Installing");
    p.ok("x installed");
    p.end();
    const lines = out.split("\r\x1b[2K").filter(Boolean);
    assert.match(lines[0] ?? "", /^. CSV of x: Installing \(0s\)$/);
    assert.equal(lines.at(-1), "  ✓ x installed (0s)\n");
    assert.ok(!out.includes("\n    "), "no plain progress lines on a terminal");
  });
});

describe("durations", () => {
  it("parses and formats", () => {
    assert.equal(parseDuration("90s"), 90_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("45"), 45_000);
    assert.equal(parseDuration("soon"), undefined);
    assert.equal(parseDuration(""), undefined);
    assert.equal(formatDuration(125_000), "2m05s");
    assert.equal(formatDuration(3_720_000), "1h02m");
  });
  it("property: formatDuration output parses back to the same whole seconds (under an hour)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3599 }),
        (s) => parseDuration(formatDuration(s * 1000)) === s * 1000,
      ),
    );
  });
  it("property: parseDuration never throws and is non-negative or undefined", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const v = parseDuration(s);
        return v === undefined || v >= 0;
      }),
    );
  });
});
