/**
 * Plans a PerformanceProfile (performance.openshift.io/v2) for a host topology: the CPU sets,
 * workload hints, kernel arguments, topology policy and selectors the Performance Profile
 * Creator would write for the same flags, plus hugepages sized from the host's memory, and the
 * reason for every choice. Pure: facts in, plain objects out.
 */
import { formatCpuList } from "../lib/cpuset.ts";
import { UserError } from "../lib/errors.ts";
import type { Topology } from "../topology/model.ts";
import { calculateCpuSets } from "./cpusets.ts";
import { planHugepages } from "./hugepages.ts";
import { selectorsFor } from "./selectors.ts";
import { validateProfile } from "./validate.ts";

export const POWER_CONSUMPTION_MODES = ["default", "low-latency", "ultra-low-latency"] as const;
export type PowerConsumptionMode = (typeof POWER_CONSUMPTION_MODES)[number];
/** The policies PPC accepts (the operator also accepts "none"). */
export const TOPOLOGY_MANAGER_POLICIES = ["single-numa-node", "best-effort", "restricted"] as const;
export type TopologyManagerPolicy = (typeof TOPOLOGY_MANAGER_POLICIES)[number];
export const HUGEPAGE_SIZES = ["1G", "2M"] as const;
export type HugepageSize = (typeof HUGEPAGE_SIZES)[number];

export interface PlanOptions {
  /** Used for the default profile name (workshop-<type with dots as dashes>). */
  instanceType?: string;
  profileName?: string;
  reservedCpuCount?: number;
  offlinedCpuCount?: number;
  splitReservedCpusAcrossNuma?: boolean;
  disableHt?: boolean;
  powerConsumptionMode?: PowerConsumptionMode;
  perPodPowerManagement?: boolean;
  rtKernel?: boolean;
  topologyManagerPolicy?: TopologyManagerPolicy;
  userLevelNetworking?: boolean;
  /** MachineConfigPool; default worker-rt, or master with singleNode. */
  mcpName?: string;
  singleNode?: boolean;
  hugepagesSize?: HugepageSize;
  /** Pages per NUMA node; 0 turns hugepages off; undefined sizes them from memory. */
  hugepagesPerNode?: number;
}

export interface Reason {
  /** What the reason is about: "reserved", "isolated", "hugepages", ... */
  topic: string;
  text: string;
}

export interface PerformanceProfile {
  apiVersion: "performance.openshift.io/v2";
  kind: "PerformanceProfile";
  metadata: { name: string };
  spec: Record<string, unknown>;
}

export interface ProfilePlan {
  profile: PerformanceProfile;
  cpus: { reserved: number[]; isolated: number[]; offlined: number[] };
  reasons: Reason[];
  warnings: string[];
}

export const DEFAULT_MCP = "worker-rt";
export const DEFAULT_POWER_MODE: PowerConsumptionMode = "low-latency";

/** The profile name the GitOps tree expects for an instance type: workshop-c5-metal. */
export function defaultProfileName(instanceType: string | undefined): string {
  if (!instanceType) return "workshop-performance";
  return `workshop-${instanceType.replaceAll(".", "-")}`;
}

function checkName(name: string): void {
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
    throw new UserError({
      what: `"${name}" is not a valid object name (lowercase letters, digits, '-' and '.')`,
      where: "--profile-name",
    });
  }
}

/** Physical cores per extra housekeeping core on large hosts (the workshop's ratio, about 4%). */
export const CORES_PER_HOUSEKEEPING_CORE = 24;

/**
 * The default housekeeping size, in whole cores, sized from the host:
 * - at least one core per NUMA node: Red Hat's telco core reference design puts core 0 of every
 *   NUMA node in the reserved set, with whole cores (both SMT siblings) in one pool (OpenShift
 *   docs, Telco core reference design, "CPU partitioning and performance tuning");
 * - at least two cores per host: OpenShift's workload partitioning needs at least four hardware
 *   threads for the platform (OpenShift docs, "Workload partitioning");
 * - one core per CORES_PER_HOUSEKEEPING_CORE physical cores beyond that: what housekeeping does
 *   grows with the host (RCU callbacks and timers offloaded from every isolated CPU, kubelet and
 *   CRI-O work per pod, device interrupts); this ratio is the workshop's choice, not Red Hat's.
 * The cores are spread evenly over the NUMA nodes, and at least half the cores stay isolated.
 */
export function defaultReservedCores(t: Topology): { cores: number; perNode: number; why: string[] } {
  const n = Math.max(1, t.numaNodes.length);
  const total = t.cores.length;
  const byScale = Math.ceil(total / CORES_PER_HOUSEKEEPING_CORE);
  const wanted = Math.max(n, 2, byScale);
  const perNode = Math.ceil(wanted / n);
  const cores = Math.min(perNode * n, Math.max(n, Math.floor(total / 2 / n) * n));
  const why = [
    `at least one per NUMA node (${n}: Red Hat's telco core reference design reserves core 0 of each)`,
    "at least two per host (OpenShift's workload partitioning needs four hardware threads for the platform)",
    `one per ${CORES_PER_HOUSEKEEPING_CORE} of its ${total} cores (${byScale}: the workshop's ratio, as housekeeping grows with the host)`,
  ];
  if (perNode * n > wanted) why.push(`rounded up to ${perNode} per NUMA node`);
  if (cores < perNode * n) why.push(`capped so that half the cores stay isolated`);
  return { cores, perNode: cores / n, why };
}

