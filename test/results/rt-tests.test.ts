import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { UserError } from "../../src/lib/errors.ts";
import { fmtFigure, seriesFigure } from "../../src/results/figures.ts";
import { summarizeSeries } from "../../src/results/format.ts";
import {
  parseCyclictestText,
  parseHwlatdetect,
  parseJitterOutput,
  parseOslatText,
} from "../../src/results/rt-tests.ts";
import { seriesFromJitter } from "../../src/results/runs.ts";
import { quantile } from "../../src/results/stats.ts";
import { ROOT, requireTool } from "../helpers/tools.ts";
import { renderOslat } from "./rt-fixtures.ts";

const INSTALL = "apt-get install -y rt-tests";
const tmp = () => mkdtempSync(join(tmpdir(), "llw-rt-"));
/** Real tool output is kept for inspection. */
const ARTEFACTS = join(ROOT, "test-artifacts", "rt-tests");

function keep(name: string, text: string): void {
  mkdirSync(ARTEFACTS, { recursive: true });
  writeFileSync(join(ARTEFACTS, name), text);
}

function run(tool: string, args: string[]): string {
  const r = spawnSync(tool, args, { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, `${tool} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** The UserError's "where" and "what", for asserting both. */
function problem(fn: () => unknown): { where: string; what: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return { where: e.problems[0]!.where ?? "", what: e.problems[0]!.what };
    throw e;
  }
  assert.fail("expected a UserError");
}

async function latencyShow(file: string, ...args: string[]) {
  const ctx = bufferContext({ cwd: ROOT });
  const code = await main(["latency", "show", file, ...args], ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

describe("real cyclictest output (rt-tests, a few seconds per mode)", () => {
  it("plain -q summary: min/avg/max per thread, no distribution", (t) => {
    const ct = requireTool(t, "cyclictest", INSTALL);
    if (!ct) return;
    const out = run(ct, ["-D", "2", "-t", "2", "-i", "1000", "-m", "-q"]);
    keep("cyclictest-plain.txt", out);
    const r = parseCyclictestText(out, "cyclictest-plain.txt");
    assert.equal(r.format, "plain");
    assert.equal(r.series.length, 2);
    for (const s of r.series) {
      assert.ok(s.reported.count! > 100);
      assert.ok(s.reported.min! <= s.reported.avg! && s.reported.avg! <= s.reported.max!);
      assert.equal(s.sample, undefined);
      assert.deepEqual(s.figures.max, { kind: "exact", value: s.reported.max });
    }
  });

  it("a plain log cut after 'Max:' (the value missing) is an error naming the line, not a dropped thread", async (t) => {
    const ct = requireTool(t, "cyclictest", INSTALL);
    if (!ct) return;
    const out = run(ct, ["-D", "1", "-t", "2", "-i", "1000", "-m", "-q"]);
    const cut = out.slice(0, out.lastIndexOf("Max:") + "Max:".length);
    const lines = cut.split("\n").length;
    const p = problem(() => parseJitterOutput(cut, "cut.log"));
    assert.equal(p.where, `cut.log:${lines}`);
    assert.match(p.what, /status line cut short/);
    const dir = tmp();
    writeFileSync(join(dir, "cut.log"), cut);
    const r = await latencyShow(join(dir, "cut.log"), "--max-latency", "1000000");
    assert.equal(r.code, 2, r.err);
  });

  it("live (non-quiet) output with cursor escapes: the last status line of each thread", (t) => {
    const ct = requireTool(t, "cyclictest", INSTALL);
    if (!ct) return;
    const out = run(ct, ["-D", "2", "-t", "1", "-i", "1000", "-m"]);
    keep("cyclictest-live.txt", out);
    assert.ok(out.includes("\x1b["), "live output redraws with escape sequences");
    const r = parseJitterOutput(out, "live");
    assert.equal(r.series.length, 1);
    assert.ok(r.series[0]!.reported.count! > 100);
  });

  it("-h histogram (and -H with its total column): '# Total' and the maxima agree with the buckets", (t) => {
    const ct = requireTool(t, "cyclictest", INSTALL);
    if (!ct) return;
    for (const flag of ["-h", "-H"]) {
      const out = run(ct, ["-D", "2", "-t", "2", "-i", "1000", "-m", "-q", flag, "20000"]);
      keep(`cyclictest${flag}.txt`, out);
      const r = parseJitterOutput(out, `cyclictest ${flag}`);
      assert.equal(r.tool, "cyclictest");
      assert.equal(r.format, "histogram");
      assert.equal(r.series.length, 2);
      const totals = /# Total:\s*(.*)/.exec(out)![1]!.trim().split(/\s+/).map(Number);
      r.series.forEach((s, i) => {
        assert.equal(s.sample!.total, totals[i]! + s.overflow);
        assert.equal(quantile(s.sample!, 0), s.reported.min);
        assert.deepEqual(s.figures.max, { kind: "exact", value: s.reported.max });
      });
    }
  });

  it("a histogram row with a number cut short, a missing row or an edited count is an error naming the line and both numbers", (t) => {
    const ct = requireTool(t, "cyclictest", INSTALL);
    if (!ct) return;
    const out = run(ct, ["-D", "1", "-t", "1", "-i", "1000", "-m", "-q", "-h", "400"]);
    const lines = out.split("\n");
    const row = lines.findIndex((l) => /^\d{6} [1-9]/.test(l) || /^\d{6} 0*[1-9]/.test(l));
    assert.ok(row > 0, "some bucket holds samples");
    // A digit lost in the middle of the file (a copy-paste): "000123" -> "00012".
    const cut = [...lines];
    cut[row] = cut[row]!.slice(0, -1);
    const a = problem(() => parseCyclictestText(cut.join("\n"), "ct.log"));
    assert.equal(a.where, `ct.log:${row + 1}`);
    assert.match(a.what, /number cut short/);
    // A row gone: '# Total' no longer matches.
    const gone = lines.filter((_, i) => i !== row);
    const total = gone.findIndex((l) => l.startsWith("# Total"));
    const b = problem(() => parseCyclictestText(gone.join("\n"), "ct.log"));
    assert.equal(b.where, `ct.log:${total + 1}`);
    assert.match(b.what, /'# Total' says (\d+) samples but its histogram column holds (\d+)/);
    // A count changed with its padding kept.
    const edited = [...lines];
    edited[row] = edited[row]!.replace(/(\d{6})$/, (m) => String(Number(m) + 1000).padStart(6, "0"));
    assert.match(problem(() => parseCyclictestText(edited.join("\n"), "ct.log")).what, /'# Total' says/);
  });

  it("a small -h range overflows: percentiles beyond it are bounds (≥ N), the maximum is the tool's", async (t) => {
    const ct = requireTool(t, "cyclictest", INSTALL);
    if (!ct) return;
    const out = run(ct, ["-D", "1", "-t", "1", "-i", "1000", "-m", "-q", "-h", "2"]);
    const r = parseCyclictestText(out, "overflow");
    const overflows = Number(/# Histogram Overflows:\s*(\d+)/.exec(out)![1]);
    const s = r.series[0]!;
    assert.equal(s.overflow, overflows);
    assert.ok(overflows > 0, "this machine's wake-up latency is above 2 us");
    assert.equal(s.overflowFrom, 2);
    assert.equal(fmtFigure(seriesFigure(s, "P99")), "≥ 2");
    assert.deepEqual(seriesFigure(s, "max"), {
      kind: "exact",
      value: Number(/# Max Latencies:\s*(\d+)/.exec(out)![1]),
    });
    assert.match(r.warnings.join(), /shown as bounds \(≥ 2\) and carry no verdict/);
    const dir = tmp();
    writeFileSync(join(dir, "ct.log"), out);
    const shown = await latencyShow(join(dir, "ct.log"));
    assert.match(shown.out, /cyclictest thread 0\s+\d+\s+\d+\s+≥ 2\s+≥ 2\s+≥ 2\s+\d+/);
  });

  it("--json with -h: per-thread histogram, cycles and CPU; the overflow count from cycles", (t) => {
    const ct = requireTool(t, "cyclictest", INSTALL);
    if (!ct) return;
    const dir = tmp();
    const file = join(dir, "cyclictest.json");
    run(ct, ["-D", "2", "-t", "2", "-a", "0-1", "-i", "1000", "-m", "-q", "-h", "20000", `--json=${file}`]);
    const text = readFileSync(file, "utf8");
    keep("cyclictest.json", text);
    const r = parseJitterOutput(text, file);
    assert.equal(r.tool, "cyclictest");
    assert.equal(r.format, "json");
    assert.deepEqual(
      r.series.map((s) => s.name),
      ["cpu 0", "cpu 1"],
    );
    const raw = JSON.parse(text);
    r.series.forEach((s, i) => {
      assert.equal(s.sample!.total, raw.thread[String(i)].cycles);
      assert.deepEqual(s.figures.max, { kind: "exact", value: raw.thread[String(i)].max });
    });
    // num_threads disagreeing with the threads listed is an error.
    raw.num_threads = 3;
    assert.match(
      problem(() => parseJitterOutput(JSON.stringify(raw), "x.json")).what,
      /"num_threads" is 3 but "thread" holds 2/,
    );
  });
});

describe("real oslat output (rt-tests)", () => {
  it("text output for two CPUs, with and without -z: buckets agree with Minimum and Maximum", (t) => {
    const os = requireTool(t, "oslat", INSTALL);
    if (!os) return;
    const plain = run(os, ["-D", "2", "-c", "0,1", "-q"]);
    const zero = run(os, ["-D", "2", "-c", "1", "-z", "-q"]);
    keep("oslat.txt", plain);
    keep("oslat-z.txt", zero);
    const a = parseJitterOutput(plain, "oslat.txt");
    assert.equal(a.tool, "oslat");
    assert.deepEqual(
      a.series.map((s) => s.name),
      ["cpu 0", "cpu 1"],
    );
    for (const s of a.series) {
      assert.ok(s.sample!.total > 1000);
      assert.equal(quantile(s.sample!, 0), s.reported.min);
      assert.deepEqual(s.figures.max, { kind: "exact", value: s.reported.max });
    }
    assert.equal(parseOslatText(zero, "oslat-z.txt").series.length, 1);
  });

  it("--json: the maximum is the tool's 'max', not the last bucket (which holds every gap beyond it)", async (t) => {
    const os = requireTool(t, "oslat", INSTALL);
    if (!os) return;
    const dir = tmp();
    const json = join(dir, "oslat.json");
    run(os, ["-D", "2", "-c", "1", "-b", "8", `--json=${json}`, "-q"]);
    const text = readFileSync(json, "utf8");
    keep("oslat.json", text);
    const raw = JSON.parse(text).thread["0"];
    const r = parseJitterOutput(text, json);
    const s = r.series[0]!;
    assert.equal(s.name, "cpu 1");
    assert.deepEqual(seriesFigure(s, "max"), { kind: "exact", value: raw.max });
    if (raw.max > 8) {
      assert.equal(s.overflow, raw.histogram["8"]);
      const shown = await latencyShow(json, "--max-latency", String(raw.max));
      assert.equal(shown.code, 1, "a maximum at the limit fails");
      assert.match(shown.out, /FAIL: max latency >= \d+ us on oslat cpu 1/);
    }
  });

  it("the issue's file: oslat JSON whose own max is 338095 us fails --max-latency 40 (it read 32 before)", async () => {
    const doc = {
      "cmdline:": "oslat --cpu-list 2 --duration 300 --json=oslat.json",
      num_threads: 1,
      thread: {
        "0": {
          cpu: 2,
          freq: 2095,
          min: 1,
          avg: 1.003,
          max: 338095,
          duration: 300,
          histogram: { "1": 299_000_000, "2": 1200, "32": 3 },
        },
      },
    };
    const dir = tmp();
    writeFileSync(join(dir, "oslat.json"), JSON.stringify(doc, null, 2));
    const r = await latencyShow(join(dir, "oslat.json"), "--max-latency", "40");
    assert.equal(r.code, 1);
    assert.match(r.out, /oslat cpu 2\s+\d+\s+1\s+1\s+1\s+1\s+338095/);
    assert.match(r.out, /FAIL/);
  });

  it("a missing bucket line is an error naming the line; so is a Maximum the buckets contradict", (t) => {
    const os = requireTool(t, "oslat", INSTALL);
    if (!os) return;
    const out = run(os, ["-D", "1", "-c", "1", "-q"]);
    const lines = out.split("\n");
    const at = lines.findIndex((l) => l.includes("005 (us):"));
    const missing = lines.filter((_, i) => i !== at).join("\n");
    const p = problem(() => parseOslatText(missing, "oslat.log"));
    assert.equal(p.where, `oslat.log:${at + 1}`);
    assert.match(p.what, /bucket 6 us follows bucket 4 us: bucket 5 us is missing/);
    // Built: the issue's case, Maximum 17 while the highest bucket with samples is 16.
    const b = Array.from({ length: 32 }, (_, j) => (j === 0 ? 1000 : j === 15 ? 2 : 0));
    const text = renderOslat([3], [b], { max: [17] });
    assert.match(
      problem(() => parseOslatText(text, "o.log")).what,
      /Maximum is 17 us but the highest bucket with samples is 16 us/,
    );
  });

  it("oslat's per-CPU Average is wrong for every CPU but the first when the first overflowed: the histogram's exact mean is used", () => {
    // As rt-tests' calculate() prints it: CPU 3's average carries CPU 2's overflow sum.
    const cpu2 = Array.from({ length: 32 }, (_, j) => (j === 0 ? 1_000_000 : j === 31 ? 10 : 0));
    const cpu3 = Array.from({ length: 32 }, (_, j) => (j === 0 ? 1_000_000 : j === 1 ? 1000 : 0));
    const text = renderOslat([2, 3], [cpu2, cpu3], { max: [5000, 2], avg: [1.05, 1.049] });
    const r = parseOslatText(text, "oslat.log");
    const s3 = r.series.find((s) => s.cpu === 3)!;
    assert.deepEqual(s3.figures.mean, { kind: "exact", value: (1_000_000 + 2000) / 1_001_000 });
    assert.deepEqual(r.series.find((s) => s.cpu === 2)!.figures.mean, { kind: "exact", value: 1.05 });
    assert.match(
      r.warnings.join("\n"),
      /Average for cpu 3 \(1\.049\) includes the first CPU's overflowed time/,
    );
  });

  it("real oslat on 2 CPUs: every CPU but the first that overflowed has its mean as a range, not the tool's (wrong) figure", (t) => {
    const os = requireTool(t, "oslat", INSTALL);
    if (!os) return;
    const dir = tmp();
    const json = join(dir, "o.json");
    run(os, ["-D", "2", "-c", "0,1", "-b", "8", `--json=${json}`, "-q"]);
    const raw = JSON.parse(readFileSync(json, "utf8"));
    const r = parseJitterOutput(readFileSync(json, "utf8"), json);
    const second = r.series[1]!;
    if (second.overflow > 0) {
      assert.equal(second.figures.mean!.kind, "range");
    } else {
      assert.equal(second.figures.mean!.kind, "exact");
    }
    assert.deepEqual(
      r.series[0]!.figures.mean,
      r.series[0]!.overflow ? { kind: "exact", value: raw.thread["0"].avg } : r.series[0]!.figures.mean,
    );
  });

  it("truncated output (cut before Maximum) is an error naming the file", (t) => {
    const os = requireTool(t, "oslat", INSTALL);
    if (!os) return;
    const out = run(os, ["-D", "1", "-c", "1", "-q"]);
    const cut = out.slice(0, out.indexOf("Maximum"));
    assert.throws(
      () => parseJitterOutput(cut, "pod.log"),
      (e: unknown) => e instanceof UserError && /pod\.log/.test(e.problems[0]!.where!),
    );
  });
});

// hwlatdetect needs the kernel's hwlat tracer, which this machine lacks; its output is built
// from the print statements of rt-tests' hwlatdetect.py (installed as /usr/sbin/hwlatdetect).
function hwlat(max: number | "below", samples: [number, number][], recorded = samples.length): string {
  return `hwlatdetect:  test duration 60 seconds
   detector: tracer
   parameters:
        CPU list:          2-3
        Latency threshold: 10us
        Sample window:     1000000us
        Sample width:      500000us
     Non-sampling period:  500000us
        Output File:       None

Starting test
test finished
Max Latency: ${max === "below" ? "Below threshold" : `${max}us`}
Samples recorded: ${recorded}
Samples exceeding threshold: ${recorded}
SMIs during run: 0
${samples.map(([i, o], k) => `ts: 1764273${600 + k}.123456789, inner:${i}, outer:${o}`).join("\n")}
`;
}

describe("hwlatdetect output", () => {
  it("reads the spikes, the maximum and the run parameters", () => {
    const r = parseJitterOutput(
      hwlat(22, [
        [12, 11],
        [9, 22],
        [15, 0],
      ]),
      "hwlat.log",
    );
    assert.equal(r.tool, "hwlatdetect");
    assert.deepEqual(Array.from(r.series[0]!.sample!.values), [12, 15, 22]);
    assert.deepEqual(r.series[0]!.figures.max, { kind: "exact", value: 22 });
    assert.equal(r.meta.thresholdUs, 10);
  });

  it("'Below threshold' is an upper bound (< 10 us), never 0: a limit under the threshold cannot pass", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "hwlat.log"), hwlat("below", []));
    const r = parseHwlatdetect(hwlat("below", []), "q");
    assert.deepEqual(r.series[0]!.figures.max, { kind: "below", value: 10 });
    const low = await latencyShow(join(dir, "hwlat.log"), "--max-latency", "5");
    assert.equal(low.code, 1);
    assert.match(
      low.out,
      /FAIL: cannot show max latency below 5 us on hwlatdetect all CPUs \(the tool only says the maximum stayed < 10 us\)/,
    );
    assert.match(low.out, /hwlatdetect all CPUs\s+0\s+-\s+-\s+-\s+-\s+< 10/);
    const high = await latencyShow(join(dir, "hwlat.log"), "--max-latency", "20");
    assert.equal(high.code, 0, high.out);
    assert.match(high.out, /PASS/);
  });

  it("a log cut in the sample list keeps the summary's maximum (48, not 47) with a warning; a contradicting one is an error", () => {
    const samples: [number, number][] = Array.from({ length: 40 }, (_, k) => [
      k === 35 ? 48 : 20 + (k % 28),
      0,
    ]);
    const full = hwlat(48, samples);
    const cut = full.split("\n").slice(0, 30).join("\n");
    const r = parseHwlatdetect(cut, "cut.log");
    assert.deepEqual(r.series[0]!.figures.max, { kind: "exact", value: 48 });
    assert.equal(summarizeSeries(seriesFromJitter(r)[0]!).max, 48);
    assert.match(r.warnings.join(), /40 samples were recorded but only 14 sample lines/);
    assert.match(
      problem(() => parseHwlatdetect(hwlat(30, samples), "x.log")).what,
      /'Max Latency: 30us' but a sample line holds 48 us/,
    );
    assert.throws(() => parseHwlatdetect(full.slice(0, 300), "cut.log"), /did not finish|truncated/);
  });
});

describe("recorded cyclictest -H output (no rt-tests needed; test/results/recorded/README.md)", () => {
  it("-H's extra all-threads column in Total, Max and Overflows is not a thread: 2 threads, counts as the summary says", () => {
    const file = join(import.meta.dirname, "recorded", "cyclictest-H30-2threads.txt");
    const text = readFileSync(file, "utf8");
    const r = parseCyclictestText(text, file);
    // The summary's Min Latencies line has one value per thread; Max has one more (all threads).
    assert.equal(/# Min Latencies:(.*)/.exec(text)![1]!.trim().split(/\s+/).length, 2);
    assert.equal(/# Max Latencies:(.*)/.exec(text)![1]!.trim().split(/\s+/).length, 3);
    assert.equal(r.series.length, 2);
    const totals = /# Total:(.*)/.exec(text)![1]!.trim().split(/\s+/).map(Number);
    const maxes = /# Max Latencies:(.*)/.exec(text)![1]!.trim().split(/\s+/).map(Number);
    const overflows = /# Histogram Overflows:(.*)/.exec(text)![1]!.trim().split(/\s+/).map(Number);
    r.series.forEach((s, t) => {
      assert.equal(s.overflow, overflows[t]);
      assert.equal(s.reported.max, maxes[t]);
      assert.equal(s.sample!.total, totals[t]! + overflows[t]!);
    });
  });
});
