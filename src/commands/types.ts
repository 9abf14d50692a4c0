import type { Context } from "../lib/context.ts";

export interface OptionSpec {
  /** Commander flags, e.g. "--instance-type <type>" or "--force". */
  flags: string;
  description: string;
  default?: string | boolean | number;
  choices?: readonly string[];
  /** Parses the raw string (e.g. into a number); throw UserError on bad values. */
  parse?: (value: string, previous: unknown) => unknown;
  /**
   * Earlier spellings of this flag (e.g. "--output-dir" for "--out-dir"): they keep working for
   * one release, hidden from help, with a deprecation warning.
   */
  was?: string[];
}

export interface ArgSpec {
  name: string;
  description: string;
  required?: boolean;
  variadic?: boolean;
}

export interface Example {
  cmd: string;
  what: string;
}

/** What a command module exports. Options arrive camel-cased, positional args by name. */
export interface CommandModule {
  // biome-ignore lint/suspicious/noExplicitAny: each command narrows its own options type
  run(opts: any, ctx: Context): Promise<number | undefined>;
}

export interface CommandSpec {
  /** Words of the command, e.g. ["profile", "generate"]. */
  path: string[];
  summary: string;
  /** Longer help text shown by `llw <cmd> --help`. */
  description?: string;
  args?: ArgSpec[];
  options?: OptionSpec[];
  /**
   * Flags that contradict each other: given together (on the command line, not by default) the
   * command is refused before it runs, saying why.
   */
  conflicts?: { flags: [string, string]; why: string }[];
  /**
   * Output formats if the command prints data; adds -o/--output (the first is the default). The
   * names are the same in every command: table, yaml, json (markdown where a document is printed).
   */
  output?: readonly string[];
  /** Earlier names of output formats, accepted with a deprecation warning: { text: "table" }. */
  outputWas?: Record<string, string>;
  examples: Example[];
  load: () => Promise<CommandModule>;
}

/** Groups of commands (`llw profile ...`) need a one-line summary of their own. */
export interface GroupSpec {
  name: string;
  summary: string;
}
