/**
 * The one way llw reads a file a user names. Every kind of input has a size limit, far above
 * any real file of that kind, so that a wrong path (a disk image, /dev/zero, a log that never
 * ends) fails at once with a clear message instead of eating memory for minutes:
 *
 * - regular files are checked by size before they are read;
 * - pipes (`--lscpu <(oc debug ...)`, `-` for stdin) are read up to the limit, so a stream that
 *   never ends is cut off and refused;
 * - devices, sockets and directories are refused without reading (`--lscpu /dev/zero`);
 * - binary content (a NUL byte) and text that is not UTF-8 are refused, naming the file.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { UserError } from "./errors.ts";
import { type PathLabel, pathError } from "./path-error.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Size limits per kind of input; the README's table lists them. */
export const INPUT_LIMITS = {
  /** lscpu -p / -e / -J -e of one host: 1024 CPUs of `lscpu -J -e` is about 120 KiB. */
  lscpu: { bytes: 4 * MiB, what: "lscpu output" },
  /** One file of a sysfs snapshot (cpulist, meminfo, core_id): a few KiB at most. */
  sysfsEntry: { bytes: 256 * KiB, what: "sysfs file" },
  /** A sysfs snapshot archive (must-gather's sysinfo.tgz is a few MiB)... */
  sysfsArchive: { bytes: 64 * MiB, what: "sysfs archive" },
  /** ...and everything it unpacks to, read or skipped (a small archive can unpack to gigabytes). */
  sysfsUnpacked: { bytes: 512 * MiB, what: "unpacked sysfs archive" },
  /** Manifests: a PerformanceProfile, a MachineSet export, a change set, a GitOps tree file. */
  manifest: { bytes: 4 * MiB, what: "YAML or JSON manifest" },
  /** Schema files (a CRD, a Kubernetes OpenAPI document): the largest upstream one is ~4 MiB. */
  schema: { bytes: 64 * MiB, what: "schema file" },
  /** oslat, cyclictest or hwlatdetect output, or a pod log of one (a day of histograms is a few MiB). */
  toolOutput: { bytes: 64 * MiB, what: "oslat, cyclictest or hwlatdetect output" },
  /** A kubeconfig: a few KiB, a few hundred with many clusters and embedded certificates. */
  kubeconfig: { bytes: 4 * MiB, what: "kubeconfig" },
  /** A file llw generated earlier and may replace. */
  generated: { bytes: 16 * MiB, what: "generated file" },
} as const;
export type InputKind = keyof typeof INPUT_LIMITS;

