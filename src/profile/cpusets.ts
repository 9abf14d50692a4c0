/**
 * Reserved, isolated and offlined CPU sets, chosen exactly as the Performance Profile Creator
 * does (openshift/cluster-node-tuning-operator, pkg/performanceprofile/profilecreator/
 * profilecreator.go, CalculateCPUSets), so a profile planned here matches one PPC would write
 * from a must-gather of the same host.
 *
 * - NUMA nodes in id order; within a node, cores by their first CPU; within a core, CPUs
 *   ascending. Reserved CPUs are taken in that order until the count is reached, which gives
 *   whole cores (both siblings) when the count is even.
 * - --disable-ht keeps only the first (lowest) CPU of each core; siblings drop out of every set
 *   and the kernel takes them offline (`nosmt`).
 * - Offlined CPUs: unless in high-power (ultra-low-latency) mode, whole sockets with nothing
 *   reserved first; then sibling threads (not first threads) socket by socket; then any CPU.
 * - Isolated = all remaining CPUs.
 */
import { UserError } from "../lib/errors.ts";
import type { Core, Topology } from "../topology/model.ts";

export interface CpuSetRequest {
  reservedCpuCount: number;
  offlinedCpuCount: number;
  splitReservedCpusAcrossNuma: boolean;
  disableHt: boolean;
  highPowerConsumption: boolean;
}

export interface CpuSets {
  reserved: number[];
  isolated: number[];
  offlined: number[];
  /** Non-fatal notes, e.g. fewer CPUs could be offlined than asked for. */
  warnings: string[];
}

/** PPC's cpuAccumulator: adds CPUs in walk order while the running count is below `max`. */
class Accumulator {
  readonly elems = new Set<number>();
  add(max: number, cores: Core[], keep: (index: number, cpu: number) => boolean = () => true): number {
    const before = this.elems.size;
    for (const core of cores) {
      core.cpus.forEach((cpu, index) => {
        if (this.elems.size < max && keep(index, cpu)) this.elems.add(cpu);
      });
    }
    return this.elems.size - before;
  }
  result(): number[] {
    return [...this.elems].sort((a, b) => a - b);
  }
}

/** The topology PPC plans against: with --disable-ht on an SMT host, first siblings only. */
function effectiveCores(cores: Core[], disableHt: boolean, smt: boolean): Core[] {
  if (!(disableHt && smt)) return cores;
  return cores.map((c) => ({ ...c, cpus: c.cpus.slice(0, 1) }));
}

function reservedSequential(count: number, smt: boolean, nodes: Core[][]): number[] {
  if (count % 2 !== 0 && smt) {
    throw new UserError({
      what: `can't allocate odd number of CPUs from a NUMA Node (--reserved-cpu-count ${count} with SMT on)`,
      where: "--reserved-cpu-count",
      next: `reserve whole cores: use ${count - 1} or ${count + 1}, or add --disable-ht`,
    });
  }
  const acc = new Accumulator();
  for (const cores of nodes) acc.add(count, cores);
  return acc.result();
}

/**
 * PPC's split: cumulative per-node targets, one extra CPU for each of the lowest nodes while a
 * remainder is left. PPC computes the target as (i+1)*perNuma + (n - remainder), which equals
 * this whenever the remainder is 0 or n-1 (so on every 1- and 2-node host) but over-reserves
 * otherwise (e.g. 1 CPU split over 4 nodes gives 3). We keep the requested count there and
 * say so.
 */
