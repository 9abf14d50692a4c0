/**
 * `llw lint` for a tuning change set, whatever form it takes: a directory or kustomization is
 * linted as `llw lint DIR` does (built with kustomize, every object against its schema, the
 * tree checks); the objects of plain files are validated against the same schema registry and
 * run through the same checks, as one unit. A file must not slip through with less checking
 * than the directory holding it: an unknown field or a string where the schema wants a number
 * would otherwise reach the API server after the pool is paused.
 */
import { existsSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import type { LintFinding, LintObject } from "../gitops/model.ts";
import type { SchemaRegistry } from "../gitops/schemas.ts";
import type { Problem } from "../lib/errors.ts";
import type { LoadedObject } from "./manifests.ts";

export interface ChangeSetLint {
  errors: Problem[];
  /** Warnings worth showing (e.g. a kind no schema describes: not validated). */
  warnings: Problem[];
}

function describeObject(o: { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }): string {
  const ns = o.metadata?.namespace;
  return `${String(o.kind)} ${ns ? `${String(ns)}/` : ""}${String(o.metadata?.name ?? "")}`;
}

/**
 * Lints the change set against the schemas of `registry`. `loaded` are the objects read from
 * `paths` (loadManifests); those whose source is a plain file are linted here, directories
 * through lintTree.
 */
export async function lintChangeSet(
  paths: string[],
  loaded: LoadedObject[],
  o: { cwd: string; env: NodeJS.ProcessEnv; registry: SchemaRegistry },
): Promise<ChangeSetLint> {
  const { BUILTIN_CHECKS, lintTree } = await import("../gitops/lint.ts");
  const registry = o.registry;
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const report = (f: LintFinding, where: string) => {
    const p = { what: `${f.rule}: ${f.message}`, where };
    if (f.severity === "error") errors.push(p);
    else if (f.severity === "warning") warnings.push(p);
  };

  const abs = paths.map((p) => resolve(o.cwd, p));
  const dirs = abs.filter((p) => existsSync(p) && statSync(p).isDirectory());
  for (const dir of dirs) {
    const r = await lintTree(dir, { registry, env: o.env });
    const base = relative(o.cwd, dir) || ".";
    for (const f of r.findings)
      report(f, `${base}/${f.file ?? f.unit}${f.object ? `: ${f.object}` : ""}${f.path ? ` ${f.path}` : ""}`);
  }

  const files = new Set(abs.filter((p) => !dirs.includes(p)).map((p) => relative(o.cwd, p) || "."));
  const objects: LintObject[] = loaded
    .filter((l) => files.has(l.source))
    .map((l) => ({ obj: l.object as unknown as Record<string, unknown>, unit: ".", file: l.source }));
  for (const at of objects) {
    const where = (path?: string) => `${at.file}: ${describeObject(at.obj)}${path ? ` ${path}` : ""}`;
    const issues = await registry.validate(at.obj);
    if (issues === undefined)
      warnings.push({
        what: `unknown-kind: no schema for ${String(at.obj.apiVersion)} ${String(at.obj.kind)}: not validated (add its CRD to the schema directory)`,
        where: where(),
      });
    else for (const i of issues) errors.push({ what: `schema: ${i.message}`, where: where(i.path) });
  }
  if (objects.length > 0) {
    const ctx = { repoRoot: o.cwd, root: o.cwd, unitsByDir: new Map([[o.cwd, objects]]) };
    for (const check of BUILTIN_CHECKS)
      for (const f of check(objects, ctx))
        report(f, `${f.file ?? f.unit}${f.object ? `: ${f.object}` : ""}${f.path ? ` ${f.path}` : ""}`);
  }
  return { errors: unique(errors), warnings: unique(warnings) };
}

export function unique(ps: Problem[]): Problem[] {
  return ps.filter((p, i) => ps.findIndex((q) => q.what === p.what && q.where === p.where) === i);
}

/**
 * Merges the offline webhook rules' problems with lint's: lint runs the same webhook rules (and
 * more), so a rule both report is shown once, with lint's rule name.
 */
export function mergeProblems(offline: Problem[], lint: Problem[]): Problem[] {
  const kept = offline.filter(
    (p) => !lint.some((l) => l.where === p.where && l.what.endsWith(`: ${p.what}`)),
  );
  return unique([...kept, ...lint]);
}
