/**
 * `llw tune apply`: a tuning change set as one MachineConfigPool rollout.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";

import { checkChangeSet } from "../cluster/changeset-check.ts";
import { type Clock, formatDuration, parseDuration, realClock } from "../cluster/clock.ts";
import { Kube, type KubeObject } from "../cluster/kube.ts";
import { type LoadedObject, loadManifests } from "../cluster/manifests.ts";
import { Progress } from "../cluster/progress.ts";
import { applyTuning, readAndPlan, type TuneResult } from "../cluster/tune.ts";
import type { TuningPlan } from "../cluster/tune-plan.ts";
import type { Context } from "../lib/context.ts";
import { ChecksFailed, type Problem, UserError } from "../lib/errors.ts";
import { emit, renderTable } from "../lib/output.ts";
import { findSchemaDir } from "../lib/schema-dir.ts";

export interface TuneApplyOptions {
  paths: string[];
  kubeconfig?: string;
  context?: string;
  dryRun?: boolean;
  timeout?: string;
  interval?: string;
  settle?: string;
  output?: string;
  /** --schemas: the schema directory for lint (default: LLW_CRDS_DIR, else the one `llw lint` finds). */
  schemas?: string;
  /** --schemas-from-cluster: custom resources validated against the cluster's CRDs. */
  schemasFromCluster?: boolean;
  /** false with --no-lint. */
  lint?: boolean;
  /** Injected by tests. */
  clock?: Clock;
  /** Injected by tests: where a schema directory is looked for when none is given. */
  findSchemaDir?: (cwd: string, env: NodeJS.ProcessEnv) => string | undefined;
}

/**
 * Where the schemas for lint come from: --schemas, else what `llw lint` uses (LLW_CRDS_DIR, which
 * must exist when set, else the workshop's bundled schemas/). Undefined when there is none.
 */
function schemaDirFor(opts: TuneApplyOptions, ctx: Context): string | undefined {
  if (opts.schemas !== undefined) {
    const dir = resolve(ctx.cwd, opts.schemas);
    if (!existsSync(dir))
      throw new UserError({
        what: "the schema directory does not exist",
        where: `--schemas ${opts.schemas}`,
        next: "point it at the CRD YAML and Kubernetes OpenAPI JSON files `llw lint` uses (the workshop's schemas/)",
      });
    return dir;
  }
  return (opts.findSchemaDir ?? findSchemaDir)(ctx.cwd, ctx.env);
}

/**
 * `llw lint` of the change set (files, directories and kustomizations alike), merged with the
 * offline webhook rules. Without schemas the change set is refused unless --no-lint: a schema
 * error found by the API server after the pool is paused costs a paused pool for nothing.
 */
async function lintProblems(
  opts: TuneApplyOptions,
  loaded: LoadedObject[],
  ctx: Context,
): Promise<Problem[]> {
  const offline = checkChangeSet(loaded);
  if (opts.lint === false) {
    ctx.stderr.write(
      `${ctx.colors.yellow("warning:")} --no-lint: the change set is not validated against its schemas (only the admission webhook rules are checked)\n`,
    );
    return offline;
  }
  const schemaDir = schemaDirFor(opts, ctx);
  if (!schemaDir && !opts.schemasFromCluster)
    throw new UserError({
      what: "no schemas to lint the change set against: llw tune apply validates it as `llw lint` does before pausing a pool",
      where: "--schemas",
      next: "pass --schemas DIR (CRD YAML and Kubernetes OpenAPI JSON files), set LLW_CRDS_DIR, or use --schemas-from-cluster (the cluster's CRDs); --no-lint applies without schema validation",
    });
  const [{ lintChangeSet, mergeProblems }, { loadSchemas }] = await Promise.all([
    import("../cluster/changeset-lint.ts"),
    import("../gitops/load-schemas.ts"),
  ]);
  // The cluster is the truth for custom resources (every kind a tuning change set holds is one);
  // the directory, when there is one, still describes the built-in kinds.
  const registry = await loadSchemas({
    env: ctx.env,
    cwd: ctx.cwd,
    dir: schemaDir,
    fromCluster: opts.schemasFromCluster ? { kubeconfig: opts.kubeconfig, context: opts.context } : undefined,
  });
  const lint = await lintChangeSet(opts.paths, loaded, { cwd: ctx.cwd, env: ctx.env, registry });
  for (const w of lint.warnings)
    ctx.stderr.write(`${ctx.colors.yellow("warning:")} ${w.what}\n  where: ${w.where}\n`);
  return mergeProblems(offline, lint.errors);
}

