/**
 * One grammar for every command, checked against the registry (src/commands/registry.ts) so a
 * new command or flag cannot drift from it: formats, output paths, names of the same thing,
 * --force, earlier spellings, help. The rules are README's "One grammar".
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Option } from "commander";
import { buildProgram, main } from "../../src/cli.ts";
import { COMMANDS } from "../../src/commands/registry.ts";
import type { CommandSpec } from "../../src/commands/types.ts";
import { bufferContext } from "../../src/lib/context.ts";

const longName = (flags: string) => new Option(flags).long ?? new Option(flags).short ?? flags;
const names = (spec: CommandSpec) => (spec.options ?? []).map((o) => longName(o.flags));
const where = (spec: CommandSpec) => `llw ${spec.path.join(" ")}`;

/** Runs `argv` against the registry with every command's code replaced by one that records its options. */
async function parsed(argv: string[]) {
  const ctx = bufferContext();
  let seen: Record<string, unknown> | undefined;
  const recording = COMMANDS.map((s) => ({
    ...s,
    load: async () => ({
      run: async (opts: Record<string, unknown>) => {
        seen = opts;
        return 0;
      },
    }),
  }));
  let code = 0;
  try {
    await buildProgram(ctx, (c) => (code = c), recording).parseAsync(argv, { from: "user" });
  } catch {
    code = 2;
  }
  return { code, opts: seen, err: ctx.err() };
}

/** Placeholder values for a command's required arguments. */
const argsOf = (spec: CommandSpec) => (spec.args ?? []).filter((a) => a.required).map(() => "x");

