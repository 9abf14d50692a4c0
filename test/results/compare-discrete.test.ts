/**
 * Comparisons on discrete data: tied kube-burner latencies (1 s resolution in several versions),
 * jitter histograms with 1 us buckets and overflow, runs that hold only the tool's summary. The
 * result directories are written in kube-burner's and rt-tests' real formats and compared with
 * the CLI, as a user would.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { compareGroups } from "../../src/results/compare.ts";
import { parseJitterOutput } from "../../src/results/rt-tests.ts";
import { type Group, seriesFromJitter } from "../../src/results/runs.ts";
import { podDocV2, writeV2Run } from "./fixtures.ts";
import { groupOf, kubeBurnerGroup } from "./groups.ts";
import { mulberry32, normal } from "./prng.ts";
import { renderCyclictest, renderCyclictestPlain, renderOslat } from "./rt-fixtures.ts";

const results = mkdtempSync(join(tmpdir(), "llw-discrete-"));

async function compare(...args: string[]) {
  const ctx = bufferContext({ cwd: results });
  const code = await main(["bench", "compare", ...args], ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

/** A kube-burner run of `ready` podReadyLatency values (ms), in kube-burner 2.x's v2 layout. */
function kubeBurnerRun(label: string, run: string, ready: number[]): void {
  const dir = join(results, label, run);
  mkdirSync(dir, { recursive: true });
  writeV2Run(
    dir,
    "latency-pod",
    ready.map((r, i) => podDocV2("latency-pod", i, { schedulingLatency: 0, podReadyLatency: r })),
  );
  writeFileSync(join(dir, "metadata.json"), JSON.stringify({ kind: "kube-burner", label, run }));
}

function jitterRun(label: string, run: string, file: string, text: string, tool: string): void {
  const dir = join(results, label, run);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), text);
  writeFileSync(
    join(dir, "metadata.json"),
    JSON.stringify({ kind: "jitter", tool, label, run, outputFile: file }),
  );
}

/** 679 pods at 1 s resolution, as kube-burner versions with second-precision timestamps record them. */
const TIED = Array.from({ length: 679 }, (_, i) => 2000 + 1000 * Math.min(4, Math.floor((i / 679) * 5.4)));

