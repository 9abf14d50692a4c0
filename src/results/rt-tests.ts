/**
 * Readers for the jitter tools of rt-tests and the cnf-tests image: cyclictest (plain summary,
 * `-h`/`-H` histogram, `--json`), oslat (text and `--json`) and hwlatdetect. Each returns one
 * series per measured thread/CPU with the distribution where the output has one (histograms:
 * 1 us buckets) and the tool's own min/avg/max. Output may be embedded in a pod log with other
 * lines around it. Values are microseconds.
 */
import { UserError } from "../lib/errors.ts";
import { findJsonError, lineColumn } from "./json-scan.ts";
import { fromHistogram, type Sample } from "./stats.ts";

export type JitterTool = "cyclictest" | "oslat" | "hwlatdetect";

export interface JitterSeries {
  /** "cpu 3" when the CPU is known, else "thread 0". */
  name: string;
  cpu?: number;
  /** The distribution, when the output holds one. */
  sample?: Sample;
  /** What the tool itself reported. */
  reported: { count?: number; min?: number; avg?: number; max?: number };
  /** Samples beyond the last histogram bucket; counted at the reported maximum (an upper bound). */
  overflow: number;
}

export interface JitterResult {
  tool: JitterTool;
  format: "plain" | "histogram" | "json" | "text";
  series: JitterSeries[];
  meta: Record<string, unknown>;
  warnings: string[];
}

function bad(file: string, line: number | undefined, what: string): UserError {
  return new UserError({
    what,
    where: line === undefined ? file : `${file}:${line}`,
    next: "check that the file is complete output of the tool (a truncated pod log or a cut copy-paste shows up like this)",
  });
}

const int = (s: string): number => Number.parseInt(s, 10);

/** Builds the sample of a histogram; overflow samples are put at the reported max, flagged. */
function histogramSample(buckets: Map<number, number>, overflow: number, max: number | undefined): Sample {
  const all = new Map(buckets);
  if (overflow > 0) {
    const at = max ?? Math.max(...buckets.keys()) + 1;
    all.set(at, (all.get(at) ?? 0) + overflow);
  }
  return fromHistogram(all);
}

function overflowWarning(tool: string, series: JitterSeries[], limit: string): string[] {
  const total = series.reduce((t, s) => t + s.overflow, 0);
  return total > 0
    ? [
        `${total} ${tool} samples were beyond the histogram (${limit}); they are counted at each thread's maximum, so quantiles that fall there are upper bounds`,
      ]
    : [];
}

// ---- cyclictest ----------------------------------------------------------------------------

const CT_LINE =
  /T:\s*(\d+)\s+\(\s*\d+\)\s+P:\s*\d+\s+I:\s*\d+\s+C:\s*(\d+)\s+Min:\s*(\d+)\s+Act:\s*\d+\s+Avg:\s*(\d+)\s+Max:\s*(\d+)/;

export function parseCyclictestText(text: string, file: string): JitterResult {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === "# Histogram");
  if (start >= 0) return parseCyclictestHistogram(lines, start, file);
  // Plain mode: a status line per thread, redrawn with cursor escapes unless -q; keep the last.
  const last = new Map<number, RegExpExecArray>();
  for (const raw of lines) {
    for (const part of raw.split("\x1b")) {
      const m = CT_LINE.exec(part);
      if (m) last.set(int(m[1]!), m);
    }
  }
  if (last.size === 0)
    throw bad(
      file,
      undefined,
      "no cyclictest results found (no '# Histogram' block and no 'T: n ... Max:' lines)",
    );
  const series = [...last.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, m]) => ({
      name: `thread ${t}`,
      reported: { count: int(m[2]!), min: int(m[3]!), avg: int(m[4]!), max: int(m[5]!) },
      overflow: 0,
    }));
  return {
    tool: "cyclictest",
    format: "plain",
    series,
    meta: {},
    warnings: [
      "plain cyclictest output holds only min/avg/max per thread: run with -h (histogram) or --json for percentiles",
    ],
  };
}

