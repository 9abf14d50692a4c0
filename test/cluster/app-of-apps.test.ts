/**
 * A fork deploys itself: the root Application `llw install` creates carries a Kustomize patch,
 * and the real kustomize applying that same patch to gitops/bootstrap points every child
 * Application at the fork's repository and revision. The fleet ApplicationSet's template does the
 * same from its generator values.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { parse, parseAllDocuments, stringify } from "yaml";
import { childSourcePatch, type KustomizePatch } from "../../src/cluster/install-plan.ts";
import { rootApplication } from "../../src/commands/install.ts";
import { readCrd, validateAgainstCrd } from "../../src/schema/crd.ts";
import { ROOT, requireTool, SCHEMAS_DIR } from "../helpers/tools.ts";

const FORK = "https://github.com/someone/low-latency-workshop.git";
const BRANCH = "lab/it's-mine";
const UPSTREAM = "https://github.com/redhat-low-latency/low-latency-workshop.git";
const BOOTSTRAP = join(ROOT, "gitops", "bootstrap");

interface App {
  kind: string;
  metadata: { name: string };
  spec: { source: { repoURL: string; targetRevision: string; path: string; directory?: unknown } };
}

/** Builds gitops/bootstrap with the given patches, as Argo CD does for an Application's kustomize.patches. */
function buildWithPatches(kubectl: string, patches: KustomizePatch[], extra: object = {}): App[] {
  mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
  const dir = mkdtempSync(join(ROOT, "test-artifacts", "app-of-apps-"));
  try {
    writeFileSync(
      join(dir, "kustomization.yaml"),
      stringify({
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: [relative(dir, BOOTSTRAP)],
        ...extra,
        patches,
      }),
    );
    const out = execFileSync(kubectl, ["kustomize", dir], { encoding: "utf8" });
    return parseAllDocuments(out).map((d) => d.toJSON() as App);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function upstreamChildren(): App[] {
  const files = (
    parse(readFileSync(join(BOOTSTRAP, "kustomization.yaml"), "utf8")) as { resources: string[] }
  ).resources;
  return files.map((f) => parse(readFileSync(join(BOOTSTRAP, f), "utf8")) as App);
}

describe("app of apps on a fork", () => {
  it("the root Application's patch is valid against the real Application CRD", () => {
    const app = rootApplication(FORK, BRANCH, "gitops/bootstrap");
    const crd = readCrd(join(SCHEMAS_DIR, "applications.argoproj.io.yaml"));
    assert.deepEqual(validateAgainstCrd(app, crd), []);
    assert.deepEqual(app.spec.source.kustomize.patches, [childSourcePatch(FORK, BRANCH)]);
  });

  it("keeps patches the in-tree root already has, and adds the fork patch once per build", () => {
    const own: KustomizePatch = { target: { kind: "ConfigMap" }, patch: "[]" };
    const template = rootApplication(UPSTREAM, "main", "gitops/bootstrap");
    template.spec.source = { ...template.spec.source, kustomize: { namePrefix: "x-", patches: [own] } };
    const app = rootApplication(FORK, BRANCH, "gitops/bootstrap", template);
    assert.equal(app.spec.source.kustomize.namePrefix, "x-");
    assert.deepEqual(app.spec.source.kustomize.patches, [own, childSourcePatch(FORK, BRANCH)]);
  });

  it("real kustomize: every child Application in gitops/bootstrap then syncs from the fork at its branch", (t) => {
    const kubectl = requireTool(t, "kubectl", "npm run tools");
    if (!kubectl) return;
    const before = upstreamChildren();
    assert.ok(before.length >= 5, "gitops/bootstrap holds the children");
    assert.ok(
      before.every((a) => a.spec.source.repoURL === UPSTREAM),
      "the children name upstream in the tree (what the patch must override)",
    );
    const app = rootApplication(FORK, BRANCH, "gitops/bootstrap");
    const built = buildWithPatches(kubectl, app.spec.source.kustomize.patches);
    assert.deepEqual(built.map((a) => a.metadata.name).sort(), before.map((a) => a.metadata.name).sort());
    for (const a of built) {
      assert.equal(a.kind, "Application");
      assert.equal(a.spec.source.repoURL, FORK, a.metadata.name);
      assert.equal(a.spec.source.targetRevision, BRANCH, a.metadata.name);
      const orig = before.find((b) => b.metadata.name === a.metadata.name)!;
      assert.equal(a.spec.source.path, orig.spec.source.path, "only repository and revision change");
    }
    // Idempotent: applying the patch to what it produced changes nothing.
    const again = buildWithPatches(kubectl, [
      ...app.spec.source.kustomize.patches,
      childSourcePatch(FORK, BRANCH),
    ]);
    assert.deepEqual(again, built);
  });

  it("real kustomize: the fleet ApplicationSet's template patches point each cluster's children at values.repoURL and values.revision", (t) => {
    const kubectl = requireTool(t, "kubectl", "npm run tools");
    if (!kubectl) return;
    const set = parse(readFileSync(join(ROOT, "gitops", "fleet", "applicationset.yaml"), "utf8"));
    const values = set.spec.generators[0].clusters.values;
    assert.equal(values.repoURL, UPSTREAM);
    const source = set.spec.template.spec.source;
    assert.equal(source.repoURL, "{{ .values.repoURL }}", "the root itself uses the values");
    assert.equal(source.targetRevision, "{{ .values.revision }}");
    // What the ApplicationSet controller renders for one cluster of a fork. Only plain field
    // references occur in these patches, so substituting them stands in for Go templating here.
    const params: Record<string, string> = {
      ".name": "attendee-01",
      ".server": "https://api.attendee-01.example.com:6443",
      ".values.repoURL": FORK,
      ".values.revision": "fork-branch",
      ".values.instanceType": "c5.metal",
    };
    const render = (s: string) =>
      s.replace(/\{\{ *(\.[\w.]+) *\}\}/g, (_, k: string) => {
        assert.ok(k in params, `template parameter ${k}`);
        return params[k]!;
      });
    const patches = (source.kustomize.patches as KustomizePatch[]).map((p) => ({
      ...p,
      patch: render(p.patch),
    }));
    const built = buildWithPatches(kubectl, patches, { namePrefix: render(source.kustomize.namePrefix) });
    assert.ok(built.length >= 5);
    for (const a of built) {
      assert.match(a.metadata.name, /^attendee-01-/);
      assert.equal(a.spec.source.repoURL, FORK, a.metadata.name);
      assert.equal(a.spec.source.targetRevision, "fork-branch", a.metadata.name);
    }
  });
});
