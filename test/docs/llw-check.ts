/**
 * Checks an llw command line against the CLI's real command registry by parsing it with the real
 * commander program (src/cli.ts) whose actions are replaced by a recorder: the command path must
 * exist, every flag must exist on that command, values must pass the command's own choices and
 * parsers, and positional arguments must fit. Nothing runs.
 */
import type { Command } from "commander";
import { buildProgram } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";

function leafPaths(cmd: Command, path: string[], out: Map<Command, string[]>): void {
  for (const sub of cmd.commands) {
    const p = [...path, sub.name()];
    if (sub.commands.length === 0) out.set(sub, p);
    else leafPaths(sub, p, out);
  }
}

/** The command or group named by the leading words of args, and how many words that took. */
function resolvePath(program: Command, args: string[]): { cmd: Command; depth: number } {
  let cmd = program;
  let depth = 0;
  for (const word of args) {
    const next = cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!next) break;
    cmd = next;
    depth++;
  }
  return { cmd, depth };
}

export interface CheckResult {
  ok: boolean;
  /** The command path that would run, e.g. "profile generate". */
  command?: string;
  error?: string;
}

/**
 * mode "run": a command shown in a bash block; it must name a runnable command (or ask for help).
 * mode "mention": a command named in prose; `llw` or a command group alone (e.g. `llw profile`) is fine,
 * and so are missing positional arguments; flags are still checked.
 */
export function checkLlw(args: string[], mode: "run" | "mention"): CheckResult {
  const ctx = bufferContext();
  const program = buildProgram(ctx, () => {});
  const leaves = new Map<Command, string[]>();
  leafPaths(program, [], leaves);
  let ran: string[] | undefined;
  for (const [cmd, path] of leaves) {
    cmd.action(() => {
      ran = path;
    });
  }
  const { cmd, depth } = resolvePath(program, args);
  if (mode === "mention" && depth === args.length && (cmd === program || cmd.commands.length > 0)) {
    return { ok: true, command: args.join(" ") || "(llw)" };
  }
  try {
    program.parse(args, { from: "user" });
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") {
      return { ok: true, command: args.slice(0, depth).join(" ") || "(llw)" };
    }
    // Prose may name a command without its arguments ("`llw profile validate` reports ...").
    if (mode === "mention" && err.code === "commander.missingArgument") {
      return { ok: true, command: args.slice(0, depth).join(" ") };
    }
    const printed = ctx.err().trim();
    return { ok: false, error: printed || err.message || String(e) };
  }
  if (!ran) return { ok: false, error: `"llw ${args.join(" ")}" names no runnable command` };
  return { ok: true, command: ran.join(" ") };
}
