/**
 * Renders the report model as one HTML file: Chart.js (its UMD bundle, read from the installed
 * package) and the data are inlined, and a Content-Security-Policy forbids every fetch, so the
 * page opens offline and cannot reach the network. Tables are plain HTML so the verdicts and
 * the environment read fine even with scripts disabled.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { COMPARE_HEAD } from "../results/format.ts";
import type { ReportModel } from "./model.ts";

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

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

function table(head: string[], rows: string[][], cls = ""): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td class="${/^(regressed|improved)$/.test(c) ? c : ""}">${escapeHtml(c)}</td>`).join("")}</tr>`,
    )
    .join("")}</tbody></table>`;
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
        return { label: g.label, data: g.values, backgroundColor: palette[i % palette.length] };
      }) }, options: { scales: { y: { beginAtZero: true, title: { display: true, text: "latency" + unit } } } } };
    } else {
      cfg = { type: "bar", data: { labels: c.histogram.buckets, datasets: c.histogram.groups.map(function (g, i) {
        return { label: g.label, data: g.counts.map(function (x) { return x > 0 ? x : null; }),
          backgroundColor: palette[i % palette.length], barPercentage: 1, categoryPercentage: 0.9 };
      }) }, options: { scales: { x: { title: { display: true, text: "latency" + unit } },
        y: { type: "logarithmic", title: { display: true, text: "samples (log)" } } } } };
    }
    cfg.options.plugins = { title: { display: false }, legend: { position: "bottom" } };
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
th { background: #f9fafb; } td.regressed { color: #b91c1c; font-weight: 600; } td.improved { color: #047857; font-weight: 600; }
.summary { font-size: 1.05rem; } .warn { color: #92400e; }
`;

export function renderHtml(model: ReportModel, chartJs: string = chartJsBundle()): string {
  const verdicts = model.verdicts
    .map(
      (v) =>
        `<p class="summary"><b>${escapeHtml(v.candidate)}</b> vs <b>${escapeHtml(v.baseline)}</b>: ` +
        `${v.regressions} regressed, ${v.improvements} improved</p>` +
        table(COMPARE_HEAD, v.rows, "verdicts"),
    )
    .join("");
  const charts = model.charts
    .map(
      (c) =>
        `<figure><figcaption>${escapeHtml(c.title)}</figcaption><div class="plot"><canvas id="${c.id}" role="img" aria-label="${escapeHtml(c.title)}"></canvas></div></figure>`,
    )
    .join("");
  const shown = new Set(["label", "run", "kind"]);
  const keys = [...new Set(model.groups.flatMap((g) => g.runs.flatMap((r) => Object.keys(r.metadata))))]
    .filter((k) => !shown.has(k))
    .sort();
  const envRows = model.groups.flatMap((g) =>
    g.runs.map((r) => [g.label, r.id, r.kind, ...keys.map((k) => metaValue(r.metadata[k]))]),
  );
  const warnings = model.warnings.length
    ? `<h2>Warnings</h2><ul>${model.warnings.map((w) => `<li class="warn">${escapeHtml(w)}</li>`).join("")}</ul>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(model.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(model.title)}</h1>
<p class="sub">Generated ${escapeHtml(model.generatedAt)} by llw report. Percentiles are recomputed from the raw samples (nearest rank).</p>
<h2>Verdicts</h2>
${verdicts || "<p>One group only: nothing to compare.</p>"}
<h2>Charts</h2>
<div class="charts">${charts}</div>
<h2>Environment</h2>
${table(["label", "run", "kind", ...keys], envRows, "environment")}
${warnings}
<script>${chartJs.replace(/<\/script/gi, "<\\/script")}</script>
<script type="application/json" id="report-data">${scriptJson(model)}</script>
<script>${DRAW}</script>
</body>
</html>
`;
}
