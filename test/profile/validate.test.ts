import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatCpuList } from "../../src/lib/cpuset.ts";
import { planProfile } from "../../src/profile/plan.ts";
import { validateProfile } from "../../src/profile/validate.ts";
import { getInstanceType, topologyOf } from "../../src/topology/catalog.ts";
import { parseLscpu } from "../../src/topology/lscpu.ts";

const c5 = topologyOf(getInstanceType("c5.metal"));
function profile(spec: Record<string, unknown>) {
  return {
    apiVersion: "performance.openshift.io/v2",
    kind: "PerformanceProfile",
    metadata: { name: "p" },
    spec: {
      cpu: { reserved: "0,24,48,72", isolated: "1-23,25-47,49-71,73-95" },
      nodeSelector: { "node-role.kubernetes.io/worker-rt": "" },
      ...spec,
    },
  };
}
const messages = (obj: unknown, t = undefined as typeof c5 | undefined) =>
  validateProfile(obj, t).map((f) => `${f.severity} ${f.path}: ${f.message}`);

describe("validateProfile: the admission webhook's rules, with its wording", () => {
  it("a good profile has no findings", () => {
    assert.deepEqual(messages(profile({}), c5), []);
  });
  it("cpu section, reserved and isolated are required and non-empty", () => {
    assert.deepEqual(messages({ ...profile({}), spec: { nodeSelector: { "a/b": "" } } }), [
      "error spec.cpu: cpu section required",
    ]);
    assert.deepEqual(messages(profile({ cpu: {} })), [
      "error spec.cpu.isolated: isolated CPUs required",
      "error spec.cpu.reserved: reserved CPUs required",
    ]);
    assert.deepEqual(messages(profile({ cpu: { reserved: "", isolated: "" } })), [
      "error spec.cpu.reserved: reserved CPUs can not be empty",
      "error spec.cpu.isolated: isolated CPUs can not be empty",
    ]);
  });
  it("reports every pair of overlapping sets", () => {
    assert.deepEqual(
      messages(profile({ cpu: { reserved: "0-3", isolated: "2-7", offlined: "3,7", shared: "9" } })),
      [
        "error spec.cpu: reserved and isolated cpus overlap: [2 3]",
        "error spec.cpu: reserved and offlined cpus overlap: [3]",
        "error spec.cpu: isolated and offlined cpus overlap: [3 7]",
      ],
    );
  });
  it("malformed CPU lists are reported at the field", () => {
    assert.match(
      messages(profile({ cpu: { reserved: "0-x", isolated: "1" } }))[0]!,
      /spec.cpu.reserved: "0-x"/,
    );
  });
  it("selectors: one key each, nodeSelector required and splittable into domain/role", () => {
    assert.deepEqual(
      messages(
        profile({
          nodeSelector: { a: "", b: "" },
          machineConfigPoolSelector: { x: "1", y: "2" },
          machineConfigLabel: { x: "1", y: "2" },
        }),
      ),
      [
        "error spec.machineConfigLabel: you should provide only 1 MachineConfigLabel",
        "error spec.machineConfigPoolSelector: you should provide only 1 MachineConfigPoolSelector",
        "error spec.nodeSelector: you should provide ony 1 NodeSelector",
      ],
    );
    assert.deepEqual(messages(profile({ nodeSelector: { worker: "" } })), [
      "error spec.nodeSelector: machineConfigLabels or machineConfigPoolSelector are not set, but we can not set it automatically because of an invalid NodeSelector label key that can't be split into domain/role",
    ]);
    const noSel = profile({});
    delete (noSel.spec as Record<string, unknown>).nodeSelector;
    assert.ok(messages(noSel).includes("error spec.nodeSelector: the nodeSelector required"));
  });
  it("x86 hugepage sizes and duplicates", () => {
    assert.deepEqual(
      messages(
        profile({
          hugepages: {
            defaultHugepagesSize: "32M",
            pages: [
              { size: "1G", count: 4, node: 0 },
              { size: "1G", count: 4, node: 0 },
              { size: "2M", count: 4 },
              { size: "2M", count: 8 },
              { size: "512M", count: 1 },
            ],
          },
        }),
      ),
      [
        "error spec.hugepages.defaultHugepagesSize: hugepages default size should be equal to one of [2M 1G]",
        'error spec.hugepages.pages: the page with the size "1G" and with specified NUMA node 0, has duplication',
        'error spec.hugepages.pages: the page with the size "2M" and without the specified NUMA node, has duplication',
        "error spec.hugepages.pages[4].size: the page size should be equal to one of [2M 1G]",
      ],
    );
  });
  it("workload hints: realTime off with the RT kernel, high power with per-pod, mixedCpus without shared", () => {
    assert.deepEqual(
      messages(
        profile({
          realTimeKernel: { enabled: true },
          workloadHints: {
            realTime: false,
            highPowerConsumption: true,
            perPodPowerManagement: true,
            mixedCpus: true,
          },
        }),
      ),
      [
        "error spec.workloadHints.realTime: realtime kernel is enabled, but realtime workload hint is explicitly disable",
        "error spec.workloadHints.HighPowerConsumption: Invalid WorkloadHints configuration: HighPowerConsumption and PerPodPowerManagement can not be both enabled",
        "error spec.workloadHints.MixedCpus: Invalid WorkloadHints configuration: MixedCpus enabled but no shared CPUs were specified",
      ],
    );
  });
  it("net devices: 16-bit hex IDs, device ID needs vendor ID, names not empty", () => {
    assert.deepEqual(
      messages(
        profile({
          net: {
            userLevelNetworking: true,
            devices: [
              { interfaceName: "" },
              { vendorID: "1d0f", deviceID: "0xec20" },
              { deviceID: "0x12345" },
            ],
          },
        }),
      ),
      [
        "error spec.net.devices[0]: device name cannot be empty",
        "error spec.net.devices[1]: device vendor ID 1d0f has an invalid format. Vendor ID should be represented as 0x<4 hexadecimal digits> (16 bit representation)",
        "error spec.net.devices[2]: device model ID 0x12345 has an invalid format. Model ID should be represented as 0x<4 hexadecimal digits> (16 bit representation)",
        "error spec.net.devices[2]: device model ID can not be used without specifying the device vendor ID.",
      ],
    );
    assert.deepEqual(messages(profile({ cpu: { isolated: "1" }, net: { userLevelNetworking: true } })), [
      "error spec.cpu.reserved: reserved CPUs required",
      "error spec.net: can not set network devices queues count without specifying spec.cpu.reserved",
    ]);
  });
  it("topology policy, kernel page size and hardware tuning", () => {
    assert.deepEqual(
      messages(
        profile({
          numa: { topologyPolicy: "sometimes" },
          kernelPageSize: "64k",
          hardwareTuning: { isolatedCpuFreq: 0 },
        }),
      ),
      [
        "error spec.kernelPageSize: KernelPageSize should be equal to one of: 4k",
        "error spec.numa.topologyPolicy: unrecognized value for topologyPolicy",
        "error spec.hardwareTuning: both isolated and reserved cpu frequency must be declared",
      ],
    );
  });
});

