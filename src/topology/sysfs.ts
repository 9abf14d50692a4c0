/**
 * Reads a sysfs snapshot into a Topology: a directory, or a .tar.gz such as the
 * nodes/<node>/sysinfo.tgz that OpenShift's must-gather collects for the Performance Profile
 * Creator. Uses sys/devices/system/cpu/cpu<N>/topology/{core_id,physical_package_id},
 * sys/devices/system/node/node<N>/{cpulist,meminfo} and sys/devices/system/cpu/online.
 */
import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { formatCpuList, parseCpuList } from "../lib/cpuset.ts";
import { type Problem, UserError } from "../lib/errors.ts";
import { pathError } from "../lib/files.ts";
import { decodeText, formatBytes, INPUT_LIMITS, readInputBytes, readInputText } from "../lib/input.ts";
import { buildTopology, type CpuRecord, MAX_CPUS, type Topology } from "./model.ts";

/** Files of interest keyed by their path from "devices/system/" on. */
type Files = Map<string, { text: string; where: string }>;

/** Problems kept from one archive (the rest are counted): an archive can hold a million entries. */
const MAX_PROBLEMS = 20;

const INTERESTING =
  /devices\/system\/(cpu\/(online|offline|present|cpu\d+\/(online|topology\/(core_id|physical_package_id)))|node\/node\d+\/(cpulist|meminfo))$/;

