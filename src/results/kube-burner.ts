/**
 * Reader for kube-burner's local-indexer output, both file naming schemes:
 * - `<metricName>-<job>.json` (kube-burner >= 1.7 and 2.x, e.g. podLatencyMeasurement-tuned-pod.json,
 *   podLatencyQuantilesMeasurement-tuned-pod.json, in collected-metrics[-<uuid>]/), and
 * - `<job>-<measurement>.json` / `<job>-<measurement>-summary.json` (early 1.x WriteToFile).
 * plus `jobSummary.json` (kube-burner >= 1.10) and `jobSummary-<job>.json` (1.9.x,
 * pkg/burner/metadata.go at v1.9.8). Every latency measurement the local indexer writes is read
 * (kb-measurements.ts); per-object documents are scanned for their sample fields (see
 * json-scan.ts); quantile documents and the job summary are small and parsed whole, keeping
 * every field. Nothing here trusts the pre-computed quantiles: they are kept for cross-checks.
 * Other JSON files are candidate Prometheus metric documents (kb-metrics.ts); anything else is
 * listed as not read, never dropped without a word.
 *
 * One directory is one run: the local indexer appends to existing files (go-commons
 * indexers/local.go), so a reused metricsDirectory mixes runs. Documents of more than one
 * kube-burner UUID are an error naming them (uuid, files, time span) unless asked for.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { UserError } from "../lib/errors.ts";
import { findJsonError, JsonScanError, lineColumn, scanLatencyDocuments } from "./json-scan.ts";
import { conditionName, MEASUREMENTS, quantileCondition, sampleField } from "./kb-measurements.ts";
import { type MetricFiles, readMetricFiles } from "./kb-metrics.ts";
import { fromValues, type Sample } from "./stats.ts";

export { conditionName };

export interface ConditionSamples {
  condition: string;
  field: string;
  sample: Sample;
  /** Documents whose value was null (no transition recorded). */
  nulls: number;
  /** Samples equal to 0: kube-burner clamps negative latencies (second-precision timestamps) to 0. */
  zeros: number;
}

export interface ReportedQuantile {
  quantileName: string;
  P50: number | null;
  P95: number | null;
  P99: number | null;
  max: number | null;
  avg: number | null;
  /** Every other field of the document, as written. */
  extra: Record<string, unknown>;
}

export interface Measurement {
  /** e.g. podLatency, vmiLatency. */
  measurement: string;
  job: string;
  scheme: "metric-job" | "job-measurement";
  samplesFile?: string;
  quantilesFile?: string;
  documents: number;
  conditions: ConditionSamples[];
  reported: ReportedQuantile[];
  /** Fields of the per-pod documents other than the latencies, with how many documents had each. */
  otherFields: Record<string, number>;
  nodes: Record<string, number>;
  warnings: string[];
}

export interface JobSummary {
  jobName?: string;
  uuid?: string;
  version?: string;
  elapsedTime?: number;
  passed?: boolean;
  executionErrors?: string;
  timestamp?: string;
  endTimestamp?: string;
  /** The whole document as written. */
  raw: Record<string, unknown>;
}

export interface KubeBurnerResult {
  metricsDir: string;
  measurements: Measurement[];
  jobSummaries: JobSummary[];
  /** Other JSON files: Prometheus metric documents of the metrics profile (kb-metrics.ts). */
  metricFiles: string[];
  /** The metric documents read from them, by metricName. */
  metrics: MetricFiles;
  /** Files found but not read (not kube-burner output this reader knows). */
  notRead: string[];
  /** The kube-burner UUIDs the documents carry, with their files and time span. */
  uuids: RunUuid[];
  warnings: string[];
}

export interface RunUuid {
  uuid: string;
  files: string[];
  from?: string;
  to?: string;
}

export interface ReadOptions {
  /** Read files of several kube-burner runs (UUIDs) in one directory together. */
  mixedRuns?: boolean;
}