/** The default housekeeping size as a CPU count, with the reason --explain prints. */
function defaultReserved(t: Topology, disableHt: boolean): { count: number; split: boolean; text: string } {
  const threads = disableHt ? 1 : t.threadsPerCore;
  const n = t.numaNodes.length;
  const { cores, perNode, why } = defaultReservedCores(t);
  const count = threads * cores;
  const per = Number.isInteger(perNode)
    ? `${perNode} physical core${perNode === 1 ? "" : "s"} per NUMA node`
    : `${cores} physical cores`;
  const what = `${per} (${count} CPU${count === 1 ? "" : "s"}${threads > 1 ? ", both SMT siblings of each core" : ""})`;
  return {
    count,
    split: n > 1,
    text: `housekeeping gets ${what}, sized from the host: ${why.join(", ")}. Kubelet, CRI-O, systemd, kernel threads, device interrupts and the work offloaded from isolated CPUs stay on them, local to each node's memory and devices; every other core is isolated. Pass --reserved-cpu-count for another size (taken as PPC takes it; an even count with SMT on)`,
  };
}

export function planProfile(topology: Topology, options: PlanOptions = {}): ProfilePlan {
  const reasons: Reason[] = [];
  const mode = options.powerConsumptionMode ?? DEFAULT_POWER_MODE;
  const policy = options.topologyManagerPolicy ?? "restricted";
  const disableHt = options.disableHt ?? false;
  const rtKernel = options.rtKernel ?? false;
  const perPod = options.perPodPowerManagement ?? false;
  const name = options.profileName ?? defaultProfileName(options.instanceType);
  checkName(name);

  // PPC's flag checks, with its wording.
  const problems: { what: string; where: string; next?: string }[] = [];
  if (policy === "single-numa-node" && options.splitReservedCpusAcrossNuma) {
    problems.push({
      what: `not appropriate to split reserved CPUs in case of topology-manager-policy: ${policy}`,
      where: "--split-reserved-cpus-across-numa, --topology-manager-policy",
    });
  }
  if (mode === "default" && rtKernel) {
    problems.push({
      what: `default power consumption mode is not available with real-time kernel, please use one of [low-latency ultra-low-latency] modes`,
      where: "--power-consumption-mode, --rt-kernel",
    });
  }
  if (mode === "ultra-low-latency" && perPod) {
    problems.push({
      what: "please use one of [default low-latency] power consumption modes together with the perPodPowerManagement",
      where: "--power-consumption-mode, --per-pod-power-management",
      next: "per-pod power management saves power on idle pods; ultra-low-latency keeps every CPU at full power",
    });
  }
  if (problems.length > 0) throw new UserError(problems);

  let reservedCount = options.reservedCpuCount;
  let split = options.splitReservedCpusAcrossNuma ?? false;
  if (reservedCount === undefined) {
    const d = defaultReserved(topology, disableHt);
    reservedCount = d.count;
    if (options.splitReservedCpusAcrossNuma === undefined && policy !== "single-numa-node") split = d.split;
    reasons.push({
      topic: "reserved",
      text:
        split || topology.numaNodes.length === 1
          ? d.text
          : `housekeeping gets ${d.count} CPUs (sized from the host as without the flag), not split across NUMA nodes (${
              policy === "single-numa-node" ? "single-numa-node policy" : "as asked"
            }), so all of them come from the first node and the other nodes' interrupts are served remotely. Pass --reserved-cpu-count for a different size`,
    });
  }
  const sets = calculateCpuSets(topology, {
    reservedCpuCount: reservedCount,
    offlinedCpuCount: options.offlinedCpuCount ?? 0,
    splitReservedCpusAcrossNuma: split,
    disableHt,
    highPowerConsumption: mode === "ultra-low-latency",
  });
  reasons.push({
    topic: "reserved",
    text: split
      ? `reserved ${formatCpuList(sets.reserved)}: whole cores split evenly across the ${topology.numaNodes.length} NUMA nodes, lowest cores of each node first (PPC --split-reserved-cpus-across-numa)`
      : `reserved ${formatCpuList(sets.reserved)}: whole cores taken in order from NUMA node ${topology.numaNodes[0]?.id ?? 0}, lowest cores first (PPC's sequential choice)`,
  });
  if (sets.offlined.length > 0) {
    reasons.push({
      topic: "offlined",
      text: `offlined ${formatCpuList(sets.offlined)}: ${mode === "ultra-low-latency" ? "ultra-low-latency keeps sockets powered, so" : "whole unused sockets first, then"} sibling threads, then any CPU (PPC's order)`,
    });
  }
  reasons.push({
    topic: "isolated",
    text: `isolated ${formatCpuList(sets.isolated)}: every other ${disableHt ? "first-thread " : ""}CPU, for Guaranteed pods and VMs with integer CPU requests`,
  });
  if (disableHt) {
    reasons.push({
      topic: "smt",
      text: "--disable-ht: the kernel argument nosmt takes every second sibling offline, so only the first thread of each core is in the sets",
    });
  }

  const spec: Record<string, unknown> = {};
  const kernelArgs = disableHt ? ["nosmt"] : [];
  if (kernelArgs.length > 0) spec.additionalKernelArgs = kernelArgs;
  const cpu: Record<string, string> = { isolated: formatCpuList(sets.isolated) };
  if (sets.offlined.length > 0) cpu.offlined = formatCpuList(sets.offlined);
  cpu.reserved = formatCpuList(sets.reserved);
  spec.cpu = cpu;

  const huge = planHugepages(topology, options.hugepagesSize ?? "1G", options.hugepagesPerNode);
  reasons.push({ topic: "hugepages", text: huge.reason });
  if (huge.spec) spec.hugepages = huge.spec;

  const sel = selectorsFor(options.mcpName ?? (options.singleNode ? "master" : DEFAULT_MCP));
  spec.machineConfigPoolSelector = sel.machineConfigPoolSelector;
  spec.net = { userLevelNetworking: options.userLevelNetworking ?? false };
  spec.nodeSelector = sel.nodeSelector;
  reasons.push({ topic: "selectors", text: sel.reason });
  spec.numa = { topologyPolicy: policy };
  reasons.push({
    topic: "numa",
    text:
      options.topologyManagerPolicy === undefined
        ? "topologyPolicy restricted (PPC's default): a Guaranteed pod is admitted only if its CPUs, memory and devices can be aligned to NUMA nodes, without forcing everything onto one node"
        : `topologyPolicy ${policy}, as requested`,
  });
  spec.realTimeKernel = { enabled: rtKernel };
  reasons.push({
    topic: "kernel",
    text: rtKernel
      ? "real-time kernel (kernel-rt) enabled: bounded worst-case latency at some cost in throughput"
      : "standard kernel: the workshop measures first, then tries --rt-kernel and compares",
  });
  spec.workloadHints = {
    highPowerConsumption: mode === "ultra-low-latency",
    perPodPowerManagement: perPod,
    realTime: mode !== "default",
  };
  reasons.push({
    topic: "power",
    text: {
      default:
        "power mode default: no realTime hint, the node keeps normal power management (PPC's default mode)",
      "low-latency":
        "power mode low-latency: realTime workload hint (nohz_full on isolated CPUs, no timer migration, softirq and RCU offload) with normal power states. This is the workshop's default; PPC's default mode is `default`",
      "ultra-low-latency":
        "power mode ultra-low-latency: realTime plus highPowerConsumption (C-states and P-states off: lowest latency, highest power draw)",
    }[mode],
  });
  const profile: PerformanceProfile = {
    apiVersion: "performance.openshift.io/v2",
    kind: "PerformanceProfile",
    metadata: { name },
    spec,
  };
  return {
    profile,
    cpus: { reserved: sets.reserved, isolated: sets.isolated, offlined: sets.offlined },
    reasons,
    warnings: [...sets.warnings, ...checkPlanned(profile, topology)],
  };
}

