/**
 * `lintTree`: builds every kustomization under a directory with a real kustomize, validates
 * every object against its schema (Kubernetes OpenAPI, CRDs, KubeVirt), and runs the checks a
 * reviewer of a low-latency GitOps tree would make. Returns findings; prints nothing. Other
 * commands (tune apply, sriov generate) call it as a library.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { parseAllDocuments } from "yaml";
import { UserError } from "../lib/errors.ts";
import { readInputText } from "../lib/input.ts";
import { yamlToJs } from "../lib/yaml-input.ts";
import { parseOcpVersion } from "../sriov/generate.ts";
import { checkArgo } from "./checks/argocd.ts";
import { checkInstanceTypes } from "./checks/instance-types.ts";
import { checkVmRuntimeClass } from "./checks/kubevirt.ts";
import { checkOlm } from "./checks/olm.ts";
import { checkProfiles } from "./checks/profiles.ts";
import { checkSriov } from "./checks/sriov.ts";
import { checkEvictionStrategy, checkVmImages, checkWholeCores } from "./checks/vms.ts";
import { checkWorkloads } from "./checks/workloads.ts";
import { discover, indexSources, type Unit } from "./discover.ts";
import { renderKubeBurnerWorkload } from "./kube-burner.ts";
import { type BuildResult, buildAll, findKustomize, type KustomizeTool } from "./kustomize.ts";
import { type InputProblem, kustomizationInputProblems } from "./kustomize-inputs.ts";
import {
  type Check,
  type CheckContext,
  describe,
  isObj,
  type Json,
  type LintFinding,
  type LintObject,
} from "./model.ts";
import { SchemaRegistry } from "./schemas.ts";

export type { LintFinding } from "./model.ts";

export interface LintOptions {
  /** Directory of schema files (CRD YAML, OpenAPI v3 / Swagger JSON). */
  schemas?: string;
  /** Where compiled validators are cached between runs (with `schemas`); none: no cache. */
  cacheDir?: string;
  /** A registry already filled (e.g. from the cluster); used instead of `schemas`. */
  registry?: SchemaRegistry;
  /** Root that Application paths are relative to; default: the git top level above `path`. */
  repoRoot?: string;
  env?: NodeJS.ProcessEnv;
  /** The kustomize to use; default: found on PATH. */
  tool?: KustomizeTool;
  concurrency?: number;
  /** OpenShift version the tree targets ("4.20"), for version-dependent checks. */
  ocpVersion?: string;
  /** Extra checks, run with the built-in ones. */
  checks?: Check[];
  /** The day support windows (VM image releases) are evaluated on; default: now. */
  now?: Date;
  /**
   * Directories of schemas (the one validated against): upstream reference documents, not
   * manifests of the tree, so a lint of the whole repository skips them.
   */
  schemaDirs?: string[];
}

export interface UnitResult {
  /** Relative to the linted path ("." for the path itself). */
  path: string;
  type: Unit["type"];
  status: "built" | "read" | "rendered" | "failed" | "skipped";
  objects: number;
  reason?: string;
}

export interface LintResult {
  root: string;
  tool: string;
  schemaSources: string[];
  units: UnitResult[];
  findings: LintFinding[];
  errors: number;
  warnings: number;
}

export const BUILTIN_CHECKS: Check[] = [
  checkProfiles,
  checkWorkloads,
  checkVmRuntimeClass,
  checkVmImages,
  checkEvictionStrategy,
  checkWholeCores,
  checkSriov,
  checkOlm,
  checkArgo,
  checkInstanceTypes,
];

/** Kinds whose objects other objects rely on, looked up in the rest of the repository too. */
const FACT_KINDS = /^kind:\s*(PerformanceProfile|HyperConverged|SriovOperatorConfig)\s*$/m;

/**
 * PerformanceProfiles, HyperConverged and SriovOperatorConfig objects of the repository outside the linted path, read
 * from the source files of the repository's top-level folder that holds the path (gitops/ when
 * linting gitops/base) and of gitops/ (what benchmarks/ runs against), so that linting part of
 * the repository does not report what another part provides. Nothing when the linted path is
 * the root or outside the repository.
 */
