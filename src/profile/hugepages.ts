/**
 * Hugepages for a PerformanceProfile, per NUMA node. VMs with dedicated CPUs and DPDK pods
 * back their memory with hugepages from the NUMA node their CPUs run on, so pages are placed
 * on every node explicitly rather than left to the kernel's even spread.
 */
import { UserError } from "../lib/errors.ts";
import type { Topology } from "../topology/model.ts";
import type { HugepageSize } from "./plan.ts";

/** Share of each NUMA node's memory given to hugepages by default; the rest stays for the OS. */
export const DEFAULT_HUGEPAGES_SHARE = 0.5;

export interface HugepagesPlan {
  spec?: { defaultHugepagesSize: HugepageSize; pages: { count: number; node: number; size: HugepageSize }[] };
  reason: string;
  /** MiB of hugepages per node (for the CPU map). */
  perNodeMiB: number;
}

const SIZE_MIB: Record<HugepageSize, number> = { "1G": 1024, "2M": 2 };

export function planHugepages(t: Topology, size: HugepageSize, perNode: number | undefined): HugepagesPlan {
  if (perNode === 0) return { reason: "hugepages: none (--hugepages-per-node 0)", perNodeMiB: 0 };
  const nodeMiB = t.numaNodes.map((n) => n.memoryMiB);
  let count = perNode;
  let why: string;
  if (count === undefined) {
    if (nodeMiB.some((m) => m === undefined)) {
      return {
        reason:
          "hugepages: none, because this topology source does not say how much memory each NUMA node has; pass --hugepages-per-node N (and --hugepages-size) to add them",
        perNodeMiB: 0,
      };
    }
    const smallest = Math.min(...(nodeMiB as number[]));
    count = Math.floor((smallest * DEFAULT_HUGEPAGES_SHARE) / SIZE_MIB[size]);
    why = `half of each NUMA node's ${fmtGiB(smallest)} as ${size} pages; the other half stays for the kernel, kubelet, CRI-O and pods that do not use hugepages. Pass --hugepages-per-node to change it`;
  } else {
    const known = t.numaNodes.filter((n) => n.memoryMiB !== undefined);
    const tooSmall = known.filter((n) => count! * SIZE_MIB[size] > n.memoryMiB!);
    if (tooSmall.length > 0) {
      const smallest = Math.min(...known.map((n) => n.memoryMiB!));
      const fit = Math.floor(smallest / SIZE_MIB[size]);
      const half = Math.floor((smallest * DEFAULT_HUGEPAGES_SHARE) / SIZE_MIB[size]);
      throw new UserError({
        what: `${count} x ${size} hugepages per NUMA node need ${fmtGiB(count * SIZE_MIB[size])} on each node, but ${tooSmall
          .map((n) => `NUMA node ${n.id} has ${fmtGiB(n.memoryMiB!)}`)
          .join(", ")} (${t.source})`,
        where: "--hugepages-per-node",
        next: `at most ${fit} x ${size} fit in a node (and none would be left for the OS); leave the flag out for the default, half of the memory (${half} x ${size})`,
      });
    }
    why =
      known.length === t.numaNodes.length
        ? "as requested with --hugepages-per-node"
        : "as requested with --hugepages-per-node (not checked against memory: this topology source does not say how much each NUMA node has)";
  }
  const pages = t.numaNodes.map((n) => ({ count: count!, node: n.id, size }));
  const total = count * t.numaNodes.length;
  return {
    spec: { defaultHugepagesSize: size, pages },
    reason: `hugepages: ${count} x ${size} on each of ${t.numaNodes.length} NUMA node${t.numaNodes.length === 1 ? "" : "s"} (${total} pages, ${fmtGiB(total * SIZE_MIB[size])}): ${why}`,
    perNodeMiB: count * SIZE_MIB[size],
  };
}

function fmtGiB(mib: number): string {
  const g = mib / 1024;
  return `${Number.isInteger(g) ? g : g.toFixed(1)} GiB`;
}
