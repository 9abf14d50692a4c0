/**
 * Module 5.3 end to end, on the simulated cluster (test/sim: the real HTTP protocol to the real
 * @kubernetes/client-node) with OpenShift monitoring added (sim-monitoring.ts), a stand-in
 * thanos-querier that speaks the Prometheus HTTP API (fake-prometheus.ts) and the FAKE
 * kube-burner, which queries it with the run's metrics profile as kube-burner does and writes
 * kube-burner's metric documents: `llw bench run` finds the route and a token, the token never
 * lands in a file, and `llw bench show` splits CPU use by the PerformanceProfile and names the
 * bottleneck.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { parse } from "yaml";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { readMetricFile } from "../../src/results/kb-metrics.ts";
import { analyseNodeCpu, PROFILE_METRICS } from "../../src/results/node-cpu.ts";
import { launchChromium } from "../helpers/browser.ts";
import { ROOT } from "../helpers/tools.ts";
import { type Sim, start } from "../sim/index.ts";
import {
  type FakePrometheus,
  type NodeScenario,
  type PrometheusScenario,
  startFakePrometheus,
} from "./fake-prometheus.ts";
import { addMonitoring, type Monitoring } from "./sim-monitoring.ts";

const FAKE_BIN = join(ROOT, "test", "results", "bin");
const TOKEN = "sha256~simulated-prometheus-k8s-token-0123456789";
const RESERVED = [0, 24, 48, 72];

/** Every file under a directory, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe("Module 5.3: bench run collects Prometheus metrics, bench show finds the bottleneck (simulated cluster, stand-in Prometheus and kube-burner)", () => {
  let sim: Sim;
  let prom: FakePrometheus;
  let monitoring: Monitoring;
  let nodes: string[];
  const cwd = mkdtempSync(join(tmpdir(), "llw-metrics-"));

  async function llw(args: string[], extra: Record<string, string> = {}) {
    const ctx = bufferContext({
      cwd,
      env: { PATH: `${FAKE_BIN}:${process.env.PATH}`, HOME: cwd, FAKE_JOB_SECONDS: "120", ...extra },
    });
    const code = await main(args, ctx);
    return { code, out: ctx.out(), err: ctx.err() };
  }

  function scenario(reservedBusy: number): PrometheusScenario {
    return {
      nodes: [
        ...nodes.map((node, i) => ({
          node,
          cpus: 96,
          reserved: RESERVED,
          reservedBusy: i === 0 ? reservedBusy : 0.3,
          kernel: (i === 0 ? { 17: { system: 0.04 } } : {}) as NodeScenario["kernel"],
          kubeletCpus: 1.9,
          crioCpus: 1.4,
        })),
        {
          node: "ip-10-0-0-5.us-east-2.compute.internal",
          cpus: 8,
          reserved: [],
          reservedBusy: 0,
          otherBusy: 0.4,
        },
      ],
      apiP99: { POST: 0.4, GET: 0.05 },
      notExported: ["node_softnet_processed_total"],
    };
  }

  before(async () => {
    sim = await start("tuned-c5-metal", { speed: 100 });
    nodes = sim.api
      .list("v1", "Node")
      .filter((n) => "node-role.kubernetes.io/worker-rt" in (n.metadata.labels ?? {}))
      .map((n) => n.metadata.name as string);
    prom = await startFakePrometheus(TOKEN, scenario(0.93));
    monitoring = addMonitoring(sim, { host: prom.url.replace("http://", ""), token: TOKEN });
  });
  after(async () => {
    await prom?.stop();
    await sim?.stop();
  });

  it("bench run finds thanos-querier and a prometheus-k8s token, kube-burner queries with it, and the token is in no file of the run", async () => {
    const r = await llw(["bench", "run", "tuned-pod", "--label", "starved", "--kubeconfig", sim.kubeconfig]);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      new RegExp(
        `metrics: Prometheus at ${prom.url} \\(route openshift-monitoring/thanos-querier; token of prometheus-k8s \\(TokenRequest, 7200 s\\)\\)`,
      ),
    );
    assert.deepEqual(monitoring.issued, [
      { serviceAccount: "openshift-monitoring/prometheus-k8s", expirationSeconds: 7200 },
    ]);
    assert.ok(prom.queries.length >= 8, `${prom.queries.length} queries`);
    assert.ok(
      prom.queries.every((q) => q.authorized),
      "every query carried the token",
    );
    const run = join(cwd, "results", "starved", readdirSync(join(cwd, "results", "starved"))[0]!);
    const all = files(run);
    assert.ok(
      all.some((f) => f.endsWith("metrics-profile.yml")),
      "the profile queried is kept with the run",
    );
    assert.ok(all.some((f) => f.endsWith("nodeCPUModes.json")));
    for (const f of all) assert.ok(!readFileSync(f, "utf8").includes(TOKEN), `the token is in ${f}`);
    assert.ok(!r.err.includes(TOKEN) && !r.out.includes(TOKEN), "the token is in llw's output");
    const meta = JSON.parse(readFileSync(join(run, "metadata.json"), "utf8"));
    assert.deepEqual(meta.prometheus, {
      url: prom.url,
      source: "route openshift-monitoring/thanos-querier; token of prometheus-k8s (TokenRequest, 7200 s)",
    });
    assert.ok(statSync(join(run, "metrics-profile.yml")).size > 0);
  });

  it("bench show splits CPU use into reserved and isolated and names the bottleneck: reserved CPUs starved, kernel time on isolated CPU 17", async () => {
    const run = join("results", "starved", readdirSync(join(cwd, "results", "starved"))[0]!);
    const r = await llw(["bench", "show", run]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /CPU use during the run \(Prometheus, from the workshop's metrics profile\)/);
    assert.match(
      r.out,
      new RegExp(
        `node ${nodes[0]} \\(PerformanceProfile workshop-c5-metal: reserved 0,24,48,72, isolated 1-23,25-47,49-71,73-95\\)`,
      ),
    );
    assert.match(r.out, /latency-pod\s+reserved\s+4\s+8\s+[\d.]+%\s+93\.0%\s+1\.90\s+1\.40/);
    assert.match(r.out, /latency-pod\s+isolated\s+92\s+/);
    assert.match(
      r.out,
      /BOTTLENECK: reserved CPUs 93% busy during latency-pod \(mean \d+%\): kubelet and CRI-O were starved \(kubelet 1\.9 and CRI-O 1\.4 CPUs at their peaks, on 4 reserved CPUs\)/,
    );
    assert.match(
      r.out,
      /WARNING: isolated CPU 17 had 4\.2% system time during latency-pod: something not pinned runs there/,
    );
    assert.match(r.out, /API server P99 during latency-pod: 0\.4 s at its peak \(POST\)/);
    assert.match(r.out, /not collected: softnetProcessed/);
    assert.doesNotMatch(r.out, /ip-10-0-0-5/, "the master node has no profile: not split");
    const js = await llw(["bench", "show", run, "-o", "json"]);
    const v = JSON.parse(js.out);
    assert.equal(v.nodeCpu.nodes.length, 2);
    assert.equal(v.nodeCpu.findings[0].level, "bottleneck");
  });

  it("after more reserved CPUs (the fix), the same run shape has headroom: no bottleneck", async () => {
    await prom.stop();
    prom = await startFakePrometheus(TOKEN, {
      ...scenario(0.41),
      nodes: scenario(0.41).nodes.map((n) => ({ ...n, kernel: {} })),
    });
    sim.api.update("route.openshift.io/v1", "Route", "thanos-querier", "openshift-monitoring", {
      spec: { host: prom.url.replace("http://", "") },
    });
    const r = await llw(["bench", "run", "tuned-pod", "--label", "headroom", "--kubeconfig", sim.kubeconfig]);
    assert.equal(r.code, 0, r.err);
    const run = join("results", "headroom", readdirSync(join(cwd, "results", "headroom"))[0]!);
    const show = await llw(["bench", "show", run]);
    assert.doesNotMatch(show.out, /BOTTLENECK/);
    assert.match(show.out, /ok: reserved CPUs peaked at 41% during latency-pod: housekeeping had headroom/);
    assert.match(
      show.out,
      /ok: no isolated CPU spent 2% or more of its time in the kernel during latency-pod/,
    );
  });

  it("the report plots CPU use over the job (reserved vs isolated) and per CPU, and lists the findings (Chromium)", async (t) => {
    const r = await llw(["report", "starved", "headroom", "--out", "cpu.html"]);
    assert.equal(r.code, 0, r.err);
    const html = readFileSync(join(cwd, "cpu.html"), "utf8");
    assert.match(html, /<h2>Where the time went<\/h2>/);
    assert.match(
      html,
      /<td class="BOTTLENECK">BOTTLENECK<\/td><td class="">reserved CPUs 93% busy during latency-pod/,
    );
    const browser = await launchChromium(t);
    if (!browser) return;
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(join(cwd, "cpu.html")).href);
      await page.waitForSelector("body[data-charts-drawn]");
      mkdirSync(join(ROOT, "test-artifacts", "report"), { recursive: true });
      await page.screenshot({
        path: join(ROOT, "test-artifacts", "report", "report-node-cpu.png"),
        fullPage: true,
      });
      const titles = await page.locator("figcaption").allInnerTexts();
      const timeline = titles.findIndex((x) =>
        /^starved: CPU busy on .* during latency-pod, reserved vs isolated/.test(x),
      );
      const perCpu = titles.findIndex((x) =>
        /^starved: each CPU of .* during latency-pod, mean busy/.test(x),
      );
      assert.ok(timeline >= 0 && perCpu >= 0, titles.join(" | "));
      const drawn = await page.evaluate(() => {
        const g = globalThis as unknown as {
          Chart: {
            instances: Record<
              string,
              {
                config: {
                  type: string;
                  data: { datasets: { label: string; data: { x: number; y: number | null }[] }[] };
                };
                canvas: { id: string };
              }
            >;
          };
        };
        return Object.values(g.Chart.instances).map((c) => ({
          labels: c.config.data.datasets.map((d) => d.label),
          points: c.config.data.datasets.reduce(
            (n, d) => n + d.data.filter((p) => p && p.y !== null).length,
            0,
          ),
        }));
      });
      const lines = drawn.find((d) => d.labels.some((l) => l.startsWith("reserved (4 CPUs)")));
      assert.ok(lines && lines.points > 10, JSON.stringify(drawn.map((d) => d.labels)));
      const bars = drawn.find((d) => d.labels.includes("isolated: kernel (system, irq, softirq)"));
      assert.ok(bars && bars.points >= 96, "a bar per CPU");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  it("a token Prometheus refuses: the run is stored, bench show says what was not collected", async () => {
    const r = await llw([
      "bench",
      "run",
      "tuned-pod",
      "--label",
      "refused",
      "--kubeconfig",
      sim.kubeconfig,
      "--prometheus-token",
      "wrong",
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /Error found with query .*401 Unauthorized/);
    const run = join("results", "refused", readdirSync(join(cwd, "results", "refused"))[0]!);
    const show = await llw(["bench", "show", run]);
    assert.equal(show.code, 0, show.err);
    assert.doesNotMatch(show.out, /CPU use during the run/);
  });

  it("no monitoring route: the run happens without metrics and says so; --set PROMETHEUS_TOKEN is refused", async () => {
    sim.api.remove("route.openshift.io/v1", "Route", "thanos-querier", "openshift-monitoring");
    const r = await llw(["bench", "run", "tuned-pod", "--label", "no-route", "--kubeconfig", sim.kubeconfig]);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      /metrics: not collected \(no thanos-querier route in openshift-monitoring \(is cluster monitoring installed\?\)\)/,
    );
    const refused = await llw(["bench", "run", "tuned-pod", "--set", "PROMETHEUS_TOKEN=x", "--no-metadata"]);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /would be stored in the run's metadata/);
  });
});

describe("node CPU analysis (unit)", () => {
  const doc = (
    metricName: string,
    labels: Record<string, string>,
    value: number,
    t = "2026-11-27T20:00:00Z",
  ) => ({
    timestamp: t,
    labels,
    value,
    metricName,
    jobName: "j",
  });

  it("a node without a PerformanceProfile in the metadata: no split, a note that says how to give one", () => {
    const a = analyseNodeCpu(
      new Map([["nodeCPUModes", [doc("nodeCPUModes", { instance: "n", cpu: "0", mode: "user" }, 0.5)]]]),
      [],
      [],
    );
    assert.equal(a.nodes.length, 0);
    assert.match(a.notes.join(), /pass bench show --profile-file FILE/);
  });

  it("finds the tuned node by its CPU count when the metadata has no node roles, and reads irq time as interrupts", () => {
    const docs = new Map([
      [
        "nodeCPUCount",
        [doc("nodeCPUCount", { instance: "metal" }, 8), doc("nodeCPUCount", { instance: "small" }, 4)],
      ],
      [
        "nodeCPUModes",
        ["2026-11-27T20:00:00Z", "2026-11-27T20:00:15Z"].flatMap((t) => [
          doc("nodeCPUModes", { instance: "metal", cpu: "0", mode: "system" }, 0.9, t),
          doc("nodeCPUModes", { instance: "metal", cpu: "5", mode: "irq" }, 0.05, t),
        ]),
      ],
    ]);
    const a = analyseNodeCpu(docs, [{ name: "p", reserved: [0, 1], isolated: [2, 3, 4, 5, 6, 7] }], []);
    assert.deepEqual(
      a.nodes.map((n) => n.node),
      ["metal"],
    );
    assert.equal(a.nodes[0]!.jobs[0]!.reserved!.peakPct, 45);
    assert.match(
      a.findings.map((f) => f.text).join("\n"),
      /isolated CPU 5 had 5% irq time during j: interrupts are served there/,
    );
    assert.match(
      a.notes.join("\n"),
      /no node roles: PerformanceProfile p is taken to tune the nodes with 8 CPUs \(metal\); an untuned node of the same size would be counted too/,
    );
  });

  it("a run whose nodes carry roles, none of them the profile's: no node is split, even one with the profile's CPU count", () => {
    const docs = new Map([
      ["nodeCPUCount", [doc("nodeCPUCount", { instance: "untuned" }, 8)]],
      ["nodeCPUModes", [doc("nodeCPUModes", { instance: "untuned", cpu: "5", mode: "irq" }, 0.5)]],
    ]);
    const a = analyseNodeCpu(
      docs,
      [
        {
          name: "p",
          reserved: [0, 1],
          isolated: [2, 3, 4, 5, 6, 7],
          nodeSelector: { "node-role.kubernetes.io/worker-rt": "" },
        },
      ],
      [{ name: "untuned", roles: ["worker"] }],
    );
    assert.deepEqual(a.nodes, []);
    assert.deepEqual(a.findings, []);
    assert.match(a.notes.join("\n"), /no metrics for the nodes of PerformanceProfile p/);
  });
  /** Reserved CPUs 0-1 of a 4-CPU node busy at `busy` (a share of each CPU) at each time. */
  const reservedAt = (points: [string, number][]) =>
    new Map([
      ["nodeCPUCount", [doc("nodeCPUCount", { instance: "n" }, 4)]],
      [
        "nodeCPUModes",
        points.flatMap(([t, busy]) =>
          [0, 1].map((cpu) =>
            doc("nodeCPUModes", { instance: "n", cpu: String(cpu), mode: "system" }, busy, t),
          ),
        ),
      ],
    ]);
  const profile = [{ name: "p", reserved: [0, 1], isolated: [2, 3] }];

  it("the point at a job's start (its rate looks back to before the job) is left out: a busy moment before the job is not the job's bottleneck", () => {
    const docs = reservedAt([
      ["2026-11-27T20:00:00Z", 0.97],
      ["2026-11-27T20:00:15Z", 0.3],
      ["2026-11-27T20:00:30Z", 0.35],
    ]);
    const a = analyseNodeCpu(docs, profile, [], new Map([["j", "2026-11-27T20:00:00Z"]]));
    const job = a.nodes[0]!.jobs[0]!;
    assert.equal(job.points, 2);
    assert.equal(job.reserved!.peakPct, 35);
    assert.equal(job.reserved!.meanPct, 32.5);
    assert.deepEqual(
      a.findings.map((f) => f.level),
      ["ok", "ok"],
    );
    // Without the job's start (no job summary) every point counts, as before.
    assert.equal(analyseNodeCpu(docs, profile, []).nodes[0]!.jobs[0]!.reserved!.peakPct, 97);
  });

  it("a job with fewer than two points inside it gets no verdict, and says why, however busy that point was", () => {
    const docs = reservedAt([
      ["2026-11-27T20:00:00Z", 0.1],
      ["2026-11-27T20:00:15Z", 0.95],
    ]);
    const a = analyseNodeCpu(docs, profile, [], new Map([["j", "2026-11-27T20:00:00Z"]]));
    assert.deepEqual(
      a.findings.map((f) => [f.level, f.text]),
      [
        [
          "no verdict",
          "1 point of CPU use inside j: too few for a finding (2 needed); run the job for longer than two steps of the metrics query",
        ],
      ],
    );
    assert.equal(a.nodes[0]!.jobs[0]!.reserved!.peakPct, 95, "the figure is still shown");
    const none = analyseNodeCpu(docs, profile, [], new Map([["j", "2026-11-27T20:00:30Z"]]));
    assert.deepEqual(none.nodes[0]!.jobs, [], "no point inside the job: no figures");
    assert.match(none.findings[0]!.text, /^0 points of CPU use inside j/);
  });

  it('points are in time order although Go cuts trailing zeros of the fraction ("20:00:15Z" sorts after "20:00:15.25Z" as text)', () => {
    const docs = reservedAt([
      ["2026-11-27T20:00:15.25Z", 0.6],
      ["2026-11-27T20:00:15Z", 0.4],
      ["2026-11-27T20:00:14.5Z", 0.2],
    ]);
    const job = analyseNodeCpu(docs, profile, []).nodes[0]!.jobs[0]!;
    assert.deepEqual(
      job.timeline.map((x) => [x.t, x.reservedPct]),
      [
        ["2026-11-27T20:00:14.5Z", 20],
        ["2026-11-27T20:00:15Z", 40],
        ["2026-11-27T20:00:15.25Z", 60],
      ],
    );
    assert.equal(job.from, "2026-11-27T20:00:14.5Z");
    assert.equal(job.to, "2026-11-27T20:00:15.25Z");
  });
});

