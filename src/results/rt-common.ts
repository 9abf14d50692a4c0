/**
 * What every jitter-tool reader shares: the result shape, error messages that name the file and
 * line, and linear-time tokenising (no regular expression with nested or adjacent repetition runs
 * on a line from a file: a crafted line must not cost more than its length).
 */
import { UserError } from "../lib/errors.ts";
import type { Figure } from "./figures.ts";
import type { Sample } from "./stats.ts";

export type JitterTool = "cyclictest" | "oslat" | "hwlatdetect";

export interface JitterSeries {
  /** "cpu 3" when the CPU is known, else "thread 0". */
  name: string;
  cpu?: number;
  /**
   * The distribution, when the output holds one (1 us buckets). Samples beyond the histogram's
   * range are in it at `overflowFrom`, the smallest value they can have.
   */
  sample?: Sample;
  /** How many samples lie beyond the histogram's range (at or above `overflowFrom`). */
  overflow: number;
  overflowFrom?: number;
  /** The figures as exact as the output allows (the tool's own summary where it is right). */
  figures: { count?: number; min?: Figure; max?: Figure; mean?: Figure };
  /** What the tool itself printed, as printed. */
  reported: { count?: number; min?: number; avg?: number; max?: number };
}

export interface JitterResult {
  tool: JitterTool;
  format: "plain" | "histogram" | "json" | "text";
  series: JitterSeries[];
  meta: Record<string, unknown>;
  warnings: string[];
}

export function bad(file: string, line: number | undefined, what: string, next?: string): UserError {
  return new UserError({
    what,
    where: line === undefined ? file : `${file}:${line}`,
    next:
      next ??
      "check that the file is complete output of the tool (a truncated pod log or a cut copy-paste shows up like this)",
  });
}

/** Whitespace-separated tokens of a line (one linear pass). */
export function tokens(line: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const c = i < line.length ? line.charCodeAt(i) : 32;
    const ws = c === 32 || c === 9 || c === 13 || c === 10 || c === 11 || c === 12;
    if (ws) {
      if (start >= 0) out.push(line.slice(start, i));
      start = -1;
    } else if (start < 0) start = i;
  }
  return out;
}

/** True for a non-empty run of ASCII digits. */
export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A decimal number as the tools print them (digits, optional fraction); NaN otherwise. */
export function decimal(s: string): number {
  let dot = false;
  if (s.length === 0) return Number.NaN;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 && !dot && i > 0 && i < s.length - 1) dot = true;
    else if (c < 48 || c > 57) return Number.NaN;
  }
  return Number(s);
}

/** Lines of a text, without the line endings. */
export function lines(text: string): string[] {
  return text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** A "-h N"-style option value from a command line: the number after any of the flags. */
export function optionValue(cmdline: string, flags: string[]): number | undefined {
  const t = tokens(cmdline);
  for (let i = 0; i < t.length; i++) {
    for (const f of flags) {
      if (t[i] === f && i + 1 < t.length && isDigits(t[i + 1]!)) return Number(t[i + 1]);
      if (f.startsWith("--") && t[i]!.startsWith(`${f}=`) && isDigits(t[i]!.slice(f.length + 1)))
        return Number(t[i]!.slice(f.length + 1));
      if (!f.startsWith("--") && t[i]!.startsWith(f) && isDigits(t[i]!.slice(f.length)))
        return Number(t[i]!.slice(f.length));
    }
  }
  return undefined;
}

/** One warning for the samples beyond the histograms of a result. */
export function overflowWarning(tool: string, series: JitterSeries[]): string[] {
  const over = series.filter((s) => s.overflow > 0);
  if (over.length === 0) return [];
  const total = over.reduce((t, s) => t + s.overflow, 0);
  const from = Math.min(...over.map((s) => s.overflowFrom ?? Number.POSITIVE_INFINITY));
  return [
    `${total} ${tool} sample${total === 1 ? " was" : "s were"} beyond the histogram (at or above ${from} us): percentiles and means that fall there are shown as bounds (≥ ${from}) and carry no verdict; the maxima are the tool's own`,
  ];
}
