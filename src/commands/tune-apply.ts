/**
 * `llw tune apply`: a tuning change set as one MachineConfigPool rollout.
 */
import { existsSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";

import { checkChangeSet } from "../cluster/changeset-check.ts";
import { type Clock, formatDuration, parseDuration, realClock } from "../cluster/clock.ts";
import { Kube, type KubeObject } from "../cluster/kube.ts";
import { loadManifests } from "../cluster/manifests.ts";
import { Progress } from "../cluster/progress.ts";
import { applyTuning, readAndPlan, type TuneResult } from "../cluster/tune.ts";
import type { TuningPlan } from "../cluster/tune-plan.ts";
import type { Context } from "../lib/context.ts";
import { ChecksFailed, type Problem, UserError } from "../lib/errors.ts";
import { emit, renderTable } from "../lib/output.ts";
import { defaultSchemaDir } from "./lint.ts";

export interface TuneApplyOptions {
  paths: string[];
  kubeconfig?: string;
  context?: string;
  dryRun?: boolean;
  timeout?: string;
  interval?: string;
  settle?: string;
  output?: string;
  /** Injected by tests. */
  clock?: Clock;
}

/**
 * `llw lint` on every directory of the change set (schemas from the folder `llw lint` uses, when
 * present); its errors refuse the change set like the offline rules above.
 */
async function lintDirectories(paths: string[], ctx: Context): Promise<Problem[]> {
  const dirs = paths
    .map((p) => resolve(ctx.cwd, p))
    .filter((p) => existsSync(p) && statSync(p).isDirectory());
  const schemaDir = defaultSchemaDir(ctx.cwd, ctx.env);
  if (dirs.length === 0) return [];
  if (!schemaDir) {
    ctx.stderr.write(
      "note: schema validation skipped (no schema folder; set LLW_CRDS_DIR to the CRD and OpenAPI files llw lint uses)\n",
    );
    return [];
  }
  const [{ lintTree }, { SchemaRegistry }] = await Promise.all([
    import("../gitops/lint.ts"),
    import("../gitops/schemas.ts"),
  ]);
  const registry = new SchemaRegistry();
  await registry.addDirectory(schemaDir);
  const out: Problem[] = [];
  for (const dir of dirs) {
    const r = await lintTree(dir, { registry, env: ctx.env });
    for (const f of r.findings.filter((x) => x.severity === "error")) {
      out.push({
        what: `${f.rule}: ${f.message}`,
        where: `${relative(ctx.cwd, dir) || "."}/${f.file ?? f.unit}${f.object ? `: ${f.object}` : ""}${f.path ? ` ${f.path}` : ""}`,
      });
    }
  }
  // The offline rules and lint may both flag the same webhook rule: report it once.
  return out.filter((p, i) => out.findIndex((q) => q.what === p.what && q.where === p.where) === i);
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
  const clock = opts.clock ?? realClock;
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
  const problems = [...checkChangeSet(loaded), ...(await lintDirectories(opts.paths, ctx))];
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