describe("the workshop's metrics profile (benchmarks/metrics/metrics-profile.yml)", () => {
  it("decodes as kube-burner reads it (a list of query, metricName, instant, captureStart; query and metricName set) and holds every metric bench show reads, once", () => {
    // kube-burner pkg/prometheus/prometheus.go ReadProfile: yaml.Decoder with KnownFields(true)
    // into []metricDefinition{Query, MetricName, Instant, CaptureStart}; an empty query or
    // metricName is fatal.
    const list = parse(readFileSync(join(ROOT, "benchmarks", "metrics", "metrics-profile.yml"), "utf8"));
    assert.ok(Array.isArray(list) && list.length > 0);
    for (const [i, m] of (list as Record<string, unknown>[]).entries()) {
      assert.deepEqual(
        Object.keys(m).filter((k) => !["query", "metricName", "instant", "captureStart"].includes(k)),
        [],
        `entry ${i + 1}`,
      );
      assert.ok(typeof m.query === "string" && m.query.trim(), `entry ${i + 1}: query`);
      assert.ok(typeof m.metricName === "string" && m.metricName, `entry ${i + 1}: metricName`);
      for (const b of ["instant", "captureStart"]) assert.ok(m[b] === undefined || typeof m[b] === "boolean");
    }
    const names = (list as { metricName: string }[]).map((m) => m.metricName);
    assert.deepEqual([...names].sort(), [...PROFILE_METRICS].sort());
  });
});

