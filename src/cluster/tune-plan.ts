/**
 * Planning a tuning change set as one MachineConfigPool rollout. Pure: objects and cluster
 * state in, a plan out.
 *
 * A PerformanceProfile, a MachineConfig, a KubeletConfig, a Tuned with a bootloader section or
 * an SR-IOV node policy each make the Machine Config Operator render a new config for the
 * pools they select; an unpaused pool then drains and reboots every node. Applied one by one,
 * the workshop tuning (profile, hugepages, SR-IOV) reboots each metal node up to three times.
 * Paused while everything is applied and unpaused once, it reboots each node once.
 */
import type { KubeObject } from "./kube.ts";
import { condition } from "./olm.ts";

export const MCP = "machineconfiguration.openshift.io/v1";
export const PAUSED_BY = "llw.openshift.io/paused-by";

/** Kinds whose change rolls the pools they select. */
export const ROLLING_KINDS = new Set([
  "PerformanceProfile",
  "MachineConfig",
  "KubeletConfig",
  "ContainerRuntimeConfig",
  "Tuned",
  "SriovNetworkNodePolicy",
]);

export type ChangeAction = "create" | "update" | "unchanged";

export interface PlannedChange {
  object: KubeObject;
  action: ChangeAction;
  /** Pools this object makes roll when it changes. */
  rolls: string[];
}

export interface PoolState {
  name: string;
  paused: boolean;
  pausedByLlw: boolean;
  machineCount: number;
  updated: number;
  degraded: boolean;
  degradedReason?: string;
  updating: boolean;
  /** Being created by this change set. */
  isNew: boolean;
}

export interface TuningPlan {
  /** Pool objects from the change set, applied first (new ones created paused). */
  poolObjects: PlannedChange[];
  /** Everything else, applied while the pools are paused. */
  changes: PlannedChange[];
  /** Pools to pause, then unpause once and follow. */
  pools: PoolState[];
  /** Reboots expected: one per node of each rolled pool. */
  expectedReboots: number;
  /** Reasons to refuse (degraded pool, object selecting no pool). */
  refusals: string[];
  /** Things worth saying that do not stop the run. */
  notes: string[];
}

type Labels = Record<string, string>;

interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function selectorMatches(sel: LabelSelector | undefined, labels: Labels = {}): boolean {
  if (!sel) return false;
  const ml = Object.entries(sel.matchLabels ?? {});
  const me = sel.matchExpressions ?? [];
  if (ml.length === 0 && me.length === 0) return false;
  return (
    ml.every(([k, v]) => labels[k] === v) &&
    me.every((e) => {
      const has = e.key in labels;
      const v = labels[e.key];
      if (e.operator === "In") return has && (e.values ?? []).includes(v!);
      if (e.operator === "NotIn") return !has || !(e.values ?? []).includes(v!);
      if (e.operator === "Exists") return has;
      if (e.operator === "DoesNotExist") return !has;
      return false;
    })
  );
}

function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === null || typeof desired !== "object")
    return JSON.stringify(desired) === JSON.stringify(live);
  if (Array.isArray(desired)) return JSON.stringify(desired) === JSON.stringify(live);
  if (live === null || typeof live !== "object" || Array.isArray(live)) return false;
  return Object.entries(desired as Record<string, unknown>).every(([k, v]) =>
    isSubset(v, (live as Record<string, unknown>)[k]),
  );
}

/** Whether applying `desired` would change `live` (labels, annotations and every top-level field but status). */
export function changeAction(desired: KubeObject, live: KubeObject | undefined): ChangeAction {
  if (!live) return "create";
  const { metadata, status: _s, apiVersion: _a, kind: _k, ...body } = desired;
  const metaSame =
    isSubset(metadata.labels ?? {}, live.metadata.labels ?? {}) &&
    isSubset(metadata.annotations ?? {}, live.metadata.annotations ?? {});
  return metaSame && isSubset(body, live) ? "unchanged" : "update";
}

/** Nodes a selector-by-node-labels object reaches, and the pools those nodes belong to. */
function poolsOfNodes(nodeSelector: Labels | undefined, nodes: KubeObject[], pools: KubeObject[]): string[] {
  if (!nodeSelector || Object.keys(nodeSelector).length === 0) return [];
  const reached = nodes.filter((n) =>
    Object.entries(nodeSelector).every(([k, v]) => n.metadata.labels?.[k] === v),
  );
  const names = new Set<string>();
  for (const n of reached) {
    // A node in a custom pool (worker-rt) is also labelled worker; the custom pool wins, as in the MCO.
    const matching = pools.filter((p) => selectorMatches(p.spec?.nodeSelector, n.metadata.labels));
    const custom = matching.filter((p) => p.metadata.name !== "worker");
    for (const p of custom.length > 0 ? custom : matching) names.add(p.metadata.name!);
  }
  // A pool whose own nodeSelector equals the object's selector, even with no node yet.
  const same = (a: Labels, b: Labels) => isSubset(a, b) && isSubset(b, a);
  for (const p of pools) {
    const ml = p.spec?.nodeSelector?.matchLabels as Labels | undefined;
    if (ml && same(ml, nodeSelector)) names.add(p.metadata.name!);
  }
  return [...names].sort();
}

