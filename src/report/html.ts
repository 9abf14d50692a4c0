/**
 * Renders the report model as one HTML file: Chart.js (its UMD bundle, read from the installed
 * package) and the data are inlined, and a Content-Security-Policy forbids every fetch, so the
 * page opens offline and cannot reach the network. Tables are plain HTML so the verdicts and
 * the environment read fine even with scripts disabled.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { COMPARE_HEAD } from "../results/format.ts";
import type { ReportModel } from "./model.ts";

/** Marks a file as this command's output, so `report -o FILE` may replace it without --force. */
const GENERATOR = '<meta name="generator" content="llw report">';

/** True for a file `renderHtml` wrote (the generator mark in its head). */
export function isOwnReport(text: string): boolean {
  const head = text.slice(0, 2048);
  return head.startsWith("<!doctype html>") && head.includes(GENERATOR);
}

/**
 * Scripts run only when their exact text has the hash named in the policy (CSP Level 2
 * 'sha256-...' sources): no 'unsafe-inline', so text that escaped into the page could not run.
 * Styles keep 'unsafe-inline': Chart.js sizes its canvases with style attributes.
 */
function csp(scripts: string[]): string {
  const hashes = scripts.map((s) => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`);
  return `default-src 'none'; script-src ${hashes.join(" ")}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
}

export function chartJsBundle(): string {
  const require = createRequire(import.meta.url);
  // The UMD bundle is not in the package's exports map: find it beside the CommonJS entry.
  return readFileSync(join(dirname(require.resolve("chart.js")), "chart.umd.min.js"), "utf8");
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** JSON that is safe inside a <script> element. */
function scriptJson(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A table in a box of the page's width that scrolls sideways when the table is wider. */
function table(head: string[], rows: string[][], cls = ""): string {
  return `<div class="wide"><table class="${cls}"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td class="${/^(regressed|improved|BOTTLENECK)$/.test(c) ? c : ""}">${escapeHtml(c)}</td>`).join("")}</tr>`,
    )
    .join("")}</tbody></table></div>`;
}

function metaValue(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "object") {
    const s = JSON.stringify(v);
    return s.length > 300 ? `${s.slice(0, 300)}…` : s;
  }
  return String(v);
}

