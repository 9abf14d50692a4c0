/**
 * oslat output (rt-tests src/oslat/oslat.c), text and the per-CPU part of `--json`.
 *
 * How oslat counts (insert_bucket): a loop gap of `index` whole microseconds goes into the
 * bucket printed as `index + 1` us, and every gap of the last bucket's value or more goes into
 * the last bucket ("including overflows"). Minimum and Maximum use the same numbering, so the
 * highest bucket with samples must equal Maximum unless the last bucket overflowed; then its
 * samples are only known to be at least its value, and Maximum is the one exact figure beyond.
 *
 * The averages: calculate() adds the first CPU's overflow sum (`t->overflow_sum`, not
 * `t[i].overflow_sum`) to every CPU's average, so the Average of every CPU but the first is
 * wrong whenever the first CPU overflowed (reproduced with rt-tests 2.4's oslat: the excess
 * times the sample count is the same on every CPU). The histogram gives the exact mean of a CPU
 * that did not overflow; the first CPU's own average is right; for the other CPUs that
 * overflowed only a range is known.
 */
import { exact, type Figure, histogramMeanFigure } from "./figures.ts";
import {
  bad,
  decimal,
  isDigits,
  type JitterResult,
  type JitterSeries,
  overflowWarning,
  lines as splitLines,
  tokens,
} from "./rt-common.ts";
import { fromHistogram, sampleMean } from "./stats.ts";

export interface OslatCpu {
  cpu: number;
  /** Bucket value (us) -> count, zero buckets left out. */
  buckets: Map<number, number>;
  /** The last bucket's value (it holds every gap at or beyond it). */
  lastBucket: number;
  min?: number;
  avg?: number;
  max: number;
  /** 0 for the first CPU of the run (its average is right). */
  index: number;
}

/** Builds a series from one CPU of an oslat run, checking the buckets against the summary. */
export function oslatSeries(
  c: OslatCpu,
  file: string,
  line: number | undefined,
  warnings: string[],
): JitterSeries {
  const labels = [...c.buckets.keys()];
  const highest = labels.length ? Math.max(...labels) : undefined;
  const lowest = labels.length ? Math.min(...labels) : undefined;
  let overflow = 0;
  if (c.max > c.lastBucket) {
    overflow = c.buckets.get(c.lastBucket) ?? 0;
    if (overflow === 0) {
      throw bad(
        file,
        line,
        `cpu ${c.cpu}: Maximum is ${c.max} us but the last bucket (${c.lastBucket} us, which holds every larger gap) is empty`,
      );
    }
  } else if (highest !== undefined && highest !== c.max) {
    throw bad(
      file,
      line,
      `cpu ${c.cpu}: Maximum is ${c.max} us but the highest bucket with samples is ${highest} us (a bucket line is missing or was changed)`,
    );
  }
  if (c.min !== undefined && c.min < c.lastBucket && lowest !== undefined && lowest !== c.min) {
    throw bad(
      file,
      line,
      `cpu ${c.cpu}: Minimum is ${c.min} us but the lowest bucket with samples is ${lowest} us`,
    );
  }
  const sample = fromHistogram(c.buckets);
  let mean: Figure | undefined;
  if (sample.total === 0) mean = c.avg !== undefined ? exact(c.avg) : undefined;
  else if (overflow === 0) {
    const m = sampleMean(sample);
    mean = exact(m);
    // The first CPU's Average is computed from these very buckets (printed with 3 decimals in
    // text, 6 in JSON): a larger difference means buckets were lost or changed.
    if (c.avg !== undefined && c.index === 0 && Math.abs(c.avg - m) > 0.0015) {
      throw bad(
        file,
        line,
        `cpu ${c.cpu}: Average is ${c.avg} us but the buckets give ${m.toFixed(3)} us (a bucket line is missing or was changed)`,
      );
    }
    // For the other CPUs a larger difference is oslat's average bug (the header above).
    if (c.avg !== undefined && c.index > 0 && Math.abs(c.avg - m) > 0.0015) {
      warnings.push(
        `oslat's own Average for cpu ${c.cpu} (${c.avg}) includes the first CPU's overflowed time (an rt-tests oslat bug); the histogram's exact mean ${m.toFixed(3)} us is used`,
      );
    }
  } else if (c.index === 0 && c.avg !== undefined) mean = exact(c.avg);
  else mean = histogramMeanFigure(sample, overflow, c.max);
  return {
    name: `cpu ${c.cpu}`,
    cpu: c.cpu,
    sample: sample.total ? sample : undefined,
    overflow,
    overflowFrom: overflow ? c.lastBucket : undefined,
    figures: {
      count: sample.total,
      min: c.min !== undefined ? exact(c.min) : undefined,
      max: exact(c.max),
      mean,
    },
    reported: { count: sample.total, min: c.min, avg: c.avg, max: c.max },
  };
}

