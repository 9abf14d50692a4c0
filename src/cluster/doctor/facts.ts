/**
 * The cluster facts `llw doctor` checks, read in one pass. Kinds the cluster does not serve
 * (an operator not installed) read as empty lists and are recorded in `missingApis`.
 */
import type { Kube, KubeObject } from "../kube.ts";

export interface NodeProbe {
  node: string;
  /** /proc/cmdline of the host. */
  cmdline?: string;
  /** /sys/devices/system/cpu/isolated. */
  isolated?: string;
  /** /sys/devices/system/cpu/present: every CPU of the node (what systemd.cpu_affinity is the rest of). */
  present?: string;
  /** Why the probe could not run. */
  error?: string;
}

/** One ENI of the data network stack against where the stack wants it (llw aws network status). */
export interface DataNetworkInterface {
  networkInterfaceId: string;
  /** The worker the stack attaches it to, and at which device index. */
  instanceId: string;
  deviceIndex: number;
  /** attached, attaching, detached, elsewhere, missing, instance-gone. */
  state: string;
  /** Where it is attached now, as EC2 says. */
  attachment: string;
}

/** What AWS says about the data network (Module 4's stack), when doctor read it. */
export type DataNetworkFacts =
  | { stackName: string; status: string; interfaces: DataNetworkInterface[] }
  | { stackName: string; missing: true }
  | { error: string; next?: string };

export interface ClusterFacts {
  clusterVersion?: KubeObject;
  infrastructure?: KubeObject;
  nodes: KubeObject[];
  subscriptions: KubeObject[];
  csvs: KubeObject[];
  applications: KubeObject[];
  performanceProfiles: KubeObject[];
  runtimeClasses: KubeObject[];
  pools: KubeObject[];
  hyperConverged: KubeObject[];
  sriovNodeStates: KubeObject[];
  sriovPolicies: KubeObject[];
  networkAttachments: KubeObject[];
  virtualMachines: KubeObject[];
  virtualMachineInstances: KubeObject[];
  argoCds: KubeObject[];
  /** Routes of the openshift-gitops namespace (Argo CD's). */
  routes: KubeObject[];
  clusterRoleBindings: KubeObject[];
  /** Lists the user may not read (RBAC): the checks that need them say so instead of guessing. */
  unreadable: string[];
  /** When the facts were read (the day image support is evaluated on). */
  now: Date;
  /** Undefined when node access was skipped (--no-node-access). */
  probes?: NodeProbe[];
  /** Undefined when AWS was not read (--no-aws). */
  dataNetwork?: DataNetworkFacts;
}

type ListField = {
  [K in keyof ClusterFacts]-?: ClusterFacts[K] extends KubeObject[] ? K : never;
}[keyof ClusterFacts];

interface ListSource {
  apiVersion: string;
  kind: string;
  namespace?: string;
  /** Read by the newer checks only: a user who may not list them still gets every other check. */
  tolerant?: true;
}

/** Where each list of the facts is read from, in the order they are asked for. */
const LISTS: Record<ListField, ListSource> = {
  nodes: { apiVersion: "v1", kind: "Node" },
  subscriptions: { apiVersion: "operators.coreos.com/v1alpha1", kind: "Subscription" },
  csvs: { apiVersion: "operators.coreos.com/v1alpha1", kind: "ClusterServiceVersion" },
  applications: { apiVersion: "argoproj.io/v1alpha1", kind: "Application" },
  performanceProfiles: { apiVersion: "performance.openshift.io/v2", kind: "PerformanceProfile" },
  runtimeClasses: { apiVersion: "node.k8s.io/v1", kind: "RuntimeClass" },
  pools: { apiVersion: "machineconfiguration.openshift.io/v1", kind: "MachineConfigPool" },
  hyperConverged: { apiVersion: "hco.kubevirt.io/v1beta1", kind: "HyperConverged" },
  sriovNodeStates: { apiVersion: "sriovnetwork.openshift.io/v1", kind: "SriovNetworkNodeState" },
  sriovPolicies: { apiVersion: "sriovnetwork.openshift.io/v1", kind: "SriovNetworkNodePolicy" },
  networkAttachments: { apiVersion: "k8s.cni.cncf.io/v1", kind: "NetworkAttachmentDefinition" },
  virtualMachines: { apiVersion: "kubevirt.io/v1", kind: "VirtualMachine", tolerant: true },
  virtualMachineInstances: { apiVersion: "kubevirt.io/v1", kind: "VirtualMachineInstance", tolerant: true },
  argoCds: { apiVersion: "argoproj.io/v1beta1", kind: "ArgoCD", tolerant: true },
  routes: {
    apiVersion: "route.openshift.io/v1",
    kind: "Route",
    namespace: "openshift-gitops",
    tolerant: true,
  },
  clusterRoleBindings: {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    tolerant: true,
  },
};

/** Reads every fact the checks need; API groups not served read as empty. */
export async function gatherFacts(kube: Kube, now: Date = new Date()): Promise<ClusterFacts> {
  const unreadable: string[] = [];
  const read = ({ apiVersion, kind, namespace, tolerant }: ListSource): Promise<KubeObject[]> => {
    const items = kube.list(apiVersion, kind, namespace ? { namespace } : {});
    if (!tolerant) return items;
    return items.catch((e: unknown) => {
      unreadable.push(`${kind} (${(e as Error).message.split("\n")[0]})`);
      return [];
    });
  };
  const fields = Object.keys(LISTS) as ListField[];
  const [clusterVersion, infrastructure, ...lists] = await Promise.all([
    kube.get("config.openshift.io/v1", "ClusterVersion", "version"),
    kube.get("config.openshift.io/v1", "Infrastructure", "cluster"),
    ...fields.map((f) => read(LISTS[f])),
  ]);
  return {
    ...(clusterVersion ? { clusterVersion } : {}),
    ...(infrastructure ? { infrastructure } : {}),
    ...(Object.fromEntries(fields.map((f, i) => [f, lists[i]])) as Record<ListField, KubeObject[]>),
    unreadable,
    now,
  };
}
