/**
 * How exact a figure is. A jitter tool's summary gives exact minima and maxima, but a histogram
 * that overflowed only says "at least the last bucket" for the samples beyond it, hwlatdetect's
 * "Below threshold" only says "less than the threshold", and oslat's per-CPU average is wrong for
 * every CPU but the first when the first overflowed. A figure carries what is known, so that a
 * bound is shown as one ("≥ 30", "< 10") and no verdict rests on it.
 */
import { quantile, type Sample, sampleMean } from "./stats.ts";

export type Figure =
  /** Measured exactly (or as exactly as the tool prints it). */
  | { kind: "exact"; value: number }
  /** At least this much (samples beyond a histogram's range). */
  | { kind: "atLeast"; value: number }
  /** Strictly less than this (hwlatdetect's "Below threshold"). */
  | { kind: "below"; value: number }
  /** Somewhere in [lo, hi] (a mean over samples some of which lie beyond the histogram). */
  | { kind: "range"; lo: number; hi: number };

export const exact = (value: number): Figure => ({ kind: "exact", value });

/** A figure a test can use: an exact value. */
export function isExact(f: Figure | undefined): f is { kind: "exact"; value: number } {
  return f?.kind === "exact" && Number.isFinite(f.value);
}

/** The number to plot or sort by: the value, the bound, or the middle of a range. */
export function figureValue(f: Figure | undefined): number {
  if (!f) return Number.NaN;
  return f.kind === "range" ? (f.lo + f.hi) / 2 : f.value;
}

function num(v: number, digits: number): string {
  if (Number.isNaN(v)) return "-";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

/** "12", "≥ 30", "< 10", "1.00..1.24" (ASCII for markdown and old terminals: ">=" when asked). */
export function fmtFigure(f: Figure | undefined, digits = 1, ascii = false): string {
  if (!f) return "-";
  switch (f.kind) {
    case "exact":
      return num(f.value, digits);
    case "atLeast":
      return `${ascii ? ">=" : "≥"} ${num(f.value, digits)}`;
    case "below":
      return Number.isFinite(f.value) ? `< ${num(f.value, digits)}` : "below threshold";
    case "range":
      return `${num(f.lo, digits)}..${num(f.hi, digits)}`;
  }
}

/** Why a figure cannot carry a verdict, for the test column of a comparison. */
export function boundReason(f: Figure): string {
  switch (f.kind) {
    case "atLeast":
      return `${fmtFigure(f)} lies beyond the histogram's range: a bound, not a measurement`;
    case "below":
      return "the tool only says it stayed below its threshold";
    case "range":
      return `only known to lie in ${fmtFigure(f)} (the histogram overflowed)`;
    default:
      return "";
  }
}

/**
 * The p-quantile of a histogram whose last `overflow` samples are only known to be at least
 * `overflowFrom` (they are stored at that value): exact below it, a lower bound in it.
 */
export function quantileFigure(s: Sample, p: number, overflow = 0, overflowFrom?: number): Figure {
  const q = quantile(s, p);
  if (overflow > 0 && overflowFrom !== undefined && q >= overflowFrom)
    return { kind: "atLeast", value: overflowFrom };
  return exact(q);
}

/**
 * The mean of a histogram with `overflow` samples stored at `overflowFrom`: exact without
 * overflow; otherwise between "every overflowed sample at the bucket" and "every one at the
 * maximum" (when the maximum is known).
 */
export function histogramMeanFigure(s: Sample, overflow = 0, max?: number): Figure {
  const m = sampleMean(s);
  if (overflow === 0) return exact(m);
  if (max === undefined || !Number.isFinite(max)) return { kind: "atLeast", value: m };
  // Stored at overflowFrom (the smallest value an overflowed sample can have): the lower bound.
  const last = s.values[s.values.length - 1]!;
  const hi = m + (overflow * (max - last)) / s.total;
  return { kind: "range", lo: m, hi };
}

/** A series as far as its figures go (runs.ts Series). */
export interface FigureSource {
  sample?: Sample;
  figures?: { count?: number; min?: Figure; max?: Figure; mean?: Figure };
  overflow?: number;
  overflowFrom?: number;
}

export type FigureName = "count" | "min" | "P50" | "P95" | "P99" | "P99.9" | "max" | "mean";

const PERCENT: Record<string, number> = { P50: 0.5, P95: 0.95, P99: 0.99, "P99.9": 0.999 };

/**
 * One figure of a series: percentiles from the distribution (a bound where they fall beyond the
 * histogram), min/max/mean from the tool's summary where it has them (exact), else from the
 * distribution. Undefined when the series does not hold it (plain cyclictest has no P99).
 */
export function seriesFigure(s: FigureSource, name: FigureName): Figure | undefined {
  const has = s.sample && s.sample.total > 0;
  const overflow = s.overflow ?? 0;
  if (name in PERCENT)
    return has ? quantileFigure(s.sample!, PERCENT[name]!, overflow, s.overflowFrom) : undefined;
  if (name === "count") {
    const c = s.figures?.count ?? s.sample?.total;
    return c === undefined ? undefined : exact(c);
  }
  const own = s.figures?.[name as "min" | "max" | "mean"];
  if (own) return own;
  if (!has) return undefined;
  const v = s.sample!.values;
  if (name === "min") return quantileFigure(s.sample!, 0, overflow, s.overflowFrom);
  if (name === "max")
    return overflow > 0 ? { kind: "atLeast", value: s.overflowFrom! } : exact(v[v.length - 1]!);
  return histogramMeanFigure(s.sample!, overflow);
}
