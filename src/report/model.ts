/**
 * The report's content as plain data: which charts, with which points, which tables. Pure: runs
 * and comparisons in, a serialisable object out; html.ts turns it into the page.
 */
import { relative } from "node:path";
import type { Comparison } from "../results/compare.ts";
import {
  type Figure,
  type FigureName,
  figureValue,
  fmtFigure,
  isExact,
  seriesFigure,
} from "../results/figures.ts";
import { emptyReason, fmt } from "../results/format.ts";
import type { CpuUse, NodeCpu } from "../results/node-cpu.ts";
import type { Group, Series } from "../results/runs.ts";
import { mergeSamples, quantile, type Sample } from "../results/stats.ts";
import { type PathContext, redactPaths } from "./redact.ts";

export interface CdfLine {
  label: string;
  /** [latency, cumulative fraction] pairs. */
  points: [number, number][];
}

export interface Chart {
  id: string;
  title: string;
  kind: "cdf" | "percentiles" | "histogram" | "timeline" | "cpus";
  unit: string;
  /** cdf: one line per group; percentiles: bars per group; histogram: counts per bucket per group. */
  lines?: CdfLine[];
  /**
   * Jitter: plot the tail, the share of samples above each latency on a log axis; nearly every
   * sample sits at 1-2 us, so a linear CDF hides exactly the spikes that matter.
   */
  tail?: { minPct: number };
  /**
   * Bars per group; `bounds` marks bars that are only bounds ("≥ 30"), drawn at the bound and
   * hatched. `log` when the values span more than a factor of 20 (a maximum far above the
   * median would flatten every other bar on a linear axis).
   */
  bars?: {
    labels: string[];
    groups: { label: string; values: number[]; bounds: (string | null)[] }[];
    log: boolean;
  };
  /** Counts per bucket, the buckets in numeric order on a numeric axis. */
  histogram?: { buckets: number[]; groups: { label: string; counts: number[] }[] };
  /** A note under the chart (e.g. where overflowed samples are drawn). */
  note?: string;
  /** timeline: busy percent of a CPU set over the job, x in seconds from the job's first sample. */
  timeline?: { lines: { label: string; set: "reserved" | "isolated"; points: [number, number][] }[] };
  /** cpus: each CPU's mean busy percent, user and kernel time, reserved and isolated apart. */
  cpus?: { cpus: number[]; stacks: { label: string; values: number[] }[] };
}

export interface ReportModel {
  title: string;
  generatedAt: string;
  groups: {
    label: string;
    runs: { id: string; dir: string; kind: string; metadata: Record<string, unknown> }[];
  }[];
  charts: Chart[];
  verdicts: {
    candidate: string;
    baseline: string;
    headline: string;
    rows: string[][];
    /** Why the table is empty, when it is. */
    empty?: string;
    unmatched: string[];
    regressions: number;
    improvements: number;
  }[];
  /** Where the CPU time went, per group and run (the metrics profile's documents). */
  findings: { group: string; run: string; node: string; level: string; text: string }[];
  warnings: string[];
}

/** At most `max` points of the empirical CDF, always keeping the tail (where latency lives). */
export function cdfPoints(s: Sample, max = 300): [number, number][] {
  const out: [number, number][] = [];
  if (s.total === 0) return out;
  // Histograms (jitter tools) have few distinct values: every step of the CDF, exactly, so the
  // rare spikes far beyond P99.99 are drawn where they are.
  if (s.counts && s.values.length <= max * 4) {
    let acc = 0;
    for (let i = 0; i < s.values.length; i++) {
      acc += s.counts[i]!;
      out.push([s.values[i]!, acc / s.total]);
    }
    return out;
  }
  // Evenly spaced in the body, denser towards P99.9 and the maximum.
  const ps = new Set<number>();
  for (let i = 0; i <= max * 0.6; i++) ps.add(i / (max * 0.6));
  for (let k = 1; k <= max * 0.4; k++) ps.add(1 - 10 ** (-1 - (3 * k) / (max * 0.4)));
  for (const p of [...ps].sort((a, b) => a - b)) {
    const v = quantile(s, Math.max(p, 1 / s.total));
    const last = out.at(-1);
    if (last && last[0] === v) last[1] = p;
    else out.push([v, p]);
  }
  out.push([s.values[s.values.length - 1]!, 1]);
  return out;
}

