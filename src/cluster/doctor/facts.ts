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

/** Reads every fact the checks need; API groups not served read as empty. */
export async function gatherFacts(kube: Kube, now: Date = new Date()): Promise<ClusterFacts> {
  const list = (apiVersion: string, kind: string) => kube.list(apiVersion, kind);
  const unreadable: string[] = [];
  // Read by the newer checks only: a user who may not list them still gets every other check.
  const tolerant = (apiVersion: string, kind: string, namespace?: string) =>
    kube.list(apiVersion, kind, namespace ? { namespace } : {}).catch((e: unknown) => {
      unreadable.push(`${kind} (${(e as Error).message.split("\n")[0]})`);
      return [];
    });
  const [
    clusterVersion,
    infrastructure,
    nodes,
    subscriptions,
    csvs,
    applications,
    performanceProfiles,
    runtimeClasses,
    pools,
    hyperConverged,
    sriovNodeStates,
    sriovPolicies,
    networkAttachments,
    virtualMachines,
    virtualMachineInstances,
    argoCds,
    routes,
    clusterRoleBindings,
  ] = await Promise.all([
    kube.get("config.openshift.io/v1", "ClusterVersion", "version"),
    kube.get("config.openshift.io/v1", "Infrastructure", "cluster"),
    list("v1", "Node"),
    list("operators.coreos.com/v1alpha1", "Subscription"),
    list("operators.coreos.com/v1alpha1", "ClusterServiceVersion"),
    list("argoproj.io/v1alpha1", "Application"),
    list("performance.openshift.io/v2", "PerformanceProfile"),
    list("node.k8s.io/v1", "RuntimeClass"),
    list("machineconfiguration.openshift.io/v1", "MachineConfigPool"),
    list("hco.kubevirt.io/v1beta1", "HyperConverged"),
    list("sriovnetwork.openshift.io/v1", "SriovNetworkNodeState"),
    list("sriovnetwork.openshift.io/v1", "SriovNetworkNodePolicy"),
    list("k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition"),
    tolerant("kubevirt.io/v1", "VirtualMachine"),
    tolerant("kubevirt.io/v1", "VirtualMachineInstance"),
    tolerant("argoproj.io/v1beta1", "ArgoCD"),
    tolerant("route.openshift.io/v1", "Route", "openshift-gitops"),
    tolerant("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
  ]);
  return {
    ...(clusterVersion ? { clusterVersion } : {}),
    ...(infrastructure ? { infrastructure } : {}),
    nodes,
    subscriptions,
    csvs,
    applications,
    performanceProfiles,
    runtimeClasses,
    pools,
    hyperConverged,
    sriovNodeStates,
    sriovPolicies,
    networkAttachments,
    virtualMachines,
    virtualMachineInstances,
    argoCds,
    routes,
    clusterRoleBindings,
    unreadable,
    now,
  };
}
