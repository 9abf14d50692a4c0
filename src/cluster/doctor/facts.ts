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
  /** Undefined when node access was skipped (--no-node-access). */
  probes?: NodeProbe[];
}

/** Reads every fact the checks need; API groups not served read as empty. */
export async function gatherFacts(kube: Kube): Promise<ClusterFacts> {
  const list = (apiVersion: string, kind: string) => kube.list(apiVersion, kind);
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
  };
}
