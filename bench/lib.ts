/**
 * Shared benchmark helpers. Every benchmark measures its baseline in the same run and prints
 * ratios against it, so figures compare across machines. No benchmark asserts a time.
 */
import { spawnSync } from "node:child_process";

export interface Timing {
  name: string;
  /** Wall time of each repetition, in milliseconds. */
  samples: number[];
  median: number;
  min: number;
}

export function summarize(name: string, samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { name, samples, median, min: s[0]! };
}

/** Times an async function `reps` times after `warmup` untimed runs. */
export async function time(name: string, reps: number, fn: () => unknown, warmup = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarize(name, samples);
}

/** Times a whole command (a new process each repetition). Fails loudly if the command fails. */
export async function timeCommand(
  name: string,
  reps: number,
  cmd: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<Timing> {
  return time(name, reps, () => {
    const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env: env ?? process.env });
    if (r.status !== 0) throw new Error(`${name}: ${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  });
}

export function ratio(a: Timing, baseline: Timing): string {
  return (a.median / baseline.median).toFixed(2);
}

/** Prints a small markdown table: name, median, min, ratio to the baseline. */
export function report(title: string, baseline: Timing, others: Timing[], goal?: string): void {
  console.log(`\n### ${title}\n`);
  console.log("| measurement | median ms | min ms | ratio to baseline |");
  console.log("|---|---:|---:|---:|");
  for (const t of [baseline, ...others]) {
    console.log(
      `| ${t.name} | ${t.median.toFixed(1)} | ${t.min.toFixed(1)} | ${t === baseline ? "1.00 (baseline)" : ratio(t, baseline)} |`,
    );
  }
  if (goal) console.log(`\nGoal: ${goal}`);
}
