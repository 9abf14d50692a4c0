import type { Context } from "../lib/context.ts";
import { emit, renderTable } from "../lib/output.ts";
import { markdownTable, SUMMARY_HEAD, summarizeSeries, summaryRow } from "../results/format.ts";
import { NODE_CPU_HEAD, nodeCpuLines, nodeCpuRows } from "../results/node-cpu-format.ts";
import { loadGroup, type Run } from "../results/runs.ts";
import { profilesFromFile } from "./profile-file.ts";

export interface BenchShowOptions {
  run: string;
  output?: string;
  /** A PerformanceProfile file to split CPU use by (when the run's metadata has none). */
  profileFile?: string;
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
    nodeCpu: run.nodeCpu,
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
  if (run.nodeCpu) {
    lines.push(
      "",
      ctx.colors.bold("CPU use during the run (Prometheus, from the workshop's metrics profile)"),
    );
    for (const t of nodeCpuRows(run.nodeCpu)) {
      lines.push(t.title);
      lines.push(
        markdown ? markdownTable(NODE_CPU_HEAD, t.rows) : renderTable(ctx, NODE_CPU_HEAD, t.rows).trimEnd(),
      );
    }
    for (const l of nodeCpuLines(run.nodeCpu))
      lines.push(
        l.startsWith("BOTTLENECK") ? ctx.colors.red(l) : l.startsWith("WARNING") ? ctx.colors.yellow(l) : l,
      );
  }
  for (const w of v.warnings) lines.push(ctx.colors.yellow(`warning: ${w}`));
  return `${lines.join("\n")}\n`;
}

export async function run(opts: BenchShowOptions, ctx: Context): Promise<number> {
  const warn = (m: string) => ctx.stderr.write(`warning: ${m}\n`);
  const group = await loadGroup(
    opts.run,
    ctx.cwd,
    "results",
    {
      includeIncomplete: opts.includeIncomplete,
      mixedRuns: opts.mixedRuns,
      ...(opts.profileFile ? { profiles: await profilesFromFile(opts.profileFile, ctx) } : {}),
    },
    warn,
  );
  const views = group.runs.map(runView);
  emit(ctx, opts.output ?? "table", views.length === 1 ? views[0] : views, () =>
    group.runs.map((r) => renderRun(ctx, r)).join("\n"),
  );
  return 0;
}
