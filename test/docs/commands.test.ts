import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { componentAttributes, llwUses, pages, shellCommands } from "./guide.ts";
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
