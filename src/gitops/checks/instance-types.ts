/**
 * The type-dependent parts of a tree agree. One cluster's metal workers have one EC2 instance
 * type, and four parts of the tree depend on it: the PerformanceProfile (its CPU ids and hugepages
 * exist only on that type), its runtime class performance-<profile>, the HyperConverged
 * defaultRuntimeClass (a class that does not exist rejects every VM) and the workloads'
 * runtimeClassName (the overlay of that type). A tree that mixes, say, c5.metal's profile with
 * m5zn.metal's workloads builds and validates, and fails on the cluster. Checked:
 * - an overlay named after a type (overlays/aws/<type>, its hyperconverged/, performance-profiles/
 *   <type>.yaml) uses that type's profile and nothing else;
 * - the Applications of one app of apps select one type between them (paths, directory includes,
 *   the workshop.low-latency.io/instance-type annotation, and what they sync);
 * - an ApplicationSet that takes the type from each cluster gives every child Application that
 *   type, for every instance type of the catalog.
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { parse as parseYaml } from "yaml";
import { defaultProfileName } from "../../profile/plan.ts";
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
} from "../model.ts";
import { braceAlternatives } from "./argocd.ts";
import { targetInstanceType } from "./profiles.ts";
import { podTemplate, RUNTIME_CLASS_PREFIX } from "./workloads.ts";

export const INSTANCE_TYPE_ANNOTATION = "workshop.low-latency.io/instance-type";
const NOT_TYPES = new Set(["performance-profiles", "sriov"]);

/** A type-dependent reference in an object: what it names and where. */
interface TypeRef {
  type: string;
  what: string;
  path: string;
}

/** Instance types by profile name: the profiles of the tree, then the naming convention. */
function profileTypes(objects: LintObject[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of INSTANCE_TYPES) out.set(defaultProfileName(t.name), t.name);
  for (const { obj } of objects) {
    if (obj.kind !== "PerformanceProfile") continue;
    const t = targetInstanceType(obj);
    if (t) out.set(nameOf(obj), t);
  }
  return out;
}

/** The instance type each type-dependent field of an object names. */
function refsOf(obj: Json, types: Map<string, string>): TypeRef[] {
  const out: TypeRef[] = [];
  const byClass = (rc: unknown, what: string, path: string) => {
    if (typeof rc !== "string" || !rc.startsWith(RUNTIME_CLASS_PREFIX)) return;
    const type = types.get(rc.slice(RUNTIME_CLASS_PREFIX.length));
    if (type) out.push({ type, what: `${what} ${rc}`, path });
  };
  if (obj.kind === "PerformanceProfile") {
    const t = targetInstanceType(obj);
    if (t) out.push({ type: t, what: `PerformanceProfile ${nameOf(obj)}`, path: "metadata.name" });
  }
  if (obj.kind === "HyperConverged" && groupOf(obj) === "hco.kubevirt.io")
    byClass(get(obj, "spec.defaultRuntimeClass"), "defaultRuntimeClass", "spec.defaultRuntimeClass");
  const pod = podTemplate(obj);
  if (pod) byClass(pod.spec.runtimeClassName, "runtime class", `${pod.at}.runtimeClassName`);
  return out;
}

/** The type a path names: .../overlays/aws/<type>[/...] or .../performance-profiles/<type>.yaml. */
export function typeOfPath(p: string): string | undefined {
  const posix = p.split(sep).join("/");
  const overlay = /(?:^|\/)overlays\/aws\/([^/]+)/.exec(posix);
  if (overlay && !NOT_TYPES.has(overlay[1]!)) return overlay[1]!;
  const file = /(?:^|\/)performance-profiles\/([^/]+)\.ya?ml$/.exec(posix);
  if (file && (INSTANCE_TYPES.some((t) => t.name === file[1]) || file[1]!.includes(".metal")))
    return file[1]!;
  return undefined;
}

function globToRegExp(glob: string): RegExp {
  const re = glob
    .replace(/[.+^$()|[\]\\]/g, "\\$&")
    .replaceAll("*", "[^/]*")
    .replaceAll("?", "[^/]");
  return new RegExp(`^${re}$`);
}

function sourcesOf(spec: Json): Json[] {
  if (isObj(spec.source)) return [spec.source];
  return Array.isArray(spec.sources) ? (spec.sources as Json[]).filter(isObj) : [];
}

