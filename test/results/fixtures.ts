/**
 * kube-burner local-indexer output built to the documented formats (kube-burner/kube-burner
 * pkg/measurements/pod_latency.go and metrics/metrics.go): per-pod documents, quantile
 * documents and jobSummary.json, in both file naming schemes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mulberry32 } from "./prng.ts";

export const UUID = "3c1f5a0e-8d3b-4b7e-9a57-0d2f4f0c9e11";

export interface PodLatencies {
  schedulingLatency?: number | null;
  initializedLatency?: number | null;
  containersReadyLatency?: number | null;
  podReadyLatency?: number | null;
  readyToStartContainersLatency?: number | null;
  containersStartedLatency?: number | null;
}

/** A v2 per-pod document (kube-burner 2.x field set). */
export function podDocV2(
  job: string,
  i: number,
  lat: PodLatencies,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    timestamp: `2026-11-27T20:00:${String(i % 60).padStart(2, "0")}.123456789Z`,
    ...lat,
    metricName: "podLatencyMeasurement",
    uuid: UUID,
    jobName: job,
    jobIteration: Math.floor(i / 2),
    replica: i % 2,
    namespace: `${job}-${Math.floor(i / 2)}`,
    podName: `${job}-${Math.floor(i / 2)}-${i % 2}`,
    nodeName: `worker-${i % 3}`,
    metadata: { ocpVersion: "4.19.3", platform: "AWS" },
    ...extra,
  };
}

/** A v1 per-pod document: jobConfig embedded in every document, no iteration fields. */
export function podDocV1(job: string, i: number, lat: PodLatencies): Record<string, unknown> {
  return {
    timestamp: "2023-05-02T10:00:00Z",
    ...lat,
    metricName: "podLatencyMeasurement",
    jobName: job,
    jobConfig: {
      name: job,
      jobType: "create",
      jobIterations: 10,
      qps: 20,
      burst: 20,
      namespace: job,
      objects: null,
    },
    uuid: UUID,
    namespace: `${job}-${i}`,
    podName: `pod-${i}`,
    nodeName: "worker-0",
  };
}

export function quantileDoc(
  job: string,
  name: string,
  q: { P50: number; P95: number; P99: number; max: number; avg: number },
) {
  return {
    quantileName: name,
    uuid: UUID,
    ...q,
    timestamp: "2026-11-27T20:01:00Z",
    metricName: "podLatencyQuantilesMeasurement",
    jobName: job,
    metadata: { ocpVersion: "4.19.3" },
  };
}

export function jobSummary(job: string, extra: Record<string, unknown> = {}) {
  return [
    {
      timestamp: "2026-11-27T20:00:00Z",
      endTimestamp: "2026-11-27T20:01:30Z",
      elapsedTime: 90,
      uuid: UUID,
      metricName: "jobSummary",
      jobConfig: { name: job, jobType: "create", jobIterations: 10, qps: 20, burst: 20 },
      version: "1.7.2@a1b2c3d",
      passed: true,
      executionErrors: "",
      ...extra,
    },
  ];
}

/** Writes a v2 result: collected-metrics-<uuid>/ with <metricName>-<job>.json files, Go-style indented. */
export function writeV2Run(
  dir: string,
  job: string,
  docs: unknown[] | null,
  quantiles?: unknown[] | null,
): string {
  const m = join(dir, `collected-metrics-${UUID}`);
  mkdirSync(m, { recursive: true });
  writeFileSync(join(m, `podLatencyMeasurement-${job}.json`), `${JSON.stringify(docs, null, 2)}\n`);
  if (quantiles !== undefined)
    writeFileSync(
      join(m, `podLatencyQuantilesMeasurement-${job}.json`),
      `${JSON.stringify(quantiles, null, 2)}\n`,
    );
  writeFileSync(join(m, "jobSummary.json"), JSON.stringify(jobSummary(job)));
  return m;
}

/** Writes an early-1.x result: <job>-podLatency.json and <job>-podLatency-summary.json. */
export function writeV1Run(dir: string, job: string, docs: unknown[], quantiles: unknown[]): string {
  const m = join(dir, "collected-metrics");
  mkdirSync(m, { recursive: true });
  writeFileSync(join(m, `${job}-podLatency.json`), `${JSON.stringify(docs, null, 2)}\n`);
  writeFileSync(join(m, `${job}-podLatency-summary.json`), `${JSON.stringify(quantiles, null, 2)}\n`);
  return m;
}

/** Deterministic pseudo-random numbers, so generated runs are the same every time. */
export const rng = mulberry32;

/**
 * Writes results/<label>/<run>/ with metadata.json and a v2 metrics directory of `pods` pods whose
 * Ready latency is around `center` ms.
 */
export function writeLabeledRun(
  results: string,
  label: string,
  run: string,
  center: number,
  pods = 200,
  seed = 1,
): string {
  const dir = join(results, label, run);
  mkdirSync(dir, { recursive: true });
  const r = rng(seed);
  const docs = Array.from({ length: pods }, (_, i) => {
    const ready = Math.round(center * (0.8 + 0.4 * r()) + (r() < 0.02 ? center : 0));
    return podDocV2(`${label}-pod`.replace(/^(baseline|tuned)-pod$/, "latency-pod"), i, {
      schedulingLatency: Math.round(r() * 20),
      initializedLatency: Math.round(ready * 0.3),
      containersReadyLatency: ready,
      podReadyLatency: ready,
    });
  });
  writeV2Run(dir, "latency-pod", docs);
  writeFileSync(
    join(dir, "metadata.json"),
    JSON.stringify({
      kind: "kube-burner",
      label,
      run,
      uuid: UUID,
      workload: `${label}-pod`,
      clusterVersion: "4.19.3",
    }),
  );
  return dir;
}
