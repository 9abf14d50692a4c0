/**
 * The README's quick start and the welcome page put node_modules/.bin on PATH after `npm ci` and
 * run `llw`. npm links only the dependencies' programs there; `prepare` (scripts/link-bin.mjs)
 * links llw too.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers/tools.ts";

describe("quick start: llw on PATH from node_modules/.bin", () => {
  it("after npm ci, node_modules/.bin/llw is the workshop's bin/llw.js, and `llw --version` runs from any folder with only that folder and the system's on PATH", () => {
    const link = join(ROOT, "node_modules", ".bin", "llw");
    assert.equal(realpathSync(link), realpathSync(join(ROOT, "bin", "llw.js")));
    const out = execFileSync("sh", ["-c", "llw --version"], {
      cwd: tmpdir(),
      env: { PATH: `${join(ROOT, "node_modules", ".bin")}:/usr/bin:/bin`, HOME: tmpdir() },
      encoding: "utf8",
    });
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    assert.equal(out.trim(), version);
  });

  it("the README's quick start and the welcome page say to put node_modules/.bin on PATH (what the test above proves)", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const welcome = readFileSync(join(ROOT, "content/modules/ROOT/pages/00-welcome.adoc"), "utf8");
    for (const text of [readme, welcome])
      assert.match(text, /export PATH="\$PWD\/node_modules\/\.bin:\$PATH"/);
  });
});
