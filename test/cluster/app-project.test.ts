/**
 * The workshop's AppProject allows exactly what the app of apps deploys: every Application's
 * source is built with the real kustomize, for the app of apps without and with the tuning and
 * for every instance type of the catalog, and the kinds and namespaces found are compared with
 * the AppProject in both directions (nothing deployed that it refuses, nothing allowed that
 * nothing deploys). Both AppProjects are validated against the real AppProject CRD.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { parse, parseAllDocuments, stringify } from "yaml";
import { instanceTypePatches } from "../../src/cluster/app-of-apps.ts";
import { readCrd, validateAgainstCrd } from "../../src/schema/crd.ts";
import { INSTANCE_TYPES } from "../../src/topology/catalog.ts";
import { ROOT, requireTool, SCHEMAS_DIR } from "../helpers/tools.ts";

// biome-ignore lint/suspicious/noExplicitAny: built manifests are arbitrary JSON
type Obj = Record<string, any>;

/** Namespaced kinds the app of apps can deploy that the committed tree does not hold yet. */
const GENERATED_LATER = [
  // `llw sriov generate --ocp-version 4.22` writes SriovNetworkNodePolicies into overlays/aws/sriov.
  {
    group: "sriovnetwork.openshift.io",
    kind: "SriovNetworkNodePolicy",
    namespace: "openshift-sriov-network-operator",
  },
];

const CLUSTER_SCOPED = new Set(["Namespace", "MachineConfigPool", "PerformanceProfile"]);

function build(kubectl: string, dir: string, patches: unknown[] = []): Obj[] {
  const tmp = mkdtempSync(join(tmpdir(), "llw-app-project-"));
  try {
    writeFileSync(
      join(tmp, "kustomization.yaml"),
      stringify({ resources: [relative(tmp, join(ROOT, dir))], patches }),
    );
    const out = execFileSync(kubectl, ["kustomize", tmp], { encoding: "utf8" });
    return parseAllDocuments(out).map((d) => d.toJSON() as Obj);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

type Deployed = { kinds: Set<string>; namespaces: Set<string>; clusterKinds: Set<string> };
let deployed: Deployed | undefined;

/** What the app of apps deploys (built once per file: every instance type takes a while). */
function deployedBy(kubectl: string): Deployed {
  deployed ??= buildDeployed(kubectl);
  return deployed;
}

function buildDeployed(kubectl: string): Deployed {
  const kinds = new Set<string>();
  const clusterKinds = new Set<string>();
  const namespaces = new Set<string>(["openshift-gitops"]); // the root's own destination
  const add = (o: Obj, destNs: string | undefined) => {
    const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
    if (CLUSTER_SCOPED.has(o.kind)) clusterKinds.add(`${group}/${o.kind}`);
    else {
      kinds.add(`${group}/${o.kind}`);
      namespaces.add(o.metadata.namespace ?? destNs);
    }
  };
  const apps = [
    ...build(kubectl, "gitops/bootstrap"),
    ...INSTANCE_TYPES.flatMap((t) =>
      build(kubectl, "gitops/bootstrap-with-tuning", instanceTypePatches(t.name)),
    ),
  ];
  for (const app of apps) {
    add(app, "openshift-gitops");
    const src = app.spec.source;
    namespaces.add(app.spec.destination.namespace);
    const dir = join(ROOT, src.path);
    const objs = src.directory?.include
      ? String(src.directory.include)
          .replace(/^\{|\}$/g, "")
          .split(",")
          .flatMap((f: string) =>
            parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => d.toJSON() as Obj),
          )
      : build(kubectl, src.path);
    for (const o of objs) add(o, app.spec.destination.namespace);
  }
  for (const g of GENERATED_LATER) {
    kinds.add(`${g.group}/${g.kind}`);
    namespaces.add(g.namespace);
  }
  return { kinds, namespaces, clusterKinds };
}

const project = (file: string) => parse(readFileSync(join(ROOT, file), "utf8"));
const gk = (l: { group: string; kind: string }[]) => new Set(l.map((x) => `${x.group}/${x.kind}`));
const sorted = (s: Set<string>) => [...s].sort();

describe("the workshop's AppProject", () => {
  const crd = readCrd(join(SCHEMAS_DIR, "appprojects.argoproj.io.yaml"));

  for (const file of ["gitops/bootstrap/root/app-project.yaml", "gitops/fleet/app-project.yaml"]) {
    it(`${file} is valid against the real AppProject CRD`, () => {
      assert.deepEqual(validateAgainstCrd(project(file), crd), []);
    });
  }

  it("real kustomize, every instance type: the AppProject allows exactly the kinds and namespaces the app of apps deploys, and one repository", (t) => {
    const kubectl = requireTool(t, "kubectl", "npm run tools");
    if (!kubectl) return;
    const d = deployedBy(kubectl);
    for (const file of ["gitops/bootstrap/root/app-project.yaml", "gitops/fleet/app-project.yaml"]) {
      const p = project(file).spec;
      assert.deepEqual(
        sorted(gk(p.namespaceResourceWhitelist)),
        sorted(d.kinds),
        `${file}: namespaced kinds`,
      );
      assert.deepEqual(
        sorted(gk(p.clusterResourceWhitelist)),
        sorted(d.clusterKinds),
        `${file}: cluster kinds`,
      );
      assert.deepEqual(
        sorted(new Set(p.destinations.map((x: { namespace: string }) => x.namespace))),
        sorted(d.namespaces),
        `${file}: namespaces`,
      );
      assert.equal(p.sourceRepos.length, 1, "one repository");
      assert.ok(
        !p.destinations.some((x: { namespace: string }) => x.namespace === "*"),
        "no wildcard namespace",
      );
    }
    const single = project("gitops/bootstrap/root/app-project.yaml").spec;
    assert.ok(
      single.destinations.every((x: { server: string }) => x.server === "https://kubernetes.default.svc"),
      "the single-cluster project deploys to this cluster only",
    );
  });

  it("real kustomize, every instance type: Argo CD keeps no Pod running (the app of apps deploys none, nor the ServiceAccount or RoleBinding of one) and the AppProjects refuse Pods", (t) => {
    const kubectl = requireTool(t, "kubectl", "npm run tools");
    if (!kubectl) return;
    const d = deployedBy(kubectl);
    for (const kind of ["/Pod", "/ServiceAccount", "rbac.authorization.k8s.io/RoleBinding"])
      assert.ok(!d.kinds.has(kind), `the app of apps deploys a ${kind}`);
    for (const file of ["gitops/bootstrap/root/app-project.yaml", "gitops/fleet/app-project.yaml"])
      assert.ok(!gk(project(file).spec.namespaceResourceWhitelist).has("/Pod"), `${file} allows Pods`);
  });

  it("every Application of the app of apps and the fleet uses it, none uses default", () => {
    const files = [
      ...[
        "operator-sriov-network-operator",
        "operator-kubevirt-hyperconverged",
        "instance-sriov-network-operator",
        "instance-kubevirt-hyperconverged",
        "sriov-networks",
        "root/application",
      ].map((f) => `gitops/bootstrap/${f}.yaml`),
      "gitops/bootstrap-with-tuning/tuning.yaml",
      "gitops/bootstrap-with-tuning/workloads.yaml",
    ];
    for (const f of files) assert.equal(project(f).spec.project, "low-latency-workshop", f);
    assert.equal(
      project("gitops/fleet/applicationset.yaml").spec.template.spec.project,
      "low-latency-workshop",
    );
  });
});
