import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { COMMANDS, GROUPS } from "./commands/registry.ts";
import type { CommandSpec } from "./commands/types.ts";
import { type Context, processContext } from "./lib/context.ts";
import { EnvironmentError, ExitCode, LlwError, UserError } from "./lib/errors.ts";
import {
  addOldSpellings,
  applyOldSpellings,
  examplesHelp,
  HELP_SETTINGS,
  helpWidth,
  outputOption,
} from "./lib/grammar.ts";

const EXIT_CODES_HELP = `
Exit codes:
  0   success
  1   checks ran and failed (lint errors, doctor FAIL, drift under --check, a regression)
  2   bad usage or input (unknown flag, malformed file, unknown instance type)
  3   the environment failed (cluster or AWS unreachable, missing credentials or tool, operator failed)
  70  a bug in llw (please report it with LLW_DEBUG=1 output)

Environment:
  NO_COLOR       disable colour (colour is only ever used on a terminal)
  KUBECONFIG     kubeconfig used for cluster commands, as with oc and kubectl
  AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL
                 AWS access through the SDK's default credential chain, as with the aws CLI
  LLW_DEBUG=1    print stack traces for internal errors
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function findOrCreateGroup(root: Command, words: string[]): Command {
  let cmd = root;
  for (const w of words) {
    let next = cmd.commands.find((c) => c.name() === w);
    if (!next) {
      const group = GROUPS.find((g) => g.name === [...words.slice(0, words.indexOf(w)), w].join(" "));
      next = cmd.command(w).description(group?.summary ?? "");
      next.configureHelp(HELP_SETTINGS);
      next.configureOutput(cmd.configureOutput());
      next.exitOverride();
    }
    cmd = next;
  }
  return cmd;
}

export function buildProgram(
  ctx: Context,
  onRun: (code: number) => void,
  commands: readonly CommandSpec[] = COMMANDS,
): Command {
  const program = new Command("llw")
    .description(
      "Plan, generate and validate the Low-Latency Performance Workshop on AWS: CPU isolation and " +
        "PerformanceProfiles, the GitOps tree, SR-IOV on AWS, cluster install and checks, and the " +
        "test, change, re-test loop.",
    )
    .version(version(), "-V, --version")
    .showHelpAfterError("(run with --help for usage and examples)")
    .configureHelp(HELP_SETTINGS)
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      getOutHelpWidth: () => helpWidth(ctx),
      getErrHelpWidth: () => helpWidth(ctx),
    });

  for (const spec of commands) {
    const parent = findOrCreateGroup(program, spec.path.slice(0, -1));
    const cmd = parent.command(spec.path.at(-1)!).description(spec.summary);
    // The summary is what command lists show; the full description is for `llw <command> --help`.
    cmd.summary(spec.summary);
    if (spec.description) cmd.description(`${spec.summary}\n\n${spec.description}`);
    for (const a of spec.args ?? []) {
      const name = a.variadic ? `${a.name}...` : a.name;
      cmd.argument(a.required ? `<${name}>` : `[${name}]`, a.description);
    }
    for (const o of spec.options ?? []) {
      const opt = new Option(o.flags, o.description);
      if (o.default !== undefined) opt.default(o.default);
      if (o.choices) opt.choices(o.choices);
      if (o.parse) opt.argParser(o.parse as (v: string, p: unknown) => unknown);
      cmd.addOption(opt);
      addOldSpellings(cmd, o);
    }
    if (spec.output) cmd.addOption(outputOption(spec, ctx));
    cmd.addHelpText("after", () => examplesHelp(spec, helpWidth(ctx)));
    cmd.exitOverride();
    cmd.configureOutput(program.configureOutput());
    cmd.action(async (...actionArgs: unknown[]) => {
      const command = actionArgs.at(-1) as Command;
      const oldAttributes = applyOldSpellings(spec, command, ctx);
      refuseConflicts(spec, command);
      const opts: Record<string, unknown> = { ...command.opts() };
      for (const a of oldAttributes) delete opts[a];
      (spec.args ?? []).forEach((a, i) => {
        opts[a.name] = actionArgs[i];
      });
      const mod = await spec.load();
      const code = await mod.run(opts, ctx);
      onRun(typeof code === "number" ? code : ExitCode.ok);
    });
  }
  return program;
}

/** More problems than a reader takes in: the rest are counted, not printed (a binary file gives thousands). */
export const MAX_PROBLEMS_SHOWN = 20;

/** The attribute commander keeps a flag's value under: --mcp-name -> mcpName, --no-lint -> lint. */
const attributeOf = (flag: string) => new Option(flag).attributeName();

/** Refuses flags the command declares as contradicting each other when both were given. */
function refuseConflicts(spec: CommandSpec, command: Command): void {
  const given = (flag: string) => command.getOptionValueSource(attributeOf(flag)) === "cli";
  const problems = (spec.conflicts ?? [])
    .filter((c) => given(c.flags[0]) && given(c.flags[1]))
    .map((c) => ({
      what: `conflicting flags: ${c.why}`,
      where: c.flags.join(", "),
      next: "give one of them",
    }));
  if (problems.length > 0) throw new UserError(problems);
}

function reportError(ctx: Context, e: LlwError): void {
  const c = ctx.colors;
  for (const p of e.problems.slice(0, MAX_PROBLEMS_SHOWN)) {
    ctx.stderr.write(`${c.red("error:")} ${p.what}\n`);
    if (p.where) ctx.stderr.write(`  where: ${p.where}\n`);
    if (p.next) ctx.stderr.write(`  next:  ${p.next}\n`);
  }
  const more = e.problems.length - MAX_PROBLEMS_SHOWN;
  if (more > 0)
    ctx.stderr.write(
      `${c.red("error:")} ... and ${more} more problems (the first ${MAX_PROBLEMS_SHOWN} are shown)\n`,
    );
}

/**
 * A failed write to standard output or error (`llw ... > /dev/full`, a disk that filled up, an
 * I/O error on the terminal): the environment's, not a bug. File writes never get here: they
 * carry their path and are reported by the command.
 */
export function outputError(e: unknown): LlwError | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  if (!err?.code || err.syscall !== "write" || err.path !== undefined) return undefined;
  return new EnvironmentError({
    what: `cannot write the output: ${err.code === "ENOSPC" ? "no space left on the device" : "the system refused"} (${err.code})`,
    where: "standard output",
    next: "write to a file system with free space, or to the terminal",
  });
}

/** Runs llw with the given arguments and returns the exit code. Never throws. */
export async function main(argv: string[], ctx: Context = processContext()): Promise<number> {
  let exit: number = ExitCode.ok;
  try {
    const program = buildProgram(ctx, (code) => {
      exit = code;
    });
    // `llw help profile generate` is `llw profile generate --help` (commander's help command
    // takes one word: it would show the group's help).
    const args = argv[0] === "help" && argv.length > 1 ? [...argv.slice(1), "--help"] : argv;
    await program.parseAsync(args, { from: "user" });
    return exit;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end with exit code 0; usage errors were already printed.
      return e.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
    }
    if (e instanceof LlwError) {
      reportError(ctx, e);
      return e.exitCode;
    }
    const output = outputError(e);
    if (output) {
      reportError(ctx, output);
      return output.exitCode;
    }
    const err = e as Error;
    ctx.stderr.write(
      `internal error: ${err?.message ?? String(e)}\nThis is a bug in llw. Re-run with LLW_DEBUG=1 for details and report it.\n`,
    );
    if (ctx.env.LLW_DEBUG) ctx.stderr.write(`${err?.stack ?? ""}\n`);
    return ExitCode.internal;
  }
}
