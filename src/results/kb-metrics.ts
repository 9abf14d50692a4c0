/**
 * The Prometheus metric documents kube-burner's local indexer writes for a metrics profile:
 * `<metricName>.json` (and `<metricName>-start.json` for instant queries with captureStart),
 * each a JSON array of {timestamp, labels, value, uuid, query, metricName, jobName, metadata}
 * (kube-burner main, pkg/prometheus/types.go `metric`, filled by createMetric; NaN is written
 * as 0). Documents of several jobs share one file, each carrying its jobName.
 */
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import { UserError } from "../lib/errors.ts";
import { findJsonError, lineColumn } from "./json-scan.ts";

export interface MetricDoc {
  timestamp: string;
  labels: Record<string, string>;
  value: number;
  metricName: string;
  jobName?: string;
  uuid?: string;
  query?: string;
}

export interface MetricFiles {
  /** metricName -> documents, in file order. */
  docs: Map<string, MetricDoc[]>;
  /** JSON files that are not metric documents. */
  notMetrics: string[];
  uuids: string[];
}

/** Far above a real run's metrics (96 CPUs x 6 modes x a point every 15 s for an hour: ~60 MB). */
const MAX_BYTES = 1024 * 1024 * 1024;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads one file; undefined when it holds no metric documents (some other JSON). */
export async function readMetricFile(file: string): Promise<MetricDoc[] | undefined> {
  const size = (await stat(file)).size;
  if (size > MAX_BYTES) {
    throw new UserError({ what: `metric file of ${size} bytes is larger than any run writes`, where: file });
  }
  const buf = await readFile(file);
  let data: unknown;
  try {
    data = JSON.parse(buf.toString("utf8"));
  } catch {
    const e = findJsonError(buf);
    const at = e ? lineColumn(buf, e.offset) : undefined;
    throw new UserError({
      what: `malformed JSON: ${e?.message ?? "invalid JSON"}`,
      where: at ? `${file}:${at.line}:${at.column}` : file,
      next: "the file may be truncated or edited; re-run the workload or restore the file from the run",
    });
  }
  if (data === null) return [];
  if (!Array.isArray(data) || !data.every(isObject)) return undefined;
  if (data.length && !data.some((d) => "query" in d && "value" in d)) return undefined;
  return data.map((d, i) => {
    const bad = (what: string) =>
      new UserError({
        what: `metric document ${i + 1}: ${what}`,
        where: `${file} document ${i + 1}`,
        next: "restore the file from the run",
      });
    if (typeof d.metricName !== "string") throw bad('no "metricName"');
    if (typeof d.value !== "number" || !Number.isFinite(d.value))
      throw bad(`"value" is ${JSON.stringify(d.value)}, not a number`);
    if (typeof d.timestamp !== "string") throw bad('no "timestamp"');
    const labels: Record<string, string> = {};
    if (d.labels !== undefined) {
      if (!isObject(d.labels)) throw bad('"labels" is not an object');
      for (const [k, v] of Object.entries(d.labels)) labels[k] = String(v);
    }
    return {
      timestamp: d.timestamp,
      labels,
      value: d.value,
      metricName: d.metricName,
      ...(typeof d.jobName === "string" ? { jobName: d.jobName } : {}),
      ...(typeof d.uuid === "string" ? { uuid: d.uuid } : {}),
      ...(typeof d.query === "string" ? { query: d.query } : {}),
    };
  });
}

export async function readMetricFiles(files: string[]): Promise<MetricFiles> {
  const out: MetricFiles = { docs: new Map(), notMetrics: [], uuids: [] };
  const uuids = new Set<string>();
  for (const f of files) {
    const docs = await readMetricFile(f);
    if (!docs) {
      out.notMetrics.push(basename(f));
      continue;
    }
    for (const d of docs) {
      const list = out.docs.get(d.metricName) ?? [];
      list.push(d);
      out.docs.set(d.metricName, list);
      if (d.uuid) uuids.add(d.uuid);
    }
  }
  out.uuids = [...uuids];
  return out;
}
