/**
 * The app of apps as Argo CD renders it: the root Application `llw install` creates points at
 * gitops/bootstrap (or gitops/bootstrap-with-tuning) and carries a Kustomize patch per child; the
 * real kustomize applying them points every child at the fork's repository and pinned revision,
 * and selects each instance type's profile, workloads and HyperConverged overlay. The fleet
 * ApplicationSet's template does the same from its generator values.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { parse, parseAllDocuments, stringify } from "yaml";
import {
  type AppOfApps,
  childSourcePatch,
  instanceTypeParts,
  type KustomizePatch,
  rootApplication,
} from "../../src/cluster/app-of-apps.ts";
import { readCrd, validateAgainstCrd } from "../../src/schema/crd.ts";
import { INSTANCE_TYPES } from "../../src/topology/catalog.ts";
import { ROOT, requireTool, SCHEMAS_DIR } from "../helpers/tools.ts";

const FORK = "https://github.com/someone/low-latency-workshop.git";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const PLACEHOLDER = "https://git.invalid/set-by-llw-install/low-latency-workshop.git";
const BOOTSTRAP = join(ROOT, "gitops", "bootstrap");
const WITH_TUNING = "gitops/bootstrap-with-tuning";

interface App {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    project: string;
    destination: { server: string; namespace?: string };
    source: { repoURL: string; targetRevision: string; path: string; directory?: { include?: string } };
  };
}

const source = (o: Partial<AppOfApps> = {}): AppOfApps => ({
  repo: FORK,
  revision: COMMIT,
  path: "gitops/bootstrap",
  withTuning: false,
  ...o,
});

/** Builds the root's path with its patches (and name prefix), as Argo CD does. */
function render(
  kubectl: string,
  path: string,
  kustomize: { patches?: KustomizePatch[]; namePrefix?: string },
): App[] {
  const dir = mkdtempSync(join(tmpdir(), "llw-app-of-apps-test-"));
  try {
    writeFileSync(
      join(dir, "kustomization.yaml"),
      stringify({
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: [relative(dir, join(ROOT, path))],
        ...(kustomize.namePrefix ? { namePrefix: kustomize.namePrefix } : {}),
        patches: kustomize.patches ?? [],
      }),
    );
    const out = execFileSync(kubectl, ["kustomize", dir], { encoding: "utf8" });
    return parseAllDocuments(out).map((d) => d.toJSON() as App);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const byName = (apps: App[], name: string) => {
  const a = apps.find((x) => x.metadata.name === name);
  assert.ok(a, `Application ${name} in ${apps.map((x) => x.metadata.name).join(", ")}`);
  return a;
};

describe("app of apps: the root Application", () => {
  const crd = readCrd(join(SCHEMAS_DIR, "applications.argoproj.io.yaml"));

  it("is valid against the real Application CRD, without and with the tuning", () => {
    for (const app of [
      rootApplication(source()),
      rootApplication(source({ path: WITH_TUNING, withTuning: true, instanceType: "m5zn.metal" })),
    ])
      assert.deepEqual(validateAgainstCrd(app, crd), []);
  });

  it("without the tuning: gitops/bootstrap with only the repository and revision patch", () => {
    const app = rootApplication(source());
    assert.equal(app.spec.source.path, "gitops/bootstrap");
    assert.deepEqual(app.spec.source.kustomize.patches, [childSourcePatch(FORK, COMMIT)]);
    assert.equal(app.spec.project, "low-latency-workshop");
  });

  it("keeps patches and settings the in-tree root already has", () => {
    const own: KustomizePatch = { target: { kind: "ConfigMap" }, patch: "[]" };
    const template = rootApplication(source({ repo: PLACEHOLDER }));
    template.spec.source = { ...template.spec.source, kustomize: { namePrefix: "x-", patches: [own] } };
    const app = rootApplication(source(), template);
    assert.equal(app.spec.source.kustomize.namePrefix, "x-");
    assert.deepEqual(app.spec.source.kustomize.patches, [own, childSourcePatch(FORK, COMMIT)]);
  });

  it("the in-tree root and children name a placeholder repository, never a real one", () => {
    const docs = readFileSync(join(BOOTSTRAP, "root", "application.yaml"), "utf8");
    assert.equal(parse(docs).spec.source.repoURL, PLACEHOLDER);
  });
});

describe("app of apps rendered by the real kustomize", () => {
  it("without the tuning: every child syncs from the fork at the pinned commit, with the workshop's AppProject; no tuning, no workloads, the HyperConverged without a runtime class", (t) => {
    const kubectl = requireTool(t, "kubectl", "npm run tools");
    if (!kubectl) return;
    const app = rootApplication(source());
    const built = render(kubectl, app.spec.source.path, app.spec.source.kustomize);
    assert.deepEqual(built.map((a) => a.metadata.name).sort(), [
      "instance-kubevirt-hyperconverged",
      "instance-sriov-network-operator",
      "operator-kubevirt-hyperconverged",
      "operator-sriov-network-operator",
      "sriov-networks",
    ]);
    for (const a of built) {
      assert.equal(a.spec.source.repoURL, FORK, a.metadata.name);
      assert.equal(a.spec.source.targetRevision, COMMIT, a.metadata.name);
      assert.equal(a.spec.project, "low-latency-workshop", a.metadata.name);
    }
    const hco = byName(built, "instance-kubevirt-hyperconverged");
    assert.equal(hco.spec.source.path, "gitops/operators/kubevirt-hyperconverged/instance");
    const instance = execFileSync(kubectl, ["kustomize", join(ROOT, hco.spec.source.path)], {
      encoding: "utf8",
    });
    assert.doesNotMatch(
      instance,
      /defaultRuntimeClass/,
      "no VM may need a runtime class that does not exist yet",
    );
  });

  for (const type of INSTANCE_TYPES.map((x) => x.name)) {
    it(`with the tuning for ${type}: profile, workloads and HyperConverged overlay all of ${type}, and each exists`, (t) => {
      const kubectl = requireTool(t, "kubectl", "npm run tools");
      if (!kubectl) return;
      const app = rootApplication(source({ path: WITH_TUNING, withTuning: true, instanceType: type }));
      const built = render(kubectl, app.spec.source.path, app.spec.source.kustomize);
      const parts = instanceTypeParts(type);
      const tuning = byName(built, "tuning");
      const workloads = byName(built, "workloads");
      const hco = byName(built, "instance-kubevirt-hyperconverged");
      assert.equal(tuning.spec.source.directory?.include, `{machine-config-pool.yaml,${type}.yaml}`);
      assert.equal(workloads.spec.source.path, parts.workloadsPath);
      assert.equal(hco.spec.source.path, parts.hyperconvergedPath);
      for (const a of [tuning, workloads, hco])
        assert.equal(a.metadata.annotations?.["workshop.low-latency.io/instance-type"], type);
      const profile = parse(
        readFileSync(join(ROOT, "gitops/overlays/aws/performance-profiles", `${type}.yaml`), "utf8"),
      );
      assert.equal(profile.metadata.name, parts.profile);
      const hcoObj = parse(
        execFileSync(kubectl, ["kustomize", join(ROOT, hco.spec.source.path)], { encoding: "utf8" }),
      );
      assert.equal(hcoObj.spec.defaultRuntimeClass, parts.runtimeClass);
      assert.ok(existsSync(join(ROOT, workloads.spec.source.path, "kustomization.yaml")));
    });
  }
});

describe("the fleet ApplicationSet", () => {
  const set = parse(readFileSync(join(ROOT, "gitops", "fleet", "applicationset.yaml"), "utf8"));
  const tmpl = set.spec.template.spec;

  /** What the ApplicationSet controller renders for one cluster: field references and the path's one conditional. */
  function renderFor(params: Record<string, string>) {
    const sub = (s: string) =>
      s
        .replace(
          /\{\{ if eq \.values\.tuning "true" \}\}(.*?)\{\{ else \}\}(.*?)\{\{ end \}\}/,
          (_, yes: string, no: string) => (params[".values.tuning"] === "true" ? yes : no),
        )
        .replace(/\{\{ *(\.[\w.]+) *\}\}/g, (_, k: string) => {
          assert.ok(k in params, `template parameter ${k}`);
          return params[k]!;
        });
    return {
      path: sub(tmpl.source.path),
      namePrefix: sub(tmpl.source.kustomize.namePrefix),
      patches: (tmpl.source.kustomize.patches as KustomizePatch[]).map((p) => ({
        ...p,
        patch: sub(p.patch),
      })),
    };
  }
  const params = (type: string, tuning: string) => ({
    ".name": "attendee-01",
    ".server": "https://api.attendee-01.example.com:6443",
    ".values.repoURL": FORK,
    ".values.revision": COMMIT,
    ".values.instanceType": type,
    ".values.tuning": tuning,
  });

  it("its README tells the hub to apply the workshop's health checks, from the instance file that has them for every kind the sync waves wait on", () => {
    const readme = readFileSync(join(ROOT, "gitops/fleet/README.md"), "utf8");
    assert.match(readme, /hub's Argo CD needs the workshop's health checks/);
    const command = /oc apply --server-side --field-manager=llw -f (\S+)/.exec(readme);
    assert.ok(command, "the README gives the command that adds them");
    const instance = parse(readFileSync(join(ROOT, command[1]!), "utf8"));
    assert.equal(instance.kind, "ArgoCD");
    assert.deepEqual(instance.spec.resourceHealthChecks.map((c: { kind: string }) => c.kind).sort(), [
      "Application",
      "MachineConfigPool",
      "PerformanceProfile",
    ]);
  });

  it("names a placeholder repository and uses the workshop's AppProject", () => {
    assert.equal(set.spec.generators[0].clusters.values.repoURL, PLACEHOLDER);
    assert.equal(tmpl.source.repoURL, "{{ .values.repoURL }}");
    assert.equal(tmpl.project, "low-latency-workshop");
  });

  it("real kustomize, no tuning label: the cluster's children follow the values, without tuning or a runtime class", (t) => {
    const kubectl = requireTool(t, "kubectl", "npm run tools");
    if (!kubectl) return;
    const r = renderFor(params("m5zn.metal", "false"));
    assert.equal(r.path, "gitops/bootstrap");
    const built = render(kubectl, r.path, r);
    assert.equal(built.length, 5);
    for (const a of built) {
      assert.match(a.metadata.name, /^attendee-01-/);
      assert.equal(a.spec.source.repoURL, FORK, a.metadata.name);
      assert.equal(a.spec.destination.server, "https://api.attendee-01.example.com:6443");
    }
    assert.equal(
      byName(built, "attendee-01-instance-kubevirt-hyperconverged").spec.source.path,
      "gitops/operators/kubevirt-hyperconverged/instance",
    );
  });

  for (const type of INSTANCE_TYPES.map((x) => x.name)) {
    it(`real kustomize, tuning label and instance type ${type}: the same Applications llw install --with-tuning renders`, (t) => {
      const kubectl = requireTool(t, "kubectl", "npm run tools");
      if (!kubectl) return;
      const r = renderFor(params(type, "true"));
      assert.equal(r.path, WITH_TUNING);
      const fleet = render(kubectl, r.path, r);
      const root = rootApplication(source({ path: WITH_TUNING, withTuning: true, instanceType: type }));
      const single = render(kubectl, root.spec.source.path, root.spec.source.kustomize);
      const strip = (apps: App[]) =>
        apps
          .map((a) => ({
            ...a,
            metadata: { ...a.metadata, name: a.metadata.name.replace(/^attendee-01-/, "") },
          }))
          .map((a) => ({ ...a, spec: { ...a.spec, destination: { ...a.spec.destination, server: "x" } } }))
          .sort((x, y) => x.metadata.name.localeCompare(y.metadata.name));
      assert.deepEqual(strip(fleet), strip(single));
    });
  }
});
