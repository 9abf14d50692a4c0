/**
 * Statistics for latency distributions, recomputed from raw samples.
 *
 * Quantile definition: nearest rank (Hyndman & Fan type 1): the P-th percentile is the smallest
 * sample x such that at least P% of the samples are <= x. It is always an observed value, works
 * the same on per-pod samples and on histograms (cyclictest, oslat), and is the definition
 * kube-burner 1.x used (`v[ceil(n*p)-1]`). kube-burner 2.x uses montanaflynn/stats, which
 * returns the mean of two neighbouring samples when n*p is not an integer and truncates to an
 * integer; `kubeBurnerPercentile` reproduces that so the two can be told apart when a user
 * holds our figure against kube-burner's log. They differ by at most one gap between adjacent
 * order statistics.
 */
import { createRequire } from "node:module";

// jstat (CommonJS, no type declarations): its distributions are well-tested numerical code we
// do not re-derive here.
const { jStat } = createRequire(import.meta.url)("jstat") as {
  jStat: {
    mean(v: number[]): number;
    stdev(v: number[], sample: boolean): number;
    gammaln(x: number): number;
    normal: { cdf(x: number, mean: number, sd: number): number };
    binomial: { cdf(k: number, n: number, p: number): number };
    studentt: { cdf(x: number, df: number): number; inv(p: number, df: number): number };
  };
};

/** A distribution: sorted distinct-or-repeated values with optional weights (histogram counts). */
export interface Sample {
  /** Ascending. */
  values: Float64Array;
  /** Count of each value; absent means 1 each. */
  counts?: Float64Array;
  /** Total weight (number of samples). */
  total: number;
}

export function fromValues(values: ArrayLike<number>): Sample {
  const v = Float64Array.from(values);
  v.sort();
  return { values: v, total: v.length };
}

/** From histogram buckets (value, count); zero-count buckets are dropped. */
export function fromHistogram(buckets: Iterable<readonly [number, number]>): Sample {
  const pairs = [...buckets].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  const values = new Float64Array(pairs.length);
  const counts = new Float64Array(pairs.length);
  let total = 0;
  pairs.forEach(([v, c], i) => {
    values[i] = v;
    counts[i] = c;
    total += c;
  });
  return { values, counts, total };
}

/** Nearest-rank quantile, p in [0, 1]. NaN for an empty sample. */
export function quantile(s: Sample, p: number): number {
  if (s.total === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(p * s.total - 1e-9));
  if (!s.counts) return s.values[rank - 1]!;
  let acc = 0;
  for (let i = 0; i < s.values.length; i++) {
    acc += s.counts[i]!;
    if (acc >= rank) return s.values[i]!;
  }
  return s.values[s.values.length - 1]!;
}

/** Value at 1-based rank r (clamped). */
function atRank(s: Sample, r: number): number {
  return quantile(s, Math.min(Math.max(r, 1), s.total) / s.total);
}

/** kube-burner 2.x's percentile (montanaflynn/stats Percentile, then int()), for cross-checks. */
export function kubeBurnerPercentile(sorted: ArrayLike<number>, percent: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (n === 1) return Math.trunc(sorted[0]!);
  const index = (percent / 100) * n;
  if (Number.isInteger(index)) return Math.trunc(sorted[index - 1]!);
  if (index > 1) {
    const i = Math.floor(index);
    return Math.trunc((sorted[i - 1]! + sorted[i]!) / 2);
  }
  return Number.NaN;
}

// Plain loops over the typed arrays: jStat's mean/stdev need a copied Array, which costs more
// than the sums themselves on 500,000 pods.
export function sampleMean(s: Sample): number {
  if (s.total === 0) return Number.NaN;
  let sum = 0;
  if (!s.counts) for (let i = 0; i < s.values.length; i++) sum += s.values[i]!;
  else for (let i = 0; i < s.values.length; i++) sum += s.values[i]! * s.counts[i]!;
  return sum / s.total;
}

/** Unbiased sample variance (two-pass, n-1). */
export function sampleVariance(s: Sample): number {
  if (s.total < 2) return Number.NaN;
  const m = sampleMean(s);
  let ss = 0;
  if (!s.counts) for (let i = 0; i < s.values.length; i++) ss += (s.values[i]! - m) ** 2;
  else for (let i = 0; i < s.values.length; i++) ss += s.counts[i]! * (s.values[i]! - m) ** 2;
  return ss / (s.total - 1);
}

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export function summarize(s: Sample): Summary {
  const n = s.values.length;
  return {
    count: s.total,
    min: n ? s.values[0]! : Number.NaN,
    p50: quantile(s, 0.5),
    p95: quantile(s, 0.95),
    p99: quantile(s, 0.99),
    p999: quantile(s, 0.999),
    max: n ? s.values[n - 1]! : Number.NaN,
    mean: sampleMean(s),
  };
}

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  return jStat.normal.cdf(z, 0, 1);
}

