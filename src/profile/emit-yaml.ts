/**
 * A small YAML writer for plain manifest data (maps, lists, strings, numbers, booleans), so that
 * `llw profile generate` prints its profile without loading the `yaml` package, which costs more
 * start-up time than the rest of the command (see BENCHMARKS.md). Its output is byte-identical
 * to `yaml`'s stringify for such data (a test checks that over generated profiles); anything
 * outside that subset returns undefined and the caller falls back to the `yaml` package.
 */

const PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_.,/:-]*$/;
/** Plain scalars YAML 1.2 (core schema) would read as something other than a string. */
const NOT_A_STRING =
  /^(?:[-+]?(?:\d+|\d*\.\d+|\d+\.\d*)(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|true|True|TRUE|false|False|FALSE|null|Null|NULL|~)$/;

function scalar(v: unknown): string | undefined {
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return Number.isSafeInteger(v) ? String(v) : undefined;
  if (typeof v !== "string") return undefined;
  if (v === "") return '""';
  if (PLAIN.test(v) && !NOT_A_STRING.test(v) && !v.endsWith(":")) return v;
  if (NOT_A_STRING.test(v)) return JSON.stringify(v);
  return undefined;
}

function lines(v: unknown, indent: string, out: string[]): boolean {
  if (Array.isArray(v)) {
    if (v.length === 0) return false;
    for (const item of v) {
      const s = scalar(item);
      if (s !== undefined) out.push(`${indent}- ${s}`);
      else if (item && typeof item === "object" && !Array.isArray(item) && Object.keys(item).length > 0) {
        const sub: string[] = [];
        if (!lines(item, `${indent}  `, sub)) return false;
        sub[0] = `${indent}- ${sub[0]!.slice(indent.length + 2)}`;
        out.push(...sub);
      } else return false;
    }
    return true;
  }
  if (v && typeof v === "object") {
    for (const [k, val] of Object.entries(v)) {
      const key = scalar(k);
      if (key === undefined || key !== k) return false;
      const s = scalar(val);
      if (s !== undefined) out.push(`${indent}${key}: ${s}`);
      else if (val && typeof val === "object" && Object.keys(val).length > 0) {
        out.push(`${indent}${key}:`);
        if (!lines(val, Array.isArray(val) ? `${indent}  ` : `${indent}  `, out)) return false;
      } else return false;
    }
    return true;
  }
  return false;
}

/** YAML for plain data, or undefined if the data needs the full `yaml` package. */
export function emitPlainYaml(data: Record<string, unknown>): string | undefined {
  const out: string[] = [];
  return lines(data, "", out) ? `${out.join("\n")}\n` : undefined;
}
