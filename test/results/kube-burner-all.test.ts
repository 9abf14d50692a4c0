/**
 * Nothing disappears: every measurement kube-burner's local indexer writes is read (field names
 * and units from kube-burner main, pkg/measurements/*.go), both job summary namings, files of
 * different runs in one directory are refused unless asked for, and a run without a
 * measurement is an error. Documents are built in kube-burner's JSON shapes (json.Marshal:
 * compact, one array per file).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { readKubeBurnerDir } from "../../src/results/kube-burner.ts";
import { loadGroup, loadRun } from "../../src/results/runs.ts";
import { quantile } from "../../src/results/stats.ts";
import { jobSummary, podDocV2, UUID } from "./fixtures.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "llw-kb-all-"));
const write = (dir: string, name: string, data: unknown) =>
  writeFileSync(join(dir, name), JSON.stringify(data));

/** A svcLatencyMeasurement document (service_latency.go svcMetric: Durations in nanoseconds). */
function svcDoc(i: number, readyMs: number, uuid = UUID) {
  return {
    timestamp: `2026-11-27T20:00:${String(i % 60).padStart(2, "0")}Z`,
    ready: readyMs * 1e6,
    metricName: "svcLatencyMeasurement",
    uuid,
    namespace: "svc-density-0",
    service: `svc-${i}`,
    type: "ClusterIP",
    jobName: "svc-density",
    metadata: {},
  };
}

/** vmi_latency.go vmiMetric. */
function vmiDoc(i: number, ready: number) {
  return {
    timestamp: "2026-11-27T20:00:00Z",
    podCreatedLatency: 100 + i,
    podScheduledLatency: 200 + i,
    podInitializedLatency: 300 + i,
    podContainersReadyLatency: ready - 10,
    podReadyLatency: ready,
    podReadyToStartContainersLatency: 250 + i,
    vmiCreatedLatency: 0,
    vmiPendingLatency: 5,
    vmiSchedulingLatency: 50,
    vmiScheduledLatency: 210 + i,
    vmiRunningLatency: ready + 2000,
    vmReadyLatency: ready + 30000,
    metricName: "vmiLatencyMeasurement",
    uuid: UUID,
    namespace: "latency-vm-0",
    podName: `virt-launcher-vm-${i}`,
    nodeName: "worker-0",
    jobName: "latency-vm",
  };
}

