import { resolve } from "node:path";
import type { Context } from "../lib/context.ts";
import { readInputText } from "../lib/input.ts";
import { emit, renderTable } from "../lib/output.ts";
import { fmtFigure } from "../results/figures.ts";
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
    /** Series whose maximum is only a bound that does not settle the check: they cannot pass. */
    undecided: string[];
  }[] = [];
  for (const f of opts.files) {
    const path = resolve(ctx.cwd, f);
    const text = await readInputText(path, "toolOutput", { shown: f });
    const j = parseJitterOutput(text, f);
    const series = seriesFromJitter(j).map(summarizeSeries);
    const limit = opts.maxLatency;
    const over: string[] = [];
    const undecided: string[] = [];
    if (limit !== undefined) {
      for (const s of series) {
        const m = s.figures.max;
        if (!m) continue;
        if (m.kind === "exact" || m.kind === "atLeast") {
          if (m.value >= limit) over.push(s.series);
          else if (m.kind === "atLeast") undecided.push(`${s.series} (maximum ${fmtFigure(m)} us)`);
        } else if (m.kind === "below") {
          // "Below threshold" only says max < threshold: it proves nothing for a lower limit.
          if (!(m.value <= limit))
            undecided.push(`${s.series} (the tool only says the maximum stayed ${fmtFigure(m)} us)`);
        } else if (m.hi >= limit) undecided.push(`${s.series} (maximum ${fmtFigure(m)} us)`);
      }
    }
    views.push({
      file: f,
      tool: j.tool,
      format: j.format,
      unit: "us",
      meta: j.meta,
      series,
      warnings: j.warnings,
      overMaxLatency: over,
      undecided,
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
          if (v.overMaxLatency.length)
            lines.push(
              ctx.colors.red(`FAIL: max latency >= ${opts.maxLatency} us on ${v.overMaxLatency.join(", ")}`),
            );
          if (v.undecided.length)
            lines.push(
              ctx.colors.red(
                `FAIL: cannot show max latency below ${opts.maxLatency} us on ${v.undecided.join(", ")}; re-run with a tool threshold under the limit`,
              ),
            );
          if (!v.overMaxLatency.length && !v.undecided.length)
            lines.push(ctx.colors.green(`PASS: max latency below ${opts.maxLatency} us`));
        }
        return `${lines.join("\n")}\n`;
      })
      .join("\n"),
  );
  return views.some((v) => v.overMaxLatency.length > 0 || v.undecided.length > 0) ? 1 : 0;
}
