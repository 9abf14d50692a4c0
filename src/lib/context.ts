import type { Clock } from "../cluster/clock.ts";
import { type Colors, colorEnabled, makeColors } from "./color.ts";
import { sanitizeOutput } from "./sanitize.ts";

/** A stream a command writes to; process.stdout in real use, a buffer in tests. */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** The terminal's width, when it is one (help text is wrapped to it). */
  columns?: number;
}

/**
 * What every command receives besides its options: where it runs and where it writes.
 * Commands take injectable dependencies through this (and through their own options) so that
 * tests run them in-process against temp dirs, fake servers and emulators.
 */
export interface Context {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: OutStream;
  stderr: OutStream;
  /** Colours for stdout (disabled off a TTY and with NO_COLOR). */
  colors: Colors;
  /** Whether stdout is an interactive terminal (human tables, CPU maps, progress). */
  interactive: boolean;
  now: () => Date;
  /**
   * Time for commands that poll a cluster (default: real time). A simulated cluster that runs
   * faster than real hands its own clock here, so llw waits its real intervals in that time.
   */
  clock?: Clock;
}

/**
 * A stream whose every write is sanitised (src/lib/sanitize.ts): text from a cluster, an AWS
 * account or a file cannot retitle the terminal, move the cursor or plant a hyperlink.
 */
export function safeStream(s: OutStream): OutStream {
  return {
    write: (chunk: string) => s.write(sanitizeOutput(String(chunk))),
    isTTY: Boolean(s.isTTY),
    // Read when needed: a terminal's width changes when its window does.
    get columns() {
      return s.columns;
    },
  };
}

export function processContext(): Context {
  const isTTY = Boolean(process.stdout.isTTY);
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: safeStream(process.stdout),
    stderr: safeStream(process.stderr),
    colors: makeColors(colorEnabled(process.env, isTTY)),
    interactive: isTTY,
    now: () => new Date(),
  };
}

/** A context that captures output, for tests. */
export function bufferContext(
  overrides: Partial<Omit<Context, "stdout" | "stderr">> = {},
): Context & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    cwd: process.cwd(),
    env: {},
    colors: makeColors(false),
    interactive: false,
    now: () => new Date(),
    ...overrides,
    stdout: safeStream({ write: (s: string) => (out += s), isTTY: false }),
    stderr: safeStream({ write: (s: string) => (err += s), isTTY: false }),
    out: () => out,
    err: () => err,
  };
}
