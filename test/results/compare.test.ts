import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { compareGroups } from "../../src/results/compare.ts";
import { type Group, incomparable, loadGroup } from "../../src/results/runs.ts";
import { writeLabeledRun } from "./fixtures.ts";
import { kubeBurnerGroup } from "./groups.ts";
import { mulberry32, normal } from "./prng.ts";
import { renderOslat } from "./rt-fixtures.ts";

function group(label: string, runs: number[][]): Group {
  return kubeBurnerGroup(
    label,
    runs.map((v) => ({ "job Ready": v })),
  );
}

const CONDITIONS = ["PodScheduled", "Initialized", "ContainersReady", "Ready", "ReadyToStartContainers"];

/**
 * One simulated kube-burner run: `pods` pods, five conditions (25 metric rows per comparison,
 * like a real pod run), log-normal latencies around `medianMs`, and a per-run factor (the
 * cluster's state differs between runs) with sd `runSd` on the log scale.
 */
function simulatedRun(
  z: () => number,
  pods: number,
  medianMs: number,
  runSd: number,
): Record<string, number[]> {
  const runFactor = Math.exp(runSd * z());
  return Object.fromEntries(
    CONDITIONS.map((c, k) => [
      `latency-pod ${c}`,
      Array.from({ length: pods }, () =>
        Math.round(medianMs * (1 + k * 0.3) * runFactor * Math.exp(0.35 * z())),
      ),
    ]),
  );
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

  it("a single run's P99 with 50 pods is 'too few samples', not a regression; 400 pods are enough", () => {
    const z = normal(mulberry32(3));
    const lognormal = (n: number, median: number) =>
      Array.from({ length: n }, () => Math.round(median * Math.exp(0.35 * z())));
    const small = compareGroups(group("base", [lognormal(50, 2000)]), group("cand", [lognormal(50, 2000)]));
    const by = Object.fromEntries(small.rows.map((r) => [r.metric, r]));
    assert.equal(by.P99!.verdict, "too few samples");
    assert.equal(by.P95!.verdict, "too few samples");
    assert.match(by.P99!.test, /at least 368 samples/);
    assert.equal(by.P99!.p, undefined);
    assert.notEqual(by.P50!.verdict, "too few samples");
    const big = compareGroups(group("base", [lognormal(400, 2000)]), group("cand", [lognormal(400, 3000)]));
    assert.equal(big.rows.find((r) => r.metric === "P99")!.verdict, "regressed");
  });

  it("3 runs against 1: per-run values (prediction test), pods of different runs are never pooled", () => {
    const three = group("base", [range(1000, 100), range(1010, 100), range(1005, 100)]);
    const one = group("cand", [range(1003, 100)]);
    const c = compareGroups(three, one);
    const p99 = c.rows.find((r) => r.metric === "P99")!;
    assert.match(p99.test, /prediction test: 1 run against 3 per-run values/);
    assert.equal(
      p99.baseline,
      (1098 + 1108 + 1103) / 3,
      "the baseline is the mean of per-run P99s, not a pooled P99",
    );
    assert.equal(p99.candidate, 1101);
    assert.equal(p99.verdict, "no significant change");
    assert.deepEqual(c.shifts, [], "no pooled rank test across runs");
    const slow = compareGroups(three, group("cand", [range(3000, 100)]));
    assert.equal(slow.rows.find((r) => r.metric === "P99")!.verdict, "regressed");
  });

  it("p-values are Holm-adjusted across the rows of a comparison", () => {
    const c = compareGroups(
      group("base", [range(1000, 100), range(1010, 100), range(1005, 100)]),
      group("cand", [range(500, 100), range(505, 100), range(510, 100)]),
    );
    const tested = c.rows.filter((r) => r.p !== undefined);
    assert.equal(tested.length, 5);
    const min = tested.reduce((m, r) => (r.p! < m.p! ? r : m));
    assert.ok(Math.abs(min.pAdjusted! - Math.min(1, 5 * min.p!)) < 1e-12);
    for (const r of tested) assert.ok(r.pAdjusted! >= r.p!);
  });

  it("seeded simulation: same-distribution comparisons rarely exit 1 (false-regression rate at most 5%)", () => {
    // Before: one run per side flagged a regression in 26-59% of such comparisons (P99 intervals
    // clamped at the maximum, pods pooled across runs, 25 rows without correction).
    const scenarios = [
      { runs: [1, 1], pods: 50 },
      { runs: [1, 1], pods: 400 },
      { runs: [3, 3], pods: 50 },
      { runs: [3, 1], pods: 50 },
      { runs: [1, 3], pods: 50 },
      { runs: [5, 5], pods: 50 },
    ];
    const sims = 150;
    for (const sc of scenarios) {
      const z = normal(mulberry32(1000 + sc.runs[0]! * 10 + sc.runs[1]! + sc.pods));
      // Pods of one run are alike (iid) when each side has one run; repeated runs add a
      // run-to-run factor, which only the per-run tests account for.
      const runSd = sc.runs[0] === 1 && sc.runs[1] === 1 ? 0 : 0.05;
      let exit1 = 0;
      for (let i = 0; i < sims; i++) {
        const mk = (label: string, k: number) =>
          kubeBurnerGroup(
            label,
            Array.from({ length: k }, () => simulatedRun(z, sc.pods, 2000, runSd)),
          );
        const c = compareGroups(mk("base", sc.runs[0]!), mk("cand", sc.runs[1]!));
        assert.equal(c.rows.length, 25);
        if (c.regressions > 0) exit1++;
      }
      assert.ok(
        exit1 / sims <= 0.05,
        `${sc.runs.join(" vs ")} runs, ${sc.pods} pods: ${exit1}/${sims} exited 1`,
      );
    }
  });

  it("seeded simulation: a real 50% slowdown is still detected", () => {
    const z = normal(mulberry32(99));
    let detected3 = 0;
    let detected1 = 0;
    const sims = 40;
    for (let i = 0; i < sims; i++) {
      const runs = (k: number, median: number, pods: number, runSd: number) =>
        Array.from({ length: k }, () => simulatedRun(z, pods, median, runSd));
      const c3 = compareGroups(
        kubeBurnerGroup("base", runs(3, 2000, 50, 0.05)),
        kubeBurnerGroup("cand", runs(3, 3000, 50, 0.05)),
      );
      if (c3.regressions > 0) detected3++;
      const c1 = compareGroups(
        kubeBurnerGroup("base", runs(1, 2000, 400, 0)),
        kubeBurnerGroup("cand", runs(1, 3000, 400, 0)),
      );
      if (c1.rows.some((r) => r.metric === "P99" && r.verdict === "regressed")) detected1++;
    }
    assert.ok(detected3 / sims >= 0.9, `3 vs 3 runs: detected in ${detected3}/${sims}`);
    assert.ok(detected1 / sims >= 0.9, `1 vs 1 run of 400 pods (P99): detected in ${detected1}/${sims}`);
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
    // Both sides' 95% intervals next to the raw and Holm-adjusted p, in table and markdown.
    assert.match(md.out(), /\| 95% CI baseline vs candidate \| p \(Holm\) \|/);
    assert.match(
      md.out(),
      /\| \[\d+(\.\d)?, \d+(\.\d)?\] vs \[\d+(\.\d)?, \d+(\.\d)?\] \| (<0\.001|\d\.\d{3}) \((<0\.001|\d\.\d{3})\) \|/,
    );
    assert.match(ctx.out(), /\[\d+(\.\d)?, \d+(\.\d)?\] vs \[\d+(\.\d)?, \d+(\.\d)?\]/);
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

  it("refuses (exit 2) to compare oslat with cyclictest runs unless --allow-different (--force still works, deprecated)", async () => {
    const write = (label: string, tool: string, file: string, text: string) => {
      const d = join(results, label, "run-1");
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, file), text);
      writeFileSync(
        join(d, "metadata.json"),
        JSON.stringify({ kind: "jitter", tool, label, outputFile: file }),
      );
    };
    const oslat = (tail: number) =>
      renderOslat(
        [2, 3],
        [0, 1].map((c) =>
          Array.from({ length: 32 }, (_, j) =>
            j === 0 ? 1_000_000 : j === 1 ? 100 - c * 10 : j === 2 ? (c ? 4 : tail) : 0,
          ),
        ),
      );
    write("oslat-before", "oslat", "oslat.log", oslat(50));
    write("oslat-after", "oslat", "oslat.log", oslat(5));
    write(
      "cyclic-after",
      "cyclictest",
      "cyclictest.log",
      "T: 0 ( 1001) P:95 I:1000 C:  60000 Min:      1 Act:    2 Avg:    2 Max:      9\n",
    );
    const ok = bufferContext({ cwd: results });
    assert.equal(await main(["bench", "compare", "oslat-before", "oslat-after"], ok), 0, ok.err());
    assert.match(ok.out(), /oslat all CPUs\s+P50/);
    const ctx = bufferContext({ cwd: results });
    assert.equal(await main(["bench", "compare", "oslat-before", "cyclic-after"], ctx), 2);
    assert.match(
      ctx.err(),
      /measured different things \(oslat-before measured oslat; cyclic-after measured cyclictest\)[\s\S]*--allow-different/,
    );
    const allowed = bufferContext({ cwd: results });
    assert.equal(
      await main(["bench", "compare", "oslat-before", "cyclic-after", "--allow-different"], allowed),
      0,
      allowed.err(),
    );
    assert.match(
      allowed.out(),
      /no rows: no series in common \(only on one side: oslat all CPUs, .*cyclictest thread 0\)/,
    );
    assert.doesNotMatch(allowed.out(), /series\s+metric/, "no empty table");
    const forced = bufferContext({ cwd: results });
    assert.equal(await main(["bench", "compare", "oslat-before", "cyclic-after", "--force"], forced), 0);
    assert.match(forced.err(), /--force is deprecated: use --allow-different/);
  });

  it("pod and VM start-up runs are different measurements (kube-burner job names)", () => {
    const pods = group("a", [range(1, 10)]);
    const vms = group("b", [range(1, 10)]);
    pods.runs[0]!.kubeBurner = { measurements: [{ job: "latency-pod" }] } as never;
    vms.runs[0]!.kubeBurner = { measurements: [{ job: "latency-vm" }] } as never;
    assert.equal(incomparable(pods, pods), undefined);
    assert.equal(
      incomparable(pods, vms),
      "a measured kube-burner job latency-pod; b measured kube-burner job latency-vm",
    );
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
