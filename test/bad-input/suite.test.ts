/**
 * The bad-input suite: every command that reads a file gets truncated, binary, huge, hostile and
 * impossible versions of its real input (cases.ts), and every command that writes a file is
 * pointed at devices, pipes, links and /proc. Each case runs the built CLI (bin/llw.js, a new
 * process) under a generous hang guard and must end with the exit code the README's table gives
 * its condition: never 70 (a bug), never killed by a signal, never a hang, never a changed
 * device or link.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { ROOT, toolPath } from "../helpers/tools.ts";
import { MUTATIONS, type Sample, samples } from "./cases.ts";

const BIN = join(ROOT, "bin", "llw.js");
const HANG_GUARD_MS = 90_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  hung: boolean;
}

/** Runs the real CLI in a new process; a case that outlives the hang guard is killed and reported. */
function llw(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      if (out.length < 1 << 20) out += c;
    });
    child.stderr.on("data", (c: Buffer) => {
      if (err.length < 1 << 20) err += c;
    });
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill("SIGKILL");
    }, HANG_GUARD_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, hung });
    });
  });
}

/** Runs `jobs` with at most `n` at a time (each case is its own process). */
async function pool<T>(jobs: (() => Promise<T>)[], n = 3): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

/** README "Exit codes" table: case id -> exit code. */
export function readmeExitCodes(): Map<string, number> {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### Exit codes"));
  const codes = new Map<string, number>();
  for (const line of section.split("\n").slice(1)) {
    if (line.startsWith("#")) break;
    const m = /^\|\s*(\d+)\s*\|.*\|([^|]*)\|\s*$/.exec(line);
    if (!m) continue;
    for (const id of m[2]!.matchAll(/`([a-z-]+)`/g)) codes.set(id[1]!, Number(m[1]));
  }
  return codes;
}

/** What each case may end with: the README's code for its condition; `truncated` is any failure but a bug. */
function allowed(mutation: string, codes: Map<string, number>): number[] {
  if (mutation === "truncated") return [1, 2, 3];
  const code = codes.get(mutation);
  assert.ok(code !== undefined, `the README's exit-code table has no row for the case \`${mutation}\``);
  return [code];
}

const unsafe = /internal error|This is a bug|at .+\.(js|ts):\d+:\d+/;

describe("bad input never wins: every command, every way a file goes wrong (real CLI, new processes)", () => {
  let ws: string;
  let all: Sample[];
  let env: NodeJS.ProcessEnv;
  const codes = readmeExitCodes();

  before(async () => {
    ws = mkdtempSync(join(tmpdir(), "llw-bad-input-"));
    all = await samples(ws);
    env = {
      PATH: toolPath(),
      HOME: ws,
      LLW_CACHE_DIR: join(ws, "cache"),
      NO_COLOR: "1",
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00",
      AWS_SECRET_ACCESS_KEY: "not-a-real-secret",
      AWS_MAX_ATTEMPTS: "1",
    };
  });

  it("the README's exit-code table names every case the suite runs", () => {
    for (const m of MUTATIONS)
      if (m.id !== "truncated") assert.ok(codes.has(m.id), `no README row for ${m.id}`);
    for (const id of ["output-device", "output-fifo", "output-proc", "output-dangling"])
      assert.ok(codes.has(id), `no README row for ${id}`);
  });

  it("the real inputs themselves are accepted (the suite starts from working commands)", {
    timeout: 600_000,
  }, async () => {
    for (const s of all) {
      for (const cmd of s.commands) {
        const args = cmd(s.kind === "json" ? dirname(dirname(s.file)) : s.file);
        const r = await llw(args, ws, env);
        // doctor, tune apply and aws network up reach for a cluster or AWS nothing answers: the environment (3).
        const want = ["doctor", "tune", "aws network"].some((c) => args.join(" ").startsWith(c)) ? 3 : 0;
        assert.equal(r.code, want, `${args.join(" ")}: ${r.err}`);
      }
    }
  });

  for (const m of MUTATIONS) {
    it(`${m.id}: ${m.what}, given to every command that reads a file`, { timeout: 1_800_000 }, async () => {
      const jobs: (() => Promise<string[]>)[] = [];
      for (const s of all) {
        // A result folder holds what kube-burner wrote: /proc/self/mem can only be linked into it,
        // and a link is not a measurement file (the reader skips it), so EIO is not reachable there.
        if (s.kind === "json" && m.id === "eio") continue;
        for (const cmd of s.commands) jobs.push(() => runCase(s, cmd));
      }
      const runCase = async (s: Sample, cmd: (at: string) => string[]): Promise<string[]> => {
        const failures: string[] = [];
        {
          const dir = mkdtempSync(join(ws, `${m.id}-`));
          let at = m.path(s, dir);
          if (s.kind === "json") at = runWith(s.file, at, dir);
          const args = cmd(at);
          const r = await llw(args, ws, env);
          const want = allowed(m.id, codes);
          const line = `llw ${args.join(" ").replaceAll(ws, "$WS")}`;
          if (r.hung) failures.push(`${line}: hung (killed after ${HANG_GUARD_MS / 1000} s)`);
          else if (r.signal) failures.push(`${line}: killed by ${r.signal}`);
          else if (!want.includes(r.code ?? -1))
            failures.push(
              `${line}: exit ${r.code}, README says ${want.join(" or ")}\n    ${r.err.slice(0, 400)}`,
            );
          else if (unsafe.test(r.err))
            failures.push(`${line}: a stack trace or bug report\n    ${r.err.slice(0, 400)}`);
          if (r.err.length > 16_000) failures.push(`${line}: ${r.err.length} bytes of errors`);
        }
        return failures;
      };
      assert.deepEqual((await pool(jobs)).flat(), []);
    });
  }

  it("every command that writes a file leaves devices, pipes, links and /proc as they were (with --force)", {
    timeout: 900_000,
  }, async () => {
    const ms = all.find((s) => s.name === "worker MachineSets")!.file;
    const run = dirname(dirname(all.find((s) => s.kind === "json")!.file));
    const writers: ((target: string) => string[])[] = [
      (t) => ["profile", "generate", "--instance-type", "c5.metal", "--out", t, "--force"],
      (t) => ["aws", "machineset", "--instance-type", "c5.metal", "--from", ms, "--out-dir", t, "--force"],
      (t) => ["report", run, "-o", t, "--force"],
    ];
    const failures: string[] = [];
    for (const writer of writers) {
      for (const target of outputTargets(ws)) {
        const args = writer(target.path);
        const r = await llw(args, ws, env);
        const want = codes.get(target.id);
        const line = `llw ${args.join(" ").replaceAll(ws, "$WS")}`;
        if (r.hung || r.signal) failures.push(`${line}: ${r.hung ? "hung" : r.signal}`);
        else if (r.code !== want)
          failures.push(`${line}: exit ${r.code}, README says ${want}\n    ${r.err.slice(0, 300)}`);
        const changed = target.unchanged();
        if (changed) failures.push(`${line}: ${changed}`);
      }
    }
    assert.deepEqual(failures, []);
  });
});

