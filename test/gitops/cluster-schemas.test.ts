import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { toolPath } from "../helpers/tools.ts";
import { ApiServer } from "../sim/apiserver.ts";
import { OPENSHIFT_RESOURCES } from "../sim/resources.ts";
import { copyTree, edit, kustomizeTool, SCHEMAS } from "./helpers.ts";

const crd = (file: string) => parse(readFileSync(join(SCHEMAS, file), "utf8"), { maxAliasCount: -1 });

describe("llw lint --schemas-from-cluster", () => {
  it("simulated API server: validates custom resources against the cluster's CRDs; kinds it lacks are warnings", async (t) => {
    if (!kustomizeTool(t)) return;
    const api = await ApiServer.start();
    try {
      api.addResources(OPENSHIFT_RESOURCES);
      // A cluster with OLM and the SR-IOV operator, but OpenShift Virtualization not installed yet.
      for (const f of [
        "subscriptions.operators.coreos.com.yaml",
        "operatorgroups.operators.coreos.com.yaml",
        "sriovnetworknodepolicies.sriovnetwork.openshift.io.yaml",
        "sriovoperatorconfigs.sriovnetwork.openshift.io.yaml",
      ]) {
        api.seed(crd(f));
      }
      const kubeconfig = api.writeKubeconfig(mkdtempSync(join(tmpdir(), "llw-kube-")));
      const repo = copyTree();
      edit(join(repo, "gitops/operators/sriov-network-operator/operator/base/subscription.yaml"), (s) =>
        s.replace("installPlanApproval: Automatic", "installPlanAproval: Automatic"),
      );
      const ctx = bufferContext({ cwd: repo, env: { PATH: toolPath() } });
      const code = await main(
        [
          "lint",
          "gitops/operators",
          "--schemas-from-cluster",
          "--kubeconfig",
          kubeconfig,
          "--schemas",
          SCHEMAS,
          "--repo-root",
          repo,
          "-o",
          "json",
        ],
        ctx,
      );
      assert.equal(code, 1, ctx.err());
      const r = JSON.parse(ctx.out());
      assert.ok(
        r.schemaSources.some((s: string) => /4 CRDs from https:\/\/127\.0\.0\.1/.test(s)),
        JSON.stringify(r.schemaSources),
      );
      const errors = r.findings.filter((f: { severity: string }) => f.severity === "error");
      assert.deepEqual(
        errors.map(
          (f: { rule: string; path: string; message: string }) => `${f.rule} ${f.path}: ${f.message}`,
        ),
        ['schema spec.installPlanAproval: unknown field "installPlanAproval"'],
      );
      const unknown = r.findings
        .filter((f: { rule: string }) => f.rule === "unknown-kind")
        .map((f: { object: string }) => f.object);
      assert.ok(unknown.includes("HyperConverged openshift-cnv/kubevirt-hyperconverged"), unknown.join(", "));
      assert.ok(unknown.includes("ArgoCD openshift-gitops/openshift-gitops"), unknown.join(", "));
      // Built-in kinds still come from the schema directory: Namespaces validated, not unknown.
      assert.ok(!unknown.some((o: string) => o.startsWith("Namespace ")));
    } finally {
      await api.stop();
    }
  });

  it("simulated API server: an unreachable cluster is an environment error (exit 3)", async () => {
    const api = await ApiServer.start();
    try {
      const kubeconfig = api.writeKubeconfig(mkdtempSync(join(tmpdir(), "llw-kube-")));
      const repo = copyTree();
      const ctx = bufferContext({ cwd: repo, env: { PATH: toolPath() } });
      const code = await main(
        ["lint", "gitops", "--schemas-from-cluster", "--kubeconfig", kubeconfig, "--context", "unreachable"],
        ctx,
      );
      assert.equal(code, 3, ctx.err());
    } finally {
      await api.stop();
    }
  });
});