describe("metric documents reader (property, bounded work)", () => {
  const dir = mkdtempSync(join(tmpdir(), "llw-metric-docs-"));
  const docArb = fc.record({
    timestamp: fc
      .integer({ min: 1_700_000_000, max: 1_900_000_000 })
      .map((t) => new Date(t * 1000).toISOString()),
    labels: fc.dictionary(
      fc.constantFrom("instance", "cpu", "mode", "node", "verb"),
      fc.string({ maxLength: 12 }),
    ),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    uuid: fc.uuid(),
    query: fc.string({ maxLength: 40 }),
    metricName: fc.constantFrom("nodeCPUModes", "kubeletCPU", "apiserverP99"),
    jobName: fc.string({ minLength: 1, maxLength: 10 }),
  });

  it("any list of kube-burner metric documents reads back as written; a document with a non-numeric value is an error naming it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(docArb, { maxLength: 30 }), fc.nat(), async (docs, pick) => {
        const file = join(dir, "m.json");
        writeFileSync(file, JSON.stringify(docs));
        const read = await readMetricFile(file);
        assert.deepEqual(
          read,
          docs.map((d) => ({
            ...d,
            labels: Object.fromEntries(Object.entries(d.labels)),
            value: d.value === 0 ? 0 : d.value,
          })),
        );
        if (docs.length) {
          const i = pick % docs.length;
          const broken = docs.map((d, k) => (k === i ? { ...d, value: "NaN" } : d));
          writeFileSync(file, JSON.stringify(broken));
          await assert.rejects(
            readMetricFile(file),
            new RegExp(`metric document ${i + 1}: "value" is "NaN"`),
          );
        }
      }),
      { numRuns: 50 },
    );
  });

  it("a 40 MB metric file is read in one pass (the runner's timeout is the hang guard)", {
    timeout: 120_000,
  }, async () => {
    const doc = (i: number) =>
      `{"timestamp":"2026-11-27T20:00:${String(i % 60).padStart(2, "0")}Z","labels":{"instance":"n","cpu":"${i % 96}","mode":"user"},"value":0.5,"uuid":"u","query":"q","metricName":"nodeCPUModes","jobName":"j"}`;
    const n = 250_000;
    const file = join(dir, "big.json");
    writeFileSync(file, `[${Array.from({ length: n }, (_, i) => doc(i)).join(",")}]`);
    assert.ok(statSync(file).size > 40_000_000);
    assert.equal((await readMetricFile(file))!.length, n);
  });
});
