/**
 * kube-scheduler's default filters (kubernetes/kubernetes master, pkg/scheduler/framework/plugins),
 * run per node in the default order, the first failing one giving the node's reason:
 * NodeUnschedulable ("node(s) were unschedulable"), TaintToleration ("node(s) had untolerated
 * taint {KEY: VALUE}"), NodeAffinity ("node(s) didn't match Pod's node affinity/selector"),
 * NodeResourcesFit ("Insufficient RESOURCE", every short resource: cpu, memory, hugepages-1Gi,
 * devices such as devices.kubevirt.io/kvm or openshift.io/<sriov resource>). A pod no node takes
 * stays Pending with PodScheduled=False reason Unschedulable and a Warning FailedScheduling event
 * whose message is FitError's (pkg/scheduler/schedule_one.go): "0/N nodes are available: " then
 * the sorted "COUNT REASON" list, then the preemption summary. It is retried when nodes or pods
 * change. A pod's request is max(sum of containers, largest init container) per resource
 * (pkg/api/v1/resource/helpers.go PodRequests).
 *
 * Also the RuntimeClass admission plugin (plugin/pkg/admission/runtimeclass/admission.go): a pod
 * naming a RuntimeClass that does not exist is refused; the class's scheduling.nodeSelector and
 * tolerations are merged into the pod.
 */
import type { Obj } from "../apiserver.ts";
import { statusBody } from "../apiserver.ts";
import { type Ctx, conditionOf, mapSelects, selects, setCondition } from "../context.ts";
import { cond } from "../objects.ts";

const SUFFIX: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

export function quantity(v: unknown): number {
  const m = String(v ?? "0").match(/^([0-9.]+)([a-zA-Z]*)$/);
  if (!m) return 0;
  return Number(m[1]) * (SUFFIX[m[2]!] ?? 1);
}

export function podRequests(pod: Obj): Record<string, number> {
  const sum: Record<string, number> = {};
  const add = (into: Record<string, number>, c: Obj) => {
    const req = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
    for (const [k, v] of Object.entries(req)) into[k] = (into[k] ?? 0) + quantity(v);
  };
  for (const c of pod.spec?.containers ?? []) add(sum, c);
  for (const c of pod.spec?.initContainers ?? []) {
    const one: Record<string, number> = {};
    add(one, c);
    for (const [k, v] of Object.entries(one)) sum[k] = Math.max(sum[k] ?? 0, v);
  }
  return sum;
}

function active(p: Obj): boolean {
  return !["Succeeded", "Failed"].includes(p.status?.phase);
}

function tolerates(pod: Obj, taint: Obj): boolean {
  return (pod.spec?.tolerations ?? []).some(
    (t: Obj) =>
      (t.operator === "Exists" && (!t.key || t.key === taint.key)) ||
      (t.key === taint.key &&
        (t.value ?? "") === (taint.value ?? "") &&
        (!t.effect || t.effect === taint.effect)),
  );
}

function affinityMatches(pod: Obj, node: Obj): boolean {
  if (!mapSelects(pod.spec?.nodeSelector, node.metadata.labels)) return false;
  const terms: Obj[] =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return true;
  return terms.some((t) => {
    const byLabel = selects({ matchExpressions: t.matchExpressions ?? [] }, node.metadata.labels);
    const byField = (t.matchFields ?? []).every((f: Obj) => {
      const has = (f.values ?? []).includes(node.metadata.name);
      return f.operator === "NotIn" ? !has : has;
    });
    return byLabel && byField;
  });
}

