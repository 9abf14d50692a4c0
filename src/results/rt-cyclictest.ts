/**
 * cyclictest text output (rt-tests src/cyclic/cyclictest.c): the plain per-thread status lines
 * (`-q` prints them once at the end; without it they are redrawn with cursor escapes) and the
 * `-h N` / `-H N` histogram with its summary. Every number the tool prints about itself is
 * checked against what the reader counted: `# Total` against the buckets, the maxima and minima
 * against the highest and lowest buckets with samples, the thread count against every column.
 */
import { exact, type Figure, histogramMeanFigure } from "./figures.ts";
import {
  bad,
  isDigits,
  type JitterResult,
  type JitterSeries,
  overflowWarning,
  lines as splitLines,
  tokens,
} from "./rt-common.ts";
import { fromHistogram } from "./stats.ts";

const KEYS = ["C:", "Min:", "Act:", "Avg:", "Max:"] as const;

/**
 * One status line, "T: 0 ( 1001) P:95 I:1000 C:  60000 Min:      1 Act:    2 Avg:    2 Max:      9",
 * as tokens (a space after every colon and around parentheses, so "P:95" and "( 1001)" split the
 * same way). Returns undefined when the line is not a status line, "partial" when it starts like
 * one but a field or its value is missing (a cut log).
 */
function statusLine(
  part: string,
): { thread: number; v: Record<string, number>; partial?: boolean } | undefined {
  const norm = part.replaceAll(":", ": ").replaceAll("(", " ( ").replaceAll(")", " ) ");
  const t = tokens(norm);
  const at = t.indexOf("T:");
  if (at < 0 || !isDigits(t[at + 1] ?? "")) return undefined;
  const v: Record<string, number> = {};
  for (let i = at + 2; i < t.length - 1; i++) {
    if ((KEYS as readonly string[]).includes(t[i]!) && isDigits(t[i + 1]!)) v[t[i]!] = Number(t[i + 1]);
  }
  return { thread: Number(t[at + 1]), v, partial: KEYS.some((k) => v[k] === undefined) };
}

export function parseCyclictestText(text: string, file: string): JitterResult {
  const lines = splitLines(text);
  const start = lines.findIndex((l) => l.trim() === "# Histogram");
  if (start >= 0) return parseCyclictestHistogram(lines, start, file);
  // Plain mode: keep the last complete status line of each thread; a status line cut short is
  // an error unless a complete one of the same thread follows (the live display redraws).
  const last = new Map<number, { line: number; v: Record<string, number> }>();
  const partials = new Map<number, { line: number; text: string }>();
  lines.forEach((raw, i) => {
    for (const part of raw.split("\x1b")) {
      const s = statusLine(part);
      if (!s) continue;
      if (s.partial) partials.set(s.thread, { line: i + 1, text: part.trim() });
      else {
        last.set(s.thread, { line: i + 1, v: s.v });
        partials.delete(s.thread);
      }
    }
  });
  const partial = [...partials.values()].sort((a, b) => a.line - b.line)[0];
  if (partial) {
    throw bad(
      file,
      partial.line,
      `cyclictest status line cut short: "${partial.text.slice(0, 80)}" (a thread's maximum is missing)`,
    );
  }
  if (last.size === 0) {
    throw bad(
      file,
      undefined,
      "no cyclictest results found (no '# Histogram' block and no 'T: n ... Max:' lines)",
    );
  }
  const ids = [...last.keys()].sort((a, b) => a - b);
  ids.forEach((id, k) => {
    if (id !== k)
      throw bad(file, undefined, `cyclictest thread ${k} has no status line (threads ${ids.join(", ")} do)`);
  });
  const series: JitterSeries[] = ids.map((t) => {
    const v = last.get(t)!.v;
    return {
      name: `thread ${t}`,
      overflow: 0,
      // The plain status line prints the average in whole microseconds (truncated).
      figures: { count: v["C:"], min: exact(v["Min:"]!), max: exact(v["Max:"]!), mean: exact(v["Avg:"]!) },
      reported: { count: v["C:"], min: v["Min:"], avg: v["Avg:"], max: v["Max:"] },
    };
  });
  return {
    tool: "cyclictest",
    format: "plain",
    series,
    meta: {},
    warnings: [
      "plain cyclictest output holds only min/avg/max per thread: the comparison uses the maxima and averages; run with -h (histogram) or --json for percentiles",
    ],
  };
}

const TRAILER = ["Total", "Min Latencies", "Avg Latencies", "Max Latencies", "Histogram Overflows"];

