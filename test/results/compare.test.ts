import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { compareGroups } from "../../src/results/compare.ts";
import { type Group, loadGroup } from "../../src/results/runs.ts";
import { fromValues } from "../../src/results/stats.ts";
import { writeLabeledRun } from "./fixtures.ts";

function group(label: string, runs: number[][]): Group {
  return {
    label,
    runs: runs.map((v, i) => ({
      dir: `/r/${label}/${i}`,
      label,
      id: String(i),
      kind: "kube-burner",
      unit: "ms",
      metadata: {},
      series: [{ name: "job Ready", sample: fromValues(v), notes: [] }],
      warnings: [],
    })),
  };
}

const range = (from: number, n: number, step = 1) => Array.from({ length: n }, (_, i) => from + i * step);

describe("compare planner", () => {
  it("single runs: a clear shift of the whole distribution is a regression on quantiles and mean; max is not tested", () => {
    const c = compareGroups(group("base", [range(1000, 500)]), group("cand", [range(1400, 500)]));
    const by = Object.fromEntries(c.rows.map((r) => [r.metric, r]));
    assert.equal(by.P50!.verdict, "regressed");
    assert.equal(by.P99!.verdict, "regressed");
    assert.equal(by.mean!.verdict, "regressed");
    assert.equal(by.max!.verdict, "not tested");
    assert.equal(c.regressions, 4);
    assert.ok(c.shifts[0]!.probCandidateHigher > 0.9);
  });

  it("an improvement smaller than the threshold is no significant change, however certain", () => {
    const c = compareGroups(group("base", [range(1000, 5000)]), group("cand", [range(990, 5000)]), {
      thresholdPct: 5,
    });
    assert.ok(c.rows.every((r) => r.verdict === "no significant change" || r.verdict === "not tested"));
    const loose = compareGroups(group("base", [range(1000, 5000)]), group("cand", [range(500, 5000)]), {
      thresholdPct: 5,
    });
    assert.equal(loose.rows.find((r) => r.metric === "P50")!.verdict, "improved");
  });

  it("repeated runs: per-run metrics, Welch's t as the verdict, exact rank p alongside", () => {
    const three = compareGroups(
      group("base", [range(1000, 100), range(1010, 100), range(1005, 100)]),
      group("cand", [range(500, 100), range(505, 100), range(510, 100)]),
    );
    const p99 = three.rows.find((r) => r.metric === "P99")!;
    assert.equal(p99.rankP, 0.1, "3 vs 3: the rank test cannot go below 0.1");
    assert.ok(p99.p! < 0.001);
    assert.equal(p99.verdict, "improved");
    assert.ok(p99.baselineCI && p99.candidateCI);
    assert.ok(p99.baselineCI[0] < p99.baseline && p99.baseline < p99.baselineCI[1]);
    // Noisy runs whose means differ by less than their spread: no verdict.
    const noisy = compareGroups(
      group("base", [range(1000, 100), range(1400, 100), range(800, 100)]),
      group("cand", [range(900, 100), range(1300, 100), range(1100, 100)]),
    );
    assert.equal(noisy.rows.find((r) => r.metric === "P50")!.verdict, "no significant change");
  });

  it("lists series found on one side only", () => {
    const a = group("base", [range(1, 10)]);
    const b = group("cand", [range(1, 10)]);
    b.runs[0]!.series[0]!.name = "other Ready";
    assert.deepEqual(compareGroups(a, b).unmatched, ["job Ready", "other Ready"]);
  });
});

describe("llw bench compare / bench show (result directories on disk)", () => {
  const results = mkdtempSync(join(tmpdir(), "llw-results-"));
  for (let i = 0; i < 5; i++) writeLabeledRun(results, "baseline", `run-${i + 1}`, 3000, 200, 10 + i);
  for (let i = 0; i < 5; i++) writeLabeledRun(results, "tuned", `run-${i + 1}`, 1500, 200, 20 + i);

  it("loads a label directory as repeated runs", async () => {
    const g = await loadGroup("tuned", results, ".");
    assert.equal(g.runs.length, 5);
    assert.equal(g.label, "tuned");
  });

  it("exits 0 and reports improvements when tuned is faster (table, markdown, json)", async () => {
    const ctx = bufferContext({ cwd: results });
    assert.equal(
      await main(["bench", "compare", "baseline", "tuned", "--metric", "P99", "--metric", "P50"], {
        ...ctx,
        cwd: results,
      }),
      0,
      ctx.err(),
    );
    assert.match(ctx.out(), /latency-pod Ready\s+P99\s+\d+/);
    assert.match(ctx.out(), /improved/);
    const md = bufferContext({ cwd: results });
    assert.equal(await main(["bench", "compare", "baseline", "tuned", "-o", "markdown"], md), 0);
    assert.match(md.out(), /^\*\*tuned \(5 runs\) vs baseline \(5 runs\)/);
    assert.match(md.out(), /\| series \| metric \|/);
    const js = bufferContext({ cwd: results });
    assert.equal(await main(["bench", "compare", "baseline", "tuned", "-o", "json"], js), 0);
    const data = JSON.parse(js.out());
    assert.equal(data.baseline.runs, 5);
    assert.ok(data.improvements > 0);
  });

  it("exits 1 on a regression, so it can gate CI", async () => {
    const ctx = bufferContext({ cwd: results });
    assert.equal(await main(["bench", "compare", "tuned", "baseline"], ctx), 1);
    assert.match(ctx.out(), /regressed/);
    assert.match(ctx.err(), /metrics? regressed beyond the threshold/);
  });

  it("exits 2 naming the argument for an unknown label", async () => {
    const ctx = bufferContext({ cwd: results });
    assert.equal(await main(["bench", "compare", "baseline", "nope"], ctx), 2);
    assert.match(ctx.err(), /no run or label "nope"/);
  });

  it("bench show prints recomputed figures for one run, and JSON with the metadata", async () => {
    const ctx = bufferContext({ cwd: results });
    assert.equal(await main(["bench", "show", join(results, "tuned", "run-1")], ctx), 0, ctx.err());
    assert.match(ctx.out(), /series \(ms\)\s+count\s+min\s+P50\s+P95\s+P99\s+max\s+mean/);
    assert.match(ctx.out(), /latency-pod Ready\s+200\s/);
    const js = bufferContext({ cwd: results });
    assert.equal(await main(["bench", "show", join(results, "tuned", "run-1"), "-o", "json"], js), 0);
    const v = JSON.parse(js.out());
    assert.equal(v.metadata.clusterVersion, "4.19.3");
    assert.equal(v.series.find((s: { series: string }) => s.series === "latency-pod Ready").count, 200);
  });
});
