/**
 * Runs a real kustomize: `oc kustomize`, `kubectl kustomize` or `kustomize build`, whichever is
 * found first on PATH (LLW_KUSTOMIZE=/path/to/tool picks one). Builds run concurrently (up to 32
 * at once): each is a separate process that spends most of its time starting up.
 */
import { execFile, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, delimiter, join } from "node:path";
import { createInterface } from "node:readline";
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

/**
 * Runs every build from one small shell process rather than forking this (large) Node process
 * once per build: each fork copies the parent's page tables, which with the schemas loaded costs
 * more than a kustomize build itself. The shell starts `concurrency` builds at a time, writes
 * each one's output to a temp file and reports "<index> <exit code>" as each one finishes, so
 * results are processed while the others still run. Results are returned in input order.
 */
export async function buildAll(
  tool: KustomizeTool,
  dirs: string[],
  env: NodeJS.ProcessEnv,
  concurrency = 32,
  onResult?: (r: BuildResult) => void,
): Promise<BuildResult[]> {
  if (dirs.length === 0) return [];
  const out = await mkdtemp(join(tmpdir(), "llw-kustomize-"));
  const script = [
    'T="$1"; A="$2"; O="$3"; N="$4"; shift 4; i=0',
    'for d in "$@"; do',
    '  ( "$T" $A "$d" >"$O/$i.out" 2>"$O/$i.err"; echo "$i $?" ) &',
    "  i=$((i + 1))",
    "  if [ $((i % N)) -eq 0 ]; then wait; fi",
    "done",
    "wait",
  ].join("\n");
  const results: BuildResult[] = new Array(dirs.length);
  try {
    const child = spawn(
      "sh",
      ["-c", script, "sh", tool.path, tool.args.join(" "), out, String(Math.max(1, concurrency)), ...dirs],
      {
        env,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const pending: Promise<void>[] = [];
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const [i, rc] = line.split(" ").map(Number) as [number, number];
      pending.push(
        (async () => {
          const dir = dirs[i]!;
          const r: BuildResult =
            rc === 0
              ? { dir, ok: true, yaml: await readFile(join(out, `${i}.out`), "utf8") }
              : {
                  dir,
                  ok: false,
                  error: (await readFile(join(out, `${i}.err`), "utf8")).trim().replace(/^Error: /, ""),
                };
          results[i] = r;
          onResult?.(r);
        })(),
      );
    });
    const code = await new Promise<number | null>((res, rej) => {
      child.on("error", rej);
      child.on("close", res);
    });
    await Promise.all(pending);
    // new Array(n) has holes: count the results that arrived.
    const arrived = results.filter(Boolean).length;
    if (code !== 0 || arrived !== dirs.length) {
      throw new EnvironmentError({
        what: `the build shell exited ${code} before every kustomization was built`,
        where: "sh",
        next: "check that /bin/sh works and that the temp directory is writable",
      });
    }
    return results;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