describe("kube-burner reader: every measurement, every summary", () => {
  it("reads svcLatency (ns -> ms) when it is a run's only data, with its quantiles in ms too", async () => {
    const dir = tmp();
    write(
      dir,
      "svcLatencyMeasurement-svc-density.json",
      Array.from({ length: 50 }, (_, i) => svcDoc(i, 100 + i)),
    );
    write(dir, "svcLatencyQuantilesMeasurement-svc-density.json", [
      {
        quantileName: "Ready",
        uuid: UUID,
        P99: 149e6,
        P95: 147e6,
        P50: 124e6,
        min: 100e6,
        max: 149e6,
        avg: 124e6,
        timestamp: "2026-11-27T20:01:00Z",
        metricName: "svcLatencyQuantilesMeasurement",
        jobName: "svc-density",
      },
    ]);
    write(dir, "jobSummary.json", jobSummary("svc-density"));
    const run = await loadRun(dir);
    const s = run.series.find((x) => x.name === "svc-density service Ready")!;
    assert.equal(s.sample!.total, 50);
    assert.equal(quantile(s.sample!, 0.99), 149);
    assert.equal(run.kubeBurner!.measurements[0]!.reported[0]!.P99, 149);
    assert.doesNotMatch(run.warnings.join(), /no pod reached Ready/);
    const ctx = bufferContext({ cwd: dir });
    assert.equal(await main(["bench", "show", dir], ctx), 0, ctx.err());
    assert.match(ctx.out(), /svc-density service Ready\s+50\s+100\s+124/);
  });

  it("names series by what they measure: the virt-launcher pod's Ready pairs whether read from a podLatency or a vmiLatency file", async () => {
    const a = tmp();
    const b = tmp();
    write(
      a,
      "podLatencyMeasurement-latency-vm.json",
      Array.from({ length: 20 }, (_, i) =>
        podDocV2("latency-vm", i, { schedulingLatency: 200, podReadyLatency: 4000 + i }),
      ),
    );
    write(
      b,
      "vmiLatencyMeasurement-latency-vm.json",
      Array.from({ length: 20 }, (_, i) => vmiDoc(i, 4000 + i)),
    );
    const ra = await loadRun(a);
    const rb = await loadRun(b);
    assert.ok(ra.series.some((s) => s.name === "latency-vm Ready"));
    assert.ok(rb.series.some((s) => s.name === "latency-vm Ready"));
    assert.ok(rb.series.some((s) => s.name === "latency-vm VMIRunning"));
    const ctx = bufferContext({ cwd: a });
    assert.equal(await main(["bench", "compare", a, b, "--metric", "P50"], ctx), 0, ctx.err());
    assert.match(ctx.out(), /latency-vm Ready\s+P50\s+4009\s+4009/);
  });

  it("the same objects measured by both podLatency and vmiLatency in one run count once, with a warning", async () => {
    const dir = tmp();
    write(
      dir,
      "podLatencyMeasurement-latency-vm.json",
      Array.from({ length: 5 }, (_, i) => podDocV2("latency-vm", i, { podReadyLatency: 4000 + i })),
    );
    write(
      dir,
      "vmiLatencyMeasurement-latency-vm.json",
      Array.from({ length: 5 }, (_, i) => vmiDoc(i, 4000 + i)),
    );
    const run = await loadRun(dir);
    assert.equal(run.series.filter((s) => s.name === "latency-vm Ready").length, 1);
    assert.match(
      run.warnings.join("\n"),
      /vmiLatencyMeasurement-latency-vm\.json's podReadyLatency measures what podLatencyMeasurement-latency-vm\.json already gave/,
    );
  });

  it("reads node, job, PVC, network policy, migration, DataVolume and snapshot latencies under their condition names", async () => {
    const dir = tmp();
    const base = { timestamp: "2026-11-27T20:00:00Z", uuid: UUID, jobName: "j" };
    write(dir, "nodeLatencyMeasurement-j.json", [
      {
        ...base,
        nodeReadyLatency: 40000,
        nodeMemoryPressureLatency: 0,
        nodeDiskPressureLatency: 0,
        nodePIDPressureLatency: 0,
        metricName: "nodeLatencyMeasurement",
        nodeName: "n1",
        labels: {},
      },
    ]);
    write(dir, "jobLatencyMeasurement-j.json", [
      {
        ...base,
        startTimeLatency: 1000,
        completionLatency: 9000,
        metricName: "jobLatencyMeasurement",
        jobIteration: 0,
        replica: 0,
        namespace: "j-0",
        k8sJobName: "job-0",
      },
    ]);
    write(dir, "pvcLatencyMeasurement-j.json", [
      {
        ...base,
        pendingLatency: 10,
        bindingLatency: 2000,
        lostLatency: 0,
        resizeLatency: 0,
        pvcName: "p",
        namespace: "j-0",
        metricName: "pvcLatencyMeasurement",
        size: "1Gi",
        storageClass: "gp3-csi",
        jobIteration: 0,
        replica: 0,
      },
    ]);
    write(dir, "netpolLatencyMeasurement-j.json", [
      {
        ...base,
        minReady: 300,
        ready: 900,
        metricName: "netpolLatencyMeasurement",
        namespace: "j-0",
        netpol: "np",
      },
    ]);
    write(dir, "vmimLatencyMeasurement-j.json", [
      {
        ...base,
        pendingLatency: 1,
        schedulingLatency: 2,
        scheduledLatency: 3,
        preparingTargetLatency: 4,
        targetReadyLatency: 5,
        runningLatency: 6,
        succeededLatency: 7000,
        metricName: "vmimLatencyMeasurement",
        namespace: "j-0",
        vmimName: "m",
        vmiName: "v",
        jobIteration: 0,
        replica: 0,
      },
    ]);
    write(dir, "dvLatencyMeasurement-j.json", [
      {
        ...base,
        dvBoundLatency: 100,
        dvRunningLatency: 200,
        dvReadyLatency: 3000,
        metricName: "dvLatencyMeasurement",
        namespace: "j-0",
        dvName: "d",
        jobIteration: 0,
        replica: 0,
      },
    ]);
    write(dir, "volumeSnapshotLatencyMeasurement-j.json", [
      {
        ...base,
        vsReadyLatency: 5000,
        metricName: "volumeSnapshotLatencyMeasurement",
        namespace: "j-0",
        vsName: "s",
        jobIteration: 0,
        replica: 0,
      },
    ]);
    const names = (await loadRun(dir)).series.map((s) => s.name);
    for (const n of [
      "j node Ready",
      "j Job Complete",
      "j PVC Bound",
      "j NetworkPolicy Ready",
      "j migration Succeeded",
      "j DataVolume Ready",
      "j VolumeSnapshot Ready",
    ]) {
      assert.ok(names.includes(n), `${n} in ${names.join(", ")}`);
    }
  });

  it("reads kube-burner 1.9's jobSummary-<job>.json", async () => {
    const dir = tmp();
    write(dir, "podLatencyMeasurement-density.json", [podDocV2("density", 0, { podReadyLatency: 1000 })]);
    write(dir, "jobSummary-density.json", [{ ...jobSummary("density")[0], version: "1.9.8@abc" }]);
    const r = await readKubeBurnerDir(dir);
    assert.equal(r.jobSummaries[0]!.version, "1.9.8@abc");
  });

  it("files of different runs in one directory (job summaries of 2024-09-26 above data of 2024-09-06) are an error naming both, unless --mixed-runs", async () => {
    const dir = tmp();
    const other = "9a9a9a9a-0000-4000-8000-000000000000";
    write(
      dir,
      "podLatencyMeasurement-density.json",
      Array.from({ length: 3 }, (_, i) => ({
        ...podDocV2("density", i, { podReadyLatency: 1000 }),
        timestamp: `2024-09-06T10:00:0${i}Z`,
      })),
    );
    // The local indexer appends: three later jobs' summaries in the same file.
    write(
      dir,
      "jobSummary.json",
      ["10", "11", "12"].map((h) => ({
        ...jobSummary("density")[0],
        uuid: other,
        timestamp: `2024-09-26T${h}:00:00Z`,
        endTimestamp: `2024-09-26T${h}:05:00Z`,
      })),
    );
    await assert.rejects(loadRun(dir), (e: Error) => {
      assert.match(e.message, /files of 2 different kube-burner runs in one directory/);
      assert.match(
        e.message,
        new RegExp(
          `${UUID} \\(2024-09-06T10:00:00Z to 2024-09-06T10:00:02Z, podLatencyMeasurement-density\\.json\\)`,
        ),
      );
      assert.match(
        e.message,
        new RegExp(`${other} \\(2024-09-26T10:00:00Z to 2024-09-26T12:05:00Z, jobSummary\\.json\\)`),
      );
      return true;
    });
    const ctx = bufferContext({ cwd: dir });
    assert.equal(await main(["bench", "show", dir], ctx), 2);
    assert.match(ctx.err(), /--mixed-runs/);
    const mixed = bufferContext({ cwd: dir });
    assert.equal(await main(["bench", "show", dir, "--mixed-runs"], mixed), 0, mixed.err());
    assert.match(mixed.out(), /read together \(--mixed-runs\)/);
  });

  it("a run directory with only jobSummary.json is an error, not an empty table", async () => {
    const dir = tmp();
    write(dir, "jobSummary.json", jobSummary("density"));
    const ctx = bufferContext({ cwd: dir });
    assert.equal(await main(["bench", "show", dir], ctx), 2);
    assert.match(ctx.err(), /the run holds no measurement \(only a job summary\)/);
  });

  it("files it does not know are named in a warning, never dropped silently", async () => {
    const dir = tmp();
    write(dir, "podLatencyMeasurement-density.json", [podDocV2("density", 0, { podReadyLatency: 1000 })]);
    writeFileSync(join(dir, "kube-burner.tgz"), "x");
    const run = await loadRun(dir);
    assert.match(run.warnings.join(), /not read \(not kube-burner output\): kube-burner\.tgz/);
  });
});

