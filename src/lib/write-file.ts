/**
 * The one way llw writes a file (every command goes through here; a test scans src/ for any
 * other). A target is checked before any work is done and before anything is read from it:
 *
 * - only regular files are written. A symbolic link is written through (the file it points to is
 *   replaced, the link stays); a dangling link is refused. Directories, devices (`/dev/null`,
 *   `/dev/full`), FIFOs and sockets are refused (exit 2): `--out /dev/null --force`, even as root,
 *   never replaces the device with a regular file;
 * - nothing is written under /proc, /sys or /dev, nor on any pseudo file system (procfs, sysfs,
 *   cgroup, debugfs, ...), where creating folders can loop forever and files are not files;
 * - folders are created one level at a time, each once (`mkdir -p` in Node loops forever when the
 *   kernel answers ENOENT for a folder whose parent exists, as /proc does);
 * - the content goes to a temp file in the same folder, renamed over the target, so a reader sees
 *   the old or the new file, never half of one; the temp file is removed on any error and on
 *   SIGINT/SIGTERM/SIGHUP;
 * - the replaced file's mode (and, as root, its owner) is kept: a 600 file stays 600.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fchmodSync,
  fchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  type Stats,
  statfsSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { lstat, mkdir, open, realpath, rename, rm, stat, statfs } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { UserError } from "./errors.ts";
import { type PathLabel, pathError } from "./path-error.ts";
import { onInterrupt } from "./signals.ts";

/** statfs(2) magic numbers of Linux pseudo file systems (linux/magic.h). */
const PSEUDO_FS: Record<number, string> = {
  40864: "procfs",
  1650812274: "sysfs",
  2613483: "cgroup",
  1667723888: "cgroup2",
  1684170528: "debugfs",
  1953653091: "tracefs",
  1935894131: "securityfs",
  7377: "devpts",
  3405662737: "bpf",
  1650812272: "configfs",
  1634035564: "pstore",
  3730735588: "efivarfs",
  4185718668: "selinuxfs",
  1702057283: "fusectl",
};
/** Folders of the kernel's and the devices' that hold no user files (/dev/shm is ordinary tmpfs). */
const SYSTEM_DIRS = ["/proc", "/sys", "/dev"];

export interface OutputFile {
  /** The file to replace: the path itself, or the regular file a symbolic link points to. */
  path: string;
  /** The replaced file's mode and owner, kept on the new file. */
  existing?: { mode: number; uid: number; gid: number };
}

function kindOf(st: Stats): string {
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

function refuse(what: string, label: PathLabel, shown: string, next: string): UserError {
  return new UserError({ what, where: label.flag ? `${label.flag} ${shown}` : shown, next });
}

function systemDir(real: string): string | undefined {
  if (real.startsWith(`/dev/shm${sep}`) || real === "/dev/shm") return undefined;
  return SYSTEM_DIRS.find((d) => real === d || real.startsWith(`${d}${sep}`));
}

function pseudoFs(type: number | bigint): string | undefined {
  return PSEUDO_FS[Number(type)];
}

function checkPlace(
  realDir: string,
  fsType: number | bigint | undefined,
  label: PathLabel,
  shown: string,
): void {
  const sys = systemDir(realDir);
  const pseudo = fsType === undefined ? undefined : pseudoFs(fsType);
  if (sys || pseudo) {
    throw refuse(
      `cannot write ${shown}: ${pseudo ? `it is on ${pseudo}, a kernel pseudo file system` : `${sys} holds the kernel's and devices' files`}, not a place for files`,
      label,
      shown,
      "write to a folder on an ordinary file system",
    );
  }
}

function checkTarget(st: Stats, label: PathLabel, shown: string): void {
  if (st.isDirectory())
    throw pathError(Object.assign(new Error("EISDIR"), { code: "EISDIR" }), "write", shown, label);
  if (!st.isFile()) {
    throw refuse(
      `refusing to write ${shown}: it is ${kindOf(st)}, not a regular file`,
      label,
      shown,
      label.flag === undefined
        ? "choose the path of a regular file"
        : `give ${label.flag} the path of a regular file; leave it out to print to the terminal or a pipe`,
    );
  }
}

function danglingLink(label: PathLabel, shown: string): UserError {
  return refuse(
    `refusing to write ${shown}: it is a symbolic link to a file that does not exist`,
    label,
    shown,
    "remove the link or point it at a regular file",
  );
}

/** The nearest folder of `dir` (itself or an ancestor) that exists, and the folders to create below it. */
async function nearestExisting(dir: string, label: PathLabel, shown: string): Promise<[string, string[]]> {
  const missing: string[] = [];
  let d = resolve(dir);
  for (;;) {
    try {
      const st = await stat(d);
      if (!st.isDirectory())
        throw pathError(Object.assign(new Error("ENOTDIR"), { code: "ENOTDIR" }), "write", shown, label);
      return [d, missing.reverse()];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw pathError(e, "write", shown, label);
      // Not there, or a link to nothing: a folder llw would make must not be a dangling link.
      if (
        await lstat(d).then(
          () => true,
          () => false,
        )
      )
        throw danglingLink(label, shown);
      const up = dirname(d);
      if (up === d) throw pathError(e, "write", shown, label);
      missing.push(d);
      d = up;
    }
  }
}

/**
 * Checks where a file would be written, before any work: throws a UserError (exit 2) for a
 * directory, device, FIFO, socket, dangling link or a system folder; an EnvironmentError (exit 3)
 * when the path cannot be examined for lack of permission. Returns the real file to replace.
 */
export async function checkOutputFile(path: string, label: PathLabel = {}): Promise<OutputFile> {
  const shown = label.shown ?? path;
  let target = resolve(path);
  let st: Stats | undefined;
  try {
    st = await lstat(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw pathError(e, "write", shown, label);
  }
  if (st?.isSymbolicLink()) {
    const through = await stat(target).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") throw danglingLink(label, shown);
      throw pathError(e, "write", shown, label);
    });
    // A device or pipe behind the link (/dev/stdout -> /proc/self/fd/1) is refused below.
    checkTarget(through, label, shown);
    target = await realpath(target).catch((e) => {
      throw pathError(e, "write", shown, label);
    });
    st = through;
  }
  if (st) checkTarget(st, label, shown);
  await checkFolder(dirname(target), label, shown);
  return st
    ? { path: target, existing: { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid } }
    : { path: target };
}

