/**
 * `llw profile generate --instance-type c5.metal` (the README's main job) against a bare
 * `node -e 0` started the same way, in the same run. Goal: within 2x of bare Node start-up.
 * Also `llw --version` (the CLI shell alone) to show what the command itself adds.
 */
import { join } from "node:path";
import { report, timeCommand } from "./lib.ts";

const ROOT = join(import.meta.dirname, "..");
const REPS = Number(process.env.BENCH_REPS ?? 20);

export default async function profileBench(): Promise<void> {
  const node = process.execPath;
  const llw = join(ROOT, "bin", "llw.js");
  const baseline = await timeCommand("node -e 0", REPS, node, ["-e", "0"]);
  const version = await timeCommand("llw --version", REPS, node, [llw, "--version"]);
  const generate = await timeCommand("llw profile generate --instance-type c5.metal", REPS, node, [
    llw,
    "profile",
    "generate",
    "--instance-type",
    "c5.metal",
  ]);
  const validate = await timeCommand(
    "llw profile validate (CRD schema + c5.metal)",
    Math.max(5, REPS / 4),
    node,
    [
      llw,
      "profile",
      "validate",
      join(ROOT, "bench", "fixtures", "c5-metal-profile.yaml"),
      "--instance-type",
      "c5.metal",
    ],
  );
  report(
    `profile: llw profile generate vs bare node start-up (${REPS} runs each, dist/ build)`,
    baseline,
    [version, generate, validate],
    "llw profile generate --instance-type c5.metal within 2x of `node -e 0`",
  );
}