/** What one Application (as rendered, or as an ApplicationSet would render it) selects. */
function appSelection(
  spec: Json,
  ann: Record<string, string>,
  ctx: CheckContext,
  types: Map<string, string>,
): TypeRef[] {
  const out: TypeRef[] = [];
  const a = ann[INSTANCE_TYPE_ANNOTATION];
  if (a) out.push({ type: a, what: `annotation ${INSTANCE_TYPE_ANNOTATION}`, path: "metadata.annotations" });
  sourcesOf(spec).forEach((src) => {
    if (typeof src.path !== "string" || src.path.includes("{{")) return;
    // A path or file that does not exist names no type the cluster could get: application-path
    // reports it, once.
    const dir = join(ctx.repoRoot, src.path);
    if (!existsSync(dir)) return;
    const t = typeOfPath(src.path);
    if (t) out.push({ type: t, what: `path ${src.path}`, path: "spec.source.path" });
    const include = get(src, "directory.include");
    const alts = typeof include === "string" && include !== "" ? braceAlternatives(include) : undefined;
    for (const alt of alts ?? []) {
      const ti = typeOfPath(`performance-profiles/${alt}`) ?? typeOfPath(join(src.path, alt));
      if (ti && !alt.includes("*") && existsSync(join(dir, alt)))
        out.push({ type: ti, what: `include ${alt}`, path: "spec.source.directory.include" });
    }
    const res = alts?.map(globToRegExp);
    for (const o of ctx.unitsByDir.get(dir) ?? []) {
      if (res && !(o.file && res.some((r) => r.test(basename(o.file!))))) continue;
      for (const r of refsOf(o.obj, types)) out.push({ ...r, what: `its ${r.what}` });
    }
  });
  return out;
}

const describeRefs = (refs: TypeRef[]) => [...new Set(refs.map((r) => `${r.what} (${r.type})`))].join(", ");

