/** The node CPU analysis as text, for `llw bench show` (and the guide's sample outputs). */
import { formatCpuList } from "../lib/cpuset.ts";
import type { NodeCpuAnalysis } from "./node-cpu.ts";

const pct = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(1)}%`);
const cpus = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(2));

/** `points`: the Prometheus points inside the job that mean and peak rest on. */
export const NODE_CPU_HEAD = [
  "job",
  "CPUs",
  "count",
  "points",
  "mean busy",
  "peak busy",
  "kubelet peak",
  "CRI-O peak",
];

/** Table rows per node and job: reserved, isolated, all. */
export function nodeCpuRows(a: NodeCpuAnalysis): { title: string; rows: string[][] }[] {
  return a.nodes.map((n) => ({
    title: `node ${n.node}${n.profile ? ` (PerformanceProfile ${n.profile}: reserved ${formatCpuList(n.reserved)}, isolated ${formatCpuList(n.isolated)})` : ""}`,
    rows: n.jobs.flatMap((j) => {
      type Set = { cpus: number; meanPct: number; peakPct: number };
      const row = (name: string, set: Set, kubelet = "", crio = "") => [
        j.job,
        name,
        String(set.cpus),
        String(j.points),
        pct(set.meanPct),
        pct(set.peakPct),
        kubelet,
        crio,
      ];
      return [
        ...(j.reserved
          ? [row("reserved", j.reserved, cpus(j.kubelet?.peakCpus), cpus(j.crio?.peakCpus))]
          : []),
        ...(j.isolated ? [row("isolated", j.isolated)] : []),
        row("all", j.all),
      ];
    }),
  }));
}

/** The findings and what was not collected, one line each. */
export function nodeCpuLines(a: NodeCpuAnalysis): string[] {
  const out: string[] = [];
  for (const x of a.api)
    out.push(`API server P99 during ${x.job}: ${x.peakSeconds} s at its peak (${x.verb || "all verbs"})`);
  for (const f of a.findings)
    out.push(
      `${f.level === "bottleneck" ? "BOTTLENECK" : f.level === "warning" ? "WARNING" : f.level}: ${f.text}${f.node && a.nodes.length > 1 ? ` (${f.node})` : ""}`,
    );
  for (const n of a.notes) out.push(`note: ${n}`);
  if (a.missing.length)
    out.push(
      `not collected: ${a.missing.join(", ")} (no documents: Prometheus was not reached, or the cluster does not export them)`,
    );
  return out;
}
