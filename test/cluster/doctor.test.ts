import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  CHECKS,
  expectedKernelArgs,
  isMetal,
  parseQuantity,
  runChecks,
} from "../../src/cluster/doctor/checks.ts";
import type { ClusterFacts } from "../../src/cluster/doctor/facts.ts";
import { PRESENT_MARK, PROBE_MARK, parseProbeOutput } from "../../src/cluster/doctor/node-probe.ts";
import type { KubeObject } from "../../src/cluster/kube.ts";
import type { Obj } from "../sim/apiserver.ts";
import { cond, debugPods, installWorkshop, TUNED_CMDLINE, tunedCmdline } from "../sim/fixtures.ts";
import { startWorld, type World } from "./world.ts";

const W1 = "ip-10-0-1-10.us-east-2.compute.internal";

function statusOf(out: string, id: string): string | undefined {
  return out
    .split("\n")
    .find((l) => l.includes(` ${id} `) || l.split(/\s{2,}/)[1] === id)
    ?.split(/\s+/)[0];
}

describe("simulated cluster: llw doctor", () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld();
    await installWorkshop(w.sim);
    debugPods(w.sim, "llw-debug", () => ({
      phase: "Succeeded",
      log: `${TUNED_CMDLINE}\n${PROBE_MARK}\n2-47,50-95\n`,
    }));
  });
  afterEach(() => w.stop());

  it("a fully installed and tuned cluster passes every check (exit 0), reading the nodes through debug pods that are cleaned up", async () => {
    const r = await w.llw("doctor", "--no-aws");
    assert.equal(r.code, 0, r.out + r.err);
    for (const c of CHECKS)
      assert.ok(
        ["PASS", "SKIP"].includes(statusOf(r.out, c.id) ?? ""),
        `${c.id}: ${statusOf(r.out, c.id)}\n${r.out}`,
      );
    assert.equal(statusOf(r.out, "node-cpus"), "PASS");
    assert.match(r.out, /ready for the workshop/);
    const created = w.api.requests.filter((q) => q.method === "POST" && q.path.includes("/pods"));
    assert.equal(created.length, 2, "one debug pod per tuned node");
    assert.equal(w.api.list("v1", "Pod", "llw-debug").length, 0, "debug pods deleted");
  });

  it("-o json gives every check with status, evidence and fix", async () => {
    const r = await w.llw("doctor", "--no-node-access", "--no-aws", "-o", "json");
    assert.equal(r.code, 0, r.err);
    const data = JSON.parse(r.out) as { results: { id: string; status: string; evidence: string }[] };
    assert.deepEqual(
      data.results.map((x) => x.id),
      CHECKS.map((c) => c.id),
    );
    assert.equal(data.results.find((x) => x.id === "node-cpus")?.status, "SKIP");
    assert.match(data.results.find((x) => x.id === "hugepages")?.evidence ?? "", /16 x 1G/);
    assert.equal(
      w.api.requests.filter((q) => q.method === "POST").length,
      0,
      "--no-node-access starts no pod",
    );
  });

  it("a failed CSV and an unsynced Application are FAIL with the cluster's message (exit 1)", async () => {
    const sub = w.api.get(
      "operators.coreos.com/v1alpha1",
      "Subscription",
      "sriov-network-operator",
      "openshift-sriov-network-operator",
    )!;
    w.api.update(
      "operators.coreos.com/v1alpha1",
      "ClusterServiceVersion",
      sub.status.currentCSV,
      "openshift-sriov-network-operator",
      {
        status: {
          phase: "Failed",
          reason: "InstallCheckFailed",
          message: "install timeout: deployment sriov-network-operator not ready",
        },
      },
    );
    w.api.update("argoproj.io/v1alpha1", "Application", "tuning", "openshift-gitops", {
      status: {
        sync: { status: "OutOfSync" },
        health: { status: "Degraded", message: "PerformanceProfile is degraded" },
      },
    });
    const r = await w.llw("doctor", "--no-node-access");
    assert.equal(r.code, 1);
    assert.equal(statusOf(r.out, "operator-sriov-network-operator"), "FAIL");
    assert.match(r.out, /install timeout: deployment sriov-network-operator not ready/);
    assert.match(r.out, /tuning: OutOfSync\/Degraded \(PerformanceProfile is degraded\)/);
    assert.match(r.out, /check\(s\) failed/);
  });

  it("a node still booted without the profile's kernel arguments fails node-cpus", async () => {
    await w.stop();
    w = await startWorld();
    await installWorkshop(w.sim);
    debugPods(w.sim, "llw-debug", (pod) => ({
      phase: "Succeeded",
      log:
        pod.spec.nodeName === W1
          ? `BOOT_IMAGE=/vmlinuz root=UUID=1 rw\n${PROBE_MARK}\n\n`
          : `${TUNED_CMDLINE}\n${PROBE_MARK}\n2-47,50-95\n`,
    }));
    const r = await w.llw("doctor", "-o", "json");
    assert.equal(r.code, 1);
    const nc = (JSON.parse(r.out) as { results: Obj[] }).results.find((x) => x.id === "node-cpus")!;
    assert.equal(nc.status, "FAIL");
    assert.match(
      nc.evidence,
      new RegExp(
        `${W1.replace(/\./g, "\\.")}: missing rcu_nocbs=2-47,50-95 nohz_full=2-47,50-95 systemd.cpu_affinity=0-1,48-49 default_hugepagesz=1G`,
      ),
    );
  });

  it("node-cpus: a profile whose reserved CPUs are not every non-isolated CPU passes when NTO's systemd.cpu_affinity (all CPUs minus isolated) is booted", async () => {
    // Reserved 0-1 only: CPUs 48-49 are neither reserved nor isolated; NTO's TuneD profile
    // still puts them in systemd.cpu_affinity (cpulist_invert of the isolated CPUs), as TUNED_CMDLINE shows.
    // The pool is paused so that the profile change does not start a reboot while doctor reads the
    // nodes (a rebooting node runs no debug pod): the nodes stay booted as TUNED_CMDLINE says.
    for (const pool of w.api.list("machineconfiguration.openshift.io/v1", "MachineConfigPool"))
      w.api.update(pool.apiVersion, pool.kind, pool.metadata.name, undefined, { spec: { paused: true } });
    w.api.update("performance.openshift.io/v2", "PerformanceProfile", "workshop-c5-metal", undefined, {
      spec: { cpu: { reserved: "0-1", isolated: "2-47,50-95" } },
    });
    const r = await w.llw("doctor", "-o", "json");
    const nc = (JSON.parse(r.out) as { results: Obj[] }).results.find((x) => x.id === "node-cpus")!;
    assert.equal(nc.status, "PASS", nc.evidence);
    assert.match(nc.evidence, /reserved 0-1/);
  });

  it("node-cpus: hugepagesz/hugepages must match the profile's pages (a node booted with 8 of 16 pages FAILs)", async () => {
    await w.stop();
    w = await startWorld();
    await installWorkshop(w.sim);
    debugPods(w.sim, "llw-debug", () => ({
      phase: "Succeeded",
      log: `${TUNED_CMDLINE.replace("hugepages=16", "hugepages=8")}\n${PROBE_MARK}\n2-47,50-95\n${PRESENT_MARK}\n0-95\n`,
    }));
    const r = await w.llw("doctor", "-o", "json");
    assert.equal(r.code, 1);
    const nc = (JSON.parse(r.out) as { results: Obj[] }).results.find((x) => x.id === "node-cpus")!;
    assert.equal(nc.status, "FAIL");
    assert.match(nc.evidence, new RegExp(`${W1.replace(/\./g, "\\.")}: missing hugepagesz=1G hugepages=16`));
  });

  it("the repository's c5.metal profile on the worker-rt pool, booted as NTO boots it, passes every check (the guide's sample world)", async () => {
    // A world whose debug pods print `cmdline` (the kubelet simulator of beforeEach prints the default one).
    const tuned = async (edit: (cmdline: string) => string) => {
      await w.stop();
      w = await startWorld({ scenario: "tuned-c5-metal" });
      await installWorkshop(w.sim);
      const profile = w.api.get("performance.openshift.io/v2", "PerformanceProfile", "workshop-c5-metal")!;
      const cmdline = edit(tunedCmdline(profile, 96));
      debugPods(w.sim, "llw-debug", () => ({
        phase: "Succeeded",
        log: `${cmdline}\n${PROBE_MARK}\n\n${PRESENT_MARK}\n0-95\n`,
      }));
      return { cmdline, r: await w.llw("doctor", "--no-aws") };
    };
    const { cmdline, r } = await tuned((c) => c);
    assert.match(cmdline, /systemd\.cpu_affinity=0,24,48,72 /);
    assert.doesNotMatch(cmdline, / hugepagesz=/, "pages pinned to a NUMA node are not kernel arguments");
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /machineconfigpool-updated +master 3\/3, worker 0\/0, worker-rt 2\/2/);
    assert.match(r.out, /96 x 1G/);
    assert.match(r.out, /isolated 1-23,25-47,49-71,73-95, reserved 0,24,48,72/);
    // A node whose systemd still runs on every CPU has not booted into the profile.
    const bad = await tuned((c) => c.replace("systemd.cpu_affinity=0,24,48,72", "systemd.cpu_affinity=0-95"));
    assert.equal(bad.r.code, 1);
    assert.match(bad.r.out, /missing systemd\.cpu_affinity=0,24,48,72/);
  });

  it("--list-checks lists every check, one per line, with what it proves", async () => {
    const r = await w.llw("doctor", "--list-checks");
    assert.equal(r.code, 0);
    const lines = r.out.trim().split("\n");
    assert.equal(lines.length, CHECKS.length);
    assert.match(r.out, /^kvm: metal workers advertise devices\.kubevirt\.io\/kvm/m);
    assert.equal(w.api.requests.length, 0, "listing checks needs no cluster");
  });

  it("a user forbidden to create pods still gets the API checks; node-cpus FAILs saying why", async () => {
    w.api.forbid({ verb: "create", resource: "pods" });
    const r = await w.llw("doctor", "-o", "json");
    assert.equal(r.code, 1);
    const nc = (JSON.parse(r.out) as { results: Obj[] }).results.find((x) => x.id === "node-cpus")!;
    assert.match(
      nc.evidence,
      /could not read \(forbidden: pods is forbidden: User "kube:admin" cannot create/,
    );
  });

  it("a user forbidden to list nodes gets exit 3 and the server's reason", async () => {
    w.api.forbid({ verb: "list", resource: "nodes" });
    const r = await w.llw("doctor", "--no-node-access");
    assert.equal(r.code, 3);
    assert.match(r.err, /nodes is forbidden/);
  });

  it("an unreachable API is exit 3", async () => {
    const r = await w.llw("doctor", "--context", "unreachable");
    assert.equal(r.code, 3);
    assert.match(r.err, /cannot reach the Kubernetes API/);
  });
});