/**
 * Smallest sample size for which a two-sided distribution-free interval of the p-quantile at
 * the given level exists: the extreme order statistics must cover with probability >= level,
 * i.e. max(p, 1-p)^n <= (1 - level) / 2. For P99 at 95% that is 368 samples.
 */
export function minSamplesForQuantileCI(p: number, level = 0.95): number {
  return Math.ceil(Math.log((1 - level) / 2) / Math.log(Math.max(p, 1 - p)) - 1e-9);
}

/** P(B <= k) for B ~ Binomial(n, p) (jstat: regularized incomplete beta, exact to 1e-10). */
function binomCdf(k: number, n: number, p: number): number {
  return jStat.binomial.cdf(k, n, p);
}

/**
 * Exact distribution-free confidence interval for the p-quantile (order statistics, binomial
 * ranks): [X(l), X(u)] with P(l <= B <= u-1) >= level for B ~ Binomial(n, p), each tail at most
 * (1-level)/2. Valid for any distribution, ties and histograms included; no resampling, so it
 * costs nothing on millions of samples. Undefined when n is too small for that level (the
 * interval would run to the edge of the sample, e.g. P99 of 50 pods): "too few samples".
 */
export function quantileCI(s: Sample, p: number, level = 0.95): [number, number] | undefined {
  const n = s.total;
  if (n < minSamplesForQuantileCI(p, level)) return undefined;
  const tail = (1 - level) / 2;
  // Largest k in [0, n-1] with P(B <= k) <= tail: l = k + 1.
  let lo = 0;
  let hi = n - 1;
  if (binomCdf(0, n, p) > tail) return undefined;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (binomCdf(mid, n, p) <= tail) lo = mid;
    else hi = mid - 1;
  }
  const l = lo + 1;
  // Smallest k in [0, n-1] with P(B <= k) >= 1 - tail: u = k + 1.
  lo = 0;
  hi = n - 1;
  if (binomCdf(n - 1, n, p) < 1 - tail) return undefined;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (binomCdf(mid, n, p) >= 1 - tail) hi = mid;
    else lo = mid + 1;
  }
  const u = lo + 1;
  return [atRank(s, l), atRank(s, u)];
}

/** Number of samples <= x. */
export function countAtMost(s: Sample, x: number): number {
  return countBelow(s, x, true);
}