const V2_NAME = /^([a-z][A-Za-z]*?)(Quantiles)?Measurement-(.+)\.json$/;
const V1_NAME = /^(.+)-([a-z][A-Za-z]*Latency)(-summary)?\.json$/;
const JOB_SUMMARY = /^jobSummary(-.+)?\.json$/;
/** Files `llw bench run` keeps in a run directory beside kube-burner's. */
const LLW_RUN_FILES = ["metadata.json", "kube-burner.log", "metrics-profile.yml"];

/** Throws a UserError naming the file and line:column for a byte offset. */
function formatError(file: string, buf: Buffer, e: JsonScanError): UserError {
  const { line, column } = lineColumn(buf, e.offset);
  return new UserError({
    what: `malformed JSON: ${e.message}`,
    where: `${file}:${line}:${column} (byte ${e.offset})`,
    next: "the file may be truncated or edited; re-run the workload or restore the file from the run",
  });
}

async function readJson(file: string): Promise<unknown> {
  const buf = await readFile(file);
  if (buf.toString("utf8").trim() === "") return null;
  try {
    return JSON.parse(buf.toString("utf8"));
  } catch {
    const e = findJsonError(buf) ?? new JsonScanError("invalid JSON", 0);
    throw formatError(file, buf, e);
  }
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function parseQuantiles(file: string, data: unknown, measurement: string): ReportedQuantile[] {
  const toMs = MEASUREMENTS[measurement]?.toMs ?? 1;
  const ms = (v: unknown) => {
    const n = num(v);
    return n === null ? null : n / toMs;
  };
  if (data === null) return [];
  if (!Array.isArray(data)) {
    throw new UserError({ what: "expected a JSON array of quantile documents", where: file });
  }
  return data.map((d, i) => {
    if (
      typeof d !== "object" ||
      d === null ||
      typeof (d as { quantileName?: unknown }).quantileName !== "string"
    ) {
      throw new UserError({
        what: `document ${i + 1} has no quantileName`,
        where: `${file} document ${i + 1}`,
      });
    }
    const { quantileName, P50, P95, P99, max, avg, ...extra } = d as Record<string, unknown>;
    return {
      quantileName: quantileCondition(measurement, quantileName as string),
      P50: ms(P50),
      P95: ms(P95),
      P99: ms(P99),
      max: ms(max),
      avg: ms(avg),
      extra: { ...extra, quantileName },
    };
  });
}

export async function readSamplesFile(
  file: string,
  measurement: string,
): Promise<
  Pick<Measurement, "documents" | "conditions" | "otherFields" | "nodes" | "warnings"> & {
    jobs: string[];
    uuids: string[];
    timestamps?: { min: string; max: string };
  }
> {
  const buf = await readFile(file);
  const warnings: string[] = [];
  let scanned: ReturnType<typeof scanLatencyDocuments>;
  try {
    scanned = scanLatencyDocuments(buf, {
      strings: ["jobName", "nodeName", "uuid"],
      ranges: ["timestamp"],
      isSample: sampleField(measurement),
    });
  } catch (e) {
    if (e instanceof JsonScanError) throw formatError(file, buf, e);
    throw e;
  }
  if (buf.length === 0 || buf.toString("latin1", 0, Math.min(buf.length, 64)).trim() === "") {
    warnings.push(`${basename(file)} is empty: the run wrote no ${measurement} documents`);
  } else if (scanned.isNull) {
    warnings.push(`${basename(file)} is null: kube-burner recorded no object for ${measurement}`);
  }
  const toMs = MEASUREMENTS[measurement]?.toMs;
  const conditions: ConditionSamples[] = [];
  for (const [field, raw] of scanned.samples) {
    const values = toMs ? raw.map((v) => v / toMs) : raw;
    const sample = fromValues(values);
    let zeros = 0;
    for (const v of sample.values) {
      if (v === 0) zeros++;
      else break;
    }
    if (sample.values[0]! < 0) warnings.push(`${field} has negative values in ${basename(file)}`);
    conditions.push({
      condition: conditionName(measurement, field),
      field,
      sample,
      nulls: scanned.nulls.get(field) ?? 0,
      zeros,
    });
  }
  for (const [field, nulls] of scanned.nulls) {
    if (!scanned.samples.has(field)) {
      conditions.push({
        condition: conditionName(measurement, field),
        field,
        sample: fromValues([]),
        nulls,
        zeros: 0,
      });
    }
  }
  return {
    documents: scanned.documents,
    conditions,
    otherFields: Object.fromEntries(scanned.otherKeys),
    nodes: Object.fromEntries(scanned.strings.get("nodeName") ?? []),
    jobs: [...(scanned.strings.get("jobName")?.keys() ?? [])],
    uuids: [...(scanned.strings.get("uuid")?.keys() ?? [])],
    timestamps: scanned.ranges.get("timestamp"),
    warnings,
  };
}

function parseJobSummaries(file: string, data: unknown): JobSummary[] {
  if (data === null) return [];
  const docs = Array.isArray(data) ? data : [data];
  return docs.map((d, i) => {
    if (typeof d !== "object" || d === null) {
      throw new UserError({ what: `document ${i + 1} is not an object`, where: `${file} document ${i + 1}` });
    }
    const r = d as Record<string, unknown>;
    const jobConfig = r.jobConfig as { name?: unknown } | undefined;
    const s = (v: unknown) => (typeof v === "string" ? v : undefined);
    return {
      jobName: s(jobConfig?.name) ?? s(r.jobName),
      uuid: s(r.uuid),
      version: s(r.version),
      elapsedTime: num(r.elapsedTime) ?? undefined,
      passed: typeof r.passed === "boolean" ? r.passed : undefined,
      executionErrors: s(r.executionErrors),
      timestamp: s(r.timestamp),
      endTimestamp: s(r.endTimestamp),
      raw: r,
    };
  });
}

/** Finds the directory holding the metric files: the directory itself or a collected-metrics* child. */
export async function findMetricsDir(dir: string): Promise<string | undefined> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT" || e.code === "ENOTDIR") {
      throw new UserError({
        what: "no such result directory",
        where: dir,
        next: "pass a run directory such as results/<label>/<run>",
      });
    }
    throw e;
  });
  if (names.some((n) => V2_NAME.test(n) || V1_NAME.test(n) || JOB_SUMMARY.test(n))) return dir;
  for (const n of names.sort()) {
    if (n.startsWith("collected-metrics") && (await stat(join(dir, n))).isDirectory())
      return findMetricsDir(join(dir, n));
  }
  return undefined;
}

