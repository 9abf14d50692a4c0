/**
 * What the report says and how it is protected, checked in a real headless Chromium: labels that
 * tell runs apart, a reason in every empty table, summary-only runs drawn, log scales where a
 * maximum dwarfs the rest, histogram buckets on a numeric axis, a Content-Security-Policy with
 * script hashes (no 'unsafe-inline'), no absolute paths, any metadata rendered.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { launchChromium } from "../helpers/browser.ts";
import { ROOT } from "../helpers/tools.ts";
import { podDocV2, writeV2Run } from "../results/fixtures.ts";
import { renderCyclictestPlain, renderOslat } from "../results/rt-fixtures.ts";

const ARTEFACTS = join(ROOT, "test-artifacts", "report");
const results = mkdtempSync(join(tmpdir(), "llw-report-content-"));

function jitter(
  label: string,
  file: string,
  text: string,
  tool: string,
  meta: Record<string, unknown> = {},
): string {
  const d = join(results, label, "run-1");
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, file), text);
  writeFileSync(
    join(d, "metadata.json"),
    JSON.stringify({ kind: "jitter", tool, label, outputFile: file, ...meta }),
  );
  return d;
}

function dataOf(html: string) {
  return JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!);
}

async function report(args: string[], out: string) {
  const ctx = bufferContext({ cwd: results, env: { ...process.env, HOME: homedir() } });
  const code = await main(["report", ...args, "-o", out], ctx);
  return {
    code,
    out: ctx.out(),
    err: ctx.err(),
    html: code === 0 ? readFileSync(join(results, out), "utf8") : "",
  };
}

describe("report content and policy (Chromium)", () => {
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close();
  });

  async function open(t: TestContext, file: string, shot: string) {
    browser ??= await launchChromium(t);
    if (!browser) return undefined;
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(pathToFileURL(join(results, file)).href);
    await page.waitForSelector("body[data-charts-drawn]");
    mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTEFACTS, shot), fullPage: true });
    return { page, errors };
  }

  it("plain cyclictest runs (summary only) are drawn and compared; a maximum 20x the rest gets a log axis", async (t) => {
    jitter(
      "plain-before",
      "cyclictest.log",
      renderCyclictestPlain([{ count: 60000, min: 3, avg: 9, max: 8551 }]),
      "cyclictest",
    );
    jitter(
      "plain-after",
      "cyclictest.log",
      renderCyclictestPlain([{ count: 60000, min: 2, avg: 4, max: 399 }]),
      "cyclictest",
    );
    const r = await report(["plain-before", "plain-after"], "plain.html");
    assert.equal(r.code, 0, r.err);
    const data = dataOf(r.html);
    const bars = data.charts.find((c: { title: string }) =>
      c.title.startsWith("cyclictest thread 0: minimum, mean and maximum"),
    );
    assert.ok(bars, data.charts.map((c: { title: string }) => c.title).join(" | "));
    assert.deepEqual(bars.bars.labels, ["min", "mean", "max"]);
    assert.equal(bars.bars.log, true);
    assert.deepEqual(
      data.verdicts[0].rows.map((r: string[]) => r[1]),
      ["max", "mean"],
    );
    const o = await open(t, "plain.html", "report-plain-cyclictest.png");
    if (!o) return;
    const scale = await o.page.evaluate(() => {
      const g = globalThis as unknown as {
        Chart: {
          instances: Record<
            string,
            { canvas: { id: string }; config: { options: { scales: { y: { type?: string } } } } }
          >;
        };
      };
      return Object.values(g.Chart.instances).map((c) => c.config.options.scales.y.type ?? "linear");
    });
    assert.deepEqual(scale, ["logarithmic"]);
    assert.deepEqual(o.errors, []);
  });

  it("histogram buckets on a numeric axis in order (bucket 23 is not drawn next to 128)", async (t) => {
    const cpu = (far: boolean) =>
      Array.from({ length: 32 }, (_, j) => (j === 0 ? 1_000_000 : j === 22 ? 5 : j === 31 && far ? 3 : 0));
    jitter("hist-a", "oslat.log", renderOslat([2], [cpu(true)], { max: [128] }), "oslat");
    jitter("hist-b", "oslat.log", renderOslat([2], [cpu(false)]), "oslat");
    const r = await report(["hist-a", "hist-b"], "hist.html");
    assert.equal(r.code, 0, r.err);
    const o = await open(t, "hist.html", "report-histogram-axis.png");
    if (!o) return;
    const axis = await o.page.evaluate(() => {
      const g = globalThis as unknown as {
        Chart: {
          instances: Record<
            string,
            {
              config: { type: string; data: { datasets: { data: unknown[] }[] } };
              scales: Record<string, { type: string; min: number; max: number }>;
            }
          >;
        };
      };
      const hist = Object.values(g.Chart.instances).find(
        (c) => c.config.type === "bar" && c.scales.x!.type === "linear",
      )!;
      return { type: hist.scales.x!.type, min: hist.scales.x!.min, max: hist.scales.x!.max };
    });
    assert.equal(axis.type, "linear");
    assert.ok(axis.min <= 1 && axis.max >= 32, JSON.stringify(axis));
    assert.deepEqual(o.errors, []);
  });

  it("runs from one folder get distinct labels; a comparison with no common series says why instead of an empty table", async () => {
    const parent = join(results, "kube-burner");
    for (const run of ["a", "b"]) {
      const d = join(parent, run);
      mkdirSync(d, { recursive: true });
      writeV2Run(
        d,
        run === "a" ? "latency-pod" : "other-pod",
        Array.from({ length: 20 }, (_, i) => podDocV2("x", i, { podReadyLatency: 1000 + i })),
      );
    }
    const r = await report([join(parent, "a"), join(parent, "b"), "--allow-different"], "labels.html");
    assert.equal(r.code, 0, r.err);
    const data = dataOf(r.html);
    assert.deepEqual(
      data.groups.map((g: { label: string }) => g.label),
      ["kube-burner/a", "kube-burner/b"],
    );
    assert.match(data.verdicts[0].empty, /no series in common/);
    assert.match(r.html, /<p class="empty">No rows: no series in common/);
  });

  it("the policy allows only the report's own scripts (sha256 hashes, no 'unsafe-inline'), and an injected script does not run", async (t) => {
    const html = (await report(["plain-before", "plain-after"], "csp.html")).html;
    const policy = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
    const scriptSrc = /script-src ([^;]+)/.exec(policy)![1]!;
    assert.doesNotMatch(scriptSrc, /unsafe-inline/);
    assert.equal(scriptSrc.match(/'sha256-[A-Za-z0-9+/=]+'/g)?.length, 2);
    // The same page with a script slipped in (as if escaping had failed): the browser refuses it.
    writeFileSync(
      join(results, "csp-injected.html"),
      html.replace(
        "<h2>Charts</h2>",
        '<h2>Charts</h2><script>document.body.setAttribute("data-injected","ran")</script>',
      ),
    );
    const o = await open(t, "csp-injected.html", "report-csp.png");
    if (!o) return;
    assert.equal(await o.page.getAttribute("body", "data-injected"), null);
    assert.ok(
      Number(await o.page.getAttribute("body", "data-charts-drawn")) > 0,
      "the report's own scripts ran",
    );
  });

  it("embeds no absolute path of the machine (run folders, home) and renders metadata of any type", async () => {
    const d = jitter(
      "meta",
      "oslat.log",
      renderOslat([2], [Array.from({ length: 32 }, (_, j) => (j === 0 ? 100 : 0))]),
      "oslat",
      {
        node: "worker-0",
        cpus: 4,
        tuned: true,
        nothing: null,
        nested: { list: [1, "two", { three: 3 }], path: join(homedir(), "kubeconfig") },
        variables: { METRICS_DIR: join(results, "meta", "run-1", "collected-metrics") },
      },
    );
    const r = await report(["meta"], "meta.html");
    assert.equal(r.code, 0, r.err);
    assert.ok(!r.html.includes(results), "the results folder's absolute path is in the report");
    assert.ok(!r.html.includes(homedir()), "the home folder is in the report");
    assert.ok(!r.html.includes(d));
    assert.match(r.html, /~\/kubeconfig/);
    assert.match(r.html, /<td class="">4<\/td>/);
    assert.match(r.html, /<td class="">true<\/td>/);
  });

  it("a run recorded on another machine (a bastion's /home/ec2-user, a Mac's /Users, root's /root) shows none of its home folders, and metadata carrying a credential shows none", async () => {
    const token = `ghp_${"a1B2".repeat(9)}`;
    jitter(
      "elsewhere",
      "oslat.log",
      renderOslat([2], [Array.from({ length: 32 }, (_, j) => (j === 0 ? 100 : 0))]),
      "oslat",
      {
        outputDir: "/home/ec2-user/llw/results/elsewhere/run-1",
        kubeconfig: "/Users/alice/.kube/config",
        workload: "/root/low-latency-workshop/benchmarks/oslat/oslat.yml",
        kept: "/srv/root/data",
        repo: `https://x-access-token:${token}@github.com/someone/fork.git`,
        note: `token ${token}`,
      },
    );
    const r = await report(["elsewhere"], "elsewhere.html");
    assert.equal(r.code, 0, r.err);
    for (const leaked of [
      "/home/ec2-user",
      "/Users/alice",
      "/root/low-latency-workshop",
      token,
      "x-access-token",
    ])
      assert.ok(!r.html.includes(leaked), `${leaked} is in the report`);
    assert.match(r.html, /~\/llw\/results\/elsewhere\/run-1/);
    assert.match(r.html, /~\/\.kube\/config/);
    assert.match(r.html, /\/srv\/root\/data/, "a folder that is not a home folder is kept");
    assert.match(
      r.html,
      /https:\/\/&lt;credentials removed&gt;@github\.com\/someone\/fork\.git|https:\/\/<credentials removed>@github\.com/,
    );
    assert.match(r.html, /token &lt;a GitHub token, removed&gt;|token <a GitHub token, removed>/);
  });

  it("the environment reads side by side (a column per run, a row per field, field names on one line); with 8 runs it scrolls inside its own box, never the page", async (t) => {
    const long = Object.fromEntries(
      Array.from({ length: 14 }, (_, i) => [`field${i}`, `${"value-without-spaces-".repeat(4)}${i}`]),
    );
    for (let k = 1; k <= 8; k++) {
      const d = join(results, "wide", `run-${k}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(
        join(d, "oslat.log"),
        renderOslat([2], [Array.from({ length: 32 }, (_, j) => (j === 0 ? 100 : 0))]),
      );
      writeFileSync(
        join(d, "metadata.json"),
        JSON.stringify({ kind: "jitter", tool: "oslat", label: "wide", outputFile: "oslat.log", ...long }),
      );
    }
    const r = await report(["wide"], "wide.html");
    assert.equal(r.code, 0, r.err);
    assert.match(r.html, /<th>wide\/run-1<\/th><th>wide\/run-2<\/th>/);
    assert.match(r.html, /<td class="">field0<\/td><td class="">value-without-spaces-/);
    const o = await open(t, "wide.html", "report-wide-environment.png");
    if (!o) return;
    const w = await o.page.evaluate(() => {
      const table = document.querySelector("table.environment")!;
      const names = [...table.querySelectorAll("tbody td:first-child")].map((td) => {
        const range = document.createRange();
        range.selectNodeContents(td);
        return { name: td.textContent, lines: new Set([...range.getClientRects()].map((x) => x.top)).size };
      });
      return {
        page: document.documentElement.scrollWidth,
        view: window.innerWidth,
        table: table.scrollWidth,
        box: table.parentElement!.clientWidth,
        names,
      };
    });
    assert.ok(w.table > w.box, `8 runs make the table wider than its box (${w.table} > ${w.box})`);
    assert.ok(w.page <= w.view, `the page is ${w.page} px wide in a ${w.view} px window`);
    assert.deepEqual(
      w.names.filter((n) => n.lines !== 1),
      [],
      "field names wrapped",
    );
    assert.deepEqual(o.errors, []);
  });

  it("-o replaces a report it wrote earlier without --force, but not another file", async () => {
    assert.equal((await report(["plain-before"], "again.html")).code, 0);
    assert.equal(
      (await report(["plain-before"], "again.html")).code,
      0,
      "its own earlier report is replaced",
    );
    writeFileSync(join(results, "mine.html"), "<!doctype html><p>my notes</p>");
    const refused = await report(["plain-before"], "mine.html");
    assert.equal(refused.code, 2);
    assert.match(refused.err, /the file exists and is not a report llw wrote/);
    assert.equal(readFileSync(join(results, "mine.html"), "utf8"), "<!doctype html><p>my notes</p>");
    const forced = bufferContext({ cwd: results });
    assert.equal(await main(["report", "plain-before", "--out", "mine.html", "--force"], forced), 0);
  });
});
