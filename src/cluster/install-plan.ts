/**
 * Dependency order for `llw install --direct`. Pure: objects in, ordered steps out.
 *
 * A custom resource cannot be applied before its CRD exists, and the CRDs of an OLM operator
 * exist only once its CSV has Succeeded. So: namespaces and operator subscriptions first, then
 * wait for each operator and for the CRDs the remaining objects need, then the custom
 * resources (by Argo CD sync wave, then kind), and last the node tuning as one pool rollout.
 */
import type { KubeObject } from "./kube.ts";
import { ROLLING_KINDS } from "./tune-plan.ts";

/** API groups every OpenShift 4.19+ cluster serves without an add-on operator. */
export const BUILTIN_GROUPS = new Set([
  "",
  "apps",
  "batch",
  "policy",
  "autoscaling",
  "rbac.authorization.k8s.io",
  "apiextensions.k8s.io",
  "admissionregistration.k8s.io",
  "networking.k8s.io",
  "storage.k8s.io",
  "scheduling.k8s.io",
  "node.k8s.io",
  "coordination.k8s.io",
  "discovery.k8s.io",
  "operators.coreos.com",
  "config.openshift.io",
  "operator.openshift.io",
  "machineconfiguration.openshift.io",
  "machine.openshift.io",
  "performance.openshift.io",
  "tuned.openshift.io",
  "k8s.cni.cncf.io",
  "route.openshift.io",
  "security.openshift.io",
  "image.openshift.io",
  "project.openshift.io",
  "monitoring.coreos.com",
  "console.openshift.io",
]);

/** Which OLM package serves which API group (for progress messages and waits). */
export const GROUP_PROVIDERS: Record<string, string> = {
  "sriovnetwork.openshift.io": "sriov-network-operator",
  "hco.kubevirt.io": "kubevirt-hyperconverged",
  "kubevirt.io": "kubevirt-hyperconverged",
  "cdi.kubevirt.io": "kubevirt-hyperconverged",
  "argoproj.io": "openshift-gitops-operator",
  "pipelines.openshift.io": "openshift-gitops-operator",
};

/** Order of kinds inside one apply step (what others refer to goes first). */
const KIND_ORDER = [
  "Namespace",
  "CustomResourceDefinition",
  "ServiceAccount",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
  "Secret",
  "ConfigMap",
  "CatalogSource",
  "OperatorGroup",
  "Subscription",
];

export function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.split("/")[0]! : "";
}

export function syncWave(o: KubeObject): number {
  const w = Number(o.metadata.annotations?.["argocd.argoproj.io/sync-wave"] ?? 0);
  return Number.isFinite(w) ? w : 0;
}

function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

export function orderObjects(objs: KubeObject[]): KubeObject[] {
  return [...objs].sort(
    (a, b) =>
      syncWave(a) - syncWave(b) ||
      kindRank(a.kind) - kindRank(b.kind) ||
      a.kind.localeCompare(b.kind) ||
      `${a.metadata.namespace ?? ""}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace ?? ""}/${b.metadata.name}`,
      ),
  );
}

export interface OperatorWait {
  pkg: string;
  namespace: string;
  subscription: string;
}

export interface CrdWait {
  group: string;
  version: string;
  kind: string;
  /** The OLM package expected to provide it, if known. */
  provider?: string;
}

export type InstallStep =
  | { type: "apply"; title: string; objects: KubeObject[] }
  | { type: "operators"; title: string; operators: OperatorWait[] }
  | { type: "crds"; title: string; crds: CrdWait[] }
  | { type: "tuning"; title: string; objects: KubeObject[] };

const isTuning = (o: KubeObject) => ROLLING_KINDS.has(o.kind) || o.kind === "MachineConfigPool";

/** Orders a whole tree into apply and wait steps. Duplicate objects (same kind/ns/name) keep the last. */
export function planDirectInstall(objects: KubeObject[]): InstallStep[] {
  const byKey = new Map<string, KubeObject>();
  for (const o of objects)
    byKey.set(`${o.apiVersion.split("/")[0]}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, o);
  const all = [...byKey.values()];
  const isCustom = (o: KubeObject) => !BUILTIN_GROUPS.has(groupOf(o.apiVersion));
  const foundation = all.filter((o) => !isCustom(o) && !isTuning(o));
  const custom = all.filter((o) => isCustom(o) && !isTuning(o));
  const tuning = all.filter(isTuning);
  const steps: InstallStep[] = [];
  if (foundation.length > 0)
    steps.push({
      type: "apply",
      title: "namespaces, operator subscriptions and other built-in objects",
      objects: orderObjects(foundation),
    });
  const subs = foundation.filter(
    (o) => o.kind === "Subscription" && groupOf(o.apiVersion) === "operators.coreos.com",
  );
  if (subs.length > 0) {
    steps.push({
      type: "operators",
      title: "operators installed (CSV Succeeded)",
      operators: subs.map((s) => ({
        pkg: s.spec?.name ?? s.metadata.name!,
        namespace: s.metadata.namespace!,
        subscription: s.metadata.name!,
      })),
    });
  }
  const needed = new Map<string, CrdWait>();
  for (const o of [...custom, ...tuning]) {
    const group = groupOf(o.apiVersion);
    if (BUILTIN_GROUPS.has(group)) continue;
    const version = o.apiVersion.split("/")[1] ?? "";
    const provider = GROUP_PROVIDERS[group];
    needed.set(`${group}/${version}/${o.kind}`, {
      group,
      version,
      kind: o.kind,
      ...(provider ? { provider } : {}),
    });
  }
  if (needed.size > 0)
    steps.push({
      type: "crds",
      title: "CRDs established",
      crds: [...needed.values()].sort((a, b) => `${a.group}/${a.kind}`.localeCompare(`${b.group}/${b.kind}`)),
    });
  if (custom.length > 0)
    steps.push({ type: "apply", title: "custom resources", objects: orderObjects(custom) });
  if (tuning.length > 0)
    steps.push({
      type: "tuning",
      title: "node tuning as one MachineConfigPool rollout",
      objects: orderObjects(tuning),
    });
  return steps;
}

/** Is this CRD the one serving group/version/kind, and Established? */
export function crdServes(crd: KubeObject, w: CrdWait): { matches: boolean; established: boolean } {
  const matches =
    crd.spec?.group === w.group &&
    crd.spec?.names?.kind === w.kind &&
    (crd.spec?.versions ?? []).some(
      (v: { name: string; served?: boolean }) => v.name === w.version && v.served !== false,
    );
  const established = (crd.status?.conditions ?? []).some(
    (c: { type: string; status: string }) => c.type === "Established" && c.status === "True",
  );
  return { matches, established };
}