const DRAW = `
(function () {
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var palette = ["#6b7280", "#0f766e", "#b45309", "#7c3aed", "#be123c", "#1d4ed8"];
  Chart.defaults.animation = false;
  Chart.defaults.font.family = "system-ui, sans-serif";
  function hatch(color) {
    var c = document.createElement("canvas");
    c.width = 8; c.height = 8;
    var g = c.getContext("2d");
    g.fillStyle = "#ffffff"; g.fillRect(0, 0, 8, 8);
    g.strokeStyle = color; g.lineWidth = 2;
    g.beginPath(); g.moveTo(0, 8); g.lineTo(8, 0); g.stroke();
    return g.createPattern(c, "repeat");
  }
  var drawn = 0;
  data.charts.forEach(function (c) {
    var el = document.getElementById(c.id);
    var unit = " (" + c.unit + ")";
    var cfg;
    if (c.kind === "cdf" && c.tail) {
      cfg = { type: "scatter", data: { datasets: c.lines.map(function (l, i) {
        return { label: l.label, showLine: true, pointRadius: 0, borderWidth: 2, borderColor: palette[i % palette.length],
          backgroundColor: palette[i % palette.length], stepped: "before",
          data: l.points.map(function (p) { return { x: p[0], y: Math.max((1 - p[1]) * 100, c.tail.minPct) }; }) };
      }) }, options: { scales: { x: { title: { display: true, text: "latency" + unit } },
        y: { type: "logarithmic", max: 100, title: { display: true, text: "% of samples above (log)" } } } } };
    } else if (c.kind === "cdf") {
      cfg = { type: "scatter", data: { datasets: c.lines.map(function (l, i) {
        return { label: l.label, showLine: true, pointRadius: 0, borderWidth: 2, borderColor: palette[i % palette.length],
          backgroundColor: palette[i % palette.length], stepped: "before",
          data: l.points.map(function (p) { return { x: p[0], y: p[1] * 100 }; }) };
      }) }, options: { scales: { x: { title: { display: true, text: "latency" + unit } },
        y: { min: 0, max: 100, title: { display: true, text: "% of samples at or below" } } } } };
    } else if (c.kind === "percentiles") {
      cfg = { type: "bar", data: { labels: c.bars.labels, datasets: c.bars.groups.map(function (g, i) {
        var color = palette[i % palette.length];
        return { label: g.label, data: g.values.map(function (v) { return v === null ? null : v; }),
          backgroundColor: g.bounds.map(function (b) { return b ? hatch(color) : color; }),
          borderColor: color, borderWidth: g.bounds.map(function (b) { return b ? 2 : 0; }), bounds: g.bounds };
      }) }, options: { scales: { y: c.bars.log
          ? { type: "logarithmic", title: { display: true, text: "latency" + unit + ", log scale" } }
          : { beginAtZero: true, title: { display: true, text: "latency" + unit } } },
        plugins: { tooltip: { callbacks: { label: function (t) {
          var b = t.dataset.bounds[t.dataIndex];
          return t.dataset.label + ": " + (b ? b + " (a bound)" : t.formattedValue);
        } } } } } };
    } else if (c.kind === "timeline") {
      cfg = { type: "scatter", data: { datasets: c.timeline.lines.map(function (l, i) {
        var color = l.set === "reserved" ? ["#be123c", "#f97316", "#a16207"][Math.floor(i / 2) % 3] : ["#0f766e", "#1d4ed8", "#7c3aed"][Math.floor(i / 2) % 3];
        return { label: l.label, showLine: true, pointRadius: 2, borderWidth: 2, borderColor: color, backgroundColor: color,
          data: l.points.map(function (p) { return { x: p[0], y: p[1] }; }) };
      }) }, options: { scales: { x: { type: "linear", title: { display: true, text: "seconds into the job" } },
        y: { min: 0, max: 100, title: { display: true, text: "CPUs of the set busy (%)" } } } } };
    } else if (c.kind === "cpus") {
      var colors = ["#be123c", "#fda4af", "#0f766e", "#99f6e4"];
      cfg = { type: "bar", data: { datasets: c.cpus.stacks.map(function (s, i) {
        return { label: s.label, backgroundColor: colors[i % colors.length], barPercentage: 1, categoryPercentage: 1,
          data: s.values.map(function (v, k) { return { x: c.cpus.cpus[k], y: v > 0 ? v : null }; }) };
      }) }, options: { scales: { x: { type: "linear", stacked: true, offset: true, ticks: { precision: 0 }, title: { display: true, text: "CPU" } },
        y: { stacked: true, min: 0, max: 100, title: { display: true, text: "busy (%)" } } } } };
    } else {
      cfg = { type: "bar", data: { datasets: c.histogram.groups.map(function (g, i) {
        return { label: g.label, data: g.counts.map(function (x, k) { return { x: c.histogram.buckets[k], y: x > 0 ? x : null }; }),
          backgroundColor: palette[i % palette.length], barPercentage: 1, categoryPercentage: 0.9 };
      }) }, options: { scales: { x: { type: "linear", offset: true, ticks: { precision: 0 }, title: { display: true, text: "latency" + unit } },
        y: { type: "logarithmic", title: { display: true, text: "samples (log)" } } } } };
    }
    cfg.options.plugins = Object.assign({ title: { display: false }, legend: { position: "bottom" } }, cfg.options.plugins || {});
    cfg.options.maintainAspectRatio = false;
    new Chart(el, cfg);
    el.setAttribute("data-drawn", "true");
    drawn++;
  });
  document.body.setAttribute("data-charts-drawn", String(drawn));
})();
`;

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #111827; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #e5e7eb; }
.sub { color: #6b7280; margin-top: 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 1.2rem; }
figure { margin: 0; border: 1px solid #e5e7eb; border-radius: 6px; padding: 0.6rem; }
figcaption { font-weight: 600; margin-bottom: 0.3rem; } .plot { position: relative; height: 280px; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #e5e7eb; padding: 0.25rem 0.5rem; text-align: left; }
.wide { overflow-x: auto; max-width: 100%; }
.environment td { min-width: 12rem; overflow-wrap: anywhere; } .environment td:first-child { min-width: 0; font-weight: 600; white-space: nowrap; }
th { background: #f9fafb; } td.regressed, td.BOTTLENECK { color: #b91c1c; font-weight: 600; } td.improved { color: #047857; font-weight: 600; }
.summary { font-size: 1.05rem; } .warn { color: #92400e; } .note { color: #4b5563; font-size: 0.85rem; margin: 0.3rem 0 0; }
.empty { color: #92400e; } .headline { color: #4b5563; font-size: 0.85rem; }
`;

/** Where the CPU time went, per group and run: bottlenecks first. */
function findings(model: ReportModel): string {
  if (!model.findings.length) return "";
  const rows = model.findings.map((f) => [
    f.group,
    f.run,
    f.node,
    f.level === "bottleneck" ? "BOTTLENECK" : f.level,
    f.text,
  ]);
  return `<h2>Where the time went</h2><p class="note">From Prometheus during each run (the workshop's metrics profile), split by the node's PerformanceProfile.</p>${table(["label", "run", "node", "", "finding"], rows, "findings")}`;
}

export function renderHtml(model: ReportModel, chartJs: string = chartJsBundle()): string {
  const verdicts = model.verdicts
    .map(
      (v) =>
        `<p class="summary"><b>${escapeHtml(v.candidate)}</b> vs <b>${escapeHtml(v.baseline)}</b>: ` +
        `${v.regressions} regressed, ${v.improvements} improved</p>` +
        (v.headline ? `<p class="headline">${escapeHtml(v.headline)}</p>` : "") +
        (v.empty
          ? `<p class="empty">No rows: ${escapeHtml(v.empty)}.</p>`
          : table(COMPARE_HEAD, v.rows, "verdicts")) +
        (v.unmatched.length && !v.empty
          ? `<p class="note">Only on one side (not compared): ${escapeHtml(v.unmatched.join(", "))}</p>`
          : ""),
    )
    .join("");
  const charts = model.charts
    .map(
      (c) =>
        `<figure><figcaption>${escapeHtml(c.title)}</figcaption><div class="plot"><canvas id="${c.id}" role="img" aria-label="${escapeHtml(c.title)}"></canvas></div>` +
        `${c.note ? `<p class="note">${escapeHtml(c.note)}</p>` : ""}</figure>`,
    )
    .join("");
  const shown = new Set(["label", "run", "kind"]);
  const keys = [...new Set(model.groups.flatMap((g) => g.runs.flatMap((r) => Object.keys(r.metadata))))]
    .filter((k) => !shown.has(k))
    .sort();
  // One column per run, one row per field: the runs' environments read side by side (a run's
  // metadata has a dozen fields or more; as columns they would not fit a page).
  const runs = model.groups.flatMap((g) => g.runs.map((r) => ({ label: g.label, r })));
  const envHead = ["", ...runs.map(({ label, r }) => `${label}/${r.id}`)];
  const envRows = [
    ["kind", ...runs.map(({ r }) => r.kind)],
    ["directory", ...runs.map(({ r }) => r.dir)],
    ...keys.map((k) => [k, ...runs.map(({ r }) => metaValue(r.metadata[k]))]),
  ];
  const warnings = model.warnings.length
    ? `<h2>Warnings</h2><ul>${model.warnings.map((w) => `<li class="warn">${escapeHtml(w)}</li>`).join("")}</ul>`
    : "";
  const bundle = chartJs.replace(/<\/script/gi, "<\\/script");
  const noVerdicts =
    model.groups.length < 2
      ? "One group only: nothing to compare."
      : "No two groups measured the same thing: nothing to compare (see the warnings).";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${GENERATOR}
<meta http-equiv="Content-Security-Policy" content="${csp([bundle, DRAW])}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(model.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(model.title)}</h1>
<p class="sub">Generated ${escapeHtml(model.generatedAt)} by llw report. Percentiles are recomputed from the raw samples (nearest rank); bounds read "≥" or "&lt;".</p>
<h2>Verdicts</h2>
${verdicts || `<p class="empty">${noVerdicts}</p>`}
<h2>Charts</h2>
<div class="charts">${charts}</div>
${findings(model)}
<h2>Environment</h2>
${table(envHead, envRows, "environment")}
${warnings}
<script>${bundle}</script>
<script type="application/json" id="report-data">${scriptJson(model)}</script>
<script>${DRAW}</script>
</body>
</html>
`;
}
