/**
 * The kernel command line a PerformanceProfile should have booted, as the Node Tuning Operator
 * writes it: its openshift-node-performance TuneD profile
 * (assets/performanceprofile/tuned/openshift-node-performance) puts
 *   rcu_nocbs=${isolated_cores} systemd.cpu_affinity=${not_isolated_cores_expanded}
 *   isolcpus=managed_irq,<isolated>   nohz_full=<isolated> (realTime hint)
 *   default_hugepagesz=<size> and hugepagesz=<size> hugepages=<count> per page without a NUMA node
 * where not_isolated_cores_expanded is TuneD's cpulist_invert of the isolated CPUs: every online
 * CPU of the node that is not isolated, whether or not the profile lists it as reserved. Pages
 * pinned to a NUMA node are not kernel arguments (a systemd unit allocates them after boot); a
 * 2M page pinned to a node with a 1G default adds `hugepagesz=2M hugepages=0` so that the kernel
 * creates the 2M sysfs files (components/tuned/tuned.go).
 */
import { formatCpuList, parseCpuList } from "../../lib/cpuset.ts";
import type { KubeObject } from "../kube.ts";

/** The node's CPUs: the present CPUs read on the node, else 0..capacity.cpu-1; undefined when unknown. */
export function nodeCpus(node: KubeObject | undefined, present?: string): number[] | undefined {
  if (present?.trim()) {
    try {
      return parseCpuList(present.trim());
    } catch {
      // fall through to the node's capacity
    }
  }
  const n = Number.parseInt(String(node?.status?.capacity?.cpu ?? ""), 10);
  return Number.isInteger(n) && n > 0 ? Array.from({ length: n }, (_, i) => i) : undefined;
}

const minus = (all: number[], ...sets: (string | undefined)[]): number[] => {
  const out = new Set(all);
  for (const s of sets) if (s) for (const c of parseCpuList(s)) out.delete(c);
  return [...out];
};

/** systemd.cpu_affinity values NTO may have written: every CPU but the isolated ones (and, once offlined CPUs are offline, without them). */
export function cpuAffinityForms(p: KubeObject, cpus: number[]): string[] {
  const isolated = p.spec?.cpu?.isolated as string | undefined;
  const offlined = p.spec?.cpu?.offlined as string | undefined;
  const forms = [formatCpuList(minus(cpus, isolated))];
  if (offlined) forms.push(formatCpuList(minus(cpus, isolated, offlined)));
  return [...new Set(forms)];
}

const normSize = (s: string) => s.toUpperCase().replace(/I?B$/, "");

/**
 * The arguments to look for, in NTO's order. An entry with a space is a sequence that must
 * appear as consecutive tokens (a hugepagesz= and the hugepages= that applies to it).
 * `cpus` are the node's CPUs; without them systemd.cpu_affinity cannot be known and is left out.
 */
export function expectedKernelArgs(p: KubeObject, cpus?: number[]): string[] {
  const s = p.spec ?? {};
  const isolated = s.cpu?.isolated as string | undefined;
  const args: string[] = [];
  if (isolated) {
    args.push(`rcu_nocbs=${isolated}`);
    if (s.workloadHints?.realTime !== false) args.push(`nohz_full=${isolated}`);
    if (cpus) args.push(`systemd.cpu_affinity=${cpuAffinityForms(p, cpus)[0]}`);
  }
  const defaultSize = s.hugepages?.defaultHugepagesSize as string | undefined;
  if (defaultSize) args.push(`default_hugepagesz=${defaultSize}`);
  const pages = (s.hugepages?.pages ?? []) as { size?: string; count?: number; node?: number }[];
  let twoMegOnNode: boolean | undefined;
  for (const page of pages) {
    if (!page.size) continue;
    if (page.node !== undefined && page.node !== null) {
      if (normSize(page.size) === "2M") twoMegOnNode ??= true;
      continue;
    }
    if (normSize(page.size) === "2M") twoMegOnNode = false;
    args.push(`hugepagesz=${page.size} hugepages=${page.count ?? 0}`);
  }
  if (twoMegOnNode && defaultSize && normSize(defaultSize) === "1G") args.push("hugepagesz=2M hugepages=0");
  for (const a of s.additionalKernelArgs ?? []) args.push(a);
  return args;
}

/**
 * With balanceIsolated: false the profile adds isolcpus=domain,..., so the kernel lists the
 * isolated CPUs in /sys/devices/system/cpu/isolated; otherwise (managed_irq only) that file is empty.
 */
export function expectedSysfsIsolated(p: KubeObject): string | undefined {
  return p.spec?.cpu?.balanceIsolated === false && p.spec?.cpu?.isolated
    ? formatCpuList(parseCpuList(p.spec.cpu.isolated))
    : undefined;
}

/** One token matches: same key, and same value (CPU lists compared as sets, sizes as 1G = 1GB). */
function tokenMatches(token: string, arg: string): boolean {
  const [key, value] = arg.split("=", 2) as [string, string | undefined];
  const [k, v] = token.split("=", 2) as [string, string | undefined];
  if (k !== key) return false;
  if (value === undefined || v === value) return true;
  if (v === undefined) return false;
  if (key.endsWith("hugepagesz")) return normSize(v) === normSize(value);
  try {
    return formatCpuList(parseCpuList(v)) === formatCpuList(parseCpuList(value));
  } catch {
    return false;
  }
}

/** Whether the command line carries the argument (or the sequence of consecutive arguments). */
export function argPresent(cmdline: string, arg: string): boolean {
  const tokens = cmdline.trim().split(/\s+/);
  const want = arg.split(" ");
  for (let i = 0; i + want.length <= tokens.length; i++)
    if (want.every((w, j) => tokenMatches(tokens[i + j]!, w))) return true;
  return false;
}

/** The expected arguments missing from a node's command line. */
export function missingKernelArgs(p: KubeObject, cmdline: string, cpus?: number[]): string[] {
  return expectedKernelArgs(p, cpus).filter((a) => {
    if (a.startsWith("systemd.cpu_affinity=") && cpus)
      return !cpuAffinityForms(p, cpus).some((f) => argPresent(cmdline, `systemd.cpu_affinity=${f}`));
    return !argPresent(cmdline, a);
  });
}
