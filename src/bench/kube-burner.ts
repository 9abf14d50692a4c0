/** Finding and running the kube-burner executable. */
import { type ChildProcess, spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { delimiter, isAbsolute, join, resolve } from "node:path";

/** What kube-burner's exit codes mean (cmd/kube-burner: rc values of init). */
export const KUBE_BURNER_EXIT: Record<number, { meaning: string; next: string }> = {
  2: {
    meaning: "timeout: the workload did not finish within its global timeout",
    next: "check that the objects can become ready (image pulls, node capacity, the runtime class) or raise TIMEOUT",
  },
  3: {
    meaning: "an alert fired during the run (alert profile)",
    next: "read the alert in the kube-burner log; the results are kept",
  },
  4: {
    meaning: "a latency threshold was exceeded (a measurement's P99 is above its configured threshold)",
    next: "look at the run with `llw bench show`; the results are kept and can be compared",
  },
};

export async function findExecutable(
  name: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  extraDirs: string[] = [],
): Promise<string | undefined> {
  if (name.includes("/")) {
    const p = isAbsolute(name) ? name : resolve(cwd, name);
    return (await access(p, constants.X_OK).then(
      () => true,
      () => false,
    ))
      ? p
      : undefined;
  }
  for (const dir of [...extraDirs, ...(env.PATH ?? "").split(delimiter)].filter(Boolean)) {
    const p = join(dir, name);
    if (
      await access(p, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return p;
  }
  return undefined;
}

export interface ProcessResult {
  code: number;
  output: string;
}

/** Runs a command, handing each output line to `onLine` as it arrives. */
export function runStreaming(
  cmd: string,
  args: string[],
  opts: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    onLine?: (line: string) => void;
    /** The started process, e.g. to stop it when llw is interrupted. */
    onSpawn?: (child: ChildProcess) => void;
  },
): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    opts.onSpawn?.(child);
    let output = "";
    let pending = "";
    const feed = (chunk: Buffer) => {
      const s = chunk.toString("utf8");
      output += s;
      pending += s;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) opts.onLine?.(l);
    };
    child.stdout.on("data", feed);
    child.stderr.on("data", feed);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (pending) opts.onLine?.(pending);
      resolvePromise({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}
