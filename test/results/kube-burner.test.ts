import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { UserError } from "../../src/lib/errors.ts";
import { readKubeBurnerDir } from "../../src/results/kube-burner.ts";
import { kubeBurnerPercentile, quantile } from "../../src/results/stats.ts";
import { podDocV1, podDocV2, quantileDoc, UUID, writeV1Run, writeV2Run } from "./fixtures.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "llw-kb-"));

describe("kube-burner reader", () => {
  it("reads v2 output (<metricName>-<job>.json in collected-metrics-<uuid>/) and recomputes per condition", async () => {
    const dir = tmp();
    const docs = Array.from({ length: 100 }, (_, i) =>
      podDocV2("tuned-pod", i, {
        schedulingLatency: i % 10,
        initializedLatency: 100 + i,
        containersReadyLatency: 1000 + i * 10,
        podReadyLatency: 1000 + i * 10,
        readyToStartContainersLatency: 500 + i,
        containersStartedLatency: 900 + i,
      }),
    );
    writeV2Run(dir, "tuned-pod", docs, [
      quantileDoc("tuned-pod", "Ready", { P50: 1490, P95: 1940, P99: 1980, max: 1990, avg: 1495 }),
    ]);
    const r = await readKubeBurnerDir(dir);
    assert.match(r.metricsDir, new RegExp(`collected-metrics-${UUID}$`));
    const [m] = r.measurements;
    assert.equal(m!.job, "tuned-pod");
    assert.equal(m!.scheme, "metric-job");
    assert.equal(m!.documents, 100);
    const names = m!.conditions.map((c) => c.condition).sort();
    assert.deepEqual(names, [
      "ContainersReady",
      "ContainersStarted",
      "Initialized",
      "PodReadyToStartContainers",
      "PodScheduled",
      "Ready",
    ]);
    const ready = m!.conditions.find((c) => c.condition === "Ready")!;
    assert.equal(quantile(ready.sample, 0.99), 1980);
    assert.equal(quantile(ready.sample, 0.5), 1490);
    assert.equal(m!.reported[0]!.P99, 1980);
    assert.equal(m!.reported[0]!.extra.metricName, "podLatencyQuantilesMeasurement");
    assert.deepEqual(m!.nodes, { "worker-0": 34, "worker-1": 33, "worker-2": 33 });
    assert.equal(r.jobSummaries[0]!.version, "1.7.2@a1b2c3d");
    assert.equal(r.jobSummaries[0]!.jobName, "tuned-pod");
    // Unknown fields of every document are kept (as names and counts), never fatal.
    assert.equal(m!.otherFields.metadata, 100);
  });

  it("reads the early 1.x naming (<job>-podLatency.json, -summary.json) with jobConfig in every document", async () => {
    const dir = tmp();
    const docs = [10, 20, 30, 40].map((v, i) =>
      podDocV1("density", i, {
        schedulingLatency: 1,
        initializedLatency: 2,
        containersReadyLatency: v,
        podReadyLatency: v,
      }),
    );
    writeV1Run(dir, "density", docs, [
      quantileDoc("density", "Ready", { P50: 20, P95: 40, P99: 40, max: 40, avg: 25 }),
    ]);
    const r = await readKubeBurnerDir(dir);
    const [m] = r.measurements;
    assert.equal(m!.scheme, "job-measurement");
    assert.equal(m!.job, "density");
    assert.deepEqual(
      Array.from(m!.conditions.find((c) => c.condition === "Ready")!.sample.values),
      [10, 20, 30, 40],
    );
    assert.equal(m!.otherFields.jobConfig, 4);
    assert.equal(r.jobSummaries.length, 0);
  });

  it("keeps nulls, negative-clamped zeros and missing conditions apart", async () => {
    const dir = tmp();
    const docs = [
      podDocV2("j", 0, { schedulingLatency: 0, podReadyLatency: 1200 }),
      podDocV2("j", 1, { schedulingLatency: 0, podReadyLatency: null }),
      podDocV2("j", 2, { schedulingLatency: 5, podReadyLatency: 1300 }),
    ];
    writeV2Run(dir, "j", docs);
    const [m] = (await readKubeBurnerDir(dir)).measurements;
    const sched = m!.conditions.find((c) => c.condition === "PodScheduled")!;
    assert.equal(sched.zeros, 2);
    assert.equal(sched.sample.total, 3);
    const ready = m!.conditions.find((c) => c.condition === "Ready")!;
    assert.equal(ready.nulls, 1);
    assert.equal(ready.sample.total, 2);
    assert.equal(
      m!.conditions.find((c) => c.condition === "Initialized"),
      undefined,
    );
  });

  it("treats an empty file and Go's null as a run without pods, with a warning", async () => {
    for (const content of ["", "null\n"]) {
      const dir = tmp();
      const m = join(dir, "collected-metrics");
      mkdirSync(m);
      writeFileSync(join(m, "podLatencyMeasurement-j.json"), content);
      const r = await readKubeBurnerDir(dir);
      assert.equal(r.measurements[0]!.documents, 0);
      assert.match(r.measurements[0]!.warnings.join(), /empty|null/);
    }
  });

  it("names the file, line and column of a truncated per-pod file, and of a malformed quantile file", async () => {
    const dir = tmp();
    const m = writeV2Run(dir, "j", [
      podDocV2("j", 0, { podReadyLatency: 1 }),
      podDocV2("j", 1, { podReadyLatency: 2 }),
    ]);
    const file = join(m, "podLatencyMeasurement-j.json");
    const full = JSON.stringify(
      [podDocV2("j", 0, { podReadyLatency: 1 }), podDocV2("j", 1, { podReadyLatency: 2 })],
      null,
      2,
    );
    writeFileSync(file, full.slice(0, full.length - 40));
    await assert.rejects(readKubeBurnerDir(dir), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.problems[0]!.where!, /podLatencyMeasurement-j\.json:\d+:\d+ \(byte \d+\)/);
      assert.match(e.problems[0]!.what, /truncated/);
      return true;
    });
    writeFileSync(file, full);
    writeFileSync(join(m, "podLatencyQuantilesMeasurement-j.json"), '[{"quantileName": "Ready", "P99": }]');
    await assert.rejects(readKubeBurnerDir(dir), /malformed JSON/);
    writeFileSync(join(m, "podLatencyQuantilesMeasurement-j.json"), '[{"P99": 3}]');
    await assert.rejects(readKubeBurnerDir(dir), /no quantileName/);
  });

  it("reads VMI measurements with VMI condition names", async () => {
    const dir = tmp();
    const m = join(dir, "collected-metrics");
    mkdirSync(m);
    const vmi = (i: number) => ({
      timestamp: "2026-11-27T20:00:00Z",
      podCreatedLatency: 100 + i,
      podScheduledLatency: 200 + i,
      vmiRunningLatency: 30000 + i,
      vmReadyLatency: 45000 + i,
      metricName: "vmiLatencyMeasurement",
      uuid: UUID,
      namespace: "tuned-vm-0",
      podName: `vm-${i}`,
      nodeName: "worker-0",
    });
    writeFileSync(join(m, "vmiLatencyMeasurement-tuned-vm.json"), JSON.stringify([vmi(0), vmi(1)]));
    const [meas] = (await readKubeBurnerDir(dir)).measurements;
    assert.deepEqual(meas!.conditions.map((c) => c.condition).sort(), [
      "PodCreated",
      "PodScheduled",
      "VMIRunning",
      "VMReady",
    ]);
  });

  it("fails with what to do when a directory holds no kube-burner output", async () => {
    await assert.rejects(readKubeBurnerDir(tmp()), /no kube-burner metrics found/);
    await assert.rejects(readKubeBurnerDir(join(tmp(), "missing")), /no such result directory/);
  });

  it("property: recomputed nearest-rank P99 stays within one order statistic of kube-burner's own figure", async () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 2, maxLength: 400 }),
        (values) => {
          const sorted = [...values].sort((a, b) => a - b);
          for (const p of [50, 95, 99]) {
            const ours = quantile({ values: Float64Array.from(sorted), total: sorted.length }, p / 100);
            const theirs = kubeBurnerPercentile(sorted, p);
            const i = sorted.indexOf(ours);
            const lo = sorted[Math.max(0, i - 1)]!;
            const hi = sorted[Math.min(sorted.length - 1, sorted.lastIndexOf(ours) + 1)]!;
            assert.ok(theirs >= Math.trunc(lo) && theirs <= hi, `p${p}: ours ${ours} kube-burner ${theirs}`);
          }
        },
      ),
    );
  });
});
