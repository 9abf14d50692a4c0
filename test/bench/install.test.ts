import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { Agent, createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tar from "tar";
import { expectedChecksum, PINNED_SHA256, releaseAsset } from "../../src/bench/install.ts";
import { main } from "../../src/cli.ts";
import { run } from "../../src/commands/bench-install.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { LlwError } from "../../src/lib/errors.ts";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const ASSET = releaseAsset("linux", "x64").archive;

async function releaseArchive(script: string): Promise<Buffer> {
  const stage = mkdtempSync(join(tmpdir(), "llw-release-"));
  writeFileSync(join(stage, "kube-burner"), script);
  writeFileSync(join(stage, "LICENSE"), "Apache-2.0\n");
  await tar.c({ gzip: true, file: join(stage, "a.tar.gz"), cwd: stage }, ["LICENSE", "kube-burner"]);
  return readFileSync(join(stage, "a.tar.gz"));
}

describe("llw bench install: https only, a digest it trusts, a mirror said loudly (real TLS, a local https server)", () => {
  let server: Server;
  let agent: Agent;
  let origin: string;
  const requests: string[] = [];
  const files = new Map<string, Buffer>();
  let genuine: Buffer;
  let tampered: Buffer;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "llw-tls-"));
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
        ...[
          "-addext",
          "subjectAltName=IP:127.0.0.1",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
        ],
      ],
      { stdio: "ignore" },
    );
    const cert = readFileSync(join(dir, "cert.pem"));
    agent = new Agent({ ca: cert });
    genuine = await releaseArchive("#!/bin/sh\necho 'Version: 2.7.3 (test build)'\n");
    tampered = await releaseArchive("#!/bin/sh\necho pwned\n");
    // "official": the release as published, with its checksums file.
    files.set(`/official/v2.7.3/${ASSET}`, genuine);
    files.set("/official/v2.7.3/kube-burner-checksums.txt", Buffer.from(`${sha(genuine)}  ${ASSET}\n`));
    // "mirror": serves a different archive with a checksums file that matches it.
    files.set(`/mirror/v2.7.3/${ASSET}`, tampered);
    files.set("/mirror/v2.7.3/kube-burner-checksums.txt", Buffer.from(`${sha(tampered)}  ${ASSET}\n`));
    files.set(`/good-mirror/v2.7.3/${ASSET}`, genuine);
    server = createServer({ key: readFileSync(join(dir, "key.pem")), cert }, (req, res) => {
      requests.push(req.url ?? "");
      if (req.url?.startsWith("/to-http/")) {
        res.writeHead(302, { location: `http://127.0.0.1:1${req.url}` });
        return res.end();
      }
      const f = files.get(req.url ?? "");
      res.writeHead(f ? 200 : 404);
      res.end(f ?? "not found");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const workspace = () => mkdtempSync(join(tmpdir(), "llw-install-"));
  const install = async (cwd: string, opts: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    const ctx = bufferContext({ cwd, env });
    let code: number;
    try {
      code = await run(
        { platform: "linux", arch: "x64", officialUrl: `${origin}/official`, agent, ...opts },
        ctx,
      );
    } catch (e) {
      if (!(e instanceof LlwError)) throw e;
      code = e.exitCode;
      ctx.stderr.write(`error: ${e.message}\n`);
    }
    return { code, out: ctx.out(), err: ctx.err() };
  };

  it("names the real release asset for each platform, and pins no digest it did not read from a release", () => {
    assert.equal(
      releaseAsset("linux", "x64").archiveUrl,
      "https://github.com/kube-burner/kube-burner/releases/download/v2.7.3/kube-burner-V2.7.3-linux-x86_64.tar.gz",
    );
    assert.equal(releaseAsset("darwin", "arm64").archive, "kube-burner-V2.7.3-darwin-arm64.tar.gz");
    assert.throws(() => releaseAsset("win32", "x64"), /no tar.gz for win32/);
    // Go has no darwin/ppc64le or darwin/s390x port: kube-burner's release has no such archive.
    assert.throws(() => releaseAsset("darwin", "ppc64"), /no build for darwin on ppc64/);
    assert.equal(releaseAsset("linux", "ppc64").archive, "kube-burner-V2.7.3-linux-ppc64le.tar.gz");
    assert.equal(expectedChecksum(`${"a".repeat(64)} *x.tar.gz\n`, "x.tar.gz"), "a".repeat(64));
    for (const [v, byArchive] of Object.entries(PINNED_SHA256))
      for (const [a, d] of Object.entries(byArchive))
        assert.match(`${v} ${a} ${d}`, /^\d+\.\d+\.\d+ kube-burner-V\S+\.tar\.gz [0-9a-f]{64}$/);
  });

  it("from the official site: checks the archive against the release's checksums file, installs an executable, refuses to overwrite without --force", async () => {
    const cwd = workspace();
    const r = await install(cwd, {});
    assert.equal(r.code, 0, r.err);
    const bin = join(cwd, ".tools", "bin", "kube-burner");
    assert.equal(statSync(bin).mode & 0o777, 0o755);
    assert.match(readFileSync(bin, "utf8"), /test build/);
    assert.match(r.out, /installed kube-burner 2\.7\.3 .*from the official release's/);
    assert.doesNotMatch(r.err, /warning/);
    assert.equal((await install(cwd, {})).code, 2);
    assert.equal((await install(cwd, { force: true })).code, 0);
    assert.deepEqual(readdirSync(join(cwd, ".tools", "bin")), ["kube-burner"], "nothing else unpacked");
  });

  it("a mirror that serves another archive with a checksums file of its own installs nothing: the digest comes from the official release", async () => {
    const cwd = workspace();
    const r = await install(cwd, { baseUrl: `${origin}/mirror` });
    assert.equal(r.code, 3, r.err);
    assert.match(r.err, /checksum mismatch .*expected [0-9a-f]{64} \(the official release's/);
    assert.match(
      r.err,
      /warning: downloading kube-burner from https:\/\/127\.0\.0\.1:\d+\/mirror \(--base-url\), not from/,
    );
    assert.ok(
      !requests.includes("/mirror/v2.7.3/kube-burner-checksums.txt"),
      "the mirror's checksums are never asked for",
    );
    assert.throws(() => statSync(join(cwd, ".tools", "bin", "kube-burner")));
  });

  it("LLW_KUBE_BURNER_BASE_URL is said loudly; a mirror serving the genuine archive installs", async () => {
    const r = await install(workspace(), {}, { LLW_KUBE_BURNER_BASE_URL: `${origin}/good-mirror` });
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      /warning: downloading kube-burner from https:\/\/127\.0\.0\.1:\d+\/good-mirror \(LLW_KUBE_BURNER_BASE_URL\)/,
    );
  });

  it("a pinned digest is authoritative: with it, a mirror's archive is checked against the pin, no checksums file is fetched", async () => {
    const pins = { "2.7.3": { [ASSET]: sha(genuine) } };
    const before = requests.length;
    const ok = await install(workspace(), { baseUrl: `${origin}/good-mirror`, pins });
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /from the digest pinned in llw/);
    assert.ok(!requests.slice(before).some((u) => u.endsWith("checksums.txt")));
    const bad = await install(workspace(), { baseUrl: `${origin}/mirror`, pins });
    assert.equal(bad.code, 3);
    assert.match(bad.err, /checksum mismatch.*the digest pinned in llw/);
  });

  it("http:// (flag or environment) is refused before any download, exit 2; so is a redirect to http", async () => {
    const before = requests.length;
    for (const [opts, env] of [
      [{ baseUrl: "http://127.0.0.1:9/mirror" }, {}],
      [{}, { LLW_KUBE_BURNER_BASE_URL: "http://127.0.0.1:9/mirror" }],
    ] as const) {
      const r = await install(workspace(), opts, env);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /only https is accepted/);
    }
    assert.equal(requests.length, before);
    const sums = { sha256: sha(genuine) };
    const redirected = await install(workspace(), { baseUrl: `${origin}/to-http`, ...sums });
    assert.equal(redirected.code, 3);
    assert.match(redirected.err, /redirected to http, which llw refuses/);
  });

  it("--sha256 is checked; a wrong one installs nothing; a missing release is an environment error naming --release", async () => {
    const cwd = workspace();
    mkdirSync(join(cwd, ".tools", "bin"), { recursive: true });
    const wrong = await install(cwd, { baseUrl: `${origin}/good-mirror`, sha256: "f".repeat(64) });
    assert.equal(wrong.code, 3);
    assert.match(wrong.err, /checksum mismatch.*\(--sha256\)/);
    assert.deepEqual(readdirSync(join(cwd, ".tools", "bin")), []);
    const missing = await install(workspace(), { release: "1.0.0" });
    assert.equal(missing.code, 3);
    assert.match(missing.err, /HTTP 404/);
    const ctx = bufferContext({ cwd: workspace() });
    assert.equal(
      await main(["bench", "install", "--sha256", "xyz", "--base-url", `${origin}/good-mirror`], ctx),
      2,
    );
    assert.match(ctx.err(), /not a SHA-256 digest/);
  });
});
