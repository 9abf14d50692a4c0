import { dirname, isAbsolute, join, relative, resolve } from "node:path";
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
    case "ENXIO":
    case "ENODEV":
    case "EOPNOTSUPP":
      return user(
        `${verb} ${shown}: not a regular file (${code})`,
        op === "write" ? "write to a regular file" : "give the path of a regular file",
      );
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
    case "EFBIG":
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

/**
 * A path for messages: relative to `cwd` when it lies inside it, else absolute. Never a string of
 * "../../..", which says little about where a file is.
 */
export function shownPath(cwd: string, path: string): string {
  const abs = resolve(cwd, path);
  const rel = relative(cwd, abs);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
}

/**
 * A path as files llw writes record it (generated-file headers, run metadata): relative to `cwd`
 * inside it, `~/...` inside the user's home, else as it is. Written files travel (into git, to a
 * colleague, into a report): they carry no absolute home path, which names the user and their
 * machine.
 */
export function recordedPath(path: string, cwd: string, home: string | undefined): string {
  const abs = resolve(cwd, path);
  const rel = relative(cwd, abs);
  if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) return rel;
  if (home) {
    const fromHome = relative(home, abs);
    if (fromHome === "") return "~";
    if (!fromHome.startsWith("..") && !isAbsolute(fromHome)) return `~/${fromHome}`;
  }
  return abs;
}

/** `text` with every occurrence of the user's home folder written as `~` (for command lines recorded in files). */
export function withoutHome(text: string, home: string | undefined): string {
  return home && home.length > 1 ? text.split(home.replace(/\/+$/, "")).join("~") : text;
}