describe("ties, buckets and bounds in bench compare", () => {
  it("a P99 that moved from one tied value to the next (6000 -> 7000 ms, 679 pods) is a regression, exit 1", async () => {
    kubeBurnerRun("tied-before", "run-1", TIED);
    kubeBurnerRun(
      "tied-after",
      "run-1",
      TIED.map((v) => v + 1000),
    );
    const r = await compare("tied-before", "tied-after", "-o", "json");
    assert.equal(r.code, 1, r.err);
    const rows = JSON.parse(r.out).rows as {
      series: string;
      metric: string;
      baselineCI: number[];
      candidateCI: number[];
      verdict: string;
    }[];
    const p99 = rows.find((x) => x.series === "latency-pod Ready" && x.metric === "P99")!;
    assert.deepEqual(
      [p99.baselineCI, p99.candidateCI],
      [
        [6000, 6000],
        [7000, 7000],
      ],
    );
    assert.equal(p99.verdict, "regressed");
  });

  it("two runs of the same jitter whose P99 differ by one 1 us bucket (300,000 samples each): no verdict, and the headline says why", async () => {
    // P99 (rank 297,000 of 300,000) falls in bucket 8 us for one run and 9 us for the other.
    const head = [200_000, 80_000, 10_000, 4_000, 1_500, 1_000, 200];
    const cpu = (b8: number, b9: number) =>
      Array.from({ length: 32 }, (_, j) => head[j] ?? (j === 7 ? b8 : j === 8 ? b9 : 0));
    jitterRun("oslat-a", "run-1", "oslat.log", renderOslat([4], [cpu(2500, 800)]), "oslat");
    jitterRun("oslat-b", "run-1", "oslat.log", renderOslat([4], [cpu(250, 3050)]), "oslat");
    const r = await compare("oslat-a", "oslat-b");
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /oslat cpu 4\s+P99\s+8\s+9\s+1 \(\+12\.5%\)\s+.*no significant change/);
    assert.match(r.out, /2 histogram buckets \(2 us: one bucket's shift is not a change\)/);
    // Two buckets do count.
    const strict = await compare("oslat-a", "oslat-b", "--min-buckets", "1");
    assert.equal(strict.code, 1, strict.out);
  });

  it("percentiles beyond a histogram's range are bounds (≥ 30) and carry no verdict (cyclictest -h 30, almost all overflowed)", async () => {
    const hist = (spread: number) => [Array.from({ length: 30 }, (_, b) => (b > 20 ? spread : 0))];
    jitterRun(
      "ct-before",
      "run-1",
      "cyclictest.log",
      renderCyclictest(hist(5), [59_000], [63_495]),
      "cyclictest",
    );
    jitterRun(
      "ct-after",
      "run-1",
      "cyclictest.log",
      renderCyclictest(hist(40), [50_000], [10_950]),
      "cyclictest",
    );
    const r = await compare("ct-before", "ct-after", "-o", "json");
    assert.equal(r.code, 0, r.err);
    const rows = JSON.parse(r.out).rows as {
      metric: string;
      series: string;
      baselineBound?: string;
      verdict: string;
      test: string;
    }[];
    const p50 = rows.find((x) => x.series === "cyclictest thread 0" && x.metric === "P50")!;
    assert.equal(p50.baselineBound, "≥ 30");
    assert.equal(p50.verdict, "not tested");
    assert.match(p50.test, /beyond the histogram's range/);
    const table = await compare("ct-before", "ct-after");
    assert.match(table.out, /cyclictest thread 0\s+P50\s+≥ 30\s+≥ 30\s+-\s+-\s+-\s+not tested/);
  });

  it("a single run's mean is the tool's own when the histogram overflowed, and is not tested (the README's 25.0 -> 10.8 'improved')", async () => {
    const cpu = (over: number) =>
      Array.from({ length: 32 }, (_, j) => (j === 0 ? 3_000_000 : j === 1 ? 2000 : j === 31 ? over : 0));
    jitterRun(
      "os-over-a",
      "run-1",
      "oslat.log",
      renderOslat([2], [cpu(9000)], { max: [900], avg: [1.13] }),
      "oslat",
    );
    jitterRun(
      "os-over-b",
      "run-1",
      "oslat.log",
      renderOslat([2], [cpu(100)], { max: [80], avg: [1.23] }),
      "oslat",
    );
    const r = await compare("os-over-a", "os-over-b", "-o", "json");
    const mean = (
      JSON.parse(r.out).rows as {
        series: string;
        metric: string;
        baseline: number;
        candidate: number;
        verdict: string;
      }[]
    ).find((x) => x.series === "oslat cpu 2" && x.metric === "mean")!;
    assert.deepEqual([mean.baseline, mean.candidate, mean.verdict], [1.13, 1.23, "not tested"]);
  });

  it("plain cyclictest runs (max 399 vs 8551 us) compare on maxima and averages, never an empty table", async () => {
    jitterRun(
      "plain-a",
      "run-1",
      "cyclictest.log",
      renderCyclictestPlain([{ count: 60000, min: 2, avg: 4, max: 399 }]),
      "cyclictest",
    );
    jitterRun(
      "plain-b",
      "run-1",
      "cyclictest.log",
      renderCyclictestPlain([{ count: 60000, min: 2, avg: 9, max: 8551 }]),
      "cyclictest",
    );
    const one = await compare("plain-a", "plain-b");
    assert.equal(one.code, 0, one.err);
    assert.match(one.out, /cyclictest thread 0\s+max\s+399\s+8551\s+8152 .*not tested/);
    assert.match(one.out, /cyclictest thread 0\s+mean\s+4\s+9\s+/);
    assert.doesNotMatch(one.out, /P99/);
    // Repeated runs: each run's maximum is one observation.
    for (let k = 2; k <= 3; k++) {
      jitterRun(
        "plain-a",
        `run-${k}`,
        "cyclictest.log",
        renderCyclictestPlain([{ count: 60000, min: 2, avg: 4, max: 399 + k * 7 }]),
        "cyclictest",
      );
      jitterRun(
        "plain-b",
        `run-${k}`,
        "cyclictest.log",
        renderCyclictestPlain([{ count: 60000, min: 2, avg: 9, max: 8551 - k * 90 }]),
        "cyclictest",
      );
    }
    const rep = await compare("plain-a", "plain-b");
    assert.equal(rep.code, 1, rep.out);
    assert.match(rep.out, /cyclictest thread 0\s+max\s+.*regressed/);
  });
});

/** A group of jitter runs parsed from rendered oslat text. */
const oslatGroup = (label: string, runs: number[][]): Group =>
  groupOf(
    label,
    "jitter",
    runs.map((b) => seriesFromJitter(parseJitterOutput(renderOslat([3], [b]), "gen"))),
  );

const kbGroup = (label: string, runs: number[][]): Group =>
  kubeBurnerGroup(
    label,
    runs.map((v) => ({ "latency-pod Ready": v })),
  );

describe("false verdicts on identical runs (seeded simulations with tied and bucketed data)", () => {
  it("kube-burner latencies rounded to whole seconds: same-distribution comparisons exit 1 in at most 5%", () => {
    for (const [na, nb, pods] of [
      [1, 1, 400],
      [1, 1, 679],
      [3, 3, 100],
    ] as const) {
      const z = normal(mulberry32(7000 + na * 10 + pods));
      const run = () => Array.from({ length: pods }, () => 1000 * Math.round(3.5 * Math.exp(0.3 * z())));
      let exit1 = 0;
      const sims = 150;
      for (let i = 0; i < sims; i++) {
        const c = compareGroups(
          kbGroup("a", Array.from({ length: na }, run)),
          kbGroup("b", Array.from({ length: nb }, run)),
        );
        if (c.regressions > 0) exit1++;
      }
      assert.ok(exit1 / sims <= 0.05, `${na} vs ${nb} runs of ${pods} tied pods: ${exit1}/${sims} exited 1`);
    }
  });

  it("jitter histograms of 300,000 samples from the same machine (run-to-run drift of a few %): never a verdict", () => {
    const r = mulberry32(4242);
    const z = normal(r);
    const run = () => {
      // Exponential-ish loop gaps around 1-2 us with a tail to ~9 us; each run drifts by a factor.
      const drift = 1 + 0.03 * z();
      const b = Array.from({ length: 32 }, () => 0);
      for (let i = 0; i < 300_000; i++) {
        const us = Math.min(32, 1 + Math.floor(-Math.log(1 - r()) * 1.2 * drift));
        b[us - 1]!++;
      }
      return b;
    };
    let verdicts = 0;
    for (let i = 0; i < 40; i++) {
      const c = compareGroups(oslatGroup("a", [run()]), oslatGroup("b", [run()]));
      verdicts += c.regressions + c.improvements;
    }
    assert.equal(verdicts, 0);
  });
});
