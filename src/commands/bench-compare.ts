import type { Context } from "../lib/context.ts";
import { ChecksFailed, UserError } from "../lib/errors.ts";
import { renderTable, toJson, toYaml } from "../lib/output.ts";
import { type Comparison, compareGroups, METRICS, type Metric } from "../results/compare.ts";
import {
  COMPARE_HEAD,
  compareRow,
  comparisonHeadline,
  emptyReason,
  markdownTable,
} from "../results/format.ts";
import { incomparable, loadGroups } from "../results/runs.ts";

export interface BenchCompareOptions {
  runs: string[];
  output?: string;
  threshold?: number;
  minDelta?: number;
  alpha?: number;
  minBuckets?: number;
  metric?: string[];
  allowDifferent?: boolean;
  /** Deprecated spelling of --allow-different (kept for one release). */
  includeIncomplete?: boolean;
  mixedRuns?: boolean;
}

export async function run(opts: BenchCompareOptions, ctx: Context): Promise<number> {
  if (opts.runs.length < 2) {
    throw new UserError({
      what: "compare needs a baseline and at least one candidate",
      where: "arguments",
      next: "llw bench compare results/baseline results/tuned",
    });
  }
  const metrics = (opts.metric ?? [...METRICS]) as Metric[];
  for (const m of metrics) {
    if (!(METRICS as readonly string[]).includes(m)) {
      throw new UserError({
        what: `unknown metric "${m}"`,
        where: "--metric",
        next: `use one of: ${METRICS.join(", ")}`,
      });
    }
  }
  const allowDifferent = Boolean(opts.allowDifferent);
  const warn = (m: string) => ctx.stderr.write(`warning: ${m}\n`);
  const groups = await loadGroups(
    opts.runs,
    ctx.cwd,
    { includeIncomplete: opts.includeIncomplete, mixedRuns: opts.mixedRuns },
    warn,
  );
  const [base, ...cands] = groups;
  const comparisons: Comparison[] = [];
  for (const c of cands) {
    const units = new Set([...base!.runs, ...c.runs].map((r) => r.unit));
    if (units.size > 1) {
      throw new UserError({
        what: `cannot compare ${base!.label} with ${c.label}: one holds start-up latencies (ms), the other jitter (us)`,
        where: opts.runs.join(" "),
        next: "compare kube-burner runs with kube-burner runs and jitter runs with jitter runs",
      });
    }
    const why = incomparable(base!, c);
    if (why && !allowDifferent) {
      throw new UserError({
        what: `cannot compare ${base!.label} with ${c.label}: they measured different things (${why})`,
        where: opts.runs.join(" "),
        next: "compare runs of the same tool or workload (before and after tuning); --allow-different compares the series they share anyway",
      });
    }
    comparisons.push(
      compareGroups(base!, c, {
        thresholdPct: opts.threshold ?? 5,
        minDelta: opts.minDelta ?? 1,
        alpha: opts.alpha ?? 0.05,
        minBuckets: opts.minBuckets ?? 2,
        metrics,
      }),
    );
  }
  const format = opts.output ?? "table";
  const data = comparisons.length === 1 ? comparisons[0] : comparisons;
  if (format === "json") ctx.stdout.write(toJson(data));
  else if (format === "yaml") ctx.stdout.write(toYaml(data));
  else {
    for (const c of comparisons) {
      const rows = c.rows.map(compareRow);
      const empty = emptyReason(c);
      if (empty) {
        // Never an empty table without a word.
        ctx.stdout.write(`${comparisonHeadline(c)}\nno rows: ${empty}\n`);
        continue;
      }
      if (format === "markdown") {
        ctx.stdout.write(`**${comparisonHeadline(c)}**\n\n${markdownTable(COMPARE_HEAD, rows)}\n`);
      } else {
        const colored = rows.map((r) => {
          const v = r[7]!;
          r[7] = v === "regressed" ? ctx.colors.red(v) : v === "improved" ? ctx.colors.green(v) : v;
          return r;
        });
        ctx.stdout.write(`${comparisonHeadline(c)}\n${renderTable(ctx, COMPARE_HEAD, colored)}`);
      }
      if (c.unmatched.length)
        ctx.stdout.write(`only on one side (not compared): ${c.unmatched.join(", ")}\n`);
    }
  }
  const regressions = comparisons.reduce((t, c) => t + c.regressions, 0);
  if (regressions > 0) {
    throw new ChecksFailed(
      `${regressions} metric${regressions === 1 ? "" : "s"} regressed beyond the threshold`,
      "look at the rows marked regressed; if the change is expected, raise --threshold or re-baseline",
    );
  }
  return 0;
}
