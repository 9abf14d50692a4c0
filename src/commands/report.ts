import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Context } from "../lib/context.ts";
import { UserError } from "../lib/errors.ts";
import { writeFileAtomic } from "../lib/files.ts";
import { renderHtml } from "../report/html.ts";
import { buildReport } from "../report/model.ts";
import { type Comparison, compareGroups } from "../results/compare.ts";
import { compareRow } from "../results/format.ts";
import { type Group, incomparable, loadGroup } from "../results/runs.ts";

export interface ReportOptions {
  runs: string[];
  out?: string;
  title?: string;
  threshold?: number;
  force?: boolean;
}

export async function run(opts: ReportOptions, ctx: Context): Promise<number> {
  const out = resolve(ctx.cwd, opts.out ?? "report.html");
  const exists = await stat(out).then(
    () => true,
    () => false,
  );
  if (exists && !opts.force) {
    throw new UserError({
      what: "the report file already exists",
      where: opts.out ?? "report.html",
      next: "choose another --out or add --force",
    });
  }
  const groups: Group[] = [];
  for (const r of opts.runs) groups.push(await loadGroup(r, ctx.cwd));
  const comparisons: Comparison[] = [];
  const notCompared: string[] = [];
  // Each group is compared with the first earlier group that measured the same thing (the same
  // jitter tools, or the same kube-burner jobs): "latency-baseline latency" pairs up even after
  // "baseline tuned". With --force, with the first earlier group of the same unit. A group that
  // is the baseline of a later one is compared too; only a group that takes part in no comparison
  // while groups of the same unit exist is reported as not compared.
  const paired = new Set<Group>();
  groups.forEach((g, i) => {
    const sameUnit = groups.slice(0, i).filter((b) => b.runs[0]?.unit === g.runs[0]?.unit);
    const base = opts.force ? sameUnit[0] : sameUnit.find((b) => !incomparable(b, g));
    if (!base) return;
    comparisons.push(compareGroups(base, g, { thresholdPct: opts.threshold ?? 5 }));
    paired.add(base).add(g);
  });
  for (const g of groups) {
    if (paired.has(g)) continue;
    const other = groups.find((b) => b !== g && b.runs[0]?.unit === g.runs[0]?.unit);
    if (other) notCompared.push(`${g.label} not compared: ${incomparable(other, g)}`);
  }
  const model = buildReport(
    opts.title ?? "Low-latency workshop: test, change, re-test",
    groups,
    comparisons,
    ctx.now(),
    compareRow,
  );
  model.warnings.unshift(...notCompared.map((n) => `${n} (different measurements; --force compares anyway)`));
  await writeFileAtomic(out, renderHtml(model));
  for (const n of notCompared) ctx.stderr.write(`${n}; add --force to compare anyway\n`);
  ctx.stdout.write(
    `wrote ${opts.out ?? "report.html"}: ${model.charts.length} charts, ${groups.reduce((t, g) => t + g.runs.length, 0)} runs` +
      `${comparisons.length ? `, ${comparisons.reduce((t, c) => t + c.regressions, 0)} regressions` : ""}\n`,
  );
  return 0;
}