describe("interrupted runs (metadata status)", () => {
  function labelDir(): string {
    const results = tmp();
    for (const [run, status] of [
      ["run-1", "complete"],
      ["run-2", undefined],
      ["run-3", "incomplete"],
    ] as const) {
      const d = join(results, "tuned", run);
      mkdirSync(d, { recursive: true });
      write(
        d,
        "podLatencyMeasurement-latency-pod.json",
        Array.from({ length: 10 }, (_, i) => podDocV2("latency-pod", i, { podReadyLatency: 1000 + i })),
      );
      write(d, "metadata.json", { kind: "kube-burner", label: "tuned", run, ...(status ? { status } : {}) });
    }
    return results;
  }

  it("are left out of compare, show and report with a warning naming them; --include-incomplete keeps them; runs without a status count as complete", async () => {
    const results = labelDir();
    const warnings: string[] = [];
    const g = await loadGroup("tuned", results, "results", {}, (w) => warnings.push(w));
    assert.deepEqual(
      g.runs.map((r) => r.id),
      ["run-1", "run-2"],
    );
    assert.match(
      warnings.join(),
      /left out 1 incomplete run \(interrupted before kube-burner finished\): run-3; --include-incomplete keeps them/,
    );
    assert.equal((await loadGroup("tuned", results, "results", { includeIncomplete: true })).runs.length, 3);
    const ctx = bufferContext({ cwd: results });
    await main(["bench", "compare", "tuned", "tuned"], ctx);
    assert.match(ctx.err(), /run-3/);
    const rep = bufferContext({ cwd: results });
    assert.equal(await main(["report", "tuned", "--out", "r.html"], rep), 0, rep.err());
    assert.match(rep.err(), /left out 1 incomplete run/);
  });

  it("metadata of any type is rendered (a numeric label reads as text); metadata that is not an object, or a name that is an object, is an error (exit 2), never a crash", async () => {
    const results = labelDir();
    write(join(results, "tuned", "run-1"), "metadata.json", {
      kind: "kube-burner",
      label: 42,
      run: 7,
      extra: [1, { a: null }],
    });
    const rep = bufferContext({ cwd: results });
    assert.equal(await main(["report", "tuned", "--out", "any.html"], rep), 0, rep.err());
    const html = readFileSync(join(results, "any.html"), "utf8");
    assert.match(html, /<th>tuned\/7<\/th>/);
    assert.match(html, /<td class="">kind<\/td><td class="">kube-burner<\/td>/);
    assert.match(html, /<td class="">\[1,\{&quot;a&quot;:null\}\]<\/td>/);
    assert.doesNotMatch(html, /not read \(not kube-burner output\): metadata\.json/);
    write(join(results, "tuned", "run-1"), "metadata.json", {
      kind: "kube-burner",
      label: { name: "x" },
      run: "run-1",
    });
    const ctx = bufferContext({ cwd: results });
    assert.equal(await main(["bench", "show", "tuned"], ctx), 2);
    assert.match(ctx.err(), /run metadata field "label" is \{"name":"x"\}, not a name/);
    write(join(results, "tuned", "run-1"), "metadata.json", [1, 2]);
    const arr = bufferContext({ cwd: results });
    assert.equal(await main(["bench", "show", "tuned"], arr), 2);
    assert.match(arr.err(), /run metadata is not a JSON object/);
  });
});
