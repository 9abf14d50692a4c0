import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createGzip, gzipSync } from "node:zlib";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { getInstanceType, topologyOf } from "../../src/topology/catalog.ts";
import { parseLscpu } from "../../src/topology/lscpu.ts";
import { withHangGuard } from "../helpers/hang-guard.ts";
import { writeSysfsDir } from "./sysfs-fixture.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "llw-bounds-"));

async function llw(cwd: string, ...args: string[]) {
  const ctx = bufferContext({ cwd });
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

/** The real format of `lscpu -p` on a c5.metal (header comments, 9 columns, one line per CPU). */
function c5LscpuP(): string {
  const t = topologyOf(getInstanceType("c5.metal"));
  const recs = t.cores.flatMap((c) =>
    c.cpus.map((cpu) => ({ cpu, core: c.id, socket: c.socket, node: c.node })),
  );
  recs.sort((a, b) => a.cpu - b.cpu);
  return [
    "# The following is the parsable format, which can be fed to other",
    "# programs. Each different item in every column has an unique ID",
    "# starting usually from zero.",
    "# CPU,Core,Socket,Node,,L1d,L1i,L2,L3",
    ...recs.map((r) => `${r.cpu},${r.core},${r.socket},${r.node},,${r.core},${r.core},${r.core},${r.socket}`),
    "",
  ].join("\n");
}

const c5Records = () => {
  const t = topologyOf(getInstanceType("c5.metal"));
  return t.cores.flatMap((c) => c.cpus.map((cpu) => ({ cpu, core: c.id, socket: c.socket, node: c.node })));
};

describe("topology inputs are bounded and checked (lscpu, sysfs)", () => {
  it("a truncated lscpu -p (96 CPUs cut mid-line) is refused naming the line, not planned as a 46-CPU host", async () => {
    const dir = tmp();
    const full = c5LscpuP();
    // Cut in the middle of CPU 46's line, as a capture interrupted mid-write leaves it.
    const cut = full.slice(0, full.indexOf("\n46,") + 6);
    writeFileSync(join(dir, "cut.txt"), cut);
    const r = await llw(dir, "profile", "generate", "--lscpu", "cut.txt");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /cut\.txt:51/);
    assert.match(r.err, /cut off/);
    assert.equal(r.out, "");
    // Cut inside a field of the last line, but with its line end (a copy that lost the rest).
    writeFileSync(join(dir, "cut2.txt"), `${full.slice(0, full.indexOf("\n46,") + 5)}\n`);
    const r2 = await llw(dir, "profile", "generate", "--lscpu", "cut2.txt");
    assert.equal(r2.code, 2, r2.err);
    assert.match(r2.err, /expected 9 comma-separated fields, found 2/);
  });

  it("lscpu -e with a garbled ONLINE value or a short row is refused", () => {
    assert.throws(
      () => parseLscpu("CPU NODE SOCKET CORE ONLINE\n0 0 0 0 yes\n1 0 0 1 ye\n", "e.txt"),
      /ONLINE is "ye"/,
    );
    assert.throws(
      () => parseLscpu("CPU NODE SOCKET CORE ONLINE\n0 0 0 0 yes\n1 0 0\n", "e.txt"),
      /expected 5 columns/,
    );
  });

  it("a topology that contradicts --instance-type is an error (a 2-CPU VM's lscpu with c5.metal), exit 2, nothing printed", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "vm.txt"), "# CPU,Core,Socket,Node\n0,0,0,0\n1,1,0,0\n");
    const r = await llw(dir, "profile", "generate", "--instance-type", "c5.metal", "--lscpu", "vm.txt");
    assert.equal(r.code, 2, r.err);
    assert.match(
      r.err,
      /--lscpu contradicts --instance-type c5\.metal \(socket count, core count\): it has 1 socket, 2 cores and 2 online CPUs; a c5\.metal has 2 sockets, 48 cores and 96 vCPUs/,
    );
    assert.match(r.err, /leave out --instance-type/);
    assert.equal(r.out, "");
    // lscpu -e of another type (all CPUs listed): the CPU count decides.
    const m5zn = topologyOf(getInstanceType("m5zn.metal"));
    const e = [
      "CPU NODE SOCKET CORE ONLINE",
      ...m5zn.cores.flatMap((c) => c.cpus.map((cpu) => `${cpu} ${c.node} ${c.socket} ${c.id} yes`)),
      "",
    ];
    writeFileSync(join(dir, "m5zn.txt"), e.join("\n"));
    const r2 = await llw(dir, "topology", "show", "--instance-type", "c5.metal", "--lscpu", "m5zn.txt");
    assert.equal(r2.code, 2, r2.err);
    assert.match(r2.err, /CPU count/);
  });

  it("a sysfs snapshot whose memory contradicts the instance type is an error", async () => {
    const root = await writeSysfsDir({
      cpus: c5Records(),
      nodeMemoryKiB: { 0: 8 * 1024 * 1024, 1: 8 * 1024 * 1024 },
    });
    const r = await llw(root, "profile", "generate", "--instance-type", "c5.metal", "--sysfs", ".");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /memory \(16 GiB vs 192 GiB\)/);
  });

  it("--lscpu /dev/zero (a device) is refused at once, without reading it", async () => {
    const r = await llw(tmp(), "topology", "show", "--lscpu", "/dev/zero");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /refusing to read \/dev\/zero: it is a character device/);
  });

  it("a stream that never ends (a pipe fed by `yes`) is cut off at the limit and refused, exit 2", async () => {
    const dir = tmp();
    const fifo = join(dir, "endless");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `exec yes '0,0,0,0' > "${fifo}"`], { stdio: "ignore" });
    try {
      const r = await llw(dir, "topology", "show", "--lscpu", fifo);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /does not end within 4 MiB, the limit for a lscpu output/);
    } finally {
      writer.kill();
    }
  });

  it("a file over the size limit is refused by its size, not read", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "big.txt"), "");
    execFileSync("truncate", ["-s", "50M", join(dir, "big.txt")]);
    const r = await llw(dir, "topology", "show", "--lscpu", "big.txt");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /big\.txt is 50 MiB, more than the 4 MiB limit for a lscpu output/);
  });

  it("lscpu -J -e is read in linear time: 8192 CPUs padded to nearly 4 MiB parse inside the hang guard (the quadratic reader took minutes)", async () => {
    const cpus = [];
    for (let cpu = 0; cpu < 8192; cpu++)
      cpus.push({ cpu, node: 0, socket: 0, core: cpu % 4096, online: true, comment: "x".repeat(340) });
    const text = `${JSON.stringify({ cpus }, null, 3)}\n`;
    assert.ok(text.length > 3.5 * 1024 * 1024 && text.length < 4 * 1024 * 1024, String(text.length));
    const lscpu = join(import.meta.dirname, "../../src/topology/lscpu.ts");
    const t = await withHangGuard<{ cpus: number[] }>(lscpu, "parseLscpu", [text, "big.json"], 60_000);
    assert.equal(t.cpus.length, 8192);
    // Line numbers are still right: the duplicate is reported on CPU 8191's own line.
    await assert.rejects(
      withHangGuard(lscpu, "parseLscpu", [text.replace('"cpu": 8191', '"cpu": 8190'), "big.json"], 60_000),
      /8190/,
    );
  });

  it("more CPUs than Linux supports (8192) is not one host: refused before any work per CPU", () => {
    const lines = ["# CPU,Core,Socket,Node"];
    for (let cpu = 0; cpu < 9000; cpu++) lines.push(`${cpu},${cpu},0,0`);
    assert.throws(
      () => parseLscpu(`${lines.join("\n")}\n`, "many.txt"),
      /9000 CPUs: more than Linux supports/,
    );
  });
});