async function repositoryFacts(root: string, repoRoot: string): Promise<LintObject[]> {
  const inside = relative(repoRoot, root);
  if (inside === "" || inside.startsWith("..") || resolve(repoRoot, inside) !== root) return [];
  // The workloads in benchmarks/ run against the cluster the GitOps tree describes.
  const tops = [...new Set([join(repoRoot, inside.split(sep)[0]!), join(repoRoot, "gitops")])].filter(
    (t) => t !== root && existsSync(t),
  );
  const files = (await Promise.all(tops.map(async (t) => (await discover(t)).yamlFiles))).flat();
  const out: LintObject[] = [];
  for (const f of files) {
    if (f.startsWith(root + sep)) continue;
    const text = await readTreeFile(f);
    if (!FACT_KINDS.test(text)) continue;
    for (const obj of parseObjects(text).objects)
      if (FACT_KINDS.test(`kind: ${String(obj.kind)}`))
        out.push({ obj, unit: "(repository)", file: relative(root, f).split(sep).join("/") });
  }
  return out;
}

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, ".git"))) return dir;
    const up = dirname(dir);
    if (up === dir) return start;
    dir = up;
  }
}

function parseObjects(text: string): { objects: Json[]; error?: string } {
  const objects: Json[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) return { objects, error: doc.errors[0]!.message };
    let o: unknown;
    try {
      o = yamlToJs(doc, "");
    } catch (e) {
      if (e instanceof UserError) return { objects, error: e.problems[0]!.what };
      throw e;
    }
    if (isObj(o)) objects.push(...listItems(o));
  }
  return { objects };
}

/** A file of the linted tree, within the manifest size limit; only regular files (no pipes). */
function readTreeFile(file: string): Promise<string> {
  return readInputText(
    file,
    "manifest",
    { shown: relative(process.cwd(), file) || file },
    { regularOnly: true },
  );
}

/**
 * A `v1 List` (what `oc get -o yaml` prints) is its items, as `oc apply -f` applies them
 * (kubernetes/kubectl, master, pkg/cmd/util/helpers resource builder: `Flatten` of a List).
 */
function listItems(o: Json): Json[] {
  if (o.apiVersion === "v1" && o.kind === "List" && Array.isArray(o.items)) return o.items.filter(isObj);
  return [o];
}

/** The file an object most likely came from: same kind and name, nearest the unit's directory. */
function originOf(obj: Json, unitDir: string, index: Map<string, string[]>): string | undefined {
  const name = isObj(obj.metadata) ? String(obj.metadata.name) : "";
  const files = index.get(`${String(obj.kind)}/${name}`);
  if (!files || files.length === 0) return undefined;
  const common = (f: string) => {
    let i = 0;
    while (i < f.length && i < unitDir.length && f[i] === unitDir[i]) i++;
    return i;
  };
  return [...files].sort((a, b) => common(b) - common(a))[0];
}