function parseCyclictestHistogram(lines: string[], start: number, file: string): JitterResult {
  const rows: { line: number; cols: number[] }[] = [];
  const trailer = new Map<string, number[]>();
  let i = start + 1;
  for (; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === "") continue;
    if (l.startsWith("#")) break;
    if (!/^\d+(\s+\d+)+$/.test(l))
      throw bad(file, i + 1, `unexpected line in the cyclictest histogram: "${l.slice(0, 60)}"`);
    rows.push({ line: i + 1, cols: l.split(/\s+/).map(int) });
  }
  for (; i < lines.length; i++) {
    const m = /^#\s*(Total|Min Latencies|Avg Latencies|Max Latencies|Histogram Overflows):\s*(.*)$/.exec(
      lines[i]!.trim(),
    );
    if (m) trailer.set(m[1]!, m[2]!.trim().split(/\s+/).filter(Boolean).map(int));
  }
  const maxes = trailer.get("Max Latencies");
  if (!maxes) {
    const at = rows.at(-1)?.line ?? start + 1;
    throw bad(
      file,
      at,
      "the cyclictest histogram ends without its '# Max Latencies' summary (truncated output?)",
    );
  }
  // With -H, Total, Max and Overflows carry an extra all-threads column; Min and Avg do not.
  const threads = trailer.get("Min Latencies")?.length ?? maxes.length;
  const width = rows[0]?.cols.length ?? threads + 1;
  // -H adds a total column after the per-thread counts.
  if (width !== threads + 1 && width !== threads + 2) {
    throw bad(
      file,
      rows[0]?.line,
      `histogram rows have ${width - 1} counts but the summary lists ${threads} threads`,
    );
  }
  const buckets = Array.from({ length: threads }, () => new Map<number, number>());
  for (const r of rows) {
    if (r.cols.length !== width)
      throw bad(file, r.line, `histogram row has ${r.cols.length} columns, expected ${width}`);
    for (let t = 0; t < threads; t++) if (r.cols[t + 1]! > 0) buckets[t]!.set(r.cols[0]!, r.cols[t + 1]!);
  }
  const mins = trailer.get("Min Latencies");
  const avgs = trailer.get("Avg Latencies");
  const over = trailer.get("Histogram Overflows");
  const series: JitterSeries[] = buckets.map((b, t) => {
    const overflow = over?.[t] ?? 0;
    const sample = histogramSample(b, overflow, maxes[t]);
    return {
      name: `thread ${t}`,
      sample,
      reported: { count: sample.total, min: mins?.[t], avg: avgs?.[t], max: maxes[t] },
      overflow,
    };
  });
  const limit = `>= ${rows.length > 0 ? rows.at(-1)!.cols[0]! + 1 : 0} us`;
  return {
    tool: "cyclictest",
    format: "histogram",
    series,
    meta: {},
    warnings: overflowWarning("cyclictest", series, limit),
  };
}

// ---- JSON (cyclictest --json, oslat --json) -----------------------------------------------------

interface RtJsonThread {
  histogram?: Record<string, number>;
  cycles?: number;
  min?: number;
  max?: number;
  avg?: number;
  cpu?: number;
}

