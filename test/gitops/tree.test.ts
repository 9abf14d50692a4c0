import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { main } from "../../src/cli.ts";
import { planGeneratedTree } from "../../src/gitops/generate.ts";
import { buildOne } from "../../src/gitops/kustomize.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { ROOT, toolPath } from "../helpers/tools.ts";
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
    assert.deepEqual(
      base.units.map((u) => u.path).sort(),
      [".", "test-pods"],
      "only base/ and its test pods were linted",
    );
    // The lookup does not hide a real defect: a runtime class no profile in the repository has.
    edit(join(repo, "gitops/base/test-pods/tuned-pod.yaml"), (s) =>
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

  it("the SR-IOV placeholders pass the operator's webhook on every supported OpenShift: no policy until generated", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const repo = copyTree();
    for (const ocpVersion of ["4.19", "4.21", "4.22"]) {
      // Linted alone: the SriovOperatorConfig that enables the webhook is found in operators/.
      const r = await lintRepo(repo, tool, "gitops/overlays/aws/sriov", { ocpVersion });
      assert.deepEqual(
        r.findings.map((f) => `${f.severity} ${f.rule} ${f.file ?? f.unit}: ${f.message}`),
        [],
        `OpenShift ${ocpVersion}`,
      );
    }
    const built = readFileSync(join(repo, "gitops/overlays/aws/sriov/kustomization.yaml"), "utf8");
    assert.doesNotMatch(built, /policy\.yaml/, "no SriovNetworkNodePolicy in the placeholder set");
    assert.match(
      readFileSync(
        join(repo, "gitops/operators/sriov-network-operator/instance/base/sriov-operator-config.yaml"),
        "utf8",
      ),
      /enableOperatorWebhook: true/,
      "the webhook this guards against is enabled",
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

  it("installs the three operators as DOMAIN.md section 5 says: namespace, OperatorGroup, package, channel, source", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const expected = [
      {
        overlay: "openshift-gitops-operator/operator/overlays/latest",
        pkg: "openshift-gitops-operator",
        namespace: "openshift-gitops-operator",
        targetNamespaces: undefined, // AllNamespaces
        channel: "latest",
      },
      {
        overlay: "sriov-network-operator/operator/overlays/stable",
        pkg: "sriov-network-operator",
        namespace: "openshift-sriov-network-operator",
        targetNamespaces: ["openshift-sriov-network-operator"],
        channel: "stable",
      },
      {
        overlay: "kubevirt-hyperconverged/operator/overlays/stable",
        pkg: "kubevirt-hyperconverged",
        namespace: "openshift-cnv",
        targetNamespaces: ["openshift-cnv"],
        channel: "stable",
      },
    ];
    for (const e of expected) {
      const b = await buildOne(tool, join(ROOT, "gitops/operators", e.overlay), { PATH: toolPath() });
      if (!b.ok) assert.fail(`${e.overlay}: ${b.error}`);
      // biome-ignore lint/suspicious/noExplicitAny: rendered manifests, checked field by field
      const objs = parseAllDocuments(b.yaml).map((d) => d.toJS() as any);
      const kinds = (k: string) => objs.filter((o) => o.kind === k);
      assert.deepEqual(
        kinds("Namespace").map((o) => o.metadata.name),
        [e.namespace],
        `${e.overlay}: Namespace`,
      );
      const groups = kinds("OperatorGroup");
      assert.equal(groups.length, 1, `${e.overlay}: exactly one OperatorGroup`);
      assert.equal(groups[0].metadata.namespace, e.namespace);
      assert.deepEqual(
        groups[0].spec?.targetNamespaces,
        e.targetNamespaces,
        `${e.overlay}: targetNamespaces`,
      );
      const subs = kinds("Subscription");
      assert.equal(subs.length, 1, `${e.overlay}: exactly one Subscription`);
      assert.equal(subs[0].apiVersion, "operators.coreos.com/v1alpha1");
      assert.equal(subs[0].metadata.namespace, e.namespace);
      assert.deepEqual(
        {
          name: subs[0].spec.name,
          channel: subs[0].spec.channel,
          source: subs[0].spec.source,
          sourceNamespace: subs[0].spec.sourceNamespace,
        },
        {
          name: e.pkg,
          channel: e.channel,
          source: "redhat-operators",
          sourceNamespace: "openshift-marketplace",
        },
        `${e.overlay}: Subscription`,
      );
    }
    // The Node Tuning Operator is built in: its folder documents it and installs nothing.
    assert.deepEqual(readdirSync(join(ROOT, "gitops/operators/node-tuning-operator")), ["README.md"]);
  });
});
