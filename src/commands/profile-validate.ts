/**
 * `llw profile validate FILE`: every PerformanceProfile in FILE against the admission webhook's
 * rules, the real CRD schema (when the CRD file is found) and, given a topology, the host's CPUs
 * and memory. All findings are reported together, with file and line; exit 1 on any error.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from "yaml";
import type { Context } from "../lib/context.ts";
import { ChecksFailed, UserError } from "../lib/errors.ts";
import { findSchemaDir } from "../lib/schema-dir.ts";
import { type Finding, validateProfile } from "../profile/validate.ts";
import { loadTopology } from "../topology/load.ts";

export interface ProfileValidateOptions {
  file: string;
  instanceType?: string;
  lscpu?: string;
  sysfs?: string;
  crd?: string;
  allowSplitCores?: boolean;
  output?: string;
}

export const CRD_FILE = "performanceprofiles.performance.openshift.io.yaml";

/** The upstream CRD: --crd, $LLW_CRDS_DIR, or the workshop's bundled schemas/. */
export function findCrd(cwd: string, env: NodeJS.ProcessEnv, explicit?: string): string | undefined {
  if (explicit) return resolve(cwd, explicit);
  const dir = findSchemaDir(cwd, env, CRD_FILE);
  return dir ? join(dir, CRD_FILE) : undefined;
}

interface Located extends Omit<Finding, "source"> {
  source: Finding["source"] | "schema";
  line?: number;
  document: number;
  name: string;
}

function keyPath(path: string): (string | number)[] {
  return path
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .filter(Boolean)
    .map((k) => (/^\d+$/.test(k) ? Number(k) : k));
}

export async function run(opts: ProfileValidateOptions, ctx: Context): Promise<number> {
  const file = resolve(ctx.cwd, opts.file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError({ what: `cannot read: ${(e as Error).message}`, where: opts.file });
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  if (!Array.isArray(docs)) throw new UserError({ what: "empty file", where: opts.file });
  const yamlErrors = docs.flatMap((d) => d.errors);
  if (yamlErrors.length > 0) {
    throw new UserError(
      yamlErrors.map((e) => ({
        what: `not valid YAML: ${e.message.split("\n")[0]}`,
        where: `${opts.file}:${e.linePos?.[0]?.line ?? "?"}`,
      })),
    );
  }
  const profiles = docs
    .map((d, i) => ({ doc: d, obj: d.toJS() as Record<string, unknown> | null, index: i }))
    .filter((d) => d.obj && typeof d.obj === "object" && d.obj.kind === "PerformanceProfile");
  if (profiles.length === 0) {
    throw new UserError({ what: "no PerformanceProfile in the file", where: opts.file });
  }
  const hasTopology = Boolean(opts.instanceType || opts.lscpu || opts.sysfs);
  const loaded = hasTopology ? await loadTopology(opts, ctx.cwd) : undefined;
  const crdPath = findCrd(ctx.cwd, ctx.env, opts.crd);
  const notes: string[] = [];
  let schemaCheck: ((o: unknown) => { path: string; message: string }[]) | undefined;
  if (crdPath) {
    const { readCrd, validateAgainstCrd } = await import("../schema/crd.ts");
    const crd = readCrd(crdPath);
    schemaCheck = (o) => validateAgainstCrd(o, crd);
  } else {
    notes.push(`schema not checked: ${CRD_FILE} not found (pass --crd FILE or set LLW_CRDS_DIR)`);
  }

  const all: Located[] = [];
  for (const { doc, obj, index } of profiles) {
    const name = String((obj!.metadata as { name?: string } | undefined)?.name ?? `(document ${index + 1})`);
    const locate = (path: string): number | undefined => {
      // The line of the deepest key of `path` present in the document (the key, not its value).
      let node: unknown = doc.contents;
      let start = (node as { range?: number[] } | null)?.range?.[0];
      for (const key of keyPath(path)) {
        if (isMap(node)) {
          const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
          if (!pair) break;
          start = (pair.key as { range?: number[] }).range?.[0] ?? start;
          node = pair.value;
        } else if (isSeq(node) && typeof key === "number" && node.items[key]) {
          node = node.items[key];
          start = (node as { range?: number[] }).range?.[0] ?? start;
        } else break;
      }
      return start === undefined ? undefined : lineCounter.linePos(start).line;
    };
    const push = (f: Omit<Located, "document" | "name" | "line">) => {
      const line = locate(f.path);
      all.push({ ...f, document: index + 1, name, ...(line !== undefined ? { line } : {}) });
    };
    for (const f of validateProfile(obj, loaded?.topology, {
      allowSplitCores: opts.allowSplitCores ?? false,
    })) {
      push(f);
    }
    for (const f of schemaCheck?.(obj) ?? [])
      push({ severity: "error", path: f.path, message: f.message, source: "schema" });
  }
  all.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const errors = all.filter((f) => f.severity === "error");
  if (opts.output === "json" || opts.output === "yaml") {
    const data = { file: opts.file, valid: errors.length === 0, findings: all, notes };
    if (opts.output === "json") ctx.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else ctx.stdout.write((await import("yaml")).stringify(data));
  } else {
    const c = ctx.colors;
    for (const f of all) {
      const sev = f.severity === "error" ? c.red("error") : c.yellow("warning");
      ctx.stdout.write(
        `${opts.file}:${f.line ?? "?"}: ${sev} ${f.path || "(root)"}: ${f.message} [${f.source}]\n`,
      );
    }
    for (const n of notes) ctx.stdout.write(`note: ${n}\n`);
    const checked = [
      "webhook rules",
      ...(crdPath ? ["CRD schema"] : []),
      ...(loaded ? [`topology (${loaded.topology.source})`] : []),
    ].join(", ");
    const names = profiles.map((p) => (p.obj!.metadata as { name?: string } | undefined)?.name).join(", ");
    ctx.stdout.write(
      errors.length === 0
        ? `${c.green("valid")}: ${names} (${checked}${all.length ? `; ${all.length} warning${all.length === 1 ? "" : "s"}` : ""})\n`
        : "",
    );
  }
  if (errors.length > 0) {
    throw new ChecksFailed(
      `${opts.file}: ${errors.length} error${errors.length === 1 ? "" : "s"} in ${profiles.length} PerformanceProfile${profiles.length === 1 ? "" : "s"}`,
      "fix the fields above; `llw profile generate` writes a profile that passes",
    );
  }
  return 0;
}
