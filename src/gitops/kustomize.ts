/**
 * Runs a real kustomize: `oc kustomize`, `kubectl kustomize` or `kustomize build`, whichever is
 * found first on PATH (LLW_KUSTOMIZE=/path/to/tool picks one). Builds run concurrently: each is a
 * separate process that spends most of its time starting up, and all of them are started at
 * once (up to 32) because forking gets slower as this process's heap grows with the schemas.
 */
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { basename, delimiter, join } from "node:path";
import { EnvironmentError } from "../lib/errors.ts";

export interface KustomizeTool {
  /** Absolute path of the binary. */
  path: string;
  /** Arguments before the directory: ["kustomize"] for oc/kubectl, ["build"] for kustomize. */
  args: string[];
  name: string;
}

const CANDIDATES: { name: string; args: string[] }[] = [
  { name: "oc", args: ["kustomize"] },
  { name: "kubectl", args: ["kustomize"] },
  { name: "kustomize", args: ["build"] },
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findKustomize(env: NodeJS.ProcessEnv): KustomizeTool {
  const explicit = env.LLW_KUSTOMIZE;
  if (explicit) {
    const c = CANDIDATES.find(
      (x) => basename(explicit) === x.name || basename(explicit).startsWith(`${x.name}-`),
    );
    if (!executable(explicit) || !c) {
      throw new EnvironmentError({
        what: `LLW_KUSTOMIZE=${explicit} is not an executable oc, kubectl or kustomize`,
        where: "LLW_KUSTOMIZE",
        next: "point it at one of those tools, or unset it to search PATH",
      });
    }
    return { path: explicit, args: c.args, name: c.name };
  }
  const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const c of CANDIDATES) {
    for (const d of dirs) {
      const p = join(d, c.name);
      if (executable(p)) return { path: p, args: c.args, name: c.name };
    }
  }
  throw new EnvironmentError({
    what: "no kustomize found: llw lint builds every kustomization with oc, kubectl or kustomize",
    where: "PATH",
    next:
      "install one: the OpenShift CLI (oc) from https://mirror.openshift.com/pub/openshift-v4/clients/ocp/stable/, " +
      "kubectl from https://kubernetes.io/docs/tasks/tools/, or kustomize from https://kubectl.docs.kubernetes.io/installation/kustomize/; " +
      "in this repository `npm run tools` puts kubectl in .tools/bin",
  });
}

export type BuildResult = { dir: string; ok: true; yaml: string } | { dir: string; ok: false; error: string };

export function buildOne(tool: KustomizeTool, dir: string, env: NodeJS.ProcessEnv): Promise<BuildResult> {
  return new Promise((resolve) => {
    execFile(
      tool.path,
      [...tool.args, dir],
      { env, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) {
          const msg = (stderr || err.message).trim().replace(/^Error: /, "");
          resolve({ dir, ok: false, error: msg });
        } else resolve({ dir, ok: true, yaml: stdout });
      },
    );
  });
}

/** Builds every directory, at most `concurrency` at a time; results in input order. */
export async function buildAll(
  tool: KustomizeTool,
  dirs: string[],
  env: NodeJS.ProcessEnv,
  concurrency = 32,
  onResult?: (r: BuildResult) => void,
): Promise<BuildResult[]> {
  const results: BuildResult[] = new Array(dirs.length);
  let next = 0;
  const worker = async () => {
    while (next < dirs.length) {
      const i = next++;
      results[i] = await buildOne(tool, dirs[i]!, env);
      onResult?.(results[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, dirs.length) }, worker));
  return results;
}