/** Refuses a folder on a pseudo file system or under a system folder; returns what mkdir must create. */
async function checkFolder(dir: string, label: PathLabel, shown: string): Promise<string[]> {
  const [existing, missing] = await nearestExisting(dir, label, shown);
  const realDir = await realpath(existing).catch(() => existing);
  const fs = await statfs(realDir).catch(() => undefined);
  checkPlace(realDir, fs?.type, label, shown);
  return missing;
}

/** Checks a folder llw will write files into (`--out-dir`): a directory or a place to make one. */
export async function checkOutputDir(dir: string, label: PathLabel = {}): Promise<string> {
  await checkFolder(dir, label, label.shown ?? dir);
  return resolve(dir);
}

/** Creates `dir` and its missing parents, each once: no retry loop that can spin forever. */
export async function ensureDir(dir: string, label: PathLabel = {}): Promise<void> {
  const shown = label.shown ?? dir;
  const missing = await checkFolder(dir, label, shown);
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || !(await stat(d)).isDirectory())
        throw pathError(e, "write", shown, label);
    }
  }
}

function tempBeside(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/** Removes the temp file however llw stops; returns the function that stops watching it. */
function guardTemp(tmp: string): () => void {
  return onInterrupt(() => {
    try {
      unlinkSync(tmp);
    } catch {
      // not created yet, or already renamed
    }
  });
}

export interface WriteFileOptions {
  /** Mode of a new file (default 0o666 less the umask, as any program creates files). */
  mode?: number;
  /** The target was already checked with checkOutputFile (same path). */
  checked?: OutputFile;
}

/** Writes a file atomically and safely (see the top of this file). */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  label: PathLabel = {},
  opts: WriteFileOptions = {},
): Promise<void> {
  const shown = label.shown ?? path;
  const target = opts.checked ?? (await checkOutputFile(path, label));
  await ensureDir(dirname(target.path), label);
  const tmp = tempBeside(target.path);
  const release = guardTemp(tmp);
  try {
    // "wx": created here, never a file or link someone placed at the temp name.
    const fh = await open(tmp, "wx", target.existing ? 0o600 : (opts.mode ?? 0o666));
    try {
      await fh.writeFile(content);
      if (target.existing) {
        await fh.chmod(target.existing.mode);
        if (process.getuid?.() === 0)
          await fh.chown(target.existing.uid, target.existing.gid).catch(() => undefined);
      } else if (opts.mode !== undefined) await fh.chmod(opts.mode);
    } finally {
      await fh.close();
    }
    await rename(tmp, target.path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw pathError(e, "write", shown, label);
  } finally {
    release();
  }
}

// --- synchronous forms, for code that cannot await (the validator cache) ---

/** ensureDir, synchronously. */
export function ensureDirSync(dir: string): void {
  const missing: string[] = [];
  let d = resolve(dir);
  for (;;) {
    try {
      if (!statSync(d).isDirectory())
        throw Object.assign(new Error(`not a directory: ${d}`), { code: "ENOTDIR" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      const up = dirname(d);
      if (up === d) throw e;
      missing.push(d);
      d = up;
    }
  }
  const real = realpathSync(d);
  if (systemDir(real) || pseudoFs(statfsSync(real).type))
    throw Object.assign(new Error(`${real} is not a place for files`), { code: "EINVAL" });
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}

/** writeFileAtomic, synchronously, for a file llw owns (no label, errors thrown as they are). */
export function writeFileAtomicSync(path: string, content: string | Uint8Array, mode = 0o666): void {
  const st = (() => {
    try {
      return lstatSync(path);
    } catch {
      return undefined;
    }
  })();
  if (st && !st.isFile()) throw Object.assign(new Error(`not a regular file: ${path}`), { code: "EINVAL" });
  ensureDirSync(dirname(path));
  const tmp = tempBeside(path);
  const release = guardTemp(tmp);
  try {
    const fd = openSync(tmp, "wx", mode);
    try {
      const buf = typeof content === "string" ? Buffer.from(content) : content;
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
      if (st) {
        fchmodSync(fd, st.mode & 0o7777);
        if (process.getuid?.() === 0) fchownSync(fd, st.uid, st.gid);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw e;
  } finally {
    release();
  }
}
