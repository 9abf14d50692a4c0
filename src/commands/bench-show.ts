import type { Context } from "../lib/context.ts";
import { emit, renderTable } from "../lib/output.ts";
import { markdownTable, SUMMARY_HEAD, summarizeSeries, summaryRow } from "../results/format.ts";
import { loadGroup, type Run } from "../results/runs.ts";

export interface BenchShowOptions {
  run: string;
  output?: string;
  includeIncomplete?: boolean;
  mixedRuns?: boolean;
}

export function runView(run: Run) {
  return {
    label: run.label,
    run: run.id,
    dir: run.dir,
    kind: run.kind,
    unit: run.unit,
    metadata: run.metadata,
    series: run.series.map(summarizeSeries),
    reportedQuantiles: run.kubeBurner?.measurements.map((m) => ({
      measurement: m.measurement,
      job: m.job,
      file: m.quantilesFile,
      quantiles: m.reported,
    })),
    jobSummaries: run.kubeBurner?.jobSummaries.map(({ raw: _raw, ...s }) => s),
    otherFields: run.kubeBurner?.measurements.map((m) => ({ job: m.job, fields: m.otherFields })),
    warnings: run.warnings,
  };
}

export function renderRun(ctx: Context, run: Run, markdown = false): string {
  const v = runView(run);
  const rows = v.series.map(summaryRow);
  const head = [...SUMMARY_HEAD];
  head[0] = `series (${run.unit})`;
  const lines = [
    `${ctx.colors.bold(`${run.label}/${run.id}`)}  ${run.kind}${run.metadata.workload ? ` ${run.metadata.workload}` : ""}`,
  ];
  for (const s of v.jobSummaries ?? []) {
    lines.push(
      `job ${s.jobName ?? "?"}: kube-burner ${s.version ?? "?"}, ${s.elapsedTime ?? "?"} s${s.passed === false ? ", FAILED" : ""}${s.executionErrors ? `, errors: ${s.executionErrors}` : ""}`,
    );
  }
  lines.push(markdown ? markdownTable(head, rows) : renderTable(ctx, head, rows).trimEnd());
  for (const s of v.series) for (const n of s.notes) lines.push(`  ${s.series}: ${n}`);
  for (const w of v.warnings) lines.push(ctx.colors.yellow(`warning: ${w}`));
  return `${lines.join("\n")}\n`;
}

export async function run(opts: BenchShowOptions, ctx: Context): Promise<number> {
  const warn = (m: string) => ctx.stderr.write(`warning: ${m}\n`);
  const group = await loadGroup(
    opts.run,
    ctx.cwd,
    "results",
    { includeIncomplete: opts.includeIncomplete, mixedRuns: opts.mixedRuns },
    warn,
  );
  const views = group.runs.map(runView);
  emit(ctx, opts.output ?? "table", views.length === 1 ? views[0] : views, () =>
    group.runs.map((r) => renderRun(ctx, r)).join("\n"),
  );
  return 0;
}
