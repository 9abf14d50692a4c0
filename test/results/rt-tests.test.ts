import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { UserError } from "../../src/lib/errors.ts";
import { summarizeSeries } from "../../src/results/format.ts";
import {
  parseCyclictestText,
  parseHwlatdetect,
  parseJitterOutput,
  parseOslatText,
  parseRtTestsJson,
} from "../../src/results/rt-tests.ts";
import { seriesFromJitter } from "../../src/results/runs.ts";
import { quantile } from "../../src/results/stats.ts";
import { ROOT, requireTool } from "../helpers/tools.ts";

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

describe("real cyclictest output (rt-tests, a few seconds per mode)", () => {
  it("plain -q summary: min/avg/max per thread", (t) => {
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
    }
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

  it("-h histogram (and -H with its total column): percentiles from the buckets, counts match the summary", (t) => {
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
        assert.ok(quantile(s.sample!, 0.5) >= s.reported.min!);
        assert.ok(quantile(s.sample!, 1) <= s.reported.max!);
      });
    }
  });

  it("a small -h range overflows: overflow samples are counted and flagged", (t) => {
    const ct = requireTool(t, "cyclictest", INSTALL);
    if (!ct) return;
    const out = run(ct, ["-D", "1", "-t", "1", "-i", "1000", "-m", "-q", "-h", "2"]);
    const r = parseCyclictestText(out, "overflow");
    const overflows = Number(/# Histogram Overflows:\s*(\d+)/.exec(out)![1]);
    assert.equal(r.series[0]!.overflow, overflows);
    if (overflows > 0) assert.match(r.warnings.join(), /upper bounds/);
  });

  it("--json with -h: per-thread histogram, cycles and CPU", (t) => {
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
    });
  });
});

