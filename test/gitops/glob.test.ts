import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { globMatch, globWork } from "../../src/gitops/checks/argocd.ts";
import { withHangGuard } from "../helpers/hang-guard.ts";

/** The old matcher (a regular expression), as a reference on inputs small enough for it. */
function reference(glob: string, name: string): boolean {
  const re = glob
    .replace(/[.+^$()|[\]\\{}]/g, "\\$&")
    .replaceAll("*", "[^/]*")
    .replaceAll("?", "[^/]");
  return new RegExp(`^${re}$`).test(name);
}

describe("Argo CD include/exclude globs are matched without backtracking", () => {
  it("matches as Argo CD's patterns read: * and ? never cross /, everything else is literal", () => {
    assert.ok(globMatch("*.yaml", "a.yaml"));
    assert.ok(!globMatch("*.yaml", "dir/a.yaml"));
    assert.ok(globMatch("*/a.yaml", "dir/a.yaml"));
    assert.ok(globMatch("performance-profile-?5*.yaml", "performance-profile-c5-metal.yaml"));
    assert.ok(!globMatch("a.yaml", "aXyaml"), "a dot is a dot");
    assert.ok(globMatch("", ""));
    assert.ok(!globMatch("", "x"));
  });

  it("property: agrees with the regular-expression matcher on small patterns and names", () => {
    const alphabet = fc.constantFrom("a", "b", ".", "/", "*", "?");
    const text = fc.constantFrom("a", "b", ".", "/");
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: text, maxLength: 10 }),
        (g, n) => {
          assert.equal(globMatch(g, n), reference(g, n), `${g} ${n}`);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("fuzz: hostile patterns (many * in a row, against long names that almost match) do bounded work", {
    timeout: 30_000,
  }, () => {
    const cases: [string, string][] = [
      ["*********x", "a".repeat(255)],
      [`${"*a".repeat(40)}b`, "a".repeat(255)],
      [`${"?".repeat(200) + "*".repeat(100)}z`, "y".repeat(255)],
    ];
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("*", "?", "a", "b"), maxLength: 120 }),
        fc.string({ unit: fc.constantFrom("a", "b"), maxLength: 255 }),
        (g, n) => {
          cases.push([g, n]);
        },
      ),
      { numRuns: 300 },
    );
    for (const [g, n] of cases) {
      globWork.steps = 0;
      globMatch(g, n);
      assert.ok(
        globWork.steps <= (g.length + 1) * (n.length + 1),
        `${globWork.steps} steps for ${g.length} x ${n.length}`,
      );
    }
  });
});

describe("the Argo CD check with a hostile include pattern (real check, temp repository, hang guard)", () => {
  it("an Application including `*********x` from a folder of long file names is checked within the hang guard (the regex took 42 s)", async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const repo = mkdtempSync(join(tmpdir(), "llw-glob-"));
    mkdirSync(join(repo, "apps"));
    for (let i = 0; i < 20; i++) writeFileSync(join(repo, "apps", `${"a".repeat(200)}${i}.yaml`), "");
    const r = await withHangGuard<{ messages: string[]; steps: number }>(
      join(import.meta.dirname, "argo-hostile.ts"),
      "checkInclude",
      [repo, "*********x"],
      30_000,
    );
    assert.ok(
      r.messages.some((m) => /include pattern \*{9}x matches no file in apps/.test(m)),
      JSON.stringify(r),
    );
    assert.ok(r.steps < 20 * 11 * 211, `bounded work: ${r.steps} steps`);
  });
});
