/**
 * Readers for the jitter tools of rt-tests and the cnf-tests image: cyclictest (plain summary,
 * `-h`/`-H` histogram, `--json`), oslat (text and `--json`) and hwlatdetect. Each returns one
 * series per measured thread/CPU with the distribution where the output has one (histograms:
 * 1 us buckets) and figures as exact as the output allows; what the tool printed about itself
 * is checked against what was read (rt-cyclictest.ts, rt-oslat.ts, rt-hwlat.ts). Output may be
 * embedded in a pod log with other lines around it. Values are microseconds.
 */
import { UserError } from "../lib/errors.ts";
import { exact, histogramMeanFigure } from "./figures.ts";
import { findJsonError, lineColumn } from "./json-scan.ts";
import {
  bad,
  isDigits,
  type JitterResult,
  type JitterSeries,
  type JitterTool,
  optionValue,
  overflowWarning,
  tokens,
} from "./rt-common.ts";
import { parseCyclictestText } from "./rt-cyclictest.ts";
import { parseHwlatdetect } from "./rt-hwlat.ts";
import { oslatSeries, parseOslatText } from "./rt-oslat.ts";
import { fromHistogram } from "./stats.ts";

export type { JitterResult, JitterSeries, JitterTool };
export { parseCyclictestText, parseHwlatdetect, parseOslatText };

interface RtJsonThread {
  histogram?: Record<string, unknown>;
  cycles?: unknown;
  min?: unknown;
  max?: unknown;
  avg?: unknown;
  cpu?: unknown;
  freq?: unknown;
}

const finite = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;

/** cyclictest --json / oslat --json (rt-tests' rt_write_json: one object per thread). */
export function parseRtTestsJson(data: unknown, file: string): JitterResult {
  const d = data as {
    thread?: Record<string, RtJsonThread>;
    "cmdline:"?: unknown;
    cmdline?: unknown;
    num_threads?: unknown;
  };
  if (typeof d !== "object" || d === null || typeof d.thread !== "object" || d.thread === null) {
    throw bad(file, undefined, 'not rt-tests JSON output: no "thread" object');
  }
  const cmdline = String(d["cmdline:"] ?? d.cmdline ?? "");
  const entries = Object.entries(d.thread);
  if (!entries.every(([id]) => isDigits(id)))
    throw bad(file, undefined, 'a key of "thread" is not a thread number');
  entries.sort((a, b) => Number(a[0]) - Number(b[0]));
  if (typeof d.num_threads === "number" && d.num_threads !== entries.length) {
    throw bad(
      file,
      undefined,
      `"num_threads" is ${d.num_threads} but "thread" holds ${entries.length} threads`,
    );
  }
  const tool: JitterTool =
    tokens(cmdline).some((t) => t.endsWith("oslat")) || entries.some(([, t]) => "freq" in t)
      ? "oslat"
      : "cyclictest";
  const warnings: string[] = [];
  const series: JitterSeries[] = entries.map(([id, t], index) => {
    const buckets = new Map<number, number>();
    for (const [k, v] of Object.entries(t.histogram ?? {})) {
      if (!isDigits(k) || typeof v !== "number" || !Number.isInteger(v) || v < 0) {
        throw bad(
          file,
          undefined,
          `thread ${id}: histogram bucket "${k}": ${JSON.stringify(v)} is not a count`,
        );
      }
      if (v > 0) buckets.set(Number(k), v);
    }
    const max = finite(t.max);
    const min = finite(t.min);
    const avg = finite(t.avg);
    const cpu = finite(t.cpu);
    const name = cpu !== undefined ? `cpu ${cpu}` : `thread ${id}`;
    if (max === undefined) throw bad(file, undefined, `thread ${id} has no "max"`);
    if (tool === "oslat") {
      // oslat's JSON has no bucket-size field: the last bucket is the largest key when the
      // maximum lies beyond it (that sample must be in some bucket), else there is no overflow.
      const keys = [...buckets.keys()];
      const lastBucket = keys.length ? Math.max(...keys) : max;
      return oslatSeries(
        { cpu: cpu ?? Number(id), index, buckets, lastBucket, min, avg, max },
        file,
        undefined,
        warnings,
      );
    }
    // cyclictest's JSON omits the overflow count: the cycle count minus the histogram gives it.
    const inHist = [...buckets.values()].reduce((a, b) => a + b, 0);
    const cycles = finite(t.cycles);
    if (cycles !== undefined && buckets.size > 0 && inHist > cycles)
      throw bad(
        file,
        undefined,
        `thread ${id}: the histogram holds ${inHist} samples but "cycles" is ${cycles}`,
      );
    const overflow = cycles !== undefined && buckets.size > 0 ? cycles - inHist : 0;
    // The histogram size from the command line (-h/--histogram, -H/--histofall); else the
    // overflowed samples are only known to lie above the highest bucket.
    const size =
      optionValue(cmdline, ["-h", "--histogram", "-H", "--histofall"]) ??
      (buckets.size ? Math.max(...buckets.keys()) + 1 : undefined);
    if (buckets.size > 0 && overflow === 0 && Math.max(...buckets.keys()) !== max) {
      throw bad(
        file,
        undefined,
        `thread ${id}: "max" is ${max} us but the highest histogram bucket with samples is ${Math.max(...buckets.keys())} us`,
      );
    }
    const all = new Map(buckets);
    if (overflow > 0 && size !== undefined) all.set(size, (all.get(size) ?? 0) + overflow);
    const sample = buckets.size ? fromHistogram(all) : undefined;
    const mean =
      sample && overflow === 0 ? histogramMeanFigure(sample) : avg !== undefined ? exact(avg) : undefined;
    return {
      name,
      cpu,
      sample,
      overflow,
      overflowFrom: overflow ? size : undefined,
      figures: {
        count: cycles ?? sample?.total,
        min: min !== undefined ? exact(min) : undefined,
        max: exact(max),
        mean,
      },
      reported: { count: cycles, min, avg, max },
    };
  });
  warnings.unshift(...overflowWarning(tool, series));
  if (series.every((s) => !s.sample)) {
    warnings.push(
      `${tool} JSON has no histogram: only the maxima and averages can be compared; run cyclictest with -h <max-us> as well for percentiles`,
    );
  }
  const { thread: _t, ...meta } = d as Record<string, unknown>;
  return { tool, format: "json", series, meta, warnings };
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
  if (trimmed === "") throw bad(file, undefined, "the file is empty");
  const lines = text.split("\n");
  const has = (pred: (t: string[]) => boolean) => lines.some((l) => pred(tokens(l)));
  if (has((t) => t[0] === "hwlatdetect:" && t[1] === "test")) return parseHwlatdetect(text, file);
  if (has((t) => t[0] === "Core:") && has((t) => t[1] === "(us):")) return parseOslatText(text, file);
  if (has((t) => t[0] === "#" && t[1] === "Histogram" && t.length === 2) || /T:\s?\d+ \(/.test(text))
    return parseCyclictestText(text, file);
  throw bad(file, undefined, "not recognised as cyclictest, oslat or hwlatdetect output");
}
