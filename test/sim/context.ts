/**
 * What every simulated controller shares: the API server, the timings (simulated milliseconds,
 * each the delay a real cluster shows, divided by the speed at run time) and counters that
 * tests, benchmarks and the CLI read.
 */
import type { ApiServer, Obj } from "./apiserver.ts";

export interface Timing {
  /** kube-controller-manager's serviceaccounts-controller creating `default` in a new namespace. */
  serviceAccount: number;
  /** kube-scheduler: one scheduling attempt after a pod appears or the cluster changes. */
  schedule: number;
  /** kubelet: image pull and container start. */
  containerStart: number;
  /** MCO render controller: renderDelay (machine-config-operator pkg/controller/render/render_controller.go). */
  render: number;
  /** NTO performance profile controller writing its MachineConfig, KubeletConfig, Tuned, RuntimeClass. */
  nto: number;
  /**
   * MCO kubelet-config controller turning a KubeletConfig into 99-<pool>-generated-kubelet. Longer
   * than render + a poll of llw: NTO's MachineConfig is rendered on its own first, the kubelet
   * settings a render later (the two-step render a tuning change shows on a real cluster).
   */
  kubeletConfig: number;
  /** MCO node controller resync. */
  nodeSync: number;
  /** kubectl drain helper's retry of a refused eviction (machine-config-operator drain controller). */
  drainRetry: number;
  /** Pod termination grace. */
  podTermination: number;
  /** Machine config daemon: write files, reboot, kubelet back Ready. */
  reboot: number;
  /** OLM catalog operator resolving a Subscription. */
  olmResolve: number;
  /** OLM olm-operator taking a CSV from Installing to Succeeded. */
  olmInstall: number;
  /**
   * An operator's first reconcile after its CSV Succeeded (its operands appear only then). Nothing
   * orders it before a client's next requests; the simulation takes the order a client must
   * survive: later than a client that acts right after Succeeded (and waits for its CRDs).
   */
  operatorStart: number;
  /** SR-IOV operator: policy to node state, config daemon sync. */
  sriovSync: number;
  /** KubeVirt: VMI to Running once its virt-launcher pod runs. */
  vmStart: number;
  /** KubeVirt: a live migration once its target pod runs. */
  migration: number;
  /** Argo CD: one sync step of an Application. */
  argoSync: number;
  /** kube-controller-manager's garbage collector and namespace controller: one pass. */
  gc: number;
  /** Machine API: an EC2 instance from RunInstances to its node Ready (metal: 10 to 20 minutes). */
  machineProvision: number;
  /** Machine API: terminating an instance once its node is drained. */
  machineDelete: number;
}

/** Delays of a real cluster, in simulated milliseconds. */
export const REAL_TIMING: Timing = {
  serviceAccount: 1500,
  schedule: 200,
  containerStart: 3000,
  render: 5000,
  nto: 1000,
  kubeletConfig: 20_000,
  nodeSync: 2000,
  drainRetry: 5000,
  podTermination: 2000,
  reboot: 90_000,
  olmResolve: 3000,
  olmInstall: 20_000,
  operatorStart: 30_000,
  sriovSync: 5000,
  vmStart: 15_000,
  migration: 20_000,
  argoSync: 5000,
  gc: 1000,
  machineProvision: 15 * 60_000,
  machineDelete: 60_000,
};

export interface Stats {
  renders: number;
  /** Rollouts started: a pool going from Updated to Updating. */
  rollouts: number;
  reboots: number;
  drains: number;
  evictionsRefused: number;
  /** What happened, in order ("render rendered-worker-1a2b (pool worker)"). */
  log: string[];
}

/** A validating admission webhook on pods/eviction: a response refuses the eviction. */
export type EvictionWebhook = (pod: Obj) => { code: number; body: Obj } | undefined;

export interface Ctx {
  api: ApiServer;
  evictionWebhooks: EvictionWebhook[];
  timing: Timing;
  stats: Stats;
  /** OpenShift minor version ("4.19"). */
  ocpMinor: string;
}

export function newStats(): Stats {
  return { renders: 0, rollouts: 0, reboots: 0, drains: 0, evictionsRefused: 0, log: [] };
}

type Labels = Record<string, string>;
export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** metav1.LabelSelector semantics; an empty selector matches everything. */
export function selects(sel: LabelSelector | undefined, labels: Labels = {}): boolean {
  if (!sel) return false;
  return (
    Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
    (sel.matchExpressions ?? []).every((e) => {
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

/** A plain map selector (nodeSelector): every key/value present. */
export function mapSelects(sel: Labels | undefined, labels: Labels = {}): boolean {
  return Object.entries(sel ?? {}).every(([k, v]) => labels[k] === v);
}

export function setCondition(conds: Obj[] | undefined, c: Obj): Obj[] {
  const out = (conds ?? []).filter((x) => x.type !== c.type);
  const prev = (conds ?? []).find((x) => x.type === c.type);
  out.push({
    ...c,
    lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : new Date().toISOString(),
  });
  return out;
}

export function conditionOf(o: Obj | undefined, type: string): Obj | undefined {
  return (o?.status?.conditions ?? []).find((c: Obj) => c.type === type);
}