/** A copy of the sample run whose metrics file is the mutated path (a link to it, for system paths). */
function runWith(metrics: string, mutated: string, dir: string): string {
  const run = dirname(dirname(metrics));
  const copy = join(dir, "run");
  cpSync(run, copy, { recursive: true });
  const target = join(copy, "collected-metrics", basename(metrics));
  rmSync(target, { recursive: true, force: true });
  if (!existsSync(mutated) && !mutated.startsWith("/proc")) return copy;
  if (mutated.startsWith(dir) && lstatSync(mutated).isFile()) cpSync(mutated, target);
  else symlinkSync(mutated, target);
  return copy;
}

interface Target {
  id: string;
  path: string;
  /** Undefined when the target is as it was; else what changed. */
  unchanged: () => string | undefined;
}

/** Output paths that must never be replaced, made fresh for each writer. */
function outputTargets(ws: string): Target[] {
  const dir = mkdtempSync(join(ws, "out-"));
  const out: Target[] = [];
  execFileSync("mkfifo", [join(dir, "fifo")]);
  out.push({
    id: "output-fifo",
    path: join(dir, "fifo"),
    unchanged: () => (lstatSync(join(dir, "fifo")).isFIFO() ? undefined : "the FIFO was replaced"),
  });
  symlinkSync(join(dir, "fifo"), join(dir, "fifo-link"));
  out.push({
    id: "output-fifo",
    path: join(dir, "fifo-link"),
    unchanged: () =>
      lstatSync(join(dir, "fifo-link")).isSymbolicLink() ? undefined : "the link was replaced",
  });
  symlinkSync("/proc/self/fd/1", join(dir, "stdout"));
  out.push({
    id: "output-device",
    path: join(dir, "stdout"),
    unchanged: () =>
      readlinkSync(join(dir, "stdout")) === "/proc/self/fd/1" ? undefined : "the link was replaced",
  });
  symlinkSync(join(dir, "nowhere", "x"), join(dir, "dangling"));
  out.push({
    id: "output-dangling",
    path: join(dir, "dangling"),
    unchanged: () =>
      lstatSync(join(dir, "dangling")).isSymbolicLink() ? undefined : "the dangling link was replaced",
  });
  out.push({
    id: "output-proc",
    path: "/proc/llw-out/x",
    unchanged: () => (existsSync("/proc/llw-out") ? "something was made under /proc" : undefined),
  });
  // A device of our own (the numbers of /dev/null): only root can make one, and a failure here
  // must never touch the machine's real devices.
  if (process.getuid?.() === 0) {
    try {
      execFileSync("mknod", [join(dir, "null"), "c", "1", "3"]);
      out.push({
        id: "output-device",
        path: join(dir, "null"),
        unchanged: () =>
          lstatSync(join(dir, "null")).isCharacterDevice() ? undefined : "the device was replaced",
      });
    } catch {
      // no mknod here: the link to /proc/self/fd/1 still covers devices
    }
  }
  mkdirSync(join(dir, "unused"), { recursive: true });
  writeFileSync(join(dir, "unused", ".keep"), "");
  return out;
}