/** An overlay named after a type uses that type's profile only. */
function checkOverlays(objects: LintObject[], ctx: CheckContext, types: Map<string, string>): LintFinding[] {
  const out: LintFinding[] = [];
  for (const at of objects) {
    const where =
      typeOfPath(relative(ctx.repoRoot, join(ctx.root, at.unit))) ??
      (at.file && at.obj.kind === "PerformanceProfile" ? typeOfPath(at.file) : undefined);
    if (!where) continue;
    for (const r of refsOf(at.obj, types)) {
      if (r.type === where) continue;
      out.push(
        finding(
          "error",
          "instance-type",
          at,
          r.path,
          `${r.what} is ${r.type}'s, in the ${where} part of the tree: on a ${where} cluster ${
            r.what.startsWith("PerformanceProfile")
              ? `its CPU ids and hugepages are another machine's`
              : `that runtime class does not exist (the ${where} profile's is performance-${defaultProfileName(where)})`
          }; regenerate with llw generate`,
        ),
      );
    }
  }
  return out;
}

/** The Applications of one app of apps select one instance type. */
function checkAppOfApps(objects: LintObject[], ctx: CheckContext, types: Map<string, string>): LintFinding[] {
  const out: LintFinding[] = [];
  const byUnit = new Map<string, { at: LintObject; refs: TypeRef[] }[]>();
  for (const at of objects) {
    if (at.obj.kind !== "Application" || groupOf(at.obj) !== "argoproj.io" || !isObj(at.obj.spec)) continue;
    const refs = appSelection(at.obj.spec, annotations(at.obj), ctx, types);
    if (refs.length === 0) continue;
    byUnit.set(at.unit, [...(byUnit.get(at.unit) ?? []), { at, refs }]);
  }
  for (const apps of byUnit.values()) {
    const all = [...new Set(apps.flatMap((a) => a.refs.map((r) => r.type)))];
    if (all.length < 2) continue;
    // The type of the Application that syncs the PerformanceProfile is the reference.
    const anchor = apps.find((a) => a.refs.some((r) => r.what.includes("PerformanceProfile"))) ?? apps[0]!;
    const main = anchor.refs.find((r) => r.what.includes("PerformanceProfile"))?.type ?? anchor.refs[0]!.type;
    for (const a of apps) {
      const odd = a.refs.filter((r) => r.type !== main);
      if (odd.length === 0) continue;
      out.push(
        finding(
          "error",
          "instance-type",
          a.at,
          odd[0]!.path,
          `Application ${nameOf(a.at.obj)} selects ${describeRefs(odd)}, but Application ${nameOf(anchor.at.obj)} selects ${main} (${describeRefs(anchor.refs.filter((r) => r.type === main))}): one cluster's metal workers have one instance type, so the profile, its runtime class, the HyperConverged default and the workloads must all be that type's`,
        ),
      );
    }
  }
  return out;
}

const INSTANCE_TYPE_VALUE = /\{\{-?\s*\.values\.instanceType\s*-?\}\}/g;

/** Literal renderings of a templated string: the text between template actions that is a path. */
function candidates(s: string): string[] {
  if (!s.includes("{{")) return [s];
  return s
    .split(/\{\{.*?\}\}/)
    .map((x) => x.trim())
    .filter((x) => /^[\w.-]+(\/[\w.-]+)+$/.test(x));
}

/** The JSON-patch ops of a Kustomize patch string, or [] when it is not one. */
function patchOps(text: string): Json[] {
  try {
    const ops = parseYaml(text) as unknown;
    return Array.isArray(ops) ? ops.filter(isObj) : [];
  } catch {
    return [];
  }
}

function targets(patch: Json, child: LintObject): boolean {
  const t = isObj(patch.target) ? patch.target : {};
  if (typeof t.kind === "string" && t.kind !== child.obj.kind) return false;
  if (typeof t.name === "string" && !new RegExp(`^${t.name}$`).test(nameOf(child.obj))) return false;
  if (typeof t.annotationSelector === "string") {
    const ann = annotations(child.obj);
    const [k, v] = t.annotationSelector.split("=");
    if (!(k! in ann) || (v !== undefined && ann[k!] !== v)) return false;
  }
  return true;
}

/** For every catalog type, the children of an ApplicationSet that takes the type per cluster agree on it. */
function checkApplicationSets(
  objects: LintObject[],
  ctx: CheckContext,
  types: Map<string, string>,
): LintFinding[] {
  const out: LintFinding[] = [];
  for (const at of objects) {
    if (at.obj.kind !== "ApplicationSet" || groupOf(at.obj) !== "argoproj.io") continue;
    const spec = get(at.obj, "spec.template.spec");
    if (!isObj(spec) || !JSON.stringify(spec).match(INSTANCE_TYPE_VALUE)) continue;
    const reported = new Set<string>();
    for (const { name: t } of INSTANCE_TYPES) {
      const expand = (s: string) => s.replace(INSTANCE_TYPE_VALUE, t);
      sourcesOf(spec).forEach((src) => {
        if (typeof src.path !== "string") return;
        const patches = (
          Array.isArray(get(src, "kustomize.patches")) ? get(src, "kustomize.patches") : []
        ) as Json[];
        for (const path of candidates(expand(src.path))) {
          const children = (ctx.unitsByDir.get(join(ctx.repoRoot, path)) ?? []).filter(
            (c) => c.obj.kind === "Application" && isObj(c.obj.spec),
          );
          for (const child of children) {
            // The child as the ApplicationSet's patches leave it, for this instance type.
            const childSpec = structuredClone(child.obj.spec) as Json;
            const ann = { ...annotations(child.obj) };
            for (const p of patches) {
              if (!isObj(p) || typeof p.patch !== "string" || !targets(p, child)) continue;
              for (const op of patchOps(expand(p.patch))) {
                if (typeof op.value !== "string" || op.value.includes("{{")) continue;
                if (op.path === "/spec/source/path" && isObj(childSpec.source))
                  childSpec.source.path = op.value;
                if (op.path === "/spec/source/directory/include" && isObj(childSpec.source))
                  childSpec.source.directory = {
                    ...(isObj(childSpec.source.directory) ? childSpec.source.directory : {}),
                    include: op.value,
                  };
                if (op.path === "/metadata/annotations/workshop.low-latency.io~1instance-type")
                  ann[INSTANCE_TYPE_ANNOTATION] = op.value;
              }
            }
            const odd = appSelection(childSpec, ann, ctx, types).filter((r) => r.type !== t);
            const key = `${path} ${nameOf(child.obj)}`;
            if (odd.length === 0 || reported.has(key)) continue;
            reported.add(key);
            out.push(
              finding(
                "error",
                "instance-type",
                at,
                "spec.template.spec.source.kustomize.patches",
                `for a cluster of instance type ${t}, child Application ${nameOf(child.obj)} (from ${path}) still selects ${describeRefs(odd)}: patch it with .values.instanceType like the others (checked for every catalog type; the first that fails is shown)`,
              ),
            );
          }
        }
      });
    }
  }
  return out;
}

export const checkInstanceTypes: Check = (objects, ctx) => {
  const types = profileTypes([...objects, ...(ctx.repoObjects ?? [])]);
  return [
    ...checkOverlays(objects, ctx, types),
    ...checkAppOfApps(objects, ctx, types),
    ...checkApplicationSets(objects, ctx, types),
  ];
};

/** The catalog types the tree has an overlay for (for tests and messages). */
export function overlayTypes(repoRoot: string): string[] {
  const dir = join(repoRoot, "gitops", "overlays", "aws");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((d) => INSTANCE_TYPES.some((t) => t.name === d));
}
