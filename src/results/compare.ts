/**
 * Compares a candidate group of runs (e.g. "tuned") with a baseline group, per series and per
 * metric, from the raw samples. A verdict needs both statistical evidence and a change larger
 * than the configured threshold: with millions of jitter samples almost any shift is
 * "significant", and with three pods almost nothing is.
 *
 * Evidence:
 * - both sides repeated (>= 2 runs): the metric of each run is one observation; Welch's t-test
 *   on those (the verdict) with the exact Mann-Whitney p alongside (distribution-free, but it
 *   cannot go below 0.1 with 3 runs per side), and a 95% t-interval of their mean per side;
 * - otherwise (one run on a side): samples pooled per side; quantiles get distribution-free
 *   95% intervals from order statistics and count as different when the intervals do not
 *   overlap; the mean gets a two-sample z-test; the maximum of a single run cannot be tested.
 */
import type { Group } from "./runs.ts";
import {
  mannWhitney,
  mannWhitneyExact,
  meanCI,
  meanDifferenceTest,
  mergeSamples,
  quantile,
  quantileCI,
  type Sample,
  sampleMean,
  welchTest,
} from "./stats.ts";

export const METRICS = ["P50", "P95", "P99", "max", "mean"] as const;
export type Metric = (typeof METRICS)[number];

export type Verdict = "improved" | "regressed" | "no significant change" | "not tested";

export interface CompareOptions {
  /** Relative change (percent) below which a difference is not a verdict. */
  thresholdPct: number;
  /** Smallest absolute change (in the series' unit) that counts. */
  minDelta: number;
  /** Significance level. */
  alpha: number;
  metrics?: readonly Metric[];
}

export const DEFAULT_COMPARE: CompareOptions = { thresholdPct: 5, minDelta: 1, alpha: 0.05 };

export interface MetricRow {
  series: string;
  metric: Metric;
  baseline: number;
  candidate: number;
  delta: number;
  deltaPct: number;
  baselineCI?: [number, number];
  candidateCI?: [number, number];
  /** p-value when the test yields one. */
  p?: number;
  /** With repeated runs: the exact Mann-Whitney p on the per-run values, for comparison. */
  rankP?: number;
  test: string;
  verdict: Verdict;
}

export interface SeriesShift {
  series: string;
  baselineCount: number;
  candidateCount: number;
  /** Mann-Whitney on pooled samples: probability a candidate sample exceeds a baseline one. */
  probCandidateHigher: number;
  p: number;
}

export interface Comparison {
  baseline: { label: string; runs: number };
  candidate: { label: string; runs: number };
  unit: string;
  options: CompareOptions;
  rows: MetricRow[];
  shifts: SeriesShift[];
  /** Series present on one side only. */
  unmatched: string[];
  regressions: number;
  improvements: number;
}

function metricOf(s: Sample, m: Metric): number {
  switch (m) {
    case "P50":
      return quantile(s, 0.5);
    case "P95":
      return quantile(s, 0.95);
    case "P99":
      return quantile(s, 0.99);
    case "max":
      return s.total ? s.values[s.values.length - 1]! : Number.NaN;
    case "mean":
      return sampleMean(s);
  }
}

const P: Record<string, number> = { P50: 0.5, P95: 0.95, P99: 0.99 };

function verdictOf(
  significant: boolean | undefined,
  delta: number,
  deltaPct: number,
  o: CompareOptions,
): Verdict {
  if (significant === undefined) return "not tested";
  if (!significant || Math.abs(delta) < o.minDelta || Math.abs(deltaPct) < o.thresholdPct)
    return "no significant change";
  // Latency: higher is worse.
  return delta > 0 ? "regressed" : "improved";
}

function samplesBySeries(g: Group): Map<string, Sample[]> {
  const m = new Map<string, Sample[]>();
  for (const r of g.runs) {
    for (const s of r.series) {
      if (!s.sample || s.sample.total === 0) continue;
      const list = m.get(s.name) ?? [];
      list.push(s.sample);
      m.set(s.name, list);
    }
  }
  return m;
}

export function compareGroups(base: Group, cand: Group, options: Partial<CompareOptions> = {}): Comparison {
  const o = { ...DEFAULT_COMPARE, ...options };
  const metrics = o.metrics ?? METRICS;
  const a = samplesBySeries(base);
  const b = samplesBySeries(cand);
  const rows: MetricRow[] = [];
  const shifts: SeriesShift[] = [];
  const unmatched = [...a.keys()].filter((k) => !b.has(k)).concat([...b.keys()].filter((k) => !a.has(k)));
  for (const [name, runsA] of a) {
    const runsB = b.get(name);
    if (!runsB) continue;
    const pooledA = mergeSamples(runsA);
    const pooledB = mergeSamples(runsB);
    const mw = mannWhitney(pooledB, pooledA);
    shifts.push({
      series: name,
      baselineCount: pooledA.total,
      candidateCount: pooledB.total,
      probCandidateHigher: mw.probGreater,
      p: mw.p,
    });
    const repeated = runsA.length >= 2 && runsB.length >= 2;
    for (const metric of metrics) {
      let baseline: number;
      let candidate: number;
      let baselineCI: [number, number] | undefined;
      let candidateCI: [number, number] | undefined;
      let p: number | undefined;
      let rankP: number | undefined;
      let significant: boolean | undefined;
      let test: string;
      if (repeated) {
        const va = runsA.map((s) => metricOf(s, metric));
        const vb = runsB.map((s) => metricOf(s, metric));
        baseline = va.reduce((x, y) => x + y, 0) / va.length;
        candidate = vb.reduce((x, y) => x + y, 0) / vb.length;
        baselineCI = meanCI(va);
        candidateCI = meanCI(vb);
        const w = welchTest(vb, va);
        p = w.p;
        rankP = mannWhitneyExact(vb, va).p;
        significant = Number.isFinite(p) ? p < o.alpha : undefined;
        test = `Welch's t on ${va.length}+${vb.length} per-run values`;
      } else {
        baseline = metricOf(pooledA, metric);
        candidate = metricOf(pooledB, metric);
        if (metric in P) {
          baselineCI = quantileCI(pooledA, P[metric]!);
          candidateCI = quantileCI(pooledB, P[metric]!);
          significant = baselineCI[1] < candidateCI[0] || candidateCI[1] < baselineCI[0];
          test = "95% order-statistic intervals";
        } else if (metric === "mean") {
          p = meanDifferenceTest(pooledB, pooledA);
          significant = Number.isFinite(p) ? p < o.alpha : undefined;
          test = "two-sample z-test";
        } else {
          test = "none (a single run's maximum cannot be tested; use --repeat)";
        }
      }
      const delta = candidate - baseline;
      const deltaPct = baseline !== 0 ? (delta / baseline) * 100 : delta === 0 ? 0 : Number.POSITIVE_INFINITY;
      rows.push({
        series: name,
        metric,
        baseline,
        candidate,
        delta,
        deltaPct,
        baselineCI,
        candidateCI,
        p,
        rankP,
        test,
        verdict: verdictOf(significant, delta, deltaPct, o),
      });
    }
  }
  const unit = base.runs[0]?.unit ?? cand.runs[0]?.unit ?? "";
  return {
    baseline: { label: base.label, runs: base.runs.length },
    candidate: { label: cand.label, runs: cand.runs.length },
    unit,
    options: o,
    rows,
    shifts,
    unmatched,
    regressions: rows.filter((r) => r.verdict === "regressed").length,
    improvements: rows.filter((r) => r.verdict === "improved").length,
  };
}
