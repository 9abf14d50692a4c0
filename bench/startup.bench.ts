/**
 * `llw --version` started the way the README tells users to run llw (`llw` on PATH: a symbolic
 * link to bin/llw.js, which starts the workshop's Node 24), against a bare `node -e 0` of that
 * same Node, in the same run. Goal: at most 2x. Also `./bin/llw.js`, a real command through the
 * same path, and `npx llw --version` (npm's own start-up), for the record.
 */
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { report, timeCommand } from "./lib.ts";

const ROOT = join(import.meta.dirname, "..");
const REPS = Number(process.env.BENCH_REPS ?? 20);

export default async function startupBench(): Promise<void> {
  const node = join(ROOT, "node_modules", "node", "bin", "node");
  const onPath = mkdtempSync(join(tmpdir(), "llw-bench-path-"));
  symlinkSync(join(ROOT, "bin", "llw.js"), join(onPath, "llw"));
  // As a user's shell has it: the link first, the system's Node (possibly older) after it.
  const env = { ...process.env, PATH: `${onPath}:${process.env.PATH ?? ""}` };
  const baseline = await timeCommand("node -e 0 (the workshop's Node 24)", REPS, node, ["-e", "0"]);
  const version = await timeCommand("llw --version (llw on PATH)", REPS, "llw", ["--version"], env);
  const direct = await timeCommand("./bin/llw.js --version", REPS, join(ROOT, "bin", "llw.js"), [
    "--version",
  ]);
  const generate = await timeCommand(
    "llw profile generate --instance-type c5.metal (llw on PATH)",
    REPS,
    "llw",
    ["profile", "generate", "--instance-type", "c5.metal"],
    env,
  );
  const npx = await timeCommand("npx llw --version", Math.max(5, REPS / 4), "npx", ["llw", "--version"], {
    ...env,
    npm_config_update_notifier: "false",
  });
  report(
    `startup: llw as the README runs it vs bare node start-up (${REPS} runs each, dist/ build)`,
    baseline,
    [version, direct, generate, npx],
    "`llw --version` as the README runs it within 2x of `node -e 0`",
  );
}