export function durationOption(flag: string, value: string | undefined, fallback: string): number {
  const ms = parseDuration(value ?? fallback);
  if (ms === undefined)
    throw new UserError({
      what: `"${value}" is not a duration`,
      where: flag,
      next: "use e.g. 90s, 20m, 1h30m",
    });
  return ms;
}

function planTable(ctx: Context, plan: TuningPlan): string {
  const rows = [...plan.poolObjects, ...plan.changes].map((c) => [
    `${c.object.kind}/${c.object.metadata.name}`,
    c.action,
    c.rolls.join(", ") || "-",
  ]);
  let out = renderTable(ctx, ["OBJECT", "ACTION", "ROLLS POOL"], rows);
  if (plan.pools.length === 0) out += "\nNo MachineConfigPool needs to roll: no node reboots.\n";
  else {
    out += `\nPlan: pause ${plan.pools.map((p) => p.name).join(", ")}, apply ${plan.changes.filter((c) => c.action !== "unchanged").length} change(s), unpause once.\n`;
    out += `Expected: ${plan.pools.length} rollout${plan.pools.length === 1 ? "" : "s"}, ${plan.expectedReboots} node reboot${plan.expectedReboots === 1 ? "" : "s"} (one per node).\n`;
  }
  for (const n of plan.notes) out += `note: ${n}\n`;
  return out;
}

function summary(r: TuneResult) {
  return {
    rollouts: r.rollouts,
    reboots: r.reboots,
    elapsedSeconds: Math.round(r.elapsedMs / 1000),
    pools: r.pools,
    applied: r.applied,
  };
}

export async function run(opts: TuneApplyOptions, ctx: Context): Promise<number> {
  const clock = opts.clock ?? ctx.clock ?? realClock;
  const timeoutMs = durationOption("--timeout", opts.timeout, "90m");
  const intervalMs = durationOption("--interval", opts.interval, "10s");
  const settleMs = durationOption("--settle", opts.settle, "30s");
  const format = opts.output ?? "table";
  const loaded = await loadManifests(opts.paths ?? [], ctx.cwd, ctx.env);
  if (loaded.length === 0)
    throw new UserError({
      what: "the change set is empty",
      where: opts.paths.join(" "),
      next: "pass the files or kustomization of the tuning (e.g. gitops/overlays/aws/performance-profiles)",
    });
  const problems = await lintProblems(opts, loaded, ctx);
  if (problems.length > 0) {
    for (const p of problems)
      ctx.stderr.write(`${ctx.colors.red("error:")} ${p.what}\n  where: ${p.where}\n`);
    throw new ChecksFailed(
      `the change set fails lint (${problems.length} problem${problems.length === 1 ? "" : "s"}): nothing was applied`,
      `fix the objects (\`llw lint\`), then re-run llw tune apply`,
    );
  }
  const objects: KubeObject[] = loaded.map((l) => l.object);
  const kube = Kube.connect({ kubeconfig: opts.kubeconfig, context: opts.context }, ctx.env, ctx.cwd);
  const progress = new Progress(ctx.stderr, ctx.colors, clock);
  const plan = await readAndPlan(kube, objects);
  if (opts.dryRun) {
    if (plan.refusals.length > 0)
      for (const r of plan.refusals) ctx.stderr.write(`${ctx.colors.yellow("would refuse:")} ${r}\n`);
    emit(
      ctx,
      format,
      {
        dryRun: true,
        ...plan,
        changes: plan.changes.map((c) => ({
          kind: c.object.kind,
          name: c.object.metadata.name,
          action: c.action,
          rolls: c.rolls,
        })),
        poolObjects: plan.poolObjects.map((c) => ({ name: c.object.metadata.name, action: c.action })),
      },
      () => planTable(ctx, plan),
    );
    return plan.refusals.length > 0 ? 3 : 0;
  }
  const r = await applyTuning(kube, objects, { timeoutMs, intervalMs, settleMs, clock, progress }, plan);
  emit(ctx, format, summary(r), () => {
    if (r.pools.length === 0) return "Nothing rolled: the change set needed no node reboot.\n";
    const rows = r.pools.map((p) => [p.name, p.machineCount, p.reboots, p.config]);
    return `${renderTable(ctx, ["POOL", "NODES", "REBOOTS", "CONFIG"], rows)}\n${r.rollouts} rollout${r.rollouts === 1 ? "" : "s"}, ${r.reboots} reboot${r.reboots === 1 ? "" : "s"}, ${formatDuration(r.elapsedMs)} elapsed.\n`;
  });
  return 0;
}
