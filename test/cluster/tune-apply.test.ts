import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { run as tuneApply } from "../../src/commands/tune-apply.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { ROOT, requireTool, SCHEMAS_DIR, toolPath } from "../helpers/tools.ts";
import { statusBody } from "../sim/apiserver.ts";
import type { Stats } from "../sim/context.ts";
import { profile, sriovPolicy, startWorld, type World, writeChangeSet } from "./world.ts";

const MCP = "machineconfiguration.openshift.io/v1";
// llw's own defaults (10 s polls, 30 s settle), in the simulator's time.
const FAST: string[] = [];

describe("simulated cluster: llw tune apply", () => {
  let w: World;
  let mco: Stats;
  beforeEach(async () => {
    w = await startWorld();
    mco = w.sim.stats;
    process.env.PATH = toolPath();
  });
  afterEach(() => w.stop());
  after(() => undefined);

  it("applies profile + hugepages + SR-IOV as one rollout: pause, apply, unpause once, follow Updating -> Updated over several polls", async () => {
    const dir = writeChangeSet(w, "tuning", [profile(), sriovPolicy()]);
    const r = await w.llw("tune", "apply", dir, ...FAST);
    assert.equal(r.code, 0, r.err);
    assert.equal(mco.rollouts, 1, mco.log.join("\n"));
    // NTO's MachineConfig and its KubeletConfig's reached the pool as two renders; the settle
    // window kept the pool paused over both, so each node rebooted once.
    assert.equal(mco.log.filter((l) => / \(pool worker\)$/.test(l)).length, 2, mco.log.join("\n"));
    assert.equal(mco.reboots, 2, `one reboot per worker\n${mco.log.join("\n")}`);
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

  it("a PerformanceProfile alone is rendered twice (its MachineConfig, then its KubeletConfig's, seconds apart): llw unpauses after the second, so each node reboots once", async () => {
    // A slower simulated clock (20x): API round trips then cost little simulated time, so llw's
    // 10 s polls see the first render well before the second.
    await w.stop();
    w = await startWorld({ speed: 20 });
    mco = w.sim.stats;
    const r = await w.llw("tune", "apply", writeChangeSet(w, "tuning", [profile()]));
    assert.equal(r.code, 0, r.err);
    const renders = mco.log.filter((l) => / \(pool worker\)$/.test(l));
    assert.equal(renders.length, 2, mco.log.join("\n"));
    const final = renders[1]!.split(" ")[1]!;
    assert.match(r.err, new RegExp(`MachineConfigPool worker unpaused \\(target ${final}\\)`));
    assert.equal(mco.rollouts, 1, mco.log.join("\n"));
    assert.equal(mco.reboots, 2, `one reboot per worker\n${mco.log.join("\n")}`);
    assert.match(r.out, /1 rollout, 2 reboots/);
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

  it("refuses a pool that is already degraded (a node reports an unexpected on-disk state), before touching anything (exit 3)", async () => {
    await w.stop();
    w = await startWorld({ scenario: "degraded-pool" });
    const dir = writeChangeSet(w, "tuning", [profile()]);
    const r = await w.llw("tune", "apply", dir, ...FAST);
    assert.equal(r.code, 3);
    assert.match(
      r.err,
      /refusing to apply tuning: MachineConfigPool worker is degraded \(Degraded: Node ip-10-0-1-11\.us-east-2\.compute\.internal is reporting: "unexpected on-disk state validating against rendered-worker-[0-9a-f]+: content mismatch for file "\/etc\/kubernetes\/kubelet\.conf""\)/,
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

  it("refuses a profile FILE that fails llw lint's schema validation as it refuses the directory (unknown field, string count)", async () => {
    const bad = profile();
    bad.spec.hugepages.pages[0].count = "sixteen";
    bad.spec.cpu.isolatedd = "2-47";
    const dir = writeChangeSet(w, "tuning", [bad]);
    const file = join(dir, "00-performanceprofile.yaml");
    for (const target of [dir, file]) {
      const r = await w.llw("tune", "apply", target, ...FAST);
      assert.equal(r.code, 1, `${target}: ${r.err}`);
      assert.match(
        r.err,
        /schema: must be integer\n {2}where: tuning\/00-performanceprofile\.yaml: PerformanceProfile workshop-c5-metal spec\.hugepages\.pages\[0\]\.count/,
      );
      assert.match(r.err, /schema: .*isolatedd/);
      assert.match(r.err, /nothing was applied/);
    }
    assert.equal(w.api.requests.length, 0, "the cluster was not contacted");
  });

  it("lints files with the tree checks too (a profile whose CPUs do not fit its instance type)", async () => {
    const bad = profile();
    bad.spec.cpu = { reserved: "0-1", isolated: "2-200" };
    const dir = writeChangeSet(w, "tuning", [bad, sriovPolicy()]);
    const r = await w.llw(
      "tune",
      "apply",
      join(dir, "00-performanceprofile.yaml"),
      join(dir, "01-sriovnetworknodepolicy.yaml"),
      ...FAST,
    );
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /performance-profile: .*\(on c5\.metal\)/);
    assert.equal(w.api.requests.length, 0);
  });

  it("without schemas it refuses (exit 2) unless --no-lint, which applies without schema validation", async () => {
    const dir = writeChangeSet(w, "tuning", [profile()]);
    const ctx = () =>
      bufferContext({
        cwd: w.dir,
        env: { PATH: process.env.PATH, HOME: w.dir, KUBECONFIG: w.kubeconfig },
        clock: w.sim.clock,
      });
    const base = { paths: [dir], findSchemaDir: () => undefined };
    const c1 = ctx();
    await assert.rejects(
      tuneApply(base, c1),
      (e: Error & { exitCode?: number; problems?: { what: string; next?: string }[] }) => {
        assert.equal(e.exitCode, 2);
        assert.match(e.problems![0]!.what, /no schemas to lint the change set against/);
        assert.match(
          e.problems![0]!.next!,
          /--schemas DIR .*LLW_CRDS_DIR.*--schemas-from-cluster .*; --no-lint/,
        );
        return true;
      },
    );
    assert.equal(w.api.requests.length, 0);
    const c2 = ctx();
    assert.equal(await tuneApply({ ...base, lint: false }, c2), 0, c2.err());
    assert.match(c2.err(), /--no-lint: the change set is not validated against its schemas/);
    assert.equal(mco.rollouts, 1);
    // A schema directory named but missing is bad input, not a silent skip.
    const r = await w.llw("tune", "apply", dir, "--schemas", "no-such-dir", ...FAST);
    assert.equal(r.code, 2);
    assert.match(r.err, /the schema directory does not exist/);
    const c3 = bufferContext({
      cwd: w.dir,
      env: { PATH: process.env.PATH, HOME: w.dir, KUBECONFIG: w.kubeconfig, LLW_CRDS_DIR: "gone" },
    });
    await assert.rejects(tuneApply({ paths: [dir] }, c3), /the schema directory does not exist/);
  });

  it("--schemas-from-cluster lints files against the cluster's CRDs (no schema directory needed)", async () => {
    for (const f of [
      "performanceprofiles.performance.openshift.io.yaml",
      "sriovnetworknodepolicies.sriovnetwork.openshift.io.yaml",
    ])
      w.api.seed(parseYaml(readFileSync(join(SCHEMAS_DIR, f), "utf8"), { maxAliasCount: -1 }));
    const ctx = () =>
      bufferContext({
        cwd: w.dir,
        env: { PATH: process.env.PATH, HOME: w.dir, KUBECONFIG: w.kubeconfig },
        clock: w.sim.clock,
      });
    const base = { findSchemaDir: () => undefined, schemasFromCluster: true };
    const bad = profile();
    bad.spec.hugepages.pages[0].count = "sixteen";
    const badFile = join(writeChangeSet(w, "bad", [bad]), "00-performanceprofile.yaml");
    const c1 = ctx();
    await assert.rejects(tuneApply({ ...base, paths: [badFile] }, c1), /fails lint/);
    assert.match(
      c1.err(),
      /schema: must be integer\n {2}where: bad\/00-performanceprofile\.yaml: PerformanceProfile workshop-c5-metal spec\.hugepages\.pages\[0\]\.count/,
    );
    assert.equal(w.api.requests.filter((q) => q.method !== "GET").length, 0, "nothing written");
    const dir = writeChangeSet(w, "tuning", [profile(), sriovPolicy()]);
    const c2 = ctx();
    const files = ["00-performanceprofile.yaml", "01-sriovnetworknodepolicy.yaml"].map((f) => join(dir, f));
    assert.equal(await tuneApply({ ...base, paths: files }, c2), 0, c2.err());
    assert.doesNotMatch(c2.err(), /unknown-kind|error:/);
    assert.equal(mco.rollouts, 1);
  });

  it("the API server returns 422 after the pool is paused: the pool is unpaused, the error is the server's", async () => {
    w.api.react({ verb: "patch", resource: "performanceprofiles" }, (req) => ({
      code: 422,
      body: statusBody(
        422,
        "Invalid",
        `PerformanceProfile.performance.openshift.io "${req.name}" is invalid: spec.cpu.isolated: Invalid value: "2-47,50-95": admission webhook denied the request`,
        { name: req.name, group: req.group, kind: "PerformanceProfile" },
      ),
    }));
    const dir = writeChangeSet(w, "tuning", [profile(), sriovPolicy()]);
    const r = await w.llw("tune", "apply", dir, ...FAST);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /admission webhook denied the request/);
    assert.match(r.err, /MachineConfigPool worker unpaused \(nothing of the change set was applied\)/);
    const pool = w.api.get(MCP, "MachineConfigPool", "worker")!;
    assert.equal(pool.spec.paused, false);
    assert.equal(pool.metadata.annotations?.["llw.openshift.io/paused-by"], undefined);
    const patches = w.api.requests.filter((q) => q.method === "PATCH").map((q) => q.path.split("?")[0]);
    assert.equal(
      patches.filter((p) => p?.endsWith("/machineconfigpools/worker")).length,
      2,
      "paused, then unpaused",
    );
    assert.equal(mco.rollouts, 0, "nothing was applied: nothing rolls");
    assert.equal(
      w.api.get(
        "sriovnetwork.openshift.io/v1",
        "SriovNetworkNodePolicy",
        "ena-dataplane",
        "openshift-sriov-network-operator",
      ),
      undefined,
    );
  });

  it("a pool someone else had paused stays paused after a failed apply (without llw's annotation)", async () => {
    w.api.update(MCP, "MachineConfigPool", "worker", undefined, { spec: { paused: true } });
    w.api.react({ verb: "patch", resource: "sriovnetworknodepolicies" }, () => ({
      code: 422,
      body: statusBody(422, "Invalid", "SriovNetworkNodePolicy is invalid: spec.numVfs: Invalid value: 1"),
    }));
    const dir = writeChangeSet(w, "tuning", [profile(), sriovPolicy()]);
    const r = await w.llw("tune", "apply", dir, ...FAST);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /MachineConfigPool worker left paused, as it was before/);
    const pool = w.api.get(MCP, "MachineConfigPool", "worker")!;
    assert.equal(pool.spec.paused, true);
    assert.equal(pool.metadata.annotations?.["llw.openshift.io/paused-by"], undefined);
  });

  it("resumes a run interrupted while the pool was paused: unpauses and follows it", async () => {
    const dir = writeChangeSet(w, "tuning", [profile()]);
    // A previous run applied the profile and died before unpausing.
    w.api.update(MCP, "MachineConfigPool", "worker", undefined, {
      metadata: { annotations: { "llw.openshift.io/paused-by": "llw" } },
      spec: { paused: true },
    });
    w.api.seed(profile());
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

  it("a change that renders nothing new: llw stops waiting for a render after a few settle periods and rolls nothing", async () => {
    const dir = writeChangeSet(w, "tuning", [profile()]);
    assert.equal((await w.llw("tune", "apply", dir)).code, 0);
    const reboots = mco.reboots;
    // Only an annotation changes: NTO renders nothing (no new generation), the pool stays on its config.
    const annotated = profile();
    annotated.metadata.annotations = { "workshop.low-latency.io/note": "re-applied" };
    const again = writeChangeSet(w, "again", [annotated]);
    const r = await w.llw("tune", "apply", again, "--timeout", "20m");
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /no new render \(still rendered-worker-[0-9a-f]+\)/);
    assert.equal(mco.reboots, reboots, "nothing rolled");
    assert.equal(w.api.get(MCP, "MachineConfigPool", "worker")!.spec.paused, false);
  });

  it("after a failed apply, a pool that an interrupted earlier llw run had paused is unpaused too", async () => {
    // The earlier run paused the pool (with llw's annotation) and died.
    w.api.update(MCP, "MachineConfigPool", "worker", undefined, {
      metadata: { annotations: { "llw.openshift.io/paused-by": "llw" } },
      spec: { paused: true },
    });
    w.api.react({ verb: "patch", resource: "performanceprofiles" }, () => ({
      code: 422,
      body: statusBody(422, "Invalid", "PerformanceProfile is invalid: admission webhook denied the request"),
    }));
    const r = await w.llw("tune", "apply", writeChangeSet(w, "tuning", [profile()]));
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /MachineConfigPool worker unpaused/);
    const pool = w.api.get(MCP, "MachineConfigPool", "worker")!;
    assert.equal(pool.spec.paused, false, "llw paused it (earlier): llw unpauses it");
    assert.equal(pool.metadata.annotations?.["llw.openshift.io/paused-by"], undefined);
  });

  it("an API failure after the change set was applied still unpauses the pool llw paused", async () => {
    let applied = false;
    w.api.controller((ev) => {
      if (ev.def.kind === "PerformanceProfile") applied = true;
    });
    // Once the profile is in, reading the pool fails (an API server restarting).
    w.api.react({ verb: "get", resource: "machineconfigpools", name: "worker" }, () =>
      applied
        ? {
            code: 503,
            body: statusBody(
              503,
              "ServiceUnavailable",
              "the server is currently unable to handle the request",
            ),
          }
        : undefined,
    );
    const r = await w.llw("tune", "apply", writeChangeSet(w, "tuning", [profile()]));
    assert.equal(r.code, 3, r.err);
    assert.match(r.err, /the server is currently unable to handle the request/);
    const pool = w.api.get(MCP, "MachineConfigPool", "worker")!;
    assert.equal(pool.spec.paused, false, r.err);
    assert.equal(pool.metadata.annotations?.["llw.openshift.io/paused-by"], undefined);
  });
});

describe("simulated cluster: llw tune apply names what blocks a drain", () => {
  let w: World;
  afterEach(() => w.stop());

  /** The repository's profile for c5.metal with one more 1G page per NUMA node: a new render for worker-rt. */
  function changedProfile(): Record<string, unknown> {
    const p = parseYaml(
      readFileSync(join(ROOT, "gitops", "overlays", "aws", "performance-profiles", "c5.metal.yaml"), "utf8"),
    );
    for (const page of p.spec.hugepages.pages) page.count -= 1;
    return p;
  }

  it("a VM pinned to the only tuned node with evictionStrategy LiveMigrate: exit 3 naming the VirtualMachine and the fix, not a timeout", async () => {
    w = await startWorld({ scenario: "drain-blocked-by-vm" });
    const r = await w.llw("tune", "apply", writeChangeSet(w, "tuning", [changedProfile()]));
    assert.equal(r.code, 3, r.err);
    assert.match(
      r.err,
      /the drain of node ip-10-0-1-10\.us-east-2\.compute\.internal is blocked by VirtualMachine low-latency-workshop\/low-latency-vm: it runs on ip-10-0-1-10\.us-east-2\.compute\.internal with evictionStrategy LiveMigrate \(the cluster's default\), but its live migration cannot start: the migration target pod virt-launcher-low-latency-vm-\w+ is Pending \(0\/5 nodes are available: /,
    );
    assert.match(r.err, /where: VirtualMachine low-latency-workshop\/low-latency-vm/);
    assert.match(
      r.err,
      /set spec\.template\.spec\.evictionStrategy: None on VirtualMachine low-latency-workshop\/low-latency-vm/,
    );
    assert.doesNotMatch(r.err, /timed out/);
    assert.ok(w.sim.stats.evictionsRefused > 0, "the MCO's evictions were refused");
    assert.equal(w.sim.stats.reboots, 0);
  });

  it("a PodDisruptionBudget that allows no disruption: exit 3 naming the budget and how to let the pod go", async () => {
    w = await startWorld({ scenario: "drain-blocked-by-pdb" });
    const r = await w.llw("tune", "apply", writeChangeSet(w, "tuning", [changedProfile()]));
    assert.equal(r.code, 3, r.err);
    assert.match(
      r.err,
      /the drain of node ip-10-0-1-10\.us-east-2\.compute\.internal is blocked by PodDisruptionBudget low-latency-workshop\/latency-probe: it allows no disruption \(minAvailable 1, 1 healthy of 1 needed\) and covers pod latency-probe-0/,
    );
    assert.match(r.err, /oc delete pdb -n low-latency-workshop latency-probe/);
    assert.doesNotMatch(r.err, /timed out/);
  });
});
