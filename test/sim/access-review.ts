/**
 * SelfSubjectAccessReview, as `oc auth can-i` asks it: the review comes back (201 Created) with
 * its status filled in, for the user of the request's token
 * (kubernetes/kubernetes, pkg/registry/authorization/selfsubjectaccessreview/rest.go: exactly one
 * of resourceAttributes and nonResourceAttributes, else 422; the authorizer's decision in
 * status.allowed/denied/reason).
 *
 * The simulated cluster's users are cluster administrators (kubeadmin's binding on a new
 * cluster), so what is denied is exactly what a test has forbidden with forbid(). A question
 * covers a forbidden request when each of its attributes is the same or wider: "*" for a verb,
 * group or resource, and an empty namespace or name (all namespaces, every object), as RBAC
 * reads them (kubernetes/kubernetes, plugin/pkg/auth/authorizer/rbac/rbac.go, RuleAllows).
 */
import type { Matcher, Obj } from "./apiserver.ts";

/** kube:admin is in the group that OpenShift binds to cluster-admin. */
const ALLOWED =
  'RBAC: allowed by ClusterRoleBinding "cluster-admins" of ClusterRole "cluster-admin" to Group "system:cluster-admins"';

const covers = (asked: string | undefined, forbidden: string | undefined, wide: string) =>
  forbidden === undefined || asked === wide || asked === forbidden;

export function reviewAccess(
  body: Obj | undefined,
  user: string,
  forbidden: Matcher[],
): { code: number; body: Obj } {
  const spec = body?.spec ?? {};
  const res = spec.resourceAttributes as Obj | undefined;
  if (!res === !spec.nonResourceAttributes) {
    const message =
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified';
    return {
      code: 422,
      body: { kind: "Status", apiVersion: "v1", status: "Failure", reason: "Invalid", code: 422, message },
    };
  }
  const denied = res
    ? forbidden.find((m) => {
        const verbs = m.verb === undefined ? undefined : [m.verb].flat();
        return (
          (m.user === undefined || m.user === user) &&
          (verbs === undefined || res.verb === "*" || verbs.includes(res.verb)) &&
          covers(res.group ?? "", m.group, "*") &&
          covers(res.resource, m.resource, "*") &&
          covers(res.subresource || undefined, m.subresource, "*") &&
          covers(res.namespace ?? "", m.namespace, "") &&
          covers(res.name ?? "", m.name, "")
        );
      })
    : undefined;
  return {
    code: 201,
    body: {
      ...body,
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      metadata: { ...(body?.metadata ?? {}), creationTimestamp: null },
      // RBAC never denies, it only fails to allow: no "denied" and no reason then (rbac.go).
      status: denied ? { allowed: false } : { allowed: true, reason: ALLOWED },
    },
  };
}
