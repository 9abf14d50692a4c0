/**
 * Linux CPU lists ("0-3,8,10-11"), the format of sysfs cpulist files, `taskset -c`, kernel
 * arguments and PerformanceProfile cpu fields.
 */
import { UserError } from "./errors.ts";

/**
 * Parses a CPU list into sorted, de-duplicated CPU ids. Accepts what the kernel accepts:
 * single ids and ranges separated by commas, optional spaces, and an empty string (no CPUs).
 * Throws UserError naming `where` on anything else.
 */
export function parseCpuList(list: string, where = "CPU list"): number[] {
  const text = list.trim();
  if (text === "") return [];
  const ids = new Set<number>();
  for (const raw of text.split(",")) {
    const part = raw.trim();
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) {
      throw new UserError({
        what: `"${part}" in CPU list "${list}" is not a CPU id or a range like 4-7`,
        where,
        next: 'write CPU lists as comma-separated ids and ranges, e.g. "0-3,48-51"',
      });
    }
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    if (end < start) {
      throw new UserError({
        what: `range "${part}" in CPU list "${list}" runs backwards`,
        where,
        next: `write it as ${end}-${start}`,
      });
    }
    if (end - start > 65536) {
      throw new UserError({ what: `range "${part}" is implausibly large`, where });
    }
    for (let i = start; i <= end; i++) ids.add(i);
  }
  return [...ids].sort((a, b) => a - b);
}

/**
 * Formats CPU ids as the kernel and Kubernetes do (k8s.io/utils/cpuset String()): sorted,
 * runs of two or more consecutive ids as "a-b", the rest as single ids.
 */
export function formatCpuList(cpus: Iterable<number>): string {
  const ids = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < ids.length) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j]! + 1) j++;
    parts.push(j > i ? `${ids[i]}-${ids[j]}` : `${ids[i]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** CPUs in both lists, sorted. */
export function intersectCpus(a: Iterable<number>, b: Iterable<number>): number[] {
  const set = new Set(b);
  return [...new Set(a)].filter((x) => set.has(x)).sort((x, y) => x - y);
}

/** CPUs of `a` not in `b`, sorted. */
export function subtractCpus(a: Iterable<number>, b: Iterable<number>): number[] {
  const set = new Set(b);
  return [...new Set(a)].filter((x) => !set.has(x)).sort((x, y) => x - y);
}
