/**
 * The OpenShift GitOps operator's own Argo CD instance, and the workshop's additions to it.
 *
 * Once its CSV has Succeeded, the operator creates the namespace openshift-gitops and the
 * ArgoCD `openshift-gitops` in it, with the route, the OpenShift login (Dex) and the RBAC policy,
 * but only if no such ArgoCD exists; an existing one only gets its resource limits filled in
 * (redhat-developer/gitops-operator master, controllers/gitopsservice_controller.go,
 * reconcileDefaultArgoCDInstance; `DISABLE_DEFAULT_ARGOCD_INSTANCE` turns it off). So llw waits
 * for the operator's instance and then server-side-applies only the workshop's fields (the health
 * checks): creating it first would leave an Argo CD without route, login or RBAC, and applying
 * before the namespace exists fails.
 */
import type { InstallReport, StepOptions } from "./install.ts";
import { applyObjects } from "./install.ts";
import type { KubeObject } from "./kube.ts";
import { waitFor } from "./wait.ts";

export const GITOPS_INSTANCE = { name: "openshift-gitops", namespace: "openshift-gitops" };

export function isDefaultArgoCd(o: KubeObject): boolean {
  return (
    o.kind === "ArgoCD" &&
    o.metadata.name === GITOPS_INSTANCE.name &&
    o.metadata.namespace === GITOPS_INSTANCE.namespace
  );
}

/** Waits until the operator has created its default ArgoCD (its namespace first). */
export async function waitDefaultArgoCd(s: StepOptions, apiVersion: string): Promise<void> {
  await waitFor({
    what: `the operator's Argo CD instance ${GITOPS_INSTANCE.namespace}/${GITOPS_INSTANCE.name}`,
    timeoutMs: s.timeoutMs,
    intervalMs: s.intervalMs,
    clock: s.clock,
    progress: s.progress,
    poll: async () => {
      const ns = await s.kube.get("v1", "Namespace", GITOPS_INSTANCE.namespace);
      const cr = ns
        ? await s.kube.get(apiVersion, "ArgoCD", GITOPS_INSTANCE.name, GITOPS_INSTANCE.namespace)
        : undefined;
      if (cr)
        return { done: true, status: `created by the operator (${cr.status?.phase ?? "no phase yet"})` };
      return {
        done: false,
        status: ns ? "namespace exists, instance not yet" : `namespace ${GITOPS_INSTANCE.namespace} not yet`,
        blocker: {
          what: `the OpenShift GitOps operator has not created its default instance (ArgoCD ${GITOPS_INSTANCE.name} in ${GITOPS_INSTANCE.namespace})`,
          where: "namespace openshift-gitops-operator",
          next: "read the operator's log (`oc logs -n openshift-gitops-operator deploy/openshift-gitops-operator-controller-manager`); if its Subscription sets DISABLE_DEFAULT_ARGOCD_INSTANCE=true, remove it: the workshop uses the default instance",
        },
      };
    },
  });
  s.progress.ok(
    `Argo CD instance ${GITOPS_INSTANCE.namespace}/${GITOPS_INSTANCE.name} created by the operator`,
  );
}

export const ARGOCD_API_VERSION = "argoproj.io/v1beta1";

/**
 * The operator's instance first, always: it is the Argo CD that syncs the app of apps, and its
 * namespace is where the Applications go (applied before the operator made it, they fail with
 * "namespace not found"). Then the workshop's additions to it: the default ArgoCD is patched
 * (server-side apply of the workshop's fields only); anything else in the instance directory
 * (the ClusterRoleBinding) is applied as it is.
 */
export async function applyGitopsInstance(
  objs: KubeObject[],
  s: StepOptions,
  r: InstallReport,
): Promise<void> {
  await waitDefaultArgoCd(s, objs.find(isDefaultArgoCd)?.apiVersion ?? ARGOCD_API_VERSION);
  await applyObjects(objs, s, r);
}
