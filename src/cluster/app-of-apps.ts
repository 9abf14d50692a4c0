/**
 * The workshop's Argo CD app of apps as `llw install` points it at a cluster: the repository
 * (credentials never included), the pinned revision, the AppProject every Application uses, and
 * the instance type, which selects the PerformanceProfile, the workloads and the HyperConverged
 * default runtime class together. Pure: objects and patches in, objects and patches out.
 *
 * The same path and patches serve both install paths: Argo CD applies the patches to the app of
 * apps (gitops/bootstrap, or gitops/bootstrap-with-tuning with the tuning) from the root
 * Application's `spec.source.kustomize.patches` (argoproj/argo-cd util/kustomize/kustomize.go
 * appends them to the kustomization's patches before building), and `llw install --direct` builds
 * the same kustomization locally with the real kustomize. The fleet ApplicationSet writes the same
 * patches from its generator values (gitops/fleet/applicationset.yaml).
 */
import type { KubeObject } from "./kube.ts";

export const ROOT_APP = "low-latency-workshop";
export const WORKSHOP_PROJECT = "low-latency-workshop";
/** The app of apps without the tuning (the default) and with it (--with-tuning, the fleet's tuning label). */
export const APP_OF_APPS = "gitops/bootstrap";
export const APP_OF_APPS_WITH_TUNING = "gitops/bootstrap-with-tuning";
/** Where the root Application and the AppProject templates live. */
export const ROOT_DIR = "gitops/bootstrap/root";

export interface AppOfApps {
  /** Repository Argo CD reads, without credentials. */
  repo: string;
  /** A commit or a tag (a branch only with --follow-branch). */
  revision: string;
  /** The app-of-apps directory: gitops/bootstrap, or gitops/bootstrap-with-tuning. */
  path: string;
  /** The tuning is included (PerformanceProfile, HCO runtime class, tuned workloads). */
  withTuning: boolean;
  /** The metal workers' instance type; required with the tuning. */
  instanceType?: string;
}

/** Everything that depends on the instance type, derived in one place. */
export function instanceTypeParts(t: string): {
  profile: string;
  runtimeClass: string;
  tuningInclude: string;
  workloadsPath: string;
  hyperconvergedPath: string;
} {
  const profile = `workshop-${t.replaceAll(".", "-")}`;
  return {
    profile,
    runtimeClass: `performance-${profile}`,
    tuningInclude: `{machine-config-pool.yaml,${t}.yaml}`,
    workloadsPath: `gitops/overlays/aws/${t}`,
    hyperconvergedPath: `gitops/overlays/aws/${t}/hyperconverged`,
  };
}

/** One entry of an Argo CD Application's `spec.source.kustomize.patches`. */
export interface KustomizePatch {
  target: {
    group?: string;
    version?: string;
    kind?: string;
    name?: string;
    namespace?: string;
    annotationSelector?: string;
  };
  patch: string;
}

interface PatchOp {
  op: "add" | "replace";
  path: string;
  value: unknown;
}

// JSON is YAML: kustomize reads these as JSON 6902 patches, and any URL or branch is quoted safely.
const jsonPatch = (target: KustomizePatch["target"], ops: PatchOp[]): KustomizePatch => ({
  target,
  patch: JSON.stringify(ops, null, 2),
});

/**
 * The patch that points every child Application at the root's repository and revision: the
 * children in gitops/bootstrap carry a placeholder, and without this a fork's root would deploy
 * whatever they name. `add` sets the field whether or not the child already has one.
 */
export function childSourcePatch(repo: string, revision: string): KustomizePatch {
  return jsonPatch({ group: "argoproj.io", kind: "Application" }, [
    { op: "add", path: "/spec/source/repoURL", value: repo },
    { op: "add", path: "/spec/source/targetRevision", value: revision },
  ]);
}

/** The annotation that marks an Application as instance-type dependent, with its type as value. */
export const INSTANCE_TYPE_ANNOTATION = "workshop.low-latency.io/instance-type";

