/**
 * The "Sample output" blocks of the lab guides are real output: this script runs the llw commands
 * below (in-process, as a non-interactive terminal would see them) and writes what they print into
 * content/modules/ROOT/examples/samples/. `npm run docs:samples` regenerates them; `--check` reports
 * drift without writing (the docs tests run it).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";

const ROOT = join(import.meta.dirname, "..", "..");
export const SAMPLES = join(ROOT, "content", "modules", "ROOT", "examples", "samples");

export interface Sample {
  file: string;
  /** llw arguments; sample files are read from SAMPLES ("{samples}" is replaced). */
  args: string[];
  /** Exit code the command must end with. */
  exit?: number;
}

export const SAMPLE_COMMANDS: Sample[] = [
  { file: "topology-show-c5.metal.txt", args: ["topology", "show", "--instance-type", "c5.metal"] },
  {
    file: "profile-generate-c5.metal.txt",
    args: [
      "profile",
      "generate",
      "--instance-type",
      "c5.metal",
      "--profile-name",
      "workshop-c5-metal",
      "--mcp-name",
      "worker-rt",
      "--explain",
    ],
  },
  { file: "sriov-iam-policy.json", args: ["sriov", "iam-policy"] },
];

/** Runs one sample command; the text is what a terminal shows: stderr (map, reasons) then stdout. */
export async function runSample(sample: Sample): Promise<string> {
  const ctx = bufferContext({ cwd: ROOT, env: { NO_COLOR: "1" } });
  const args = sample.args.map((a) => a.replace("{samples}", SAMPLES));
  const code = await main(args, ctx);
  if (code !== (sample.exit ?? 0)) {
    throw new Error(`llw ${args.join(" ")} exited ${code}:\n${ctx.err()}`);
  }
  return `${ctx.err()}${ctx.out()}`.replace(/[ \t]+$/gm, "").replace(/\n*$/, "\n");
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  let drift = 0;
  for (const sample of SAMPLE_COMMANDS) {
    const text = await runSample(sample);
    const path = join(SAMPLES, sample.file);
    let old = "";
    try {
      old = readFileSync(path, "utf8");
    } catch {}
    if (old === text) continue;
    drift++;
    if (check) process.stderr.write(`samples: ${sample.file} is out of date (npm run docs:samples)\n`);
    else {
      writeFileSync(path, text);
      process.stdout.write(`samples: wrote ${sample.file}\n`);
    }
  }
  process.exitCode = check && drift ? 1 : 0;
}
