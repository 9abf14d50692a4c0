/**
 * The lab guides' execute blocks in page order, as the journey runs them: every
 * `[source,bash,role=execute,...]` block, attributes substituted where the block asks for it
 * (`subs="attributes"`), and the block's `journey-skip="reason"` marker, which names what no
 * simulation can give (a VM console, a real kernel, the network).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface ExecuteBlock {
  /** "02-core-tuning.adoc:312": page and 1-based line of the block's first command. */
  id: string;
  page: string;
  line: number;
  text: string;
  skip?: string;
}

/** AsciiDoc's attribute reference, with `\{name}` left as a literal `{name}`. */
export function substitute(text: string, attrs: Record<string, string>): string {
  return text.replace(/(\\?)\{([A-Za-z0-9_][A-Za-z0-9_-]*)\}/g, (m, esc: string, name: string) =>
    esc ? m.slice(1) : (attrs[name] ?? m),
  );
}

export function executeBlocks(pagesDir: string, attrs: Record<string, string>): ExecuteBlock[] {
  const out: ExecuteBlock[] = [];
  for (const page of readdirSync(pagesDir)
    .filter((f) => f.endsWith(".adoc"))
    .sort()) {
    const lines = readFileSync(join(pagesDir, page), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const head = /^\[source,bash,(.*)\]$/.exec(lines[i]!.trim());
      if (!head || !/(^|,)role=execute(,|$)/.test(head[1]!)) continue;
      let j = i + 1;
      while (j < lines.length && /^\.[^.\s]/.test(lines[j]!)) j++;
      if (lines[j]?.trim() !== "----") continue;
      let end = j + 1;
      while (end < lines.length && lines[end]!.trim() !== "----") end++;
      const body = lines.slice(j + 1, end).join("\n");
      const skip = /journey-skip="([^"]*)"/.exec(head[1]!)?.[1];
      out.push({
        id: `${page}:${j + 2}`,
        page,
        line: j + 2,
        text: /subs="[^"]*attributes/.test(head[1]!) ? substitute(body, attrs) : body.replace(/\\\{/g, "{"),
        ...(skip !== undefined ? { skip } : {}),
      });
      i = end;
    }
  }
  return out;
}
