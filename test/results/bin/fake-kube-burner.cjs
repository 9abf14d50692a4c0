// FAKE kube-burner for tests: not the real tool. It accepts `version` and `init -c <config>
// --uuid <uuid>`, prints log lines the way kube-burner does, and writes real-format local-indexer
// output (podLatencyMeasurement-<job>.json, podLatencyQuantilesMeasurement-<job>.json,
// jobSummary.json) into $METRICS_DIR with $ITERATIONS pods. FAKE_KUBE_BURNER_EXIT sets its exit
// code; FAKE_KUBE_BURNER_NO_METRICS=1 makes it fail before writing anything;
// FAKE_KUBE_BURNER_SLEEP_MS makes the run last that long.
// Like kube-burner (pkg/prometheus/prometheus.go ScrapeJobsMetrics), when the rendered config's
// metricsEndpoints entry has an endpoint and metrics profiles, it runs each profile query against
// that Prometheus with the entry's bearer token over the job's start..end (FAKE_JOB_SECONDS long,
// step from the entry, 30s by default; `instant: true` at the end) and writes the points as
// metric documents {timestamp, labels, value, uuid, query, metricName, jobName, metadata} to
// <metricsDirectory>/<metricName>.json, appending as go-commons' local indexer does.
const fs = require("node:fs");
const path = require("node:path");
const args = process.argv.slice(2);
if (args[0] === "version") {
  console.log("Version: 2.7.3 (fake for tests)\nGit Commit: 0000000\nBuild Date: 2026-01-01");
  process.exit(0);
}
if (args[0] !== "init") {
  console.error(`fake kube-burner: unknown command ${args[0]}`);
  process.exit(1);
}
const config = args[args.indexOf("-c") + 1];
const uuid = args[args.indexOf("--uuid") + 1];
const raw = fs.readFileSync(config, "utf8");
// The Go-template subset the workshop's configs use: {{- if .X }}...{{- end }} and {{.X}}, from
// the environment (kube-burner renders the config with its environment variables).
const text = raw
  .replace(/\s*\{\{-\s*if\s+\.(\w+)\s*\}\}([\s\S]*?)\s*\{\{-\s*end\s*\}\}/g, (_, v, body) =>
    process.env[v] ? body : "",
  )
  .replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, v) => process.env[v] ?? "");
const job = /jobs:\s*\n\s*-\s*name:\s*(\S+)/.exec(text)[1];
// The job's start and end: kube-burner's range queries run over exactly the span its job summary
// records (pkg/burner/job.go: Timestamp job.Start, EndTimestamp job.End; pkg/prometheus/
// prometheus.go: runRangeQuery(..., jobStart, jobEnd)).
const jobEnd = Math.floor(Date.now() / 1000);
const jobStart = jobEnd - Number(process.env.FAKE_JOB_SECONDS || 120);
const rfc3339 = (s) => new Date(s * 1000).toISOString().replace(/\.000Z$/, "Z");
// Like kube-burner (pkg/prometheus/prometheus.go ReadProfile, before any job runs): a metrics
// profile is a list of {query, metricName, instant, captureStart}, decoded with KnownFields(true),
// query and metricName required; anything else is fatal.
for (const ep of (() => {
  try {
    return require("yaml").parse(text).metricsEndpoints || [];
  } catch {
    return [];
  }
})()) {
  if (!ep.endpoint) continue;
  for (const profile of ep.metrics || []) {
    const fatal = (m) => {
      console.error(
        `time="2026-11-27 20:00:00" level=fatal msg="error decoding metrics profile ${profile}: ${m}"`,
      );
      process.exit(1);
    };
    const list = require("yaml").parse(fs.readFileSync(profile, "utf8"));
    if (!Array.isArray(list)) fatal("not a list");
    list.forEach((m, i) => {
      const unknown = Object.keys(m || {}).filter(
        (k) => !["query", "metricName", "instant", "captureStart"].includes(k),
      );
      if (unknown.length) fatal(`field ${unknown[0]} not found in type prometheus.metricDefinition`);
      if (!m.query) fatal(`query not defined in query number ${i + 1}`);
      if (!m.metricName) fatal(`metricName not defined in query number ${i + 1}`);
    });
  }
}
const log = (m) => console.log(`time="2026-11-27 20:00:00" level=info msg="${m}" file="job.go:100"`);
log(`🔥 Starting kube-burner (2.7.3@0000000) with UUID ${uuid}`);
if (process.env.FAKE_KUBE_BURNER_NO_METRICS) {
  console.error(
    'time="2026-11-27 20:00:01" level=fatal msg="error creating clientset: no configuration has been provided"',
  );
  process.exit(1);
}
const n = Number(process.env.ITERATIONS || 10);
const base = Number(process.env.FAKE_READY_MS || 2000);
log(`Triggering job: ${job}`);
// FAKE_KUBE_BURNER_SLEEP_MS: a long run (its pid in FAKE_KUBE_BURNER_PIDFILE), to be interrupted.
if (process.env.FAKE_KUBE_BURNER_SLEEP_MS) {
  if (process.env.FAKE_KUBE_BURNER_PIDFILE)
    fs.writeFileSync(process.env.FAKE_KUBE_BURNER_PIDFILE, String(process.pid));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.FAKE_KUBE_BURNER_SLEEP_MS));
}
const docs = [];
for (let i = 0; i < n; i++) {
  const ready = base + ((i * 7919) % 1000);
  docs.push({
    timestamp: "2026-11-27T20:00:00Z",
    schedulingLatency: i % 5,
    initializedLatency: Math.round(ready / 3),
    containersReadyLatency: ready,
    podReadyLatency: ready,
    readyToStartContainersLatency: Math.round(ready / 2),
    containersStartedLatency: ready - 10,
    metricName: "podLatencyMeasurement",
    uuid,
    jobName: job,
    jobIteration: i,
    replica: 1,
    namespace: job,
    podName: `${job}-${i}-1`,
    nodeName: "worker-0",
  });
}
const dir = process.env.METRICS_DIR;
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, `podLatencyMeasurement-${job}.json`), JSON.stringify(docs, null, 2));
fs.writeFileSync(
  path.join(dir, `podLatencyQuantilesMeasurement-${job}.json`),
  JSON.stringify(
    [
      {
        quantileName: "Ready",
        uuid,
        P99: base + 990,
        P95: base + 950,
        P50: base + 500,
        max: base + 999,
        avg: base + 500,
        metricName: "podLatencyQuantilesMeasurement",
        jobName: job,
      },
    ],
    null,
    2,
  ),
);
fs.writeFileSync(
  path.join(dir, "jobSummary.json"),
  JSON.stringify([
    {
      timestamp: rfc3339(jobStart),
      endTimestamp: rfc3339(jobEnd),
      elapsedTime: jobEnd - jobStart,
      uuid,
      metricName: "jobSummary",
      jobConfig: { name: job },
      version: "2.7.3@0000000",
      passed: true,
    },
  ]),
);
log(`${job}: Ready 50th: ${base + 500} 99th: ${base + 990}`);

