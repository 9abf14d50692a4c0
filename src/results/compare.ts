/**
 * Compares a candidate group of runs (e.g. "tuned") with a baseline group, per series and per
 * metric, from the raw samples. A verdict needs both statistical evidence and a change larger
 * than the configured threshold: with millions of jitter samples almost any shift is
 * "significant", and with three pods almost nothing is.
 *
 * Evidence, by how many runs each side holds (a run's pods share one cluster state, so pods of
 * different runs are never pooled as if they were independent):
 * - both sides repeated (>= 2 runs): the metric of each run is one observation; Welch's t-test
 *   on those, the exact Mann-Whitney p alongside (it cannot go below 0.1 with 3 runs per side),
 *   and a 95% t-interval of the mean of the per-run values per side;
 * - repeated runs on one side only: the single run's value is tested against the others'
 *   per-run values with a t prediction test (k-1 degrees of freedom);
 * - one run per side: the samples (pods, histogram buckets) of the two runs. Quantiles get exact
 *   distribution-free intervals from binomial order statistics and Fisher's exact test at the
 *   pooled quantile; when a run has too few samples for the percentile (P99 needs 368) the row
 *   says "too few samples" and is not tested. The mean gets Welch's t (z for big histograms);
 *   a single run's maximum cannot be tested.
 * All p-values of one comparison are Holm-adjusted together (about 24 rows for a kube-burner
 * run), so the chance that a comparison of two same-distribution groups shows any
 * "significant" row stays at alpha; the threshold then decides whether the change matters.
 */
import type { Group } from "./runs.ts";
import {
  holm,
  mannWhitney,
  mannWhitneyExact,
  meanCI,
  meanDifferenceTest,
  minSamplesForQuantileCI,
  predictionTest,
  quantile,
  quantileCI,
  quantileTest,
  type Sample,
  sampleMean,
  sampleMeanCI,
  welchSamples,
  welchTest,
} from "./stats.ts";

export const METRICS = ["P50", "P95", "P99", "max", "mean"] as const;
export type Metric = (typeof METRICS)[number];

export type Verdict = "improved" | "regressed" | "no significant change" | "too few samples" | "not tested";

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
  /** p-value when the test yields one (unadjusted). */
  p?: number;
  /** Holm-adjusted p over every tested row of the comparison: the verdict uses this one. */
  pAdjusted?: number;
  /** With repeated runs: the exact Mann-Whitney p on the per-run values, for comparison. */
  rankP?: number;
  test: string;
  verdict: Verdict;
}

/** With one run per side only (pods of different runs are not independent). */
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

const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;

type Tested = Omit<MetricRow, "series" | "metric" | "delta" | "deltaPct" | "verdict"> & {
  /** "too few samples": no test possible with this much data. */
  tooFew?: boolean;
};

/** Per-run values on both sides: Welch's t, exact rank p alongside. */
function perRunRepeated(va: number[], vb: number[]): Tested {
  return {
    baseline: mean(va),
    candidate: mean(vb),
    baselineCI: meanCI(va),
    candidateCI: meanCI(vb),
    p: welchTest(vb, va).p,
    rankP: mannWhitneyExact(vb, va).p,
    test: `Welch's t on ${va.length}+${vb.length} per-run values`,
  };
}

/** Repeated runs on one side, a single run on the other: t prediction test on per-run values. */
function perRunOneSided(va: number[], vb: number[]): Tested {
  const [many, one] = va.length >= 2 ? [va, vb[0]!] : [vb, va[0]!];
  return {
    baseline: mean(va),
    candidate: mean(vb),
    baselineCI: va.length >= 2 ? meanCI(va) : undefined,
    candidateCI: vb.length >= 2 ? meanCI(vb) : undefined,
    p: predictionTest(many, one).p,
    test: `t prediction test: 1 run against ${many.length} per-run values`,
  };
}

/** One run per side: the runs' samples. */
function singleRuns(a: Sample, b: Sample, metric: Metric): Tested {
  const baseline = metricOf(a, metric);
  const candidate = metricOf(b, metric);
  if (metric in P) {
    const p = P[metric]!;
    const baselineCI = quantileCI(a, p);
    const candidateCI = quantileCI(b, p);
    if (!baselineCI || !candidateCI) {
      return {
        baseline,
        candidate,
        baselineCI,
        candidateCI,
        tooFew: true,
        test: `none: ${metric} of one run needs at least ${minSamplesForQuantileCI(p)} samples per side (have ${a.total} and ${b.total}); repeat the runs`,
      };
    }
    return {
      baseline,
      candidate,
      baselineCI,
      candidateCI,
      p: quantileTest(b, a, p),
      test: "Fisher's exact test at the pooled quantile",
    };
  }
  if (metric === "mean") {
    const raw = !a.counts && !b.counts;
    const p = raw ? welchSamples(b, a).p : meanDifferenceTest(b, a);
    if (!Number.isFinite(p)) return { baseline, candidate, tooFew: true, test: "none: fewer than 2 samples" };
    return {
      baseline,
      candidate,
      baselineCI: sampleMeanCI(a),
      candidateCI: sampleMeanCI(b),
      p,
      test: raw ? "Welch's t on the samples" : "two-sample z-test",
    };
  }
  return { baseline, candidate, test: "none (a single run's maximum cannot be tested; use --repeat)" };
}

export function compareGroups(base: Group, cand: Group, options: Partial<CompareOptions> = {}): Comparison {
  const o = { ...DEFAULT_COMPARE, ...options };
  const metrics = o.metrics ?? METRICS;
  const a = samplesBySeries(base);
  const b = samplesBySeries(cand);
  const tested: (Tested & { series: string; metric: Metric })[] = [];
  const shifts: SeriesShift[] = [];
  const unmatched = [...a.keys()].filter((k) => !b.has(k)).concat([...b.keys()].filter((k) => !a.has(k)));
  for (const [name, runsA] of a) {
    const runsB = b.get(name);
    if (!runsB) continue;
    const single = runsA.length === 1 && runsB.length === 1;
    if (single) {
      const mw = mannWhitney(runsB[0]!, runsA[0]!);
      shifts.push({
        series: name,
        baselineCount: runsA[0]!.total,
        candidateCount: runsB[0]!.total,
        probCandidateHigher: mw.probGreater,
        p: mw.p,
      });
    }
    for (const metric of metrics) {
      let t: Tested;
      if (single) t = singleRuns(runsA[0]!, runsB[0]!, metric);
      else {
        const va = runsA.map((s) => metricOf(s, metric));
        const vb = runsB.map((s) => metricOf(s, metric));
        t = runsA.length >= 2 && runsB.length >= 2 ? perRunRepeated(va, vb) : perRunOneSided(va, vb);
      }
      tested.push({ ...t, series: name, metric });
    }
  }
  const adjusted = holm(tested.map((t) => t.p ?? Number.NaN));
  const rows: MetricRow[] = tested.map(({ tooFew, ...t }, i) => {
    const delta = t.candidate - t.baseline;
    const deltaPct =
      t.baseline !== 0 ? (delta / t.baseline) * 100 : delta === 0 ? 0 : Number.POSITIVE_INFINITY;
    const pAdjusted = Number.isFinite(adjusted[i]) ? adjusted[i] : undefined;
    const significant = pAdjusted === undefined ? undefined : pAdjusted < o.alpha;
    return {
      ...t,
      delta,
      deltaPct,
      ...(pAdjusted === undefined ? {} : { pAdjusted }),
      verdict: tooFew ? "too few samples" : verdictOf(significant, delta, deltaPct, o),
    };
  });
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
