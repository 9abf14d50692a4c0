/** Number formatting and the summary rows shared by show, compare and report. */
import type { Comparison, MetricRow } from "./compare.ts";
import { type Figure, type FigureName, figureValue, fmtFigure, seriesFigure } from "./figures.ts";
import type { Series } from "./runs.ts";

export function fmt(v: number | undefined, digits = 1): string {
  if (v === undefined || Number.isNaN(v)) return "-";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

export function fmtPct(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "-" : "new";
  return `${v > 0 ? "+" : ""}${v.toFixed(1)}%`;
}

const SUMMARY_FIGURES = ["count", "min", "P50", "P95", "P99", "max", "mean"] as const;

export interface SeriesSummary {
  series: string;
  /** "samples" when recomputed from the distribution, "tool" when only the tool's figures exist. */
  source: "samples" | "tool";
  count?: number;
  min?: number;
  p50?: number;
  p95?: number;
  p99?: number;
  p999?: number;
  max?: number;
  mean?: number;
  /** Figures that are bounds, not measurements: name -> "≥ 30", "< 10", "1.0..1.2". */
  bounds?: Record<string, string>;
  figures: Partial<Record<FigureName, Figure>>;
  notes: string[];
}

export function summarizeSeries(s: Series): SeriesSummary {
  const figures: Partial<Record<FigureName, Figure>> = {};
  for (const name of [...SUMMARY_FIGURES, "P99.9"] as FigureName[]) {
    const f = seriesFigure(s, name);
    if (f) figures[name] = f;
  }
  const v = (n: FigureName) => (figures[n] ? figureValue(figures[n]) : undefined);
  const bounds = Object.fromEntries(
    Object.entries(figures)
      .filter(([, f]) => f.kind !== "exact")
      .map(([n, f]) => [n, fmtFigure(f)]),
  );
  return {
    series: s.name,
    source: s.sample && s.sample.total > 0 ? "samples" : "tool",
    count: v("count"),
    min: v("min"),
    p50: v("P50"),
    p95: v("P95"),
    p99: v("P99"),
    p999: v("P99.9"),
    max: v("max"),
    mean: v("mean"),
    ...(Object.keys(bounds).length ? { bounds } : {}),
    figures,
    notes: s.notes,
  };
}

export const SUMMARY_HEAD = ["series", "count", "min", "P50", "P95", "P99", "max", "mean"];

export function summaryRow(s: SeriesSummary): string[] {
  const f = (n: FigureName, digits = 1) => fmtFigure(s.figures[n], digits);
  return [s.series, f("count"), f("min"), f("P50"), f("P95"), f("P99"), f("max"), f("mean", 2)];
}

export const COMPARE_HEAD = [
  "series",
  "metric",
  "baseline",
  "candidate",
  "delta",
  "95% CI baseline vs candidate",
  "p (Holm)",
  "verdict",
];

/** A value, or "≥ limit" when it lies beyond a histogram's range. */
function bounded(v: number, limit: number | undefined): string {
  return limit !== undefined && v >= limit ? `≥ ${fmt(limit)}` : fmt(v);
}

function interval(ci: [number, number] | undefined, limit?: number): string {
  return ci ? `[${bounded(ci[0], limit)}, ${bounded(ci[1], limit)}]` : "-";
}

function pValue(p: number): string {
  return p < 0.001 ? "<0.001" : p.toFixed(3);
}

/** Both sides' 95% intervals (quantiles: order statistics; per-run values: t). */
export function intervals(r: MetricRow): string {
  if (!r.baselineCI && !r.candidateCI) return "-";
  return `${interval(r.baselineCI, r.overflowFrom)} vs ${interval(r.candidateCI, r.overflowFrom)}`;
}

/** The p-value as tested and Holm-adjusted across the comparison's rows (the verdict's). */
export function evidence(r: MetricRow): string {
  if (r.p === undefined) return "-";
  return `${pValue(r.p)} (${r.pAdjusted === undefined ? "-" : pValue(r.pAdjusted)})`;
}

export function compareRow(r: MetricRow): string[] {
  return [
    r.series,
    r.metric,
    r.baselineBound ?? fmt(r.baseline),
    r.candidateBound ?? fmt(r.candidate),
    r.baselineBound || r.candidateBound ? "-" : `${fmt(r.delta)} (${fmtPct(r.deltaPct)})`,
    intervals(r),
    evidence(r),
    r.verdict,
  ];
}

export function markdownTable(head: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, "\\|");
  return [
    `| ${head.map(esc).join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

export function comparisonHeadline(c: Comparison): string {
  const resolution = Math.max(0, ...c.rows.map((r) => r.resolution ?? 0));
  const buckets = resolution
    ? ` and ${c.options.minBuckets} histogram buckets (${c.options.minBuckets * resolution} ${c.unit}: one bucket's shift is not a change)`
    : "";
  return (
    `${c.candidate.label} (${c.candidate.runs} run${c.candidate.runs === 1 ? "" : "s"}) vs ` +
    `${c.baseline.label} (${c.baseline.runs} run${c.baseline.runs === 1 ? "" : "s"}), ${c.unit}; ` +
    `threshold ${c.options.thresholdPct}% and ${c.options.minDelta} ${c.unit}${buckets}, alpha ${c.options.alpha} (Holm over ${c.rows.filter((r) => r.p !== undefined).length} tests): ` +
    `${c.regressions} regressed, ${c.improvements} improved`
  );
}

/** Why a comparison has no rows: never an empty table without a word. */
export function emptyReason(c: Comparison): string | undefined {
  if (c.rows.length) return undefined;
  if (c.unmatched.length) return `no series in common (only on one side: ${c.unmatched.join(", ")})`;
  return "neither side holds a figure to compare (no samples and no summary)";
}
