/**
 * The error taxonomy. Every failure a user can cause or fix is a UserError (bad flag, bad file,
 * unknown instance type) or an EnvironmentError (cluster unreachable, no credentials, tool
 * missing). Anything else reaching the top-level catch is a bug and is reported as one.
 */

/** Exit codes, documented in `llw --help` and the README. */
export const ExitCode = {
  ok: 0,
  /** Checks ran and at least one failed: lint errors, doctor FAIL, drift under --check, regression. */
  checksFailed: 1,
  /** Bad usage or bad input: unknown flag, malformed file, unknown instance type. */
  badInput: 2,
  /** The environment failed: cluster or AWS unreachable, credentials missing, a tool not installed, an operator failed. */
  environment: 3,
  /** A bug in llw. */
  internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface Problem {
  /** What is wrong, in one sentence. */
  what: string;
  /** Where: a file (with line when known), a flag, an object and JSON path. */
  where?: string;
  /** What the user should do next. */
  next?: string;
}

export class LlwError extends Error {
  readonly problems: Problem[];
  readonly exitCode: ExitCodeValue;
  constructor(problems: Problem | Problem[], exitCode: ExitCodeValue) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.map((p) => p.what).join("; "));
    this.problems = list;
    this.exitCode = exitCode;
  }
}

/** Bad usage or input: exit 2. */
export class UserError extends LlwError {
  constructor(problems: Problem | Problem[]) {
    super(problems, ExitCode.badInput);
    this.name = "UserError";
  }
}

/** The outside world failed (cluster, AWS, a missing tool): exit 3. */
export class EnvironmentError extends LlwError {
  constructor(problems: Problem | Problem[]) {
    super(problems, ExitCode.environment);
    this.name = "EnvironmentError";
  }
}

/** Checks ran and failed; the command already printed its findings: exit 1. */
export class ChecksFailed extends LlwError {
  constructor(what: string, next?: string) {
    super(next === undefined ? { what } : { what, next }, ExitCode.checksFailed);
    this.name = "ChecksFailed";
  }
}

/** Collects problems so that all of them are reported together. */
export class ProblemList {
  readonly items: Problem[] = [];
  add(p: Problem): void {
    this.items.push(p);
  }
  get empty(): boolean {
    return this.items.length === 0;
  }
  /** Throws a UserError holding every collected problem, if any. */
  throwIfAny(): void {
    if (this.items.length > 0) throw new UserError(this.items);
  }
}
