/**
 * The CPU topology of one host: sockets, NUMA nodes, physical cores and their SMT sibling
 * threads, online CPU ids. Every source (the instance-type catalog, `lscpu`, a sysfs snapshot)
 * produces this same model through buildTopology, which also checks it for consistency.
 */
import { type Problem, UserError } from "../lib/errors.ts";

/** One logical CPU as a source reports it. `where` (file:line) is used in error messages. */
export interface CpuRecord {
  cpu: number;
  /** Core id as the source numbers it (lscpu: a global index; sysfs: core_id, per socket). */
  core: number;
  socket: number;
  /** NUMA node; undefined when the source does not say. */
  node: number | undefined;
  where?: string;
}

/** A physical core: its SMT sibling threads share it. */
export interface Core {
  /** Core id from the source; unique within a socket. */
  id: number;
  socket: number;
  node: number;
  /** Logical CPU ids of its threads, ascending. The first is the "first sibling". */
  cpus: number[];
}

export interface NumaNode {
  id: number;
  /** Online CPUs of this node, ascending. */
  cpus: number[];
  /** Cores of this node ordered by their first CPU (the order PPC walks them). */
  cores: Core[];
  memoryMiB?: number;
}

export interface Socket {
  id: number;
  /** Cores of this socket ordered by core id (the order PPC offlines them in). */
  cores: Core[];
}

export interface Topology {
  /** Where the facts come from, e.g. "catalog: c5.metal" or "lscpu -p: node1.txt". */
  source: string;
  /** All online CPU ids, ascending. */
  cpus: number[];
  sockets: Socket[];
  numaNodes: NumaNode[];
  /** Cores ordered by NUMA node, then by first CPU. */
  cores: Core[];
  /** Highest number of threads on any core; 1 means SMT is off or absent. */
  threadsPerCore: number;
  /** Total memory, when the source knows it. */
  memoryMiB?: number;
  /** CPUs the source lists as present but offline. */
  offlineCpus?: number[];
  /** The source lists online CPUs only (plain `lscpu -p`), so which offline CPUs exist is unknown. */
  onlineOnly?: boolean;
}

export interface TopologyMeta {
  source: string;
  memoryMiB?: number;
  /** Memory per NUMA node id, when known (sysfs nodeN/meminfo). */
  nodeMemoryMiB?: Record<number, number>;
  offlineCpus?: number[];
  onlineOnly?: boolean;
  /** Where to point when the input as a whole is wrong (a file name). */
  where?: string;
  /** Core ids are unique across the host (lscpu), so one id on two sockets is an error. */
  globalCoreIds?: boolean;
}

/** The most CPUs a Linux x86 kernel supports (CONFIG_NR_CPUS upper bound, arch/x86/Kconfig). */
export const MAX_CPUS = 8192;

function at(r: CpuRecord, meta: TopologyMeta): string | undefined {
  return r.where ?? meta.where;
}

/**
 * Builds and checks a Topology. Reports every problem together: duplicate CPU ids, CPUs
 * without NUMA information, a core whose threads sit on different sockets or NUMA nodes.
 */