async function scrape() {
  const { parse } = require("yaml");
  const cfg = parse(text);
  const end = jobEnd;
  const start = jobStart;
  for (const ep of cfg.metricsEndpoints || []) {
    if (!ep.endpoint || !(ep.metrics || []).length) continue;
    const step = Number.parseFloat(String(ep.step || "30s")) || 30;
    const outDir = ep.indexer?.metricsDirectory || dir;
    log(`👽 Initializing prometheus client with URL: ${ep.endpoint}`);
    for (const profile of ep.metrics) {
      log(`🔍 Collecting prometheus metrics for job ${job}; endpoint: ${ep.endpoint}; profile: ${profile}`);
      for (const m of parse(fs.readFileSync(profile, "utf8"))) {
        const q = new URLSearchParams({ query: m.query });
        if (m.instant) q.set("time", String(end));
        else {
          q.set("start", String(start));
          q.set("end", String(end));
          q.set("step", String(step));
        }
        const res = await fetch(`${ep.endpoint}/api/v1/${m.instant ? "query" : "query_range"}?${q}`, {
          headers: ep.token ? { authorization: `Bearer ${ep.token}` } : {},
        });
        if (!res.ok) {
          log(`Error found with query ${m.query}: ${res.status} ${(await res.text()).trim()}`);
          continue;
        }
        const body = await res.json();
        const docs = [];
        for (const r of body.data.result) {
          const labels = { ...r.metric };
          delete labels.__name__;
          for (const [t, v] of m.instant ? [r.value] : r.values) {
            const value = Number(v);
            docs.push({
              timestamp: rfc3339(t),
              labels,
              value: Number.isNaN(value) ? 0 : value,
              uuid,
              query: m.query,
              metricName: m.metricName,
              jobName: job,
              metadata: {},
            });
          }
        }
        if (!docs.length) {
          log(`No datapoints returned from metric ${m.metricName} for job ${job}`);
          continue;
        }
        const file = path.join(outDir, `${m.metricName}.json`);
        const old = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : [];
        fs.writeFileSync(file, JSON.stringify(old.concat(docs)));
        log(`Indexing [${docs.length}] documents from metric ${m.metricName}`);
      }
    }
  }
}

scrape().then(
  () => process.exit(Number(process.env.FAKE_KUBE_BURNER_EXIT || 0)),
  (e) => {
    console.error(`fake kube-burner: ${e.stack || e}`);
    process.exit(1);
  },
);
