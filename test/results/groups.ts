/** Groups of runs built in memory (no result directories), for the comparison tests. */
import type { Group, Run } from "../../src/results/runs.ts";
import { fromValues } from "../../src/results/stats.ts";

/** A group `label` of runs 0, 1, ... holding these series (kube-burner's in ms, jitter in us). */
export function groupOf(label: string, kind: Run["kind"], runs: Run["series"][]): Group {
  return {
    label,
    runs: runs.map((series, i) => ({
      dir: `/r/${label}/${i}`,
      label,
      id: String(i),
      kind,
      unit: kind === "jitter" ? "us" : "ms",
      metadata: {},
      series,
      warnings: [],
    })),
  };
}

/** kube-burner runs, each a map of series name to its samples (ms). */
export function kubeBurnerGroup(label: string, runs: Record<string, number[]>[]): Group {
  return groupOf(
    label,
    "kube-burner",
    runs.map((r) => Object.entries(r).map(([name, v]) => ({ name, sample: fromValues(v), notes: [] }))),
  );
}
