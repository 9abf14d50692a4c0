/** Human output of a lint run: findings grouped per kustomization, one line each. */
import type { Context } from "../lib/context.ts";
import type { LintResult } from "./lint.ts";
import type { LintFinding } from "./model.ts";

export function formatFinding(f: LintFinding, ctx: Context): string {
  const c = ctx.colors;
  const sev =
    f.severity === "error" ? c.red("error") : f.severity === "warning" ? c.yellow("warning") : c.dim("info");
  const where = [f.file ?? f.unit, f.object, f.path].filter(Boolean).join(": ");
  const also = f.alsoIn?.length ? c.dim(` (also in ${f.alsoIn.join(", ")})`) : "";
  return `  ${sev} ${where}: ${f.message} ${c.dim(`[${f.rule}]`)}${also}`;
}

export function renderLint(result: LintResult, ctx: Context): string {
  const c = ctx.colors;
  const lines: string[] = [];
  const byUnit = new Map<string, LintFinding[]>();
  for (const f of result.findings) byUnit.set(f.unit, [...(byUnit.get(f.unit) ?? []), f]);
  for (const u of result.units) {
    const fs = byUnit.get(u.path) ?? [];
    const what = u.type === "manifests" ? "manifests" : u.type;
    if (u.status === "skipped") {
      lines.push(`${c.dim("skip")} ${u.path} (${what}): ${u.reason}`);
      continue;
    }
    const errors = fs.filter((f) => f.severity === "error").length;
    const mark = errors > 0 ? c.red("FAIL") : c.green("ok  ");
    lines.push(`${mark} ${u.path} (${what}, ${u.objects} object${u.objects === 1 ? "" : "s"})`);
    for (const f of fs) lines.push(formatFinding(f, ctx));
  }
  const checked = result.units.filter((u) => u.status !== "skipped");
  const workloads = checked.filter((u) => u.type === "kube-burner").length;
  const units = checked.length - workloads;
  lines.push(
    "",
    `${units} kustomizations and manifest directories, ${workloads > 0 ? `${workloads} kube-burner workload${workloads === 1 ? "" : "s"}, ` : ""}${result.errors} error${result.errors === 1 ? "" : "s"}, ` +
      `${result.warnings} warning${result.warnings === 1 ? "" : "s"} (built with ${result.tool})`,
  );
  return `${lines.join("\n")}\n`;
}
