import assert from "node:assert/strict";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import { cond, type McoStats, simulateMco } from "../helpers/fake-openshift.ts";
import { requireTool, toolPath } from "../helpers/tools.ts";
import { profile, sriovPolicy, startWorld, type World, writeChangeSet } from "./world.ts";

const MCP = "machineconfiguration.openshift.io/v1";
const FAST = ["--interval", "0s", "--settle", "0s"];

describe("fake API server: llw tune apply", () => {
  let w: World;
  let mco: McoStats;
  beforeEach(async () => {
    w = await startWorld();
    mco = simulateMco(w.api);
    process.env.PATH = toolPath();
  });
  afterEach(() => w.stop());
  after(() => undefined);

  it("applies profile + hugepages + SR-IOV as one rollout: pause, apply, unpause once, follow Updating -> Updated over several polls", async () => {
    const dir = writeChangeSet(w, "tuning", [profile(), sriovPolicy()]);
    const r = await w.llw("tune", "apply", dir, ...FAST);
    assert.equal(r.code, 0, r.err);
    assert.equal(mco.rollouts, 1, mco.log.join("\n"));
    assert.equal(mco.reboots, 2, "one reboot per worker");
    assert.match(r.out, /1 rollout, 2 reboots/);
    assert.match(r.err, /node ip-10-0-1-10\.us-east-2\.compute\.internal: updating to rendered-worker-/);
    assert.match(r.err, /MachineConfigPool worker Updated: 2\/2 nodes/);
    const pool = w.api.get(MCP, "MachineConfigPool", "worker")!;
    assert.equal(pool.spec.paused, false);
    assert.equal(pool.metadata.annotations?.["llw.openshift.io/paused-by"], undefined);
    assert.equal(pool.status.configuration.name, pool.spec.configuration.name);
    // The pool was paused before the first tuning object was written, and unpaused once after.
    const patches = w.api.requests.filter((q) => q.method === "PATCH").map((q) => q.path.split("?")[0]);
    const pauseIdx = patches.findIndex((p) => p?.endsWith("/machineconfigpools/worker"));
    const profileIdx = patches.findIndex((p) => p?.includes("/performanceprofiles/"));
    assert.ok(pauseIdx >= 0 && pauseIdx < profileIdx, patches.join("\n"));
    assert.equal(
      patches.filter((p) => p?.endsWith("/machineconfigpools/worker")).length,
      2,
      "one pause, one unpause",
    );
  });

  it("applies SR-IOV policies after the MCO rendered the other changes (the SR-IOV operator leaves such a pool paused)", async () => {
    const dir = writeChangeSet(w, "tuning", [sriovPolicy(), profile()]);
    const r = await w.llw("tune", "apply", dir, ...FAST);
    assert.equal(r.code, 0, r.err);
    const paths = w.api.requests.map((q) => `${q.method} ${q.path.split("?")[0]}`);
    const profileAt = paths.findIndex((p) => p.startsWith("PATCH") && p.includes("/performanceprofiles/"));
    const policyAt = paths.findIndex(
      (p) => p.startsWith("PATCH") && p.includes("/sriovnetworknodepolicies/"),
    );
    const renderCheck = paths.findIndex(
      (p, i) =>
        i > profileAt && p === "GET /apis/machineconfiguration.openshift.io/v1/machineconfigpools/worker",
    );
    assert.ok(profileAt >= 0 && profileAt < renderCheck && renderCheck < policyAt, paths.join("\n"));
    assert.equal(mco.rollouts, 1);
  });

  it("running twice changes nothing the second time (no pause, no reboot)", async () => {
    const dir = writeChangeSet(w, "tuning", [profile(), sriovPolicy()]);
    assert.equal((await w.llw("tune", "apply", dir, ...FAST)).code, 0);
    const before = mco.reboots;
    const r = await w.llw("tune", "apply", dir, ...FAST);
    assert.equal(r.code, 0, r.err);
    assert.equal(mco.reboots, before);
    assert.match(r.out, /Nothing rolled/);
    assert.match(r.err, /PerformanceProfile workshop-c5-metal unchanged/);
  });

  it("--dry-run prints the plan and changes nothing", async () => {
    const dir = writeChangeSet(w, "tuning", [profile(), sriovPolicy()]);
    const r = await w.llw("tune", "apply", dir, "--dry-run");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /PerformanceProfile\/workshop-c5-metal\s+create\s+worker/);
    assert.match(r.out, /Expected: 1 rollout, 2 node reboots/);
    assert.equal(
      w.api.get("performance.openshift.io/v2", "PerformanceProfile", "workshop-c5-metal"),
      undefined,
    );
    assert.equal(w.api.requests.filter((q) => q.method !== "GET").length, 0);
  });

  it("refuses a pool that is already degraded, before touching anything (exit 3)", async () => {
    w.api.update(MCP, "MachineConfigPool", "worker", undefined, {
      status: {
        degradedMachineCount: 1,
        conditions: [
          cond("Degraded", "True", "", 'Node ip-10-0-1-11 is reporting: "unexpected on-disk state"'),
          cond("Updated", "False"),
        ],
      },
    });
    const dir = writeChangeSet(w, "tuning", [profile()]);
    const r = await w.llw("tune", "apply", dir, ...FAST);
    assert.equal(r.code, 3);
    assert.match(
      r.err,
      /refusing to apply tuning: MachineConfigPool worker is degraded \(Degraded: Node ip-10-0-1-11 is reporting: "unexpected on-disk state"\)/,
    );
    assert.equal(w.api.requests.filter((q) => q.method !== "GET").length, 0);
  });

  it("refuses a change set that fails lint (exit 1), nothing applied", async () => {
    const bad = profile();
    bad.spec.cpu.isolated = "1-47";
    const dir = writeChangeSet(w, "tuning", [bad]);
    const r = await w.llw("tune", "apply", dir, ...FAST);
    assert.equal(r.code, 1);
    assert.match(r.err, /overlap/);
    assert.match(r.err, /nothing was applied/);
    assert.equal(w.api.requests.length, 0, "the cluster was not even contacted");
  });

  it("refuses a change set that fails llw lint's schema validation (the real upstream CRD)", async (t) => {
    if (!requireTool(t, "kubectl", "npm run tools")) return;
    const pol = sriovPolicy();
    pol.spec.deviceType = "bogus";
    const dir = writeChangeSet(w, "tuning", [profile(), pol]);
    const r = await w.llw("tune", "apply", dir, ...FAST);
    assert.equal(r.code, 1, r.err);
    assert.match(
      r.err,
      /schema: must be one of "netdevice", "vfio-pci"\n {2}where: tuning\/01-sriovnetworknodepolicy\.yaml: SriovNetworkNodePolicy .*spec\.deviceType/,
    );
    assert.equal(w.api.requests.length, 0);
  });

  it("resumes a run interrupted while the pool was paused: unpauses and follows it", async () => {
    const dir = writeChangeSet(w, "tuning", [profile()]);
    // A previous run applied the profile and died before unpausing.
    w.api.update(MCP, "MachineConfigPool", "worker", undefined, {
      metadata: { annotations: { "llw.openshift.io/paused-by": "llw" } },
      spec: { paused: true },
    });
    w.api.seed(profile());
    w.api.update(MCP, "MachineConfigPool", "worker", undefined, {
      spec: { configuration: { name: "rendered-worker-resumed" } },
    });
    const r = await w.llw("tune", "apply", dir, ...FAST);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /left paused by an earlier llw run/);
    assert.equal(w.api.get(MCP, "MachineConfigPool", "worker")!.spec.paused, false);
    assert.equal(mco.reboots, 2);
  });

  it("a forbidden user gets the server's reason and exit 3", async () => {
    w.api.forbid({ verb: "patch", resource: "machineconfigpools" });
    const dir = writeChangeSet(w, "tuning", [profile()]);
    const r = await w.llw("tune", "apply", dir, ...FAST);
    assert.equal(r.code, 3);
    assert.match(
      r.err,
      /forbidden: machineconfigpools\.machineconfiguration\.openshift\.io "worker" is forbidden: User "kube:admin" cannot patch/,
    );
  });

  it("an unreachable API is exit 3 with what to check", async () => {
    const dir = writeChangeSet(w, "tuning", [profile()]);
    const r = await w.llw("tune", "apply", dir, "--context", "unreachable", ...FAST);
    assert.equal(r.code, 3);
    assert.match(r.err, /cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:9/);
    assert.match(r.err, /next:/);
  });
});
