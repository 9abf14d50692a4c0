/**
 * `llw profile validate FILE...`: every PerformanceProfile in the files against the admission
 * webhook's rules, the real CRD schema (when the CRD file is found) and, given a topology, the
 * host's CPUs and memory. Profiles given together are checked as one cluster's set (the webhook
 * refuses a second profile with the same nodeSelector). All findings are reported together, with
 * file and line; exit 1 on any error.
 */
import { join, resolve } from "node:path";
import { isMap, isScalar, isSeq } from "yaml";
import type { Context } from "../lib/context.ts";
import { ChecksFailed, UserError } from "../lib/errors.ts";
import { readInputText } from "../lib/input.ts";
import { findSchemaDir, noSchemas } from "../lib/schema-dir.ts";
import { parseYaml, yamlToJs } from "../lib/yaml-input.ts";
import { type Finding, validateNodeSelectorDuplication, validateProfile } from "../profile/validate.ts";
import { loadTopology } from "../topology/load.ts";

export interface ProfileValidateOptions {
  /** One file or several (the registry's variadic argument): checked as one cluster's set. */
  file: string | string[];
  instanceType?: string;
  lscpu?: string;
  sysfs?: string;
  crd?: string;
  schemas?: string;
  allowSplitCores?: boolean;
  output?: string;
}

export const CRD_FILE = "performanceprofiles.performance.openshift.io.yaml";

/** The upstream CRD: --crd, --schemas DIR, $LLW_CRDS_DIR, or the workshop's bundled schemas/. */
export function findCrd(cwd: string, env: NodeJS.ProcessEnv, explicit?: string, schemas?: string): string {
  if (explicit) return resolve(cwd, explicit);
  const dir = findSchemaDir(cwd, env, CRD_FILE, schemas);
  if (!dir) throw noSchemas(CRD_FILE);
  return join(dir, CRD_FILE);
}

interface Located extends Omit<Finding, "source"> {
  source: Finding["source"] | "schema";
  file: string;
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

interface ProfileDoc {
  file: string;
  /** Document number in its file, from 1. */
  document: number;
  name: string;
  obj: Record<string, unknown>;
  /** The line of the deepest key of a path present in the document. */
  locate: (path: string) => number | undefined;
}

/** Every PerformanceProfile in a YAML file, each with a way to find the line of a field. */
async function readProfiles(shown: string, cwd: string): Promise<ProfileDoc[]> {
  const file = resolve(cwd, shown);
  const text = await readInputText(file, "manifest", { shown });
  const { docs, lineCounter } = parseYaml(text, shown, "check that the file is a PerformanceProfile in YAML");
  if (docs.length === 0) throw new UserError({ what: "empty file", where: shown });
  const out: ProfileDoc[] = [];
  docs.forEach((doc, index) => {
    const obj = yamlToJs(doc, shown, index) as Record<string, unknown> | null;
    if (!obj || typeof obj !== "object" || obj.kind !== "PerformanceProfile") return;
    const name = String((obj.metadata as { name?: string } | undefined)?.name ?? `(document ${index + 1})`);
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
    out.push({ file: shown, document: index + 1, name, obj, locate });
  });
  if (out.length === 0) throw new UserError({ what: "no PerformanceProfile in the file", where: shown });
  return out;
}

export async function run(opts: ProfileValidateOptions, ctx: Context): Promise<number> {
  const files = Array.isArray(opts.file) ? opts.file : [opts.file];
  const profiles: ProfileDoc[] = [];
  for (const f of files) profiles.push(...(await readProfiles(f, ctx.cwd)));
  const shownFiles = files.join(", ");
  const hasTopology = Boolean(opts.instanceType || opts.lscpu || opts.sysfs);
  const loaded = hasTopology ? await loadTopology(opts, ctx.cwd) : undefined;
  const crdPath = findCrd(ctx.cwd, ctx.env, opts.crd, opts.schemas);
  const notes: string[] = [];
  const { readCrd, validateAgainstCrd } = await import("../schema/crd.ts");
  const crd = readCrd(crdPath, opts.crd ? { flag: "--crd", shown: opts.crd } : {});
  const schemaCheck = (o: unknown) => validateAgainstCrd(o, crd);

  const all: Located[] = [];
  const push = (p: ProfileDoc, f: Omit<Located, "document" | "name" | "line" | "file">) => {
    const line = p.locate(f.path);
    all.push({
      ...f,
      file: p.file,
      document: p.document,
      name: p.name,
      ...(line !== undefined ? { line } : {}),
    });
  };
  for (const p of profiles) {
    for (const f of validateProfile(p.obj, loaded?.topology, {
      allowSplitCores: opts.allowSplitCores ?? false,
    })) {
      push(p, f);
    }
    for (const f of schemaCheck(p.obj))
      push(p, { severity: "error", path: f.path, message: f.message, source: "schema" });
  }
  // Profiles given together are one cluster's set, created in the order given.
  for (const f of validateNodeSelectorDuplication(profiles.map((p) => p.obj))) {
    push(profiles[f.index]!, f);
  }
  const order = new Map(files.map((f, i) => [f, i]));
  all.sort((a, b) => order.get(a.file)! - order.get(b.file)! || (a.line ?? 0) - (b.line ?? 0));
  const errors = all.filter((f) => f.severity === "error");
  if (opts.output === "json" || opts.output === "yaml") {
    const data = {
      ...(files.length === 1 ? { file: files[0] } : {}),
      files,
      valid: errors.length === 0,
      findings: all,
      notes,
    };
    if (opts.output === "json") ctx.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else ctx.stdout.write((await import("yaml")).stringify(data));
  } else {
    const c = ctx.colors;
    for (const f of all) {
      const sev = f.severity === "error" ? c.red("error") : c.yellow("warning");
      ctx.stdout.write(
        `${f.file}:${f.line ?? "?"}: ${sev} ${f.path || "(root)"}: ${f.message} [${f.source}]\n`,
      );
    }
    for (const n of notes) ctx.stdout.write(`note: ${n}\n`);
    const checked = [
      "webhook rules",
      "CRD schema",
      ...(loaded ? [`topology (${loaded.topology.source})`] : []),
    ].join(", ");
    const names = profiles.map((p) => p.name).join(", ");
    ctx.stdout.write(
      errors.length === 0
        ? `${c.green("valid")}: ${names} (${checked}${all.length ? `; ${all.length} warning${all.length === 1 ? "" : "s"}` : ""})\n`
        : "",
    );
  }
  if (errors.length > 0) {
    throw new ChecksFailed(
      `${shownFiles}: ${errors.length} error${errors.length === 1 ? "" : "s"} in ${profiles.length} PerformanceProfile${profiles.length === 1 ? "" : "s"}`,
      "fix the fields above; `llw profile generate` writes a profile that passes",
    );
  }
  return 0;
}
