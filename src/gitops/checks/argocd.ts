/**
 * Argo CD checks: every Application (and ApplicationSet template) points at a path that exists
 * in the repository, and sync waves order an operator's Subscription (or a CRD) before the custom
 * resources that need its CRDs, both between Applications of an app of apps and between objects
 * of one Application. Without that order the first sync fails and needs manual re-syncs.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { INSTANCE_TYPES } from "../../topology/catalog.ts";
import {
  annotations,
  type Check,
  type CheckContext,
  finding,
  get,
  groupOf,
  isObj,
  type Json,
  type LintFinding,
  type LintObject,
  nameOf,
  waveOf,
} from "../model.ts";

/** API groups whose CRDs an OLM package installs (the operators the workshop uses). */
export const PACKAGE_GROUPS: Record<string, string[]> = {
  "openshift-gitops-operator": ["argoproj.io", "pipelines.openshift.io"],
  "sriov-network-operator": ["sriovnetwork.openshift.io"],
  "kubevirt-hyperconverged": [
    "hco.kubevirt.io",
    "kubevirt.io",
    "cdi.kubevirt.io",
    "ssp.kubevirt.io",
    "networkaddonsoperator.network.kubevirt.io",
    "instancetype.kubevirt.io",
    "pool.kubevirt.io",
    "snapshot.kubevirt.io",
    "export.kubevirt.io",
    "clone.kubevirt.io",
    "migrations.kubevirt.io",
    "hostpathprovisioner.kubevirt.io",
  ],
};

const SKIP_DRY_RUN = "SkipDryRunOnMissingResource=true";

/** group -> what provides its CRD, among some objects. */
function providers(objects: LintObject[]): Map<string, LintObject> {
  const out = new Map<string, LintObject>();
  for (const at of objects) {
    if (at.obj.kind === "Subscription" && groupOf(at.obj) === "operators.coreos.com") {
      for (const g of PACKAGE_GROUPS[String(get(at.obj, "spec.name"))] ?? []) if (!out.has(g)) out.set(g, at);
    }
    if (at.obj.kind === "CustomResourceDefinition") {
      const g = get(at.obj, "spec.group");
      if (typeof g === "string" && !out.has(g)) out.set(g, at);
    }
  }
  return out;
}

function sourcesOf(spec: Json): Json[] {
  if (isObj(spec.source)) return [spec.source];
  return Array.isArray(spec.sources) ? (spec.sources as Json[]).filter(isObj) : [];
}

/** Brace alternatives of an Argo CD directory include/exclude glob: "{a.yaml,b/*}" -> [a.yaml, b/*]. */
export function braceAlternatives(glob: string): string[] {
  const m = /^\{(.*)\}$/.exec(glob.trim());
  return (m ? m[1]!.split(",") : [glob]).map((s) => s.trim()).filter(Boolean);
}

/** Work done by globMatch (character comparisons), for tests that bound it. */
export const globWork = { steps: 0 };

/**
 * Whether `name` matches an include/exclude glob: `*` any run of characters but `/`, `?` one
 * character but `/`, anything else itself. Without regular expressions: a pattern such as
 * `*********x` made the backtracking regex take 42 s on one file name. `/` is never matched by a
 * wildcard, so pattern and name are compared segment by segment, each with the greedy
 * one-backtrack-point algorithm: at most (pattern length + 1) x (name length + 1) steps.
 */
export function globMatch(glob: string, name: string): boolean {
  const pats = glob.split("/");
  const names = name.split("/");
  if (pats.length !== names.length) return false;
  return pats.every((p, i) => segmentMatch(p, names[i]!));
}

function segmentMatch(p: string, s: string): boolean {
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < s.length) {
    globWork.steps++;
    if (i < p.length && p[i] !== "*" && (p[i] === "?" || p[i] === s[j])) {
      i++;
      j++;
    } else if (i < p.length && p[i] === "*") {
      star = i++;
      mark = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else return false;
  }
  while (i < p.length && p[i] === "*") i++;
  return i === p.length;
}

function syncOptions(app: Json): string[] {
  const o = get(app, "spec.syncPolicy.syncOptions");
  return Array.isArray(o) ? o.map(String) : [];
}

function skipsDryRun(at: LintObject, app: Json | undefined): boolean {
  const a = annotations(at.obj)["argocd.argoproj.io/sync-options"] ?? "";
  return (
    a
      .split(",")
      .map((s) => s.trim())
      .includes(SKIP_DRY_RUN) ||
    (app !== undefined && syncOptions(app).includes(SKIP_DRY_RUN))
  );
}

