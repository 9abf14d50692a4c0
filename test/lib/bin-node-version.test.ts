import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers/tools.ts";

const BIN = join(ROOT, "bin", "llw.js");
const SYSTEM_NODE = "/usr/bin/node";

describe("bin/llw.js refuses a Node.js older than 24 before loading anything", () => {
  it("the system's older Node (real /usr/bin/node): exit 3, says what, which Node, and what to do", (t) => {
    if (!existsSync(SYSTEM_NODE)) return t.skip(`${SYSTEM_NODE} is not installed here`);
    const version = spawnSync(SYSTEM_NODE, ["--version"], { encoding: "utf8" }).stdout.trim();
    if (Number(version.replace(/^v/, "").split(".")[0]) >= 24)
      return t.skip(`${SYSTEM_NODE} is ${version}, not older than 24`);
    // lint is the command that used to fail with "internal error ... enableCompileCache" (exit 70).
    for (const args of [["lint"], ["--version"]]) {
      const r = spawnSync(SYSTEM_NODE, [BIN, ...args], { encoding: "utf8", cwd: ROOT });
      assert.equal(r.status, 3, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(
        r.stderr,
        new RegExp(
          `^error: llw needs Node\\.js 24 or newer, but it was started with Node\\.js ${version}\\n`,
        ),
      );
      assert.match(r.stderr, /where: \/usr\/bin\/node\n/);
      assert.match(r.stderr, /next: +run it as `npx llw \.\.\.`.*or install Node\.js 24 LTS/);
      assert.doesNotMatch(r.stderr, /internal error|bug/);
    }
  });
  it("Node 24 (the one running the tests) passes the guard; a closed pipe ends the output quietly", (t) => {
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
  });
});
