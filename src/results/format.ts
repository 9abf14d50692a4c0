/** Number formatting and the summary rows shared by show, compare and report. */
import type { Comparison, MetricRow } from "./compare.ts";
import type { Series } from "./runs.ts";
import { type Summary, summarize } from "./stats.ts";

export function fmt(v: number | undefined, digits = 1): string {
  if (v === undefined || Number.isNaN(v)) return "-";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

export function fmtPct(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "-" : "new";
  return `${v > 0 ? "+" : ""}${v.toFixed(1)}%`;
}

export interface SeriesSummary extends Partial<Summary> {
  series: string;
  /** "samples" when recomputed from the data, "tool" when only the tool's own figures exist. */
  source: "samples" | "tool";
  notes: string[];
}

export function summarizeSeries(s: Series): SeriesSummary {
  if (s.sample && s.sample.total > 0) {
    const sum: SeriesSummary = { series: s.name, source: "samples", ...summarize(s.sample), notes: s.notes };
    // Overflowed samples sit at the maximum, which would inflate a histogram mean: the tool's own
    // average (over every sample) is the right one then.
    if ((s.overflow ?? 0) > 0 && typeof s.reported?.avg === "number") {
      return {
        ...sum,
        mean: s.reported.avg,
        notes: [...s.notes, "mean as reported by the tool (the histogram overflowed)"],
      };
    }
    return sum;
  }
  return {
    series: s.name,
    source: "tool",
    count: s.reported?.count ?? 0,
    min: s.reported?.min,
    max: s.reported?.max,
    mean: s.reported?.avg,
    notes: s.notes,
  };
}

export const SUMMARY_HEAD = ["series", "count", "min", "P50", "P95", "P99", "max", "mean"];

export function summaryRow(s: SeriesSummary): string[] {
  return [s.series, fmt(s.count), fmt(s.min), fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.max), fmt(s.mean, 2)];
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

function interval(ci: [number, number] | undefined): string {
  return ci ? `[${fmt(ci[0])}, ${fmt(ci[1])}]` : "-";
}

function pValue(p: number): string {
  return p < 0.001 ? "<0.001" : p.toFixed(3);
}

/** Both sides' 95% intervals (quantiles: order statistics; per-run values: t). */
export function intervals(r: MetricRow): string {
  if (!r.baselineCI && !r.candidateCI) return "-";
  return `${interval(r.baselineCI)} vs ${interval(r.candidateCI)}`;
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
    fmt(r.baseline),
    fmt(r.candidate),
    `${fmt(r.delta)} (${fmtPct(r.deltaPct)})`,
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
  return (
    `${c.candidate.label} (${c.candidate.runs} run${c.candidate.runs === 1 ? "" : "s"}) vs ` +
    `${c.baseline.label} (${c.baseline.runs} run${c.baseline.runs === 1 ? "" : "s"}), ${c.unit}; ` +
    `threshold ${c.options.thresholdPct}% and ${c.options.minDelta} ${c.unit}, alpha ${c.options.alpha} (Holm over ${c.rows.filter((r) => r.p !== undefined).length} tests): ` +
    `${c.regressions} regressed, ${c.improvements} improved`
  );
}
