/**
 * The report's content as plain data: which charts, with which points, which tables. Pure: runs
 * and comparisons in, a serialisable object out; html.ts turns it into the page.
 */
import type { Comparison } from "../results/compare.ts";
import { fmt } from "../results/format.ts";
import type { Group } from "../results/runs.ts";
import { mergeSamples, quantile, type Sample, summarize } from "../results/stats.ts";

export interface CdfLine {
  label: string;
  /** [latency, cumulative fraction] pairs. */
  points: [number, number][];
}

export interface Chart {
  id: string;
  title: string;
  kind: "cdf" | "percentiles" | "histogram";
  unit: string;
  /** cdf: one line per group; percentiles: bars per group; histogram: counts per bucket per group. */
  lines?: CdfLine[];
  /**
   * Jitter: plot the tail, the share of samples above each latency on a log axis; nearly every
   * sample sits at 1-2 us, so a linear CDF hides exactly the spikes that matter.
   */
  tail?: { minPct: number };
  bars?: { labels: string[]; groups: { label: string; values: number[] }[] };
  histogram?: { buckets: number[]; groups: { label: string; counts: number[] }[] };
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
    rows: string[][];
    regressions: number;
    improvements: number;
  }[];
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

/** Every series with samples, once, with the unit and kind of the runs it comes from. */
function seriesNames(groups: Group[]): { name: string; unit: string; jitter: boolean }[] {
  const out: { name: string; unit: string; jitter: boolean }[] = [];
  for (const g of groups)
    for (const r of g.runs)
      for (const s of r.series)
        if (s.sample && s.sample.total > 0 && !out.some((o) => o.name === s.name && o.unit === r.unit))
          out.push({ name: s.name, unit: r.unit, jitter: r.kind === "jitter" });
  return out;
}

/** The series' sample in each run of the group that has it. */
function perRun(g: Group, name: string, unit: string): Sample[] {
  return g.runs
    .filter((r) => r.unit === unit)
    .flatMap((r) =>
      r.series.filter((s) => s.name === name && s.sample && s.sample.total > 0).map((s) => s.sample!),
    );
}

/**
 * Percentile bars: per run, then averaged over the group's runs, the figure the verdict table
 * shows for repeated runs (each run is one observation), so bars and verdicts agree. One run:
 * its own percentiles.
 */
export function percentileBars(samples: Sample[]): number[] {
  const rows = samples.map((x) => {
    const s = summarize(x);
    return [s.p50, s.p95, s.p99, s.p999, s.max];
  });
  return rows[0]!.map((_, i) => rows.reduce((t, r) => t + r[i]!, 0) / rows.length);
}

function pooled(g: Group, name: string, unit: string): Sample | undefined {
  const samples = perRun(g, name, unit);
  return samples.length ? mergeSamples(samples) : undefined;
}

export function buildReport(
  title: string,
  groups: Group[],
  comparisons: Comparison[],
  now: Date,
  compareRow: (r: Comparison["rows"][number]) => string[],
): ReportModel {
  const charts: Chart[] = [];
  let n = 0;
  // Start-up latency (ms) and jitter (us) runs may share a report; each series keeps its own unit.
  for (const { name, unit, jitter } of seriesNames(groups)) {
    const perGroup = groups
      .map((g) => ({ label: g.label, runs: perRun(g, name, unit), sample: pooled(g, name, unit) }))
      .filter((x) => x.sample);
    const largest = Math.max(...perGroup.map((x) => x.sample!.total));
    charts.push({
      id: `c${n++}`,
      // The CDF pictures every sample of a group's runs together (labelled so).
      title: jitter ? `${name}: latency tail (share of samples above, log scale)` : `${name}: latency CDF`,
      kind: "cdf",
      unit,
      lines: perGroup.map((x) => ({
        label: x.runs.length > 1 ? `${x.label} (${x.runs.length} runs' samples)` : x.label,
        points: cdfPoints(x.sample!),
      })),
      ...(jitter ? { tail: { minPct: 100 / largest } } : {}),
    });
    const repeated = perGroup.some((x) => x.runs.length > 1);
    charts.push({
      id: `c${n++}`,
      title: `${name}: percentiles${repeated ? " (mean of the per-run values, as in the verdicts)" : ""}`,
      kind: "percentiles",
      unit,
      bars: {
        labels: ["P50", "P95", "P99", "P99.9", "max"],
        groups: perGroup.map((x) => ({
          label: x.runs.length > 1 ? `${x.label} (mean of ${x.runs.length} runs)` : x.label,
          values: percentileBars(x.runs),
        })),
      },
    });
    if (jitter) {
      const all = new Set<number>();
      for (const x of perGroup) for (const v of x.sample!.values) all.add(Math.round(v));
      const buckets = [...all].sort((a, b) => a - b);
      charts.push({
        id: `c${n++}`,
        title: `${name}: histogram (log scale)`,
        kind: "histogram",
        unit,
        histogram: {
          buckets,
          groups: perGroup.map((x) => ({ label: x.label, counts: histogramOf(x.sample!, buckets) })),
        },
      });
    }
  }
  return {
    title,
    generatedAt: now.toISOString(),
    groups: groups.map((g) => ({
      label: g.label,
      runs: g.runs.map((r) => ({ id: r.id, dir: r.dir, kind: r.kind, metadata: r.metadata })),
    })),
    charts,
    verdicts: comparisons.map((c) => ({
      candidate: c.candidate.label,
      baseline: c.baseline.label,
      rows: c.rows.map(compareRow),
      regressions: c.regressions,
      improvements: c.improvements,
    })),
    warnings: groups.flatMap((g) => g.runs.flatMap((r) => r.warnings.map((w) => `${g.label}/${r.id}: ${w}`))),
  };
}

export { fmt };
