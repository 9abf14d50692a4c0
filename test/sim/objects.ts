/**
 * Object builders for the simulated cluster, shaped like objects read from a real OpenShift
 * 4.19+ cluster on AWS: Nodes sized from the workshop's catalog of EC2 metal types, pools,
 * CSVs, conditions.
 */
import { getInstanceType } from "../../src/topology/catalog.ts";
import type { Obj } from "./apiserver.ts";

const CONDITION_TIME = "2026-11-20T10:00:00Z";

export function cond(
  type: string,
  status: "True" | "False" | "Unknown",
  reason = "AsExpected",
  message = "",
): Obj {
  return { type, status, reason, message, lastTransitionTime: CONDITION_TIME };
}

export const KI = 1024;
export const GI_KI = 1024 * 1024;

/**
 * Memory the kernel reports on these hosts: firmware and kernel keep about 2.75% of the nominal
 * size (a c5.metal, nominally 192 GiB, reports 195784364Ki in `oc get node -o yaml`).
 */
export function memoryCapacityKi(memoryGiB: number): number {
  return Math.round(memoryGiB * GI_KI * 0.9725);
}

/** Control-plane instance types (not in the metal catalog): AWS EC2 instance type specifications. */
const CONTROL_PLANE_TYPES: Record<string, { vcpus: number; memoryGiB: number }> = {
  "m6i.xlarge": { vcpus: 4, memoryGiB: 16 },
  "m6i.2xlarge": { vcpus: 8, memoryGiB: 32 },
};

/** What a node's kubelet reports, untuned or with a PerformanceProfile's kubelet settings. */
export interface NodeResources {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
}

/**
 * Untuned OpenShift reserves 500m CPU and 1Gi memory for the system and evicts below 100Mi
 * (machine-config-operator templates/worker/01-worker-kubelet/_base/files/kubelet.yaml:
 * systemReserved cpu 500m, memory 1Gi; evictionHard memory.available 100Mi). A PerformanceProfile
 * gives the kubelet reservedSystemCPUs = the reserved set, kube- and system-reserved memory
 * 500Mi each and the same eviction threshold (cluster-node-tuning-operator release-4.19
 * pkg/performanceprofile/controller/performanceprofile/components/kubeletconfig/kubeletconfig.go);
 * hugepages are taken out of memory.
 */
export function nodeResources(
  instanceType: string,
  tuning?: { reservedCpus: number; offlinedCpus?: number; hugepages1Gi?: number; hugepages2Mi?: number },
  extra: Record<string, string> = {},
): NodeResources {
  const t = CONTROL_PLANE_TYPES[instanceType] ?? getInstanceType(instanceType);
  const memKi = memoryCapacityKi(t.memoryGiB);
  const online = t.vcpus - (tuning?.offlinedCpus ?? 0);
  const huge1 = tuning?.hugepages1Gi ?? 0;
  const huge2 = tuning?.hugepages2Mi ?? 0;
  const hugeKi = huge1 * GI_KI + huge2 * 2 * KI;
  const capacity = {
    cpu: String(online),
    memory: `${memKi}Ki`,
    pods: "250",
    "ephemeral-storage": "125293548Ki",
    "hugepages-1Gi": huge1 ? `${huge1}Gi` : "0",
    "hugepages-2Mi": huge2 ? `${huge2 * 2}Mi` : "0",
    ...extra,
  };
  const reservedMemKi = tuning ? 1100 * KI : 1124 * KI;
  const allocatable = {
    ...capacity,
    cpu: tuning ? String(online - tuning.reservedCpus) : `${online * 1000 - 500}m`,
    memory: `${memKi - hugeKi - reservedMemKi}Ki`,
    "ephemeral-storage": "115470533646",
  };
  return { capacity, allocatable };
}

export interface NodeSpec {
  name: string;
  roles: string[];
  instanceType: string;
  zone?: string;
  /** Rendered config the node runs (set by the scenario after the first render). */
  config?: string;
  resources?: NodeResources;
}