/** The pools an object makes roll (empty for objects that do not touch node configuration). */
export function poolsRolledBy(obj: KubeObject, pools: KubeObject[], nodes: KubeObject[]): string[] {
  if (!ROLLING_KINDS.has(obj.kind)) return [];
  const byPoolLabels = (sel: LabelSelector | Labels | undefined) => {
    if (!sel) return [];
    const s: LabelSelector =
      "matchLabels" in sel || "matchExpressions" in sel
        ? (sel as LabelSelector)
        : { matchLabels: sel as Labels };
    return pools.filter((p) => selectorMatches(s, p.metadata.labels)).map((p) => p.metadata.name!);
  };
  switch (obj.kind) {
    case "PerformanceProfile": {
      const viaPool = byPoolLabels(obj.spec?.machineConfigPoolSelector);
      return (viaPool.length > 0 ? viaPool : poolsOfNodes(obj.spec?.nodeSelector, nodes, pools)).sort();
    }
    case "KubeletConfig":
    case "ContainerRuntimeConfig":
      return byPoolLabels(obj.spec?.machineConfigPoolSelector).sort();
    case "MachineConfig":
      return pools
        .filter((p) => selectorMatches(p.spec?.machineConfigSelector, obj.metadata.labels))
        .map((p) => p.metadata.name!)
        .sort();
    case "SriovNetworkNodePolicy":
      return poolsOfNodes(obj.spec?.nodeSelector, nodes, pools);
    case "Tuned": {
      // Only a Tuned with a bootloader section (kernel arguments) needs a reboot.
      const profiles: { data?: string }[] = obj.spec?.profile ?? [];
      if (!profiles.some((p) => /\[bootloader\]/.test(p.data ?? ""))) return [];
      const recs: { machineConfigLabels?: Labels }[] = obj.spec?.recommend ?? [];
      return [
        ...new Set(
          recs.flatMap((r) =>
            byPoolLabels(r.machineConfigLabels ? { matchLabels: r.machineConfigLabels } : undefined),
          ),
        ),
      ].sort();
    }
    default:
      return [];
  }
}

export function poolState(p: KubeObject, isNew = false): PoolState {
  const degraded = condition(p, "Degraded");
  const nodeDegraded = condition(p, "NodeDegraded");
  const renderDegraded = condition(p, "RenderDegraded");
  const bad = [degraded, nodeDegraded, renderDegraded].find((c) => c?.status === "True");
  return {
    name: p.metadata.name!,
    paused: Boolean(p.spec?.paused),
    pausedByLlw: p.metadata.annotations?.[PAUSED_BY] === "llw",
    machineCount: p.status?.machineCount ?? 0,
    updated: p.status?.updatedMachineCount ?? 0,
    degraded: Boolean(bad) || (p.status?.degradedMachineCount ?? 0) > 0,
    ...(bad ? { degradedReason: `${bad.type}: ${bad.message || bad.reason || "no message"}` } : {}),
    updating: condition(p, "Updating")?.status === "True",
    isNew,
  };
}

