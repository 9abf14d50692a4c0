/**
 * Renders the Go-template subset the workloads in benchmarks/ use, the way kube-burner's
 * text/template would: `{{.Name}}`, `{{ if .Name }}...{{ else }}...{{ end }}` (Go truthiness:
 * empty string, 0, false, null and missing are false) and the `{{-`/`-}}` whitespace trims.
 * `llw latency run` renders the jitter pod with it; tests render every workload with it. A
 * construct outside the subset or a missing variable is an error, so a typo cannot render as
 * "<no value>".
 */
import { UserError } from "../lib/errors.ts";

type Node = { text: string } | { value: string } | { cond: string; yes: Node[]; no: Node[] };

const TAG = /\{\{(-?)\s*(.*?)\s*(-?)\}\}/gs;

function parse(src: string, file: string): Node[] {
  const root: Node[] = [];
  const stack: { node: Extract<Node, { cond: string }>; inElse: boolean }[] = [];
  const target = () => {
    const top = stack.at(-1);
    return top ? (top.inElse ? top.node.no : top.node.yes) : root;
  };
  let last = 0;
  let trimNext = false;
  for (const m of src.matchAll(TAG)) {
    let text = src.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (m[1] === "-") text = text.replace(/\s+$/, "");
    if (text) target().push({ text });
    trimNext = m[3] === "-";
    last = m.index + m[0].length;
    const body = m[2]!;
    const line = src.slice(0, m.index).split("\n").length;
    const value = /^\.([A-Za-z_]\w*)$/.exec(body);
    const cond = /^if\s+\.([A-Za-z_]\w*)$/.exec(body);
    if (value) target().push({ value: value[1]! });
    else if (cond) {
      const node = { cond: cond[1]!, yes: [], no: [] };
      target().push(node);
      stack.push({ node, inElse: false });
    } else if (body === "else" && stack.length) stack.at(-1)!.inElse = true;
    else if (body === "end" && stack.length) stack.pop();
    else
      throw new UserError({ what: `unsupported template construct "{{${body}}}"`, where: `${file}:${line}` });
  }
  let tail = src.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, "");
  if (tail) target().push({ text: tail });
  if (stack.length) throw new UserError({ what: "an {{if}} has no {{end}}", where: file });
  return root;
}

function truthy(v: unknown): boolean {
  return !(v === undefined || v === null || v === false || v === 0 || v === "");
}

export function renderTemplate(src: string, vars: Record<string, unknown>, file = "template"): string {
  const missing = new Set<string>();
  const walk = (nodes: Node[]): string =>
    nodes
      .map((n) => {
        if ("text" in n) return n.text;
        if ("value" in n) {
          if (!(n.value in vars)) missing.add(n.value);
          const v = vars[n.value];
          return v === undefined || v === null ? "" : String(v);
        }
        return walk(truthy(vars[n.cond]) ? n.yes : n.no);
      })
      .join("");
  const out = walk(parse(src, file));
  if (missing.size) {
    throw new UserError({
      what: `template variables not set: ${[...missing].join(", ")}`,
      where: file,
      next: "set them with --set NAME=value (see benchmarks/variables.yml)",
    });
  }
  return out;
}

/** The variables a template refers to. */
export function templateVariables(src: string): string[] {
  const names = new Set<string>();
  for (const m of src.matchAll(TAG)) {
    const v = /^(?:if\s+)?\.([A-Za-z_]\w*)$/.exec(m[2]!);
    if (v) names.add(v[1]!);
  }
  return [...names];
}
