/**
 * ServiceAccounts (kubernetes/kubernetes master):
 * - the serviceaccounts-controller in kube-controller-manager
 *   (pkg/controller/serviceaccount/serviceaccounts_controller.go) creates `default` in every new
 *   namespace, shortly after the namespace (OpenShift's controller manager adds `builder` and
 *   `deployer`);
 * - the ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount/admission.go)
 *   refuses a pod whose service account does not exist yet: 403 Forbidden, `pods "NAME" is
 *   forbidden: error looking up service account NS/default: serviceaccount "default" not found`.
 *   So a pod created right after its namespace can fail; retrying a moment later works.
 */
import { statusBody } from "../apiserver.ts";
import type { Ctx } from "../context.ts";

export function serviceAccount(name: string, namespace: string) {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } };
}

export function startServiceAccounts(ctx: Ctx): void {
  const { api } = ctx;
  api.defaults("Namespace", (o) => {
    o.status = { phase: "Active" };
  });
  api.on(["Namespace"], (ev) => {
    if (ev.type !== "ADDED") return;
    const ns = ev.object.metadata.name;
    api.after(ctx.timing.serviceAccount, () => {
      if (!api.get("v1", "Namespace", ns)) return;
      for (const sa of ["default", "builder", "deployer"])
        if (!api.get("v1", "ServiceAccount", sa, ns)) api.seed(serviceAccount(sa, ns));
    });
  });
  api.react({ verb: "create", resource: "pods" }, (req) => {
    if (req.subresource) return undefined;
    const ns = req.namespace ?? "default";
    const sa = req.body?.spec?.serviceAccountName ?? req.body?.spec?.serviceAccount ?? "default";
    if (!api.get("v1", "Namespace", ns) || api.get("v1", "ServiceAccount", sa, ns)) return undefined;
    const name = req.body?.metadata?.name ?? req.body?.metadata?.generateName ?? "";
    return {
      code: 403,
      body: statusBody(
        403,
        "Forbidden",
        `pods "${name}" is forbidden: error looking up service account ${ns}/${sa}: serviceaccount "${sa}" not found`,
        { name, kind: "pods" },
      ),
    };
  });
}
