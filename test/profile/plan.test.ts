import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { formatCpuList } from "../../src/lib/cpuset.ts";
import { UserError } from "../../src/lib/errors.ts";
import { defaultProfileName, defaultReservedCores, planProfile } from "../../src/profile/plan.ts";
import { validateProfile } from "../../src/profile/validate.ts";
import { readCrd, validateAgainstCrd } from "../../src/schema/crd.ts";
import { getInstanceType, INSTANCE_TYPES, topologyOf } from "../../src/topology/catalog.ts";
import { buildTopology } from "../../src/topology/model.ts";
import { SCHEMAS_DIR } from "../helpers/tools.ts";
import { ppcBareMetal, smtOff } from "./fixtures.ts";

const crd = readCrd(join(SCHEMAS_DIR, "performanceprofiles.performance.openshift.io.yaml"));

describe("planProfile for every catalog entry", () => {
  for (const it_ of INSTANCE_TYPES) {
    it(`${it_.name}: housekeeping sized from the host (whole cores, the same on each NUMA node, at least 2 per host), the rest isolated, valid against the real CRD and webhook rules`, () => {
      const t = topologyOf(it_);
      assert.equal(t.cpus.length, it_.vcpus);
      assert.equal(t.cores.length, it_.cores);
      assert.equal(t.numaNodes.length, it_.numaNodes);
      const plan = planProfile(t, { instanceType: it_.name });
      assert.equal(plan.profile.metadata.name, `workshop-${it_.name.replaceAll(".", "-")}`);
      const { cores, perNode } = defaultReservedCores(t);
      assert.ok(cores >= 2 && perNode >= 1 && Number.isInteger(perNode));
      assert.equal(
        cores,
        Math.max(2, it_.numaNodes, Math.ceil(it_.cores / 24 / it_.numaNodes) * it_.numaNodes),
      );
      assert.equal(plan.cpus.reserved.length, cores * it_.threadsPerCore);
      // Whole cores on each NUMA node: the lowest cores of each node.
      assert.deepEqual(
        plan.cpus.reserved,
        t.numaNodes.flatMap((n) => n.cores.slice(0, perNode).flatMap((c) => c.cpus)).sort((a, b) => a - b),
      );
      assert.deepEqual(
        [...plan.cpus.reserved, ...plan.cpus.isolated].sort((a, b) => a - b),
        t.cpus,
      );
      const pages = (plan.profile.spec.hugepages as { pages: { count: number; node: number }[] }).pages;
      assert.equal(pages.length, it_.numaNodes);
      assert.equal(pages[0]!.count, Math.floor((it_.memoryGiB / it_.numaNodes) * 0.5));
      assert.deepEqual(validateAgainstCrd(plan.profile, crd), []);
      assert.deepEqual(validateProfile(plan.profile, t), []);
    });
  }

  it("c5.metal: Linux numbering, reserved 0,24,48,72", () => {
    const plan = planProfile(topologyOf(getInstanceType("c5.metal")), { instanceType: "c5.metal" });
    assert.deepEqual(plan.profile.spec.cpu, { isolated: "1-23,25-47,49-71,73-95", reserved: "0,24,48,72" });
    assert.deepEqual(plan.profile.spec.nodeSelector, { "node-role.kubernetes.io/worker-rt": "" });
    assert.deepEqual(plan.profile.spec.machineConfigPoolSelector, {
      "machineconfiguration.openshift.io/role": "worker-rt",
    });
    assert.deepEqual(plan.profile.spec.numa, { topologyPolicy: "restricted" });
    assert.ok(
      plan.reasons.some(
        (r) =>
          r.topic === "reserved" && /1 physical core per NUMA node \(4 CPUs, both SMT siblings/.test(r.text),
      ),
    );
  });

  it("reserved CPUs per type: 4 on the 24- to 48-core hosts, 8 on c6i/m6i (64 cores) and c7i.metal-48xl (96 cores); c7i.metal-24xl (1 NUMA node) gets 2 cores, not 1", () => {
    const reserved = Object.fromEntries(
      INSTANCE_TYPES.map((x) => [
        x.name,
        formatCpuList(planProfile(topologyOf(x), { instanceType: x.name }).cpus.reserved),
      ]),
    );
    assert.deepEqual(reserved, {
      "c5.metal": "0,24,48,72",
      "c5n.metal": "0,18,36,54",
      "m5.metal": "0,24,48,72",
      "m5zn.metal": "0,12,24,36",
      "i3.metal": "0,18,36,54",
      "c6i.metal": "0-1,32-33,64-65,96-97",
      "c7i.metal-24xl": "0-1,48-49",
      "c7i.metal-48xl": "0-1,48-49,96-97,144-145",
      "m6i.metal": "0-1,32-33,64-65,96-97",
      "r5.metal": "0,24,48,72",
    });
  });

  it("the reason names each rule and its source; an explicit --reserved-cpu-count is taken as PPC takes it (sequential, not resized)", () => {
    const t = topologyOf(getInstanceType("c7i.metal-48xl"));
    const text = planProfile(t, { instanceType: "c7i.metal-48xl" }).reasons.find(
      (r) => r.topic === "reserved",
    )!.text;
    assert.match(text, /2 physical cores per NUMA node \(8 CPUs/);
    assert.match(text, /telco core reference design/);
    assert.match(text, /workload partitioning needs four hardware threads/);
    assert.match(text, /one per 24 of its 96 cores \(4/);
    const explicit = planProfile(topologyOf(getInstanceType("c7i.metal-24xl")), {
      instanceType: "c7i.metal-24xl",
      reservedCpuCount: 2,
    });
    assert.equal(formatCpuList(explicit.cpus.reserved), "0,48");
    assert.ok(!explicit.reasons.some((r) => /sized from the host/.test(r.text)));
  });
});

describe("planProfile flags mirror PPC", () => {
  const t = ppcBareMetal();
  it("power modes set the workload hints PPC sets", () => {
    const hints = (mode: "default" | "low-latency" | "ultra-low-latency") =>
      planProfile(t, { reservedCpuCount: 4, powerConsumptionMode: mode }).profile.spec.workloadHints;
    assert.deepEqual(hints("default"), {
      highPowerConsumption: false,
      perPodPowerManagement: false,
      realTime: false,
    });
    assert.deepEqual(hints("low-latency"), {
      highPowerConsumption: false,
      perPodPowerManagement: false,
      realTime: true,
    });
    assert.deepEqual(hints("ultra-low-latency"), {
      highPowerConsumption: true,
      perPodPowerManagement: false,
      realTime: true,
    });
  });
  it("--disable-ht adds nosmt; no other kernel args", () => {
    assert.deepEqual(
      planProfile(t, { reservedCpuCount: 4, disableHt: true }).profile.spec.additionalKernelArgs,
      ["nosmt"],
    );
    assert.equal(planProfile(t, { reservedCpuCount: 4 }).profile.spec.additionalKernelArgs, undefined);
  });
  it("an explicit count without the split flag is sequential, as in PPC", () => {
    const plan = planProfile(t, { reservedCpuCount: 4 });
    assert.equal(formatCpuList(plan.cpus.reserved), "0,2,40,42");
  });
  it("rejects PPC's invalid flag combinations, all together", () => {
    assert.throws(
      () =>
        planProfile(t, {
          reservedCpuCount: 4,
          topologyManagerPolicy: "single-numa-node",
          splitReservedCpusAcrossNuma: true,
          powerConsumptionMode: "default",
          rtKernel: true,
        }),
      (e: unknown) =>
        e instanceof UserError &&
        e.problems.length === 2 &&
        /not appropriate to split reserved CPUs/.test(e.problems[0]!.what) &&
        /not available with real-time kernel/.test(e.problems[1]!.what),
    );
    assert.throws(
      () =>
        planProfile(t, {
          reservedCpuCount: 4,
          powerConsumptionMode: "ultra-low-latency",
          perPodPowerManagement: true,
        }),
      /together with the perPodPowerManagement/,
    );
  });
  it("--mcp-name and --single-node choose the selectors PPC derives from the pool", () => {
    const sno = planProfile(t, { reservedCpuCount: 4, singleNode: true }).profile.spec;
    assert.deepEqual(sno.nodeSelector, { "node-role.kubernetes.io/master": "" });
    assert.deepEqual(sno.machineConfigPoolSelector, {
      "pools.operator.machineconfiguration.openshift.io/master": "",
    });
    const worker = planProfile(t, { reservedCpuCount: 4, mcpName: "worker" }).profile.spec;
    assert.deepEqual(worker.machineConfigPoolSelector, {
      "pools.operator.machineconfiguration.openshift.io/worker": "",
    });
    const cnf = planProfile(t, { reservedCpuCount: 4, mcpName: "worker-cnf" }).profile.spec;
    assert.deepEqual(cnf.machineConfigPoolSelector, {
      "machineconfiguration.openshift.io/role": "worker-cnf",
    });
  });
  it("no memory known: no hugepages unless asked, and it says why", () => {
    const plan = planProfile(t, { reservedCpuCount: 4 });
    assert.equal(plan.profile.spec.hugepages, undefined);
    assert.ok(
      plan.reasons.some((r) => r.topic === "hugepages" && /does not say how much memory/.test(r.text)),
    );
    const asked = planProfile(t, { reservedCpuCount: 4, hugepagesPerNode: 8, hugepagesSize: "2M" });
    assert.deepEqual(asked.profile.spec.hugepages, {
      defaultHugepagesSize: "2M",
      pages: [
        { count: 8, node: 0, size: "2M" },
        { count: 8, node: 1, size: "2M" },
      ],
    });
  });
  it("SMT off: the default is one single-thread core per NUMA node", () => {
    const plan = planProfile(smtOff(), {});
    assert.equal(formatCpuList(plan.cpus.reserved), "0,8");
    assert.equal((plan.profile.spec.hugepages as { pages: { count: number }[] }).pages[0]!.count, 16);
  });
  it("names profiles workshop-<instance type with dots as dashes>", () => {
    assert.equal(defaultProfileName("c7i.metal-24xl"), "workshop-c7i-metal-24xl");
    assert.throws(
      () => planProfile(t, { reservedCpuCount: 4, profileName: "Bad_Name" }),
      /not a valid object name/,
    );
  });
});

describe("default housekeeping when the split is turned off", () => {
  it("single-numa-node policy: the default count comes from node 0 and the reason says so", () => {
    const t = topologyOf(getInstanceType("c5.metal"));
    const plan = planProfile(t, { topologyManagerPolicy: "single-numa-node" });
    assert.equal(formatCpuList(plan.cpus.reserved), "0-1,48-49");
    assert.ok(
      plan.reasons.some((r) => /not split across NUMA nodes \(single-numa-node policy\)/.test(r.text)),
    );
  });
});

describe("the planner refuses what profile validate would reject", () => {
  const c5 = topologyOf(getInstanceType("c5.metal"));
  it("hugepages that cannot fit (1000 x 1G on c5.metal's 96 GiB NUMA nodes): UserError naming the flag and what fits", () => {
    assert.throws(
      () => planProfile(c5, { instanceType: "c5.metal", hugepagesPerNode: 1000 }),
      (e: unknown) =>
        e instanceof UserError &&
        e.problems[0]!.where === "--hugepages-per-node" &&
        /1000 x 1G hugepages per NUMA node need 1000 GiB on each node, but NUMA node 0 has 96 GiB, NUMA node 1 has 96 GiB/.test(
          e.problems[0]!.what,
        ) &&
        /at most 96 x 1G fit/.test(e.problems[0]!.next ?? ""),
    );
    // The same hugepages written by hand are what profile validate rejects.
    const ok = planProfile(c5, { instanceType: "c5.metal", hugepagesPerNode: 0 });
    const pages = [0, 1].map((node) => ({ count: 1000, node, size: "1G" }));
    const hand = {
      ...ok.profile,
      spec: { ...ok.profile.spec, hugepages: { defaultHugepagesSize: "1G", pages } },
    };
    assert.ok(
      validateProfile(hand, c5).some((f) => f.severity === "error" && /need 1024000 MiB/.test(f.message)),
    );
  });
  it("hugepages that fit but leave little memory: planned, with profile validate's warning", () => {
    const plan = planProfile(c5, { instanceType: "c5.metal", hugepagesPerNode: 80 });
    assert.ok(
      plan.warnings.some((w) => /hugepages take 83% of NUMA node 0's memory/.test(w)),
      plan.warnings.join("\n"),
    );
  });
  it("memory unknown (lscpu alone): hugepages as asked, and the reason says they were not checked", () => {
    const t = buildTopology(
      [0, 1, 2, 3].map((cpu) => ({ cpu, core: cpu, socket: 0, node: 0 })),
      { source: "lscpu: x" },
    );
    const plan = planProfile(t, { hugepagesPerNode: 100000 });
    assert.ok(plan.reasons.some((r) => r.topic === "hugepages" && /not checked against memory/.test(r.text)));
  });
});
