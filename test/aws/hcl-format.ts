/**
 * The layout rules `terraform fmt` applies, checked without terraform (which CI cannot install):
 * the rules of HashiCorp's hclwrite formatter (format.go) for indentation, `=` alignment and
 * spacing, plus tabs and trailing spaces. Not checked: the spacing between other tokens (around
 * operators, after commas) and trailing-comment alignment. Blank lines and the final newline are
 * left alone, as terraform fmt leaves them. Where terraform is
 * installed, the tests check that this agrees with `terraform fmt -check`.
 */

const OPEN = new Set(["{", "[", "("]);
const CLOSE = new Set(["}", "]", ")"]);

interface Line {
  number: number;
  raw: string;
  /** The line with string contents masked ("x"), and without a trailing comment. */
  code: string;
}

/** Masks string literals (with their ${...} interpolations) and drops comments, keeping columns. */
function mask(text: string): Line[] {
  type Mode = { kind: "code" } | { kind: "string" } | { kind: "interp"; depth: number };
  const stack: Mode[] = [{ kind: "code" }];
  const out: string[] = [];
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const mode = stack[stack.length - 1]!;
    if (c === "\n") {
      comment = false;
      out.push(c);
      continue;
    }
    if (comment) continue;
    if (mode.kind === "string") {
      out.push("x");
      if (c === "\\") {
        out.push("x");
        i++;
      } else if (c === '"') {
        stack.pop();
        out[out.length - 1] = '"';
      } else if (c === "$" && text[i + 1] === "{") {
        out.push("x");
        i++;
        stack.push({ kind: "interp", depth: 0 });
      }
      continue;
    }
    if (mode.kind === "interp") {
      out.push("x");
      if (c === '"') stack.push({ kind: "string" });
      else if (c === "{") mode.depth++;
      else if (c === "}") {
        if (mode.depth === 0) stack.pop();
        else mode.depth--;
      }
      continue;
    }
    if (c === "#" || (c === "/" && text[i + 1] === "/")) {
      comment = true;
      continue;
    }
    if (c === '"') stack.push({ kind: "string" });
    out.push(c);
  }
  const raw = text.split("\n");
  return out
    .join("")
    .split("\n")
    .map((code, i) => ({ number: i + 1, raw: raw[i] ?? "", code: code.trimEnd() }));
}

const net = (s: string) => [...s].reduce((n, c) => n + (OPEN.has(c) ? 1 : CLOSE.has(c) ? -1 : 0), 0);

/** The column of a line's assignment `=` (hclwrite: the first lone `=` after the first token, with a balanced right side). */
function assignAt(code: string): number | undefined {
  const body = code.trimStart();
  const offset = code.length - body.length;
  for (let i = 1; i < body.length; i++) {
    if (body[i] !== "=") continue;
    if ("=!<>".includes(body[i - 1]!) || body[i + 1] === "=" || body[i + 1] === ">") continue;
    return net(body.slice(i)) === 0 ? offset + i : undefined;
  }
  return undefined;
}

/** Where a file's layout differs from what `terraform fmt` writes, as "file:line: problem". */
export function formatProblems(text: string, file: string): string[] {
  const problems: string[] = [];
  const at = (n: number, what: string) => problems.push(`${file}:${n}: ${what}`);
  const lines = mask(text);
  const indents: number[] = [];
  let chain: { line: Line; eq: number; lead: number }[] = [];
  const closeChain = () => {
    const width = Math.max(...chain.map((c) => c.lead));
    for (const c of chain) {
      const indent = c.line.code.length - c.line.code.trimStart().length;
      if (c.eq !== indent + width + 1)
        at(
          c.line.number,
          `"=" at column ${c.eq + 1}; aligned with its neighbours it is at ${indent + width + 2}`,
        );
    }
    chain = [];
  };
  for (const line of lines) {
    if (line.raw.includes("\t")) at(line.number, "tab (indent with two spaces)");
    if (/[ \t]$/.test(line.raw)) at(line.number, "trailing whitespace");
    const body = line.code.trimStart();
    const isComment = body === "" && line.raw.trim() !== "";
    if (line.raw.trim() === "") {
      if (chain.length) closeChain();
      continue;
    }
    // Indentation: one level per line that opens brackets, undone by the lines that close them.
    const n = isComment ? 0 : net(body);
    if (n < 0) {
      let closed = -n;
      while (closed > 0 && indents.length > 0) {
        const top = indents[indents.length - 1]!;
        if (closed >= top) {
          closed -= top;
          indents.pop();
        } else {
          indents[indents.length - 1] = top - closed;
          closed = 0;
        }
      }
    }
    const want = 2 * indents.length;
    const have = line.raw.length - line.raw.trimStart().length;
    if (have !== want) at(line.number, `indented ${have} spaces, expected ${want}`);
    if (n > 0) indents.push(n);
    // Spacing inside the code (strings masked): single spaces, except the alignment before "=".
    const eq = isComment ? undefined : assignAt(line.code);
    const beforeEq = eq === undefined ? body : line.code.slice(0, eq).trimEnd().trimStart();
    const afterEq = eq === undefined ? "" : line.code.slice(eq + 1);
    if (/ {2}/.test(beforeEq) || / {2}/.test(afterEq)) at(line.number, "more than one space between tokens");
    if (eq !== undefined && afterEq !== "" && !/^ \S/.test(afterEq)) at(line.number, 'one space after "="');
    if (eq === undefined) {
      if (chain.length) closeChain();
    } else {
      chain.push({ line, eq, lead: line.code.slice(0, eq).trim().length });
    }
  }
  if (chain.length) closeChain();
  return problems;
}
