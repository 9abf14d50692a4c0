import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { renderHtml } from "../../src/report/html.ts";
import { buildReport, cdfPoints } from "../../src/report/model.ts";
import { compareGroups } from "../../src/results/compare.ts";
import { compareRow } from "../../src/results/format.ts";
import { analyseNodeCpu } from "../../src/results/node-cpu.ts";
import type { Group } from "../../src/results/runs.ts";
import { fromHistogram, fromValues } from "../../src/results/stats.ts";
import { launchChromium } from "../helpers/browser.ts";
import { ROOT } from "../helpers/tools.ts";
import { rng, writeLabeledRun } from "../results/fixtures.ts";
import { renderOslat } from "../results/rt-fixtures.ts";

const ARTEFACTS = join(ROOT, "test-artifacts", "report");

/** oslat text output for CPUs 2-3, in the shape rt-tests prints it (rt-fixtures.ts). */
function oslatLog(seed: number, spread: number): string {
  const r = rng(seed);
  const cols = [2, 3].map(() =>
    Array.from({ length: 32 }, (_, b) =>
      b === 0 ? 5_000_000 : b === 31 ? 0 : Math.floor(r() * spread * 1000 * 0.5 ** b),
    ),
  );
  return renderOslat([2, 3], cols);
}

describe("llw report in a real headless Chromium", () => {
  let browser: Browser | undefined;
  const results = mkdtempSync(join(tmpdir(), "llw-report-"));
  before(async () => {
    for (let i = 0; i < 5; i++) writeLabeledRun(results, "baseline", `run-${i + 1}`, 3000, 150, 40 + i);
    for (let i = 0; i < 5; i++) writeLabeledRun(results, "tuned", `run-${i + 1}`, 1400, 150, 50 + i);
    for (const [label, spread] of [
      ["jitter-baseline", 12],
      ["jitter-tuned", 4],
    ] as const) {
      const d = join(results, label, "run-1");
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, "oslat.log"), oslatLog(spread, spread));
      writeFileSync(
        join(d, "metadata.json"),
        JSON.stringify({ kind: "jitter", tool: "oslat", label, node: "worker-0", instanceType: "m5.metal" }),
      );
    }
  });
  after(async () => {
    await browser?.close();
  });

  /** A cyclictest run (plain output of 2 threads) with its metadata. */
  function writeCyclictestRun(label: string): void {
    const d = join(results, label, "run-1");
    mkdirSync(d, { recursive: true });
    writeFileSync(
      join(d, "cyclictest.log"),
      "T: 0 ( 1001) P:95 I:1000 C:  60000 Min:      1 Act:    2 Avg:    2 Max:      9\n" +
        "T: 1 ( 1002) P:95 I:1000 C:  60000 Min:      1 Act:    2 Avg:    2 Max:     11\n",
    );
    writeFileSync(join(d, "metadata.json"), JSON.stringify({ kind: "jitter", tool: "cyclictest", label }));
  }

  async function open(t: TestContext, file: string, shot: string) {
    browser ??= await launchChromium(t);
    if (!browser) return undefined;
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    const url = pathToFileURL(file).href;
    await page.goto(url);
    await page.waitForSelector("body[data-charts-drawn]");
    mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTEFACTS, shot), fullPage: true });
    return { page, requests: requests.filter((r) => r !== url), errors };
  }

  /** Fraction of canvas pixels that are not transparent: proof that something was drawn. */
  const inkOf = (page: import("playwright-core").Page, id: string) =>
    page.evaluate((id) => {
      // biome-ignore lint/suspicious/noExplicitAny: runs in the browser, where the DOM exists
      const doc = (globalThis as any).document;
      const c = doc.getElementById(id);
      const d: Uint8ClampedArray = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) ink++;
      return ink / (d.length / 4);
    }, id);

  it("start-up latency: CDFs and percentile bars per condition are drawn, verdicts shown, nothing fetched", async (t) => {
    const out = join(results, "startup.html");
    const ctx = bufferContext({ cwd: results });
    assert.equal(await main(["report", "baseline", "tuned", "-o", out], ctx), 0, ctx.err());
    assert.match(ctx.out(), /wrote .*startup\.html: \d+ charts, 10 runs/);
    const html = readFileSync(out, "utf8");
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|<img[^>]+src="?http/i);
    const o = await open(t, out, "startup-report.png");
    if (!o) return;
    const canvases = await o.page.locator("canvas").count();
    assert.ok(canvases >= 8, `only ${canvases} charts`);
    assert.equal(await o.page.getAttribute("body", "data-charts-drawn"), String(canvases));
    for (const id of await o.page.locator("canvas").evaluateAll((els) => els.map((e) => e.id))) {
      assert.ok((await inkOf(o.page, id)) > 0.005, `chart ${id} is blank`);
    }
    assert.match((await o.page.locator("table.verdicts").first().textContent()) ?? "", /improved/);
    assert.match((await o.page.locator("table.environment").textContent()) ?? "", /4\.19\.3/);
    assert.deepEqual(o.requests, [], "the report fetched something");
    assert.deepEqual(o.errors, []);
    await o.page.close();
  });

  it("jitter: per-CPU log-scale histograms are drawn as well", async (t) => {
    const out = join(results, "jitter.html");
    const ctx = bufferContext({ cwd: results });
    assert.equal(await main(["report", "jitter-baseline", "jitter-tuned", "-o", out], ctx), 0, ctx.err());
    const o = await open(t, out, "jitter-report.png");
    if (!o) return;
    const titles = await o.page.locator("figcaption").allInnerTexts();
    assert.ok(titles.includes("oslat cpu 2: histogram (log scale)"), titles.join(" | "));
    assert.ok(
      titles.includes("oslat all CPUs: latency tail (share of samples above, log scale)"),
      titles.join(" | "),
    );
    const logScale = await o.page.evaluate(() => {
      const g = globalThis as unknown as {
        Chart: { instances: Record<string, { config: { options: { scales: { y: { type?: string } } } } }> };
      };
      const charts = Object.values(g.Chart.instances);
      return charts.filter((c) => c.config.options.scales.y.type === "logarithmic").length;
    });
    assert.equal(logScale, 6, "3 histograms and 3 tail plots on a log axis");
    assert.deepEqual(o.requests, []);
    assert.deepEqual(o.errors, []);
    await o.page.close();
  });

  it("a report mixing start-up and jitter runs keeps each series in its own unit and compares like with like", async () => {
    const out = join(results, "mixed.html");
    const ctx = bufferContext({ cwd: results });
    assert.equal(
      await main(["report", "baseline", "tuned", "jitter-baseline", "jitter-tuned", "-o", out], ctx),
      0,
      ctx.err(),
    );
    const html = readFileSync(out, "utf8");
    const data = JSON.parse(
      /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!,
    );
    const byTitle = new Map(data.charts.map((c: { title: string; unit: string }) => [c.title, c]));
    assert.equal((byTitle.get("latency-pod Ready: latency CDF") as { unit: string }).unit, "ms");
    assert.equal(
      (byTitle.get("oslat cpu 2: latency tail (share of samples above, log scale)") as { unit: string }).unit,
      "us",
    );
    assert.ok(byTitle.has("oslat cpu 2: histogram (log scale)"));
    assert.ok(
      !byTitle.has("latency-pod Ready: histogram (log scale)"),
      "no per-CPU histogram for start-up latency",
    );
    assert.deepEqual(
      data.verdicts.map((v: { baseline: string; candidate: string }) => `${v.candidate} vs ${v.baseline}`),
      ["tuned vs baseline", "jitter-tuned vs jitter-baseline"],
    );
  });

  it("never compares oslat with cyclictest: the jitter group is paired with the earlier group of the same tool", async () => {
    writeCyclictestRun("cyclic-tuned");
    const out = join(results, "tools.html");
    const ctx = bufferContext({ cwd: results });
    assert.equal(
      await main(["report", "jitter-baseline", "cyclic-tuned", "jitter-tuned", "-o", out], ctx),
      0,
      ctx.err(),
    );
    assert.match(
      ctx.err(),
      /cyclic-tuned not compared: jitter-baseline measured oslat; cyclic-tuned measured cyclictest/,
    );
    const html = readFileSync(out, "utf8");
    const data = JSON.parse(
      /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!,
    );
    assert.deepEqual(
      data.verdicts.map((v: { baseline: string; candidate: string }) => `${v.candidate} vs ${v.baseline}`),
      ["jitter-tuned vs jitter-baseline"],
    );
    const titles: string[] = data.charts.map((c: { title: string }) => c.title);
    assert.ok(
      !titles.some((t) => t.startsWith("thread ") || t.startsWith("cpu ")),
      "every jitter series names its tool",
    );
    assert.match(html, /cyclic-tuned not compared/);
    const forced = bufferContext({ cwd: results });
    assert.equal(
      await main(["report", "jitter-baseline", "cyclic-tuned", "-o", out, "--force"], forced),
      0,
      forced.err(),
    );
  });

  it("pairs each tool's before and after, oslat and cyclictest interleaved, and calls neither baseline 'not compared'", async () => {
    writeCyclictestRun("cyclic-before");
    writeCyclictestRun("cyclic-after");
    const out = join(results, "both-tools.html");
    const ctx = bufferContext({ cwd: results });
    assert.equal(
      await main(
        ["report", "jitter-baseline", "cyclic-before", "jitter-tuned", "cyclic-after", "-o", out],
        ctx,
      ),
      0,
      ctx.err(),
    );
    assert.doesNotMatch(ctx.err(), /not compared/);
    const html = readFileSync(out, "utf8");
    const data = JSON.parse(
      /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!,
    );
    assert.deepEqual(
      data.verdicts.map((v: { baseline: string; candidate: string }) => `${v.candidate} vs ${v.baseline}`),
      ["jitter-tuned vs jitter-baseline", "cyclic-after vs cyclic-before"],
    );
    assert.doesNotMatch(html, /not compared/);
  });

  it("refuses to overwrite an existing report without --force", async () => {
    const out = join(results, "exists.html");
    writeFileSync(out, "mine");
    const ctx = bufferContext({ cwd: results });
    assert.equal(await main(["report", "baseline", "-o", out], ctx), 2);
    assert.equal(readFileSync(out, "utf8"), "mine");
    assert.equal(
      await main(["report", "baseline", "-o", out, "--force"], bufferContext({ cwd: results })),
      0,
    );
  });

  it("percentile bars show the figures the verdict table uses (mean of per-run values), labelled so", () => {
    const runOf = (label: string, id: string, v: number[]) => ({
      dir: `/r/${label}/${id}`,
      label,
      id,
      kind: "kube-burner" as const,
      unit: "ms" as const,
      metadata: {},
      series: [{ name: "latency-pod Ready", sample: fromValues(v), notes: [] }],
      warnings: [],
    });
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
    // Two runs whose P99s differ a lot: pooled P99 (1395) != mean of per-run P99s (1247.5).
    const base: Group = {
      label: "baseline",
      runs: [runOf("baseline", "1", range(1000, 100)), runOf("baseline", "2", range(1300, 100))],
    };
    const tuned: Group = {
      label: "tuned",
      runs: [runOf("tuned", "1", range(900, 100)), runOf("tuned", "2", range(950, 100))],
    };
    const c = compareGroups(base, tuned);
    const model = buildReport("t", [base, tuned], [c], new Date(0), compareRow);
    const bars = model.charts.find((x) => x.kind === "percentiles")!;
    assert.match(bars.title, /mean of the per-run values, as in the verdicts/);
    assert.deepEqual(
      bars.bars!.groups.map((g) => g.label),
      ["baseline (mean of 2 runs)", "tuned (mean of 2 runs)"],
    );
    const p99 = c.rows.find((r) => r.metric === "P99")!;
    assert.equal(bars.bars!.groups[0]!.values[2], p99.baseline);
    assert.equal(bars.bars!.groups[1]!.values[2], p99.candidate);
    assert.equal(bars.bars!.groups[0]!.values[0], c.rows.find((r) => r.metric === "P50")!.baseline);
    assert.equal(bars.bars!.groups[0]!.values[4], c.rows.find((r) => r.metric === "max")!.baseline);
    const cdf = model.charts.find((x) => x.kind === "cdf")!;
    assert.equal(cdf.lines![0]!.label, "baseline (2 runs' samples)");
  });

  it("with two tuned nodes the CPU charts show the one whose reserved CPUs peaked highest (not the first listed), and every finding names its node", () => {
    const t = (k: number) => `2026-11-27T20:00:${String(15 * k).padStart(2, "0")}Z`;
    const docs = new Map([
      [
        "nodeCPUModes",
        ["quiet", "starved"].flatMap((node) =>
          [1, 2, 3].flatMap((k) =>
            [0, 1].map((cpu) => ({
              timestamp: t(k),
              labels: { instance: node, cpu: String(cpu), mode: "system" },
              value: node === "starved" ? 0.9 : 0.1,
              metricName: "nodeCPUModes",
              jobName: "latency-pod",
            })),
          ),
        ),
      ],
      [
        "nodeCPUCount",
        ["quiet", "starved"].map((node) => ({
          timestamp: t(3),
          labels: { instance: node },
          value: 4,
          metricName: "nodeCPUCount",
          jobName: "latency-pod",
        })),
      ],
    ]);
    const nodeCpu = analyseNodeCpu(
      docs,
      [{ name: "p", reserved: [0, 1], isolated: [2, 3], nodeSelector: { "node-role.kubernetes.io/rt": "" } }],
      [
        { name: "quiet", roles: ["rt"] },
        { name: "starved", roles: ["rt"] },
      ],
    );
    assert.deepEqual(
      nodeCpu.nodes.map((x) => x.node),
      ["quiet", "starved"],
      "the quiet node is listed first",
    );
    const g: Group = {
      label: "tuned",
      runs: [
        {
          dir: "/r/tuned/1",
          label: "tuned",
          id: "1",
          kind: "kube-burner",
          unit: "ms",
          metadata: {},
          series: [],
          warnings: [],
          nodeCpu,
        },
      ],
    };
    const model = buildReport("t", [g], [], new Date(0), compareRow);
    const titles = model.charts.map((c) => c.title);
    assert.deepEqual(titles, [
      "tuned: CPU busy on starved during latency-pod, reserved vs isolated (%)",
      "tuned: each CPU of starved during latency-pod, mean busy (%)",
    ]);
    assert.match(model.charts[0]!.note!, /the tuned node whose reserved CPUs peaked highest, of 2/);
    assert.deepEqual(
      model.findings.filter((f) => f.level !== "ok").map((f) => [f.node, f.level]),
      [["starved", "bottleneck"]],
    );
    assert.ok(model.findings.every((f) => f.node === "quiet" || f.node === "starved"));
    const html = renderHtml(model, "");
    assert.match(html, /<th>node<\/th>/);
    assert.match(html, /<td class="">starved<\/td><td class="BOTTLENECK">BOTTLENECK<\/td>/);
  });

  it("CDF points are monotone, end at the maximum with 100%, and stay few", () => {
    const s = fromValues(Array.from({ length: 100_000 }, (_, i) => i % 977));
    const pts = cdfPoints(s);
    assert.ok(pts.length <= 302);
    for (let i = 1; i < pts.length; i++)
      assert.ok(pts[i]![0] >= pts[i - 1]![0] && pts[i]![1] >= pts[i - 1]![1]);
    assert.deepEqual(pts.at(-1), [976, 1]);
    // A histogram's CDF is drawn exactly, step by step, down to its single largest sample.
    const h = fromHistogram([
      [1, 1_000_000],
      [2, 10],
      [40, 1],
    ]);
    assert.deepEqual(cdfPoints(h), [
      [1, 1_000_000 / 1_000_011],
      [2, 1_000_010 / 1_000_011],
      [40, 1],
    ]);
  });
});
