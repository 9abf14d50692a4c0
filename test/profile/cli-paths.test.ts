import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { writeSysfsDir } from "../topology/sysfs-fixture.ts";

const tmp = () => mkdtemp(join(tmpdir(), "llw-paths-"));

async function llw(cwd: string, ...args: string[]) {
  const ctx = bufferContext({ cwd });
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

describe("unusable paths are the user's to fix, named with their flag (not bugs)", () => {
  it("--out a directory: exit 2, names --out and the path, suggests a file name, writes nothing", async () => {
    const dir = await tmp();
    mkdirSync(join(dir, "profiles"));
    const r = await llw(dir, "profile", "generate", "--instance-type", "c5.metal", "--out", "profiles");
    assert.equal(r.code, 2, r.err);
    assert.doesNotMatch(r.err, /bug/i);
    assert.match(r.err, /cannot write profiles: it is a directory \(EISDIR\)/);
    assert.match(r.err, /where: --out profiles\n/);
    assert.match(r.err, /next: +give a file name, e\.g\. profiles\/<name>\.yaml/);
    assert.deepEqual(readdirSync(join(dir, "profiles")), []);
  });
  it("--out under a file (ENOTDIR) is exit 2, and nothing is created", async () => {
    const dir = await tmp();
    writeFileSync(join(dir, "plain"), "x");
    const r = await llw(dir, "profile", "generate", "--instance-type", "c5.metal", "--out", "plain/pp.yaml");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /a part of the path is a file, not a directory/);
    assert.match(r.err, /where: --out plain\/pp.yaml/);
  });
  it("--out /proc/x.yaml (a file system that refuses new files): exit 2 naming --out, no temp file left", async (t) => {
    if (!existsSync("/proc/self")) return t.skip("no /proc on this system");
    const r = await llw(
      await tmp(),
      "profile",
      "generate",
      "--instance-type",
      "c5.metal",
      "--out",
      "/proc/x.yaml",
    );
    assert.equal(r.code, 2, r.err);
    assert.doesNotMatch(r.err, /bug/i);
    assert.match(r.err, /cannot write \/proc\/x\.yaml: it is on procfs, a kernel pseudo file system/);
    assert.match(r.err, /where: --out \/proc\/x\.yaml/);
    assert.equal(readdirSync("/proc").filter((n) => n.startsWith("x.yaml")).length, 0);
  });
  it("--lscpu a directory or a missing file: exit 2 naming --lscpu", async () => {
    const dir = await tmp();
    const isDir = await llw(dir, "topology", "show", "--lscpu", ".");
    assert.equal(isDir.code, 2, isDir.err);
    assert.match(isDir.err, /cannot read \.: it is a directory/);
    assert.match(isDir.err, /where: --lscpu \./);
    const missing = await llw(dir, "topology", "show", "--lscpu", "nope.txt");
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read nope\.txt: no such file/);
  });
});

describe("--sysfs refuses a directory that is not a sysfs snapshot before reading it", () => {
  it("a directory without devices/system/{cpu,node}: exit 2 naming --sysfs, what a snapshot is", async () => {
    const dir = await tmp();
    mkdirSync(join(dir, "a", "b"), { recursive: true });
    writeFileSync(join(dir, "a", "b", "core_id"), "1\n");
    const r = await llw(dir, "topology", "show", "--sysfs", ".");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /\. does not look like a sysfs snapshot/);
    assert.match(r.err, /where: --sysfs \./);
    assert.match(r.err, /must-gather's nodes\/<node>\/sysinfo\.tgz/);
  });
  it("/usr (a large tree with no snapshot in it) is refused, not walked", async () => {
    const r = await llw(await tmp(), "topology", "show", "--sysfs", "/usr");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /\/usr does not look like a sysfs snapshot/);
  });
  it("/ is read as a root file system: its sys/devices/system, the same topology as /sys", async (t) => {
    if (!existsSync("/sys/devices/system/cpu/cpu0")) return t.skip("no sysfs on this system");
    const root = await llw("/", "topology", "show", "--sysfs", "/", "-o", "json");
    assert.equal(root.code, 0, root.err);
    const sys = await llw("/", "topology", "show", "--sysfs", "/sys", "-o", "json");
    assert.equal(sys.code, 0, sys.err);
    assert.deepEqual(JSON.parse(root.out).topology.cores, JSON.parse(sys.out).topology.cores);
  });
  it("an unpacked snapshot one folder down is found; two snapshots side by side are ambiguous", async () => {
    const host = { cpus: [0, 1, 2, 3].map((cpu) => ({ cpu, core: cpu % 2, socket: 0, node: 0 })) };
    const dir = await tmp();
    await writeSysfsDir(host, join(dir, "worker-0"));
    const one = await llw(dir, "topology", "show", "--sysfs", ".", "-o", "json");
    assert.equal(one.code, 0, one.err);
    assert.deepEqual(JSON.parse(one.out).topology.cpus, [0, 1, 2, 3]);
    await writeSysfsDir(host, join(dir, "worker-1"));
    const two = await llw(dir, "topology", "show", "--sysfs", ".");
    assert.equal(two.code, 2, two.err);
    assert.match(
      two.err,
      /holds 2 sysfs snapshots \(worker-0\/sys\/devices\/system, worker-1\/sys\/devices\/system\)/,
    );
  });
});

describe("profile generate: --check and --force need --out", () => {
  // (--check with --force is refused before, as flags that contradict each other: cli-out.test.ts.)
  for (const flags of [["--check"], ["--force"]]) {
    it(`${flags.join(" ")} without --out: usage error (exit 2), nothing on stdout`, async () => {
      const r = await llw(await tmp(), "profile", "generate", "--instance-type", "c5.metal", ...flags);
      assert.equal(r.code, 2, r.err);
      assert.equal(r.out, "");
      assert.match(r.err, new RegExp(`${flags.join(" and ")} only appl(y|ies) to a file written with --out`));
      assert.match(r.err, /next: +add --out FILE/);
    });
  }
});