describe("real oslat output (rt-tests)", () => {
  it("text output for two CPUs, with and without -z, and --json", (t) => {
    const os = requireTool(t, "oslat", INSTALL);
    if (!os) return;
    const dir = tmp();
    const json = join(dir, "oslat.json");
    const plain = run(os, ["-D", "2", "-c", "0,1", "-q"]);
    const zero = run(os, ["-D", "2", "-c", "1", "-z", `--json=${json}`]);
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
      assert.ok(quantile(s.sample!, 1) <= s.reported.max!);
    }
    const b = parseOslatText(zero, "oslat-z.txt");
    assert.equal(b.series.length, 1);
    const j = parseJitterOutput(readFileSync(json, "utf8"), json);
    keep("oslat.json", readFileSync(json, "utf8"));
    assert.equal(j.tool, "oslat");
    assert.equal(j.series[0]!.name, "cpu 1");
    assert.ok(j.series[0]!.sample!.total > 1000);
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
// from the print statements of rt-tests' hwlatdetect.py.
const HWLAT = `hwlatdetect:  test duration 60 seconds
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
Max Latency: 22us
Samples recorded: 3
Samples exceeding threshold: 3
SMIs during run: 0
ts: 1764273600.123456789, inner:12, outer:11
ts: 1764273601.123456789, inner:9, outer:22
ts: 1764273602.123456789, inner:15, outer:0
`;

describe("recorded cyclictest -H output (no rt-tests needed; test/results/recorded/README.md)", () => {
  it("-H's extra all-threads column in Total, Max and Overflows is not a thread: 2 threads, counts as the summary says", () => {
    const file = join(import.meta.dirname, "recorded", "cyclictest-H30-2threads.txt");
    const text = readFileSync(file, "utf8");
    const r = parseCyclictestText(text, file);
    // The summary's Min Latencies line has one value per thread; Max has one more (all threads).
    assert.equal(/# Min Latencies:(.*)/.exec(text)![1]!.trim().split(/\s+/).length, 2);
    assert.equal(/# Max Latencies:(.*)/.exec(text)![1]!.trim().split(/\s+/).length, 3);
    assert.deepEqual(
      r.series.map((s) => s.name),
      ["thread 0", "thread 1"],
    );
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

describe("summaries of overflowed histograms", () => {
  it("use the tool's own average for the mean (overflow counted at the maximum would inflate it)", () => {
    const text = [
      "        Core:\t 2 3",
      "    001 (us):\t 1000000 1000000",
      "    002 (us):\t 10 10",
      "    003 (us):\t 5 0 (including overflows)",
      "     Minimum:\t 1 1 (us)",
      "     Average:\t 1.000 1.000 (us)",
      "     Maximum:\t 5000 2 (us)",
    ].join("\n");
    const series = seriesFromJitter(parseOslatText(text, "o")).map(summarizeSeries);
    const cpu2 = series.find((x) => x.series === "oslat cpu 2")!;
    assert.equal(cpu2.max, 5000);
    assert.equal(cpu2.mean, 1);
    assert.match(cpu2.notes.join(), /reported by the tool/);
    assert.equal(series.find((x) => x.series === "oslat all CPUs")!.mean, 1);
    assert.equal(
      series.find((x) => x.series === "oslat cpu 3")!.max,
      2,
      "cpu 3 stayed below the last bucket: nothing overflowed",
    );
  });
});

describe("hwlatdetect output", () => {
  it("reads the spikes, the maximum and the run parameters", () => {
    const r = parseJitterOutput(HWLAT, "hwlat.log");
    assert.equal(r.tool, "hwlatdetect");
    assert.deepEqual(Array.from(r.series[0]!.sample!.values), [12, 15, 22]);
    assert.equal(r.series[0]!.reported.max, 22);
    assert.equal(r.meta.thresholdUs, 10);
  });
  it("a run below threshold has no samples; a cut log is an error", () => {
    const quiet = HWLAT.replace(
      /Max Latency: 22us[\s\S]*/,
      "Max Latency: Below threshold\nSamples recorded: 0\nSamples exceeding threshold: 0\n",
    );
    const r = parseHwlatdetect(quiet, "q");
    assert.equal(r.series[0]!.sample, undefined);
    assert.equal(r.series[0]!.reported.max, 0);
    assert.throws(() => parseHwlatdetect(HWLAT.slice(0, 300), "cut.log"), /did not finish|truncated/);
  });
});

/** Renders a histogram the way cyclictest -h prints it. */
function renderCyclictest(hist: number[][], overflow: number[], max: number[]): string {
  const lines = ["# /dev/cpu_dma_latency set to 0us", "# Histogram"];
  const buckets = hist[0]!.length;
  for (let b = 0; b < buckets; b++)
    lines.push(`${String(b).padStart(6, "0")} ${hist.map((h) => String(h[b]).padStart(6, "0")).join("\t")}`);
  const totals = hist.map((h) => h.reduce((a, c) => a + c, 0));
  lines.push(`# Total: ${totals.map((x) => String(x).padStart(9, "0")).join(" ")}`);
  lines.push(`# Min Latencies: ${hist.map(() => "00001").join(" ")}`);
  lines.push(`# Avg Latencies: ${hist.map(() => "00002").join(" ")}`);
  lines.push(`# Max Latencies: ${max.map((m) => String(m).padStart(5, "0")).join(" ")}`);
  lines.push(`# Histogram Overflows: ${overflow.map((o) => String(o).padStart(5, "0")).join(" ")}`);
  return `${lines.join("\n")}\n`;
}

describe("histogram parsers (property)", () => {
  it("cyclictest -h: any histogram round-trips, overflow counted at the max", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((threads) =>
          fc.tuple(
            fc.array(fc.array(fc.nat(1000), { minLength: 20, maxLength: 20 }), {
              minLength: threads,
              maxLength: threads,
            }),
            fc.array(fc.nat(50), { minLength: threads, maxLength: threads }),
          ),
        ),
        ([hist, overflow]) => {
          const max = hist.map(() => 500);
          const r = parseCyclictestText(renderCyclictest(hist, overflow, max), "gen");
          r.series.forEach((s, t) => {
            const total = hist[t]!.reduce((a, c) => a + c, 0);
            assert.equal(s.sample?.total ?? 0, total + overflow[t]!);
            assert.equal(s.overflow, overflow[t]);
            if (total > 0) {
              const firstNonZero = hist[t]!.findIndex((c) => c > 0);
              assert.equal(quantile(s.sample!, 0), firstNonZero);
            }
            // Every overflow sample sits at the reported max (500), above the 20 buckets.
            const v = s.sample?.values ?? new Float64Array();
            const at = v.indexOf(max[t]!);
            const atMax =
              at < 0 ? 0 : s.sample!.counts ? s.sample!.counts[at]! : v.filter((x) => x === max[t]).length;
            assert.equal(atMax, overflow[t], "overflow samples counted at the max");
            if (overflow[t]! > 0) assert.equal(quantile(s.sample!, 1), max[t]);
          });
        },
      ),
    );
  });

  it("cyclictest -h: a cut at any line before the summary is an error, never a silent partial result", () => {
    const text = renderCyclictest([[1, 2, 3, 4, 5]], [0], [4]);
    const lines = text.split("\n");
    const maxLine = lines.findIndex((l) => l.startsWith("# Max"));
    for (let i = 2; i < maxLine; i++) {
      assert.throws(() => parseCyclictestText(lines.slice(0, i).join("\n"), "cut"), UserError);
    }
  });

  it("oslat text: any per-CPU bucket table round-trips", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat(100_000), { minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 4 }),
        (cols) => {
          const cpus = cols.map((_, i) => i + 2);
          const lines = [
            `        Core:\t ${cpus.join(" ")}`,
            `Counter Freq:\t ${cpus.map(() => 2096).join(" ")} (Mhz)`,
          ];
          for (let b = 0; b < 32; b++) {
            lines.push(
              `    ${String(b + 1).padStart(3, "0")} (us):\t ${cols.map((c) => c[b]).join(" ")}${b === 31 ? " (including overflows)" : ""}`,
            );
          }
          lines.push(`     Minimum:\t ${cpus.map(() => 1).join(" ")} (us)`);
          lines.push(`     Maximum:\t ${cpus.map(() => 32).join(" ")} (us)`);
          const r = parseOslatText(lines.join("\n"), "gen");
          r.series.forEach((s, i) => {
            assert.equal(
              s.sample?.total ?? 0,
              cols[i]!.reduce((a, c) => a + c, 0),
            );
          });
        },
      ),
    );
  });

  it("rt-tests JSON: any per-thread histogram round-trips; cycles beyond it count as overflow", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.dictionary(fc.integer({ min: 0, max: 500 }).map(String), fc.integer({ min: 1, max: 10_000 }), {
            minKeys: 1,
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.nat(100),
        (threads, extra) => {
          const doc = {
            "cmdline:": "cyclictest -q -h 500 --json=x",
            thread: Object.fromEntries(
              threads.map((h, i) => {
                const total = Object.values(h).reduce((a, c) => a + c, 0);
                return [
                  String(i),
                  { histogram: h, cycles: total + extra, min: 0, max: 600, avg: 1, cpu: i + 2 },
                ];
              }),
            ),
          };
          const r = parseJitterOutput(JSON.stringify(doc, null, 2), "gen.json");
          r.series.forEach((s, i) => {
            assert.equal(s.name, `cpu ${i + 2}`);
            assert.equal(s.sample!.total, doc.thread[String(i)]!.cycles);
            assert.equal(s.overflow, extra);
          });
        },
      ),
    );
  });

  it("hwlatdetect: any list of spikes round-trips; the maximum is the largest inner/outer", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1000), fc.nat(1000)), { maxLength: 50 }), (spikes) => {
        const max = spikes.length ? Math.max(...spikes.flat()) : 0;
        const text = [
          "hwlatdetect:  test duration 10 seconds",
          "        Latency threshold: 10us",
          "test finished",
          max ? `Max Latency: ${max}us` : "Max Latency: Below threshold",
          `Samples recorded: ${spikes.length}`,
          `Samples exceeding threshold: ${spikes.length}`,
          ...spikes.map(([i, o], k) => `ts: 1764273600.${k}, inner:${i}, outer:${o}`),
        ].join("\n");
        const r = parseHwlatdetect(text, "gen");
        assert.equal(r.series[0]!.reported.max, max);
        assert.equal(r.series[0]!.sample?.total ?? 0, spikes.length);
        if (spikes.length) assert.equal(quantile(r.series[0]!.sample!, 1), max);
      }),
    );
  });

  it("rt-tests JSON: malformed input names the file; a non-count bucket is rejected", () => {
    assert.throws(
      () => parseJitterOutput('{"thread": {"0": {"histogram": {"1": 5}}', "x.json"),
      (e: unknown) => e instanceof UserError && /^x\.json:1:\d+$/.test(e.problems[0]!.where!),
    );
    assert.throws(
      () => parseRtTestsJson({ thread: { 0: { histogram: { a: 1 } } } }, "y.json"),
      /not a count/,
    );
    assert.throws(() => parseJitterOutput("hello", "z.log"), /not recognised/);
  });
});
