import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { planGeneratedTree } from "../../src/gitops/generate.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { ROOT } from "../helpers/tools.ts";
import { copyTree, edit, kustomizeTool, lintRepo } from "./helpers.ts";

describe("the GitOps tree as committed (real kubectl kustomize, real upstream schemas)", () => {
  it("builds every kustomization and passes lint with zero errors and zero warnings", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const repo = copyTree();
    const r = await lintRepo(repo, tool);
    assert.deepEqual(
      r.findings.map(
        (f) => `${f.severity} ${f.file ?? f.unit} ${f.object ?? ""} ${f.path ?? ""}: ${f.message}`,
      ),
      [],
    );
    const built = r.units.filter((u) => u.status === "built").map((u) => u.path);
    for (const must of [
      "base",
      "bootstrap",
      "fleet",
      "operators/openshift-gitops-operator/operator/overlays/latest",
      "operators/sriov-network-operator/operator/overlays/stable",
      "operators/sriov-network-operator/instance/overlays/single-node",
      "operators/kubevirt-hyperconverged/operator/overlays/stable",
      "operators/kubevirt-hyperconverged/instance",
      "overlays/aws/c5.metal",
      "overlays/aws/sriov",
    ]) {
      assert.ok(built.includes(must), `${must} was not built: ${built.join(", ")}`);
    }
    assert.equal(r.units.find((u) => u.path === "overlays/aws/performance-profiles")?.status, "read");
    const skipped = r.units.filter((u) => u.status === "skipped").map((u) => u.path);
    assert.deepEqual(skipped.sort(), [
      "components/skip-dry-run",
      "operators/sriov-network-operator/components/single-node",
    ]);
  });

  it("a folder of the tree linted alone finds the profiles and runtime classes elsewhere in the repository", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const repo = copyTree();
    const base = await lintRepo(repo, tool, "gitops/base");
    assert.deepEqual(
      base.findings.map((f) => `${f.severity} ${f.rule} ${f.file ?? f.unit}: ${f.message}`),
      [],
    );
    assert.equal(base.units.length, 1, "only base/ itself was linted");
    // The lookup does not hide a real defect: a runtime class no profile in the repository has.
    edit(join(repo, "gitops/base/tuned-pod.yaml"), (s) =>
      s.replace("performance-workshop-c5-metal", "performance-workshop-c9-metal"),
    );
    const bad = await lintRepo(repo, tool, "gitops/base");
    assert.ok(
      bad.findings.some(
        (f) => f.rule === "runtime-class" && /"workshop-c9-metal", which is not in the tree/.test(f.message),
      ),
      bad.findings.map((f) => f.message).join("\n"),
    );
  });

  it("has one generated profile and workload overlay per catalog instance type, and they are up to date", async () => {
    const files = planGeneratedTree();
    assert.ok(files.some((f) => f.path.endsWith("performance-profiles/c5.metal.yaml")));
    assert.ok(files.some((f) => f.path.endsWith("c7i.metal-48xl/kustomization.yaml")));
    const ctx = bufferContext({ cwd: ROOT });
    assert.equal(await main(["generate", "--check"], ctx), 0, ctx.out() + ctx.err());
    assert.match(ctx.out(), /c5\.metal\.yaml +up to date/);
  });
});