/** Plans the change set against the live objects, pools and nodes. */
export function planTuning(
  objects: KubeObject[],
  live: (o: KubeObject) => KubeObject | undefined,
  livePools: KubeObject[],
  nodes: KubeObject[],
): TuningPlan {
  const poolObjs = objects.filter((o) => o.kind === "MachineConfigPool");
  const others = objects.filter((o) => o.kind !== "MachineConfigPool");
  const allPools = [
    ...livePools.filter((p) => !poolObjs.some((q) => q.metadata.name === p.metadata.name)),
    ...poolObjs.map((q) => ({ ...(livePools.find((p) => p.metadata.name === q.metadata.name) ?? {}), ...q })),
  ] as KubeObject[];
  const poolObjects = poolObjs.map((o) => ({ object: o, action: changeAction(o, live(o)), rolls: [] }));
  const changes = others.map((o) => {
    const action = changeAction(o, live(o));
    return { object: o, action, rolls: poolsRolledBy(o, allPools, nodes) };
  });
  const refusals: string[] = [];
  const notes: string[] = [];
  for (const c of changes) {
    if (ROLLING_KINDS.has(c.object.kind) && c.rolls.length === 0 && c.object.kind !== "Tuned") {
      notes.push(
        `${c.object.kind} ${c.object.metadata.name} selects no MachineConfigPool (no node carries its selector yet): it will not roll anything`,
      );
    }
  }
  const rolled = [...new Set(changes.filter((c) => c.action !== "unchanged").flatMap((c) => c.rolls))].sort();
  const pools = rolled.map((name) => {
    const livePool = livePools.find((p) => p.metadata.name === name);
    return livePool ? poolState(livePool) : poolState(allPools.find((p) => p.metadata.name === name)!, true);
  });
  for (const p of pools) {
    if (p.degraded)
      refusals.push(
        `MachineConfigPool ${p.name} is degraded (${p.degradedReason ?? `${p.machineCount - p.updated} machine(s) degraded`})`,
      );
    if (p.paused && !p.pausedByLlw)
      notes.push(
        `MachineConfigPool ${p.name} was already paused by someone else: llw pauses it, applies, and unpauses it`,
      );
    if (p.updating && !p.pausedByLlw)
      notes.push(
        `MachineConfigPool ${p.name} is still rolling out a previous change: llw waits for it first`,
      );
  }
  // A pool takes one PerformanceProfile: two selecting it make the Node Tuning Operator degrade.
  const profilesByPool = new Map<string, string[]>();
  for (const c of changes.filter((x) => x.object.kind === "PerformanceProfile")) {
    for (const pool of c.rolls)
      profilesByPool.set(pool, [...(profilesByPool.get(pool) ?? []), c.object.metadata.name!]);
  }
  for (const [pool, names] of profilesByPool) {
    if (names.length > 1)
      refusals.push(
        `PerformanceProfiles ${names.join(", ")} all select MachineConfigPool ${pool}: a pool takes exactly one profile (apply only the one for your instance type)`,
      );
  }
  for (const p of pools) {
    if (p.isNew && nodesIn(p.name, allPools, nodes) === 0)
      notes.push(
        `MachineConfigPool ${p.name} selects no node yet: label the metal workers (\`oc label node <name> node-role.kubernetes.io/${p.name}=""\`) to move them into it`,
      );
  }
  const expectedReboots = pools.reduce(
    (n, p) => n + (p.isNew ? nodesIn(p.name, allPools, nodes) : p.machineCount),
    0,
  );
  return { poolObjects, changes, pools, expectedReboots, refusals, notes };
}

function nodesIn(pool: string, pools: KubeObject[], nodes: KubeObject[]): number {
  const p = pools.find((x) => x.metadata.name === pool);
  return nodes.filter((n) => selectorMatches(p?.spec?.nodeSelector, n.metadata.labels)).length;
}

/** Per-node rollout facts from the MCO's node annotations. */
export interface NodeRollout {
  name: string;
  currentConfig: string;
  desiredConfig: string;
  state: string;
  reason?: string;
}

export function nodeRollout(n: KubeObject): NodeRollout {
  const a = n.metadata.annotations ?? {};
  return {
    name: n.metadata.name!,
    currentConfig: a["machineconfiguration.openshift.io/currentConfig"] ?? "",
    desiredConfig: a["machineconfiguration.openshift.io/desiredConfig"] ?? "",
    state: a["machineconfiguration.openshift.io/state"] ?? "",
    ...(a["machineconfiguration.openshift.io/reason"]
      ? { reason: a["machineconfiguration.openshift.io/reason"] }
      : {}),
  };
}

export interface RolloutEvent {
  node: string;
  kind: "rebooting" | "updated" | "degraded";
  detail: string;
}

/** What changed between two polls of a pool's nodes: reboots started, nodes done, nodes degraded. */
export function diffRollout(before: NodeRollout[], after: NodeRollout[]): RolloutEvent[] {
  const events: RolloutEvent[] = [];
  for (const a of after) {
    const b = before.find((x) => x.name === a.name);
    if (a.state === "Working" && b?.state !== "Working")
      events.push({
        node: a.name,
        kind: "rebooting",
        detail: `updating to ${a.desiredConfig} (drain, reboot)`,
      });
    if (b && b.currentConfig !== a.currentConfig && a.state === "Done")
      events.push({ node: a.name, kind: "updated", detail: `now on ${a.currentConfig}` });
    else if (b && b.state === "Working" && a.state === "Done")
      events.push({ node: a.name, kind: "updated", detail: `now on ${a.currentConfig}` });
    if (a.state === "Degraded" && b?.state !== "Degraded")
      events.push({ node: a.name, kind: "degraded", detail: a.reason ?? "no reason given" });
  }
  return events;
}

/** A pool is done when it is Updated on its target config with every machine updated. */
export function poolDone(p: KubeObject): boolean {
  return (
    condition(p, "Updated")?.status === "True" &&
    (p.status?.updatedMachineCount ?? -1) === (p.status?.machineCount ?? -2) &&
    (p.status?.configuration?.name ?? "") === (p.spec?.configuration?.name ?? "")
  );
}
