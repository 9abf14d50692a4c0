/**
 * Evictions and PodDisruptionBudgets (kubernetes/kubernetes master):
 * - the eviction subresource (pkg/registry/core/pod/storage/eviction.go): admission webhooks
 *   first (KubeVirt intercepts virt-launcher pods), then every PDB selecting the pod must allow a
 *   disruption, else 429 TooManyRequests "Cannot evict pod as it would violate the pod's
 *   disruption budget." with a DisruptionBudget cause; an allowed eviction deletes the pod
 *   (graceful: deletionTimestamp, gone after the grace period) and uses one disruption.
 * - the disruption controller (pkg/controller/disruption/disruption.go): status.currentHealthy
 *   (Ready pods), desiredHealthy (minAvailable, or pods minus maxUnavailable), disruptionsAllowed.
 */
import type { Obj, SimResponse } from "../apiserver.ts";
import { statusBody } from "../apiserver.ts";
import { type Ctx, conditionOf, selects } from "../context.ts";

function healthy(p: Obj): boolean {
  return (
    !p.metadata.deletionTimestamp &&
    p.status?.phase === "Running" &&
    conditionOf(p, "Ready")?.status === "True"
  );
}

function pct(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === "string" && v.endsWith("%")) {
    const x = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  return Number(v);
}

export function pdbStatus(ctx: Ctx, pdb: Obj): Obj {
  const pods = ctx.api
    .list("v1", "Pod", pdb.metadata.namespace)
    .filter(
      (p) =>
        selects(pdb.spec?.selector ?? {}, p.metadata.labels) &&
        !["Succeeded", "Failed"].includes(p.status?.phase),
    );
  const current = pods.filter(healthy).length;
  const desired =
    pdb.spec?.minAvailable !== undefined
      ? pct(pdb.spec.minAvailable, pods.length, true)
      : Math.max(0, pods.length - pct(pdb.spec?.maxUnavailable ?? 0, pods.length, true));
  return {
    observedGeneration: pdb.metadata.generation,
    currentHealthy: current,
    desiredHealthy: desired,
    expectedPods: pods.length,
    disruptionsAllowed: Math.max(0, current - desired),
    conditions: [
      {
        type: "DisruptionAllowed",
        status: current - desired > 0 ? "True" : "False",
        reason: current - desired > 0 ? "SufficientPods" : "InsufficientPods",
        message: "",
        lastTransitionTime: new Date().toISOString(),
        observedGeneration: pdb.metadata.generation,
      },
    ],
  };
}

/** POST pods/<name>/eviction, as the API server answers it. */
export function evict(ctx: Ctx, pod: Obj): SimResponse {
  for (const hook of ctx.evictionWebhooks) {
    const r = hook(pod);
    if (r) return r;
  }
  if (!pod.metadata.deletionTimestamp) {
    for (const pdb of ctx.api.list("policy/v1", "PodDisruptionBudget", pod.metadata.namespace)) {
      if (!selects(pdb.spec?.selector ?? {}, pod.metadata.labels)) continue;
      const st = pdbStatus(ctx, pdb);
      if (st.disruptionsAllowed <= 0 && healthy(pod))
        return {
          code: 429,
          body: statusBody(
            429,
            "TooManyRequests",
            "Cannot evict pod as it would violate the pod's disruption budget.",
            {
              causes: [
                {
                  reason: "DisruptionBudget",
                  message: `The disruption budget ${pdb.metadata.name} needs ${st.desiredHealthy} healthy pods and has ${st.currentHealthy} currently`,
                },
              ],
            },
          ),
        };
    }
  }
  deletePod(ctx, pod);
  return {
    code: 201,
    body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 },
  };
}

/** Graceful deletion: marked now, gone after the termination grace period. */
export function deletePod(ctx: Ctx, pod: Obj): void {
  const { api } = ctx;
  if (!api.get("v1", "Pod", pod.metadata.name, pod.metadata.namespace)) return;
  if (!pod.metadata.deletionTimestamp)
    api.update("v1", "Pod", pod.metadata.name, pod.metadata.namespace, {
      metadata: { deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 30 },
    });
  api.after(ctx.timing.podTermination, () =>
    api.remove("v1", "Pod", pod.metadata.name, pod.metadata.namespace),
  );
}

export function startDisruption(ctx: Ctx): void {
  const { api } = ctx;
  api.onEviction((pod) => evict(ctx, pod));
  const refresh = (ns: string) => {
    for (const pdb of api.list("policy/v1", "PodDisruptionBudget", ns)) {
      const st = pdbStatus(ctx, pdb);
      if (
        JSON.stringify({ ...pdb.status, conditions: undefined }) !==
        JSON.stringify({ ...st, conditions: undefined })
      )
        api.update("policy/v1", "PodDisruptionBudget", pdb.metadata.name, ns, { status: st });
    }
  };
  api.on(["Pod", "PodDisruptionBudget"], (ev) => {
    if (
      ev.def.kind === "PodDisruptionBudget" &&
      ev.type === "MODIFIED" &&
      ev.old?.metadata.generation === ev.object.metadata.generation
    )
      return;
    api.after(100, () => refresh(ev.object.metadata.namespace));
  });
}
