/**
 * The kube-burner workloads in benchmarks/: their variables (benchmarks/variables.yml) and
 * rendering of a workload's config and object templates, as kube-burner would render them.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { parse } from "yaml";
import { UserError } from "../lib/errors.ts";
import { renderTemplate } from "./template.ts";

export interface VariableSpec {
  default: string;
  description: string;
}

export interface WorkloadVariables {
  common: Record<string, VariableSpec>;
  workloads: Record<string, Record<string, VariableSpec>>;
}

export interface Workload {
  name: string;
  dir: string;
  config: string;
  variables: Record<string, VariableSpec>;
}

export async function readVariables(benchmarksDir: string): Promise<WorkloadVariables> {
  const file = join(benchmarksDir, "variables.yml");
  const data = parse(await readFile(file, "utf8"), { merge: true }) as WorkloadVariables;
  return data;
}

export async function listWorkloads(benchmarksDir: string): Promise<string[]> {
  const names = [];
  for (const e of await readdir(benchmarksDir, { withFileTypes: true })) {
    if (e.isDirectory() && (await stat(join(benchmarksDir, e.name, `${e.name}.yml`)).catch(() => undefined)))
      names.push(e.name);
  }
  return names.sort();
}

/** Resolves a workload name (under benchmarks/) or a path to a config .yml. */
export async function findWorkload(arg: string, cwd: string, benchmarksDir: string): Promise<Workload> {
  const vars = await readVariables(benchmarksDir).catch(
    () => ({ common: {}, workloads: {} }) as WorkloadVariables,
  );
  let config: string;
  if (arg.endsWith(".yml") || arg.endsWith(".yaml")) config = isAbsolute(arg) ? arg : resolve(cwd, arg);
  else config = join(benchmarksDir, arg, `${arg}.yml`);
  if (!(await stat(config).catch(() => undefined))) {
    const known = await listWorkloads(benchmarksDir).catch(() => []);
    throw new UserError({
      what: `no workload "${arg}"`,
      where: config,
      next: known.length
        ? `use one of: ${known.join(", ")}, or a path to a kube-burner config`
        : "pass a path to a kube-burner config",
    });
  }
  const name = basename(config).replace(/\.ya?ml$/, "");
  return {
    name,
    dir: dirname(config),
    config,
    variables: { ...vars.common, ...(vars.workloads[name] ?? {}) },
  };
}

/** Parses NAME=value pairs; unknown names are allowed (a user's own config) but listed. */
export function parseSets(sets: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const i = s.indexOf("=");
    if (i <= 0)
      throw new UserError({
        what: `"${s}" is not NAME=value`,
        where: "--set",
        next: "e.g. --set ITERATIONS=20",
      });
    out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

export function resolveVariables(w: Workload, sets: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(w.variables)) out[k] = v.default;
  return { ...out, ...sets };
}

export interface RenderedObject {
  template: string;
  object: Record<string, unknown>;
  /** How many of it the job creates: jobIterations x replicas. */
  count: number;
}

/**
 * Renders the config with the variables, then every object template of every create job for
 * the given iteration and replica, as kube-burner does (inputVars plus Iteration, Replica,
 * JobName, UUID).
 */
export async function renderWorkload(
  w: Workload,
  vars: Record<string, string>,
  at: { iteration?: number; replica?: number; uuid?: string } = {},
): Promise<{ config: Record<string, unknown>; objects: RenderedObject[] }> {
  const config = parse(
    renderTemplate(await readFile(w.config, "utf8"), { UUID: at.uuid ?? "uuid", ...vars }, w.config),
  ) as {
    jobs?: {
      name: string;
      jobType?: string;
      jobIterations?: number | string;
      objects?: { objectTemplate: string; replicas?: number | string; inputVars?: Record<string, unknown> }[];
    }[];
  };
  const objects: RenderedObject[] = [];
  for (const job of config.jobs ?? []) {
    if ((job.jobType ?? "create") !== "create") continue;
    for (const o of job.objects ?? []) {
      const file = join(w.dir, o.objectTemplate);
      const text = renderTemplate(
        await readFile(file, "utf8"),
        {
          ...(o.inputVars ?? {}),
          Iteration: at.iteration ?? 0,
          Replica: at.replica ?? 1,
          JobName: job.name,
          UUID: at.uuid ?? "uuid",
        },
        file,
      );
      const count = Number(job.jobIterations ?? 1) * Number(o.replicas ?? 1);
      objects.push({ template: file, object: parse(text) as Record<string, unknown>, count });
    }
  }
  return { config: config as Record<string, unknown>, objects };
}
