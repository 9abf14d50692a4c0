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
 * Figures that are bounds (a percentile beyond a histogram's range, hwlatdetect's "below
 * threshold", a mean over overflowed samples) are shown as bounds and never tested. Series with
 * only the tool's summary (plain cyclictest) compare on their maxima and averages.
 * Practical significance: besides --threshold and --min-delta, a change in a histogram-based
 * series (jitter: 1 us buckets) must span at least --min-buckets buckets (2 by default): with
 * hundreds of thousands of samples a shift of one bucket is "significant" and means nothing.
 * All p-values of one comparison are Holm-adjusted together (about 24 rows for a kube-burner
 * run), so the chance that a comparison of two same-distribution groups shows any
 * "significant" row stays at alpha; the threshold then decides whether the change matters.
 */
import {
  boundReason,
  type Figure,
  type FigureName,
  figureValue,
  fmtFigure,
  isExact,
  seriesFigure,
} from "./figures.ts";
import type { Group, Series } from "./runs.ts";
import {
  gridStep,
  holm,
  mannWhitney,
  mannWhitneyExact,
  meanCI,
  meanDifferenceTest,
  minSamplesForQuantileCI,
  pooledQuantile,
  predictionTest,
  quantileCI,
  quantileTest,
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
  /** Histogram-based series: smallest change, in buckets of the measurement's resolution. */
  minBuckets: number;
  metrics?: readonly Metric[];
}

export const DEFAULT_COMPARE: CompareOptions = { thresholdPct: 5, minDelta: 1, alpha: 0.05, minBuckets: 2 };

export interface MetricRow {
  series: string;
  metric: Metric;
  baseline: number;
  candidate: number;
  delta: number;
  deltaPct: number;
  baselineCI?: [number, number];
  candidateCI?: [number, number];
  /** Where a side's figure is a bound: how it reads ("≥ 30"); its number above is the bound. */
  baselineBound?: string;
  candidateBound?: string;
  /** Values at or above this are beyond a histogram's range (bounds), for the intervals. */
  overflowFrom?: number;
  /** Bucket width of the series (jitter histograms: 1 us). */
  resolution?: number;
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

const P: Record<string, number> = { P50: 0.5, P95: 0.95, P99: 0.99 };

function verdictOf(
  significant: boolean | undefined,
  delta: number,
  deltaPct: number,
  o: CompareOptions,
  resolution: number | undefined,
): Verdict {
  if (significant === undefined) return "not tested";
  const small =
    Math.abs(delta) < o.minDelta ||
    Math.abs(deltaPct) < o.thresholdPct ||
    (resolution !== undefined && Math.abs(delta) < o.minBuckets * resolution - 1e-9);
  if (!significant || small) return "no significant change";
  // Latency: higher is worse.
  return delta > 0 ? "regressed" : "improved";
}

/** Each series name with the series of every run of the group that has it. */
function seriesByName(g: Group): Map<string, Series[]> {
  const m = new Map<string, Series[]>();
  for (const r of g.runs) {
    for (const s of r.series) {
      const list = m.get(s.name) ?? [];
      list.push(s);
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

/**
 * Per-run values on both sides: Welch's t, exact rank p alongside. `step` is the grid the
 * per-run values lie on (percentiles and maxima are sample values), whose rounding variance
 * the test adds (stats.ts roundingVariance).
 */
function perRunRepeated(va: number[], vb: number[], step = 0): Tested {
  return {
    baseline: mean(va),
    candidate: mean(vb),
    baselineCI: meanCI(va),
    candidateCI: meanCI(vb),
    p: welchTest(vb, va, step).p,
    rankP: mannWhitneyExact(vb, va).p,
    test: `Welch's t on ${va.length}+${vb.length} per-run values${step > 1 ? ` (on a ${step} grid: rounding variance added)` : ""}`,
  };
}

/** Repeated runs on one side, a single run on the other: t prediction test on per-run values. */
function perRunOneSided(va: number[], vb: number[], step = 0): Tested {
  const [many, one] = va.length >= 2 ? [va, vb[0]!] : [vb, va[0]!];
  return {
    baseline: mean(va),
    candidate: mean(vb),
    baselineCI: va.length >= 2 ? meanCI(va) : undefined,
    candidateCI: vb.length >= 2 ? meanCI(vb) : undefined,
    p: predictionTest(many, one, step).p,
    test: `t prediction test: 1 run against ${many.length} per-run values`,
  };
}

/** One run per side: the runs' samples. */
function singleRuns(sa: Series, sb: Series, metric: Metric, baseline: number, candidate: number): Tested {
  const a = sa.sample;
  const b = sb.sample;
  if (metric in P && a && b) {
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
    // The split must fall inside both histograms' range, or the test would rest on a bound.
    const limit = Math.min(overflowLimit(sa), overflowLimit(sb));
    if (pooledQuantile(a, b, p) >= limit) {
      return {
        baseline,
        candidate,
        baselineCI,
        candidateCI,
        test: `none: the pooled ${metric} lies beyond a histogram's range (≥ ${limit})`,
      };
    }
    return {
      baseline,
      candidate,
      baselineCI,
      candidateCI,
      p: quantileTest(b, a, p),
      test: "Fisher's exact test at the pooled quantile (both tie splits, Bonferroni)",
    };
  }
  if (metric === "mean" && a && b && !sa.overflow && !sb.overflow) {
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
  if (metric === "mean")
    return {
      baseline,
      candidate,
      test: "none: a single run's mean from the tool's summary has no spread to test; use --repeat",
    };
  return { baseline, candidate, test: "none (a single run's maximum cannot be tested; use --repeat)" };
}

/** The first value beyond a series' histogram range (Infinity when nothing overflowed). */
function overflowLimit(s: Series): number {
  return (s.overflow ?? 0) > 0 && s.overflowFrom !== undefined ? s.overflowFrom : Number.POSITIVE_INFINITY;
}

const avg = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;

/** A row that is shown but not tested: a figure is a bound or missing on one side. */
function untested(
  fa: (Figure | undefined)[],
  fb: (Figure | undefined)[],
  labels: [string, string],
  metric: Metric,
): Tested & { baselineBound?: string; candidateBound?: string } {
  const side = (f: (Figure | undefined)[]) =>
    f
      .filter((x) => x && !isExact(x))
      .map((x) => fmtFigure(x))
      .join(", ");
  const missing = fa.some((x) => !x) ? labels[0] : fb.some((x) => !x) ? labels[1] : undefined;
  const bound = [...fa, ...fb].find((x) => x && !isExact(x));
  return {
    baseline: fa.every(Boolean) ? avg(fa.map(figureValue)) : Number.NaN,
    candidate: fb.every(Boolean) ? avg(fb.map(figureValue)) : Number.NaN,
    ...(side(fa) ? { baselineBound: side(fa) } : {}),
    ...(side(fb) ? { candidateBound: side(fb) } : {}),
    test: missing
      ? `none: ${missing} has no ${metric} (its output holds no distribution)`
      : `none: ${boundReason(bound!)}`,
  };
}

export function compareGroups(base: Group, cand: Group, options: Partial<CompareOptions> = {}): Comparison {
  const o = { ...DEFAULT_COMPARE, ...options };
  const metrics = o.metrics ?? METRICS;
  const a = seriesByName(base);
  const b = seriesByName(cand);
  const tested: (Tested & { series: string; metric: Metric; resolution?: number; overflowFrom?: number })[] =
    [];
  const shifts: SeriesShift[] = [];
  const unmatched = [...a.keys()].filter((k) => !b.has(k)).concat([...b.keys()].filter((k) => !a.has(k)));
  for (const [name, runsA] of a) {
    const runsB = b.get(name);
    if (!runsB) continue;
    const single = runsA.length === 1 && runsB.length === 1;
    const [sa, sb] = [runsA[0]!, runsB[0]!];
    if (single && sa.sample?.total && sb.sample?.total) {
      const mw = mannWhitney(sb.sample, sa.sample);
      shifts.push({
        series: name,
        baselineCount: sa.sample.total,
        candidateCount: sb.sample.total,
        probCandidateHigher: mw.probGreater,
        p: mw.p,
      });
    }
    const all = [...runsA, ...runsB];
    const resolutions = all.map((s) => s.resolution).filter((r): r is number => r !== undefined);
    const resolution = resolutions.length ? Math.max(...resolutions) : undefined;
    const limits = all.map(overflowLimit).filter(Number.isFinite);
    const overflowFrom = limits.length ? Math.min(...limits) : undefined;
    let step: number | undefined;
    for (const metric of metrics) {
      const fa = runsA.map((s) => seriesFigure(s, metric as FigureName));
      const fb = runsB.map((s) => seriesFigure(s, metric as FigureName));
      if (fa.every((f) => !f) && fb.every((f) => !f)) continue; // neither side has it (plain output: no P99)
      let t: Tested;
      if (!fa.every(isExact) || !fb.every(isExact)) t = untested(fa, fb, [base.label, cand.label], metric);
      else {
        const va = fa.map((f) => f.value);
        const vb = fb.map((f) => f.value);
        if (single) t = singleRuns(sa, sb, metric, va[0]!, vb[0]!);
        else {
          // Percentiles and maxima are sample values: on the samples' grid (whole seconds, 1 us).
          step ??= gridStep(all.flatMap((s) => (s.sample ? [s.sample] : [])));
          const g = metric === "mean" ? 0 : step;
          t = runsA.length >= 2 && runsB.length >= 2 ? perRunRepeated(va, vb, g) : perRunOneSided(va, vb, g);
        }
      }
      tested.push({ ...t, series: name, metric, resolution, overflowFrom });
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
      verdict: tooFew ? "too few samples" : verdictOf(significant, delta, deltaPct, o, t.resolution),
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