export async function readKubeBurnerDir(dir: string, options: ReadOptions = {}): Promise<KubeBurnerResult> {
  const metricsDir = await findMetricsDir(dir);
  if (!metricsDir) {
    throw new UserError({
      what: "no kube-burner metrics found (no *Measurement-<job>.json, <job>-podLatency.json or jobSummary.json)",
      where: dir,
      next: "check that the workload's local indexer writes into this run directory (metricsDirectory)",
    });
  }
  const byKey = new Map<string, Measurement>();
  const get = (measurement: string, job: string, scheme: Measurement["scheme"]): Measurement => {
    const key = `${measurement}\u0000${job}`;
    let m = byKey.get(key);
    if (!m) {
      m = {
        measurement,
        job,
        scheme,
        documents: 0,
        conditions: [],
        reported: [],
        otherFields: {},
        nodes: {},
        warnings: [],
      };
      byKey.set(key, m);
    }
    return m;
  };
  const result: KubeBurnerResult = {
    metricsDir,
    measurements: [],
    jobSummaries: [],
    metricFiles: [],
    metrics: { docs: new Map(), notMetrics: [], uuids: [] },
    notRead: [],
    uuids: [],
    warnings: [],
  };
  const uuids = new Map<string, RunUuid>();
  const seen = (uuid: string | undefined, file: string, from?: string, to?: string) => {
    if (!uuid) return;
    const u = uuids.get(uuid) ?? { uuid, files: [] };
    if (!u.files.includes(basename(file))) u.files.push(basename(file));
    if (from && (!u.from || from < u.from)) u.from = from;
    if (to && (!u.to || to > u.to)) u.to = to;
    uuids.set(uuid, u);
  };
  for (const entry of (await readdir(metricsDir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const name = entry.name;
    const file = join(metricsDir, name);
    // llw's own files of a run (when kube-burner wrote into the run directory itself).
    if (!entry.isFile() || LLW_RUN_FILES.includes(name)) continue;
    let measurement: string;
    let job: string;
    let quantiles: boolean;
    let scheme: Measurement["scheme"];
    const v2 = V2_NAME.exec(name);
    const v1 = v2 ? null : V1_NAME.exec(name);
    if (JOB_SUMMARY.test(name)) {
      const summaries = parseJobSummaries(file, await readJson(file));
      for (const j of summaries) seen(j.uuid, file, j.timestamp, j.endTimestamp ?? j.timestamp);
      result.jobSummaries.push(...summaries);
      continue;
    }
    if (v2) {
      measurement = v2[1]!;
      quantiles = Boolean(v2[2]);
      job = v2[3]!;
      scheme = "metric-job";
    } else if (v1) {
      job = v1[1]!;
      measurement = v1[2]!;
      quantiles = Boolean(v1[3]);
      scheme = "job-measurement";
    } else {
      if (name.endsWith(".json")) result.metricFiles.push(file);
      else result.notRead.push(name);
      continue;
    }
    const m = get(measurement, job, scheme);
    if (!MEASUREMENTS[measurement] && !m.warnings.some((w) => w.includes("not a measurement llw knows"))) {
      m.warnings.push(
        `${measurement} is not a measurement llw knows: its numeric fields ending in "Latency" are read, named after the field`,
      );
    }
    if (quantiles) {
      m.quantilesFile = file;
      const data = await readJson(file);
      m.reported = parseQuantiles(file, data, measurement);
      for (const q of m.reported) seen(typeof q.extra.uuid === "string" ? q.extra.uuid : undefined, file);
    } else {
      m.samplesFile = file;
      const r = await readSamplesFile(file, measurement);
      m.documents = r.documents;
      m.conditions = r.conditions;
      m.otherFields = r.otherFields;
      m.nodes = r.nodes;
      m.warnings.push(...r.warnings);
      for (const u of r.uuids) seen(u, file, r.timestamps?.min, r.timestamps?.max);
    }
  }
  result.metrics = await readMetricFiles(result.metricFiles);
  result.notRead.push(...result.metrics.notMetrics);
  result.metricFiles = result.metricFiles.filter((f) => !result.metrics.notMetrics.includes(basename(f)));
  for (const docs of result.metrics.docs.values()) {
    const name = `${docs[0]!.metricName}.json`;
    for (const d of docs) seen(d.uuid, name, d.timestamp, d.timestamp);
  }
  result.measurements = [...byKey.values()];
  result.uuids = [...uuids.values()].sort((a, b) => ((a.from ?? "") < (b.from ?? "") ? -1 : 1));
  for (const m of result.measurements) {
    if (!m.samplesFile) {
      m.warnings.push(
        `${m.measurement} for job ${m.job} has only pre-computed quantiles (no per-object file): nothing to recompute from`,
      );
    }
  }
  if (result.uuids.length > 1) {
    const list = result.uuids
      .map(
        (u) =>
          `${u.uuid} (${u.from ? `${u.from}${u.to && u.to !== u.from ? ` to ${u.to}` : ""}, ` : ""}${u.files.join(", ")})`,
      )
      .join("; ");
    if (!options.mixedRuns) {
      throw new UserError({
        what: `files of ${result.uuids.length} different kube-burner runs in one directory: ${list}`,
        where: metricsDir,
        next: "keep each run in a directory of its own (kube-burner's local indexer appends to files it finds), or pass --mixed-runs to read them together",
      });
    }
    result.warnings.push(
      `documents of ${result.uuids.length} kube-burner runs read together (--mixed-runs): ${list}`,
    );
  }
  if (result.notRead.length)
    result.warnings.push(`not read (not kube-burner output): ${result.notRead.join(", ")}`);
  return result;
}
