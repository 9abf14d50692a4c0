import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { JSON_MARK } from "../../src/lib/files.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "llw-out-"));
async function llw(cwd: string, ...args: string[]) {
  const ctx = bufferContext({ cwd });
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

describe("profile generate --out: files llw can regenerate, targets checked first, flags that contradict refused", () => {
  it("-o json --out FILE is recognised as llw's: regenerated with other flags, unchanged when equal, a hand edit kept", async () => {
    const dir = tmp();
    const gen = (...flags: string[]) =>
      llw(
        dir,
        "profile",
        "generate",
        "--instance-type",
        "c5.metal",
        "-o",
        "json",
        "--out",
        "pp.json",
        ...flags,
      );
    const first = await gen();
    assert.equal(first.code, 0, first.err);
    assert.equal(first.out, "created: pp.json\n");
    const doc = JSON.parse(readFileSync(join(dir, "pp.json"), "utf8"));
    assert.equal(doc.kind, "PerformanceProfile");
    assert.match(
      doc.metadata.annotations[JSON_MARK],
      /^llw-generated: .*digest=[0-9a-f]{16}; regenerate: llw profile generate --instance-type c5\.metal -o json --out pp\.json/,
    );
    assert.equal((await gen()).out, "unchanged: pp.json\n");
    const other = await gen("--reserved-cpu-count", "8");
    assert.equal(other.code, 0, other.err);
    assert.equal(other.out, "updated: pp.json\n");
    // A hand edit is kept unless --force.
    writeFileSync(
      join(dir, "pp.json"),
      readFileSync(join(dir, "pp.json"), "utf8").replace('"restricted"', '"best-effort"'),
    );
    const edited = await gen();
    assert.equal(edited.code, 2);
    assert.match(edited.err, /refusing to overwrite a file edited by hand since it was generated/);
    assert.equal((await gen("--force")).code, 0);
  });

  it("--out to a FIFO is refused before the topology is even read (exit 2), without blocking", async () => {
    const dir = tmp();
    execFileSync("mkfifo", [join(dir, "fifo")]);
    const r = await llw(dir, "profile", "generate", "--lscpu", "missing.txt", "--out", "fifo", "--force");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /refusing to write fifo: it is a FIFO/);
    assert.doesNotMatch(r.err, /missing\.txt/, "the output was checked first");
    assert.ok(lstatSync(join(dir, "fifo")).isFIFO());
  });

  for (const [flags, re] of [
    [["--quiet", "--explain"], /where: --quiet, --explain/],
    [["--single-node", "--mcp-name", "worker-rt"], /where: --single-node, --mcp-name/],
    [["--out", "x.yaml", "--check", "--force"], /where: --check, --force/],
  ] as const) {
    it(`conflicting flags ${flags.filter((f) => f.startsWith("-")).join(" ")} are refused (exit 2), nothing written`, async () => {
      const dir = tmp();
      const r = await llw(dir, "profile", "generate", "--instance-type", "c5.metal", ...flags);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, re);
      assert.equal(r.out, "");
    });
  }

  it("llw generate --check --force is refused before anything is read or written (exit 2)", async () => {
    const r = await llw(tmp(), "generate", "--check", "--force");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /conflicting flags: --check writes nothing[\s\S]*where: --check, --force/);
  });

  it("--hugepages-per-node at 100% of a NUMA node's memory is an error (exit 2), not a warning", async () => {
    const r = await llw(
      tmp(),
      "profile",
      "generate",
      "--instance-type",
      "c5.metal",
      "--hugepages-per-node",
      "96",
    );
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /hugepages take all 98304 MiB of NUMA node 0's memory/);
    const ok = await llw(
      tmp(),
      "profile",
      "generate",
      "--instance-type",
      "c5.metal",
      "--hugepages-per-node",
      "80",
    );
    assert.equal(ok.code, 0, ok.err);
  });
});