/** Counts per 1-unit bucket (histogram samples are already bucketed), capped to `maxBuckets`. */
function histogramOf(s: Sample, buckets: number[]): number[] {
  const idx = new Map(buckets.map((b, i) => [b, i]));
  const counts = buckets.map(() => 0);
  for (let i = 0; i < s.values.length; i++) {
    const v = Math.round(s.values[i]!);
    const j = idx.get(v);
    if (j !== undefined) counts[j]! += s.counts ? s.counts[i]! : 1;
  }
  return counts;
}

/** Every series, once, with the unit and kind of the runs it comes from. */
function seriesNames(groups: Group[]): { name: string; unit: string; jitter: boolean }[] {
  const out: { name: string; unit: string; jitter: boolean }[] = [];
  for (const g of groups)
    for (const r of g.runs)
      for (const s of r.series)
        if (hasFigures(s) && !out.some((o) => o.name === s.name && o.unit === r.unit))
          out.push({ name: s.name, unit: r.unit, jitter: r.kind === "jitter" });
  return out;
}

const hasSamples = (s: Series) => Boolean(s.sample && s.sample.total > 0);
const hasFigures = (s: Series) => hasSamples(s) || Boolean(s.figures?.max || s.figures?.mean);

/** The series in each run of the group that has it. */
function perRun(g: Group, name: string, unit: string): Series[] {
  return g.runs
    .filter((r) => r.unit === unit)
    .flatMap((r) => r.series.filter((s) => s.name === name && hasFigures(s)));
}

/**
 * Bars: per run, then averaged over the group's runs, the figure the verdict table shows for
 * repeated runs (each run is one observation), so bars and verdicts agree. One run: its own
 * figures. A bar that is a bound in any run is marked with how it reads ("≥ 30").
 */
export function figureBars(
  series: Series[],
  names: FigureName[],
): { values: number[]; bounds: (string | null)[] } {
  const figs = names.map((n) => series.map((s) => seriesFigure(s, n)));
  return {
    values: figs.map((f) =>
      f.every(Boolean) ? f.reduce((t, x) => t + figureValue(x), 0) / f.length : Number.NaN,
    ),
    bounds: figs.map((f) => {
      const b = f.find((x): x is Figure => Boolean(x) && !isExact(x));
      return b ? fmtFigure(b) : null;
    }),
  };
}

/** Percentile bars of raw samples (kept for callers that have samples only). */
export function percentileBars(samples: Sample[]): number[] {
  return figureBars(
    samples.map((sample) => ({ name: "", sample, notes: [] })),
    ["P50", "P95", "P99", "P99.9", "max"],
  ).values;
}

function pooled(runs: Series[]): Sample | undefined {
  const samples = runs.filter(hasSamples).map((s) => s.sample!);
  return samples.length === runs.length && samples.length ? mergeSamples(samples) : undefined;
}

const secondsSince = (from: string, t: string) => (Date.parse(t) - Date.parse(from)) / 1000;

/**
 * CPU use of a group's tuned nodes during each job: reserved and isolated busy percent over time
 * (every run of the group) and per CPU (the run where it peaked), on the tuned node whose reserved
 * CPUs peaked highest: where a bottleneck shows. `bench show` and the findings cover every node.
 */
