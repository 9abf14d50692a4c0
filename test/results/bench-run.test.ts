import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { ROOT } from "../helpers/tools.ts";
import { start } from "../sim/index.ts";

/** A FAKE kube-burner (test/results/bin/kube-burner) that writes real-format output. */
const FAKE_BIN = join(ROOT, "test", "results", "bin");

/** Every file under a directory, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "llw-bench-"));
  return dir;
}

describe("llw bench run (with a FAKE kube-burner that writes real-format output)", () => {
  const env = { PATH: `${FAKE_BIN}:${process.env.PATH}`, HOME: "/nonexistent" };

  it("runs the workload k times, one UUID per run, and stores metrics with metadata under results/<label>/<run>/", async () => {
    const cwd = workspace();
    let t = Date.parse("2026-11-27T21:00:00Z");
    const ctx = bufferContext({
      cwd,
      env,
      now: () => {
        t += 1000;
        return new Date(t);
      },
    });
    const code = await main(
      [
        "bench",
        "run",
        "tuned-pod",
        "--label",
        "tuned",
        "--repeat",
        "2",
        "--set",
        "ITERATIONS=25",
        "--no-metadata",
      ],
      ctx,
    );
    assert.equal(code, 0, ctx.err());
    const runs = readdirSync(join(cwd, "results", "tuned")).sort();
    assert.equal(runs.length, 2);
    const uuids = new Set<string>();
    for (const r of runs) {
      const dir = join(cwd, "results", "tuned", r);
      const meta = JSON.parse(readFileSync(join(dir, "metadata.json"), "utf8"));
      assert.equal(meta.kind, "kube-burner");
      assert.equal(meta.workload, "tuned-pod");
      assert.equal(meta.variables.ITERATIONS, "25");
      assert.equal(meta.variables.PROFILE, "workshop-c5-metal");
      assert.match(meta.kubeBurner.version, /2\.7\.3/);
      assert.equal(meta.exitCode, 0);
      assert.equal(meta.status, "complete");
      assert.ok(
        existsSync(join(dir, `collected-metrics-${meta.uuid}`, "podLatencyMeasurement-latency-pod.json")),
      );
      assert.ok(existsSync(join(dir, "workload", "tuned-pod.yml")), "a copy of the workload as run");
      assert.match(readFileSync(join(dir, "kube-burner.log"), "utf8"), /Starting kube-burner/);
      uuids.add(meta.uuid);
    }
    assert.equal(uuids.size, 2);
    assert.match(ctx.err(), /\[tuned 1\/2\] kube-burner init -c/);
    assert.match(ctx.err(), /Triggering job: latency-pod/, "progress is streamed");
    // The stored runs read back as a label of repeated runs.
    const show = bufferContext({ cwd });
    assert.equal(await main(["bench", "show", "tuned", "-o", "json"], show), 0, show.err());
    const views = JSON.parse(show.out());
    assert.equal(views.length, 2);
    assert.equal(views[0].series.find((s: { series: string }) => s.series === "latency-pod Ready").count, 25);
  });

  for (const [code, expectExit, pattern] of [
    [4, 1, /latency threshold was exceeded/],
    [3, 1, /an alert fired/],
    [2, 3, /timeout/],
  ] as const) {
    it(`maps kube-burner exit ${code} to a clear message (llw exit ${expectExit}) and keeps the results`, async () => {
      const cwd = workspace();
      const ctx = bufferContext({ cwd, env: { ...env, FAKE_KUBE_BURNER_EXIT: String(code) } });
      assert.equal(await main(["bench", "run", "baseline-pod", "--no-metadata"], ctx), expectExit);
      assert.match(ctx.err(), pattern);
      const runs = readdirSync(join(cwd, "results", "baseline-pod"));
      const meta = JSON.parse(
        readFileSync(join(cwd, "results", "baseline-pod", runs[0]!, "metadata.json"), "utf8"),
      );
      assert.equal(meta.exitCode, code);
    });
  }

  it("a kube-burner that fails before measuring leaves no half-written run", async () => {
    const cwd = workspace();
    const ctx = bufferContext({ cwd, env: { ...env, FAKE_KUBE_BURNER_NO_METRICS: "1" } });
    assert.equal(await main(["bench", "run", "baseline-pod", "--no-metadata"], ctx), 3);
    assert.match(ctx.err(), /failed \(exit 1\) before writing any metrics/);
    assert.deepEqual(readdirSync(join(cwd, "results", "baseline-pod")), []);
  });

  it("says what to do when kube-burner is missing, a variable is unknown or the workload does not exist", async () => {
    const cwd = workspace();
    let ctx = bufferContext({ cwd, env: { PATH: "/nonexistent" } });
    assert.equal(await main(["bench", "run", "tuned-pod"], ctx), 3);
    assert.match(ctx.err(), /kube-burner not found[\s\S]*llw bench install/);
    ctx = bufferContext({ cwd, env });
    assert.equal(await main(["bench", "run", "tuned-pod", "--set", "ITERATINOS=3"], ctx), 2);
    assert.match(ctx.err(), /unknown variable for tuned-pod: ITERATINOS/);
    ctx = bufferContext({ cwd, env });
    assert.equal(await main(["bench", "run", "nope"], ctx), 2);
    assert.match(ctx.err(), /no workload "nope"[\s\S]*baseline-pod/);
  });

  it("stores exactly what the run needs: the config, its object templates and the variables", async () => {
    const cwd = workspace();
    const ctx = bufferContext({ cwd, env });
    assert.equal(
      await main(["bench", "run", "tuned-pod", "--no-metadata", "--set", "ITERATIONS=3"], ctx),
      0,
      ctx.err(),
    );
    const [run] = readdirSync(join(cwd, "results", "tuned-pod"));
    const copy = join(cwd, "results", "tuned-pod", run!, "workload");
    assert.deepEqual(filesUnder(copy), ["templates/pod.yml", "tuned-pod.yml", "variables.yml"]);
    assert.equal(
      readFileSync(join(copy, "templates/pod.yml"), "utf8"),
      readFileSync(join(ROOT, "benchmarks/tuned-pod/templates/pod.yml"), "utf8"),
    );
    assert.match(readFileSync(join(copy, "variables.yml"), "utf8"), /ITERATIONS: "3"/);
  });

  it("bench run ./w.yml in a working directory that holds other files and the results: only the workload and its template are stored", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, "w.yml"), readFileSync(join(ROOT, "benchmarks/baseline-pod/baseline-pod.yml")));
    mkdirSync(join(cwd, "templates"));
    writeFileSync(
      join(cwd, "templates", "pod.yml"),
      readFileSync(join(ROOT, "benchmarks/baseline-pod/templates/pod.yml")),
    );
    writeFileSync(join(cwd, "unrelated.bin"), Buffer.alloc(1 << 20));
    const ctx = bufferContext({ cwd, env });
    assert.equal(await main(["bench", "run", "./w.yml", "--no-metadata"], ctx), 0, ctx.err());
    const [run] = readdirSync(join(cwd, "results", "w"));
    const dir = join(cwd, "results", "w", run!);
    assert.deepEqual(filesUnder(join(dir, "workload")), ["templates/pod.yml", "variables.yml", "w.yml"]);
    assert.equal(JSON.parse(readFileSync(join(dir, "metadata.json"), "utf8")).status, "complete");
  });

  it("--out-dir naming a file is refused (exit 2) before anything runs", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, "a-file"), "x");
    const ctx = bufferContext({ cwd, env });
    assert.equal(await main(["bench", "run", "tuned-pod", "--no-metadata", "--out-dir", "a-file"], ctx), 2);
    assert.match(ctx.err(), /--out-dir a-file/);
    assert.doesNotMatch(ctx.err(), /Starting kube-burner/);
    assert.equal(readFileSync(join(cwd, "a-file"), "utf8"), "x");
  });

  it("a workload naming a template outside its folder or one that does not exist is refused (exit 2) before anything runs", async () => {
    const cwd = workspace();
    mkdirSync(join(cwd, "w"));
    const cfg = readFileSync(join(ROOT, "benchmarks/baseline-pod/baseline-pod.yml"), "utf8");
    writeFileSync(join(cwd, "outside.yml"), "kind: Pod\n");
    writeFileSync(join(cwd, "w", "w.yml"), cfg.replace("templates/pod.yml", "../outside.yml"));
    let ctx = bufferContext({ cwd, env });
    assert.equal(await main(["bench", "run", "w/w.yml", "--no-metadata"], ctx), 2);
    assert.match(ctx.err(), /names a file outside its folder: \.\.\/outside\.yml/);
    writeFileSync(join(cwd, "w", "w.yml"), cfg);
    ctx = bufferContext({ cwd, env });
    assert.equal(await main(["bench", "run", "w/w.yml", "--no-metadata"], ctx), 2);
    assert.match(ctx.err(), /names a file that does not exist: templates\/pod\.yml/);
    assert.equal(existsSync(join(cwd, "results")), false);
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} during a run stops kube-burner and leaves the run marked incomplete, which compare leaves out`, async () => {
      const cwd = workspace();
      const pidfile = join(cwd, "kube-burner.pid");
      const script = `
        import { main } from ${JSON.stringify(join(ROOT, "src/cli.ts"))};
        process.exitCode = await main(["bench", "run", "baseline-pod", "--label", "cut", "--no-metadata", "--set", "ITERATIONS=3"]);
      `;
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
        cwd,
        env: { ...env, FAKE_KUBE_BURNER_SLEEP_MS: "60000", FAKE_KUBE_BURNER_PIDFILE: pidfile },
        stdio: "ignore",
      });
      const exited = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_c, sig) => r(sig)));
      while (!existsSync(pidfile)) await new Promise((r) => setTimeout(r, 20));
      child.kill(signal);
      assert.equal(await exited, signal, "llw ends by the signal");
      const pid = Number(readFileSync(pidfile, "utf8"));
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(alive(pid), false, "kube-burner was stopped too");
      const [run] = readdirSync(join(cwd, "results", "cut"));
      const meta = JSON.parse(readFileSync(join(cwd, "results", "cut", run!, "metadata.json"), "utf8"));
      assert.equal(meta.status, "incomplete");
      assert.equal(meta.exitCode, undefined);
      const show = bufferContext({ cwd });
      assert.equal(await main(["bench", "show", "cut"], show), 2);
      assert.match(show.err(), /every run is incomplete/);
    });
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("llw bench run against the simulated cluster (FAKE kube-burner)", () => {
  it("creates the job's namespace and waits for its default ServiceAccount before kube-burner starts, saying so", async () => {
    // The ServiceAccount controller takes 5 s (simulated) to create `default` in a new namespace.
    // At 10x the 5 s take half a real second: longer than any API round trip here, even under load.
    const sim = await start("tuned-c5-metal", { speed: 10, timing: { serviceAccount: 5000 } });
    try {
      const cwd = workspace();
      const ctx = bufferContext({
        cwd,
        env: { PATH: `${FAKE_BIN}:${process.env.PATH}`, HOME: "/nonexistent", KUBECONFIG: sim.kubeconfig },
        clock: sim.clock,
      });
      const code = await main(["bench", "run", "tuned-pod", "--set", "ITERATIONS=2", "--no-metadata"], ctx);
      assert.equal(code, 0, ctx.err());
      const err = ctx.err();
      const waited = err.indexOf("namespace llw-tuned-pod: waiting for its default ServiceAccount");
      const present = err.indexOf("namespace llw-tuned-pod: default ServiceAccount present");
      const started = err.indexOf("kube-burner init -c");
      assert.ok(waited >= 0 && waited < present && present < started, err);
      const ns = sim.api.get("v1", "Namespace", "llw-tuned-pod")!;
      assert.equal(
        ns.metadata.labels["kube-burner.io/job"],
        "latency-pod",
        "labelled as kube-burner 2.7.3 labels its namespaces (its gc selects kube-burner.io/job)",
      );
      assert.ok(sim.api.get("v1", "ServiceAccount", "default", "llw-tuned-pod"));
    } finally {
      await sim.stop();
    }
  });
});