/** Number of samples < x (or <= x with `inclusive`). */
export function countBelow(s: Sample, x: number, inclusive = false): number {
  let lo = 0;
  let hi = s.values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (inclusive ? s.values[mid]! <= x : s.values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  if (!s.counts) return lo;
  let c = 0;
  for (let i = 0; i < lo; i++) c += s.counts[i]!;
  return c;
}

function logChoose(n: number, k: number): number {
  return jStat.gammaln(n + 1) - jStat.gammaln(k + 1) - jStat.gammaln(n - k + 1);
}

/**
 * Two-sided Fisher exact test of a 2x2 table [[a, na-a], [b, nb-b]] (hypergeometric, tables
 * at most as likely as the observed one); past 20,000 possible tables the normal approximation
 * of the hypergeometric with continuity correction.
 */
export function fisherExact(a: number, na: number, b: number, nb: number): number {
  const N = na + nb;
  const K = a + b;
  const lo = Math.max(0, na - (N - K));
  const hi = Math.min(na, K);
  if (hi - lo > 20_000) {
    const mean = (na * K) / N;
    const sd = Math.sqrt((((((na * K) / N) * (N - K)) / N) * (N - na)) / (N - 1));
    if (sd === 0) return 1;
    const z = Math.max(0, Math.abs(a - mean) - 0.5) / sd;
    return Math.min(1, 2 * (1 - normalCdf(z)));
  }
  const denom = logChoose(N, na);
  const logP = (x: number) => logChoose(K, x) + logChoose(N - K, na - x) - denom;
  const observed = logP(a);
  let p = 0;
  for (let x = lo; x <= hi; x++) {
    const lp = logP(x);
    if (lp <= observed + 1e-7) p += Math.exp(lp);
  }
  return Math.min(1, p);
}

/** Nearest-rank p-quantile of two samples taken together, by walking both (no merge, no sort). */
export function pooledQuantile(a: Sample, b: Sample, p: number): number {
  const rank = Math.max(1, Math.ceil(p * (a.total + b.total) - 1e-9));
  let i = 0;
  let j = 0;
  let acc = 0;
  for (;;) {
    const va = i < a.values.length ? a.values[i]! : Infinity;
    const vb = j < b.values.length ? b.values[j]! : Infinity;
    if (va === Infinity && vb === Infinity) return Number.NaN;
    if (va <= vb) {
      acc += a.counts ? a.counts[i]! : 1;
      i++;
    } else {
      acc += b.counts ? b.counts[j]! : 1;
      j++;
    }
    if (acc >= rank) return Math.min(va, vb);
  }
}

/**
 * Distribution-free test that two samples share their p-quantile: Mood's median test
 * (A. M. Mood, Introduction to the Theory of Statistics, 1950) generalised to any quantile: split the pooled samples at their pooled p-quantile q and test the 2x2 table
 * "below / above the split" per side with Fisher's exact test.
 *
 * Ties. Latencies are discrete (kube-burner's have 1 s resolution in several versions, jitter
 * histograms 1 us buckets), so many samples can equal q. The textbook test fixes one convention
 * in advance, "above" against "at or below" the pooled quantile (e.g. NIST Dataplot's MEDIAN
 * TEST, https://www.itl.nist.gov/div898/software/dataplot/refman1/auxillar/meditest.htm); with
 * ties that puts every sample on one side when q is the largest value (P99 of 6000 ms against
 * 7000 ms: p = 1, whatever the shift), and "below" against "at or above" fails the same way at
 * the smallest value. So both splits are tested, "< q" and "<= q", and the smaller p is
 * doubled (Bonferroni over the two: valid whatever the dependence between them).
 * A split that leaves the whole pooled sample on one side carries no information and is
 * dropped; whether it does depends only on the pooled sample (its largest and smallest values),
 * which is the same under every relabelling of the sides, so the test stays exact conditional
 * on the pooled sample: under "same distribution", p < alpha happens at most alpha of the time.
 */
export function quantileTest(a: Sample, b: Sample, p: number): number {
  if (a.total === 0 || b.total === 0) return Number.NaN;
  const q = pooledQuantile(a, b, p);
  const n = a.total + b.total;
  const ps: number[] = [];
  for (const inclusive of [false, true]) {
    const ka = countBelow(a, q, inclusive);
    const kb = countBelow(b, q, inclusive);
    if (ka + kb === 0 || ka + kb === n) continue;
    ps.push(fisherExact(ka, a.total, kb, b.total));
  }
  if (ps.length === 0) return 1;
  return Math.min(1, ps.length * Math.min(...ps));
}

/** 95% interval for the mean of one sample (t for raw values, normal for big histograms). */
export function sampleMeanCI(s: Sample): [number, number] | undefined {
  if (s.total < 2) return undefined;
  const m = sampleMean(s);
  const se = Math.sqrt(sampleVariance(s) / s.total);
  const q = s.counts && s.total > 1000 ? 1.959964 : jStat.studentt.inv(0.975, s.total - 1);
  return [m - q * se, m + q * se];
}

/**
 * Holm-Bonferroni step-down adjustment: adjusted p-values in the input order (NaN stays NaN and
 * does not count in the family). Controls the chance of any false "significant" row at alpha,
 * whatever the dependence between rows.
 */
export function holm(ps: readonly number[]): number[] {
  const idx = ps.map((p, i) => [p, i] as const).filter(([p]) => Number.isFinite(p));
  idx.sort((x, y) => x[0] - y[0]);
  const m = idx.length;
  const out = ps.map(() => Number.NaN);
  let running = 0;
  idx.forEach(([p, i], k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}

/**
 * Is one more run's value (x) from the same population as repeated runs' values? Two-sided
 * t-test of a new observation against a sample (prediction interval): t = (x - mean) /
 * (sd * sqrt(1 + 1/k)), k-1 degrees of freedom; assumes the single run varies like the others.
 */
export function predictionTest(
  values: number[],
  x: number,
  rounding = 0,
): { t: number; df: number; p: number } {
  const k = values.length;
  if (k < 2) return { t: Number.NaN, df: Number.NaN, p: Number.NaN };
  const m = jStat.mean(values);
  const sd = Math.sqrt(jStat.stdev(values, true) ** 2 + roundingVariance(rounding));
  const diff = x - m;
  if (sd === 0) return { t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df: k - 1, p: diff === 0 ? 1 : 0 };
  const t = diff / (sd * Math.sqrt(1 + 1 / k));
  return { t, df: k - 1, p: Math.min(1, 2 * (1 - jStat.studentt.cdf(Math.abs(t), k - 1))) };
}

/**
 * The variance a measurement rounded to steps of `step` hides: rounding to a grid adds an error
 * uniform over one step, of variance step^2 / 12 (Sheppard's correction, taken the other way).
 * Per-run percentiles of latencies recorded in whole seconds take two or three values: three
 * runs can agree exactly by chance, and a t-test on a variance of 0 would call any difference
 * certain. Adding the rounding variance keeps the test honest about the grid.
 */
export function roundingVariance(step: number): number {
  return step > 0 ? (step * step) / 12 : 0;
}

/**
 * The grid a set of samples lies on: the greatest common divisor of the gaps between their
 * distinct values (1000 for latencies in whole seconds recorded in ms). 0 for fewer than two
 * distinct values or non-integer data.
 */
export function gridStep(samples: Sample[]): number {
  let g = 0;
  const gcd = (a: number, b: number): number => {
    while (b) [a, b] = [b, a % b];
    return a;
  };
  const distinct = new Set<number>();
  for (const s of samples) for (let i = 0; i < s.values.length; i++) distinct.add(s.values[i]!);
  const v = [...distinct].sort((a, b) => a - b);
  for (let i = 1; i < v.length; i++) {
    const d = v[i]! - v[i - 1]!;
    if (!Number.isInteger(d)) return 0;
    g = gcd(g, d);
    if (g === 1) return 1;
  }
  return g;
}

/** 95% t-interval for the mean of a few values (per-run statistics). */
export function meanCI(values: number[]): [number, number] {
  if (values.length < 2) return [Number.NaN, Number.NaN];
  const m = jStat.mean(values);
  const half =
    (jStat.studentt.inv(0.975, values.length - 1) * jStat.stdev(values, true)) / Math.sqrt(values.length);
  return [m - half, m + half];
}

/**
 * Welch's two-sample t-test on per-run statistics (each run's P99, say, is a mean-like summary
 * of many pods, so close to normal): two-sided p with Welch-Satterthwaite degrees of freedom.
 * Unlike a rank test it can show a difference with 3 runs per side.
 */
export function welchTest(a: number[], b: number[], rounding = 0): { t: number; df: number; p: number } {
  return welchSamples(fromValues(a), fromValues(b), rounding);
}

/**
 * Welch's t-test between two samples (raw values or histograms), from their moments;
 * `rounding` is the step of a grid the values were rounded to (see roundingVariance).
 */
export function welchSamples(a: Sample, b: Sample, rounding = 0): { t: number; df: number; p: number } {
  if (a.total < 2 || b.total < 2) return { t: Number.NaN, df: Number.NaN, p: Number.NaN };
  const extra = roundingVariance(rounding);
  const va = (sampleVariance(a) + extra) / a.total;
  const vb = (sampleVariance(b) + extra) / b.total;
  const diff = sampleMean(a) - sampleMean(b);
  if (va + vb === 0)
    return { t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df: Infinity, p: diff === 0 ? 1 : 0 };
  const t = diff / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.total - 1) + vb ** 2 / (b.total - 1));
  return { t, df, p: Math.min(1, 2 * (1 - jStat.studentt.cdf(Math.abs(t), df))) };
}

export interface RankTest {
  /** Mann-Whitney U of the first sample. */
  u: number;
  /** Probability that a value of the first sample is greater than one of the second (ties half). */
  probGreater: number;
  /** Two-sided p-value. */
  p: number;
  method: "exact" | "normal";
}

/**
 * Mann-Whitney U over (weighted) samples with mid-ranks for ties and the normal approximation
 * with tie correction and continuity correction: suitable for thousands to millions of samples.
 */
export function mannWhitney(a: Sample, b: Sample): RankTest {
  const na = a.total;
  const nb = b.total;
  if (na === 0 || nb === 0)
    return { u: Number.NaN, probGreater: Number.NaN, p: Number.NaN, method: "normal" };
  let i = 0;
  let j = 0;
  let rank = 0;
  let rankSumA = 0;
  let tieTerm = 0;
  const wa = (k: number) => (a.counts ? a.counts[k]! : 1);
  const wb = (k: number) => (b.counts ? b.counts[k]! : 1);
  while (i < a.values.length || j < b.values.length) {
    const v = Math.min(
      i < a.values.length ? a.values[i]! : Infinity,
      j < b.values.length ? b.values[j]! : Infinity,
    );
    let ca = 0;
    let cb = 0;
    while (i < a.values.length && a.values[i] === v) ca += wa(i++);
    while (j < b.values.length && b.values[j] === v) cb += wb(j++);
    const t = ca + cb;
    rankSumA += ca * (rank + (t + 1) / 2);
    rank += t;
    tieTerm += t * t * t - t;
  }
  const u = rankSumA - (na * (na + 1)) / 2;
  const n = na + nb;
  const mu = (na * nb) / 2;
  const variance = ((na * nb) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  const diff = Math.abs(u - mu);
  const z = variance > 0 ? Math.max(0, diff - 0.5) / Math.sqrt(variance) : 0;
  const p = variance > 0 ? Math.min(1, 2 * (1 - normalCdf(z))) : 1;
  return { u, probGreater: u / (na * nb), p, method: "normal" };
}

/**
 * Exact (permutation) Mann-Whitney test for a few values per side, e.g. the P99 of each of 3-10
 * repeated runs: enumerates every split, so ties and tiny samples are handled without
 * approximation. Falls back to the normal approximation past 200,000 splits.
 */
export function mannWhitneyExact(a: number[], b: number[]): RankTest {
  const all = [...a, ...b];
  const n = all.length;
  const na = a.length;
  if (na === 0 || b.length === 0)
    return { u: Number.NaN, probGreater: Number.NaN, p: Number.NaN, method: "exact" };
  const uOf = (idx: number[]): number => {
    let u = 0;
    const inA = new Set(idx);
    for (const i of idx) {
      for (let k = 0; k < n; k++) {
        if (inA.has(k)) continue;
        if (all[i]! > all[k]!) u += 1;
        else if (all[i] === all[k]) u += 0.5;
      }
    }
    return u;
  };
  let combos = 1;
  for (let k = 1; k <= na; k++) combos = (combos * (n - na + k)) / k;
  if (combos > 200_000) return mannWhitney(fromValues(a), fromValues(b));
  const observed = uOf(a.map((_, i) => i));
  const mu = (na * b.length) / 2;
  const obsDev = Math.abs(observed - mu) - 1e-9;
  let extreme = 0;
  let total = 0;
  const pick: number[] = [];
  const rec = (start: number): void => {
    if (pick.length === na) {
      total++;
      if (Math.abs(uOf(pick) - mu) >= obsDev) extreme++;
      return;
    }
    for (let k = start; k <= n - (na - pick.length); k++) {
      pick.push(k);
      rec(k + 1);
      pick.pop();
    }
  };
  rec(0);
  return { u: observed, probGreater: observed / (na * b.length), p: extreme / total, method: "exact" };
}

/** Pools several samples (e.g. the repeated runs of one label) into one. */
export function mergeSamples(samples: Sample[]): Sample {
  if (samples.length === 1) return samples[0]!;
  if (samples.every((s) => !s.counts)) {
    const total = samples.reduce((t, s) => t + s.values.length, 0);
    const v = new Float64Array(total);
    let o = 0;
    for (const s of samples) {
      v.set(s.values, o);
      o += s.values.length;
    }
    v.sort();
    return { values: v, total };
  }
  const acc = new Map<number, number>();
  for (const s of samples) {
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      acc.set(v, (acc.get(v) ?? 0) + (s.counts ? s.counts[i]! : 1));
    }
  }
  return fromHistogram(acc);
}

/** Two-sided z-test on means of two large samples (Welch's statistic with the normal distribution). */
export function meanDifferenceTest(a: Sample, b: Sample): number {
  const va = sampleVariance(a) / a.total;
  const vb = sampleVariance(b) / b.total;
  const se = Math.sqrt(va + vb);
  if (!Number.isFinite(se)) return Number.NaN;
  if (se === 0) return sampleMean(a) === sampleMean(b) ? 1 : 0;
  const z = Math.abs(sampleMean(a) - sampleMean(b)) / se;
  return Math.min(1, 2 * (1 - normalCdf(z)));
}
