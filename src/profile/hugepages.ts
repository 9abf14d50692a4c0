/**
 * Hugepages for a PerformanceProfile, per NUMA node. VMs with dedicated CPUs and DPDK pods
 * back their memory with hugepages from the NUMA node their CPUs run on, so pages are placed
 * on every node explicitly rather than left to the kernel's even spread.
 */
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
    why = "as requested with --hugepages-per-node";
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