/**
 * The patches that select one instance type's profile, workloads and HyperConverged overlay.
 * They target only Applications annotated with an instance type: `tuning` and `workloads` carry
 * the annotation, and gitops/bootstrap-with-tuning adds it to `instance-kubevirt-hyperconverged`
 * when it switches that one to the runtime-class overlay. In gitops/bootstrap the untuned
 * HyperConverged has no annotation and is never touched, so the same patches are safe on both.
 */
export function instanceTypePatches(t: string): KustomizePatch[] {
  const p = instanceTypeParts(t);
  const child = (name: string) => ({
    group: "argoproj.io",
    kind: "Application",
    name,
    annotationSelector: INSTANCE_TYPE_ANNOTATION,
  });
  const mark: PatchOp = {
    op: "replace",
    path: `/metadata/annotations/${INSTANCE_TYPE_ANNOTATION.replaceAll("/", "~1")}`,
    value: t,
  };
  return [
    jsonPatch(child("tuning"), [
      mark,
      { op: "replace", path: "/spec/source/directory/include", value: p.tuningInclude },
    ]),
    jsonPatch(child("workloads"), [
      mark,
      { op: "replace", path: "/spec/source/path", value: p.workloadsPath },
    ]),
    jsonPatch(child("instance-kubevirt-hyperconverged"), [
      mark,
      { op: "replace", path: "/spec/source/path", value: p.hyperconvergedPath },
    ]),
  ];
}

/** Every patch the children get: repository and revision, and with the tuning the instance type. */
export function childPatches(a: AppOfApps): KustomizePatch[] {
  const out = [childSourcePatch(a.repo, a.revision)];
  if (a.withTuning) {
    if (!a.instanceType) throw new Error("bug: the tuning needs an instance type");
    out.push(...instanceTypePatches(a.instanceType));
  }
  return out;
}

const DEFAULT_ROOT: KubeObject = {
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Application",
  metadata: { name: ROOT_APP, namespace: "openshift-gitops" },
  spec: {
    project: WORKSHOP_PROJECT,
    destination: { server: "https://kubernetes.default.svc", namespace: "openshift-gitops" },
    source: {},
    syncPolicy: {
      automated: { prune: true, selfHeal: true },
      retry: { limit: 20, backoff: { duration: "15s", factor: 2, maxDuration: "5m" } },
    },
  },
};

/**
 * The root Application: the in-tree one (gitops/bootstrap/root/application.yaml) when given,
 * pointed at the repository, revision and app-of-apps directory, with the children's patches and
 * the instance type shown in the Argo CD UI (`spec.info`).
 */
export function rootApplication(a: AppOfApps, template: KubeObject = DEFAULT_ROOT): KubeObject {
  const source = template.spec?.source ?? {};
  const kustomize = source.kustomize ?? {};
  const info = [
    ...((template.spec?.info ?? []) as { name: string; value: string }[]).filter(
      (i) => !["instance type", "PerformanceProfile", "tuning"].includes(i.name),
    ),
    ...(a.instanceType ? [{ name: "instance type", value: a.instanceType }] : []),
    ...(a.withTuning && a.instanceType
      ? [{ name: "PerformanceProfile", value: instanceTypeParts(a.instanceType).profile }]
      : []),
    {
      name: "tuning",
      value: a.withTuning ? "included" : "not included: applied in Module 2 with llw tune apply",
    },
  ];
  return {
    ...template,
    spec: {
      ...template.spec,
      info,
      source: {
        ...source,
        repoURL: a.repo,
        targetRevision: a.revision,
        path: a.path,
        kustomize: {
          ...kustomize,
          patches: [...(kustomize.patches ?? []), ...childPatches(a)],
        },
      },
    },
  };
}

/** The workshop's AppProject with the one repository it may read. */
export function workshopProject(repo: string, template: KubeObject): KubeObject {
  return { ...template, spec: { ...template.spec, sourceRepos: [repo] } };
}
