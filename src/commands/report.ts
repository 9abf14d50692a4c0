import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { resolve } from "node:path";
import type { Context } from "../lib/context.ts";
import { UserError } from "../lib/errors.ts";
import { checkOutputFile, writeFileAtomic } from "../lib/files.ts";
import { isOwnReport, renderHtml } from "../report/html.ts";
import { buildReport } from "../report/model.ts";
import { type Comparison, compareGroups } from "../results/compare.ts";
import { compareRow, comparisonHeadline } from "../results/format.ts";
import { type Group, incomparable, loadGroups } from "../results/runs.ts";

export interface ReportOptions {
  runs: string[];
  out?: string;
  title?: string;
  threshold?: number;
  minBuckets?: number;
  force?: boolean;
  allowDifferent?: boolean;
  includeIncomplete?: boolean;
  mixedRuns?: boolean;
}

/** What is at the output path: nothing, a report this command wrote, or someone else's file. */
async function existing(path: string): Promise<"none" | "ours" | "other"> {
  const text = await readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (text === undefined) return "none";
  return isOwnReport(text) ? "ours" : "other";
}

export async function run(opts: ReportOptions, ctx: Context): Promise<number> {
  const shown = opts.out ?? "report.html";
  const label = { flag: "-o", shown };
  // Devices, FIFOs, /proc and directories are refused before anything is read from the path.
  const target = await checkOutputFile(resolve(ctx.cwd, shown), label);
  // A report llw wrote earlier may be replaced (re-running the same command is the workflow);
  // any other file only with --force.
  if ((await existing(target.path)) === "other" && !opts.force) {
    throw new UserError({
      what: "the file exists and is not a report llw wrote",
      where: shown,
      next: "choose another --out FILE, or add --force to replace it",
    });
  }
  // --force used to mean "compare different things" too: kept for one release, with a warning.
  const allowDifferent = Boolean(opts.allowDifferent || opts.force);
  const warn = (m: string) => ctx.stderr.write(`warning: ${m}\n`);
  const groups = await loadGroups(
    opts.runs,
    ctx.cwd,
    { includeIncomplete: opts.includeIncomplete, mixedRuns: opts.mixedRuns },
    warn,
  );
  const comparisons: Comparison[] = [];
  const notCompared: string[] = [];
  let deprecatedForce = false;
  // Each group is compared with the first earlier group that measured the same thing (the same
  // jitter tools, or the same kube-burner jobs): "latency-baseline latency" pairs up even after
  // "baseline tuned". With --allow-different, with the first earlier group of the same unit. A
  // group that is the baseline of a later one is compared too; only a group that takes part in no
  // comparison while groups of the same unit exist is reported as not compared.
  const paired = new Set<Group>();
  groups.forEach((g, i) => {
    const sameUnit = groups.slice(0, i).filter((b) => b.runs[0]?.unit === g.runs[0]?.unit);
    const like = sameUnit.find((b) => !incomparable(b, g));
    const base = like ?? (allowDifferent ? sameUnit[0] : undefined);
    if (!base) return;
    if (!like && !opts.allowDifferent) deprecatedForce = true;
    comparisons.push(
      compareGroups(base, g, { thresholdPct: opts.threshold ?? 5, minBuckets: opts.minBuckets ?? 2 }),
    );
    paired.add(base).add(g);
  });
  for (const g of groups) {
    if (paired.has(g)) continue;
    const other = groups.find((b) => b !== g && b.runs[0]?.unit === g.runs[0]?.unit);
    if (other) notCompared.push(`${g.label} not compared: ${incomparable(other, g)}`);
  }
  if (deprecatedForce)
    warn(
      "--force to compare different measurements is deprecated and will only mean 'overwrite': use --allow-different",
    );
  const model = buildReport(
    opts.title ?? "Low-latency workshop: test, change, re-test",
    groups,
    comparisons,
    ctx.now(),
    compareRow,
    { cwd: ctx.cwd, home: ctx.env.HOME ?? homedir() },
    comparisonHeadline,
  );
  model.warnings.unshift(
    ...notCompared.map((n) => `${n} (different measurements; --allow-different compares anyway)`),
  );
  await writeFileAtomic(target.path, renderHtml(model), label, { checked: target });
  for (const n of notCompared) ctx.stderr.write(`${n}; add --allow-different to compare anyway\n`);
  ctx.stdout.write(
    `wrote ${shown}: ${model.charts.length} charts, ${groups.reduce((t, g) => t + g.runs.length, 0)} runs` +
      `${comparisons.length ? `, ${comparisons.reduce((t, c) => t + c.regressions, 0)} regressions` : ""}\n`,
  );
  return 0;
}
