/**
 * Reads the objects a command applies: YAML files (multi-document), directories of YAML files,
 * and kustomizations (built with the real kustomize: oc/kubectl kustomize). Every problem is
 * reported with its file, all together.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { kustomizationInputProblems } from "../gitops/kustomize-inputs.ts";
import { EnvironmentError, ProblemList, UserError } from "../lib/errors.ts";
import { readInputText } from "../lib/input.ts";
import { shownPath } from "../lib/path-error.ts";
import { yamlToJs } from "../lib/yaml-input.ts";
import type { KubeObject } from "./kube.ts";

const run = promisify(execFile);

export interface LoadedObject {
  object: KubeObject;
  /** File or kustomization it came from (relative to cwd). */
  source: string;
}

function isKustomization(dir: string): boolean {
  return ["kustomization.yaml", "kustomization.yml", "Kustomization"].some((f) => existsSync(join(dir, f)));
}

/** Finds oc, kubectl or kustomize on PATH (LLW_KUSTOMIZE picks one explicitly). */
function kustomizeCommand(env: NodeJS.ProcessEnv): { cmd: string; args: string[] } {
  if (env.LLW_KUSTOMIZE)
    return { cmd: env.LLW_KUSTOMIZE, args: /kustomize$/.test(env.LLW_KUSTOMIZE) ? ["build"] : ["kustomize"] };
  for (const dir of (env.PATH ?? "").split(":").filter(Boolean)) {
    for (const [name, args] of [
      ["oc", ["kustomize"]],
      ["kubectl", ["kustomize"]],
      ["kustomize", ["build"]],
    ] as const) {
      if (existsSync(join(dir, name))) return { cmd: join(dir, name), args: [...args] };
    }
  }
  throw new EnvironmentError({
    what: "no kustomize found to build the kustomization",
    where: "PATH",
    next: "install the OpenShift CLI (oc) or kubectl, or set LLW_KUSTOMIZE=/path/to/kustomize",
  });
}

/** `kubectl kustomize <dir>` output as text. */
export async function kustomizeBuild(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const k = kustomizeCommand(env);
  try {
    const { stdout } = await run(k.cmd, [...k.args, dir], { env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new UserError({
      what: `kustomize build failed: ${(err.stderr || err.message).trim().split("\n").slice(-3).join(" ")}`,
      where: dir,
      next: "run `llw lint` on the tree to see every problem",
    });
  }
}

function parseObjects(text: string, source: string, problems: ProblemList): LoadedObject[] {
  const out: LoadedObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      const line = doc.errors[0]!.linePos?.[0]?.line;
      problems.add({
        what: `invalid YAML: ${doc.errors[0]!.message.split("\n")[0]}`,
        where: line ? `${source}:${line}` : source,
      });
      continue;
    }
    let o: KubeObject | null;
    try {
      o = yamlToJs(doc, source) as KubeObject | null;
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      for (const p of e.problems) problems.add(p);
      continue;
    }
    if (o === null || o === undefined) continue;
    if (o.kind === "List" && Array.isArray(o.items)) {
      for (const item of o.items) out.push({ object: item as KubeObject, source });
      continue;
    }
    if (typeof o !== "object" || !o.apiVersion || !o.kind || !o.metadata?.name) {
      problems.add({
        what: "not a Kubernetes object (apiVersion, kind and metadata.name are required)",
        where: source,
      });
      continue;
    }
    if (o.kind === "Kustomization" && o.apiVersion.startsWith("kustomize.config.k8s.io")) continue;
    out.push({ object: o, source });
  }
  return out;
}

/** Loads every object under the given paths; throws one UserError listing every problem. */
export async function loadManifests(
  paths: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<LoadedObject[]> {
  const problems = new ProblemList();
  const out: LoadedObject[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const rel = shownPath(cwd, abs);
    if (!existsSync(abs)) {
      problems.add({
        what: "no such file or directory",
        where: rel,
        next: "pass YAML files, directories or kustomizations",
      });
      continue;
    }
    if (statSync(abs).isDirectory()) {
      if (isKustomization(abs)) {
        // What kustomize would read is read by llw first: an alias bomb or a FIFO never reaches it.
        const inputs = await kustomizationInputProblems(abs, cwd);
        for (const i of inputs)
          problems.add({
            what: `${i.what} (so kustomize was not run on ${rel})`,
            where: shownPath(cwd, i.file),
            next: "fix the file; `llw lint` on the tree shows every problem",
          });
        if (inputs.length === 0) out.push(...parseObjects(await kustomizeBuild(abs, env), rel, problems));
      } else {
        const files = readdirSync(abs)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort();
        if (files.length === 0) problems.add({ what: "directory holds no YAML file", where: rel });
        for (const f of files) {
          // Files found in the folder: regular files only (a FIFO would never answer).
          const text = await readInputText(
            join(abs, f),
            "manifest",
            { shown: join(rel, f) },
            { regularOnly: true },
          );
          out.push(...parseObjects(text, join(rel, f), problems));
        }
      }
    } else {
      out.push(...parseObjects(await readInputText(abs, "manifest", { shown: rel }), rel, problems));
    }
  }
  problems.throwIfAny();
  return out;
}