export function parseRtTestsJson(data: unknown, file: string): JitterResult {
  const d = data as { thread?: Record<string, RtJsonThread>; "cmdline:"?: string; cmdline?: string };
  if (typeof d !== "object" || d === null || typeof d.thread !== "object" || d.thread === null) {
    throw bad(file, undefined, 'not rt-tests JSON output: no "thread" object');
  }
  const cmdline = d["cmdline:"] ?? d.cmdline ?? "";
  const tool: JitterTool =
    /oslat/.test(cmdline) || Object.values(d.thread).some((t) => "freq" in t) ? "oslat" : "cyclictest";
  const series: JitterSeries[] = [];
  for (const [id, t] of Object.entries(d.thread).sort((a, b) => int(a[0]) - int(b[0]))) {
    const buckets = new Map<number, number>();
    for (const [k, v] of Object.entries(t.histogram ?? {})) {
      if (!/^\d+$/.test(k) || typeof v !== "number" || v < 0) {
        throw bad(
          file,
          undefined,
          `thread ${id}: histogram bucket "${k}": ${JSON.stringify(v)} is not a count`,
        );
      }
      buckets.set(int(k), v);
    }
    const inHist = [...buckets.values()].reduce((a, b) => a + b, 0);
    // cyclictest's JSON omits overflows; the cycle count minus the histogram gives them.
    const overflow =
      tool === "cyclictest" && typeof t.cycles === "number" && buckets.size > 0
        ? Math.max(0, t.cycles - inHist)
        : 0;
    const name = typeof t.cpu === "number" ? `cpu ${t.cpu}` : `thread ${id}`;
    series.push({
      name,
      cpu: t.cpu,
      sample: buckets.size > 0 ? histogramSample(buckets, overflow, t.max) : undefined,
      reported: { count: t.cycles ?? (inHist || undefined), min: t.min, avg: t.avg, max: t.max },
      overflow,
    });
  }
  const warnings = overflowWarning(tool, series, "beyond the last bucket");
  if (series.every((s) => !s.sample)) {
    warnings.push(`${tool} JSON has no histogram: run cyclictest with -h <max-us> as well for percentiles`);
  }
  const { thread: _t, ...meta } = d as Record<string, unknown>;
  return { tool, format: "json", series, meta, warnings };
}

// ---- oslat text ----------------------------------------------------------------------------

export function parseOslatText(text: string, file: string): JitterResult {
  const lines = text.split(/\r?\n/);
  const coreAt = lines.findIndex((l) => /^\s*Core:\s/.test(l));
  if (coreAt < 0) throw bad(file, undefined, "no oslat results found (no 'Core:' line)");
  const cpus = lines[coreAt]!.replace(/^\s*Core:\s*/, "")
    .trim()
    .split(/\s+/)
    .map(int);
  const n = cpus.length;
  const buckets = cpus.map(() => new Map<number, number>());
  const stats: Record<string, number[]> = {};
  let lastBucket = -1;
  let overflowInLast = false;
  for (let i = coreAt + 1; i < lines.length; i++) {
    const l = lines[i]!;
    const b = /^\s*(\d+)\s+\(us\):\s*([\d\s]+?)\s*(\(including overflows\))?\s*$/.exec(l);
    if (b) {
      const vals = b[2]!.trim().split(/\s+/).map(int);
      if (vals.length !== n)
        throw bad(file, i + 1, `oslat bucket line has ${vals.length} counts for ${n} CPUs`);
      vals.forEach((v, c) => {
        if (v > 0) buckets[c]!.set(int(b[1]!), v);
      });
      lastBucket = int(b[1]!);
      overflowInLast = Boolean(b[3]);
      continue;
    }
    const s = /^\s*(Minimum|Average|Maximum|Max-Min|Duration):\s*([\d.\s]+?)\s*\((us|sec)\)\s*$/.exec(l);
    if (s) {
      const vals = s[2]!.trim().split(/\s+/).map(Number);
      if (vals.length !== n)
        throw bad(file, i + 1, `oslat ${s[1]} line has ${vals.length} values for ${n} CPUs`);
      stats[s[1]!] = vals;
    }
  }
  if (!stats.Maximum) {
    throw bad(file, lines.length, "the oslat output ends before its 'Maximum:' line (truncated output?)");
  }
  const series: JitterSeries[] = cpus.map((cpu, c) => {
    const b = buckets[c]!;
    // The last bucket also holds every sample beyond it ("including overflows").
    let overflow = 0;
    if (overflowInLast && b.has(lastBucket) && stats.Maximum![c]! > lastBucket) {
      overflow = b.get(lastBucket)!;
      b.delete(lastBucket);
    }
    const sample = histogramSample(b, overflow, stats.Maximum![c]);
    return {
      name: `cpu ${cpu}`,
      cpu,
      sample,
      reported: {
        count: sample.total,
        min: stats.Minimum?.[c],
        avg: stats.Average?.[c],
        max: stats.Maximum![c],
      },
      overflow,
    };
  });
  return {
    tool: "oslat",
    format: "text",
    series,
    meta: stats.Duration ? { durationSec: stats.Duration } : {},
    warnings: overflowWarning("oslat", series, `>= ${lastBucket} us`),
  };
}

