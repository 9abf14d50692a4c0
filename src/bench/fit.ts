/**
 * Does a workload fit the nodes it targets? Pure: the objects a run would create and the
 * cluster's nodes, pods and runtime classes in; how many fit and why out.
 *
 * The scheduler admits a pod on a node when the node's allocatable minus the requests of the pods
 * already bound there covers the pod's requests, for every resource (kube-scheduler's
 * NodeResourcesFit filter, kubernetes/kubernetes pkg/scheduler/framework/plugins/noderesources/
 * fit.go), and when the node matches the pod's nodeSelector (plus its RuntimeClass's
 * scheduling.nodeSelector) and tolerates its taints. Pods that do not fit stay Pending, and a
 * kube-burner run then waits for its whole timeout: refusing before the run starts saves that.
 */
import type { KubeObject } from "../cluster/kube.ts";
import { parseQuantity } from "../gitops/checks/quantity.ts";

/** Requests per resource: cpu in millicores, memory and hugepages in bytes, devices in units. */
export type Resources = Record<string, number>;

export interface Demand {
  /** "Pod tuned-pod-0-1" or "VirtualMachine tuned-vm-0-1 (its virt-launcher pod)". */
  what: string;
  requests: Resources;
  nodeSelector: Record<string, string>;
  tolerations: { key?: string; operator?: string; value?: string; effect?: string }[];
  runtimeClassName?: string;
  /** Guaranteed with whole CPUs: the CPU manager gives it exclusive CPUs from the isolated set. */
  exclusiveCpus: boolean;
}

function quantity(resource: string, q: unknown): number {
  const n = parseQuantity(q) ?? 0;
  return resource === "cpu" ? Math.round(n * 1000) : Math.round(n);
}

function add(into: Resources, from: Resources): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

type Container = { resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } };

/** A container's requests; a resource with a limit and no request requests its limit (API defaulting). */
function containerRequests(c: Container): Resources {
  const out: Resources = {};
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  for (const k of new Set([...Object.keys(req), ...Object.keys(lim)])) out[k] = quantity(k, req[k] ?? lim[k]);
  return out;
}

/** A pod's effective requests: the containers' sum, or the largest init container's when larger, plus one pod slot. */
export function podRequests(spec: {
  containers?: Container[];
  initContainers?: Container[];
  overhead?: Record<string, unknown>;
}): Resources {
  const sum: Resources = {};
  for (const c of spec.containers ?? []) add(sum, containerRequests(c));
  for (const c of spec.initContainers ?? [])
    for (const [k, v] of Object.entries(containerRequests(c))) sum[k] = Math.max(sum[k] ?? 0, v);
  for (const [k, v] of Object.entries(spec.overhead ?? {})) sum[k] = (sum[k] ?? 0) + quantity(k, v);
  sum.pods = 1;
  return sum;
}

function isGuaranteedWholeCpus(spec: { containers?: Container[] }): boolean {
  return (spec.containers ?? []).every((c) => {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    const keys = new Set([...Object.keys(req), ...Object.keys(lim)]);
    const cpu = parseQuantity(req.cpu ?? lim.cpu);
    return (
      keys.has("cpu") &&
      keys.has("memory") &&
      [...keys].every(
        (k) => lim[k] !== undefined && (req[k] === undefined || String(req[k]) === String(lim[k])),
      ) &&
      cpu !== undefined &&
      Number.isInteger(cpu)
    );
  });
}

export function podDemand(pod: KubeObject): Demand {
  const spec = pod.spec ?? {};
  return {
    what: `Pod ${pod.metadata.name}`,
    requests: podRequests(spec),
    nodeSelector: spec.nodeSelector ?? {},
    tolerations: spec.tolerations ?? [],
    ...(spec.runtimeClassName ? { runtimeClassName: spec.runtimeClassName } : {}),
    exclusiveCpus: isGuaranteedWholeCpus(spec),
  };
}

/**
 * The virt-launcher pod of a VirtualMachine, as KubeVirt renders its requests
 * (kubevirt/kubevirt pkg/virt-controller/services/renderresources.go): dedicated CPUs are the
 * vCPUs plus one for an isolated emulator thread (WithCPUPinning), otherwise vCPUs divided by the
 * CPU allocation ratio 10 (WithoutDedicatedCPU); hugepages-backed memory is requested as
 * hugepages of that size; one /dev/kvm. KubeVirt's memory overhead (a few hundred MiB per VM) is
 * not counted: on these hosts CPUs and hugepages run out long before memory.
 */
export function vmDemand(vm: KubeObject, defaultRuntimeClass?: string): Demand {
  const t = vm.spec?.template ?? {};
  const domain = t.spec?.domain ?? {};
  const cpu = domain.cpu ?? {};
  const vcpus = (cpu.cores ?? 1) * (cpu.sockets ?? 1) * (cpu.threads ?? 1);
  const dedicated = Boolean(cpu.dedicatedCpuPlacement);
  const guest = quantity("memory", domain.memory?.guest ?? domain.resources?.requests?.memory);
  const page = domain.memory?.hugepages?.pageSize as string | undefined;
  const requests: Resources = {
    cpu: dedicated
      ? (vcpus + (cpu.isolateEmulatorThread ? 1 : 0)) * 1000
      : domain.resources?.requests?.cpu !== undefined
        ? quantity("cpu", domain.resources.requests.cpu)
        : Math.round((vcpus * 1000) / 10),
    "devices.kubevirt.io/kvm": 1,
    pods: 1,
  };
  if (page) requests[`hugepages-${page}`] = guest;
  else requests.memory = guest;
  return {
    what: `VirtualMachine ${vm.metadata.name} (its virt-launcher pod)`,
    requests,
    nodeSelector: t.spec?.nodeSelector ?? {},
    tolerations: t.spec?.tolerations ?? [],
    ...(defaultRuntimeClass ? { runtimeClassName: defaultRuntimeClass } : {}),
    exclusiveCpus: dedicated,
  };
}