describe("validateProfile against a host topology", () => {
  it("CPU ids must exist", () => {
    assert.deepEqual(
      messages(profile({ cpu: { reserved: "0,24,48,72", isolated: "1-23,25-47,49-71,73-99" } }), c5),
      ["error spec.cpu.isolated: CPUs 96-99 do not exist on catalog: c5.metal (it has CPUs 0-95)"],
    );
  });
  it("warns about CPUs in no set, except siblings taken offline by nosmt", () => {
    assert.deepEqual(messages(profile({ cpu: { reserved: "0,24,48,72", isolated: "1-23,25-47" } }), c5), [
      "warning spec.cpu: CPUs 49-71,73-95 are in no set (reserved, isolated, offlined or shared); the operator accepts this, but those CPUs get no defined role",
    ]);
    assert.deepEqual(
      messages(
        profile({ cpu: { reserved: "0,24", isolated: "1-23,25-47" }, additionalKernelArgs: ["nosmt"] }),
        c5,
      ),
      [],
    );
  });
  it("SMT siblings split between reserved and isolated are an error unless allowed", () => {
    const p = profile({ cpu: { reserved: "0-1", isolated: "2-95" } });
    assert.deepEqual(messages(p, c5), [
      "error spec.cpu.reserved: SMT siblings split between reserved and isolated on 2 cores (0+48, 1+49): housekeeping on one thread disturbs the isolated sibling; reserve whole cores (or pass --allow-split-cores)",
    ]);
    assert.deepEqual(validateProfile(p, c5, { allowSplitCores: true }), []);
  });
  it("hugepages must fit in each NUMA node's memory", () => {
    assert.deepEqual(
      messages(
        profile({
          hugepages: {
            pages: [
              { size: "1G", count: 100, node: 0 },
              { size: "1G", count: 80, node: 1 },
              { size: "1G", count: 1, node: 3 },
            ],
          },
        }),
        c5,
      ),
      [
        "error spec.hugepages.pages: hugepages on NUMA node 0 need 102400 MiB but the node has 98304 MiB",
        "error spec.hugepages.pages: NUMA node 3 does not exist on catalog: c5.metal",
        "warning spec.hugepages.pages: hugepages take 83% of NUMA node 1's memory; little is left for the OS and other pods",
      ],
    );
  });
});

