/**
 * Argo CD's resource health (argoproj/argo-cd master, gitops-engine/pkg/health): a Lua check from
 * the ArgoCD instance's spec.resourceHealthChecks wins (the operator writes them to argocd-cm as
 * resource.customizations.health.<group>_<kind>), then Argo CD's own Lua checks
 * (resource_customizations/, the two the workshop meets are copied in argo-health/), then the
 * built-in Go ones (here: Pod, health_pod.go). A kind with none has no health and does not count;
 * an Application's is the worst of its resources' (healthOrder: Healthy, Suspended, Progressing,
 * Missing, Degraded, Unknown). The scripts run in a real Lua VM (fengari, Lua 5.3; Argo CD embeds
 * gopher-lua, Lua 5.1: the scripts use only what both share).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runHealthLua } from "../../helpers/argo-lua.ts";
import type { ApiServer, Obj } from "../apiserver.ts";

export interface Health {
  status: string;
  message?: string;
}

export const HEALTH_ORDER = ["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"];

export function worst(a: string, b: string): string {
  return HEALTH_ORDER.indexOf(b) > HEALTH_ORDER.indexOf(a) ? b : a;
}

const BUILTIN_LUA: Record<string, string> = {};
for (const k of ["operators.coreos.com_Subscription", "kubevirt.io_VirtualMachine"])
  BUILTIN_LUA[k] = readFileSync(join(import.meta.dirname, "argo-health", `${k}.lua`), "utf8");

/** A Lua check's verdict; an error in the script reads as Unknown, with the Lua error. */
function runLua(script: string, obj: Obj): Health {
  try {
    const hs = runHealthLua(script, obj);
    return { status: hs.status, message: hs.message ?? "" };
  } catch (e) {
    return { status: "Unknown", message: `health check error: ${(e as Error).message}` };
  }
}

function podHealth(p: Obj): Health {
  const phase = p.status?.phase;
  if (phase === "Pending") return { status: "Progressing" };
  if (phase === "Succeeded") return { status: "Healthy" };
  if (phase === "Failed") return { status: "Degraded", message: p.status?.message ?? "" };
  if (phase === "Running") {
    const never = p.spec?.restartPolicy === "Never" || p.spec?.restartPolicy === "OnFailure";
    const ready = (p.status?.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True");
    return { status: !never && ready ? "Healthy" : "Progressing" };
  }
  return { status: "Unknown" };
}

/** The health of a live object, or undefined when Argo CD has no check for its kind. */
export function resourceHealth(api: ApiServer, o: Obj): Health | undefined {
  const group = String(o.apiVersion).includes("/") ? String(o.apiVersion).split("/")[0] : "";
  const instance = api.resourceFor("argoproj.io/v1beta1", "ArgoCD")
    ? api.get("argoproj.io/v1beta1", "ArgoCD", "openshift-gitops", "openshift-gitops")
    : undefined;
  const custom = (instance?.spec?.resourceHealthChecks ?? []).find(
    (h: Obj) => (h.group ?? "") === group && h.kind === o.kind,
  );
  if (custom?.check) return runLua(custom.check, o);
  const builtin = BUILTIN_LUA[`${group}_${o.kind}`];
  if (builtin) return runLua(builtin, o);
  if (o.kind === "Pod" && group === "") return podHealth(o);
  return undefined;
}
