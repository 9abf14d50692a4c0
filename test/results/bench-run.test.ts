import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tar from "tar";
import { expectedChecksum, releaseAsset } from "../../src/bench/install.ts";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { ROOT } from "../helpers/tools.ts";

/** A FAKE kube-burner (test/results/bin/kube-burner) that writes real-format output. */
const FAKE_BIN = join(ROOT, "test", "results", "bin");

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
});

describe("llw bench install (against a local HTTP server serving a release)", () => {
  let server: Server;
  let base: string;
  const files = new Map<string, Buffer>();
  before(async () => {
    const stage = mkdtempSync(join(tmpdir(), "llw-release-"));
    writeFileSync(join(stage, "kube-burner"), "#!/bin/sh\necho 'Version: 2.7.3 (test build)'\n");
    writeFileSync(join(stage, "LICENSE"), "Apache-2.0\n");
    const asset = releaseAsset("linux", "x64");
    const archive = join(stage, asset.archive);
    await tar.c({ gzip: true, file: archive, cwd: stage }, ["kube-burner", "LICENSE"]);
    const bytes = readFileSync(archive);
    const sum = createHash("sha256").update(bytes).digest("hex");
    files.set(`/v2.7.3/${asset.archive}`, bytes);
    files.set(
      "/v2.7.3/kube-burner-checksums.txt",
      Buffer.from(`${"0".repeat(64)}  kube-burner-V2.7.3-darwin-arm64.tar.gz\n${sum}  ${asset.archive}\n`),
    );
    files.set("/v9.9.9/kube-burner-V9.9.9-linux-x86_64.tar.gz", bytes);
    files.set(
      "/v9.9.9/kube-burner-checksums.txt",
      Buffer.from(`${"f".repeat(64)}  kube-burner-V9.9.9-linux-x86_64.tar.gz\n`),
    );
    server = createServer((req, res) => {
      const f = files.get(req.url ?? "");
      res.writeHead(f ? 200 : 404);
      res.end(f ?? "not found");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("names the real release asset for each platform", () => {
    assert.equal(
      releaseAsset("linux", "x64").archiveUrl,
      "https://github.com/kube-burner/kube-burner/releases/download/v2.7.3/kube-burner-V2.7.3-linux-x86_64.tar.gz",
    );
    assert.equal(releaseAsset("darwin", "arm64").archive, "kube-burner-V2.7.3-darwin-arm64.tar.gz");
    assert.throws(() => releaseAsset("win32", "x64"), /no tar.gz for win32/);
    assert.equal(expectedChecksum(`${"a".repeat(64)} *x.tar.gz\n`, "x.tar.gz"), "a".repeat(64));
  });

  it("downloads, verifies the checksum and installs an executable; refuses to overwrite without --force", async () => {
    const cwd = workspace();
    const ctx = bufferContext({ cwd });
    assert.equal(await main(["bench", "install", "--base-url", base], ctx), 0, ctx.err());
    const bin = join(cwd, ".tools", "bin", "kube-burner");
    assert.ok(statSync(bin).mode & 0o100, "executable");
    assert.match(ctx.out(), /installed kube-burner 2\.7\.3/);
    assert.equal(await main(["bench", "install", "--base-url", base], bufferContext({ cwd })), 2);
    assert.equal(await main(["bench", "install", "--base-url", base, "--force"], bufferContext({ cwd })), 0);
  });

  it("a checksum mismatch installs nothing", async () => {
    const cwd = workspace();
    mkdirSync(join(cwd, ".tools", "bin"), { recursive: true });
    const ctx = bufferContext({ cwd });
    assert.equal(await main(["bench", "install", "--base-url", base, "--release", "9.9.9"], ctx), 3);
    assert.match(ctx.err(), /checksum mismatch/);
    assert.deepEqual(readdirSync(join(cwd, ".tools", "bin")), []);
  });

  it("a missing release is a clear environment error", async () => {
    const ctx = bufferContext({ cwd: workspace() });
    assert.equal(await main(["bench", "install", "--base-url", base, "--release", "1.0.0"], ctx), 3);
    assert.match(ctx.err(), /HTTP 404[\s\S]*--release/);
  });
});