/** A ustar header: a file of `size` bytes (type "0") or a symbolic link (type "2"). */
function tarHeader(name: string, size: number, type = "0", linkname = ""): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write(type, 156);
  h.write(linkname, 157);
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
}

describe("sysfs snapshots: links, pipes, sizes and cut-off copies", () => {
  it("a symbolic link where a file belongs is refused; the linked file's content is never shown", async () => {
    const root = await writeSysfsDir({ cpus: c5Records() });
    const secret = join(tmp(), "secret");
    writeFileSync(secret, "TOP-SECRET-TOKEN\n");
    const coreId = join(root, "sys/devices/system/cpu/cpu3/topology/core_id");
    rmSync(coreId);
    symlinkSync(secret, coreId);
    const r = await llw(root, "topology", "show", "--sysfs", ".");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /cpu3\/topology\/core_id is a symbolic link, where a sysfs snapshot has a file/);
    assert.doesNotMatch(r.err + r.out, /TOP-SECRET/);
  });

  it("a FIFO, or a link to one, where a file belongs is refused without waiting on it", {
    timeout: 30_000,
  }, async () => {
    for (const asLink of [false, true]) {
      const root = await writeSysfsDir({ cpus: c5Records() });
      const coreId = join(root, "sys/devices/system/cpu/cpu5/topology/core_id");
      rmSync(coreId);
      const fifo = asLink ? join(tmp(), "fifo") : coreId;
      execFileSync("mkfifo", [fifo]);
      if (asLink) symlinkSync(fifo, coreId);
      const r = await llw(root, "topology", "show", "--sysfs", ".");
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, asLink ? /is a symbolic link/ : /is not a regular file/);
    }
  });

  it("a cut-off snapshot (cpu/online lists 96 CPUs, 46 cpu<N> folders) is refused as incomplete", async () => {
    const root = await writeSysfsDir({ cpus: c5Records() });
    for (let cpu = 46; cpu < 96; cpu++)
      rmSync(join(root, `sys/devices/system/cpu/cpu${cpu}`), { recursive: true });
    const r = await llw(root, "profile", "generate", "--sysfs", ".");
    assert.equal(r.code, 2, r.err);
    assert.match(
      r.err,
      /the snapshot is incomplete: .*CPUs 46-95, which have no cpu<N> folder \(46 CPUs found\)/,
    );
  });

  it("an archive entry over the per-file limit, and an archive that unpacks to more than its limit, are refused (exit 2)", {
    timeout: 120_000,
  }, async () => {
    const dir = tmp();
    /** A .tar.gz with one entry of `size` zero bytes, compressed as it streams (never held whole). */
    const bomb = async (name: string, size: number) => {
      const gz = createGzip({ level: 1 });
      const out: Buffer[] = [];
      gz.on("data", (c: Buffer) => out.push(c));
      const done = new Promise((r) => gz.on("end", r));
      gz.write(tarHeader(name, size));
      const zeros = Buffer.alloc(1 << 20);
      for (let left = size; left > 0; left -= zeros.length) {
        if (!gz.write(left >= zeros.length ? zeros : zeros.subarray(0, left)))
          await new Promise((r) => gz.once("drain", r));
      }
      gz.end(Buffer.alloc(1024 + ((512 - (size % 512)) % 512)));
      await done;
      return Buffer.concat(out);
    };
    writeFileSync(
      join(dir, "entry.tgz"),
      await bomb("sys/devices/system/cpu/cpu0/topology/core_id", 2 << 20),
    );
    const big = await llw(dir, "topology", "show", "--sysfs", "entry.tgz");
    assert.equal(big.code, 2, big.err);
    assert.match(big.err, /core_id is 2 MiB, more than the 256 KiB limit for a sysfs file/);
    const archive = await bomb("sys/devices/system/cpu/junk", 600 << 20);
    assert.ok(archive.length < 4 << 20, `the archive is small: ${archive.length}`);
    writeFileSync(join(dir, "bomb.tgz"), archive);
    const r = await llw(dir, "topology", "show", "--sysfs", "bomb.tgz");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /bomb\.tgz unpacks to more than 512 MiB/);
    assert.ok(readFileSync(join(dir, "bomb.tgz")).length === archive.length);
  });

  it("an archive of 100,000 symbolic links, or of CPU folders past 8191, is refused with its first problems, within a 96 MiB heap (every entry's problem used to be kept: 900,000 links in a 4 MB archive took 0.5 GB)", {
    timeout: 240_000,
  }, async () => {
    const dir = tmp();
    const archive = (entries: (i: number) => Buffer, n: number) => {
      const parts: Buffer[] = [];
      for (let i = 0; i < n; i++) parts.push(entries(i));
      parts.push(Buffer.alloc(1024));
      return gzipSync(Buffer.concat(parts), { level: 1 });
    };
    writeFileSync(
      join(dir, "links.tgz"),
      archive(
        (i) => tarHeader(`sys/devices/system/cpu/cpu${i % 8000}/topology/core_id`, 0, "2", "/etc/passwd"),
        100_000,
      ),
    );
    const one = (data: string) => (i: number) =>
      Buffer.concat([
        tarHeader(`sys/devices/system/cpu/cpu${i}/topology/core_id`, data.length),
        Buffer.from(data.padEnd(512, "\0")),
      ]);
    writeFileSync(join(dir, "cpus.tgz"), archive(one("0\n"), 100_000));
    const sysfs = join(import.meta.dirname, "../../src/topology/sysfs.ts");
    const links = withHangGuard(sysfs, "readSysfs", [join(dir, "links.tgz")], 120_000, {
      maxOldGenerationSizeMb: 96,
    });
    await assert.rejects(links, (e: Error) => {
      assert.match(e.message, /cpu0\/topology\/core_id is a symbolic link/);
      assert.match(e.message, /\.\.\. and 99980 more such problems/);
      assert.equal(e.message.split("; ").length, 21, "20 problems kept and one line counting the rest");
      return true;
    });
    const cpus = withHangGuard(sysfs, "readSysfs", [join(dir, "cpus.tgz")], 120_000, {
      maxOldGenerationSizeMb: 96,
    });
    await assert.rejects(
      cpus,
      /cpu8192\/topology\/core_id names a CPU beyond 8191: more CPUs than Linux supports/,
    );
  });

  it("a snapshot folder that is missing parts of a CPU is named, not guessed", async () => {
    const root = await writeSysfsDir({ cpus: c5Records() });
    mkdirSync(join(root, "sys/devices/system/cpu/cpu200"), { recursive: true });
    const r = await llw(root, "topology", "show", "--sysfs", ".");
    // cpu200 has neither online flag nor topology: offline, as on a live system.
    assert.equal(r.code, 0, r.err);
  });
});
