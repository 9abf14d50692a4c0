/**
 * What bad-input messages say: paths as the user can find them, the real cause, a next step.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";

describe("bad-input messages name things as the user can find them", () => {
  it("a missing path outside the working directory is shown absolute, never as ../../..", async () => {
    const cwd = join(mkdtempSync(join(tmpdir(), "llw-msg-cwd-")), "a", "b", "c");
    mkdirSync(cwd, { recursive: true });
    const far = join(mkdtempSync(join(tmpdir(), "llw-msg-far-")), "nope");
    const commands = [
      ["profile", "validate", `${far}.yaml`],
      ["profile", "generate", "--lscpu", `${far}.txt`],
      ["topology", "show", "--sysfs", far],
      ["lint", far],
      ["tune", "apply", `${far}.yaml`, "--dry-run"],
      ["latency", "show", `${far}.log`],
      ["bench", "show", far],
      ["bench", "compare", far, `${far}2`],
      ["report", far],
      ["generate", far],
    ];
    for (const argv of commands) {
      const ctx = bufferContext({ cwd, env: {} });
      const code = await main(argv, ctx);
      assert.ok(code === 2 || code === 3, `${argv.join(" ")}: exit ${code}\n${ctx.err()}`);
      const where = ctx.err().match(/where: .*/g) ?? [];
      assert.ok(where.length > 0, `${argv.join(" ")}: no where:\n${ctx.err()}`);
      for (const w of where) assert.doesNotMatch(w, /\.\.\//, `${argv.join(" ")}: ${w}`);
      assert.ok(
        where.some((w) => w.includes(far)),
        `${argv.join(" ")}: the path is not shown as given\n${ctx.err()}`,
      );
    }
  });

  it("a kubeconfig without contexts says so (not 'no kubeconfig found'), exit 3", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llw-msg-kc-"));
    const kc = join(dir, "config");
    writeFileSync(kc, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
    const ctx = bufferContext({ cwd: dir, env: {} });
    assert.equal(await main(["doctor", "--kubeconfig", kc, "--no-aws"], ctx), 3);
    assert.match(ctx.err(), /the kubeconfig has no contexts/);
    assert.doesNotMatch(ctx.err(), /no kubeconfig found/);
  });

  it("aws machineset --check (or --force) without --out-dir is refused, exit 2, naming the missing flag", async () => {
    for (const flag of ["--check", "--force"]) {
      const ctx = bufferContext({ env: {} });
      assert.equal(await main(["aws", "machineset", "--instance-type", "c5.metal", flag], ctx), 2);
      assert.match(ctx.err(), new RegExp(`${flag} applies to files written with --out-dir`));
      assert.match(ctx.err(), /add --out-dir DIR/);
    }
  });
});
