import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative } from "node:path";
import { EnvironmentError, type LlwError, UserError } from "./errors.ts";

/** How a path the user gave is named in messages: the flag it came from and the path as typed. */
export interface PathLabel {
  /** The flag or argument that named the path, e.g. "--out". */
  flag?: string;
  /** The path as the user typed it (default: the path itself). */
  shown?: string;
}

/**
 * A file-system error on a path the user chose is the user's to fix (a directory where a file
 * belongs: exit 2) or the environment's (permissions, a read-only or full disk: exit 3), not a
 * bug: name the flag, the path and what to do. Errors with other codes are returned unchanged.
 */
export function pathError(e: unknown, op: "read" | "write", path: string, label: PathLabel = {}): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const shown = label.shown ?? path;
  const where = label.flag ? `${label.flag} ${shown}` : shown;
  const verb = op === "read" ? "cannot read" : "cannot write";
  const user = (what: string, next: string): LlwError => new UserError({ what, where, next });
  const env = (what: string, next: string): LlwError => new EnvironmentError({ what, where, next });
  switch (code) {
    case "EISDIR":
      return user(
        `${verb} ${shown}: it is a directory (EISDIR)`,
        op === "write"
          ? `give a file name, e.g. ${join(shown, "<name>.yaml")}`
          : "give the path of a file, not of a directory",
      );
    case "ENOTDIR":
    case "EEXIST":
      return user(
        `${verb} ${shown}: a part of the path is a file, not a directory (${code})`,
        "check the path; every folder in it must be a directory",
      );
    case "ENOENT":
      return op === "read"
        ? user(
            `${verb} ${shown}: no such file (ENOENT)`,
            "check the path (relative paths start at the current directory)",
          )
        : user(
            `${verb} ${shown}: ${dirname(shown)} does not accept new files (ENOENT)`,
            "write to a directory on an ordinary file system",
          );
    case "ENAMETOOLONG":
    case "ELOOP":
    case "EINVAL":
      return user(`${verb} ${shown}: not a usable path (${code})`, "choose a shorter, plain path");
    case "EACCES":
    case "EPERM":
      return env(
        `${verb} ${shown}: permission denied (${code})`,
        `check the permissions of ${shown} and of its directory, or choose another path`,
      );
    case "EROFS":
      return env(
        `${verb} ${shown}: read-only file system (EROFS)`,
        "choose a path on a writable file system",
      );
    case "ENOSPC":
    case "EDQUOT":
      return env(
        `${verb} ${shown}: no space left on the device (${code})`,
        "free some space, or choose another disk",
      );
    case "EIO":
    case "EBUSY":
    case "ETXTBSY":
    case "EMFILE":
    case "ENFILE":
      return env(
        `${verb} ${shown}: the system refused (${code})`,
        "try again; if it persists, check the disk and the system's limits",
      );
    default:
      return e;
  }
}

/** Writes a file atomically: a temp file in the same directory, then rename over the target. */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  label: PathLabel = {},
): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (e) {
    throw pathError(e, "write", path, label);
  }
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, content);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw pathError(e, "write", path, label);
  }
}

/** A file's text, or undefined if it does not exist. `op` says what the caller means to do with the path. */
export async function readIfExists(
  path: string,
  label: PathLabel = {},
  op: "read" | "write" = "read",
): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw pathError(e, op, path, label);
  }
}

/** A path for messages: relative to cwd when inside it, as given otherwise. */
function display(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

const MARK = "llw-generated";

function digest(body: string): string {
  return createHash("sha256").update(body).digest("hex").slice(0, 16);
}

/**
 * Adds the header that marks a YAML file as generated: what made it, how to regenerate it, and
 * a digest of the body. The digest lets a later run tell an untouched generated file (safe to
 * replace) from one a user edited (replaced only with --force).
 */
export function withGeneratedHeader(body: string, how: string[]): string {
  const lines = [
    `# ${MARK}: do not edit by hand; edits are kept only with --force. digest=${digest(body)}`,
    ...how.map((h) => `# ${h}`),
  ];
  return `${lines.join("\n")}\n${body}`;
}

/** The body of a generated file (everything after its header comment block), if it has the header. */
function generatedState(existing: string): "untouched" | "edited" | "foreign" {
  const first = existing.split("\n", 1)[0] ?? "";
  const m = new RegExp(`^# ${MARK}:.*digest=([0-9a-f]{16})`).exec(first);
  if (!m) return "foreign";
  const lines = existing.split("\n");
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith("#")) i++;
  const body = lines.slice(i).join("\n");
  return digest(body) === m[1] ? "untouched" : "edited";
}

export interface PlannedFile {
  path: string;
  content: string;
}

export type FileAction = "create" | "update" | "unchanged" | "conflict";

export interface FileResult {
  path: string;
  action: FileAction;
  /** Why a conflict blocks the write. */
  reason?: string;
}

export interface WriteOptions {
  /** Overwrite files a user edited or that llw did not generate. */
  force?: boolean;
  /** Report what would change without writing anything. */
  check?: boolean;
  /** Directory paths are shown relative to. */
  cwd?: string;
  /** The flag that named the target(s), e.g. "--out", for messages about unusable paths. */
  flag?: string;
}

/**
 * Writes a set of generated files as one unit. Every target is examined first; if any would
 * overwrite a user's edit without --force, nothing is written and a UserError lists them all.
 * Under --check nothing is written and the results say which files drifted.
 */
export async function writeGeneratedFiles(
  files: PlannedFile[],
  opts: WriteOptions = {},
): Promise<FileResult[]> {
  const results: FileResult[] = [];
  const label = (path: string): PathLabel => ({
    ...(opts.flag ? { flag: opts.flag } : {}),
    shown: display(opts.cwd ?? process.cwd(), path),
  });
  for (const f of files) {
    const existing = await readIfExists(f.path, label(f.path), "write");
    if (existing === undefined) results.push({ path: f.path, action: "create" });
    else if (existing === f.content) results.push({ path: f.path, action: "unchanged" });
    else {
      const state = generatedState(existing);
      if (state === "untouched" || opts.force || opts.check) results.push({ path: f.path, action: "update" });
      else
        results.push({
          path: f.path,
          action: "conflict",
          reason: state === "edited" ? "edited by hand since it was generated" : "not generated by llw",
        });
    }
  }
  const conflicts = results.filter((r) => r.action === "conflict");
  if (conflicts.length > 0 && !opts.check) {
    throw new UserError(
      conflicts.map((c) => ({
        what: `refusing to overwrite a file ${c.reason}`,
        where: relative(opts.cwd ?? process.cwd(), c.path) || c.path,
        next: "review the file; re-run with --force to replace it, or --check to see the drift",
      })),
    );
  }
  if (!opts.check) {
    for (let i = 0; i < files.length; i++) {
      if (results[i]!.action !== "unchanged")
        await writeFileAtomic(files[i]!.path, files[i]!.content, label(files[i]!.path));
    }
  }
  return results;
}
