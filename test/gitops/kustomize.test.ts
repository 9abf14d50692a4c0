import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildAll, findKustomize } from "../../src/gitops/kustomize.ts";
import { EnvironmentError } from "../../src/lib/errors.ts";
import { toolPath } from "../helpers/tools.ts";
import { kustomizeTool, TREE } from "./helpers.ts";

describe("kustomize runner", () => {
  it("says what to install when no oc, kubectl or kustomize is on PATH", () => {
    const empty = mkdtempSync(join(tmpdir(), "llw-nopath-"));
    assert.throws(
      () => findKustomize({ PATH: empty }),
      (e: unknown) =>
        e instanceof EnvironmentError &&
        e.exitCode === 3 &&
        /no kustomize found/.test(e.problems[0]!.what) &&
        /mirror\.openshift\.com/.test(e.problems[0]!.next ?? "") &&
        /npm run tools/.test(e.problems[0]!.next ?? ""),
    );
  });

  it("prefers oc, then kubectl, then kustomize, and uses each one's own build command", () => {
    const dir = mkdtempSync(join(tmpdir(), "llw-tools-"));
    for (const t of ["kustomize", "kubectl"]) {
      writeFileSync(join(dir, t), "#!/bin/sh\n");
      chmodSync(join(dir, t), 0o755);
    }
    assert.deepEqual(findKustomize({ PATH: dir }).args, ["kustomize"]);
    assert.equal(findKustomize({ PATH: dir }).name, "kubectl");
    const k = findKustomize({ PATH: dir, LLW_KUSTOMIZE: join(dir, "kustomize") });
    assert.deepEqual([k.name, k.args], ["kustomize", ["build"]]);
    assert.throws(() => findKustomize({ PATH: dir, LLW_KUSTOMIZE: join(dir, "nope") }), EnvironmentError);
  });

  it("builds real kustomizations concurrently and reports kustomize's own error for a broken one", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const broken = mkdtempSync(join(tmpdir(), "llw-broken-"));
    writeFileSync(join(broken, "kustomization.yaml"), "resources:\n  - missing.yaml\n");
    const [a, b, c] = await buildAll(
      tool,
      [join(TREE, "base"), broken, join(TREE, "fleet")],
      { PATH: toolPath() },
      2,
    );
    assert.ok(a?.ok && /kind: VirtualMachine/.test(a.yaml));
    assert.ok(b && !b.ok && /missing\.yaml/.test(b.error), JSON.stringify(b));
    assert.ok(c?.ok && /kind: ApplicationSet/.test(c.yaml));
  });
});