/** Objects of one sync: CRs synced together with the operator whose CRDs they need. */
function checkOneSync(objects: LintObject[], app: LintObject | undefined): LintFinding[] {
  const out: LintFinding[] = [];
  const provided = providers(objects);
  for (const at of objects) {
    const p = provided.get(groupOf(at.obj));
    if (!p || p === at || at.obj.kind === "CustomResourceDefinition") continue;
    const where = app ? ` (synced by Application ${nameOf(app.obj)})` : "";
    if (waveOf(at.obj) <= waveOf(p.obj)) {
      out.push(
        finding(
          "error",
          "sync-wave",
          at,
          'metadata.annotations["argocd.argoproj.io/sync-wave"]',
          `sync wave ${waveOf(at.obj)} is not after ${String(p.obj.kind)} ${nameOf(p.obj)} (wave ${waveOf(p.obj)}), which installs the CRD of ${String(at.obj.kind)}${where}`,
        ),
      );
    }
    if (!skipsDryRun(at, app?.obj)) {
      out.push(
        finding(
          "error",
          "sync-wave",
          at,
          'metadata.annotations["argocd.argoproj.io/sync-options"]',
          `${String(at.obj.kind)} is synced with ${String(p.obj.kind)} ${nameOf(p.obj)}, which installs its CRD: without ${SKIP_DRY_RUN} the first sync fails its dry run${where}`,
        ),
      );
    }
  }
  return out;
}

interface AppTarget {
  app: LintObject;
  objects: LintObject[];
}

function appTargets(objects: LintObject[], ctx: CheckContext, out: LintFinding[]): AppTarget[] {
  const targets: AppTarget[] = [];
  for (const at of objects) {
    const { obj } = at;
    if (groupOf(obj) !== "argoproj.io") continue;
    if (obj.kind === "Application") {
      const spec = isObj(obj.spec) ? obj.spec : {};
      const srcs = sourcesOf(spec);
      const appObjects: LintObject[] = [];
      srcs.forEach((src, i) => {
        if (typeof src.path !== "string" || src.chart !== undefined) return;
        const base = isObj(spec.source) ? "spec.source" : `spec.sources[${i}]`;
        const dir = join(ctx.repoRoot, src.path);
        if (!existsSync(dir) || !statSync(dir).isDirectory()) {
          out.push(
            finding(
              "error",
              "application-path",
              at,
              `${base}.path`,
              `path ${src.path} does not exist in the repository (${relative(process.cwd(), ctx.repoRoot) || "."})`,
            ),
          );
          return;
        }
        const include = get(src, "directory.include");
        let filter: ((file: string | undefined) => boolean) | undefined;
        if (typeof include === "string" && include !== "") {
          const alts = braceAlternatives(include);
          const files = readdirSync(dir);
          for (const alt of alts) {
            if (!files.some((f) => globMatch(alt, f))) {
              out.push(
                finding(
                  "error",
                  "application-path",
                  at,
                  `${base}.directory.include`,
                  `include pattern ${alt} matches no file in ${src.path}`,
                ),
              );
            }
          }
          filter = (file) =>
            file !== undefined && alts.some((alt) => globMatch(alt, file.split("/").at(-1)!));
        }
        const unitObjects = ctx.unitsByDir.get(dir) ?? [];
        appObjects.push(...unitObjects.filter((o) => !filter || filter(o.file)));
      });
      targets.push({ app: at, objects: appObjects });
    }
    if (obj.kind === "ApplicationSet") {
      const spec = get(obj, "spec.template.spec");
      if (!isObj(spec)) continue;
      out.push(...checkPerInstanceType(at, spec, ctx));
      sourcesOf(spec).forEach((src, i) => {
        if (typeof src.path !== "string" || src.chart !== undefined) return;
        const base = isObj(spec.source) ? "spec.template.spec.source" : `spec.template.spec.sources[${i}]`;
        // `{{ if ... }}A{{ else }}B{{ end }}` (the fleet's tuning choice): both A and B must exist.
        // Any other templated path: the part before the first {{ must exist.
        for (const p of pathAlternatives(src.path)) {
          const fixed = p.includes("{{") ? p.slice(0, p.indexOf("{{")).replace(/[^/]*$/, "") : p;
          if (!existsSync(join(ctx.repoRoot, fixed))) {
            out.push(
              finding(
                "error",
                "application-path",
                at,
                `${base}.path`,
                `path ${p} does not exist in the repository`,
              ),
            );
          }
        }
      });
    }
  }
  return targets;
}

/** The two branches of a path that is one Go-template conditional, else the path itself. */
function pathAlternatives(path: string): string[] {
  const m = /^\{\{-?\s*if\b[^}]*\}\}([^{}]*)\{\{-?\s*else\s*-?\}\}([^{}]*)\{\{-?\s*end\s*-?\}\}$/.exec(path);
  return m ? [m[1]!, m[2]!] : [path];
}

const INSTANCE_TYPE_VALUE = /\{\{-?\s*\.values\.instanceType\s*-?\}\}/;
const INSTANCE_TYPE_VALUES = new RegExp(INSTANCE_TYPE_VALUE.source, "g");

/**
 * An ApplicationSet that takes the instance type from each cluster (`.values.instanceType`) must
 * work for every instance type of the catalog: its templated path, and the paths and
 * `directory.include` files its Kustomize patches give the child Applications, are expanded for
 * each type and must exist. Strings with other template values (the cluster's name, server) are
 * not checked.
 */
