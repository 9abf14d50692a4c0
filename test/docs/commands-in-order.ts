/**
 * The shell commands of the lab guides in reading order (page by page, block by block), as the
 * attendee types them: attributes substituted where the block asks for it, continuation lines joined,
 * split into simple commands.
 */
import { type Page, shellCommands, sourceBlocks, substitute } from "./guide.ts";

export interface ShellCommand {
  page: string;
  line: number;
  words: string[];
}

export function commandsInOrder(allPages: Page[], attrs: Record<string, string>): ShellCommand[] {
  const out: ShellCommand[] = [];
  for (const page of allPages) {
    for (const block of sourceBlocks(page)) {
      if (!["bash", "sh", "shell"].includes(block.lang)) continue;
      const subs = block.attrlist.includes("attributes");
      let joined = "";
      let first = 0;
      block.body.forEach((raw, k) => {
        if (!joined) first = block.line + 1 + k;
        joined += raw.endsWith("\\") ? `${raw.slice(0, -1)} ` : raw;
        if (raw.endsWith("\\")) return;
        const text = subs ? substitute(joined, attrs) : joined;
        for (const words of shellCommands(text)) out.push({ page: page.name, line: first, words });
        joined = "";
      });
    }
  }
  return out;
}

/** The value of an option in a command's words (`-n x`, `--namespace=x`), or undefined. */
export function option(words: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    for (const n of names) {
      if (w === n) return words[i + 1];
      if (w.startsWith(`${n}=`)) return w.slice(n.length + 1);
    }
  }
  return undefined;
}

/** Options of oc/kubectl/virtctl that take a value (so their value is not a positional argument). */
const VALUE_OPTIONS = new Set([
  "-n",
  "--namespace",
  "-l",
  "--selector",
  "-f",
  "--filename",
  "-k",
  "--kustomize",
  "-o",
  "--output",
  "-p",
  "--patch",
  "--type",
  "--timeout",
  "--for",
  "--context",
  "--kubeconfig",
]);

/** Positional arguments after the first `skip` words (the program and its verb). */
export function positionals(words: string[], skip: number): string[] {
  const out: string[] = [];
  for (let i = skip; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith("-")) {
      if (VALUE_OPTIONS.has(w)) i++;
      continue;
    }
    out.push(w);
  }
  return out;
}
