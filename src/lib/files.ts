import { createHash } from "node:crypto";
import { isAbsolute, relative } from "node:path";
import { UserError } from "./errors.ts";
import { readInputTextIfExists } from "./input.ts";
import { type PathLabel, pathError } from "./path-error.ts";
import { checkOutputFile, type OutputFile, writeFileAtomic } from "./write-file.ts";

export { type PathLabel, pathError, shownPath } from "./path-error.ts";
export { checkOutputDir, checkOutputFile, ensureDir, writeFileAtomic } from "./write-file.ts";

/** A file's text, or undefined if it does not exist. `op` says what the caller means to do with the path. */
export async function readIfExists(
  path: string,
  label: PathLabel = {},
  op: "read" | "write" = "read",
): Promise<string | undefined> {
  try {
    return await readInputTextIfExists(path, "generated", label);
  } catch (e) {
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

/**
 * The annotation that marks a generated JSON manifest (JSON has no comments): the same words and
 * digest as the YAML header, so `-o json --out FILE` can be regenerated like the YAML form.
 */
export const JSON_MARK = "llw.workshop/generated";

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** The object without the mark, as text: what the digest covers. */
function unmarkedJson(obj: JsonObject): string {
  const copy = structuredClone(obj);
  const meta = copy.metadata;
  if (isObject(meta) && isObject(meta.annotations)) {
    delete meta.annotations[JSON_MARK];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  return `${JSON.stringify(copy, null, 2)}\n`;
}

/** A Kubernetes object as JSON, marked as generated in `metadata.annotations` (see JSON_MARK). */
export function withGeneratedJson(obj: JsonObject, how: string[]): string {
  const copy = structuredClone(obj);
  if (!isObject(copy.metadata)) copy.metadata = {};
  const meta = copy.metadata as JsonObject;
  if (!isObject(meta.annotations)) meta.annotations = {};
  const annotations = meta.annotations as JsonObject;
  annotations[JSON_MARK] = "";
  const d = digest(unmarkedJson(copy));
  annotations[JSON_MARK] = [
    `${MARK}: do not edit by hand; edits are kept only with --force. digest=${d}`,
    ...how,
  ].join("; ");
  return `${JSON.stringify(copy, null, 2)}\n`;
}

function jsonState(existing: string): "untouched" | "edited" | "foreign" {
  let doc: unknown;
  try {
    doc = JSON.parse(existing);
  } catch {
    return "foreign";
  }
  const mark =
    isObject(doc) && isObject(doc.metadata) && isObject(doc.metadata.annotations)
      ? doc.metadata.annotations[JSON_MARK]
      : undefined;
  const m = typeof mark === "string" ? new RegExp(`^${MARK}:.*digest=([0-9a-f]{16})`).exec(mark) : null;
  if (!m) return "foreign";
  return digest(unmarkedJson(doc as JsonObject)) === m[1] ? "untouched" : "edited";
}

/** Whether a file is one llw generated and nobody changed since ("untouched"), was edited, or is not llw's. */
export function generatedState(existing: string): "untouched" | "edited" | "foreign" {
  if (existing.trimStart().startsWith("{")) return jsonState(existing);
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

/** What `--check` says of a file, in the same words in every command. */
const CHECK_WORDS: Record<FileAction | "remove", string> = {
  create: "missing",
  update: "drifted",
  unchanged: "up to date",
  conflict: "edited by hand",
  remove: "left over",
};
export const checkWord = (action: FileAction | "remove"): string => CHECK_WORDS[action];

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
  // Every target is checked (regular file, ordinary folder) before any is read or written.
  const targets: OutputFile[] = [];
  for (const f of files) targets.push(await checkOutputFile(f.path, label(f.path)));
  for (const [i, f] of files.entries()) {
    const existing = targets[i]!.existing
      ? await readIfExists(targets[i]!.path, label(f.path), "write")
      : undefined;
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
        where: display(opts.cwd ?? process.cwd(), c.path),
        next: "review the file; re-run with --force to replace it, or --check to see the drift",
      })),
    );
  }
  if (!opts.check) {
    for (let i = 0; i < files.length; i++) {
      if (results[i]!.action !== "unchanged")
        await writeFileAtomic(files[i]!.path, files[i]!.content, label(files[i]!.path), {
          checked: targets[i]!,
        });
    }
  }
  return results;
}