function checkPerInstanceType(at: LintObject, spec: Json, ctx: CheckContext): LintFinding[] {
  const out: LintFinding[] = [];
  if (!INSTANCE_TYPE_VALUE.test(JSON.stringify(spec))) return out;
  const expand = (s: string, t: string) => s.replace(INSTANCE_TYPE_VALUES, t);
  const concrete = (s: string) => !s.includes("{{");
  const err = (path: string, message: string) =>
    out.push(finding("error", "application-path", at, path, message));
  const isDir = (p: string) =>
    existsSync(join(ctx.repoRoot, p)) && statSync(join(ctx.repoRoot, p)).isDirectory();
  sourcesOf(spec).forEach((src, i) => {
    const base = isObj(spec.source) ? "spec.template.spec.source" : `spec.template.spec.sources[${i}]`;
    if (typeof src.path !== "string") return;
    for (const t of INSTANCE_TYPES.map((x) => x.name)) {
      const p = expand(src.path, t);
      if (p !== src.path && concrete(p) && !isDir(p))
        err(
          `${base}.path`,
          `for instance type ${t} the path is ${p}, which does not exist in the repository`,
        );
    }
    // The child Applications this source renders, by name, for the paths their patches change. A
    // templated path (the fleet's tuning choice) may render any app of apps of the repository.
    const children = concrete(src.path)
      ? (ctx.unitsByDir.get(join(ctx.repoRoot, src.path)) ?? [])
      : [...ctx.unitsByDir.values()].flat();
    const patches = get(src, "kustomize.patches");
    if (!Array.isArray(patches)) return;
    patches.forEach((patch, j) => {
      if (!isObj(patch) || typeof patch.patch !== "string" || !INSTANCE_TYPE_VALUE.test(patch.patch)) return;
      const target =
        isObj(patch.target) && typeof patch.target.name === "string" ? patch.target.name : undefined;
      const child = children.find((c) => c.obj.kind === "Application" && nameOf(c.obj) === target);
      const childPath = child ? get(child.obj, "spec.source.path") : undefined;
      const where = `${base}.kustomize.patches[${j}].patch`;
      for (const t of INSTANCE_TYPES.map((x) => x.name)) {
        let ops: unknown;
        try {
          ops = parseYaml(expand(patch.patch, t));
        } catch {
          return; // a patch Kustomize cannot read fails the build, reported elsewhere
        }
        if (!Array.isArray(ops)) return;
        for (const op of ops) {
          if (!isObj(op) || typeof op.value !== "string" || !concrete(op.value)) continue;
          const app = target ? `Application ${target}` : "the Applications";
          if (op.path === "/spec/source/path" && !isDir(op.value))
            err(
              where,
              `for instance type ${t} ${app} gets path ${op.value}, which does not exist in the repository`,
            );
          if (
            op.path === "/spec/source/directory/include" &&
            typeof childPath === "string" &&
            isDir(childPath)
          ) {
            const files = readdirSync(join(ctx.repoRoot, childPath));
            for (const alt of braceAlternatives(op.value))
              if (!files.some((f) => globMatch(alt, f)))
                err(
                  where,
                  `for instance type ${t} ${app} includes ${alt}, which matches no file in ${childPath}`,
                );
          }
        }
      }
    });
  });
  return out;
}

export const checkArgo: Check = (objects, ctx) => {
  const out: LintFinding[] = [];
  // One sync per unit, as `oc apply -k` or an Application would apply it.
  const byUnit = new Map<string, LintObject[]>();
  for (const o of objects) byUnit.set(o.unit, [...(byUnit.get(o.unit) ?? []), o]);
  for (const unitObjects of byUnit.values()) out.push(...checkOneSync(unitObjects, undefined));

  // Between the Applications of an app of apps.
  const targets = appTargets(objects, ctx, out);
  const byUnitApps = new Map<string, AppTarget[]>();
  for (const t of targets) byUnitApps.set(t.app.unit, [...(byUnitApps.get(t.app.unit) ?? []), t]);
  for (const apps of byUnitApps.values()) {
    const provider = new Map<string, AppTarget>();
    for (const t of apps)
      for (const g of providers(t.objects).keys()) if (!provider.has(g)) provider.set(g, t);
    for (const t of apps) {
      const reported = new Set<string>();
      for (const o of t.objects) {
        const g = groupOf(o.obj);
        const p = provider.get(g);
        if (!p || p === t || reported.has(g)) continue;
        if (waveOf(t.app.obj) <= waveOf(p.app.obj)) {
          reported.add(g);
          out.push(
            finding(
              "error",
              "sync-wave",
              t.app,
              'metadata.annotations["argocd.argoproj.io/sync-wave"]',
              `Application ${nameOf(t.app.obj)} (wave ${waveOf(t.app.obj)}) syncs ${String(o.obj.kind)} (${g}), whose CRD comes from Application ${nameOf(p.app.obj)} (wave ${waveOf(p.app.obj)}): give it a later wave`,
            ),
          );
        }
      }
    }
  }
  return out;
};
