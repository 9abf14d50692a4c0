import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers/tools.ts";

const BIN = join(ROOT, "bin", "llw.js");
const SYSTEM_NODE = "/usr/bin/node";
const WORKSHOP_NODE = join(ROOT, "node_modules", "node", "bin", "node");

/** The system's Node when it is older than 24 (what the workshop's machines have first on PATH). */
function olderSystemNode(t: { skip: (m: string) => void }): string | undefined {
  if (!existsSync(SYSTEM_NODE)) return void t.skip(`${SYSTEM_NODE} is not installed here`);
  const version = spawnSync(SYSTEM_NODE, ["--version"], { encoding: "utf8" }).stdout.trim();
  if (Number(version.replace(/^v/, "").split(".")[0]) >= 24)
    return void t.skip(`${SYSTEM_NODE} is ${version}, not older than 24`);
  return version;
}

describe("bin/llw.js runs on the workshop's Node 24 however it is started", () => {
  it("./bin/llw.js and a symbolic link to it on PATH work when the first Node on PATH is older (the real /usr/bin/node)", (t) => {
    if (!olderSystemNode(t)) return;
    if (!existsSync(join(ROOT, "dist", "cli.js"))) return t.skip("dist/ is not built (npm run build)");
    const onPath = mkdtempSync(join(tmpdir(), "llw-path-"));
    symlinkSync(BIN, join(onPath, "llw"));
    // PATH has the older Node first (and only): /usr/bin.
    const env = { PATH: `${onPath}:/usr/bin:/bin`, HOME: onPath };
    for (const [cmd, args] of [
      [BIN, ["--version"]],
      ["llw", ["--version"]],
      ["llw", ["topology", "show", "--instance-type", "c5.metal", "-o", "json"]],
      // lint is the command that used to fail with "internal error ... enableCompileCache" (exit 70).
      ["llw", ["lint", "--help"]],
    ] as const) {
      const r = spawnSync(cmd, args, { encoding: "utf8", cwd: ROOT, env });
      assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /needs Node|internal error/);
    }
    const json = spawnSync("llw", ["topology", "show", "--instance-type", "c5.metal", "-o", "json"], {
      encoding: "utf8",
      cwd: ROOT,
      env,
    });
    assert.equal(JSON.parse(json.stdout).topology.cpus.length, 96);
  });

  it("started explicitly with the older Node (`node bin/llw.js`), it runs again on Node 24 and keeps the exit code", (t) => {
    if (!olderSystemNode(t)) return;
    if (!existsSync(WORKSHOP_NODE)) return t.skip("node_modules/node is not installed (npm ci)");
    const ok = spawnSync(SYSTEM_NODE, [BIN, "--version"], { encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^\d+\.\d+\.\d+\n$/);
    const bad = spawnSync(SYSTEM_NODE, [BIN, "topology", "show"], { encoding: "utf8" });
    assert.equal(bad.status, 2, "a usage error stays exit 2 through the second Node");
    assert.match(bad.stderr, /no topology source given/);
  });

  it("without the workshop's Node installed, the older Node refuses with exit 3, what and what to do", (t) => {
    const version = olderSystemNode(t);
    if (!version) return;
    // A copy of bin/ without node_modules beside it.
    const dir = mkdtempSync(join(tmpdir(), "llw-nonode-"));
    mkdirSync(join(dir, "bin"));
    copyFileSync(BIN, join(dir, "bin", "llw.js"));
    copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
    const r = spawnSync(SYSTEM_NODE, [join(dir, "bin", "llw.js"), "lint"], { encoding: "utf8" });
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      new RegExp(`^error: llw needs Node\\.js 24 or newer, but it was started with Node\\.js ${version}\\n`),
    );
    assert.match(r.stderr, /where: \/usr\/bin\/node\n/);
    assert.match(r.stderr, /next: +run `npm ci` in the workshop checkout/);
  });

  it("Node 24 (the one running the tests) passes the guard; a closed pipe ends the output quietly; > /dev/full is exit 3", (t) => {
    if (!existsSync(join(ROOT, "dist", "cli.js"))) return t.skip("dist/ is not built (npm run build)");
    const r = spawnSync(process.execPath, [BIN, "--version"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
    // `llw ... | true`: the reader is gone before llw writes (a pipe closed early, as with head).
    const piped = spawnSync(
      "bash",
      [
        "-c",
        `"${process.execPath}" "${BIN}" topology show --instance-type c7i.metal-48xl | true; echo "status \${PIPESTATUS[0]}"`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(piped.stdout, "status 0\n", piped.stderr);
    assert.doesNotMatch(piped.stderr, /EPIPE|Unhandled/, piped.stderr);
    if (!existsSync("/dev/full")) return;
    for (const args of [
      ["topology", "show", "--instance-type", "c5.metal"],
      ["profile", "generate", "--instance-type", "c5.metal", "-o", "json"],
    ]) {
      const full = spawnSync("bash", ["-c", `"${process.execPath}" "${BIN}" ${args.join(" ")} > /dev/full`], {
        encoding: "utf8",
      });
      assert.equal(full.status, 3, full.stderr);
      assert.match(full.stderr, /cannot write the output \(ENOSPC\)/);
    }
  });
});
