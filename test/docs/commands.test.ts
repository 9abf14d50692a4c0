import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { commandsInOrder, option, positionals, type ShellCommand } from "./commands-in-order.ts";
import { componentAttributes, EXAMPLES, llwUses, pages, shellCommands } from "./guide.ts";
import { checkLlw } from "./llw-check.ts";

const attrs = componentAttributes();
const uses = pages().flatMap((p) => llwUses(p, attrs));

describe("lab guides: every llw command shown exists in the CLI's registry", () => {
  it("finds the commands the guides show (the check below is not vacuous)", () => {
    const blocks = uses.filter((u) => u.kind === "block");
    assert.ok(blocks.length >= 20, `only ${blocks.length} llw commands found in bash blocks`);
  });

  it("every llw command in a bash block parses with the real CLI: path, flags, values, arguments", () => {
    const problems = uses
      .filter((u) => u.kind === "block")
      .map((u) => ({ u, r: checkLlw(u.args, "run") }))
      .filter(({ r }) => !r.ok)
      .map(({ u, r }) => `${u.page}:${u.line}: llw ${u.args.join(" ")}\n    ${r.error}`);
    assert.deepEqual(problems, [], `\n${problems.join("\n")}`);
  });

  it("every llw command named in the prose exists too", () => {
    const problems = uses
      .filter((u) => u.kind === "inline")
      .map((u) => ({ u, r: checkLlw(u.args, "mention") }))
      .filter(({ r }) => !r.ok)
      .map(({ u, r }) => `${u.page}:${u.line}: \`llw ${u.args.join(" ")}\`\n    ${r.error}`);
    assert.deepEqual(problems, [], `\n${problems.join("\n")}`);
  });
});

describe("the llw command checker itself", () => {
  it("accepts the global --version and --help", () => {
    assert.equal(checkLlw(["--version"], "run").ok, true);
    assert.equal(checkLlw(["--help"], "run").ok, true);
  });

  it("accepts a command named in prose without its arguments, but not with a wrong flag", () => {
    assert.equal(checkLlw(["profile", "validate"], "mention").ok, true);
    assert.equal(checkLlw(["profile", "validate"], "run").ok, false);
    assert.equal(checkLlw(["profile", "validate", "--no-such-flag"], "mention").ok, false);
  });

  it("rejects a command that does not exist, and an unknown flag", () => {
    const missing = checkLlw(["no-such-command", "--force"], "run");
    assert.equal(missing.ok, false);
    const flag = checkLlw(["--no-such-flag"], "run");
    assert.equal(flag.ok, false);
    assert.match(flag.error ?? "", /unknown option '--no-such-flag'/);
  });

  it("splits shell lines into commands: quotes, $(...), pipes, redirections, comments", () => {
    assert.deepEqual(shellCommands(`llw bench show results/tuned/$(ls results/tuned | tail -1)`), [
      ["llw", "bench", "show", "results/tuned/$(ls results/tuned | tail -1)"],
    ]);
    assert.deepEqual(
      shellCommands(`llw aws machineset --instance-type c5.metal > ms.yaml && oc apply -f ms.yaml`),
      [
        ["llw", "aws", "machineset", "--instance-type", "c5.metal"],
        ["oc", "apply", "-f", "ms.yaml"],
      ],
    );
    assert.deepEqual(shellCommands(`oc get x -o jsonpath='{.a} {.b}' | sort # note`), [
      ["oc", "get", "x", "-o", "jsonpath={.a} {.b}"],
      ["sort"],
    ]);
  });
});

describe("lab guides: generated configuration is applied and verified", () => {
  const page = pages().find((p) => p.name === "03-virtualization.adoc")!;
  const cmds = commandsInOrder([page], componentAttributes());
  const text = page.lines;

  it("module 3.3 applies every file `llw sriov generate` writes, after generating it", () => {
    const gen = cmds.find((c) => c.words.slice(0, 3).join(" ") === "llw sriov generate");
    assert.ok(gen, "no llw sriov generate step");
    const written = ["sriov-generate-420.txt", "sriov-generate-422.txt"].flatMap((f) =>
      [...readFileSync(join(EXAMPLES, "samples", f), "utf8").matchAll(/^create\s+(\S+)$/gm)].map(
        (m) => m[1]!,
      ),
    );
    assert.ok(written.length >= 4, "the samples list no generated files");
    const applies = cmds.filter(
      (c) =>
        c.line > gen.line &&
        ((c.words[0] === "llw" &&
          c.words[1] === "tune" &&
          c.words[2] === "apply" &&
          !c.words.includes("--dry-run")) ||
          (c.words[0] === "oc" && c.words[1] === "apply")),
    );
    const applied = applies.flatMap((c) =>
      c.words[0] === "llw"
        ? positionals(c.words, 3)
        : [option(c.words, "-f", "-k", "--filename", "--kustomize")!],
    );
    const missing = written.filter(
      (f) => !applied.some((p) => f === p || f.startsWith(`${p.replace(/\/$/, "")}/`)),
    );
    assert.deepEqual(missing, [], "generated but never applied");
  });

  it("module 3.3 verifies the result on the cluster: node state, allocatable resource, a pod's interface, each with what to expect", () => {
    const apply = cmds.find((c) => c.words.slice(0, 3).join(" ") === "llw tune apply");
    assert.ok(apply);
    const after = cmds.filter((c) => c.line > apply.line);
    const expectAfter = (c: ShellCommand | undefined, what: string) => {
      assert.ok(c, `no command that checks ${what}`);
      const rest = text.slice(c.line).join("\n");
      assert.match(
        rest.slice(0, rest.indexOf("\n. ") > 0 ? rest.indexOf("\n. ") : undefined),
        /You should see/,
        `${what}: no "You should see"`,
      );
    };
    expectAfter(
      after.find((c) => c.words[1] === "get" && c.words[2] === "sriovnetworknodestates"),
      "SriovNetworkNodeState",
    );
    expectAfter(
      after.find((c) => c.words[1] === "get" && c.words.some((w) => w.includes(".status.allocatable"))),
      "allocatable",
    );
    expectAfter(
      after.find((c) => c.words[1] === "exec" && c.words.some((w) => w.startsWith("/sys/class/net"))),
      "the pod's interface",
    );
  });
});

