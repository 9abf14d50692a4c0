/**
 * EC2 metal instance types the workshop plans for, so a PerformanceProfile can be planned before
 * the cluster exists. DescribeInstanceTypes gives vCPUs, cores, threads, memory and networking
 * but not sockets or NUMA nodes: those come from the CPU model. The node's own topology
 * (`--lscpu`, `--sysfs`) always wins over this catalog.
 */
import { UserError } from "../lib/errors.ts";
import { buildTopology, type CpuRecord, type Topology } from "./model.ts";

export interface InstanceType {
  name: string;
  vcpus: number;
  cores: number;
  threadsPerCore: number;
  sockets: number;
  numaNodes: number;
  cpuModel: string;
  memoryGiB: number;
  /** NetworkInfo.NetworkPerformance as the EC2 API spells it. */
  networkPerformance: string;
  enaSupport: "required" | "supported" | "unsupported";
  /** NetworkInfo.EfaSupported; null where the catalog does not assert it (read it from the API). */
  efaSupported: boolean | null;
  maxNetworkInterfaces: number;
  /** Where each fact comes from. */
  sources: string[];
}

const EC2_SPECS = "AWS EC2 instance type specifications (docs.aws.amazon.com/ec2/latest/instancetypes)";
const ENI_LIMITS =
  "AWS EC2 user guide, 'Maximum IP addresses per network interface' (network interfaces per type)";
const EFA_LIST = "AWS EC2 user guide, 'Elastic Fabric Adapter: supported instance types'";
const NUMBERING =
  "Linux CPU numbering: the kernel enumerates ACPI MADT entries, which Intel firmware lists first thread of every core socket by socket, then the SMT siblings in the same order (confirmed by public lscpu captures of 2-socket Cascade Lake hosts: NUMA node0 0-23,48-71, node1 24-47,72-95); verify on the node with `lscpu -p`";

function sockets(cpuModel: string, n: number, perSocket: number): string {
  return `${n} x ${cpuModel} (${perSocket} cores each): CPU model from AWS's instance type documentation, cores per socket from Intel's specification of that model; one NUMA node per socket assumed (with sub-NUMA clustering on, the node's lscpu shows more nodes, and it wins)`;
}

function entry(
  e: Omit<InstanceType, "sources" | "enaSupport" | "maxNetworkInterfaces"> & { extraSources?: string[] },
): InstanceType {
  const { extraSources, ...rest } = e;
  return {
    ...rest,
    enaSupport: "required",
    maxNetworkInterfaces: 15,
    sources: [
      `${EC2_SPECS}: vCPUs ${e.vcpus}, cores ${e.cores}, threads per core ${e.threadsPerCore}, memory ${e.memoryGiB} GiB, network ${e.networkPerformance}`,
      sockets(e.cpuModel, e.sockets, e.cores / e.sockets),
      `${ENI_LIMITS}: 15`,
      `${EFA_LIST}: ${e.efaSupported === null ? "not asserted here; read NetworkInfo.EfaSupported from DescribeInstanceTypes" : e.efaSupported ? "listed" : "not listed"}`,
      e.name === "i3.metal"
        ? "Not cross-checked against DescribeInstanceTypes: the EC2 emulator's data (moto 5) lacks i3.metal"
        : "vCPUs, cores, threads, memory, network performance, ENA, EFA and interfaces cross-checked against DescribeInstanceTypes data (moto 5's copy of the EC2 API) by test/topology/catalog-ec2.test.ts",
      NUMBERING,
      ...(extraSources ?? []),
    ],
  };
}