function keyOf(path: string): string | undefined {
  const p = path.split(sep).join("/");
  if (!INTERESTING.test(p)) return undefined;
  return p.slice(p.lastIndexOf("devices/system/"));
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Whether `dir` is a devices/system directory: a cpu/ folder with cpu<N> entries, or node/ with node<N>. */
async function isSystemDir(dir: string): Promise<boolean> {
  for (const [sub, entry] of [
    ["cpu", /^cpu\d+$/],
    ["node", /^node\d+$/],
  ] as const) {
    try {
      if ((await readdir(join(dir, sub))).some((n) => entry.test(n))) return true;
    } catch {
      // Not there: try the other one.
    }
  }
  return false;
}

/**
 * The devices/system directory of a snapshot: DIR itself, DIR/devices/system or
 * DIR/sys/devices/system, or the same one folder down (an archive unpacked into its own
 * folder). Looking only there, rather than walking DIR, keeps a wrong path (say /) from
 * reading a whole file system.
 */
async function findSystemDir(dir: string, label: string): Promise<string> {
  const near = ["", "devices/system", "sys/devices/system"];
  for (const rel of near) if (await isSystemDir(join(dir, rel))) return join(dir, rel);
  let children: string[] = [];
  try {
    children = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch (e) {
    throw pathError(e, "read", dir, { flag: "--sysfs", shown: label });
  }
  const found: string[] = [];
  for (const child of children.sort()) {
    for (const rel of near.slice(1)) {
      if (await isSystemDir(join(dir, child, rel))) found.push(join(dir, child, rel));
    }
  }
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw new UserError({
      what: `${label} holds ${found.length} sysfs snapshots (${found.map((f) => relative(dir, f)).join(", ")}), so which node is meant is unclear`,
      where: `--sysfs ${label}`,
      next: "pass the snapshot of one node",
    });
  }
  throw new UserError({
    what: `${label} does not look like a sysfs snapshot: no sys/devices/system/cpu or sys/devices/system/node directory with cpu<N> or node<N> entries in it, nor one folder down`,
    where: `--sysfs ${label}`,
    next: "pass a snapshot of /sys (a directory or .tar.gz holding sys/devices/system/cpu and sys/devices/system/node), e.g. must-gather's nodes/<node>/sysinfo.tgz, or /sys on the node itself",
  });
}

/** Reads the files of interest under a devices/system directory (only its cpu/ and node/ folders). */
async function readDir(dir: string, label: string): Promise<Files> {
  const system = await findSystemDir(dir, label);
  const files: Files = new Map();
  for (const sub of ["cpu", "node"]) {
    const top = join(system, sub);
    if (!(await isDirectory(top))) continue;
    let entries: Dirent[];
    try {
      entries = await readdir(top, { recursive: true, withFileTypes: true });
    } catch (e) {
      throw pathError(e, "read", top, { flag: "--sysfs", shown: relative(dir, top) || top });
    }
    for (const e of entries) {
      if (e.isDirectory()) continue;
      const full = join(e.parentPath, e.name);
      const key = keyOf(`devices/system/${relative(system, full)}`);
      if (!key || files.has(key)) continue;
      const where = relative(dir, full) || full;
      // A snapshot holds files: a link could point anywhere (another file's content in a message,
      // a FIFO that never answers), so one where a file belongs is refused, not followed.
      if (!e.isFile()) {
        throw new UserError({
          what: `${where} is ${e.isSymbolicLink() ? "a symbolic link" : "not a regular file"}, where a sysfs snapshot has a file`,
          where: `--sysfs ${label}`,
          next: "snapshot /sys by copying its files (must-gather's sysinfo.tgz, or tar of sys/devices/system), not links to them",
        });
      }
      files.set(key, {
        text: await readInputText(full, "sysfsEntry", { flag: "--sysfs", shown: where }, { noFollow: true }),
        where,
      });
    }
  }
  return files;
}

/**
 * Reads the files of interest from a .tar.gz (or .tar), streaming: the archive within the limit
 * for an archive, what it unpacks to within the limit for unpacked content (a small archive can
 * unpack to gigabytes), each file of interest within the limit for a sysfs file.
 */
async function readTarball(file: string, label: string): Promise<Files> {
  const archive = await readInputBytes(file, "sysfsArchive", { flag: "--sysfs", shown: label });
  const { Parser } = await import("tar");
  const { createGunzip } = await import("node:zlib");
  const files: Files = new Map();
  const problems: Problem[] = [];
  // What is kept stays small however many entries the archive holds (up to a million headers fit
  // in the unpacked limit): at most MAX_CPUS CPUs' files, and the first problems only.
  let overflow: string | undefined;
  let dropped = 0;
  const problem = (p: Problem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
    else dropped++;
  };
  const parser = new Parser({
    onReadEntry: (entry) => {
      const key = entry.type === "File" ? keyOf(entry.path) : undefined;
      const cpu = /^devices\/system\/cpu\/cpu(\d+)\//.exec(keyOf(entry.path) ?? "");
      if (cpu && Number(cpu[1]) >= MAX_CPUS) overflow ??= entry.path;
      if (!key || files.has(key) || overflow) {
        if (key === undefined && entry.type === "SymbolicLink" && keyOf(entry.path))
          problem({
            what: `${entry.path} is a symbolic link, where a sysfs snapshot has a file`,
            where: `--sysfs ${label}`,
            next: "snapshot /sys by copying its files, not links to them",
          });
        entry.resume();
        return;
      }
      if (entry.size > INPUT_LIMITS.sysfsEntry.bytes) {
        problem({
          what: `${entry.path} is ${formatBytes(entry.size)}, more than the ${formatBytes(INPUT_LIMITS.sysfsEntry.bytes)} limit for a sysfs file`,
          where: `--sysfs ${label}`,
          next: "check the archive: it should hold a snapshot of sys/devices/system",
        });
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      entry.on("end", () => {
        // Inside the parser's event: a bad entry is collected, never thrown past the parser.
        try {
          const text = decodeText(
            Buffer.concat(chunks),
            entry.path,
            { shown: `${label}:${entry.path}` },
            "a sysfs file",
          );
          files.set(key, { text, where: `${label}:${entry.path}` });
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          problems.push(...e.problems);
        }
      });
    },
  });
  const limit = INPUT_LIMITS.sysfsUnpacked.bytes;
  const gzipped = archive[0] === 0x1f && archive[1] === 0x8b;
  await new Promise<void>((ok, fail) => {
    parser.on("end", ok);
    parser.on("error", fail);
    if (!gzipped) {
      parser.end(archive);
      return;
    }
    let unpacked = 0;
    const gunzip = createGunzip();
    gunzip.on("data", (c: Buffer) => {
      unpacked += c.length;
      if (unpacked > limit) {
        gunzip.destroy();
        fail(
          new UserError({
            what: `${label} unpacks to more than ${formatBytes(limit)}, the limit for a sysfs snapshot`,
            where: `--sysfs ${label}`,
            next: "pass the snapshot of one node's sys/devices/system (must-gather's nodes/<node>/sysinfo.tgz)",
          }),
        );
        return;
      }
      parser.write(c);
    });
    gunzip.on("end", () => parser.end());
    gunzip.on("error", fail);
    gunzip.end(archive);
  }).catch((e: unknown) => {
    if (e instanceof UserError) throw e;
    throw new UserError({
      what: `cannot read the archive: ${(e as Error).message}`,
      where: `--sysfs ${label}`,
      next: "pass a .tar.gz of sys/devices/system (e.g. must-gather's nodes/<node>/sysinfo.tgz) or an unpacked directory",
    });
  });
  if (overflow)
    problems.unshift({
      what: `${overflow} names a CPU beyond ${MAX_CPUS - 1}: more CPUs than Linux supports on x86, so not one host's snapshot`,
      where: `--sysfs ${label}`,
      next: "pass the snapshot of one node's sys/devices/system (must-gather's nodes/<node>/sysinfo.tgz)",
    });
  if (dropped > 0)
    problems.push({ what: `... and ${dropped} more such problems`, where: `--sysfs ${label}` });
  if (problems.length > 0) throw new UserError(problems);
  return files;
}

function toTopology(files: Files, source: string): Topology {
  const problems: Problem[] = [];
  const cpuIds = new Set<number>();
  for (const key of files.keys()) {
    const m = /^devices\/system\/cpu\/cpu(\d+)\//.exec(key);
    if (m) cpuIds.add(Number(m[1]));
  }
  if (cpuIds.size === 0) {
    throw new UserError({
      what: "no sys/devices/system/cpu/cpu<N>/topology files found",
      where: source,
      next: "pass a snapshot of /sys (a directory or .tar.gz holding sys/devices/system/cpu and sys/devices/system/node), e.g. must-gather's nodes/<node>/sysinfo.tgz",
    });
  }
  const onlineFile = files.get("devices/system/cpu/online");
  const onlineList = onlineFile ? new Set(parseCpuList(onlineFile.text, onlineFile.where)) : undefined;
  // A cut-off archive or a partial copy loses cpu<N> folders: every CPU the kernel lists as
  // present or online, or a NUMA node lists, must have its folder.
  const listed = new Map<number, string>();
  for (const key of ["devices/system/cpu/present", "devices/system/cpu/online"]) {
    const f = files.get(key);
    if (f)
      for (const cpu of parseCpuList(f.text, `${f.where}:1`)) if (!listed.has(cpu)) listed.set(cpu, f.where);
  }
  for (const [key, f] of files) {
    if (/^devices\/system\/node\/node\d+\/cpulist$/.test(key))
      for (const cpu of parseCpuList(f.text, `${f.where}:1`)) if (!listed.has(cpu)) listed.set(cpu, f.where);
  }
  const missing = [...listed.keys()].filter((cpu) => !cpuIds.has(cpu)).sort((a, b) => a - b);
  if (missing.length > 0) {
    const from = [...new Set(missing.map((c) => listed.get(c)!))];
    throw new UserError({
      what: `the snapshot is incomplete: ${from.join(" and ")} list${from.length === 1 && !from[0]!.endsWith("s") ? "s" : ""} CPUs ${formatCpuList(missing)}, which have no cpu<N> folder (${cpuIds.size} CPUs found)`,
      where: `--sysfs ${source}`,
      next: "the archive or copy was cut off: capture sys/devices/system again (must-gather's nodes/<node>/sysinfo.tgz)",
    });
  }
  const nodeOf = new Map<number, number>();
  const nodeMemoryMiB: Record<number, number> = {};
  for (const [key, f] of files) {
    const m = /^devices\/system\/node\/node(\d+)\/(cpulist|meminfo)$/.exec(key);
    if (!m) continue;
    const node = Number(m[1]);
    if (m[2] === "cpulist") {
      for (const cpu of parseCpuList(f.text, `${f.where}:1`)) nodeOf.set(cpu, node);
    } else {
      const mem = /MemTotal:\s+(\d+)\s*kB/i.exec(f.text);
      if (mem) nodeMemoryMiB[node] = Math.floor(Number(mem[1]) / 1024);
    }
  }
  const records: CpuRecord[] = [];
  const offline: number[] = [];
  const readInt = (key: string): { value?: number; where?: string } => {
    const f = files.get(key);
    if (!f) return {};
    const v = Number(f.text.trim());
    if (!Number.isInteger(v)) {
      const found = f.text.trim();
      problems.push({
        what: `expected an integer, found "${found.length > 40 ? `${found.slice(0, 40)}…` : found}"`,
        where: `${f.where}:1`,
      });
      return { where: f.where };
    }
    return { value: v, where: f.where };
  };
  for (const cpu of [...cpuIds].sort((a, b) => a - b)) {
    const base = `devices/system/cpu/cpu${cpu}`;
    const flag = files.get(`${base}/online`)?.text.trim();
    const core = readInt(`${base}/topology/core_id`);
    const socket = readInt(`${base}/topology/physical_package_id`);
    const isOnline = onlineList ? onlineList.has(cpu) : flag !== "0";
    // Offline CPUs have no topology directory in sysfs.
    if (!isOnline || (flag === "0" && core.value === undefined)) {
      offline.push(cpu);
      continue;
    }
    if (core.value === undefined || socket.value === undefined) {
      if (!core.where || !socket.where) {
        problems.push({
          what: `CPU ${cpu} is online but its topology/${core.where ? "physical_package_id" : "core_id"} is missing`,
          where: `${source}: ${base}/topology`,
          next: "the snapshot is incomplete; capture sys/devices/system/cpu again",
        });
      }
      continue;
    }
    records.push({ cpu, core: core.value, socket: socket.value, node: nodeOf.get(cpu), where: core.where });
  }
  if (problems.length > 0) throw new UserError(problems);
  if (nodeOf.size === 0) {
    throw new UserError({
      what: "missing NUMA info: no sys/devices/system/node/node<N>/cpulist in the snapshot",
      where: source,
      next: "include sys/devices/system/node in the snapshot (must-gather's sysinfo.tgz has it)",
    });
  }
  const meta = {
    source: `sysfs: ${source}`,
    where: source,
    offlineCpus: offline,
    ...(Object.keys(nodeMemoryMiB).length > 0 ? { nodeMemoryMiB } : {}),
  };
  return buildTopology(records, meta);
}

/** Reads a sysfs snapshot directory or .tar.gz / .tgz archive; `label` is the path as the user typed it. */
export async function readSysfs(path: string, label = path): Promise<Topology> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    throw pathError(e, "read", path, { flag: "--sysfs", shown: label });
  }
  const files = isDir ? await readDir(path, label) : await readTarball(path, label);
  return toTopology(files, path);
}
