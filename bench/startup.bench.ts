/**
 * `llw --version` started the way the README tells users to run llw (`llw` on PATH: a symbolic
 * link to bin/llw.js, which starts the workshop's Node 24), against a bare `node -e 0` of that
 * same Node, in the same run. Goal: at most 2x. Also `./bin/llw.js`, `llw --help` (the whole
 * command registry), a real command through the same path, and `npx llw --version` (npm's own
 * start-up), for the record. The measurements are interleaved (one of each per round), so a
 * machine whose load changes during the run weighs on all of them alike.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { report, summarize } from "./lib.ts";

const ROOT = join(import.meta.dirname, "..");
const REPS = Number(process.env.BENCH_REPS ?? 20);

interface Case {
  name: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Runs of this case per round (npx is slow: it runs in every fourth round). */
  every?: number;
}

function once(c: Case): number {
  const t0 = performance.now();
  const r = spawnSync(c.cmd, c.args, { stdio: ["ignore", "ignore", "pipe"], env: c.env ?? process.env });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${c.name}: exited ${r.status}: ${r.stderr}`);
  return ms;
}

export default async function startupBench(): Promise<void> {
  const node = join(ROOT, "node_modules", "node", "bin", "node");
  const onPath = mkdtempSync(join(tmpdir(), "llw-bench-path-"));
  symlinkSync(join(ROOT, "bin", "llw.js"), join(onPath, "llw"));
  // As a user's shell has it: the link first, the system's Node (possibly older) after it.
  const env = { ...process.env, PATH: `${onPath}:${process.env.PATH ?? ""}` };
  const cases: Case[] = [
    { name: "node -e 0 (the workshop's Node 24)", cmd: node, args: ["-e", "0"] },
    { name: "llw --version (llw on PATH)", cmd: "llw", args: ["--version"], env },
    { name: "llw --help (llw on PATH)", cmd: "llw", args: ["--help"], env },
    { name: "./bin/llw.js --version", cmd: join(ROOT, "bin", "llw.js"), args: ["--version"] },
    {
      name: "llw profile generate --instance-type c5.metal (llw on PATH)",
      cmd: "llw",
      args: ["profile", "generate", "--instance-type", "c5.metal"],
      env,
    },
    {
      name: "npx llw --version",
      cmd: "npx",
      args: ["llw", "--version"],
      env: { ...env, npm_config_update_notifier: "false" },
      every: 4,
    },
  ];
  for (const c of cases) once(c); // warm-up: file cache, V8's compile cache
  const samples = cases.map(() => [] as number[]);
  for (let round = 0; round < REPS; round++) {
    cases.forEach((c, i) => {
      if (round % (c.every ?? 1) === 0) samples[i]!.push(once(c));
    });
  }
  const [baseline, ...others] = cases.map((c, i) => summarize(c.name, samples[i]!));
  report(
    `startup: llw as the README runs it vs bare node start-up (${REPS} interleaved rounds, dist/ build)`,
    baseline!,
    others,
    "`llw --version` and `llw --help` as the README runs them within 2x of `node -e 0`",
  );
  // On a loaded machine the medians swing with the load; the fastest runs show the cost itself.
  console.log(
    `\nRatios of the minima: ${others.map((t) => `${t.name} ${(t.min / baseline!.min).toFixed(2)}`).join("; ")}`,
  );
}
