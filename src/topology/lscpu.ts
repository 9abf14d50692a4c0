/**
 * Reads `lscpu` output into a Topology: the parsable form (`lscpu -p`, as captured with
 * `oc debug node/<node> -- chroot /host lscpu -p`), the extended table (`lscpu -e`) and its
 * JSON form (`lscpu -J -e`). Every problem is reported with file and line.
 */
import { type Problem, UserError } from "../lib/errors.ts";
import { buildTopology, type CpuRecord, MAX_CPUS, type Topology } from "./model.ts";

const NEXT =
  "capture it again with `oc debug node/<node> -- chroot /host lscpu -p` (or `lscpu -p` on the host)";

function num(v: unknown): number | undefined {
  if (v === null || v === undefined || v === "" || v === "-") return undefined;
  const n = typeof v === "number" ? v : Number(String(v).trim());
  return Number.isInteger(n) && n >= 0 ? n : Number.NaN;
}

/** lscpu's ONLINE column: yes/no (-e), Y/N (-p); undefined when the column is absent; NaN-like when garbled. */
function online(v: unknown): boolean {
  if (v === undefined) return true;
  if (typeof v === "boolean") return v;
  return /^(y|yes|true|1)$/i.test(String(v).trim());
}

function onlineValueKnown(v: unknown): boolean {
  return v === undefined || typeof v === "boolean" || /^(y|yes|true|1|n|no|false|0)$/i.test(String(v).trim());
}

interface Row {
  fields: Record<string, unknown>;
  where: string;
}

function toTopology(rows: Row[], file: string, problems: Problem[]): Topology {
  const records: CpuRecord[] = [];
  const offline: number[] = [];
  for (const { fields, where } of rows) {
    if (!onlineValueKnown(fields.online)) {
      problems.push({ what: `ONLINE is "${String(fields.online)}", not yes or no`, where, next: NEXT });
      continue;
    }
    const cpu = num(fields.cpu);
    const core = num(fields.core);
    const socket = num(fields.socket);
    const node = num(fields.node);
    const bad = Object.entries({ cpu, core, socket }).filter(([, v]) => v === undefined || Number.isNaN(v));
    if (bad.length > 0 || Number.isNaN(node)) {
      if (!online(fields.online) && cpu !== undefined && !Number.isNaN(cpu)) {
        offline.push(cpu);
        continue;
      }
      problems.push({
        what: `malformed CPU line: ${[...bad.map(([k]) => k), ...(Number.isNaN(node) ? ["node"] : [])].join(", ")} missing or not a number`,
        where,
        next: NEXT,
      });
      continue;
    }
    if (!online(fields.online)) {
      offline.push(cpu!);
      continue;
    }
    records.push({ cpu: cpu!, core: core!, socket: socket!, node, where });
  }
  if (problems.length > 0) throw new UserError(problems);
  return buildTopology(records, {
    source: `lscpu: ${file}`,
    where: file,
    globalCoreIds: true,
    offlineCpus: offline.sort((a, b) => a - b),
    // Without an online column (plain `lscpu -p`) lscpu lists online CPUs only.
    ...(rows.length > 0 && rows.every((r) => !("online" in r.fields)) ? { onlineOnly: true } : {}),
  });
}

/** `lscpu -p`: comment header "# CPU,Core,Socket,Node,...", then one CSV line per CPU. */
function parseParsable(lines: string[], file: string): Topology {
  const problems: Problem[] = [];
  const lastLine = lastContentLine(lines);
  let columns: string[] | undefined;
  const rows: Row[] = [];
  lines.forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = /^#\s*(CPU\b.*)$/i.exec(line);
      if (m) columns = m[1]!.split(",").map((c) => c.trim().toLowerCase());
      return;
    }
    const cols = columns ?? ["cpu", "core", "socket", "node"];
    if (!cols.includes("node") && !columns?.includes("node")) {
      problems.push({
        what: "the lscpu -p output has no Node column, so the NUMA layout is unknown",
        where,
        next: "capture with `lscpu -p=CPU,Core,Socket,Node` (plain `lscpu -p` includes Node)",
      });
      columns = [...cols, "node"];
      return;
    }
    const values = line.split(",");
    // lscpu prints every column on every line (empty when unknown): fewer or more means a cut-off
    // or damaged capture, never a CPU to guess about.
    if (columns ? values.length !== columns.length : values.length < 4) {
      problems.push({
        what: `expected ${cols.length} comma-separated fields, found ${values.length}${i === lastLine ? ": the capture looks cut off" : ""}`,
        where,
        next: NEXT,
      });
      return;
    }
    const fields: Record<string, unknown> = {};
    cols.forEach((c, k) => {
      if (c) fields[c] = values[k];
    });
    rows.push({ fields, where });
  });
  if (problems.length > 0) throw new UserError(problems);
  return toTopology(rows, file, problems);
}