describe("lab guides: every measurement is compared like with like, before against after", () => {
  const all = commandsInOrder(pages(), componentAttributes());
  const llw = (c: ShellCommand, ...path: string[]) =>
    c.words[0] === "llw" && path.every((p, i) => c.words[i + 1] === p);
  const jitter = all.filter((c) => llw(c, "latency", "run"));
  const startup = all.filter((c) => llw(c, "bench", "run"));
  /** label -> what it measures: "<tool> before|after" or "<workload>". */
  const measures = new Map<string, Set<string>>();
  const add = (label: string | undefined, what: string) => {
    assert.ok(label, `no --label for ${what}: the default label mixes states`);
    measures.set(label, (measures.get(label) ?? new Set()).add(what));
  };
  for (const c of jitter)
    add(
      option(c.words, "--label"),
      `${option(c.words, "--tool")} ${c.words.includes("--baseline") ? "before" : "after"}`,
    );
  for (const c of startup) add(option(c.words, "--label"), positionals(c.words, 3)[0]!);

  it("each label names one tool (or workload) in one state, and each of those has one label", () => {
    assert.ok(jitter.length >= 4 && startup.length >= 2, "too few measurements found");
    const mixed = [...measures].filter(([, w]) => w.size > 1).map(([l, w]) => `${l}: ${[...w].join(", ")}`);
    assert.deepEqual(mixed, []);
    const whats = [...measures.values()].map((w) => [...w][0]!);
    assert.equal(new Set(whats).size, whats.length, "one measurement under two labels");
  });

  it("every jitter tool measured after tuning was measured before it, before the profile is applied", () => {
    const applyProfile = all.find(
      (c) =>
        llw(c, "tune", "apply") &&
        !c.words.includes("--dry-run") &&
        c.words.some((w) => w.includes("performance-profiles/")),
    );
    assert.ok(applyProfile, "no step applies the PerformanceProfile");
    const at = (c: ShellCommand) => all.indexOf(c);
    for (const after of jitter.filter((c) => !c.words.includes("--baseline"))) {
      const tool = option(after.words, "--tool");
      const before = jitter.find((c) => c.words.includes("--baseline") && option(c.words, "--tool") === tool);
      assert.ok(before, `${tool}: no --baseline run`);
      assert.ok(
        at(before) < at(applyProfile),
        `${tool}: the baseline is recorded after the profile is applied`,
      );
      for (const flag of ["--duration", "--cpus"]) {
        assert.equal(
          option(before.words, flag),
          option(after.words, flag),
          `${tool}: ${flag} differs before and after`,
        );
      }
    }
  });

  it("every comparison and the report pair a before label with an after label of the same measurement", () => {
    const state = (label: string) => [...(measures.get(label) ?? [])][0];
    const compares = all.filter((c) => llw(c, "bench", "compare"));
    assert.ok(compares.length >= 3);
    for (const c of compares) {
      const [a, b] = positionals(c.words, 3).map(state);
      assert.ok(a && b, `${c.page}:${c.line}: compares a label no step records`);
      const [ta, tb] = [a, b].map((s) => s.replace(/ (before|after)$/, "").replace(/^(baseline|tuned)-/, ""));
      assert.equal(ta, tb, `${c.page}:${c.line}: compares different measurements`);
    }
    const report = all.find((c) => llw(c, "report"));
    assert.ok(report, "no llw report step");
    assert.deepEqual(
      new Set(positionals(report.words, 2).filter((w) => !w.endsWith(".html"))),
      new Set(measures.keys()),
    );
  });
});

describe("lab guides: oc and kubectl file arguments", () => {
  const all = commandsInOrder(pages(), componentAttributes());
  const files = all.filter((c) => ["oc", "kubectl"].includes(c.words[0]!));

  it("no -f takes a shell glob (a glob that matches two files gives -f one file and the next as a resource type)", () => {
    assert.ok(
      files.some((c) => c.words.includes("-f")),
      "the guides' oc -f commands were found",
    );
    const globbed = files.flatMap((c) =>
      c.words.flatMap((w, i) =>
        (w === "-f" || w === "--filename") && /[*?[]/.test(c.words[i + 1] ?? "")
          ? [`${c.page}:${c.line}: ${c.words.join(" ")}`]
          : [],
      ),
    );
    assert.deepEqual(
      globbed,
      [],
      'loop over the files instead: for f in dir/x-*.yaml; do oc ... -f "$f"; done',
    );
  });
});
