import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { chmod, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EnvironmentError, UserError } from "../../src/lib/errors.ts";
import { withGeneratedHeader, writeGeneratedFiles } from "../../src/lib/files.ts";
import { pendingCleanups } from "../../src/lib/signals.ts";
import { checkOutputFile, ensureDir, writeFileAtomic } from "../../src/lib/write-file.ts";
import { ROOT } from "../helpers/tools.ts";

const tmp = () => mkdtemp(join(tmpdir(), "llw-write-"));
const isRoot = process.getuid?.() === 0;
const refusedAsUser = (re: RegExp) => (e: unknown) =>
  e instanceof UserError && e.exitCode === 2 && re.test(e.message);

/** A character device of our own (the same numbers as /dev/null), so a failing test never touches the real one. */
function makeDevice(dir: string, name: string): string | undefined {
  const path = join(dir, name);
  const r = spawnSync("mknod", [path, "c", "1", "3"]);
  return r.status === 0 ? path : undefined;
}

describe("the one file-writing path: only regular files are ever replaced", () => {
  it("a character device is refused (exit 2) and stays a device, even with --force (as root)", async (t) => {
    const dir = await tmp();
    const dev = isRoot ? makeDevice(dir, "null") : undefined;
    if (!dev) return t.skip("needs root (mknod) to make a device of its own");
    await assert.rejects(
      writeFileAtomic(dev, "x"),
      refusedAsUser(/it is a character device, not a regular file/),
    );
    await assert.rejects(
      writeGeneratedFiles([{ path: dev, content: "x" }], { force: true, flag: "--out" }),
      refusedAsUser(/character device/),
    );
    assert.ok(lstatSync(dev).isCharacterDevice(), "still a character device");
    assert.deepEqual(readdirSync(dir), ["null"], "no temp file left");
  });

  it("the machine's /dev/null and /dev/full are refused by the check every write starts with (the check only: never a write to them)", async () => {
    // Only the check runs against the real devices: were it broken, a write as root would replace them.
    for (const dev of ["/dev/null", "/dev/full"]) {
      await assert.rejects(checkOutputFile(dev, { flag: "--out" }), (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        assert.equal(e.problems[0]!.where, `--out ${dev}`);
        assert.match(e.problems[0]!.next ?? "", /leave it out to print to the terminal or a pipe/);
        return true;
      });
      assert.ok(statSync(dev).isCharacterDevice());
    }
  });

  it("a FIFO, and a symbolic link to one, are refused without blocking on them", async () => {
    const dir = await tmp();
    execFileSync("mkfifo", [join(dir, "pipe")]);
    symlinkSync("pipe", join(dir, "to-pipe"));
    await assert.rejects(writeFileAtomic(join(dir, "pipe"), "x"), refusedAsUser(/a FIFO/));
    await assert.rejects(
      writeGeneratedFiles([{ path: join(dir, "to-pipe"), content: "x" }], { force: true }),
      refusedAsUser(/a FIFO/),
    );
    assert.ok(lstatSync(join(dir, "pipe")).isFIFO());
    assert.ok(lstatSync(join(dir, "to-pipe")).isSymbolicLink());
  });

  it("a symbolic link to /proc/self/fd/1 (what /dev/stdout is) is refused and stays a link", async () => {
    const dir = await tmp();
    const link = join(dir, "stdout");
    symlinkSync("/proc/self/fd/1", link);
    await assert.rejects(writeFileAtomic(link, "x"), (e: unknown) => e instanceof UserError);
    assert.equal(readlinkSync(link), "/proc/self/fd/1");
  });

  it("a symbolic link to a regular file is written through: the link stays, its target gets the content", async () => {
    const dir = await tmp();
    mkdirSync(join(dir, "real"));
    writeFileSync(join(dir, "real", "report.html"), "old");
    symlinkSync("real/report.html", join(dir, "link.html"));
    await writeFileAtomic(join(dir, "link.html"), "new");
    assert.ok(lstatSync(join(dir, "link.html")).isSymbolicLink());
    assert.equal(readFileSync(join(dir, "real", "report.html"), "utf8"), "new");
    assert.deepEqual(
      readdirSync(join(dir, "real")),
      ["report.html"],
      "the temp file was made beside the target",
    );
  });

  it("a dangling symbolic link is refused, not replaced", async () => {
    const dir = await tmp();
    symlinkSync("nowhere/x.yaml", join(dir, "dangling"));
    await assert.rejects(
      writeFileAtomic(join(dir, "dangling"), "x"),
      refusedAsUser(/symbolic link to a file that does not exist/),
    );
    assert.ok(lstatSync(join(dir, "dangling")).isSymbolicLink());
  });

  it("keeps the replaced file's mode: 600 stays 600, 640 stays 640", async () => {
    const dir = await tmp();
    for (const mode of [0o600, 0o640]) {
      const f = join(dir, `m${mode.toString(8)}`);
      writeFileSync(f, "old");
      await chmod(f, mode);
      await writeFileAtomic(f, "new");
      assert.equal(statSync(f).mode & 0o777, mode);
      assert.equal(readFileSync(f, "utf8"), "new");
    }
  });

  it("writes nothing under /proc or /sys, and makes no folder there: fails at once instead of looping", async (t) => {
    if (!existsSync("/proc/self")) return t.skip("no /proc here");
    // Node's mkdir -p spins forever on /proc/ms (ENOENT from a folder whose parent exists).
    await assert.rejects(ensureDir("/proc/ms", { flag: "--output-dir" }), refusedAsUser(/procfs/));
    await assert.rejects(writeFileAtomic("/proc/ms/a/b.yaml", "x"), refusedAsUser(/procfs/));
    await assert.rejects(writeFileAtomic("/sys/llw.yaml", "x"), refusedAsUser(/sysfs/));
  });

  it("a full disk is the environment's failure (exit 3), the old content stays and no temp file is left (root: a 64 KiB tmpfs)", async (t) => {
    if (!isRoot) return t.skip("needs root to mount a small tmpfs");
    const dir = await tmp();
    if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]).status !== 0)
      return t.skip("cannot mount a tmpfs here");
    try {
      writeFileSync(join(dir, "profile.yaml"), "old\n");
      await assert.rejects(
        writeFileAtomic(join(dir, "profile.yaml"), "x".repeat(1 << 20), { flag: "--out" }),
        (e: unknown) => {
          assert.ok(e instanceof EnvironmentError, String(e));
          assert.equal(e.exitCode, 3);
          assert.match(e.message, /no space left on the device \(ENOSPC\)/);
          return true;
        },
      );
      assert.equal(readFileSync(join(dir, "profile.yaml"), "utf8"), "old\n");
      assert.deepEqual(readdirSync(dir), ["profile.yaml"]);
    } finally {
      spawnSync("umount", [dir]);
    }
  });

  it("leaves no signal listener or clean-up behind once a write is done", async () => {
    const dir = await tmp();
    const before = process.listenerCount("SIGINT");
    await writeFileAtomic(join(dir, "a"), "x");
    await assert.rejects(writeFileAtomic(join(dir, "a", "b"), "x"));
    assert.equal(pendingCleanups(), 0);
    assert.equal(process.listenerCount("SIGINT"), before);
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} during a write removes the temp file, leaves the old file, and ends llw by that signal`, async () => {
      const dir = await tmp();
      writeFileSync(join(dir, "out.yaml"), "old\n");
      // A write whose content never finishes arriving, so the signal lands while the temp file exists.
      const script = `
        import { writeFileAtomic } from ${JSON.stringify(join(ROOT, "src/lib/write-file.ts"))};
        async function* slow() { yield "partial\\n"; await new Promise(() => setInterval(() => {}, 1000)); }
        await writeFileAtomic(${JSON.stringify(join(dir, "out.yaml"))}, slow());
      `;
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
      const exited = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_code, sig) => r(sig)));
      while (!readdirSync(dir).some((n) => n.endsWith(".tmp"))) await new Promise((r) => setTimeout(r, 20));
      child.kill(signal);
      assert.equal(await exited, signal);
      assert.deepEqual(readdirSync(dir), ["out.yaml"]);
      assert.equal(readFileSync(join(dir, "out.yaml"), "utf8"), "old\n");
    });
  }

  it("a generated file whose target is a directory is refused before any file of the set is written", async () => {
    const dir = await tmp();
    mkdirSync(join(dir, "b.yaml"));
    const gen = (b: string) => withGeneratedHeader(b, ["regenerate: test"]);
    await assert.rejects(
      writeGeneratedFiles(
        [
          { path: join(dir, "a.yaml"), content: gen("a: 1\n") },
          { path: join(dir, "b.yaml"), content: gen("b: 1\n") },
        ],
        { cwd: dir },
      ),
      refusedAsUser(/EISDIR/),
    );
    assert.deepEqual(readdirSync(dir), ["b.yaml"]);
  });
});
