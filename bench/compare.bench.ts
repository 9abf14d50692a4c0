/**
 * `llw bench compare` over two runs of 500,000 per-pod documents each (kube-burner's v2 per-pod
 * format, indented as kube-burner writes it), against
 *   (a) the floor: a Node process that reads both files and JSON.parses them, nothing else;
 *   (b) jq computing the same per-condition P50/P95/P99/max/mean (nearest rank) on both files.
 * Each is a fresh process; wall time and peak RSS (GNU time's maximum resident set size, or
 * /proc VmHWM polling where GNU time is missing) are measured in the same run.
 * Goals: >= 0.5x the floor's throughput, >= 5x faster than jq, peak memory < 2x the input size.
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarize, type Timing } from "./lib.ts";

const PODS = Number(process.env.LLW_BENCH_PODS ?? 500_000);
const ROOT = join(import.meta.dirname, "..");
const NODE = process.execPath;

async function writeRun(dir: string, center: number, seed: number): Promise<string> {
  const m = join(dir, "collected-metrics-bench");
  mkdirSync(m, { recursive: true });
  const file = join(m, "podLatencyMeasurement-latency-pod.json");
  const out = createWriteStream(file);
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const write = (chunk: string) =>
    out.write(chunk) ? Promise.resolve() : new Promise<void>((r) => out.once("drain", () => r()));
  await write("[\n");
  let buf = "";
  for (let i = 0; i < PODS; i++) {
    const ready = Math.round(center * (0.7 + 0.6 * rnd()) + (rnd() < 0.01 ? center * 2 : 0));
    const doc = {
      timestamp: "2026-11-27T20:00:00.123456789Z",
      schedulingLatency: Math.round(rnd() * 30),
      initializedLatency: Math.round(ready * 0.3),
      containersReadyLatency: ready,
      podReadyLatency: ready,
      readyToStartContainersLatency: Math.round(ready * 0.5),
      containersStartedLatency: ready - 5,
      metricName: "podLatencyMeasurement",
      uuid: "3c1f5a0e-8d3b-4b7e-9a57-0d2f4f0c9e11",
      jobName: "latency-pod",
      jobIteration: i,
      replica: 1,
      namespace: "llw-tuned-pod",
      podName: `tuned-pod-${i}-1`,
      nodeName: `worker-${i % 3}`,
      metadata: { ocpVersion: "4.19.10", platform: "AWS" },
    };
    buf += (i ? ",\n" : "") + JSON.stringify(doc, null, 2).replace(/^/gm, "  ");
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = "";
    }
  }
  await write(`${buf}\n]\n`);
  await new Promise<void>((r) => out.end(() => r()));
  return file;
}

interface Measured extends Timing {
  peakRssMiB: number;
  /** Median user+system CPU seconds of the child (GNU time); steadier than wall time on a shared machine. */
  cpuMs: number;
}

const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

/** Runs a command `reps` times; wall time and peak RSS of the child. */
async function measure(name: string, reps: number, cmd: string, args: string[]): Promise<Measured> {
  const samples: number[] = [];
  const cpu: number[] = [];
  let peak = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const { code, stderr, hwm } = await new Promise<{ code: number; stderr: string; hwm: number }>(
      (resolve) => {
        const argv = GNU_TIME ? ["-f", "LLW_MAXRSS_KB=%M LLW_CPU=%U+%S", cmd, ...args] : args;
        const child = spawn(GNU_TIME ?? cmd, argv, { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        let hwm = 0;
        child.stderr.on("data", (d) => (err += d));
        const poll = setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
            if (m) hwm = Math.max(hwm, Number(m[1]));
          } catch {}
        }, 20);
        child.on("close", (c) => {
          clearInterval(poll);
          resolve({ code: c ?? 1, stderr: err, hwm });
        });
      },
    );
    samples.push(performance.now() - t0);
    if (code !== 0 && !(name.startsWith("llw") && code === 1))
      throw new Error(`${name} exited ${code}: ${stderr.slice(-500)}`);
    const kb = Number(/LLW_MAXRSS_KB=(\d+)/.exec(stderr)?.[1] ?? hwm);
    const c = /LLW_CPU=([\d.]+)\+([\d.]+)/.exec(stderr);
    if (c) cpu.push((Number(c[1]) + Number(c[2])) * 1000);
    peak = Math.max(peak, kb / 1024);
  }
  return {
    ...summarize(name, samples),
    peakRssMiB: peak,
    cpuMs: cpu.length ? summarize(name, cpu).median : Number.NaN,
  };
}