export function buildTopology(records: CpuRecord[], meta: TopologyMeta): Topology {
  const problems: Problem[] = [];
  if (records.length + (meta.offlineCpus?.length ?? 0) > MAX_CPUS) {
    throw new UserError({
      what: `${records.length + (meta.offlineCpus?.length ?? 0)} CPUs: more than Linux supports on x86 (${MAX_CPUS}), so not one host's topology`,
      where: meta.where ?? meta.source,
      next: "check that the input is the lscpu output or sysfs snapshot of one node",
    });
  }
  if (records.length === 0) {
    throw new UserError({
      what: "no online CPUs found",
      where: meta.where ?? meta.source,
      next: "check that the input is complete (lscpu -p output, or a sysfs snapshot with sys/devices/system/cpu)",
    });
  }
  const seen = new Map<number, CpuRecord>();
  for (const r of records) {
    const first = seen.get(r.cpu);
    if (first) {
      problems.push({
        what: `CPU ${r.cpu} is listed twice${first.where ? ` (first at ${first.where})` : ""}`,
        where: at(r, meta),
        next: "each CPU id must appear once; was the input concatenated from two hosts?",
      });
      continue;
    }
    seen.set(r.cpu, r);
    if (r.node === undefined) {
      problems.push({
        what: `CPU ${r.cpu} has no NUMA node`,
        where: at(r, meta),
        next: "capture with `lscpu -p=CPU,Core,Socket,Node` (lscpu -p includes Node), or include sys/devices/system/node in the snapshot",
      });
    }
  }
  const unique = [...seen.values()];
  // Group threads into cores by (socket, core id); a core id is only unique within a socket.
  const coreMap = new Map<string, { recs: CpuRecord[] }>();
  for (const r of unique) {
    const key = `${r.socket}/${r.core}`;
    const c = coreMap.get(key) ?? { recs: [] };
    c.recs.push(r);
    coreMap.set(key, c);
  }
  // A global core index (lscpu) that shows up on two sockets means siblings across sockets.
  const socketsOfCoreId = new Map<number, CpuRecord[]>();
  for (const r of unique) socketsOfCoreId.set(r.core, [...(socketsOfCoreId.get(r.core) ?? []), r]);
  if (meta.globalCoreIds) {
    for (const [coreId, recs] of socketsOfCoreId) {
      const sockets = new Set(recs.map((r) => r.socket));
      if (sockets.size > 1) {
        problems.push({
          what: `core ${coreId} has sibling threads on different sockets (CPUs ${recs.map((r) => `${r.cpu} on socket ${r.socket}`).join(", ")})`,
          where: at(recs[1]!, meta),
          next: "a physical core belongs to one socket; the input is inconsistent or edited",
        });
      }
    }
  }
  const cores: Core[] = [];
  for (const { recs } of coreMap.values()) {
    const nodes = new Set(recs.map((r) => r.node));
    if (nodes.size > 1) {
      problems.push({
        what: `core ${recs[0]!.core} on socket ${recs[0]!.socket} has sibling threads on different NUMA nodes (${recs.map((r) => `CPU ${r.cpu} on node ${r.node}`).join(", ")})`,
        where: at(recs[1]!, meta),
        next: "sibling threads share one core and therefore one NUMA node; the input is inconsistent",
      });
    }
    cores.push({
      id: recs[0]!.core,
      socket: recs[0]!.socket,
      node: recs[0]!.node ?? 0,
      cpus: recs.map((r) => r.cpu).sort((a, b) => a - b),
    });
  }
  if (problems.length > 0) throw new UserError(problems);

  cores.sort((a, b) => a.node - b.node || a.cpus[0]! - b.cpus[0]!);
  const nodeIds = [...new Set(cores.map((c) => c.node))].sort((a, b) => a - b);
  const numaNodes: NumaNode[] = nodeIds.map((id) => {
    const nodeCores = cores.filter((c) => c.node === id);
    const node: NumaNode = {
      id,
      cpus: nodeCores.flatMap((c) => c.cpus).sort((a, b) => a - b),
      cores: nodeCores,
    };
    const mem = meta.nodeMemoryMiB?.[id];
    if (mem !== undefined) node.memoryMiB = mem;
    else if (meta.memoryMiB !== undefined) node.memoryMiB = Math.floor(meta.memoryMiB / nodeIds.length);
    return node;
  });
  const socketIds = [...new Set(cores.map((c) => c.socket))].sort((a, b) => a - b);
  const sockets: Socket[] = socketIds.map((id) => ({
    id,
    cores: cores.filter((c) => c.socket === id).sort((a, b) => a.id - b.id || a.cpus[0]! - b.cpus[0]!),
  }));
  const topo: Topology = {
    source: meta.source,
    cpus: unique.map((r) => r.cpu).sort((a, b) => a - b),
    sockets,
    numaNodes,
    cores,
    threadsPerCore: Math.max(...cores.map((c) => c.cpus.length)),
  };
  const memoryMiB =
    meta.memoryMiB ??
    (meta.nodeMemoryMiB ? Object.values(meta.nodeMemoryMiB).reduce((a, b) => a + b, 0) : undefined);
  if (memoryMiB !== undefined) topo.memoryMiB = memoryMiB;
  if (meta.offlineCpus && meta.offlineCpus.length > 0) topo.offlineCpus = meta.offlineCpus;
  if (meta.onlineOnly) topo.onlineOnly = true;
  return topo;
}

/** True when at least one core runs more than one thread (SMT/Hyper-Threading is on). */
export function smtEnabled(t: Topology): boolean {
  return t.threadsPerCore > 1;
}

/** NUMA node of each CPU. */
export function nodeOfCpu(t: Topology): Map<number, number> {
  const m = new Map<number, number>();
  for (const n of t.numaNodes) for (const c of n.cpus) m.set(c, n.id);
  return m;
}

/** A short human summary: "2 sockets, 2 NUMA nodes, 48 cores, 96 CPUs (SMT on)". */
export function describeTopology(t: Topology): string {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  const smt = smtEnabled(t) ? `SMT on, ${t.threadsPerCore} threads per core` : "SMT off";
  return `${plural(t.sockets.length, "socket")}, ${plural(t.numaNodes.length, "NUMA node")}, ${plural(t.cores.length, "core")}, ${plural(t.cpus.length, "CPU")} (${smt})`;
}