describe("one grammar for every command (checked against the registry)", () => {
  it("-o/--output is only ever the output format, and formats have the same names everywhere (table, yaml, json; markdown as an extra)", () => {
    for (const spec of COMMANDS) {
      for (const o of spec.options ?? []) {
        assert.ok(
          !/(^|[ ,])-o\b/.test(o.flags),
          `${where(spec)}: ${o.flags} takes -o, which is the output format`,
        );
      }
      for (const f of spec.output ?? [])
        assert.ok(["table", "yaml", "json", "markdown"].includes(f), `${where(spec)}: format ${f}`);
      // Data printed as a table is printed as YAML and JSON too.
      if (spec.output?.includes("table"))
        assert.ok(
          spec.output.includes("yaml") && spec.output.includes("json"),
          `${where(spec)}: ${spec.output}`,
        );
    }
  });

  it("an output file is --out <file>, an output folder --out-dir <dir>; the other spellings exist only as deprecated ones", () => {
    const banned = [
      "--output-dir",
      "--outdir",
      "--results",
      "--dir",
      "--output-file",
      "--file-out",
      "--dest",
    ];
    for (const spec of COMMANDS) {
      for (const n of names(spec)) assert.ok(!banned.includes(n), `${where(spec)}: ${n}`);
      for (const o of spec.options ?? []) {
        if (longName(o.flags) === "--out") assert.match(o.flags, /^--out <file>$/, where(spec));
        if (longName(o.flags) === "--out-dir") assert.match(o.flags, /^--out-dir <dir>$/, where(spec));
      }
    }
    const writers = COMMANDS.filter((s) => names(s).some((n) => n === "--out" || n === "--out-dir"));
    assert.deepEqual(writers.map((s) => s.path.join(" ")).sort(), [
      "aws machineset",
      "bench install",
      "bench run",
      "latency run",
      "profile generate",
      "report",
      "sriov generate",
    ]);
  });

  it("the same thing has the same name: --infra-id, --instance-ids, --profile only as the AWS profile (beside --region), --performance-profile", () => {
    for (const spec of COMMANDS) {
      const n = names(spec);
      for (const o of spec.options ?? []) {
        if (/<infra-id>/.test(o.flags) || /infrastructure id/.test(o.description))
          assert.equal(longName(o.flags), "--infra-id", `${where(spec)}: ${o.flags}`);
        if (/<ids>/.test(o.flags) || /instance id/i.test(o.description))
          assert.equal(longName(o.flags), "--instance-ids", `${where(spec)}: ${o.flags}`);
        if (/PerformanceProfile name/.test(o.description))
          assert.equal(longName(o.flags), "--performance-profile", `${where(spec)}: ${o.flags}`);
      }
      if (n.includes("--profile"))
        assert.ok(n.includes("--region"), `${where(spec)}: --profile without --region`);
      assert.ok(!n.includes("--cluster") && !n.includes("--instance"), where(spec));
    }
  });

  it("--force means overwrite: its description says what it replaces, and --check never goes with it", () => {
    for (const spec of COMMANDS) {
      const force = (spec.options ?? []).find((o) => o.flags === "--force");
      if (!force) continue;
      assert.match(
        force.description,
        /^(with --out: )?(replace|overwrite)/,
        `${where(spec)}: ${force.description}`,
      );
      if (names(spec).includes("--check"))
        assert.ok(
          spec.conflicts?.some((c) => c.flags.includes("--check") && c.flags.includes("--force")),
          `${where(spec)}: --check with --force is not refused`,
        );
    }
  });

  it("every declared conflict names flags the command has", () => {
    for (const spec of COMMANDS)
      for (const c of spec.conflicts ?? [])
        for (const f of c.flags) assert.ok(names(spec).includes(f), `${where(spec)}: conflict on ${f}`);
  });

  it("every earlier spelling still works, for one release: same value under the new name, a deprecation warning; both at once are refused (exit 2)", async () => {
    let checked = 0;
    for (const spec of COMMANDS) {
      for (const o of spec.options ?? []) {
        for (const old of o.was ?? []) {
          const takesValue = /[<[]/.test(o.flags);
          const value = o.parse ? "1" : "v1";
          const argv = [...spec.path, ...argsOf(spec), old, ...(takesValue ? [value] : [])];
          const r = await parsed(argv);
          assert.equal(r.code, 0, `${argv.join(" ")}: ${r.err}`);
          const attr = new Option(o.flags).attributeName();
          const got = r.opts?.[attr];
          assert.ok(
            takesValue ? JSON.stringify(got).includes(value) : got === true,
            `${argv.join(" ")}: ${attr} = ${JSON.stringify(got)}`,
          );
          assert.equal(r.opts?.[new Option(old).attributeName()], undefined, `${old} leaks to the command`);
          assert.match(r.err, new RegExp(`warning: ${old} is deprecated: use ${longName(o.flags)}`));
          const both = await parsed([...argv, longName(o.flags), ...(takesValue ? [value] : [])]);
          assert.equal(both.code, 2, `${argv.join(" ")} ${longName(o.flags)}`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 9, `only ${checked} earlier spellings`);
  });

  it("no help example uses an earlier spelling of its own command (a flag in an option's was list, an earlier -o format name)", () => {
    const deprecated: string[] = [];
    let seen = 0;
    for (const spec of COMMANDS) {
      const oldFlags = (spec.options ?? []).flatMap((o) => o.was ?? []);
      const oldFormats = Object.keys(spec.outputWas ?? {});
      for (const e of spec.examples) {
        // Only llw's own words: a pipe or && hands the line to another program (oc apply -f -).
        const words = e.cmd.split(/\s+(?:\||&&|;|>)\s+/)[0]!.split(/\s+/);
        words.forEach((w, i) => {
          const [flag, inline] = w.split("=", 2) as [string, string | undefined];
          if (oldFlags.includes(flag)) deprecated.push(`${where(spec)}: ${flag} in "${e.cmd}"`);
          const format = inline ?? words[i + 1] ?? "";
          if ((flag === "-o" || flag === "--output") && oldFormats.includes(format))
            deprecated.push(`${where(spec)}: -o ${format} in "${e.cmd}"`);
        });
        seen++;
      }
    }
    assert.ok(seen >= 40, `only ${seen} examples read`);
    assert.deepEqual(deprecated, []);
  });

  it("an earlier format name (lint -o text) still works as its new name with a warning; an unknown one is exit 2", async () => {
    const r = await parsed(["lint", "-o", "text"]);
    assert.equal(r.code, 0);
    assert.equal(r.opts?.output, "table");
    assert.match(r.err, /warning: -o text is deprecated: use -o table/);
    const bad = bufferContext();
    assert.equal(await main(["lint", "-o", "xml"], bad), 2);
    assert.match(bad.err(), /Allowed choices are table, yaml, json/);
  });

  it("help is wrapped to 80 columns (or COLUMNS) for every command, examples with shell continuations", async () => {
    for (const width of [80, 60]) {
      for (const spec of COMMANDS) {
        const ctx = bufferContext({ env: { COLUMNS: String(width) } });
        assert.equal(await main([...spec.path, "--help"], ctx), 0);
        const long = ctx
          .out()
          .split("\n")
          // One word longer than the line (a URL, a path) cannot be wrapped.
          .filter((l) => l.length > width && l.trim().replace(/ \\$/, "").includes(" "));
        assert.deepEqual(long, [], `${where(spec)} --help at ${width} columns`);
      }
    }
    const ctx = bufferContext({ env: { COLUMNS: "80" } });
    await main(["profile", "generate", "--help"], ctx);
    assert.match(ctx.out(), /\$ llw profile generate [^\n]* \\\n {6}--/);
  });

  it("`llw help <command> <sub>` shows that command's help, as `llw <command> <sub> --help` does; an unknown command is exit 2", async () => {
    for (const spec of COMMANDS) {
      const a = bufferContext();
      const b = bufferContext();
      assert.equal(await main(["help", ...spec.path], a), 0);
      assert.equal(await main([...spec.path, "--help"], b), 0);
      assert.equal(a.out(), b.out(), where(spec));
      assert.match(a.out(), new RegExp(`^Usage: llw ${spec.path.join(" ")} `));
    }
    const unknown = bufferContext();
    assert.equal(await main(["help", "profile", "nope"], unknown), 2);
    assert.match(unknown.err(), /there is no command llw profile nope/);
    assert.equal(unknown.out(), "");
  });

  it("--check names a file's state in the same words everywhere (missing, drifted, up to date, edited by hand), never 'would unchanged'", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llw-check-words-"));
    const ctx = bufferContext({ cwd: dir });
    const out = join(dir, "p.yaml");
    assert.equal(
      await main(["profile", "generate", "--instance-type", "c5.metal", "--out", out, "--check"], ctx),
      1,
    );
    assert.match(ctx.out(), /^missing: /);
    assert.equal(
      await main(["profile", "generate", "--instance-type", "c5.metal", "--out", out], bufferContext()),
      0,
    );
    const again = bufferContext({ cwd: dir });
    assert.equal(
      await main(["profile", "generate", "--instance-type", "c5.metal", "--out", out, "--check"], again),
      0,
    );
    assert.match(again.out(), /^up to date: /);
    const { checkWord } = await import("../../src/lib/files.ts");
    assert.deepEqual((["create", "update", "unchanged", "conflict", "remove"] as const).map(checkWord), [
      "missing",
      "drifted",
      "up to date",
      "edited by hand",
      "left over",
    ]);
  });
});
