/**
 * OpenShift cluster monitoring, as much of it as `llw bench run` uses, added to the simulated
 * cluster (test/sim) from outside it:
 * - the `thanos-querier` Route in `openshift-monitoring` (route.openshift.io/v1), as
 *   cluster-monitoring-operator creates it (openshift/cluster-monitoring-operator
 *   assets/thanos-querier/route.yaml: `tls: {termination: reencrypt}`, here without TLS when the
 *   stand-in Prometheus is plain HTTP), and the `prometheus-k8s` ServiceAccount;
 * - the TokenRequest API, the `serviceaccounts/<name>/token` subresource (kube-apiserver
 *   pkg/registry/core/serviceaccount/storage/token.go: POST a TokenRequest, 201 with
 *   status.token and status.expirationTimestamp; 404 for an unknown service account).
 */
import type { Obj } from "../sim/apiserver.ts";
import type { Sim } from "../sim/index.ts";

export interface Monitoring {
  /** The TokenRequests answered: service account and asked expiration. */
  issued: { serviceAccount: string; expirationSeconds?: number }[];
}

export function addMonitoring(sim: Sim, o: { host: string; tls?: boolean; token: string }): Monitoring {
  const { api } = sim;
  const issued: Monitoring["issued"] = [];
  api.addResources([
    { group: "route.openshift.io", version: "v1", kind: "Route", plural: "routes", namespaced: true },
  ]);
  if (!api.get("v1", "Namespace", "openshift-monitoring"))
    api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "openshift-monitoring" } });
  api.seed(
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "prometheus-k8s", namespace: "openshift-monitoring" },
    },
    {
      apiVersion: "route.openshift.io/v1",
      kind: "Route",
      metadata: { name: "thanos-querier", namespace: "openshift-monitoring" },
      spec: {
        host: o.host,
        port: { targetPort: "web" },
        to: { kind: "Service", name: "thanos-querier", weight: 100 },
        wildcardPolicy: "None",
        ...(o.tls ? { tls: { termination: "reencrypt", insecureEdgeTerminationPolicy: "Redirect" } } : {}),
      },
    },
  );
  api.react({ verb: "create", resource: "serviceaccounts", subresource: "token" }, (req, server) => {
    const sa = server.get("v1", "ServiceAccount", req.name!, req.namespace);
    if (!sa)
      return {
        code: 404,
        body: {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: "NotFound",
          code: 404,
          message: `serviceaccounts "${req.name}" not found`,
        },
      };
    const spec = ((req.body as Obj | undefined)?.spec ?? {}) as { expirationSeconds?: number };
    issued.push({
      serviceAccount: `${req.namespace}/${req.name}`,
      expirationSeconds: spec.expirationSeconds,
    });
    const expires = new Date(Date.now() + (spec.expirationSeconds ?? 3600) * 1000)
      .toISOString()
      .replace(/\.\d+Z$/, "Z");
    return {
      code: 201,
      body: {
        kind: "TokenRequest",
        apiVersion: "authentication.k8s.io/v1",
        metadata: {
          name: req.name,
          namespace: req.namespace,
          creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        },
        spec: {
          audiences: ["https://kubernetes.default.svc"],
          expirationSeconds: spec.expirationSeconds ?? 3600,
        },
        status: { token: o.token, expirationTimestamp: expires },
      },
    };
  });
  return { issued };
}