/** Why `pod` cannot go on `node` (the first failing filter's reasons), or [] if it fits. */
export function filterNode(pod: Obj, node: Obj, pods: Obj[]): string[] {
  if (
    node.spec?.unschedulable &&
    !tolerates(pod, { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" })
  )
    return ["node(s) were unschedulable"];
  const taints: Obj[] = [...(node.spec?.taints ?? [])];
  if (conditionOf(node, "Ready")?.status !== "True")
    taints.push({ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" });
  const bad = taints.find(
    (t) => (t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerates(pod, t),
  );
  if (bad) return [`node(s) had untolerated taint {${bad.key}: ${bad.value ?? ""}}`];
  if (!affinityMatches(pod, node)) return ["node(s) didn't match Pod's node affinity/selector"];
  const want = podRequests(pod);
  const used: Record<string, number> = {};
  for (const p of pods)
    if (p.spec?.nodeName === node.metadata.name && active(p))
      for (const [k, v] of Object.entries(podRequests(p))) used[k] = (used[k] ?? 0) + v;
  const alloc = node.status?.allocatable ?? {};
  const short: string[] = [];
  for (const [k, v] of Object.entries(want)) {
    if (v === 0) continue;
    if ((used[k] ?? 0) + v > quantity(alloc[k])) short.push(`Insufficient ${k}`);
  }
  const podsUsed = pods.filter((p) => p.spec?.nodeName === node.metadata.name && active(p)).length;
  if (podsUsed + 1 > quantity(alloc.pods ?? "250")) short.push("Too many pods");
  return short.sort();
}

export function fitError(total: number, reasons: Map<string, number>, resourceNodes: number): string {
  const list = [...reasons.entries()].map(([r, n]) => `${n} ${r}`).sort();
  const other = total - resourceNodes;
  const pre = [
    ...(resourceNodes > 0 ? [`${resourceNodes} No preemption victims found for incoming pod`] : []),
    ...(other > 0 ? [`${other} Preemption is not helpful for scheduling`] : []),
  ].join(", ");
  return `0/${total} nodes are available: ${list.join(", ")}. preemption: 0/${total} nodes are available: ${pre}.`;
}

export function startScheduler(ctx: Ctx): void {
  const { api } = ctx;
  const pending = new Set<string>();
  let queued = false;

  api.react({ verb: "create", resource: "pods" }, (req) => {
    const rc = req.body?.spec?.runtimeClassName;
    if (!rc || req.subresource) return undefined;
    const cls = api.get("node.k8s.io/v1", "RuntimeClass", rc);
    const name = req.body?.metadata?.name ?? req.body?.metadata?.generateName ?? "";
    if (!cls)
      return {
        code: 403,
        body: statusBody(
          403,
          "Forbidden",
          `pods "${name}" is forbidden: pod rejected: RuntimeClass "${rc}" not found`,
          { name, kind: "pods" },
        ),
      };
    const sel = cls.scheduling?.nodeSelector ?? {};
    req.body!.spec.nodeSelector ??= {};
    const podSel = req.body!.spec.nodeSelector;
    for (const [k, v] of Object.entries(sel)) {
      if (k in podSel && podSel[k] !== v)
        return {
          code: 403,
          body: statusBody(
            403,
            "Forbidden",
            `pods "${name}" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[${k}] = ${v}; pod.spec.nodeSelector[${k}] = ${podSel[k]}`,
          ),
        };
      podSel[k] = v;
    }
    req.body!.spec.tolerations = [
      ...(req.body!.spec.tolerations ?? []),
      ...(cls.scheduling?.tolerations ?? []),
    ];
    return undefined;
  });

  api.defaults("Pod", (pod) => {
    pod.spec.serviceAccountName ??= "default";
    pod.spec.schedulerName ??= "default-scheduler";
    pod.spec.restartPolicy ??= "Always";
    const req = podRequests(pod);
    const guaranteed =
      (pod.spec.containers ?? []).every(
        (c: Obj) => c.resources?.limits?.cpu && c.resources?.limits?.memory,
      ) &&
      [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])].every((c: Obj) =>
        Object.entries(c.resources?.requests ?? {}).every(
          ([k, v]) =>
            c.resources?.limits?.[k] === undefined || quantity(c.resources.limits[k]) === quantity(v),
        ),
      );
    pod.status = {
      phase: "Pending",
      qosClass: guaranteed ? "Guaranteed" : Object.keys(req).length > 0 ? "Burstable" : "BestEffort",
    };
  });

  const enqueue = () => {
    if (queued) return;
    queued = true;
    api.after(ctx.timing.schedule, () => {
      queued = false;
      scheduleAll();
    });
  };
  api.on(["Pod"], (ev) => {
    const key = `${ev.object.metadata.namespace}/${ev.object.metadata.name}`;
    if (ev.type === "ADDED" && !ev.object.spec?.nodeName) pending.add(key);
    if (ev.type === "DELETED") pending.delete(key);
    if (pending.size > 0 && (ev.type !== "MODIFIED" || pending.has(key))) enqueue();
  });
  api.on(["Node"], () => {
    if (pending.size > 0) enqueue();
  });

  function scheduleAll(): void {
    const nodes = api.list("v1", "Node");
    for (const key of [...pending]) {
      const [ns, name] = key.split("/") as [string, string];
      const pod = api.get("v1", "Pod", name, ns);
      if (!pod || pod.spec?.nodeName || pod.metadata.deletionTimestamp) {
        pending.delete(key);
        continue;
      }
      const pods = api.list("v1", "Pod");
      const reasons = new Map<string, number>();
      let resourceNodes = 0;
      const fits: { node: Obj; free: number }[] = [];
      for (const n of nodes) {
        const why = filterNode(pod, n, pods);
        if (why.length === 0) {
          const used = pods
            .filter((p) => p.spec?.nodeName === n.metadata.name && active(p))
            .reduce((s, p) => s + (podRequests(p).cpu ?? 0), 0);
          fits.push({ node: n, free: quantity(n.status?.allocatable?.cpu) - used });
          continue;
        }
        if (why.some((w) => w.startsWith("Insufficient") || w === "Too many pods")) resourceNodes++;
        for (const w of why) reasons.set(w, (reasons.get(w) ?? 0) + 1);
      }
      if (fits.length === 0) {
        const message = fitError(nodes.length, reasons, resourceNodes);
        const was = conditionOf(pod, "PodScheduled");
        if (was?.message !== message) {
          api.update("v1", "Pod", name, ns, {
            status: {
              conditions: setCondition(
                pod.status?.conditions,
                cond("PodScheduled", "False", "Unschedulable", message),
              ),
            },
          });
          api.event(pod, "Warning", "FailedScheduling", message, "default-scheduler");
        }
        continue;
      }
      fits.sort((a, b) => b.free - a.free || a.node.metadata.name.localeCompare(b.node.metadata.name));
      const node = fits[0]!.node.metadata.name;
      pending.delete(key);
      api.update("v1", "Pod", name, ns, {
        spec: { nodeName: node },
        status: { conditions: setCondition(pod.status?.conditions, cond("PodScheduled", "True", "", "")) },
      });
      api.event(
        pod,
        "Normal",
        "Scheduled",
        `Successfully assigned ${ns}/${name} to ${node}`,
        "default-scheduler",
      );
    }
  }
}