/** Index of the last line with content. */
function lastContentLine(lines: string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.trim() !== "") return i;
  return -1;
}

/** `lscpu -e`: a whitespace table with a header line "CPU NODE SOCKET CORE ...". */
function parseExtended(lines: string[], file: string): Topology {
  const headerIndex = lines.findIndex((l) => l.trim() !== "");
  const header = lines[headerIndex]!.trim().toLowerCase().split(/\s+/);
  if (!header.includes("node")) {
    throw new UserError({
      what: "the lscpu -e output has no NODE column, so the NUMA layout is unknown",
      where: `${file}:${headerIndex + 1}`,
      next: "capture with `lscpu -e=CPU,NODE,SOCKET,CORE,ONLINE` or `lscpu -p`",
    });
  }
  const rows: Row[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const values = line.trim().split(/\s+/);
    if (values.length !== header.length) {
      throw new UserError({
        what: `expected ${header.length} columns (${header.join(" ").toUpperCase()}), found ${values.length}${i === lastContentLine(lines) ? ": the capture looks cut off" : ""}`,
        where: `${file}:${i + 1}`,
        next: NEXT,
      });
    }
    const fields: Record<string, unknown> = {};
    header.forEach((h, k) => {
      fields[h] = values[k];
    });
    rows.push({ fields, where: `${file}:${i + 1}` });
  }
  return toTopology(rows, file, []);
}

/** `lscpu -J -e`: {"cpus": [{"cpu": 0, "node": 0, "socket": 0, "core": 0, "online": true}, ...]}. */
function parseJson(text: string, file: string): Topology {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserError({ what: `not valid JSON: ${(e as Error).message}`, where: file, next: NEXT });
  }
  const cpus = (doc as { cpus?: unknown }).cpus;
  if (!Array.isArray(cpus)) {
    throw new UserError({
      what: 'expected an object with a "cpus" array (lscpu -J -e)',
      where: file,
      next: NEXT,
    });
  }
  if (cpus.length > MAX_CPUS) {
    throw new UserError({
      what: `${cpus.length} CPUs: more than Linux supports on x86 (${MAX_CPUS}), so not one host's lscpu`,
      where: file,
      next: NEXT,
    });
  }
  // Line of the n-th CPU object, for messages: one pass over the text (counting the lines before
  // each match from the start again made a 1 MB file take 20 s).
  const starts: number[] = [];
  const re = /"cpu"\s*:/g;
  let line = 1;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    for (let k = at; k < m.index; k++) if (text.charCodeAt(k) === 10) line++;
    at = m.index;
    starts.push(line);
  }
  const rows: Row[] = cpus.map((c, i) => ({
    fields: Object.fromEntries(Object.entries((c ?? {}) as object).map(([k, v]) => [k.toLowerCase(), v])),
    where: `${file}:${starts[i] ?? 1}`,
  }));
  if (rows.length > 0 && !rows.some((r) => "node" in r.fields)) {
    throw new UserError({
      what: "the lscpu JSON has no node field, so the NUMA layout is unknown",
      where: file,
      next: "capture with `lscpu -J -e=CPU,NODE,SOCKET,CORE,ONLINE`",
    });
  }
  return toTopology(rows, file, []);
}

/** Parses lscpu output of any of the three forms; `file` names it in messages. */
export function parseLscpu(text: string, file: string): Topology {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) return parseJson(text, file);
  const lines = text.split(/\r?\n/);
  if (trimmed !== "" && !/\n\s*$/.test(text)) {
    // lscpu ends every line, the last one too: a capture without it was cut off mid-line.
    throw new UserError({
      what: "the last line has no line end: the capture was cut off",
      where: `${file}:${lastContentLine(lines) + 1}`,
      next: NEXT,
    });
  }
  const first = lines.find((l) => l.trim() !== "") ?? "";
  if (/^\s*CPU\s+\S/i.test(first)) return parseExtended(lines, file);
  if (first.startsWith("#") || /^\d+,/.test(first)) return parseParsable(lines, file);
  throw new UserError({
    what: "not lscpu -p, lscpu -e or lscpu -J -e output",
    where: `${file}:${lines.indexOf(first) + 1}`,
    next: `${NEXT}; plain \`lscpu\` (the summary) does not list CPUs one by one`,
  });
}
