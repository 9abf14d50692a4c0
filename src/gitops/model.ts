/** What lint works on and what it reports. Plain data, shared by the checks. */

export type Json = Record<string, unknown>;
export const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export type Severity = "error" | "warning" | "info";

export interface LintFinding {
  severity: Severity;
  /** Which check: build, yaml, schema, unknown-kind, performance-profile, runtime-class, qos, ... */
  rule: string;
  /** The kustomization (or manifest directory) it was found in, relative to the linted path. */
  unit: string;
  /** The file a reader edits, relative to the linted path, when it can be told. */
  file?: string;
  /** "Kind namespace/name" or "Kind name". */
  object?: string;
  /** JSON path inside the object. */
  path?: string;
  message: string;
  /** Other kustomizations that render the same object with the same finding. */
  alsoIn?: string[];
}

/** One rendered object and where it came from. */
export interface LintObject {
  obj: Json;
  /** Unit (kustomization or manifest directory), relative to the linted path. */
  unit: string;
  /** Source file relative to the linted path, if known. */
  file?: string;
}

export type Check = (objects: LintObject[], ctx: CheckContext) => LintFinding[];

export interface CheckContext {
  /** Absolute path of the repository root, which Application paths are relative to. */
  repoRoot: string;
  /** Absolute path of the linted directory. */
  root: string;
  /** Objects of each unit by its absolute directory, for following Application paths. */
  unitsByDir: Map<string, LintObject[]>;
  /**
   * Objects of the repository outside the linted path that state facts other objects rely on
   * (PerformanceProfiles, HyperConverged runtime classes), read from the source files. Checks
   * use them to look things up, never report findings on them.
   */
  repoObjects?: LintObject[];
  /** OpenShift version the tree targets, when the user said (llw lint --ocp-version). */
  ocpVersion?: { major: number; minor: number };
  /** The day support windows are evaluated on (llw lint --workshop-date); default: now. */
  now?: Date;
}

export function meta(o: Json): Json {
  return isObj(o.metadata) ? o.metadata : {};
}

export function nameOf(o: Json): string {
  return String(meta(o).name ?? "");
}

export function namespaceOf(o: Json): string | undefined {
  const ns = meta(o).namespace;
  return typeof ns === "string" ? ns : undefined;
}

export function annotations(o: Json): Record<string, string> {
  const a = meta(o).annotations;
  return isObj(a) ? (a as Record<string, string>) : {};
}

export function groupOf(o: Json): string {
  const av = String(o.apiVersion ?? "");
  return av.includes("/") ? av.split("/")[0]! : "";
}

export function describe(o: Json): string {
  const ns = namespaceOf(o);
  return `${String(o.kind)} ${ns ? `${ns}/` : ""}${nameOf(o)}`;
}

/** Argo CD sync wave of an object (annotation argocd.argoproj.io/sync-wave, default 0). */
export function waveOf(o: Json): number {
  const w = annotations(o)["argocd.argoproj.io/sync-wave"];
  const n = w === undefined ? 0 : Number.parseInt(String(w), 10);
  return Number.isNaN(n) ? 0 : n;
}

export function finding(
  severity: Severity,
  rule: string,
  at: LintObject,
  path: string | undefined,
  message: string,
): LintFinding {
  const f: LintFinding = { severity, rule, unit: at.unit, object: describe(at.obj), message };
  if (at.file) f.file = at.file;
  if (path) f.path = path;
  return f;
}

export function get(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const p of path.split(".")) {
    if (!isObj(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}
