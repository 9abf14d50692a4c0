import Table from "cli-table3";
import { stringify } from "yaml";
import type { Context } from "./context.ts";
import { UserError } from "./errors.ts";

export const OUTPUT_FORMATS = ["table", "yaml", "json"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutputFormat(
  value: string | undefined,
  allowed: readonly string[] = OUTPUT_FORMATS,
): string {
  const v = value ?? "table";
  if (!allowed.includes(v)) {
    throw new UserError({
      what: `unknown output format "${v}"`,
      where: "-o/--output",
      next: `use one of: ${allowed.join(", ")}`,
    });
  }
  return v;
}

export function toYaml(data: unknown): string {
  return stringify(data, { lineWidth: 0, aliasDuplicateObjects: false });
}

export function toJson(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

/**
 * Prints data in the chosen format. `human` renders the table form; json and yaml print the
 * same data for scripts.
 */
export function emit(ctx: Context, format: string, data: unknown, human: () => string): void {
  if (format === "json") ctx.stdout.write(toJson(data));
  else if (format === "yaml") ctx.stdout.write(toYaml(data));
  else ctx.stdout.write(human());
}

/** A plain table with a header row; borders only on a TTY so that piped output stays greppable. */
export function renderTable(ctx: Context, head: string[], rows: (string | number)[][]): string {
  const table = ctx.interactive
    ? new Table({ head: head.map((h) => ctx.colors.bold(h)), style: { head: [], border: [] } })
    : new Table({
        head,
        chars: {
          top: "",
          "top-mid": "",
          "top-left": "",
          "top-right": "",
          bottom: "",
          "bottom-mid": "",
          "bottom-left": "",
          "bottom-right": "",
          left: "",
          "left-mid": "",
          mid: "",
          "mid-mid": "",
          right: "",
          "right-mid": "",
          middle: "  ",
        },
        style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
      });
  for (const r of rows) table.push(r.map(String));
  return `${table
    .toString()
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")}\n`;
}
