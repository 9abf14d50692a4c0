/**
 * A namespace ready for pods. Kubernetes creates a namespace's `default` ServiceAccount a moment
 * after the namespace (kube-controller-manager's serviceaccounts-controller), and until then the
 * ServiceAccount admission plugin refuses pods with 403 "error looking up service account
 * NS/default: serviceaccount "default" not found" (kubernetes plugin/pkg/admission/serviceaccount).
 * So llw creates the namespace, then waits for that ServiceAccount before creating pods.
 */
import { EnvironmentError } from "../lib/errors.ts";
import { type Clock, formatDuration } from "./clock.ts";
import type { Kube } from "./kube.ts";

export interface NamespaceWait {
  clock: Clock;
  /** Says what llw waits for (one line). */
  say: (line: string) => void;
  timeoutMs?: number;
  intervalMs?: number;
  /** Labels of the namespace (applied with it). */
  labels?: Record<string, string>;
}

export async function ensureNamespaceReady(kube: Kube, name: string, o: NamespaceWait): Promise<void> {
  await kube.apply({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, ...(o.labels ? { labels: o.labels } : {}) },
  });
  const timeoutMs = o.timeoutMs ?? 120_000;
  const start = o.clock.now();
  let said = false;
  while (!(await kube.get("v1", "ServiceAccount", "default", name))) {
    if (!said) {
      o.say(
        `namespace ${name}: waiting for its default ServiceAccount (the cluster creates it just after the namespace)`,
      );
      said = true;
    }
    if (o.clock.now() - start >= timeoutMs)
      throw new EnvironmentError({
        what: `the default ServiceAccount of namespace ${name} did not appear within ${formatDuration(timeoutMs)}`,
        where: `namespace ${name}`,
        next: `check that the cluster's controllers run (\`oc get sa -n ${name}\`, \`oc get clusteroperator kube-controller-manager\`), then re-run`,
      });
    await o.clock.sleep(o.intervalMs ?? 1000);
  }
  if (said) o.say(`namespace ${name}: default ServiceAccount present`);
}

/**
 * Labels of the namespaces llw creates for its own short-lived privileged pods (jitter tests,
 * debug pods), kept apart from the workshop's namespace: Pod Security admission allows privileged
 * pods there and OpenShift's label synchronisation leaves them be, as cnf-tests labels the
 * namespaces of its latency tests (openshift-kni/cnf-features-deploy, cnf-tests/testsuites/pkg/
 * namespaces/namespaces.go: enforce/audit/warn privileged, scc.podSecurityLabelSync false).
 */
export const LLW_POD_NAMESPACE_LABELS: Record<string, string> = {
  "app.kubernetes.io/managed-by": "llw",
  "pod-security.kubernetes.io/enforce": "privileged",
  "pod-security.kubernetes.io/audit": "privileged",
  "pod-security.kubernetes.io/warn": "privileged",
  "security.openshift.io/scc.podSecurityLabelSync": "false",
};