function parseCyclictestHistogram(lines: string[], start: number, file: string): JitterResult {
  const rows: { line: number; cols: number[]; raw: string[] }[] = [];
  let i = start + 1;
  for (; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === "") continue;
    if (l.startsWith("#")) break;
    const t = tokens(l);
    if (t.length < 2 || !t.every(isDigits))
      throw bad(file, i + 1, `unexpected line in the cyclictest histogram: "${l.slice(0, 60)}"`);
    const bucket = Number(t[0]);
    const prev = rows.at(-1);
    if (prev && bucket <= prev.cols[0]!)
      throw bad(file, i + 1, `histogram bucket ${bucket} follows bucket ${prev.cols[0]} (out of order)`);
    rows.push({ line: i + 1, cols: t.map(Number), raw: t });
  }
  // rt-tests prints every histogram number zero-padded to 6 digits (%06d, %06lu): in a table
  // printed that way, a shorter number lost digits.
  const padded = rows.some((r) => r.raw.every((x) => x.length >= 6));
  for (const r of padded ? rows : []) {
    const short = r.raw.find((x) => x.length < 6);
    if (short !== undefined)
      throw bad(
        file,
        r.line,
        `histogram row has a number cut short: "${short}" where every number has 6 digits`,
      );
  }
  const trailer = new Map<string, { line: number; values: number[] }>();
  for (; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (!l.startsWith("#")) continue;
    const colon = l.indexOf(":");
    if (colon < 0) continue;
    const key = l.slice(1, colon).trim();
    if (!TRAILER.includes(key)) continue;
    const t = tokens(l.slice(colon + 1));
    if (!t.every(isDigits))
      throw bad(file, i + 1, `'# ${key}' holds something that is not a count: "${l.slice(0, 80)}"`);
    trailer.set(key, { line: i + 1, values: t.map(Number) });
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
  // cyclictest prints '# Histogram Overflows' right after the maxima in every version (rt-tests
  // src/cyclictest/cyclictest.c print_hist; NuttX's port too): without it the file was cut there,
  // and a missing overflow count would read as none.
  if (!trailer.has("Histogram Overflows")) {
    throw bad(
      file,
      maxes.line,
      "the cyclictest histogram summary ends after '# Max Latencies' without '# Histogram Overflows' (truncated output?)",
    );
  }
  // With -H, Total, Max and Overflows carry an extra all-threads column; Min and Avg do not.
  const threads = trailer.get("Min Latencies")?.values.length ?? maxes.values.length;
  const width = rows[0]?.cols.length ?? threads + 1;
  if (width !== threads + 1 && width !== threads + 2) {
    throw bad(
      file,
      rows[0]?.line,
      `histogram rows have ${width - 1} counts but the summary lists ${threads} threads`,
    );
  }
  const withTotal = width === threads + 2;
  for (const [key, t] of trailer) {
    const want = withTotal && key !== "Min Latencies" && key !== "Avg Latencies" ? threads + 1 : threads;
    if (t.values.length !== want)
      throw bad(file, t.line, `'# ${key}' has ${t.values.length} values for ${threads} threads`);
  }
  const buckets = Array.from({ length: width - 1 }, () => new Map<number, number>());
  const sums = buckets.map(() => 0);
  for (const r of rows) {
    if (r.cols.length !== width)
      throw bad(file, r.line, `histogram row has ${r.cols.length} columns, expected ${width}`);
    for (let t = 0; t < width - 1; t++) {
      if (r.cols[t + 1]! > 0) buckets[t]!.set(r.cols[0]!, r.cols[t + 1]!);
      sums[t]! += r.cols[t + 1]!;
    }
  }
  // cyclictest counts a latency of `size` us or more as an overflow (cyclictest.c: diff >= histogram).
  const size = rows.length ? rows.at(-1)!.cols[0]! + 1 : 0;
  const over = trailer.get("Histogram Overflows");
  const total = trailer.get("Total");
  const mins = trailer.get("Min Latencies");
  const avgs = trailer.get("Avg Latencies");
  const series: JitterSeries[] = [];
  for (let t = 0; t < threads; t++) {
    const overflow = over?.values[t] ?? 0;
    // '# Total' is the sum of the thread's buckets, overflows not included (print_hist; a real
    // `-h 400` run printed Total 909 with 45 overflows in 954 cycles). Anything else means lost
    // or changed rows.
    if (total && total.values[t] !== sums[t]) {
      throw bad(
        file,
        total.line,
        `thread ${t}: '# Total' says ${total.values[t]} samples but its histogram column holds ${sums[t]}${overflow ? ` (+${overflow} overflows)` : ""}`,
      );
    }
    const max = maxes.values[t]!;
    const b = buckets[t]!;
    const highest = b.size ? Math.max(...b.keys()) : undefined;
    const lowest = b.size ? Math.min(...b.keys()) : undefined;
    if (overflow === 0 && highest !== undefined && highest !== max) {
      throw bad(
        file,
        maxes.line,
        `thread ${t}: '# Max Latencies' says ${max} us but the highest histogram bucket with samples is ${highest} us`,
      );
    }
    if (overflow > 0 && max < size) {
      throw bad(
        file,
        maxes.line,
        `thread ${t}: ${overflow} overflows beyond ${size} us, but the maximum is ${max} us`,
      );
    }
    const min = mins?.values[t];
    if (min !== undefined && min < size && lowest !== undefined && lowest !== min) {
      throw bad(
        file,
        mins!.line,
        `thread ${t}: '# Min Latencies' says ${min} us but the lowest histogram bucket with samples is ${lowest} us`,
      );
    }
    const all = new Map(b);
    if (overflow > 0) all.set(size, (all.get(size) ?? 0) + overflow);
    const sample = fromHistogram(all);
    // Without overflow the histogram holds every sample exactly (whole microseconds) and its
    // mean is exact; the summary's average is truncated to whole microseconds. With overflow
    // the histogram does not know the overflowed values: the tool's average wins.
    const avg = avgs?.values[t];
    let mean: Figure | undefined;
    if (sample.total > 0 && overflow === 0) mean = histogramMeanFigure(sample);
    else if (avg !== undefined) mean = exact(avg);
    else if (sample.total > 0) mean = histogramMeanFigure(sample, overflow, max);
    series.push({
      name: `thread ${t}`,
      sample: sample.total ? sample : undefined,
      overflow,
      overflowFrom: overflow ? size : undefined,
      figures: {
        count: sample.total,
        min: min !== undefined ? exact(min) : undefined,
        max: exact(max),
        mean,
      },
      reported: { count: total?.values[t], min, avg, max },
    });
  }
  return {
    tool: "cyclictest",
    format: "histogram",
    series,
    meta: { histogramSize: size },
    warnings: overflowWarning("cyclictest", series),
  };
}
