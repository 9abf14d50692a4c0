/**
 * Reader for kube-burner's local-indexer output, both file naming schemes:
 * - `<metricName>-<job>.json` (kube-burner >= 1.7 and 2.x, e.g. podLatencyMeasurement-tuned-pod.json,
 *   podLatencyQuantilesMeasurement-tuned-pod.json, in collected-metrics[-<uuid>]/), and
 * - `<job>-<measurement>.json` / `<job>-<measurement>-summary.json` (early 1.x WriteToFile).
 * plus `jobSummary.json`. Per-pod documents are scanned for their `*Latency` numbers (see
 * json-scan.ts); quantile documents and the job summary are small and parsed whole, keeping
 * every field. Nothing here trusts the pre-computed quantiles: they are kept for cross-checks.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { UserError } from "../lib/errors.ts";
import { findJsonError, JsonScanError, lineColumn, scanLatencyDocuments } from "./json-scan.ts";
import { fromValues, type Sample } from "./stats.ts";

/** Condition names kube-burner uses for the per-pod latency fields. */
const POD_CONDITIONS: Record<string, string> = {
  schedulingLatency: "PodScheduled",
  initializedLatency: "Initialized",
  containersReadyLatency: "ContainersReady",
  podReadyLatency: "Ready",
  readyToStartContainersLatency: "PodReadyToStartContainers",
  containersStartedLatency: "ContainersStarted",
};

/** For VMI documents: vmReadyLatency -> VMReady, vmiRunningLatency -> VMIRunning, podScheduledLatency -> PodScheduled. */
function vmiCondition(field: string): string {
  const base = field.slice(0, -"Latency".length);
  if (base.startsWith("vmi")) return `VMI${base.slice(3)}`;
  if (base.startsWith("vm")) return `VM${base.slice(2)}`;
  return base.charAt(0).toUpperCase() + base.slice(1);
}

export function conditionName(measurement: string, field: string): string {
  if (measurement.startsWith("pod")) return POD_CONDITIONS[field] ?? vmiCondition(field);
  return vmiCondition(field);
}

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
  warnings: string[];
}

const V2_NAME = /^([a-z][A-Za-z]*?)(Quantiles)?Measurement-(.+)\.json$/;
const V1_NAME = /^(.+)-([a-z][A-Za-z]*Latency)(-summary)?\.json$/;

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

function parseQuantiles(file: string, data: unknown): ReportedQuantile[] {
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
      quantileName: quantileName as string,
      P50: num(P50),
      P95: num(P95),
      P99: num(P99),
      max: num(max),
      avg: num(avg),
      extra,
    };
  });
}

export async function readSamplesFile(
  file: string,
  measurement: string,
): Promise<
  Pick<Measurement, "documents" | "conditions" | "otherFields" | "nodes" | "warnings"> & { jobs: string[] }
> {
  const buf = await readFile(file);
  const warnings: string[] = [];
  let scanned: ReturnType<typeof scanLatencyDocuments>;
  try {
    scanned = scanLatencyDocuments(buf, ["jobName", "nodeName"]);
  } catch (e) {
    if (e instanceof JsonScanError) throw formatError(file, buf, e);
    throw e;
  }
  if (buf.length === 0 || buf.toString("latin1", 0, Math.min(buf.length, 64)).trim() === "") {
    warnings.push(`${basename(file)} is empty: the run wrote no per-pod documents`);
  } else if (scanned.isNull) warnings.push(`${basename(file)} is null: no pod reached Ready`);
  const conditions: ConditionSamples[] = [];
  for (const [field, values] of scanned.samples) {
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
  if (names.some((n) => V2_NAME.test(n) || V1_NAME.test(n) || n === "jobSummary.json")) return dir;
  for (const n of names.sort()) {
    if (n.startsWith("collected-metrics") && (await stat(join(dir, n))).isDirectory())
      return findMetricsDir(join(dir, n));
  }
  return undefined;
}

export async function readKubeBurnerDir(dir: string): Promise<KubeBurnerResult> {
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
  const result: KubeBurnerResult = { metricsDir, measurements: [], jobSummaries: [], warnings: [] };
  for (const name of (await readdir(metricsDir)).sort()) {
    const file = join(metricsDir, name);
    let measurement: string;
    let job: string;
    let quantiles: boolean;
    let scheme: Measurement["scheme"];
    const v2 = V2_NAME.exec(name);
    const v1 = v2 ? null : V1_NAME.exec(name);
    if (name === "jobSummary.json") {
      result.jobSummaries.push(...parseJobSummaries(file, await readJson(file)));
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
    } else continue;
    // Only latency measurements carry per-object samples this reader understands.
    if (!/Latency$/.test(measurement)) continue;
    const m = get(measurement, job, scheme);
    if (quantiles) {
      m.quantilesFile = file;
      m.reported = parseQuantiles(file, await readJson(file));
    } else {
      m.samplesFile = file;
      const r = await readSamplesFile(file, measurement);
      m.documents = r.documents;
      m.conditions = r.conditions;
      m.otherFields = r.otherFields;
      m.nodes = r.nodes;
      m.warnings.push(...r.warnings);
    }
  }
  result.measurements = [...byKey.values()];
  for (const m of result.measurements) {
    if (!m.samplesFile) {
      m.warnings.push(
        `${m.measurement} for job ${m.job} has only pre-computed quantiles (no per-pod file): nothing to recompute from`,
      );
    }
  }
  return result;
}
