/**
 * `llw generate [DIR]`: writes the generated files of the GitOps tree (PerformanceProfiles and
 * per-instance-type overlays). --check writes nothing and exits 1 if any file drifted.
 */
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { planGeneratedTree } from "../gitops/generate.ts";
import type { Context } from "../lib/context.ts";
import { ChecksFailed, UserError } from "../lib/errors.ts";
import { checkWord, type FileAction, writeGeneratedFiles } from "../lib/files.ts";
import { renderTable, toJson, toYaml } from "../lib/output.ts";

export interface GenerateOptions {
  dir?: string;
  check?: boolean;
  force?: boolean;
  output?: string;
}

export async function run(opts: GenerateOptions, ctx: Context): Promise<number> {
  const dir = resolve(ctx.cwd, opts.dir ?? "gitops");
  // The overlays it writes build on ../../../base: outside the tree they would point at nothing.
  if (!existsSync(join(dir, "base", "kustomization.yaml"))) {
    throw new UserError({
      what: "not the workshop's GitOps tree: there is no base/kustomization.yaml, which the generated overlays build on",
      where: relative(ctx.cwd, dir) || dir,
      next: "run llw generate from the repository root, or pass the tree's directory: llw generate path/to/gitops",
    });
  }
  const planned = planGeneratedTree().map((f) => ({ path: resolve(dir, f.path), content: f.content }));
  const results = await writeGeneratedFiles(planned, {
    check: opts.check ?? false,
    force: opts.force ?? false,
    cwd: ctx.cwd,
  });
  const rows = results.map((r) => ({ ...r, path: relative(ctx.cwd, r.path) }));
  if (opts.output === "json") ctx.stdout.write(toJson(rows));
  else if (opts.output === "yaml") ctx.stdout.write(toYaml(rows));
  else {
    const verb = (a: string) => (opts.check ? checkWord(a as FileAction) : a);
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
    if (opts.output === "json" || opts.output === "yaml") return 1;
    throw new ChecksFailed(msg, "run `llw generate` and commit the result");
  }
  return 0;
}
