import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { toolPath } from "../helpers/tools.ts";
import { copyTree, edit, kustomizeTool, SCHEMAS } from "./helpers.ts";

describe("llw generate", () => {
  it("--check fails on drift and on a missing file, and a plain run restores them", async () => {
    const repo = copyTree();
    const profile = join(repo, "gitops/overlays/aws/performance-profiles/c6i.metal.yaml");
    // Drift: the body changes but the header is intact, as when the planner changes.
    edit(profile, (s) => s.replace("topologyPolicy: restricted", "topologyPolicy: best-effort"));
    rmSync(join(repo, "gitops/overlays/aws/r5.metal/kustomization.yaml"));
    const ctx = bufferContext({ cwd: repo });
    assert.equal(await main(["generate", "--check"], ctx), 1);
    assert.match(ctx.out(), /c6i\.metal\.yaml +drifted/);
    assert.match(ctx.out(), /r5\.metal\/kustomization\.yaml +missing/);
    assert.match(ctx.err(), /2 generated files out of date/);
    assert.match(readFileSync(profile, "utf8"), /best-effort/, "--check wrote nothing");

    const refuse = bufferContext({ cwd: repo });
    assert.equal(await main(["generate"], refuse), 2, "a hand edit is not overwritten without --force");
    assert.match(refuse.err(), /refusing to overwrite a file edited by hand/);

    const force = bufferContext({ cwd: repo });
    assert.equal(await main(["generate", "--force", "-o", "json"], force), 0);
    const rows = JSON.parse(force.out()) as { path: string; action: string }[];
    assert.deepEqual(
      rows.filter((r) => r.action !== "unchanged").map((r) => `${r.action} ${r.path}`),
      [
        "update gitops/overlays/aws/performance-profiles/c6i.metal.yaml",
        "create gitops/overlays/aws/r5.metal/kustomization.yaml",
      ],
    );
    const again = bufferContext({ cwd: repo });
    assert.equal(await main(["generate", "--check"], again), 0, again.err());
  });
});

describe("llw lint (CLI, real kubectl kustomize)", () => {
  it("prints findings per kustomization with file, object and JSON path; -o json; exit 1 on errors", async (t) => {
    if (!kustomizeTool(t)) return;
    const repo = copyTree();
    edit(join(repo, "gitops/base/test-pods/tuned-pod.yaml"), (s) =>
      s.replace(/requests:\n {10}cpu: "4"/, 'requests:\n          cpu: "2"'),
    );
    const env = { PATH: toolPath() };
    const ctx = bufferContext({ cwd: repo, env });
    assert.equal(await main(["lint", "gitops", "--schemas", SCHEMAS, "--repo-root", repo], ctx), 1);
    const out = ctx.out();
    assert.match(out, /^FAIL base\/test-pods \(kustomization, \d+ objects\)$/m);
    assert.match(
      out,
      /error base\/test-pods\/tuned-pod\.yaml: Pod low-latency-workshop\/tuned-pod: spec\.containers\[0\]\.resources\.requests\.cpu: not Guaranteed QoS/,
    );
    assert.match(out, /^ok {3}fleet /m);
    assert.match(out, /^skip components\/skip-dry-run \(component\)/m);
    assert.match(ctx.err(), /error: 1 error in/);

    const json = bufferContext({ cwd: repo, env });
    assert.equal(
      await main(["lint", "gitops", "--schemas", SCHEMAS, "--repo-root", repo, "-o", "json"], json),
      1,
    );
    const r = JSON.parse(json.out());
    assert.equal(r.errors, 1);
    assert.equal(r.findings[0].rule, "pod");
    assert.equal(r.findings[0].file, "base/test-pods/tuned-pod.yaml");
    assert.ok(r.units.length > 20);
  });

  it("exits 2 with a next step when the schema directory does not exist, 3 without a kustomize", async () => {
    const repo = copyTree();
    const ctx = bufferContext({ cwd: repo, env: { PATH: toolPath() } });
    assert.equal(await main(["lint", "gitops", "--schemas", "no-such-dir"], ctx), 2);
    assert.match(ctx.err(), /the schema directory does not exist/);
    const noTool = bufferContext({ cwd: repo, env: { PATH: join(repo, "gitops") } });
    assert.equal(await main(["lint", "gitops", "--schemas", SCHEMAS], noTool), 3);
    assert.match(noTool.err(), /no kustomize found/);
  });

  it("exits 2 when the path does not exist", async () => {
    const ctx = bufferContext({ env: { PATH: toolPath() } });
    assert.equal(await main(["lint", "/no/such/tree", "--schemas", SCHEMAS], ctx), 2);
    assert.match(ctx.err(), /the path to lint does not exist/);
  });
});

describe("bad paths are usage errors (exit 2, what / where / next), nothing written", () => {
  it("llw generate outside the repository refuses and writes nothing", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "llw-generate-outside-"));
    const ctx = bufferContext({ cwd });
    assert.equal(await main(["generate"], ctx), 2);
    assert.match(ctx.err(), /not the workshop's GitOps tree: there is no base\/kustomization\.yaml/);
    assert.match(ctx.err(), /where: gitops/);
    assert.match(ctx.err(), /run llw generate from the repository root/);
    assert.deepEqual(readdirSync(cwd), [], "no gitops/ written");
  });

  it("llw lint of a file and of a directory without manifests (real kubectl kustomize)", async (t) => {
    if (!kustomizeTool(t)) return;
    const repo = copyTree();
    const env = { PATH: toolPath() };
    const file = bufferContext({ cwd: repo, env });
    assert.equal(await main(["lint", "gitops/base/test-pods/tuned-pod.yaml", "--schemas", SCHEMAS], file), 2);
    assert.match(file.err(), /the path to lint is a file/);
    assert.match(file.err(), /tuned-pod\.yaml/);
    assert.match(file.err(), /llw lint .*gitops\/base/);
    assert.doesNotMatch(file.err(), /ENOTDIR/);
    mkdirSync(join(repo, "empty"));
    const empty = bufferContext({ cwd: repo, env });
    assert.equal(await main(["lint", "empty", "--schemas", SCHEMAS], empty), 2);
    assert.match(empty.err(), /nothing to lint: no kustomization\.yaml and no Kubernetes manifest/);
    assert.match(empty.err(), /llw lint gitops/);
  });
});
