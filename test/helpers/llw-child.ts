/**
 * llw in a child process, for the tests that signal it while a pod of its own runs on the
 * simulated cluster (Ctrl-C, SIGTERM, `timeout`): the signal must reach llw, not the test runner.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type { Obj } from "../sim/apiserver.ts";
import type { Sim } from "../sim/index.ts";
import { ROOT } from "./tools.ts";

export interface LlwChild {
  child: ChildProcess;
  /** The signal that ended it (null: it exited on its own). */
  exited: Promise<NodeJS.Signals | null>;
  /** Its standard error so far. */
  err: () => string;
}

/** Runs `llw <args>` (src/cli.ts main) in a child; `detached` gives it a process group of its own. */
export function spawnLlw(args: string[], opts: { cwd?: string; detached?: boolean } = {}): LlwChild {
  const script = `
    import { main } from ${JSON.stringify(join(ROOT, "src/cli.ts"))};
    process.exitCode = await main(${JSON.stringify(args)});
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "ignore", "pipe"],
    ...(opts.cwd && { cwd: opts.cwd }),
    ...(opts.detached && { detached: true }),
  });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_c, s) => r(s)));
  return { child, exited, err: () => err };
}

/**
 * The name of the first pod recorded in `created` after the first `seen`, once it is Running in
 * `namespace`: the moment a signal finds llw waiting on its pod.
 */
export async function nextRunningPod(
  sim: Sim,
  created: Obj[],
  seen: number,
  namespace: string,
): Promise<string> {
  await sim.until(() => created.length > seen, 6_000_000, `a pod in ${namespace}`);
  const name = created[seen]!.metadata.name as string;
  await sim.until(
    () => sim.api.get("v1", "Pod", name, namespace)?.status?.phase === "Running",
    600_000,
    "Running",
  );
  return name;
}
