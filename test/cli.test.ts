import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../src/cli.ts";
import { COMMANDS } from "../src/commands/registry.ts";
import { bufferContext } from "../src/lib/context.ts";
import { ROOT } from "./helpers/tools.ts";

describe("llw CLI shell", () => {
  it("prints its version from package.json", async () => {
    const ctx = bufferContext();
    assert.equal(await main(["--version"], ctx), 0);
    const pkg = JSON.parse(execFileSync("cat", [join(ROOT, "package.json")], { encoding: "utf8" }));
    assert.equal(ctx.out().trim(), pkg.version);
  });

  it("documents exit codes in --help", async () => {
    const ctx = bufferContext();
    assert.equal(await main(["--help"], ctx), 0);
    assert.match(ctx.out(), /Exit codes:/);
    assert.match(ctx.out(), /2 +bad usage or input/);
  });

  it("rejects an unknown option with exit 2 and a hint", async () => {
    const ctx = bufferContext();
    assert.equal(await main(["--no-such-flag"], ctx), 2);
    assert.match(ctx.err(), /unknown option '--no-such-flag'/);
  });

  it("gives every registered command a summary and at least one example that names it", () => {
    for (const spec of COMMANDS) {
      assert.ok(spec.summary.length > 0, `${spec.path.join(" ")} has no summary`);
      assert.ok(spec.examples.length > 0, `${spec.path.join(" ")} has no example`);
      for (const ex of spec.examples) {
        assert.ok(
          ex.cmd.startsWith(`llw ${spec.path.join(" ")}`),
          `example "${ex.cmd}" does not run ${spec.path.join(" ")}`,
        );
      }
    }
  });

  it("lists commands by their one-line summary; the long description shows only in the command's own help", async () => {
    const withDescription = COMMANDS.filter((s) => s.description);
    assert.ok(withDescription.length > 0);
    for (const spec of withDescription) {
      const list = bufferContext();
      await main([...spec.path.slice(0, -1), "--help"], list);
      const firstLine = spec.description!.split("\n")[0]!.slice(0, 30);
      assert.ok(
        !list.out().includes(firstLine),
        `${spec.path.join(" ")}: description leaked into the command list`,
      );
      const own = bufferContext();
      await main([...spec.path, "--help"], own);
      assert.ok(
        own.out().replace(/\s+/g, " ").includes(firstLine.replace(/\s+/g, " ")),
        `${spec.path.join(" ")}: description missing from its help`,
      );
    }
  });

  it("runs as a user would: the built bin under Node 24", () => {
    const r = spawnSync(
      join(ROOT, "node_modules", ".bin", "node"),
      [join(ROOT, "bin", "llw.js"), "--version"],
      {
        encoding: "utf8",
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  });
});
