/**
 * `llw generate [DIR]`: writes the generated files of the GitOps tree (PerformanceProfiles and
 * per-instance-type overlays). --check writes nothing and exits 1 if any file drifted.
 */
import { relative, resolve } from "node:path";
import { planGeneratedTree } from "../gitops/generate.ts";
import type { Context } from "../lib/context.ts";
import { ChecksFailed } from "../lib/errors.ts";
import { writeGeneratedFiles } from "../lib/files.ts";
import { renderTable, toJson } from "../lib/output.ts";

export interface GenerateOptions {
  dir?: string;
  check?: boolean;
  force?: boolean;
  output?: string;
}

export async function run(opts: GenerateOptions, ctx: Context): Promise<number> {
  const dir = resolve(ctx.cwd, opts.dir ?? "gitops");
  const planned = planGeneratedTree().map((f) => ({ path: resolve(dir, f.path), content: f.content }));
  const results = await writeGeneratedFiles(planned, {
    check: opts.check ?? false,
    force: opts.force ?? false,
    cwd: ctx.cwd,
  });
  const rows = results.map((r) => ({ ...r, path: relative(ctx.cwd, r.path) }));
  if (opts.output === "json") ctx.stdout.write(toJson(rows));
  else {
    const verb = (a: string) =>
      opts.check
        ? ({ create: "missing", update: "drifted", unchanged: "up to date", conflict: "edited by hand" }[a] ??
          a)
        : a;
    ctx.stdout.write(
      renderTable(
        ctx,
        ["file", opts.check ? "state" : "action"],
        rows.map((r) => [r.path, verb(r.action)]),
      ),
    );
  }
  const changed = rows.filter((r) => r.action !== "unchanged");
  if (opts.check && changed.length > 0) {
    const msg = `${changed.length} generated file${changed.length === 1 ? "" : "s"} out of date`;
    if (opts.output === "json") return 1;
    throw new ChecksFailed(msg, "run `llw generate` and commit the result");
  }
  return 0;
}