function nodeCpuCharts(g: Group, charts: Chart[], n: number): number {
  const runs = g.runs.filter((r) => r.nodeCpu?.nodes.some((x) => x.jobs.length));
  if (!runs.length) return n;
  const jobs = [...new Set(runs.flatMap((r) => r.nodeCpu!.nodes.flatMap((x) => x.jobs.map((j) => j.job))))];
  for (const job of jobs) {
    // The node (and run) whose reserved CPUs peaked highest during the job.
    let top: { run: (typeof runs)[number]; node: NodeCpu } | undefined;
    let peak = Number.NEGATIVE_INFINITY;
    const names = new Set<string>();
    for (const run of runs)
      for (const node of run.nodeCpu!.nodes) {
        const j = node.jobs.find((x) => x.job === job);
        if (!j) continue;
        names.add(node.node);
        const p = j.reserved?.peakPct ?? j.all.peakPct;
        if (p > peak) {
          peak = p;
          top = { run, node };
        }
      }
    if (!top) continue;
    const first = top.node;
    const lines: NonNullable<Chart["timeline"]>["lines"] = [];
    for (const r of runs) {
      const node = r.nodeCpu!.nodes.find((x) => x.node === first.node);
      const j = node?.jobs.find((x) => x.job === job);
      if (!j?.from) continue;
      const tag = runs.length > 1 ? ` ${r.id}` : "";
      for (const set of ["reserved", "isolated"] as const) {
        const pts = j.timeline.flatMap((p): [number, number][] => {
          const v = set === "reserved" ? p.reservedPct : p.isolatedPct;
          return v === undefined ? [] : [[secondsSince(j.from!, p.t), v]];
        });
        if (pts.length)
          lines.push({
            label: `${set} (${set === "reserved" ? j.reserved?.cpus : j.isolated?.cpus} CPUs)${tag}`,
            set,
            points: pts,
          });
      }
    }
    const which =
      names.size > 1 ? `On the tuned node whose reserved CPUs peaked highest, of ${names.size}. ` : "";
    charts.push({
      id: `c${n++}`,
      title: `${g.label}: CPU busy on ${first.node} during ${job}, reserved vs isolated (%)`,
      kind: "timeline",
      unit: "%",
      timeline: { lines },
      note: `${which}Split by PerformanceProfile ${first.profile ?? "?"}: reserved ${first.reserved.length} CPUs, isolated ${first.isolated.length}; from Prometheus (the workshop's metrics profile).`,
    });
    const j = first.jobs.find((x) => x.job === job);
    if (!j) continue;
    const perCpu = j.perCpu;
    const kernel = (c: CpuUse) => (c.modes.system ?? 0) + (c.modes.irq ?? 0) + (c.modes.softirq ?? 0);
    const pick = (set: string, f: (c: CpuUse) => number) =>
      perCpu.map((c) => (c.set === set ? Math.round(f(c) * 100) / 100 : 0));
    charts.push({
      id: `c${n++}`,
      title: `${g.label}: each CPU of ${first.node} during ${job}, mean busy (%)${runs.length > 1 ? ` (${top.run.id})` : ""}`,
      kind: "cpus",
      unit: "%",
      cpus: {
        cpus: j.perCpu.map((c) => c.cpu),
        stacks: [
          { label: "reserved: user", values: pick("reserved", (c) => c.busyPct - kernel(c)) },
          { label: "reserved: kernel (system, irq, softirq)", values: pick("reserved", kernel) },
          { label: "isolated: user", values: pick("isolated", (c) => c.busyPct - kernel(c)) },
          { label: "isolated: kernel (system, irq, softirq)", values: pick("isolated", kernel) },
        ],
      },
    });
  }
  return n;
}