/** Which flags decide a field, for messages about a planned profile that fails validation. */
const FLAGS_OF: [prefix: string, flags: string][] = [
  ["spec.hugepages", "--hugepages-per-node, --hugepages-size"],
  ["spec.cpu", "--reserved-cpu-count, --offlined-cpu-count, --split-reserved-cpus-across-numa, --disable-ht"],
  ["spec.nodeSelector", "--mcp-name"],
  ["spec.machineConfigPoolSelector", "--mcp-name"],
  ["spec.workloadHints", "--power-consumption-mode, --per-pod-power-management"],
  ["metadata.name", "--profile-name"],
];

/**
 * The planned profile must pass what `llw profile validate` checks against the same topology
 * (the webhook's rules, CPU ids, hugepages that fit in memory): a plan the operator or the
 * node would reject is refused here, with the flags that led to it. Warnings are passed on.
 */
function checkPlanned(profile: PerformanceProfile, topology: Topology): string[] {
  const findings = validateProfile(profile, topology);
  const errors = findings.filter((f) => f.severity === "error");
  if (errors.length > 0) {
    throw new UserError(
      errors.map((f) => ({
        what: `the planned profile would be rejected: ${f.path}: ${f.message}`,
        where: FLAGS_OF.find(([prefix]) => f.path.startsWith(prefix))?.[1] ?? f.path,
        next: "change the flags named above; `llw profile validate` reports the same problem for a file",
      })),
    );
  }
  return findings.map((f) => `${f.path}: ${f.message}`);
}