function reservedSplit(count: number, smt: boolean, nodes: Core[][], warnings: string[]): number[] {
  const n = nodes.length;
  const perNuma = Math.floor(count / n);
  const remainder = count % n;
  if (remainder !== 0 && remainder !== n - 1) {
    warnings.push(
      `${count} reserved CPUs over ${n} NUMA nodes: the Performance Profile Creator's split formula would reserve more than ${count} here; llw reserves exactly ${count}, one extra CPU on each of the lowest ${remainder} nodes`,
    );
  }
  const acc = new Accumulator();
  nodes.forEach((cores, i) => {
    const max = (i + 1) * perNuma + Math.min(i + 1, remainder);
    if (max % 2 !== 0 && smt) {
      throw new UserError({
        what: `can't allocate odd number of CPUs from a NUMA Node (--reserved-cpu-count ${count} split across ${n} NUMA nodes with SMT on)`,
        where: "--reserved-cpu-count",
        next: `use a count that gives every NUMA node whole cores, e.g. ${2 * n * Math.max(1, Math.round(count / (2 * n)))}`,
      });
    }
    acc.add(max, cores);
  });
  return acc.result();
}

function offlinedCpus(
  topo: Topology,
  count: number,
  reserved: Set<number>,
  disableHt: boolean,
  smt: boolean,
  highPower: boolean,
): { offlined: number[]; short: number } {
  const acc = new Accumulator();
  const sockets = topo.sockets.map((s) => ({
    id: s.id,
    cores: effectiveCores(s.cores, disableHt, smt),
  }));
  let done = 0;
  if (!highPower) {
    for (const s of sockets) {
      const threads = s.cores.reduce((n, c) => n + c.cpus.length, 0);
      const unused = s.cores.every((c) => c.cpus.every((cpu) => !reserved.has(cpu)));
      if (threads <= count - done && unused) done += acc.add(count, s.cores);
    }
  }
  if (done < count) {
    for (const s of sockets)
      done += acc.add(count, s.cores, (index, cpu) => index !== 0 && !reserved.has(cpu));
  }
  if (done < count) {
    for (const s of sockets) done += acc.add(count, s.cores, (_index, cpu) => !reserved.has(cpu));
  }
  return { offlined: acc.result(), short: count - done };
}

/** Computes the three CPU sets; throws UserError (naming the flag) on counts PPC rejects. */
export function calculateCpuSets(topo: Topology, req: CpuSetRequest): CpuSets {
  const smt = topo.threadsPerCore > 1;
  const nodes = topo.numaNodes.map((n) => effectiveCores(n.cores, req.disableHt, smt));
  const total = nodes.flat().reduce((n, c) => n + c.cpus.length, 0);
  const r = req.reservedCpuCount;
  const o = req.offlinedCpuCount;
  if (!Number.isInteger(r) || r <= 0 || r >= total) {
    throw new UserError({
      what: `please specify the reserved CPU count in the range [1,${total - 1}] (got ${r})`,
      where: "--reserved-cpu-count",
      next: "at least one CPU must be reserved for housekeeping and at least one left to isolate",
    });
  }
  if (!Number.isInteger(o) || o < 0 || o >= total) {
    throw new UserError({
      what: `please specify the offlined CPU count in the range [0,${total - 1}] (got ${o})`,
      where: "--offlined-cpu-count",
    });
  }
  if (r + o >= total) {
    throw new UserError({
      what: `please ensure that reserved-cpu-count plus offlined-cpu-count should be in the range [0,${total - 1}] (got ${r} + ${o})`,
      where: "--reserved-cpu-count, --offlined-cpu-count",
      next: "leave at least one CPU to isolate",
    });
  }
  const warnings: string[] = [];
  const reserved = req.splitReservedCpusAcrossNuma
    ? reservedSplit(r, smt && !req.disableHt, nodes, warnings)
    : reservedSequential(r, smt && !req.disableHt, nodes);
  const { offlined, short } = offlinedCpus(
    topo,
    o,
    new Set(reserved),
    req.disableHt,
    smt,
    req.highPowerConsumption,
  );
  if (short > 0) {
    warnings.push(`could not offline enough logical processors (required:${o}, offlined:${o - short})`);
  }
  const taken = new Set([...reserved, ...offlined]);
  const isolated = nodes
    .flat()
    .flatMap((c) => c.cpus)
    .filter((cpu) => !taken.has(cpu))
    .sort((a, b) => a - b);
  return { reserved, isolated, offlined, warnings };
}
