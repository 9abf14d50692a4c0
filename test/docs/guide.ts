/**
 * Reads the lab guides' AsciiDoc sources the way a reviewer would: pages, their attributes (with the
 * defaults from antora.yml), source blocks, include directives and the llw commands they show.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../helpers/tools.ts";

export const CONTENT = join(ROOT, "content");
export const MODULE = join(CONTENT, "modules", "ROOT");
export const PAGES = join(MODULE, "pages");
export const EXAMPLES = join(MODULE, "examples");
export const PARTIALS = join(MODULE, "partials");

export interface Page {
  name: string;
  path: string;
  lines: string[];
}

export function pages(): Page[] {
  return readdirSync(PAGES)
    .filter((f) => f.endsWith(".adoc"))
    .sort()
    .map((name) => {
      const path = join(PAGES, name);
      return { name, path, lines: readFileSync(path, "utf8").split("\n") };
    });
}

/** The component's AsciiDoc attributes with their safe defaults. */
export function componentAttributes(): Record<string, string> {
  const doc = parse(readFileSync(join(CONTENT, "antora.yml"), "utf8")) as {
    asciidoc?: { attributes?: Record<string, unknown> };
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.asciidoc?.attributes ?? {})) out[k] = String(v ?? "");
  return out;
}

/** Replaces {name} references with attribute values; unknown names are left as they are. */
export function substitute(text: string, attrs: Record<string, string>): string {
  return text.replace(/\{([A-Za-z0-9_][A-Za-z0-9_-]*)\}/g, (m, name: string) => attrs[name] ?? m);
}

export interface SourceBlock {
  page: string;
  /** 1-based line of the opening delimiter. */
  line: number;
  lang: string;
  attrlist: string;
  body: string[];
}

/** Every delimited source/listing block: `[source,LANG,...]` followed by `----` ... `----`. */
export function sourceBlocks(page: Page): SourceBlock[] {
  const blocks: SourceBlock[] = [];
  const { lines } = page;
  for (let i = 0; i < lines.length; i++) {
    const m = /^\[source,([^,\]]+)(.*)\]$/.exec(lines[i]!.trim());
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && /^\.[^.\s]/.test(lines[j]!)) j++; // a block title after the attribute line
    if (lines[j]?.trim() !== "----") continue;
    const start = j;
    let end = start + 1;
    while (end < lines.length && lines[end]!.trim() !== "----") end++;
    blocks.push({
      page: page.name,
      line: start + 1,
      lang: m[1]!.trim(),
      attrlist: m[2] ?? "",
      body: lines.slice(start + 1, end),
    });
    i = end;
  }
  return blocks;
}

export interface Include {
  page: string;
  line: number;
  target: string;
}

