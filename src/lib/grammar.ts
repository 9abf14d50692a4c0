/**
 * The grammar every llw command shares, applied from the registry (src/commands/registry.ts):
 * help wrapped to the terminal, earlier flag spellings and format names kept for one release with
 * a warning, one -o/--output for formats. README "One grammar" says what the rules are;
 * test/lib/cli-grammar.test.ts checks every command against them.
 */
import { type Command, Help, InvalidArgumentError, Option } from "commander";
import type { CommandSpec, OptionSpec } from "../commands/types.ts";
import type { Context } from "./context.ts";
import { UserError } from "./errors.ts";

/**
 * How help lays out an option or command: beside its name while the description gets at least 30
 * columns, else below it (a terminal narrower than the longest flag still gets readable help).
 */
function formatItem(this: Help, term: string, termWidth: number, description: string, helper: Help): string {
  const width = this.helpWidth ?? 80;
  if (!description || width - termWidth - 4 >= 30)
    return Help.prototype.formatItem.call(this, term, termWidth, description, helper);
  return `  ${term}\n      ${helper.boxWrap(description, width - 6).replace(/\n/g, "\n      ")}`;
}

/** Help settings of every command and group. */
export const HELP_SETTINGS = { sortSubcommands: true, minWidthToWrap: 20, formatItem };

/** Help is wrapped to the terminal's width; off a terminal to COLUMNS, else 80 (as oc and kubectl do). */
export function helpWidth(ctx: Context): number {
  const fromEnv = Number(ctx.env.COLUMNS);
  const w = ctx.stdout.columns ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80);
  return Math.max(40, w);
}

/**
 * Words of `text` in lines of at most `width` after `first` (first line) or `rest` (the others);
 * in a command, quoted words stay whole and lines end with a shell continuation, so the command
 * still copies and runs.
 */
function wrapWords(text: string, width: number, first: string, rest: string, shell: boolean): string {
  const words = shell ? (text.match(/(?:[^\s'"]+|'[^']*'|"[^"]*")+/g) ?? []) : text.split(" ");
  const cont = shell ? " \\" : "";
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    const room = width - (lines.length === 0 ? first : rest).length - cont.length;
    if (line && line.length + 1 + w.length > room) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  lines.push(line);
  return lines.map((l, i) => `${i === 0 ? first : rest}${l}${i < lines.length - 1 ? cont : ""}`).join("\n");
}

export function examplesHelp(spec: CommandSpec, width: number): string {
  if (spec.examples.length === 0) return "";
  const lines = spec.examples.map(
    (e) =>
      `${wrapWords(e.what, width, "  # ", "  # ", false)}\n${wrapWords(e.cmd, width, "  $ ", "      ", true)}`,
  );
  return `\nExamples:\n${lines.join("\n\n")}\n`;
}

/** The long name of a flag ("--out-dir" of "--out-dir <dir>", "-o" of "-o <file>"). */
export const flagName = (flags: string) => {
  const o = new Option(flags);
  return o.long ?? o.short ?? flags;
};

/** Hidden options for a flag's earlier spellings, parsed as the flag is. */
export function addOldSpellings(cmd: Command, o: OptionSpec): void {
  const arg = /\s([<[][^>\]]+[>\]])$/.exec(o.flags)?.[1];
  for (const old of o.was ?? []) {
    const alias = new Option(arg ? `${old} ${arg}` : old, `deprecated: ${flagName(o.flags)}`).hideHelp();
    if (o.parse) alias.argParser(o.parse as (v: string, p: unknown) => unknown);
    cmd.addOption(alias);
  }
}

/**
 * An earlier spelling given on the command line counts as its flag, with a warning; both at once
 * are refused. Returns the attributes of the old spellings, which the command never sees.
 */
export function applyOldSpellings(spec: CommandSpec, command: Command, ctx: Context): string[] {
  const oldAttributes: string[] = [];
  for (const o of spec.options ?? []) {
    const now = new Option(o.flags);
    for (const old of o.was ?? []) {
      const oldAttr = new Option(old).attributeName();
      oldAttributes.push(oldAttr);
      if (command.getOptionValueSource(oldAttr) !== "cli") continue;
      const name = flagName(o.flags);
      if (command.getOptionValueSource(now.attributeName()) === "cli") {
        throw new UserError({
          what: `${old} is the old spelling of ${name}: give it once`,
          where: `${old}, ${name}`,
          next: `give ${name} only`,
        });
      }
      command.setOptionValueWithSource(now.attributeName(), command.getOptionValue(oldAttr), "cli");
      ctx.stderr.write(
        `${ctx.colors.yellow("warning:")} ${old} is deprecated: use ${name} (the old spelling goes in the next release)\n`,
      );
    }
  }
  return oldAttributes;
}

/** -o/--output: the command's formats; an earlier name of one is accepted with a warning. */
export function outputOption(spec: CommandSpec, ctx: Context): Option {
  const formats = spec.output ?? [];
  return new Option("-o, --output <format>", "output format")
    .choices(formats)
    .default(formats[0])
    .argParser((v: string) => {
      if (formats.includes(v)) return v;
      const now = spec.outputWas?.[v];
      if (now) {
        ctx.stderr.write(
          `${ctx.colors.yellow("warning:")} -o ${v} is deprecated: use -o ${now} (the old name goes in the next release)\n`,
        );
        return now;
      }
      throw new InvalidArgumentError(`Allowed choices are ${formats.join(", ")}.`);
    });
}