function facts(over: Record<string, unknown> = {}): ClusterFacts {
  return {
    nodes: [],
    subscriptions: [],
    csvs: [],
    applications: [],
    performanceProfiles: [],
    runtimeClasses: [],
    pools: [],
    hyperConverged: [],
    sriovNodeStates: [],
    sriovPolicies: [],
    networkAttachments: [],
    virtualMachines: [],
    virtualMachineInstances: [],
    argoCds: [],
    routes: [],
    clusterRoleBindings: [],
    unreadable: [],
    now: new Date("2026-12-01T12:00:00Z"),
    ...over,
  } as ClusterFacts;
}
const byId = (f: ClusterFacts, id: string) => runChecks(f).find((r) => r.id === id)!;
const cv = (version: string): Obj => ({
  apiVersion: "config.openshift.io/v1",
  kind: "ClusterVersion",
  metadata: { name: "version" },
  status: { history: [{ state: "Completed", version }] },
});
const worker = (type: string, alloc: Obj = {}): Obj => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: {
    name: `n-${type}`,
    labels: { "node-role.kubernetes.io/worker": "", "node.kubernetes.io/instance-type": type },
  },
  status: { allocatable: alloc },
});

describe("doctor checks (pure)", () => {
  it("openshift-version: 4.18 FAIL, 4.19-4.22 PASS, 4.23 WARN, none FAIL", () => {
    assert.equal(byId(facts({ clusterVersion: cv("4.18.30") }), "openshift-version").status, "FAIL");
    assert.equal(byId(facts({ clusterVersion: cv("4.19.0") }), "openshift-version").status, "PASS");
    assert.equal(byId(facts({ clusterVersion: cv("4.22.1") }), "openshift-version").status, "PASS");
    assert.equal(byId(facts({ clusterVersion: cv("4.23.0") }), "openshift-version").status, "WARN");
    assert.equal(byId(facts(), "openshift-version").status, "FAIL");
  });

  it("metal-workers: none metal FAIL, some WARN, all PASS", () => {
    assert.equal(byId(facts({ nodes: [worker("m6i.xlarge")] }), "metal-workers").status, "FAIL");
    assert.equal(
      byId(facts({ nodes: [worker("m6i.xlarge"), worker("c5.metal")] }), "metal-workers").status,
      "WARN",
    );
    assert.equal(byId(facts({ nodes: [worker("c7i.metal-24xl")] }), "metal-workers").status, "PASS");
    assert.ok(
      isMetal("c7i.metal-48xl") && isMetal("c5.metal") && !isMetal("c5.9xlarge") && !isMetal("metal.large"),
    );
  });

  it("hugepages compares allocatable quantities with the profile's page count", () => {
    const profile: Obj = {
      metadata: { name: "p" },
      spec: {
        nodeSelector: { "node-role.kubernetes.io/worker": "" },
        hugepages: {
          pages: [
            { size: "1G", count: 8 },
            { size: "1G", count: 8, node: 1 },
          ],
        },
      },
    };
    assert.equal(
      byId(
        facts({ performanceProfiles: [profile], nodes: [worker("c5.metal", { "hugepages-1Gi": "16Gi" })] }),
        "hugepages",
      ).status,
      "PASS",
    );
    const r = byId(
      facts({ performanceProfiles: [profile], nodes: [worker("c5.metal", { "hugepages-1Gi": "8Gi" })] }),
      "hugepages",
    );
    assert.equal(r.status, "FAIL");
    assert.match(r.evidence, /8 x 1G, profile asks 16/);
    assert.equal(byId(facts(), "hugepages").status, "SKIP");
  });

  it("kvm: metal workers without devices.kubevirt.io/kvm FAIL", () => {
    assert.equal(byId(facts({ nodes: [worker("c5.metal")] }), "kvm").status, "FAIL");
    assert.equal(
      byId(facts({ nodes: [worker("c5.metal", { "devices.kubevirt.io/kvm": "1k" })] }), "kvm").status,
      "PASS",
    );
  });

  it("sriov: 4.19 needs host-device networks; 4.22 needs synced node states and allocatable resources", () => {
    assert.equal(byId(facts({ clusterVersion: cv("4.19.5") }), "sriov").status, "FAIL");
    const nad = { metadata: { name: "x", namespace: "y" }, spec: { config: '{"type": "host-device"}' } };
    assert.equal(
      byId(facts({ clusterVersion: cv("4.19.5"), networkAttachments: [nad as Obj] }), "sriov").status,
      "PASS",
    );
    const state = (s: string): Obj => ({
      metadata: { name: "n" },
      status: { syncStatus: s, lastSyncError: s === "Failed" ? "no matching NIC" : undefined },
    });
    const policy: Obj = {
      metadata: { name: "pol" },
      spec: { resourceName: "ena", nodeSelector: { "node-role.kubernetes.io/worker": "" } },
    };
    assert.match(
      byId(facts({ clusterVersion: cv("4.22.0"), sriovNodeStates: [state("Failed")] }), "sriov").evidence,
      /no matching NIC/,
    );
    assert.equal(
      byId(
        facts({
          clusterVersion: cv("4.22.0"),
          sriovNodeStates: [state("Succeeded")],
          sriovPolicies: [policy],
          nodes: [worker("c5.metal")],
        }),
        "sriov",
      ).status,
      "FAIL",
    );
    assert.equal(
      byId(
        facts({
          clusterVersion: cv("4.22.0"),
          sriovNodeStates: [state("Succeeded")],
          sriovPolicies: [policy],
          nodes: [worker("c5.metal", { "openshift.io/ena": "1" })],
        }),
        "sriov",
      ).status,
      "PASS",
    );
  });

  it("machineconfigpool-updated: paused is WARN, updating or degraded FAIL", () => {
    const p = (over: Obj): Obj => ({
      metadata: { name: "worker" },
      spec: { paused: false, ...over.spec },
      status: {
        machineCount: 2,
        updatedMachineCount: 2,
        conditions: [cond("Updated", "True"), cond("Degraded", "False")],
        ...over.status,
      },
    });
    assert.equal(byId(facts({ pools: [p({})] }), "machineconfigpool-updated").status, "PASS");
    assert.equal(
      byId(facts({ pools: [p({ spec: { paused: true } })] }), "machineconfigpool-updated").status,
      "WARN",
    );
    assert.equal(
      byId(
        facts({ pools: [p({ status: { updatedMachineCount: 1, conditions: [cond("Updated", "False")] } })] }),
        "machineconfigpool-updated",
      ).status,
      "FAIL",
    );
  });

  it("performance-profile: needs Available, not Degraded, and the RuntimeClass", () => {
    const prof = (conds: Obj[]): Obj => ({ metadata: { name: "p" }, status: { conditions: conds } });
    const rc = { metadata: { name: "performance-p" } } as Obj;
    assert.equal(
      byId(
        facts({ performanceProfiles: [prof([cond("Available", "True")])], runtimeClasses: [rc] }),
        "performance-profile",
      ).status,
      "PASS",
    );
    assert.match(
      byId(facts({ performanceProfiles: [prof([cond("Available", "True")])] }), "performance-profile")
        .evidence,
      /RuntimeClass performance-p missing/,
    );
    assert.equal(
      byId(
        facts({
          performanceProfiles: [
            prof([cond("Available", "False"), cond("Degraded", "True", "x", "bad cpus")]),
          ],
          runtimeClasses: [rc],
        }),
        "performance-profile",
      ).status,
      "FAIL",
    );
  });

  it("expected kernel arguments follow the profile; CPU lists compare as sets", () => {
    const p: Obj = {
      spec: {
        cpu: { isolated: "2-5" },
        hugepages: { defaultHugepagesSize: "1G" },
        additionalKernelArgs: ["nosmt"],
        workloadHints: { realTime: false },
      },
    };
    assert.deepEqual(expectedKernelArgs(p as KubeObject), [
      "rcu_nocbs=2-5",
      "default_hugepagesz=1G",
      "nosmt",
    ]);
    const f = facts({
      performanceProfiles: [
        {
          ...p,
          metadata: { name: "p" },
          spec: { ...p.spec, nodeSelector: { "node-role.kubernetes.io/worker": "" } },
        },
      ],
      nodes: [worker("c5.metal")],
      probes: [
        { node: "n-c5.metal", cmdline: "rcu_nocbs=2,3,4-5 default_hugepagesz=1G nosmt", isolated: "" },
      ],
    });
    assert.equal(byId(f, "node-cpus").status, "PASS");
  });

  it("with balanceIsolated: false the isolated CPUs must show in sysfs", () => {
    const prof = {
      metadata: { name: "p" },
      spec: {
        cpu: { isolated: "2-5", reserved: "0-1", balanceIsolated: false },
        nodeSelector: { "node-role.kubernetes.io/worker": "" },
      },
    };
    const probe = (isolated: string) => [
      { node: "n-c5.metal", cmdline: "rcu_nocbs=2-5 nohz_full=2-5 systemd.cpu_affinity=0,1", isolated },
    ];
    assert.equal(
      byId(
        facts({ performanceProfiles: [prof], nodes: [worker("c5.metal")], probes: probe("2-5") }),
        "node-cpus",
      ).status,
      "PASS",
    );
    assert.match(
      byId(
        facts({ performanceProfiles: [prof], nodes: [worker("c5.metal")], probes: probe("") }),
        "node-cpus",
      ).evidence,
      /isolated is "", profile isolates 2-5/,
    );
  });

  it("node-cpus: systemd.cpu_affinity is every CPU of the node but the isolated ones (NTO's cpulist_invert), not reserved only", () => {
    const prof = (cpu: Obj): Obj => ({
      metadata: { name: "p" },
      spec: {
        cpu,
        nodeSelector: { "node-role.kubernetes.io/worker": "" },
        workloadHints: { realTime: false },
      },
    });
    const node = { ...worker("c5.metal"), status: { capacity: { cpu: "8" } } };
    const run = (cpu: Obj, cmdline: string, present?: string) =>
      byId(
        facts({
          performanceProfiles: [prof(cpu)],
          nodes: [node],
          probes: [{ node: "n-c5.metal", cmdline, isolated: "", ...(present ? { present } : {}) }],
        }),
        "node-cpus",
      );
    const cpu = { reserved: "0-1", isolated: "2-5" };
    // 6-7 are neither reserved nor isolated: NTO still gives them to systemd.
    assert.equal(run(cpu, "rcu_nocbs=2-5 systemd.cpu_affinity=0,1,6,7").status, "PASS");
    const short = run(cpu, "rcu_nocbs=2-5 systemd.cpu_affinity=0-1");
    assert.equal(short.status, "FAIL");
    assert.match(short.evidence, /missing systemd\.cpu_affinity=0-1,6-7/);
    // The node's present CPUs, read by the debug pod, win over its capacity.
    assert.equal(run(cpu, "rcu_nocbs=2-5 systemd.cpu_affinity=0-1,6-11", "0-11").status, "PASS");
    // Offlined CPUs: TuneD inverts against the online CPUs, so either form is what NTO wrote.
    const off = { reserved: "0-1", isolated: "2-5", offlined: "6-7" };
    assert.equal(run(off, "rcu_nocbs=2-5 systemd.cpu_affinity=0-1,6-7").status, "PASS");
    assert.equal(run(off, "rcu_nocbs=2-5 systemd.cpu_affinity=0-1").status, "PASS");
    assert.equal(run(off, "rcu_nocbs=2-5 systemd.cpu_affinity=0").status, "FAIL");
  });

  it("node-cpus: hugepage arguments as NTO writes them (pages pinned to a NUMA node are not kernel arguments)", () => {
    const hp = (pages: Obj[], def = "1G"): KubeObject =>
      ({
        spec: { hugepages: { defaultHugepagesSize: def, pages }, workloadHints: { realTime: false } },
      }) as unknown as KubeObject;
    assert.deepEqual(expectedKernelArgs(hp([{ size: "1G", count: 16 }])), [
      "default_hugepagesz=1G",
      "hugepagesz=1G hugepages=16",
    ]);
    assert.deepEqual(
      expectedKernelArgs(
        hp([
          { size: "1G", count: 48, node: 0 },
          { size: "1G", count: 48, node: 1 },
        ]),
      ),
      ["default_hugepagesz=1G"],
    );
    assert.deepEqual(expectedKernelArgs(hp([{ size: "2M", count: 512, node: 0 }])), [
      "default_hugepagesz=1G",
      "hugepagesz=2M hugepages=0",
    ]);
    const f = (cmdline: string) =>
      byId(
        facts({
          performanceProfiles: [
            {
              metadata: { name: "p" },
              spec: {
                nodeSelector: { "node-role.kubernetes.io/worker": "" },
                hugepages: {
                  defaultHugepagesSize: "1G",
                  pages: [
                    { size: "1G", count: 16 },
                    { size: "2M", count: 256 },
                  ],
                },
              },
            },
          ],
          nodes: [worker("c5.metal")],
          probes: [{ node: "n-c5.metal", cmdline, isolated: "" }],
        }),
        "node-cpus",
      );
    assert.equal(
      f("default_hugepagesz=1G hugepagesz=1G hugepages=16 hugepagesz=2M hugepages=256").status,
      "PASS",
    );
    // The count must follow its own size: 16 pages of 2M and 256 of 1G is not the profile.
    const swapped = f("default_hugepagesz=1G hugepagesz=1G hugepages=256 hugepagesz=2M hugepages=16");
    assert.equal(swapped.status, "FAIL");
    assert.match(swapped.evidence, /missing hugepagesz=1G hugepages=16 hugepagesz=2M hugepages=256/);
    assert.match(f("default_hugepagesz=1G").evidence, /missing hugepagesz=1G hugepages=16/);
  });

  it("parses probe output and quantities", () => {
    assert.deepEqual(parseProbeOutput("n", `a=b c\n${PROBE_MARK}\n2-5\n`), {
      node: "n",
      cmdline: "a=b c",
      isolated: "2-5",
    });
    assert.deepEqual(parseProbeOutput("n", `a=b\n${PROBE_MARK}\n\n${PRESENT_MARK}\n0-95\n`), {
      node: "n",
      cmdline: "a=b",
      isolated: "",
      present: "0-95",
    });
    assert.match(parseProbeOutput("n", "chroot: cannot run").error ?? "", /unexpected output/);
    assert.equal(parseQuantity("16Gi"), 16 * 2 ** 30);
    assert.equal(parseQuantity("1k"), 1000);
    assert.equal(parseQuantity("500m"), 0.5);
    assert.equal(parseQuantity(undefined), 0);
  });

  it("a check that crashes is reported as FAIL, not a crash of the report", () => {
    const r = runChecks(facts(), [
      {
        id: "boom",
        title: "b",
        proves: "p",
        run: () => {
          throw new Error("x");
        },
      },
    ]);
    assert.equal(r[0]?.status, "FAIL");
  });
});