export function formatBytes(n: number): string {
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MiB`;
  if (n >= KiB) return `${+(n / KiB).toFixed(1)} KiB`;
  return `${n} bytes`;
}

function where(label: PathLabel, path: string): string {
  const shown = label.shown ?? path;
  return label.flag ? `${label.flag} ${shown}` : shown;
}

function tooLarge(kind: InputKind, path: string, label: PathLabel, size?: number): UserError {
  const { bytes, what } = INPUT_LIMITS[kind];
  return new UserError({
    what:
      size === undefined
        ? `${label.shown ?? path} does not end within ${formatBytes(bytes)}, the limit for a ${what}: a stream that never ends, or not a ${what}`
        : `${label.shown ?? path} is ${formatBytes(size)}, more than the ${formatBytes(bytes)} limit for a ${what}`,
    where: where(label, path),
    next: `check the path: it should name a ${what}`,
  });
}

/** Bytes as UTF-8 text, refusing binary content. */
export function decodeText(
  buf: Uint8Array,
  path: string,
  label: PathLabel = {},
  what = "a text file",
): string {
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    throw new UserError({
      what: `${label.shown ?? path} is binary (a NUL byte at offset ${nul}), not ${what}`,
      where: where(label, path),
      next: `check the path: it should name ${what}`,
    });
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    throw new UserError({
      what: `${label.shown ?? path} is not UTF-8 text, so not ${what}`,
      where: where(label, path),
      next: `check the path: it should name ${what}`,
    });
  }
}

/**
 * Reads a file a user named, within the limit for its kind. Errors: UserError (exit 2) for a
 * missing file, a directory, device or socket, too large or binary content; EnvironmentError
 * (exit 3) for permissions and I/O errors (EIO).
 */
export interface ReadOptions {
  /**
   * Refuse a symbolic link, and anything but a regular file (no pipes), without blocking on it:
   * for files inside a folder the user named (a sysfs snapshot), not named themselves.
   */
  noFollow?: boolean;
  /** Refuse anything but a regular file (no pipes), without blocking on it: files found in a folder. */
  regularOnly?: boolean;
}

export async function readInputBytes(
  path: string,
  kind: InputKind,
  label: PathLabel = {},
  opts: ReadOptions = {},
): Promise<Buffer> {
  const buf = await readBytes(path, kind, label, false, opts);
  return buf!;
}

/** Like readInputText, but undefined when the file does not exist. */
export async function readInputTextIfExists(
  path: string,
  kind: InputKind,
  label: PathLabel = {},
): Promise<string | undefined> {
  const buf = await readBytes(path, kind, label, true);
  return buf && decodeText(buf, path, label, `a ${INPUT_LIMITS[kind].what}`);
}

async function readBytes(
  path: string,
  kind: InputKind,
  label: PathLabel,
  optional: boolean,
  opts: ReadOptions = {},
): Promise<Buffer | undefined> {
  const limit = INPUT_LIMITS[kind].bytes;
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
    const flags = opts.noFollow
      ? constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK
      : opts.regularOnly
        ? constants.O_RDONLY | constants.O_NONBLOCK
        : "r";
    fh = await open(path, flags);
  } catch (e) {
    if (optional && (e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw pathError(e, "read", path, label);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory())
      throw pathError(Object.assign(new Error("EISDIR"), { code: "EISDIR" }), "read", path, label);
    if (!st.isFile() && (opts.noFollow || opts.regularOnly || !st.isFIFO())) {
      const kindName = st.isCharacterDevice()
        ? "a character device"
        : st.isBlockDevice()
          ? "a block device"
          : st.isFIFO()
            ? "a FIFO (named pipe)"
            : "a socket";
      throw new UserError({
        what: `refusing to read ${label.shown ?? path}: it is ${kindName}, not a file`,
        where: where(label, path),
        next: `give the path of a ${INPUT_LIMITS[kind].what}`,
      });
    }
    if (st.isFile() && st.size > limit) throw tooLarge(kind, path, label, st.size);
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.alloc(64 * KiB);
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) throw tooLarge(kind, path, label, st.isFile() ? total : undefined);
      chunks.push(Buffer.from(chunk.subarray(0, bytesRead)));
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    throw pathError(e, "read", path, label);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** readInputBytes as UTF-8 text; binary content is refused. */
export async function readInputText(
  path: string,
  kind: InputKind,
  label: PathLabel = {},
  opts: ReadOptions = {},
): Promise<string> {
  return decodeText(
    await readInputBytes(path, kind, label, opts),
    path,
    label,
    `a ${INPUT_LIMITS[kind].what}`,
  );
}

/**
 * readInputText for callers that cannot await (reading a CRD inside a synchronous check): regular
 * files only, within the limit for their kind, binary content refused.
 */
export function readInputTextSync(path: string, kind: InputKind, label: PathLabel = {}): string {
  const limit = INPUT_LIMITS[kind].bytes;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw pathError(e, "read", path, label);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory())
      throw pathError(Object.assign(new Error("EISDIR"), { code: "EISDIR" }), "read", path, label);
    if (!st.isFile())
      throw new UserError({
        what: `refusing to read ${label.shown ?? path}: not a regular file`,
        where: where(label, path),
        next: `give the path of a ${INPUT_LIMITS[kind].what}`,
      });
    if (st.size > limit) throw tooLarge(kind, path, label, st.size);
    const buf = Buffer.alloc(Math.min(st.size, limit) + 1);
    let total = 0;
    for (let n = -1; n !== 0 && total < buf.length; total += n)
      n = readSync(fd, buf, total, buf.length - total, null);
    if (total > limit) throw tooLarge(kind, path, label, total);
    return decodeText(buf.subarray(0, total), path, label, `a ${INPUT_LIMITS[kind].what}`);
  } catch (e) {
    throw pathError(e, "read", path, label);
  } finally {
    closeSync(fd);
  }
}