// ---- hwlatdetect ---------------------------------------------------------------------------

export function parseHwlatdetect(text: string, file: string): JitterResult {
  const lines = text.split(/\r?\n/);
  const meta: Record<string, unknown> = {};
  const values: number[] = [];
  let recorded: number | undefined;
  let max: number | undefined;
  let finished = false;
  const rules: [RegExp, (m: RegExpExecArray) => void][] = [
    [/hwlatdetect:\s+test duration (\d+) seconds/, (m) => (meta.durationSec = int(m[1]!))],
    [/Latency threshold:\s*(\d+)us/, (m) => (meta.thresholdUs = int(m[1]!))],
    [/^\s*test finished/, () => (finished = true)],
    [/^\s*Max Latency:\s*(?:(\d+)us|Below threshold)/, (m) => (max = m[1] ? int(m[1]) : 0)],
    [/^\s*Samples recorded:\s*(\d+)/, (m) => (recorded = int(m[1]!))],
    [/^\s*Samples exceeding threshold:\s*(\d+)/, (m) => (meta.exceeding = int(m[1]!))],
    [/^\s*SMIs during run:\s*(\d+)/, (m) => (meta.smis = int(m[1]!))],
    [
      /^\s*ts:\s*([\d.]+),\s*inner:(\d+),\s*outer:(\d+)/,
      (m) => values.push(Math.max(int(m[2]!), int(m[3]!))),
    ],
  ];
  lines.forEach((l, i) => {
    for (const [re, fn] of rules) {
      const m = re.exec(l);
      if (m) {
        fn(m);
        return;
      }
    }
    if (/^\s*ts:/.test(l))
      throw bad(file, i + 1, `malformed hwlatdetect sample line: "${l.trim().slice(0, 60)}"`);
  });
  if (!finished || recorded === undefined || max === undefined) {
    throw bad(
      file,
      lines.length,
      "hwlatdetect output ends before 'Samples recorded:' (the test did not finish or the log is truncated)",
    );
  }
  const warnings: string[] = [];
  if (values.length !== recorded) {
    warnings.push(
      `hwlatdetect says ${recorded} samples were recorded but ${values.length} sample lines were printed`,
    );
  }
  const buckets = new Map<number, number>();
  for (const v of values) buckets.set(v, (buckets.get(v) ?? 0) + 1);
  return {
    tool: "hwlatdetect",
    format: "text",
    series: [
      {
        name: "all CPUs",
        sample: values.length > 0 ? fromHistogram(buckets) : undefined,
        reported: { count: recorded, max },
        overflow: 0,
      },
    ],
    meta,
    warnings: [
      "hwlatdetect records only gaps above its threshold: its samples are the spikes, not the whole distribution",
      ...warnings,
    ],
  };
}

/** Recognises the tool from the output and parses it. */
export function parseJitterOutput(text: string, file: string): JitterResult {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      const buf = Buffer.from(text);
      const err = findJsonError(buf);
      const at = err ? lineColumn(buf, err.offset) : undefined;
      throw new UserError({
        what: `malformed JSON: ${err?.message ?? (e as Error).message}`,
        where: at ? `${file}:${at.line}:${at.column}` : file,
        next: "the file may be truncated; re-run the tool or collect the pod log again",
      });
    }
    return parseRtTestsJson(data, file);
  }
  if (/hwlatdetect:\s+test duration/.test(text)) return parseHwlatdetect(text, file);
  if (/^\s*Core:\s/m.test(text) && /\(us\):/.test(text)) return parseOslatText(text, file);
  if (/^# Histogram\s*$/m.test(text) || CT_LINE.test(text)) return parseCyclictestText(text, file);
  if (trimmed === "") throw bad(file, undefined, "the file is empty");
  throw bad(file, undefined, "not recognised as cyclictest, oslat or hwlatdetect output");
}
