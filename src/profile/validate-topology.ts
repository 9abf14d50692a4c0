/**
 * PerformanceProfile checks against a host topology, which the admission webhook cannot make:
 * CPU ids exist, every CPU has a role, SMT siblings stay together, hugepages fit each NUMA node.
 */
import { formatCpuList, subtractCpus } from "../lib/cpuset.ts";
import type { Topology } from "../topology/model.ts";
import type { CpuSetsByName, Emit, Obj, Page, ValidateOptions } from "./validate.ts";

const SIZE_MIB: Record<string, number> = { "2M": 2, "1G": 1024 };

export function validateAgainstTopology(
  spec: Obj,
  sets: CpuSetsByName,
  pages: Page[],
  t: Topology,
  opts: ValidateOptions,
  err: Emit,
  warn: Emit,
): void {
  const online = new Set(t.cpus);
  // A tuned node's own lscpu or sysfs shows the offlined CPUs as offline: they exist.
  const offline = new Set(t.offlineCpus ?? []);
  const has = `it has CPUs ${formatCpuList(t.cpus)}${offline.size > 0 ? `, and ${formatCpuList([...offline])} offline` : ""}`;
  for (const [name, cpus] of sets) {
    const missing = cpus.filter((c) => !online.has(c) && !offline.has(c));
    if (missing.length > 0 && name === "offlined" && t.onlineOnly) {
      warn(
        "spec.cpu.offlined",
        `CPUs ${formatCpuList(missing)} are not in ${t.source}, which lists online CPUs only: they may be offline already; capture \`lscpu -e\` (it lists offline CPUs too) to check them`,
      );
    } else if (missing.length > 0) {
      err(`spec.cpu.${name}`, `CPUs ${formatCpuList(missing)} do not exist on ${t.source} (${has})`);
    }
    const off = name === "offlined" ? [] : cpus.filter((c) => offline.has(c));
    if (off.length > 0) {
      err(
        `spec.cpu.${name}`,
        `CPUs ${formatCpuList(off)} are offline on ${t.source}; only spec.cpu.offlined may hold offline CPUs`,
      );
    }
  }
  const args = Array.isArray(spec.additionalKernelArgs) ? spec.additionalKernelArgs.map(String) : [];
  const nosmt = args.some((a) => a === "nosmt" || a.startsWith("nosmt="));
  // With nosmt the kernel takes every sibling but the first offline, so they belong to no set.
  const expected = nosmt ? t.cores.map((c) => c.cpus[0]!) : t.cpus;
  const covered = [...sets.values()].flat();
  const uncovered = subtractCpus(expected, covered);
  if (uncovered.length > 0) {
    warn(
      "spec.cpu",
      `CPUs ${formatCpuList(uncovered)} are in no set (reserved, isolated, offlined or shared); the operator accepts this, but those CPUs get no defined role`,
    );
  }
  const reserved = new Set(sets.get("reserved") ?? []);
  const isolated = new Set(sets.get("isolated") ?? []);
  if (!opts.allowSplitCores && !nosmt) {
    const split = t.cores.filter(
      (c) => c.cpus.some((x) => reserved.has(x)) && c.cpus.some((x) => isolated.has(x)),
    );
    if (split.length > 0) {
      err(
        "spec.cpu.reserved",
        `SMT siblings split between reserved and isolated on ${split.length} core${split.length === 1 ? "" : "s"} (${split
          .slice(0, 4)
          .map((c) => c.cpus.join("+"))
          .join(
            ", ",
          )}${split.length > 4 ? ", ..." : ""}): housekeeping on one thread disturbs the isolated sibling; reserve whole cores (or pass --allow-split-cores)`,
      );
    }
  }
  for (const n of t.numaNodes) {
    if (n.memoryMiB === undefined) continue;
    const mib = pages
      .filter((p) => p.node === n.id || p.node === undefined)
      .reduce((sum, p) => {
        const each = p.node === undefined ? p.count / t.numaNodes.length : p.count;
        return sum + each * (SIZE_MIB[p.size] ?? 0);
      }, 0);
    if (mib >= n.memoryMiB) {
      // All of it is as wrong as more than all of it: the kernel, kubelet and every other pod on
      // the node need memory that hugepages take away for good.
      err(
        "spec.hugepages.pages",
        mib > n.memoryMiB
          ? `hugepages on NUMA node ${n.id} need ${mib} MiB but the node has ${n.memoryMiB} MiB`
          : `hugepages take all ${n.memoryMiB} MiB of NUMA node ${n.id}'s memory; the OS and other pods need some`,
      );
    } else if (mib > n.memoryMiB * 0.75) {
      warn(
        "spec.hugepages.pages",
        `hugepages take ${Math.round((100 * mib) / n.memoryMiB)}% of NUMA node ${n.id}'s memory; little is left for the OS and other pods`,
      );
    }
  }
  for (const p of pages) {
    if (p.node !== undefined && !t.numaNodes.some((n) => n.id === p.node)) {
      err("spec.hugepages.pages", `NUMA node ${p.node} does not exist on ${t.source}`);
    }
  }
}