export async function lintTree(path: string, options: LintOptions = {}): Promise<LintResult> {
  const env = options.env ?? process.env;
  const root = resolve(path);
  if (!existsSync(root)) {
    throw new UserError({
      what: "the path to lint does not exist",
      where: path,
      next: "pass the GitOps tree, e.g. llw lint gitops",
    });
  }
  if (!statSync(root).isDirectory()) {
    throw new UserError({
      what: "the path to lint is a file; lint works on a directory of kustomizations and manifests",
      where: path,
      next: `pass the directory that holds it, e.g. llw lint ${dirname(path) || "."}`,
    });
  }
  if (!options.registry && !options.schemas) {
    throw new UserError({
      what: "no schemas to validate against",
      where: "--schemas",
      next: "pass --schemas DIR (CRD YAML and Kubernetes OpenAPI JSON files) or --schemas-from-cluster",
    });
  }
  // Parsed first: a bad version is a usage error before any build starts.
  const ocpVersion = options.ocpVersion ? parseOcpVersion(options.ocpVersion) : undefined;
  const tool = options.tool ?? findKustomize(env);
  const rel = (p: string) => relative(root, p).split(sep).join("/") || ".";
  const { units, yamlFiles } = await discover(root);
  if (units.length === 0) {
    throw new UserError({
      what: "nothing to lint: no kustomization.yaml and no Kubernetes manifest under this directory",
      where: path,
      next: "pass the GitOps tree (e.g. llw lint gitops) or a folder of it",
    });
  }
  // What kustomize would read is read by llw first: an alias bomb or a FIFO never reaches it.
  const checkedInputs = new Map<string, InputProblem[]>();
  const refused = new Map<string, InputProblem[]>();
  for (const u of units)
    if (u.type === "kustomization") {
      const problems = await kustomizationInputProblems(u.dir, root, checkedInputs);
      if (problems.length > 0) refused.set(u.dir, problems);
    }
  const kdirs = units.filter((u) => u.type === "kustomization" && !refused.has(u.dir)).map((u) => u.dir);

  // Builds are separate processes that spend much of their time starting up. Meanwhile this
  // process loads the schemas, indexes the sources, and parses each build as it finishes and
  // compiles the validators of the kinds it contains, so little work is left when the last
  // build is done.
  const registryP = (async () => {
    if (options.registry) return options.registry;
    const r = new SchemaRegistry(options.cacheDir ? { cacheDir: options.cacheDir } : {});
    await r.addDirectory(options.schemas!);
    return r;
  })();
  const parsedByDir = new Map<string, ReturnType<typeof parseObjects>>();
  let compiling: Promise<unknown> = registryP.catch(() => undefined);
  const onBuilt = (b: BuildResult) => {
    if (!b.ok) return;
    const parsed = parseObjects(b.yaml);
    parsedByDir.set(b.dir, parsed);
    compiling = compiling.then(async () => {
      const registry = await registryP;
      for (const o of parsed.objects) await registry.prepare(String(o.apiVersion), String(o.kind));
    });
  };
  const buildsP = buildAll(tool, kdirs, env, options.concurrency, onBuilt);
  const indexP = indexSources(yamlFiles);
  const [builds, registry, index] = await Promise.all([buildsP, registryP, indexP]);
  await compiling;
  const buildByDir = new Map(builds.map((b) => [b.dir, b]));

  const findings: LintFinding[] = [];
  const unitResults: UnitResult[] = [];
  const all: LintObject[] = [];
  const unitsByDir = new Map<string, LintObject[]>();
  const schemaDirs = (options.schemaDirs ?? (options.schemas ? [options.schemas] : [])).map((d) =>
    resolve(d),
  );
  for (const u of units) {
    const unit = rel(u.dir);
    const skip = (reason: string) =>
      unitResults.push({ path: unit, type: u.type, status: "skipped", objects: 0, reason });
    if (schemaDirs.some((d) => u.dir === d || u.dir.startsWith(d + sep))) {
      skip("the schemas lint validates against: upstream reference documents, not manifests to deploy");
      continue;
    }
    if (u.type === "templates") {
      skip(
        "Go templates (kube-burner object templates) are checked once rendered, with the workload that uses them: lint the folder that holds its config",
      );
      continue;
    }
    if (u.type === "kube-burner") {
      const r = await renderKubeBurnerWorkload(u.config);
      const objs = r.objects.map((o) => ({ obj: o.obj, unit, file: rel(o.template) }));
      for (const p of r.problems)
        findings.push({
          severity: p.severity,
          rule: "kube-burner",
          unit,
          file: rel(p.file),
          message: p.message,
        });
      unitResults.push({ path: unit, type: u.type, status: "rendered", objects: objs.length });
      unitsByDir.set(u.dir, objs);
      all.push(...objs);
      continue;
    }
    if (u.type === "component") {
      skip("a Kustomize Component cannot build alone; it is checked inside the kustomizations that use it");
      continue;
    }
    const objs: LintObject[] = [];
    if (u.type === "kustomization") {
      const inputs = refused.get(u.dir);
      if (inputs) {
        const reason = `${tool.name} not run: ${inputs.map((p) => p.what).join("; ")}`;
        unitResults.push({ path: unit, type: u.type, status: "failed", objects: 0, reason });
        for (const p of inputs)
          findings.push({
            severity: "error",
            rule: "build",
            unit,
            file: rel(p.file),
            message: `${p.what} (so ${tool.name} was not run on this kustomization)`,
          });
        continue;
      }
      const b = buildByDir.get(u.dir)!;
      if (!b.ok) {
        unitResults.push({ path: unit, type: u.type, status: "failed", objects: 0, reason: b.error });
        findings.push({
          severity: "error",
          rule: "build",
          unit,
          message: `${tool.name} cannot build it: ${b.error}`,
        });
        continue;
      }
      const parsed = parsedByDir.get(u.dir) ?? parseObjects(b.yaml);
      for (const obj of parsed.objects) {
        const file = originOf(obj, u.dir, index);
        objs.push(file ? { obj, unit, file: rel(file) } : { obj, unit });
      }
      unitResults.push({ path: unit, type: u.type, status: "built", objects: objs.length });
    } else {
      for (const f of u.files) {
        const parsed = parseObjects(await readTreeFile(f));
        if (parsed.error)
          findings.push({
            severity: "error",
            rule: "yaml",
            unit,
            file: rel(f),
            message: `not valid YAML: ${parsed.error}`,
          });
        for (const obj of parsed.objects) objs.push({ obj, unit, file: rel(f) });
      }
      unitResults.push({ path: unit, type: u.type, status: "read", objects: objs.length });
    }
    unitsByDir.set(u.dir, objs);
    all.push(...objs);
  }

  // Schema validation; objects rendered identically by several kustomizations are validated once.
  const cache = new Map<string, Awaited<ReturnType<SchemaRegistry["validate"]>>>();
  for (const at of all) {
    const { obj } = at;
    if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
      findings.push({
        severity: "error",
        rule: "schema",
        unit: at.unit,
        ...(at.file ? { file: at.file } : {}),
        message: "an object without apiVersion and kind",
      });
      continue;
    }
    const key = JSON.stringify(obj);
    let issues = cache.get(key);
    if (!cache.has(key)) {
      issues = await registry.validate(obj);
      cache.set(key, issues);
    }
    const base = { unit: at.unit, object: describe(obj), ...(at.file ? { file: at.file } : {}) };
    if (issues === undefined) {
      findings.push({
        ...base,
        severity: "warning",
        rule: "unknown-kind",
        message: `no schema for ${obj.apiVersion} ${obj.kind}: not validated (add its CRD to the schema directory)`,
      });
    } else {
      for (const i of issues)
        findings.push({
          ...base,
          severity: "error",
          rule: "schema",
          ...(i.path ? { path: i.path } : {}),
          message: i.message,
        });
    }
  }

  const repoRoot = options.repoRoot ? resolve(options.repoRoot) : findRepoRoot(root);
  const ctx: CheckContext = {
    repoRoot,
    root,
    unitsByDir,
    repoObjects: await repositoryFacts(root, repoRoot),
    ...(ocpVersion ? { ocpVersion } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  for (const check of [...BUILTIN_CHECKS, ...(options.checks ?? [])]) findings.push(...check(all, ctx));

  const merged = dedupe(findings);
  return {
    root,
    tool: `${tool.name} (${tool.path})`,
    schemaSources: registry.sources,
    units: unitResults,
    findings: merged,
    errors: merged.filter((f) => f.severity === "error").length,
    warnings: merged.filter((f) => f.severity === "warning").length,
  };
}

/** One finding per file/object/path/message; the other kustomizations that show it are listed. */
function dedupe(findings: LintFinding[]): LintFinding[] {
  const byKey = new Map<string, LintFinding>();
  for (const f of findings) {
    const key = [f.rule, f.file ?? f.unit, f.object, f.path, f.message].join("\0");
    const first = byKey.get(key);
    if (!first) byKey.set(key, { ...f });
    else if (first.unit !== f.unit && !(first.alsoIn ?? []).includes(f.unit))
      first.alsoIn = [...(first.alsoIn ?? []), f.unit];
  }
  return [...byKey.values()];
}