const JQ_PROGRAM = `
def nr(p): . as $s | ($s | length) as $n | $s[([((p * $n) | ceil), 1] | max) - 1];
[.[] | to_entries[] | select(.key | endswith("Latency")) | select(.value != null)]
| group_by(.key)
| map({ key: .[0].key, v: (map(.value) | sort) })
| map({ (.key): { count: (.v | length), P50: (.v | nr(0.5)), P95: (.v | nr(0.95)), P99: (.v | nr(0.99)), max: .v[-1], mean: ((.v | add) / (.v | length)) } })
| add`;

export default async function compareBench(): Promise<void> {
  const dir = join(tmpdir(), `llw-compare-bench-${PODS}`);
  const a = join(dir, "baseline", "run-1");
  const b = join(dir, "tuned", "run-1");
  const fa = join(a, "collected-metrics-bench", "podLatencyMeasurement-latency-pod.json");
  const fb = join(b, "collected-metrics-bench", "podLatencyMeasurement-latency-pod.json");
  if (!existsSync(fa) || !existsSync(fb)) {
    console.log(`generating 2 x ${PODS} per-pod documents in ${dir} ...`);
    await writeRun(a, 3000, 1);
    await writeRun(b, 1500, 2);
  }
  const inputMiB = (statSync(fa).size + statSync(fb).size) / 2 ** 20;
  const llw = join(ROOT, "bin", "llw.js");
  if (!existsSync(join(ROOT, "dist", "cli.js")))
    throw new Error("run `npm run build` first: the benchmark runs the built llw");

  const floor = await measure("floor: JSON.parse of both files (node)", 3, NODE, [
    "-e",
    "const fs=require('fs');for(const f of process.argv.slice(1)){const d=JSON.parse(fs.readFileSync(f,'utf8'));if(!d.length)process.exit(1)}",
    fa,
    fb,
  ]);
  const ours = await measure(
    "llw bench compare (recomputes P50/P95/P99/max/mean, tests, verdicts)",
    3,
    NODE,
    [llw, "bench", "compare", a, b, "-o", "json"],
  );
  const jq = await measure("jq: same percentiles per condition, both files", 1, "sh", [
    "-c",
    `jq '${JQ_PROGRAM}' "$0" > /dev/null && jq '${JQ_PROGRAM}' "$1" > /dev/null`,
    fa,
    fb,
  ]);

  console.log(
    `\n### bench compare: 2 x ${PODS.toLocaleString("en")} per-pod documents (${inputMiB.toFixed(0)} MiB of JSON)\n`,
  );
  console.log(
    "| measurement | wall median ms | wall min ms | CPU ms (user+sys) | MiB/s (CPU) | peak RSS MiB | peak RSS / input |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const t of [floor, ours, jq]) {
    console.log(
      `| ${t.name} | ${t.median.toFixed(0)} | ${t.min.toFixed(0)} | ${t.cpuMs.toFixed(0)} | ${(inputMiB / (t.cpuMs / 1000)).toFixed(0)} | ${t.peakRssMiB.toFixed(0)} | ${(t.peakRssMiB / inputMiB).toFixed(2)}x |`,
    );
  }
  // Ratios on CPU time when GNU time gave it (other work on a shared machine inflates wall time).
  const basis = (t: Measured) => (Number.isFinite(t.cpuMs) ? t.cpuMs : t.median);
  console.log(
    `\nRatios on ${Number.isFinite(ours.cpuMs) ? "CPU time (user+sys)" : "wall time"}; wall-time ratios: floor ${(floor.median / ours.median).toFixed(2)}x, jq ${(jq.median / ours.median).toFixed(1)}x.`,
  );
  const vsFloor = basis(floor) / basis(ours);
  const vsJq = basis(jq) / basis(ours);
  const mem = ours.peakRssMiB / inputMiB;
  console.log(
    `\nThroughput vs the floor: ${vsFloor.toFixed(2)}x (goal >= 0.5x) ${vsFloor >= 0.5 ? "met" : "NOT met"}`,
  );
  console.log(`Speed vs jq: ${vsJq.toFixed(1)}x faster (goal >= 5x) ${vsJq >= 5 ? "met" : "NOT met"}`);
  console.log(`Peak memory: ${mem.toFixed(2)}x the input (goal < 2x) ${mem < 2 ? "met" : "NOT met"}`);
}