export function buildReport(
  title: string,
  groups: Group[],
  comparisons: Comparison[],
  now: Date,
  compareRow: (r: Comparison["rows"][number]) => string[],
  paths: PathContext = { cwd: "/" },
  headline: (c: Comparison) => string = () => "",
): ReportModel {
  const charts: Chart[] = [];
  let n = 0;
  // Start-up latency (ms) and jitter (us) runs may share a report; each series keeps its own unit.
  for (const { name, unit, jitter } of seriesNames(groups)) {
    const perGroup = groups
      .map((g) => ({ label: g.label, runs: perRun(g, name, unit) }))
      .filter((x) => x.runs.length)
      .map((x) => ({ ...x, sample: pooled(x.runs) }));
    const sampled = perGroup.filter((x) => x.sample);
    const overflowFrom = Math.min(
      ...perGroup.flatMap((x) => x.runs.filter((s) => (s.overflow ?? 0) > 0).map((s) => s.overflowFrom!)),
    );
    const overflowNote = Number.isFinite(overflowFrom)
      ? `Samples beyond the histogram (at or above ${overflowFrom} ${unit}) are drawn at ${overflowFrom}: their values are unknown.`
      : undefined;
    if (sampled.length) {
      const largest = Math.max(...sampled.map((x) => x.sample!.total));
      charts.push({
        id: `c${n++}`,
        // The CDF pictures every sample of a group's runs together (labelled so).
        title: jitter ? `${name}: latency tail (share of samples above, log scale)` : `${name}: latency CDF`,
        kind: "cdf",
        unit,
        lines: sampled.map((x) => ({
          label: x.runs.length > 1 ? `${x.label} (${x.runs.length} runs' samples)` : x.label,
          points: cdfPoints(x.sample!),
        })),
        ...(jitter ? { tail: { minPct: 100 / largest } } : {}),
        ...(overflowNote ? { note: overflowNote } : {}),
      });
    }
    const repeated = perGroup.some((x) => x.runs.length > 1);
    // Runs with only the tools' summaries (plain cyclictest) have minimum, mean and maximum.
    const summaryOnly = perGroup.every((x) => x.runs.every((s) => !hasSamples(s)));
    const names: FigureName[] = summaryOnly ? ["min", "mean", "max"] : ["P50", "P95", "P99", "P99.9", "max"];
    const bars = perGroup.map((x) => ({
      label: x.runs.length > 1 ? `${x.label} (mean of ${x.runs.length} runs)` : x.label,
      ...figureBars(x.runs, names),
    }));
    const positive = bars.flatMap((b) => b.values).filter((v) => v > 0);
    const log = positive.length > 0 && Math.max(...positive) / Math.min(...positive) > 20;
    charts.push({
      id: `c${n++}`,
      title: `${name}: ${summaryOnly ? "minimum, mean and maximum (the tool's summary)" : "percentiles"}${repeated ? " (mean of the per-run values, as in the verdicts)" : ""}${log ? ", log scale" : ""}`,
      kind: "percentiles",
      unit,
      bars: { labels: names.map((x) => (x === "min" || x === "mean" ? x : x)), groups: bars, log },
      ...(bars.some((b) => b.bounds.some(Boolean))
        ? {
            note: "Hatched bars are bounds (the value lies beyond the histogram's range), drawn at the bound.",
          }
        : {}),
    });
    if (jitter && sampled.length) {
      const all = new Set<number>();
      for (const x of sampled) for (const v of x.sample!.values) all.add(Math.round(v));
      const buckets = [...all].sort((a, b) => a - b);
      charts.push({
        id: `c${n++}`,
        title: `${name}: histogram (log scale)`,
        kind: "histogram",
        unit,
        histogram: {
          buckets,
          groups: sampled.map((x) => ({ label: x.label, counts: histogramOf(x.sample!, buckets) })),
        },
        ...(overflowNote ? { note: overflowNote } : {}),
      });
    }
  }
  const findings: ReportModel["findings"] = [];
  for (const g of groups) {
    for (const r of g.runs)
      for (const f of r.nodeCpu?.findings ?? [])
        findings.push({ group: g.label, run: r.id, node: f.node ?? "", level: f.level, text: f.text });
    n = nodeCpuCharts(g, charts, n);
  }
  return {
    title,
    generatedAt: now.toISOString(),
    findings,
    groups: groups.map((g) => ({
      label: g.label,
      runs: g.runs.map((r) => ({
        id: r.id,
        dir: relative(paths.cwd, r.dir) || ".",
        kind: r.kind,
        metadata: redactPaths(r.metadata, paths) as Record<string, unknown>,
      })),
    })),
    charts,
    verdicts: comparisons.map((c) => ({
      candidate: c.candidate.label,
      baseline: c.baseline.label,
      headline: headline(c),
      rows: c.rows.map(compareRow),
      ...(emptyReason(c) ? { empty: emptyReason(c) } : {}),
      unmatched: c.unmatched,
      regressions: c.regressions,
      improvements: c.improvements,
    })),
    warnings: groups.flatMap((g) =>
      g.runs.flatMap((r) => r.warnings.map((w) => redactPaths(`${g.label}/${r.id}: ${w}`, paths) as string)),
    ),
  };
}

export { fmt };