describe("validateProfile against a tuned node's own lscpu (offlined CPUs are offline there)", () => {
  // c5.metal with 4 CPUs offlined, as PPC plans it; then the node as lscpu sees it once tuned.
  const plan = planProfile(c5, { instanceType: "c5.metal", offlinedCpuCount: 4 });
  const offlined = new Set(plan.cpus.offlined);
  const lines = c5.cores.flatMap((c) =>
    c.cpus.map((cpu) => ({ cpu, core: c.id, socket: c.socket, node: c.node })),
  );
  lines.sort((a, b) => a.cpu - b.cpu);
  const lscpuE = `${[
    "CPU NODE SOCKET CORE ONLINE",
    ...lines.map((r) =>
      offlined.has(r.cpu) ? `${r.cpu} - - - no` : `${r.cpu} ${r.node} ${r.socket} ${r.core} yes`,
    ),
  ].join("\n")}\n`;
  const lscpuP = `${[
    "# CPU,Core,Socket,Node",
    ...lines.filter((r) => !offlined.has(r.cpu)).map((r) => `${r.cpu},${r.core},${r.socket},${r.node}`),
  ].join("\n")}\n`;

  it("lscpu -e lists them offline: they are valid members of offlined, and the profile is valid", () => {
    assert.equal(plan.cpus.offlined.length, 4);
    const tuned = parseLscpu(lscpuE, "tuned-node.txt");
    assert.deepEqual(tuned.offlineCpus, plan.cpus.offlined);
    assert.deepEqual(messages(plan.profile, tuned), []);
  });
  it("an offline CPU in isolated or reserved is an error", () => {
    const tuned = parseLscpu(lscpuE, "tuned-node.txt");
    const first = plan.cpus.offlined[0]!;
    const bad = structuredClone(plan.profile) as unknown as { spec: { cpu: Record<string, string> } };
    bad.spec.cpu.offlined = formatCpuList(plan.cpus.offlined.slice(1));
    bad.spec.cpu.isolated = formatCpuList([...plan.cpus.isolated, first]);
    assert.ok(
      messages(bad, tuned).includes(
        `error spec.cpu.isolated: CPUs ${first} are offline on lscpu: tuned-node.txt; only spec.cpu.offlined may hold offline CPUs`,
      ),
      messages(bad, tuned).join("\n"),
    );
  });
  it("plain lscpu -p lists online CPUs only: offlined CPUs missing from it are a warning, not an error", () => {
    const tuned = parseLscpu(lscpuP, "tuned-node-p.txt");
    assert.equal(tuned.onlineOnly, true);
    const found = messages(plan.profile, tuned);
    assert.equal(found.filter((m) => m.startsWith("error")).length, 0, found.join("\n"));
    assert.match(
      found.join("\n"),
      /warning spec\.cpu\.offlined: .* lists online CPUs only: they may be offline already/,
    );
    // CPUs that are neither online nor listed offline are still an error in any other set.
    const bad = structuredClone(plan.profile) as unknown as { spec: { cpu: Record<string, string> } };
    bad.spec.cpu.isolated = `${bad.spec.cpu.isolated},200`;
    assert.match(messages(bad, tuned).join("\n"), /error spec\.cpu\.isolated: CPUs 200 do not exist/);
  });
});
