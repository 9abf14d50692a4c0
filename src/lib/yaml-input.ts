/**
 * The one way llw turns YAML from a file into data. Aliases are limited everywhere: YAML lets a
 * 600-byte file of nested aliases (`a: &a [*b, *b, ...]`) expand to gigabytes ("billion laughs"),
 * so every document is converted with the yaml library's alias limit, and going over it is bad
 * input (exit 2) naming the file, not a crash. Syntax errors are reported with file and line,
 * at most a screenful of them.
 */
import { type Document, LineCounter, parseAllDocuments } from "yaml";
import { type Problem, UserError } from "./errors.ts";

/**
 * Aliases one document may resolve (the yaml library's own default, which the Kubernetes objects
 * the workshop reads never come near: kubectl and kustomize output has none).
 */
export const MAX_ALIASES = 100;
/** Syntax errors reported per file; a binary or foreign file has thousands. */
const MAX_SYNTAX_ERRORS = 10;

export interface ParsedYaml {
  docs: Document.Parsed[];
  lineCounter: LineCounter;
}

/**
 * Parses every document of `text`. Syntax errors throw a UserError listing the first few with
 * their lines; `where` names the file (and flag) in messages.
 */
export function parseYaml(text: string, where: string, next?: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter });
  const docs = Array.isArray(parsed) ? parsed : [];
  const errors = docs.flatMap((d) => d.errors);
  if (errors.length > 0) {
    const problems: Problem[] = errors.slice(0, MAX_SYNTAX_ERRORS).map((e) => ({
      what: `not valid YAML: ${e.message.split("\n")[0]}`,
      where: `${where}:${e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line}`,
      ...(next ? { next } : {}),
    }));
    if (errors.length > MAX_SYNTAX_ERRORS)
      problems.push({
        what: `... and ${errors.length - MAX_SYNTAX_ERRORS} more YAML errors: is it a YAML file at all?`,
        where,
      });
    throw new UserError(problems);
  }
  return { docs, lineCounter };
}

/** A document as plain data, its aliases limited (see MAX_ALIASES). */
export function yamlToJs(doc: Document, where: string, index?: number): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    if (e instanceof ReferenceError || e instanceof RangeError) {
      throw new UserError({
        what: `${index === undefined ? "a document" : `document ${index + 1}`} expands its aliases too far (${e.message.replace(/\.$/, "")}): refused, as a YAML alias bomb would exhaust memory`,
        where,
        next: `write the YAML without so many aliases (llw allows ${MAX_ALIASES} per document)`,
      });
    }
    throw e;
  }
}

/** Every document of `text` as plain data (null documents kept, as the file has them). */
export function yamlValues(text: string, where: string, next?: string): unknown[] {
  return parseYaml(text, where, next).docs.map((d, i) => yamlToJs(d, where, i));
}
