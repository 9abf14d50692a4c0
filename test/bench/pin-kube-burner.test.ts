/**
 * `npm run pin:kube-burner` (scripts/pin-kube-burner.ts), run as a maintainer runs it, on crafted
 * checksums files in temp folders and a copy of the digest table: it pins every archive llw can
 * install, with where and when it read them, and refuses (writing nothing) http, a malformed
 * line, a file without a supported archive, and a release pinned already with other digests.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { releaseAsset, SUPPORTED_BUILDS, supportedArchives } from "../../src/bench/install.ts";
import { ROOT } from "../helpers/tools.ts";

const SCRIPT = join(ROOT, "scripts", "pin-kube-burner.ts");
const TABLE = join(ROOT, "src", "bench", "kube-burner-digests.json");
/** A made-up digest per file name: these exist only in temp folders, never in the real table. */
const fake = (name: string) => createHash("sha256").update(`not a real archive: ${name}`).digest("hex");

/** The checksums file goreleaser publishes for a release, with every archive and the zip builds. */
function checksums(version: string, drop: string[] = []): string {
  const names = [
    ...supportedArchives(version),
    `kube-burner-V${version}-windows-x86_64.zip`,
    `kube-burner-V${version}-windows-arm64.zip`,
  ].filter((n) => !drop.includes(n));
  return names.map((n) => `${fake(n)}  ${n}\n`).join("");
}

function workspace(): { dir: string; table: string } {
  const dir = mkdtempSync(join(tmpdir(), "llw-pin-"));
  const table = join(dir, "kube-burner-digests.json");
  copyFileSync(TABLE, table);
  return { dir, table };
}

