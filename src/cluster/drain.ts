/**
 * Why a node's drain does not finish. The Machine Config Operator drains a node through the
 * eviction API and retries refused evictions for ever (after an hour it only raises an alert:
 * machine-config-operator pkg/controller/drain/drain_controller.go), so a blocked drain shows as a
 * rollout that never moves. The two usual blockers, and the object to change for each:
 * - a PodDisruptionBudget that allows no disruption selecting a pod on the node (the eviction
 *   API answers 429: kubernetes pkg/registry/core/pod/storage/eviction.go);
 * - a KubeVirt VM whose eviction strategy is LiveMigrate but that cannot move: KubeVirt's
 *   eviction webhook refuses to evict its virt-launcher pod and starts a live migration
 *   (kubevirt pkg/virt-api/webhooks/validating-webhook/admitters/pod-eviction-admitter.go); a VM
 *   that is not live-migratable, or whose migration target finds no other node (a VM pinned to the
 *   only tuned node by its runtime class), never leaves.
 * Pure: objects in, blockers out.
 */
import type { KubeObject } from "./kube.ts";
import { condition } from "./olm.ts";

export interface DrainBlocker {
  /** The object to change: kind, namespace, name. */
  kind: string;
  namespace: string;
  name: string;
  what: string;
  fix: string;
}

type Labels = Record<string, string>;

function selects(
  sel:
    | { matchLabels?: Labels; matchExpressions?: { key: string; operator: string; values?: string[] }[] }
    | undefined,
  labels: Labels = {},
): boolean {
  if (!sel) return false;
  return (
    Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
    (sel.matchExpressions ?? []).every((e) => {
      const v = labels[e.key];
      if (e.operator === "In") return v !== undefined && (e.values ?? []).includes(v);
      if (e.operator === "NotIn") return v === undefined || !(e.values ?? []).includes(v);
      if (e.operator === "Exists") return v !== undefined;
      if (e.operator === "DoesNotExist") return v === undefined;
      return false;
    })
  );
}

const active = (p: KubeObject) => !["Succeeded", "Failed"].includes(p.status?.phase);

/** Whether the MCO is draining this node: cordoned, Working, the drain it asked for not yet done. */
export function drainInProgress(node: KubeObject): boolean {
  const a = (node.metadata.annotations ?? {}) as Labels;
  const desired = a["machineconfiguration.openshift.io/desiredDrain"] ?? "";
  return (
    Boolean(node.spec?.unschedulable) &&
    a["machineconfiguration.openshift.io/state"] === "Working" &&
    desired.startsWith("drain-") &&
    desired !== a["machineconfiguration.openshift.io/lastAppliedDrain"]
  );
}

/**
 * The objects that keep `node` from draining: PDBs allowing no disruption over its pods, and VMs
 * with eviction strategy LiveMigrate that cannot migrate away. `pods` are all pods (any node).
 */
export function drainBlockers(
  node: string,
  pods: KubeObject[],
  pdbs: KubeObject[],
  vmis: KubeObject[],
  defaultEvictionStrategy?: string,
): DrainBlocker[] {
  const out: DrainBlocker[] = [];
  const onNode = pods.filter((p) => p.spec?.nodeName === node && active(p));
  for (const pdb of pdbs) {
    if ((pdb.status?.disruptionsAllowed ?? 1) > 0) continue;
    const hit = onNode.filter(
      (p) =>
        p.metadata.namespace === pdb.metadata.namespace &&
        selects(pdb.spec?.selector, p.metadata.labels as Labels),
    );
    // virt-launcher pods are KubeVirt's: the VM, not its budget, is the thing to change.
    if (hit.length === 0 || hit.every((p) => p.metadata.labels?.["kubevirt.io"] === "virt-launcher"))
      continue;
    const budget =
      pdb.spec?.minAvailable !== undefined
        ? `minAvailable ${pdb.spec.minAvailable}`
        : `maxUnavailable ${pdb.spec?.maxUnavailable}`;
    out.push({
      kind: "PodDisruptionBudget",
      namespace: pdb.metadata.namespace!,
      name: pdb.metadata.name!,
      what: `allows no disruption (${budget}, ${pdb.status?.currentHealthy ?? 0} healthy of ${pdb.status?.desiredHealthy ?? "?"} needed) and covers pod ${hit.map((p) => p.metadata.name).join(", ")} on ${node}: every eviction is refused`,
      fix: `let one pod go: scale its workload up so another replica runs elsewhere, lower ${budget.split(" ")[0]}, or delete the budget for the rollout (\`oc delete pdb -n ${pdb.metadata.namespace} ${pdb.metadata.name}\`) and re-create it after`,
    });
  }
  for (const vmi of vmis) {
    const launcher = onNode.find(
      (p) =>
        p.metadata.namespace === vmi.metadata.namespace &&
        p.metadata.labels?.["kubevirt.io"] === "virt-launcher" &&
        p.metadata.annotations?.["kubevirt.io/domain"] === vmi.metadata.name,
    );
    if (!launcher) continue;
    const strategy = vmi.spec?.evictionStrategy ?? vmi.status?.evictionStrategy ?? defaultEvictionStrategy;
    if (strategy !== "LiveMigrate") continue;
    const migratable = condition(vmi, "LiveMigratable");
    const target = pods.find(
      (p) =>
        p.metadata.namespace === vmi.metadata.namespace &&
        p.metadata.annotations?.["kubevirt.io/domain"] === vmi.metadata.name &&
        p.metadata.labels?.["kubevirt.io/migrationJobUID"] &&
        active(p) &&
        !p.spec?.nodeName,
    );
    let why: string | undefined;
    if (migratable?.status === "False")
      why = `it is not live-migratable (${migratable.reason}${migratable.message ? `: ${migratable.message}` : ""})`;
    else if (target) {
      const sched = condition(target, "PodScheduled");
      why = `its live migration cannot start: the migration target pod ${target.metadata.name} is Pending${sched?.message ? ` (${sched.message})` : ""}`;
    }
    if (!why) continue;
    const vm = (vmi.metadata.ownerReferences as { kind: string; name: string }[] | undefined)?.find(
      (o) => o.kind === "VirtualMachine",
    );
    out.push({
      kind: vm ? "VirtualMachine" : "VirtualMachineInstance",
      namespace: vmi.metadata.namespace!,
      name: vm?.name ?? vmi.metadata.name!,
      what: `runs on ${node} with evictionStrategy LiveMigrate${vmi.spec?.evictionStrategy ? "" : " (the cluster's default)"}, but ${why}: KubeVirt refuses to evict it, so the drain never ends`,
      fix: vm
        ? `set spec.template.spec.evictionStrategy: None on VirtualMachine ${vmi.metadata.namespace}/${vm.name} (the VM is then shut down for the reboot), or stop it for the rollout (\`virtctl stop ${vm.name} -n ${vmi.metadata.namespace}\`); the workshop's VMs use None`
        : `delete VirtualMachineInstance ${vmi.metadata.namespace}/${vmi.metadata.name} or give it evictionStrategy: None`,
    });
  }
  return out;
}