export function node(n: NodeSpec): Obj {
  const zone = n.zone ?? "us-east-2a";
  const master = n.roles.includes("master");
  const res = n.resources ?? nodeResources(n.instanceType);
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: n.name,
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": n.name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": n.instanceType,
        "node.openshift.io/os_id": "rhcos",
        "topology.kubernetes.io/region": zone.slice(0, -1),
        "topology.kubernetes.io/zone": zone,
        ...Object.fromEntries(n.roles.map((r) => [`node-role.kubernetes.io/${r}`, ""])),
      },
      annotations: {
        "machineconfiguration.openshift.io/currentConfig": n.config ?? "",
        "machineconfiguration.openshift.io/desiredConfig": n.config ?? "",
        "machineconfiguration.openshift.io/state": "Done",
        "machineconfiguration.openshift.io/reason": "",
      },
    },
    spec: {
      providerID: `aws:///${zone}/i-0${Buffer.from(n.name).toString("hex").slice(-16)}`,
      ...(master ? { taints: [{ key: "node-role.kubernetes.io/master", effect: "NoSchedule" }] } : {}),
    },
    status: {
      capacity: res.capacity,
      allocatable: res.allocatable,
      conditions: [
        cond(
          "MemoryPressure",
          "False",
          "KubeletHasSufficientMemory",
          "kubelet has sufficient memory available",
        ),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
      ],
      addresses: [
        { type: "InternalIP", address: n.name.replace(/^ip-(\d+)-(\d+)-(\d+)-(\d+).*/, "$1.$2.$3.$4") },
        { type: "Hostname", address: n.name },
      ],
      nodeInfo: {
        architecture: "amd64",
        kernelVersion: "5.14.0-427.50.1.el9_4.x86_64",
        osImage: "Red Hat Enterprise Linux CoreOS 9.4",
        operatingSystem: "linux",
        kubeletVersion: "v1.32.5",
        containerRuntimeVersion: "cri-o://1.32.5",
      },
    },
  };
}

/** A MachineConfigPool as the installer creates master/worker and the workshop creates worker-rt. */
export function pool(name: string, o: { roles?: string[]; nodeRole?: string } = {}): Obj {
  const roles = o.roles ?? [name];
  return {
    apiVersion: "machineconfiguration.openshift.io/v1",
    kind: "MachineConfigPool",
    metadata: {
      name,
      labels: {
        [`pools.operator.machineconfiguration.openshift.io/${name}`]: "",
        ...(name === "master" || name === "worker"
          ? { "operator.machineconfiguration.openshift.io/required-for-upgrade": "" }
          : {}),
      },
    },
    spec: {
      paused: false,
      maxUnavailable: 1,
      machineConfigSelector:
        roles.length === 1
          ? { matchLabels: { "machineconfiguration.openshift.io/role": roles[0] } }
          : {
              matchExpressions: [
                { key: "machineconfiguration.openshift.io/role", operator: "In", values: roles },
              ],
            },
      nodeSelector: { matchLabels: { [`node-role.kubernetes.io/${o.nodeRole ?? name}`]: "" } },
    },
  };
}

/** The base MachineConfigs the installer and the MCO's template controller create per role. */
export function baseMachineConfigs(role: "master" | "worker"): Obj[] {
  const mc = (name: string, extra: Obj = {}) => ({
    apiVersion: "machineconfiguration.openshift.io/v1",
    kind: "MachineConfig",
    metadata: {
      name,
      labels: { "machineconfiguration.openshift.io/role": role },
      annotations: { "machineconfiguration.openshift.io/generated-by-controller-version": "sim" },
    },
    spec: {
      config: {
        ignition: { version: "3.4.0" },
        storage: {
          files: [{ path: `/etc/kubernetes/${name}.role`, mode: 420, contents: { source: `data:,${role}` } }],
        },
      },
      ...extra,
    },
  });
  return [
    mc(`00-${role}`, { osImageURL: "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:rhcos" }),
    mc(`01-${role}-container-runtime`),
    mc(`01-${role}-kubelet`),
    mc(`97-${role}-generated-kubelet`),
    mc(`98-${role}-generated-kubelet`),
    mc(`99-${role}-ssh`),
  ];
}

export function csv(name: string, namespace: string, phase: string, message = "", reason?: string): Obj {
  return {
    apiVersion: "operators.coreos.com/v1alpha1",
    kind: "ClusterServiceVersion",
    metadata: { name, namespace },
    spec: { displayName: name.split(".v")[0], version: name.split(".v")[1] ?? "1.0.0" },
    status: {
      phase,
      reason:
        reason ??
        (phase === "Succeeded"
          ? "InstallSucceeded"
          : phase === "Failed"
            ? "InstallCheckFailed"
            : "InstallWaiting"),
      message,
    },
  };
}