export function includes(page: Page): Include[] {
  const out: Include[] = [];
  page.lines.forEach((l, i) => {
    const m = /^include::([^[]+)\[(.*)\]\s*$/.exec(l);
    if (m) out.push({ page: page.name, line: i + 1, target: m[1]! });
  });
  return out;
}

/** Maps an Antora resource reference (example$, partial$, or a page-relative path) to a file. */
export function includePath(target: string): string {
  if (target.startsWith("example$")) return join(EXAMPLES, target.slice("example$".length));
  if (target.startsWith("partial$")) return join(PARTIALS, target.slice("partial$".length));
  if (target.includes("$")) throw new Error(`unsupported resource reference ${target}`);
  return join(PAGES, target);
}

// --- shell command lines -------------------------------------------------------------------------

/**
 * Splits one shell line into simple commands, each a list of words. Quotes and $(...) stay inside
 * their word; the operators | || && ; & and redirections end a command.
 */
export function shellCommands(line: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const close = line.indexOf(c, i + 1);
      if (close < 0) throw new Error(`unterminated quote in: ${line}`);
      word += line.slice(i + 1, close);
      inWord = true;
      i = close;
    } else if (c === "$" && line[i + 1] === "(") {
      let depth = 0;
      let j = i + 1;
      for (; j < line.length; j++) {
        if (line[j] === "(") depth++;
        else if (line[j] === ")" && --depth === 0) break;
      }
      word += line.slice(i, j + 1);
      inWord = true;
      i = j;
    } else if (c === "#" && !inWord) {
      break; // a comment
    } else if (/\s/.test(c)) {
      endWord();
    } else if (c === "|" || c === ";" || c === "&") {
      endCommand();
      if (line[i + 1] === c) i++;
    } else if (c === ">" || c === "<") {
      // A redirection: drop it and its target word.
      endWord();
      let j = i + 1;
      if (line[j] === ">" || line[j] === "&") j++;
      while (j < line.length && /\s/.test(line[j]!)) j++;
      while (j < line.length && !/[\s|;&]/.test(line[j]!)) j++;
      i = j - 1;
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

export interface LlwUse {
  page: string;
  line: number;
  /** "block" for a command in a bash block (must run), "inline" for a mention in prose. */
  kind: "block" | "inline";
  text: string;
  /** The words after `llw`, attributes substituted. */
  args: string[];
}

/** Every llw command a page shows: in bash blocks (joined continuation lines) and in `inline code`. */
export function llwUses(page: Page, attrs: Record<string, string>): LlwUse[] {
  const uses: LlwUse[] = [];
  const blockLines = new Set<number>();
  for (const block of sourceBlocks(page)) {
    block.body.forEach((_, k) => {
      blockLines.add(block.line + 1 + k);
    });
    if (block.lang !== "bash" && block.lang !== "sh" && block.lang !== "shell") continue;
    const subs = block.attrlist.includes("attributes");
    let joined = "";
    let firstLine = 0;
    block.body.forEach((raw, k) => {
      if (!joined) firstLine = block.line + 1 + k;
      joined += raw.endsWith("\\") ? `${raw.slice(0, -1)} ` : raw;
      if (raw.endsWith("\\")) return;
      const text = subs ? substitute(joined, attrs) : joined;
      for (const words of shellCommands(text)) {
        const at = words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)); // skip VAR=value prefixes
        if (words[at] === "llw") {
          uses.push({ page: page.name, line: firstLine, kind: "block", text, args: words.slice(at + 1) });
        }
      }
      joined = "";
    });
  }
  page.lines.forEach((l, i) => {
    if (blockLines.has(i + 1)) return;
    for (const m of l.matchAll(/`(llw(?: [^`]*)?)`/g)) {
      const text = substitute(m[1]!, attrs);
      for (const words of shellCommands(text)) {
        if (words[0] === "llw") {
          uses.push({ page: page.name, line: i + 1, kind: "inline", text, args: words.slice(1) });
        }
      }
    }
  });
  return uses;
}

export interface DelimitedBlock {
  page: string;
  /** 1-based line of the opening delimiter. */
  line: number;
  /** The block attribute line before it (e.g. `[source,bash,role=execute]`), or "". */
  attrlist: string;
  body: string[];
}

/**
 * Every listing (`----`) and literal (`....`) block, with or without a `[source]` line: anything
 * that shows text verbatim, including output blocks and blocks inside collapsible examples.
 */
export function delimitedBlocks(page: Page): DelimitedBlock[] {
  const out: DelimitedBlock[] = [];
  const { lines } = page;
  for (let i = 0; i < lines.length; i++) {
    const delim = lines[i]!.trim();
    if (!/^(-{4,}|\.{4,})$/.test(delim)) continue;
    let end = i + 1;
    while (end < lines.length && lines[end]!.trim() !== delim) end++;
    let a = i - 1;
    while (a >= 0 && /^\.[^.\s]/.test(lines[a]!)) a--; // skip a block title
    out.push({
      page: page.name,
      line: i + 1,
      attrlist: /^\[.*\]$/.test(lines[a]?.trim() ?? "") ? lines[a]!.trim() : "",
      body: lines.slice(i + 1, end),
    });
    i = end;
  }
  return out;
}

/** Why a block's body looks like a pasted manifest (or a heredoc that writes one), or undefined. */
export function pastedManifest(body: string[]): string | undefined {
  const own = body.filter((l) => l.trim() !== "" && !/^include::/.test(l));
  if (own.some((l) => /<<-?\s*['"]?[A-Za-z_]+['"]?/.test(l))) return "a heredoc";
  const text = own.join("\n");
  if (/^\s*apiVersion:\s*\S+/m.test(text) && /^\s*kind:\s*\S+/m.test(text)) return "a YAML manifest";
  if (/"apiVersion"\s*:/.test(text) && /"kind"\s*:/.test(text)) return "a JSON manifest";
  return undefined;
}