/** The catalog, by instance type name. */
export const INSTANCE_TYPES: readonly InstanceType[] = [
  entry({
    name: "c5.metal",
    vcpus: 96,
    cores: 48,
    threadsPerCore: 2,
    sockets: 2,
    numaNodes: 2,
    cpuModel: "Intel Xeon Platinum 8275CL (Cascade Lake)",
    memoryGiB: 192,
    networkPerformance: "25 Gigabit",
    efaSupported: false,
  }),
  entry({
    name: "c5n.metal",
    vcpus: 72,
    cores: 36,
    threadsPerCore: 2,
    sockets: 2,
    numaNodes: 2,
    cpuModel: "Intel Xeon Platinum 8124M (Skylake)",
    memoryGiB: 192,
    networkPerformance: "100 Gigabit",
    efaSupported: true,
  }),
  entry({
    name: "m5.metal",
    vcpus: 96,
    cores: 48,
    threadsPerCore: 2,
    sockets: 2,
    numaNodes: 2,
    cpuModel: "Intel Xeon Platinum 8175M (Skylake)",
    memoryGiB: 384,
    networkPerformance: "25 Gigabit",
    efaSupported: false,
  }),
  entry({
    name: "m5zn.metal",
    vcpus: 48,
    cores: 24,
    threadsPerCore: 2,
    sockets: 2,
    numaNodes: 2,
    cpuModel: "Intel Xeon Platinum 8252C (Cascade Lake)",
    memoryGiB: 192,
    networkPerformance: "100 Gigabit",
    efaSupported: true,
  }),
  entry({
    name: "i3.metal",
    vcpus: 72,
    cores: 36,
    threadsPerCore: 2,
    sockets: 2,
    numaNodes: 2,
    cpuModel: "Intel Xeon E5-2686 v4 (Broadwell)",
    memoryGiB: 512,
    networkPerformance: "25 Gigabit",
    efaSupported: false,
  }),
  entry({
    name: "c6i.metal",
    vcpus: 128,
    cores: 64,
    threadsPerCore: 2,
    sockets: 2,
    numaNodes: 2,
    cpuModel: "Intel Xeon Platinum 8375C (Ice Lake)",
    memoryGiB: 256,
    networkPerformance: "50 Gigabit",
    efaSupported: true,
  }),
  entry({
    name: "c7i.metal-24xl",
    vcpus: 96,
    cores: 48,
    threadsPerCore: 2,
    sockets: 1,
    numaNodes: 1,
    cpuModel: "Intel Xeon Platinum 8488C (Sapphire Rapids)",
    memoryGiB: 192,
    networkPerformance: "37.5 Gigabit",
    efaSupported: false,
  }),
  entry({
    name: "c7i.metal-48xl",
    vcpus: 192,
    cores: 96,
    threadsPerCore: 2,
    sockets: 2,
    numaNodes: 2,
    cpuModel: "Intel Xeon Platinum 8488C (Sapphire Rapids)",
    memoryGiB: 384,
    networkPerformance: "50 Gigabit",
    efaSupported: true,
  }),
  entry({
    name: "m6i.metal",
    vcpus: 128,
    cores: 64,
    threadsPerCore: 2,
    sockets: 2,
    numaNodes: 2,
    cpuModel: "Intel Xeon Platinum 8375C (Ice Lake)",
    memoryGiB: 512,
    networkPerformance: "50 Gigabit",
    efaSupported: true,
  }),
  entry({
    name: "r5.metal",
    vcpus: 96,
    cores: 48,
    threadsPerCore: 2,
    sockets: 2,
    numaNodes: 2,
    cpuModel: "Intel Xeon Platinum 8175M (Skylake)",
    memoryGiB: 768,
    networkPerformance: "25 Gigabit",
    efaSupported: false,
  }),
];

/** Looks up an instance type; throws a UserError listing the known ones and the alternatives. */
export function getInstanceType(name: string): InstanceType {
  const t = INSTANCE_TYPES.find((x) => x.name === name.trim().toLowerCase());
  if (t) return t;
  throw new UserError({
    what: `unknown instance type "${name}"; the catalog knows ${INSTANCE_TYPES.map((x) => x.name).join(", ")}`,
    where: "--instance-type",
    next: "pass the node's real topology instead: --lscpu FILE (from `oc debug node/<node> -- chroot /host lscpu -p`) or --sysfs DIR|TGZ (e.g. must-gather's nodes/<node>/sysinfo.tgz)",
  });
}

/**
 * The Linux view of an instance type: CPU ids numbered as the kernel numbers them on these
 * Intel hosts (first threads socket by socket, then the siblings in the same order), one NUMA
 * node per socket. Core ids are global (as `lscpu -p` prints them).
 */
export function topologyOf(t: InstanceType): Topology {
  const perSocket = t.cores / t.sockets;
  const records: CpuRecord[] = [];
  for (let thread = 0; thread < t.threadsPerCore; thread++) {
    for (let s = 0; s < t.sockets; s++) {
      for (let c = 0; c < perSocket; c++) {
        const core = s * perSocket + c;
        records.push({ cpu: thread * t.cores + core, core, socket: s, node: (s * t.numaNodes) / t.sockets });
      }
    }
  }
  return buildTopology(records, {
    source: `catalog: ${t.name}`,
    memoryMiB: t.memoryGiB * 1024,
    globalCoreIds: true,
  });
}
