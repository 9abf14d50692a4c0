import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Context } from "../lib/context.ts";
import { UserError } from "../lib/errors.ts";
import { emit, renderTable } from "../lib/output.ts";
import { SUMMARY_HEAD, summarizeSeries, summaryRow } from "../results/format.ts";
import { parseJitterOutput } from "../results/rt-tests.ts";
import { seriesFromJitter } from "../results/runs.ts";

export interface LatencyShowOptions {
  files: string[];
  output?: string;
  maxLatency?: number;
}

export async function run(opts: LatencyShowOptions, ctx: Context): Promise<number> {
  const views: {
    file: string;
    tool: string;
    format: string;
    unit: string;
    meta: Record<string, unknown>;
    series: ReturnType<typeof summarizeSeries>[];
    warnings: string[];
    overMaxLatency: string[];
  }[] = [];
  for (const f of opts.files) {
    const path = resolve(ctx.cwd, f);
    const text = await readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => {
      throw new UserError({
        what: `cannot read the file (${e.code ?? e.message})`,
        where: f,
        next: "pass the output of cyclictest, oslat or hwlatdetect",
      });
    });
    const j = parseJitterOutput(text, f);
    const series = seriesFromJitter(j).map(summarizeSeries);
    const over =
      opts.maxLatency === undefined
        ? []
        : series.filter((s) => s.max !== undefined && s.max >= opts.maxLatency!).map((s) => s.series);
    views.push({
      file: f,
      tool: j.tool,
      format: j.format,
      unit: "us",
      meta: j.meta,
      series,
      warnings: j.warnings,
      overMaxLatency: over,
    });
  }
  emit(ctx, opts.output ?? "table", views.length === 1 ? views[0] : views, () =>
    views
      .map((v) => {
        const head = [...SUMMARY_HEAD];
        head[0] = "series (us)";
        const lines = [
          `${ctx.colors.bold(v.file)}  ${v.tool} (${v.format})`,
          renderTable(ctx, head, v.series.map(summaryRow)).trimEnd(),
        ];
        for (const s of v.series) for (const n of s.notes) lines.push(`  ${s.series}: ${n}`);
        for (const w of v.warnings) lines.push(ctx.colors.yellow(`warning: ${w}`));
        if (opts.maxLatency !== undefined) {
          lines.push(
            v.overMaxLatency.length
              ? ctx.colors.red(`FAIL: max latency >= ${opts.maxLatency} us on ${v.overMaxLatency.join(", ")}`)
              : ctx.colors.green(`PASS: max latency below ${opts.maxLatency} us`),
          );
        }
        return `${lines.join("\n")}\n`;
      })
      .join("\n"),
  );
  return views.some((v) => v.overMaxLatency.length > 0) ? 1 : 0;
}