const STATS = new Set(["Minimum:", "Average:", "Maximum:", "Max-Min:", "Duration:"]);

export function parseOslatText(text: string, file: string): JitterResult {
  const lines = splitLines(text);
  const coreAt = lines.findIndex((l) => tokens(l)[0] === "Core:");
  if (coreAt < 0) throw bad(file, undefined, "no oslat results found (no 'Core:' line)");
  const coreTokens = tokens(lines[coreAt]!).slice(1);
  if (coreTokens.length === 0 || !coreTokens.every(isDigits))
    throw bad(
      file,
      coreAt + 1,
      `the 'Core:' line does not list CPU numbers: "${lines[coreAt]!.trim().slice(0, 80)}"`,
    );
  const cpus = coreTokens.map(Number);
  const n = cpus.length;
  const buckets = cpus.map(() => new Map<number, number>());
  const stats: Record<string, { line: number; values: number[] }> = {};
  let last: { label: number; line: number; overflow: boolean } | undefined;
  let gap = false;
  for (let i = coreAt + 1; i < lines.length; i++) {
    const t = tokens(lines[i]!);
    if (t.length === 0) continue;
    if (t.length === 1 && t[0] === "...") {
      gap = true; // -z leaves out buckets that are empty on every CPU
      continue;
    }
    if (t[1] === "(us):" && isDigits(t[0]!)) {
      const label = Number(t[0]);
      const tail = t.slice(2 + n);
      const counts = t.slice(2, 2 + n);
      const marker = tail.length === 2 && tail[0] === "(including" && tail[1] === "overflows)";
      if (counts.length !== n || !counts.every(isDigits) || (tail.length > 0 && !marker))
        throw bad(
          file,
          i + 1,
          `oslat bucket line does not hold ${n} counts: "${lines[i]!.trim().slice(0, 80)}"`,
        );
      if (last?.overflow)
        throw bad(file, i + 1, `bucket ${label} us after the last bucket ("including overflows")`);
      const want = last ? last.label + 1 : undefined;
      if (want !== undefined && label !== want && !(gap && label > want)) {
        throw bad(
          file,
          i + 1,
          `oslat bucket ${label} us follows bucket ${last!.label} us: bucket ${want} us is missing`,
        );
      }
      counts.forEach((v, c) => {
        if (v !== "0" && Number(v) > 0) buckets[c]!.set(label, Number(v));
      });
      last = { label, line: i + 1, overflow: marker };
      gap = false;
      continue;
    }
    if (STATS.has(t[0]!)) {
      const values = t.slice(1, 1 + n).map(decimal);
      const unit = t[1 + n];
      if (
        values.length !== n ||
        values.some(Number.isNaN) ||
        (unit !== "(us)" && unit !== "(sec)") ||
        t.length !== n + 2
      )
        throw bad(
          file,
          i + 1,
          `oslat ${t[0]!.slice(0, -1)} line does not hold ${n} values: "${lines[i]!.trim().slice(0, 80)}"`,
        );
      if (last && !last.overflow)
        throw bad(
          file,
          last.line,
          `the bucket table ends at bucket ${last.label} us without its last bucket ("including overflows"): lines are missing`,
        );
      stats[t[0]!.slice(0, -1)] = { line: i + 1, values };
    }
  }
  if (!stats.Maximum) {
    throw bad(file, lines.length, "the oslat output ends before its 'Maximum:' line (truncated output?)");
  }
  if (!last) throw bad(file, stats.Maximum.line, "oslat output without a single bucket line");
  const warnings: string[] = [];
  const series = cpus.map((cpu, c) =>
    oslatSeries(
      {
        cpu,
        index: c,
        buckets: buckets[c]!,
        lastBucket: last!.label,
        min: stats.Minimum?.values[c],
        avg: stats.Average?.values[c],
        max: stats.Maximum!.values[c]!,
      },
      file,
      stats.Maximum!.line,
      warnings,
    ),
  );
  return {
    tool: "oslat",
    format: "text",
    series,
    meta: stats.Duration ? { durationSec: stats.Duration.values } : {},
    warnings: [...overflowWarning("oslat", series), ...warnings],
  };
}
