/**
 * hwlatdetect output (rt-tests src/hwlatdetect/hwlatdetect.py, as installed in /usr/sbin): a
 * header with the parameters, "test finished", the summary (Max Latency, Samples recorded,
 * Samples exceeding threshold, SMIs) and then one "ts: <t>, inner:<us>, outer:<us>" line per
 * sample. The tracer records only gaps above its threshold, so "Max Latency: Below threshold"
 * (printed when no sample was recorded) means "less than the threshold", never 0.
 *
 * The summary is printed before the samples: a log cut in the sample list still has the right
 * maximum and count, so the summary wins (with a warning); samples that contradict it are an
 * error.
 */
import { exact, type Figure } from "./figures.ts";
import { bad, isDigits, type JitterResult, lines as splitLines, tokens } from "./rt-common.ts";
import { fromHistogram } from "./stats.ts";

/** "<label> <digits>us" after a known prefix, e.g. "Latency threshold: 10us". */
function usValue(t: string[], at: number): number | undefined {
  const v = t[at];
  if (v?.endsWith("us") && isDigits(v.slice(0, -2))) return Number(v.slice(0, -2));
  return undefined;
}

/** "ts: 1764273600.123456789, inner:12, outer:11" -> the larger of inner and outer, or undefined. */
function sampleLine(l: string): number | undefined | "malformed" {
  const trimmed = l.trim();
  if (!trimmed.startsWith("ts:")) return undefined;
  const parts = trimmed.split(",").map((p) => p.trim());
  const field = (name: string) => {
    const p = parts.find((x) => x.startsWith(`${name}:`));
    const v = p?.slice(name.length + 1).trim();
    return v !== undefined && isDigits(v) ? Number(v) : undefined;
  };
  const inner = field("inner");
  const outer = field("outer");
  if (parts.length !== 3 || inner === undefined || outer === undefined) return "malformed";
  return Math.max(inner, outer);
}

export function parseHwlatdetect(text: string, file: string): JitterResult {
  const lines = splitLines(text);
  const meta: Record<string, unknown> = {};
  const values: number[] = [];
  let recorded: number | undefined;
  let max: Figure | undefined;
  let maxLine = 0;
  let finished = false;
  lines.forEach((l, i) => {
    const t = tokens(l);
    const s = sampleLine(l);
    if (s === "malformed")
      throw bad(file, i + 1, `malformed hwlatdetect sample line: "${l.trim().slice(0, 60)}"`);
    if (s !== undefined) {
      values.push(s);
      return;
    }
    if (t[0] === "hwlatdetect:" && t[1] === "test" && t[2] === "duration" && isDigits(t[3] ?? ""))
      meta.durationSec = Number(t[3]);
    else if (t[0] === "Latency" && t[1] === "threshold:" && usValue(t, 2) !== undefined)
      meta.thresholdUs = usValue(t, 2);
    else if (t[0] === "test" && t[1] === "finished") finished = true;
    else if (t[0] === "Max" && t[1] === "Latency:") {
      maxLine = i + 1;
      const v = usValue(t, 2);
      if (v !== undefined) max = exact(v);
      else if (t[2] === "Below" && t[3] === "threshold") max = { kind: "below", value: Number.NaN };
      else throw bad(file, i + 1, `unexpected Max Latency line: "${l.trim().slice(0, 60)}"`);
    } else if (t[0] === "Samples" && t[1] === "recorded:" && isDigits(t[2] ?? "")) recorded = Number(t[2]);
    else if (t[0] === "Samples" && t[1] === "exceeding" && isDigits(t[3] ?? ""))
      meta.exceeding = Number(t[3]);
    else if (t[0] === "SMIs" && t[2] === "run:" && isDigits(t[3] ?? "")) meta.smis = Number(t[3]);
  });
  if (!finished || recorded === undefined || max === undefined) {
    throw bad(
      file,
      lines.length,
      "hwlatdetect output ends before 'Samples recorded:' (the test did not finish or the log is truncated)",
    );
  }
  const threshold = meta.thresholdUs as number | undefined;
  const m = max as Figure;
  if (m.kind === "below") {
    (m as { value: number }).value = threshold ?? Number.NaN;
    if (recorded > 0 || values.length > 0)
      throw bad(
        file,
        maxLine,
        `'Max Latency: Below threshold' but ${Math.max(recorded, values.length)} samples were recorded`,
      );
  }
  const warnings: string[] = [
    "hwlatdetect records only gaps above its threshold: its samples are the spikes, not the whole distribution",
  ];
  const seen = values.length ? Math.max(...values) : undefined;
  if (values.length > recorded) {
    throw bad(
      file,
      lines.length,
      `hwlatdetect says ${recorded} samples were recorded but ${values.length} sample lines follow`,
    );
  }
  if (seen !== undefined && m.kind === "exact" && seen > m.value) {
    throw bad(file, maxLine, `'Max Latency: ${m.value}us' but a sample line holds ${seen} us`);
  }
  if (values.length < recorded) {
    warnings.push(
      `hwlatdetect says ${recorded} samples were recorded but only ${values.length} sample lines are in the file (cut?): the summary's maximum and count are used`,
    );
  } else if (seen !== undefined && m.kind === "exact" && seen !== m.value) {
    throw bad(
      file,
      maxLine,
      `'Max Latency: ${m.value}us' but the largest of the ${values.length} samples is ${seen} us`,
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
        sample: values.length > 0 && values.length === recorded ? fromHistogram(buckets) : undefined,
        overflow: 0,
        figures: { count: recorded, max: m },
        reported: { count: recorded, max: m.kind === "exact" ? m.value : undefined },
      },
    ],
    meta,
    warnings,
  };
}
