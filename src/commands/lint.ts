/**
 * `llw lint [PATH]`: builds and validates every kustomization of the GitOps tree. Exit 0 when
 * clean (warnings allowed), 1 on any error.
 */
import { resolve } from "node:path";
import { lintTree } from "../gitops/lint.ts";
import { loadSchemas } from "../gitops/load-schemas.ts";
import { renderLint } from "../gitops/report.ts";
import type { Context } from "../lib/context.ts";
import { ChecksFailed, UserError } from "../lib/errors.ts";
import { toJson, toYaml } from "../lib/output.ts";
import { findSchemaDir } from "../lib/schema-dir.ts";

export interface LintCommandOptions {
  path?: string;
  schemas?: string;
  schemasFromCluster?: boolean;
  kubeconfig?: string;
  context?: string;
  repoRoot?: string;
  ocpVersion?: string;
  /** YYYY-MM-DD: the day image support is evaluated on (default: the context's clock). */
  workshopDate?: string;
  output?: string;
}

export async function run(opts: LintCommandOptions, ctx: Context): Promise<number> {
  const path = resolve(ctx.cwd, opts.path ?? "gitops");
  const dir = findSchemaDir(ctx.cwd, ctx.env, undefined, opts.schemas);
  if (!dir && !opts.schemasFromCluster) {
    throw new UserError({
      what: "no schemas to validate against",
      where: "--schemas",
      next: "pass --schemas DIR (CRD YAML and Kubernetes OpenAPI JSON files), set LLW_CRDS_DIR, or use --schemas-from-cluster",
    });
  }
  const registry = await loadSchemas({
    env: ctx.env,
    cwd: ctx.cwd,
    dir,
    fromCluster: opts.schemasFromCluster
      ? {
          ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
          ...(opts.context ? { context: opts.context } : {}),
        }
      : undefined,
  });
  const result = await lintTree(path, {
    registry,
    ...(dir ? { schemaDirs: [dir] } : {}),
    env: ctx.env,
    ...(opts.repoRoot ? { repoRoot: resolve(ctx.cwd, opts.repoRoot) } : {}),
    ...(opts.ocpVersion ? { ocpVersion: opts.ocpVersion } : {}),
    now: opts.workshopDate ? new Date(`${opts.workshopDate}T12:00:00Z`) : ctx.now(),
  });
  if (opts.output === "json") ctx.stdout.write(toJson(result));
  else if (opts.output === "yaml") ctx.stdout.write(toYaml(result));
  else ctx.stdout.write(renderLint(result, ctx));
  if (result.errors > 0) {
    if (opts.output === "json" || opts.output === "yaml") return 1;
    throw new ChecksFailed(
      `${result.errors} error${result.errors === 1 ? "" : "s"} in ${path}`,
      "fix the findings above and run llw lint again",
    );
  }
  return 0;
}