function pin(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

const OFFICIAL =
  "https://github.com/kube-burner/kube-burner/releases/download/v2.7.3/kube-burner-checksums.txt";

describe("npm run pin:kube-burner: the release's own checksums into the pinned table", () => {
  it("--from a copy checked by hand: every archive llw can install is pinned, with the official URL, the date and how it was read; bench install then trusts those digests", async () => {
    const { dir, table } = workspace();
    const file = join(dir, "kube-burner-checksums.txt");
    writeFileSync(file, checksums("2.7.3"));
    const r = await pin(["--release", "2.7.3", "--from", file, "--table", table]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /pinned kube-burner 2\.7\.3: 6 archives/);
    const written = JSON.parse(readFileSync(table, "utf8"));
    const entry = written.releases["2.7.3"];
    assert.equal(entry.source, OFFICIAL);
    assert.match(entry.retrieved, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(entry.how, "a copy checked by hand (kube-burner-checksums.txt)");
    assert.deepEqual(Object.keys(entry.sha256).sort(), supportedArchives("2.7.3").sort());
    assert.ok(!Object.keys(entry.sha256).some((n) => n.endsWith(".zip")), "only what llw installs");
    const pins = { "2.7.3": entry.sha256 as Record<string, string> };
    for (const [os, arches] of Object.entries(SUPPORTED_BUILDS))
      for (const arch of Object.keys(arches)) {
        const asset = releaseAsset(os, arch, "2.7.3", undefined, undefined, pins);
        assert.equal(asset.pinned, fake(asset.archive), `${os} ${arch}`);
      }
    // The table stays in the repository's format (biome checks the real one).
    const text = readFileSync(table, "utf8");
    const formatted = execFileSync(
      join(ROOT, "node_modules", ".bin", "biome"),
      ["format", "--stdin-file-path=src/bench/kube-burner-digests.json"],
      { cwd: ROOT, input: text, encoding: "utf8" },
    );
    assert.equal(formatted, text);
  });

  it("downloads over https (a local https server standing in for GitHub, its certificate trusted through NODE_EXTRA_CA_CERTS)", async () => {
    const { dir, table } = workspace();
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
        ...["-addext", "subjectAltName=IP:127.0.0.1"],
        ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
      ],
      { stdio: "ignore" },
    );
    const body = checksums("2.8.0");
    const server = createServer(
      { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
      (req, res) => {
        res.writeHead(req.url === "/v2.8.0/kube-burner-checksums.txt" ? 200 : 404);
        res.end(req.url === "/v2.8.0/kube-burner-checksums.txt" ? body : "");
      },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v2.8.0/kube-burner-checksums.txt`;
      const r = await pin(["--release", "2.8.0", "--url", url, "--table", table], {
        NODE_EXTRA_CA_CERTS: join(dir, "cert.pem"),
      });
      assert.equal(r.code, 0, r.err);
      const entry = JSON.parse(readFileSync(table, "utf8")).releases["2.8.0"];
      assert.equal(entry.source, url);
      assert.equal(entry.how, "downloaded over https");
      assert.equal(Object.keys(entry.sha256).length, 6);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  for (const [name, args, file, message] of [
    [
      "http:// is refused before any download",
      ["--url", "http://127.0.0.1:9/v2.7.3/kube-burner-checksums.txt"],
      undefined,
      /refusing to read digests over http: only https is accepted\n {2}where: --url/,
    ],
    [
      "a malformed line is refused, naming it",
      [],
      `${checksums("2.7.3")}not-a-digest  kube-burner-V2.7.3-linux-x86_64.tar.gz\n`,
      /line 9 is not "<sha256> {2}<file name>": "not-a-digest/,
    ],
    [
      "a file that lacks a supported archive (darwin arm64) is refused, naming it",
      [],
      checksums("2.7.3", ["kube-burner-V2.7.3-darwin-arm64.tar.gz"]),
      /the checksums list no kube-burner-V2\.7\.3-darwin-arm64\.tar\.gz\n/,
    ],
    [
      "the checksums of another release are refused",
      [],
      checksums("2.7.2"),
      /list no kube-burner-V2\.7\.3-linux-x86_64\.tar\.gz, .* \(is this the checksums file of release 2\.7\.3\?\)/,
    ],
    [
      "one archive listed twice with different digests is refused",
      [],
      `${checksums("2.7.3")}${"0".repeat(64)}  kube-burner-V2.7.3-linux-arm64.tar.gz\n`,
      /kube-burner-V2\.7\.3-linux-arm64\.tar\.gz is listed twice with different digests/,
    ],
  ] as const) {
    it(`${name}; exit 2, the table untouched`, async () => {
      const { dir, table } = workspace();
      const before = readFileSync(table, "utf8");
      const from: string[] = [];
      if (file !== undefined) {
        writeFileSync(join(dir, "sums.txt"), file);
        from.push("--from", join(dir, "sums.txt"));
      }
      const r = await pin(["--release", "2.7.3", ...args, ...from, "--table", table]);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, message);
      assert.equal(r.out, "");
      assert.equal(readFileSync(table, "utf8"), before);
    });
  }

  it("a release pinned already with other digests is refused (a published release does not change) unless --force", async () => {
    const { dir, table } = workspace();
    const file = join(dir, "sums.txt");
    writeFileSync(file, checksums("2.7.3"));
    assert.equal((await pin(["--from", file, "--table", table])).code, 0);
    const pinned = readFileSync(table, "utf8");
    const linux = "kube-burner-V2.7.3-linux-x86_64.tar.gz";
    writeFileSync(file, checksums("2.7.3").replace(fake(linux), "f".repeat(64)));
    const refused = await pin(["--from", file, "--table", table]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.err,
      /release 2\.7\.3 is pinned already with other digests for kube-burner-V2\.7\.3-linux-x86_64/,
    );
    assert.equal(readFileSync(table, "utf8"), pinned);
    assert.equal((await pin(["--from", file, "--table", table, "--force"])).code, 0);
    assert.equal(JSON.parse(readFileSync(table, "utf8")).releases["2.7.3"].sha256[linux], "f".repeat(64));
  });

  it("the repository's table holds only digests pinned from a release's own checksums file, with its URL and date", () => {
    const real = JSON.parse(readFileSync(TABLE, "utf8")) as {
      releases: Record<string, { source: string; retrieved: string; sha256: Record<string, string> }>;
    };
    for (const [v, r] of Object.entries(real.releases)) {
      assert.match(
        r.source,
        new RegExp(
          `^https://github\\.com/kube-burner/kube-burner/releases/download/v${v}/kube-burner-checksums\\.txt$`,
        ),
      );
      assert.match(r.retrieved, /^\d{4}-\d{2}-\d{2}$/);
      assert.deepEqual(Object.keys(r.sha256).sort(), supportedArchives(v).sort());
      for (const d of Object.values(r.sha256)) assert.match(d, /^[0-9a-f]{64}$/);
    }
  });
});