export interface NodeFacts {
  name: string;
  labels: Record<string, string>;
  /** Why the scheduler would never place a pod here, if it would not. */
  unschedulable?: string;
  taints: { key: string; value?: string; effect: string }[];
  allocatable: Resources;
  used: Resources;
  /** CPUs a PerformanceProfile isolates on this node: exclusive CPUs come only from these. */
  isolatedCpus?: number;
}

/** A node's allocatable and what the pods bound to it already request (finished pods release theirs). */
export function nodeFacts(node: KubeObject, pods: KubeObject[], isolatedCpus?: number): NodeFacts {
  const allocatable: Resources = {};
  for (const [k, v] of Object.entries((node.status?.allocatable ?? {}) as Record<string, unknown>))
    allocatable[k] = quantity(k, v);
  const used: Resources = {};
  for (const p of pods)
    if (p.spec?.nodeName === node.metadata.name && !["Succeeded", "Failed"].includes(p.status?.phase))
      add(used, podRequests(p.spec ?? {}));
  const ready = (node.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
  const unschedulable = node.spec?.unschedulable
    ? "cordoned (spec.unschedulable)"
    : ready?.status !== "True"
      ? "not Ready"
      : undefined;
  return {
    name: node.metadata.name ?? "?",
    labels: (node.metadata.labels ?? {}) as Record<string, string>,
    ...(unschedulable ? { unschedulable } : {}),
    taints: node.spec?.taints ?? [],
    allocatable,
    used,
    ...(isolatedCpus !== undefined ? { isolatedCpus } : {}),
  };
}

function tolerates(d: Demand, taint: NodeFacts["taints"][number]): boolean {
  if (taint.effect === "PreferNoSchedule") return true;
  return d.tolerations.some(
    (t) =>
      (t.effect === undefined || t.effect === "" || t.effect === taint.effect) &&
      (t.operator === "Exists"
        ? t.key === undefined || t.key === "" || t.key === taint.key
        : t.key === taint.key && (t.value ?? "") === (taint.value ?? "")),
  );
}

export interface NodeFit {
  node: string;
  /** How many of the objects this node holds, and the resource that limits it. */
  holds: number;
  limitedBy?: string;
  free: Resources;
}

export interface FitPlan {
  demand: Demand;
  count: number;
  nodeSelector: Record<string, string>;
  nodes: NodeFit[];
  excluded: { node: string; why: string }[];
  /** How many fit on all target nodes together. */
  capacity: number;
  fits: boolean;
}

/**
 * How many of `count` identical objects fit on the nodes, given the selector the pod ends up
 * with (its own and its runtime class's).
 */
export function planFit(
  demand: Demand,
  count: number,
  nodes: NodeFacts[],
  runtimeClassSelector: Record<string, string> = {},
): FitPlan {
  const selector = { ...runtimeClassSelector, ...demand.nodeSelector };
  const excluded: FitPlan["excluded"] = [];
  const fits: NodeFit[] = [];
  for (const n of nodes) {
    const missing = Object.entries(selector).find(([k, v]) => n.labels[k] !== v);
    if (missing) continue; // not a target node: not worth listing
    if (n.unschedulable) {
      excluded.push({ node: n.name, why: n.unschedulable });
      continue;
    }
    const taint = n.taints.find(
      (t) => (t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerates(demand, t),
    );
    if (taint) {
      excluded.push({ node: n.name, why: `taint ${taint.key}:${taint.effect} not tolerated` });
      continue;
    }
    const free: Resources = {};
    let holds = Number.POSITIVE_INFINITY;
    let limitedBy: string | undefined;
    for (const [r, need] of Object.entries(demand.requests)) {
      if (need <= 0) continue;
      let alloc = n.allocatable[r] ?? 0;
      if (r === "cpu" && demand.exclusiveCpus && n.isolatedCpus !== undefined)
        alloc = Math.min(alloc, n.isolatedCpus * 1000);
      free[r] = Math.max(0, alloc - (n.used[r] ?? 0));
      const k = Math.floor(free[r] / need);
      if (k < holds) {
        holds = k;
        limitedBy = r;
      }
    }
    fits.push({
      node: n.name,
      holds: Number.isFinite(holds) ? holds : count,
      ...(limitedBy ? { limitedBy } : {}),
      free,
    });
  }
  const capacity = fits.reduce((s, f) => s + f.holds, 0);
  return { demand, count, nodeSelector: selector, nodes: fits, excluded, capacity, fits: capacity >= count };
}

/** A resource amount the way a user reads it. */
export function showAmount(resource: string, v: number): string {
  if (resource === "cpu") return v % 1000 === 0 ? `${v / 1000} CPUs` : `${v}m CPU`;
  if (resource === "memory" || resource.startsWith("hugepages-")) {
    const gi = v / 2 ** 30;
    const amount =
      gi >= 1 || v === 0 ? `${Number.isInteger(gi) ? gi : gi.toFixed(1)}Gi` : `${Math.round(v / 2 ** 20)}Mi`;
    return `${amount} ${resource === "memory" ? "memory" : resource}`;
  }
  return `${v} ${resource}`;
}
