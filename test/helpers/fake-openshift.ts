/**
 * An OpenShift-shaped world for the fake API server: the API resources of OpenShift 4.19 and
 * the workshop's operators, objects shaped like ones recorded from a real cluster (ClusterVersion,
 * Infrastructure, metal worker Nodes, CSVs, Subscriptions, MachineConfigPools, ...), and small
 * simulated controllers: OLM (Subscription -> InstallPlan -> CSV), the Machine Config Operator
 * (a changed rendered config on an unpaused pool starts a rollout, one node reboot at a time),
 * a kubelet for short-lived pods (phase + log), and Argo CD Applications.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { formatCpuList, parseCpuList } from "../../src/lib/cpuset.ts";
import {
  type FakeApiServer,
  type Matcher,
  type Obj,
  type ResourceDef,
  statusBody,
} from "./fake-apiserver.ts";

const ns = true;
const cluster = false;

export const OPENSHIFT_RESOURCES: ResourceDef[] = [
  { group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: ns, status: true },
  { group: "apps", version: "v1", kind: "DaemonSet", plural: "daemonsets", namespaced: ns, status: true },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "ClusterRole",
    plural: "clusterroles",
    namespaced: cluster,
  },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "ClusterRoleBinding",
    plural: "clusterrolebindings",
    namespaced: cluster,
  },
  { group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: ns },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "RoleBinding",
    plural: "rolebindings",
    namespaced: ns,
  },
  {
    group: "apiextensions.k8s.io",
    version: "v1",
    kind: "CustomResourceDefinition",
    plural: "customresourcedefinitions",
    namespaced: cluster,
    status: true,
  },
  {
    group: "node.k8s.io",
    version: "v1",
    kind: "RuntimeClass",
    plural: "runtimeclasses",
    namespaced: cluster,
  },
  {
    group: "config.openshift.io",
    version: "v1",
    kind: "ClusterVersion",
    plural: "clusterversions",
    namespaced: cluster,
    status: true,
  },
  {
    group: "config.openshift.io",
    version: "v1",
    kind: "Infrastructure",
    plural: "infrastructures",
    namespaced: cluster,
    status: true,
  },
  {
    group: "config.openshift.io",
    version: "v1",
    kind: "ClusterOperator",
    plural: "clusteroperators",
    namespaced: cluster,
    status: true,
  },
  {
    group: "operators.coreos.com",
    version: "v1alpha1",
    kind: "ClusterServiceVersion",
    plural: "clusterserviceversions",
    namespaced: ns,
    status: true,
  },
  {
    group: "operators.coreos.com",
    version: "v1alpha1",
    kind: "Subscription",
    plural: "subscriptions",
    namespaced: ns,
    status: true,
  },
  {
    group: "operators.coreos.com",
    version: "v1alpha1",
    kind: "InstallPlan",
    plural: "installplans",
    namespaced: ns,
    status: true,
  },
  {
    group: "operators.coreos.com",
    version: "v1alpha1",
    kind: "CatalogSource",
    plural: "catalogsources",
    namespaced: ns,
    status: true,
  },
  {
    group: "operators.coreos.com",
    version: "v1",
    kind: "OperatorGroup",
    plural: "operatorgroups",
    namespaced: ns,
    status: true,
  },
  {
    group: "machineconfiguration.openshift.io",
    version: "v1",
    kind: "MachineConfigPool",
    plural: "machineconfigpools",
    namespaced: cluster,
    status: true,
  },
  {
    group: "machineconfiguration.openshift.io",
    version: "v1",
    kind: "MachineConfig",
    plural: "machineconfigs",
    namespaced: cluster,
  },
  {
    group: "machineconfiguration.openshift.io",
    version: "v1",
    kind: "KubeletConfig",
    plural: "kubeletconfigs",
    namespaced: cluster,
    status: true,
  },
  {
    group: "performance.openshift.io",
    version: "v2",
    kind: "PerformanceProfile",
    plural: "performanceprofiles",
    namespaced: cluster,
    status: true,
  },
  {
    group: "tuned.openshift.io",
    version: "v1",
    kind: "Tuned",
    plural: "tuneds",
    namespaced: ns,
    status: true,
  },
  {
    group: "machine.openshift.io",
    version: "v1beta1",
    kind: "MachineSet",
    plural: "machinesets",
    namespaced: ns,
    status: true,
  },
  {
    group: "k8s.cni.cncf.io",
    version: "v1",
    kind: "NetworkAttachmentDefinition",
    plural: "network-attachment-definitions",
    namespaced: ns,
  },
  {
    group: "argoproj.io",
    version: "v1alpha1",
    kind: "Application",
    plural: "applications",
    namespaced: ns,
    status: true,
  },
  {
    group: "argoproj.io",
    version: "v1alpha1",
    kind: "ApplicationSet",
    plural: "applicationsets",
    namespaced: ns,
    status: true,
  },
  { group: "argoproj.io", version: "v1alpha1", kind: "AppProject", plural: "appprojects", namespaced: ns },
  {
    group: "argoproj.io",
    version: "v1beta1",
    kind: "ArgoCD",
    plural: "argocds",
    namespaced: ns,
    status: true,
  },
  {
    group: "route.openshift.io",
    version: "v1",
    kind: "Route",
    plural: "routes",
    namespaced: ns,
    status: true,
  },
];

/** APIs that appear only once their operator is installed. */
export const SRIOV_RESOURCES: ResourceDef[] = [
  {
    group: "sriovnetwork.openshift.io",
    version: "v1",
    kind: "SriovNetworkNodeState",
    plural: "sriovnetworknodestates",
    namespaced: ns,
    status: true,
  },
  {
    group: "sriovnetwork.openshift.io",
    version: "v1",
    kind: "SriovNetworkNodePolicy",
    plural: "sriovnetworknodepolicies",
    namespaced: ns,
    status: true,
  },
  {
    group: "sriovnetwork.openshift.io",
    version: "v1",
    kind: "SriovNetwork",
    plural: "sriovnetworks",
    namespaced: ns,
    status: true,
  },
  {
    group: "sriovnetwork.openshift.io",
    version: "v1",
    kind: "SriovOperatorConfig",
    plural: "sriovoperatorconfigs",
    namespaced: ns,
    status: true,
  },
];
export const CNV_RESOURCES: ResourceDef[] = [
  {
    group: "hco.kubevirt.io",
    version: "v1beta1",
    kind: "HyperConverged",
    plural: "hyperconvergeds",
    namespaced: ns,
    status: true,
  },
  {
    group: "kubevirt.io",
    version: "v1",
    kind: "VirtualMachine",
    plural: "virtualmachines",
    namespaced: ns,
    status: true,
  },
  {
    group: "kubevirt.io",
    version: "v1",
    kind: "VirtualMachineInstance",
    plural: "virtualmachineinstances",
    namespaced: ns,
    status: true,
  },
];

const CONDITION_TIME = "2026-11-20T10:00:00Z";
export function cond(
  type: string,
  status: "True" | "False" | "Unknown",
  reason = "AsExpected",
  message = "",
): Obj {
  return { type, status, reason, message, lastTransitionTime: CONDITION_TIME };
}

export interface WorldOptions {
  /** OpenShift version (ClusterVersion history). Default 4.19.10. */
  version?: string;
  platform?: string;
  workers?: { name: string; instanceType: string; hugepages1Gi?: string; kvm?: string }[];
  /** Rendered config the worker pool runs. */
  rendered?: string;
}

export function node(
  name: string,
  role: "worker" | "master",
  instanceType: string,
  extra: { hugepages1Gi?: string; kvm?: string; config?: string } = {},
): Obj {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": instanceType,
        "topology.kubernetes.io/region": "us-east-2",
        "topology.kubernetes.io/zone": "us-east-2a",
        [`node-role.kubernetes.io/${role}`]: "",
      },
      annotations: {
        "machineconfiguration.openshift.io/currentConfig": extra.config ?? `rendered-${role}-0a1b2c`,
        "machineconfiguration.openshift.io/desiredConfig": extra.config ?? `rendered-${role}-0a1b2c`,
        "machineconfiguration.openshift.io/state": "Done",
      },
    },
    spec: { providerID: `aws:///us-east-2a/i-0${name.replace(/[^a-z0-9]/g, "").slice(-8)}abc` },
    status: {
      capacity: {
        cpu: "96",
        memory: "195784364Ki",
        pods: "250",
        "hugepages-1Gi": extra.hugepages1Gi ?? "0",
        "hugepages-2Mi": "0",
        ...(extra.kvm ? { "devices.kubevirt.io/kvm": extra.kvm } : {}),
      },
      allocatable: {
        cpu: "95500m",
        memory: "194633388Ki",
        pods: "250",
        "hugepages-1Gi": extra.hugepages1Gi ?? "0",
        "hugepages-2Mi": "0",
        ...(extra.kvm ? { "devices.kubevirt.io/kvm": extra.kvm } : {}),
      },
      conditions: [cond("Ready", "True", "KubeletReady", "kubelet is posting ready status")],
      nodeInfo: {
        kernelVersion: "5.14.0-427.50.1.el9_4.x86_64",
        osImage: "Red Hat Enterprise Linux CoreOS 9.4",
        kubeletVersion: "v1.32.5",
        containerRuntimeVersion: "cri-o://1.32.5",
      },
    },
  };
}

export function pool(name: string, machineCount: number, rendered: string, extra: Obj = {}): Obj {
  return {
    apiVersion: "machineconfiguration.openshift.io/v1",
    kind: "MachineConfigPool",
    metadata: { name, labels: { [`pools.operator.machineconfiguration.openshift.io/${name}`]: "" } },
    spec: {
      paused: false,
      machineConfigSelector: { matchLabels: { "machineconfiguration.openshift.io/role": name } },
      nodeSelector: { matchLabels: { [`node-role.kubernetes.io/${name}`]: "" } },
      configuration: { name: rendered },
      ...extra.spec,
    },
    status: {
      machineCount,
      updatedMachineCount: machineCount,
      readyMachineCount: machineCount,
      unavailableMachineCount: 0,
      degradedMachineCount: 0,
      observedGeneration: 1,
      configuration: { name: rendered },
      conditions: [
        cond("Updated", "True", "", `All nodes are updated with MachineConfig ${rendered}`),
        cond("Updating", "False"),
        cond("Degraded", "False"),
        cond("NodeDegraded", "False"),
        cond("RenderDegraded", "False"),
      ],
      ...extra.status,
    },
  };
}

export function csv(name: string, namespace: string, phase: string, message = ""): Obj {
  return {
    apiVersion: "operators.coreos.com/v1alpha1",
    kind: "ClusterServiceVersion",
    metadata: { name, namespace },
    spec: { displayName: name.split(".v")[0], version: name.split(".v")[1] ?? "1.0.0" },
    status: {
      phase,
      reason:
        phase === "Succeeded"
          ? "InstallSucceeded"
          : phase === "Failed"
            ? "InstallCheckFailed"
            : "InstallWaiting",
      message,
    },
  };
}

/** The baseline cluster: version, AWS infrastructure, 3 masters, metal workers, pools, catalog. */
export function seedOpenShift(api: FakeApiServer, o: WorldOptions = {}): void {
  api.addResources(OPENSHIFT_RESOURCES);
  const version = o.version ?? "4.19.10";
  const rendered = o.rendered ?? "rendered-worker-0a1b2c";
  const workers = o.workers ?? [
    { name: "ip-10-0-1-10.us-east-2.compute.internal", instanceType: "c5.metal" },
    { name: "ip-10-0-1-11.us-east-2.compute.internal", instanceType: "c5.metal" },
  ];
  api.seed(
    {
      apiVersion: "config.openshift.io/v1",
      kind: "ClusterVersion",
      metadata: { name: "version" },
      spec: {
        channel: `stable-${version.split(".").slice(0, 2).join(".")}`,
        clusterID: "5f1e2d3c-0000-4000-8000-000000000001",
      },
      status: {
        desired: { version, image: `quay.io/openshift-release-dev/ocp-release@sha256:${"a".repeat(64)}` },
        history: [
          { state: "Completed", version, startedTime: CONDITION_TIME, completionTime: CONDITION_TIME },
        ],
        conditions: [
          cond("Available", "True", "", `Done applying ${version}`),
          cond("Progressing", "False", "", `Cluster version is ${version}`),
          cond("Failing", "False"),
        ],
      },
    },
    {
      apiVersion: "config.openshift.io/v1",
      kind: "Infrastructure",
      metadata: { name: "cluster" },
      spec: { platformSpec: { type: o.platform ?? "AWS" } },
      status: {
        infrastructureName: "llw-abc12",
        platform: o.platform ?? "AWS",
        platformStatus: {
          type: o.platform ?? "AWS",
          ...(o.platform && o.platform !== "AWS" ? {} : { aws: { region: "us-east-2" } }),
        },
        controlPlaneTopology: "HighlyAvailable",
        infrastructureTopology: "HighlyAvailable",
      },
    },
    ...[0, 1, 2].map((i) =>
      node(`ip-10-0-0-${i + 1}.us-east-2.compute.internal`, "master", "m6i.xlarge", {
        config: "rendered-master-9f8e7d",
      }),
    ),
    ...workers.map((w) =>
      node(w.name, "worker", w.instanceType, { hugepages1Gi: w.hugepages1Gi, kvm: w.kvm, config: rendered }),
    ),
    pool("master", 3, "rendered-master-9f8e7d"),
    pool("worker", workers.length, rendered),
    {
      apiVersion: "operators.coreos.com/v1alpha1",
      kind: "CatalogSource",
      metadata: { name: "redhat-operators", namespace: "openshift-marketplace" },
      spec: {
        sourceType: "grpc",
        image: "registry.redhat.io/redhat/redhat-operator-index:v4.19",
        displayName: "Red Hat Operators",
        publisher: "Red Hat",
      },
      status: {
        connectionState: {
          lastObservedState: "READY",
          address: "redhat-operators.openshift-marketplace.svc:50051",
        },
      },
    },
  );
}

/** Counters of what the simulated Machine Config Operator did. */
export interface McoStats {
  rollouts: number;
  reboots: number;
  renders: number;
  log: string[];
}

/** Kinds whose creation or spec change renders a new MachineConfig for the worker pool. */
const ROLLS_POOL = new Set([
  "PerformanceProfile",
  "MachineConfig",
  "KubeletConfig",
  "SriovNetworkNodePolicy",
  "Tuned",
]);

/**
 * The Machine Config Operator, simplified: every change to an object that feeds the worker
 * pool's rendered config gives the pool a new `spec.configuration.name`. An unpaused pool whose
 * spec and status configurations differ rolls out: each poll of the pool advances one step
 * (one node at a time: cordon+reboot, then Done), so a change made while unpaused starts a
 * rollout and one made while paused waits for the unpause. Returns live counters.
 */
export function simulateMco(api: FakeApiServer, opts: { pool?: string } = {}): McoStats {
  const poolName = opts.pool ?? "worker";
  const stats: McoStats = { rollouts: 0, reboots: 0, renders: 0, log: [] };
  let rendering = false;
  api.controller((ev) => {
    if (rendering || !ROLLS_POOL.has(ev.object.kind)) return;
    if (ev.object.kind === "MachineConfig" && ev.object.metadata.name?.startsWith("rendered-")) return;
    rendering = true;
    try {
      stats.renders++;
      const name = `rendered-${poolName}-${(1000 + stats.renders).toString(16)}`;
      api.update("machineconfiguration.openshift.io/v1", "MachineConfigPool", poolName, undefined, {
        spec: { configuration: { name } },
      });
      stats.log.push(`render ${name} (${ev.object.kind} ${ev.object.metadata.name})`);
    } finally {
      rendering = false;
    }
  });
  const step = () => {
    const p = api.get("machineconfiguration.openshift.io/v1", "MachineConfigPool", poolName);
    if (!p) return;
    const target: string = p.spec.configuration?.name;
    const nodes = api
      .list("v1", "Node")
      .filter((n) => `node-role.kubernetes.io/${poolName}` in (n.metadata.labels ?? {}));
    const updated = nodes.filter(
      (n) =>
        n.metadata.annotations?.["machineconfiguration.openshift.io/currentConfig"] === target &&
        n.metadata.annotations?.["machineconfiguration.openshift.io/state"] === "Done",
    );
    const degraded = (p.status?.conditions ?? []).some(
      (c: Obj) => c.type === "Degraded" && c.status === "True",
    );
    if (degraded) return;
    if (p.spec.paused || updated.length === nodes.length) {
      const done = updated.length === nodes.length;
      if (done && p.status?.configuration?.name !== target) {
        api.update(p.apiVersion, p.kind, poolName, undefined, {
          status: {
            configuration: { name: target },
            updatedMachineCount: nodes.length,
            readyMachineCount: nodes.length,
            unavailableMachineCount: 0,
            conditions: [
              cond("Updated", "True", "", `All nodes are updated with MachineConfig ${target}`),
              cond("Updating", "False"),
              cond("Degraded", "False"),
            ],
          },
        });
        stats.log.push(`pool ${poolName} updated to ${target}`);
      }
      return;
    }
    // One node at a time (maxUnavailable 1): a node in "Working" finishes its reboot, else the next one starts.
    const working = nodes.find(
      (n) => n.metadata.annotations?.["machineconfiguration.openshift.io/state"] === "Working",
    );
    if (p.status?.conditions?.find((c: Obj) => c.type === "Updating")?.status !== "True") {
      stats.rollouts++;
      stats.log.push(`rollout ${stats.rollouts} to ${target}`);
    }
    if (working) {
      api.update("v1", "Node", working.metadata.name, undefined, {
        metadata: {
          annotations: {
            "machineconfiguration.openshift.io/currentConfig":
              working.metadata.annotations["machineconfiguration.openshift.io/desiredConfig"],
            "machineconfiguration.openshift.io/state": "Done",
          },
        },
        spec: { unschedulable: null },
      });
    } else {
      const next = nodes.find(
        (n) => n.metadata.annotations?.["machineconfiguration.openshift.io/currentConfig"] !== target,
      )!;
      stats.reboots++;
      stats.log.push(`reboot ${next.metadata.name}`);
      api.update("v1", "Node", next.metadata.name, undefined, {
        metadata: {
          annotations: {
            "machineconfiguration.openshift.io/desiredConfig": target,
            "machineconfiguration.openshift.io/state": "Working",
          },
        },
        spec: { unschedulable: true },
      });
    }
    const after = api
      .list("v1", "Node")
      .filter((n) => `node-role.kubernetes.io/${poolName}` in (n.metadata.labels ?? {}));
    const nUpdated = after.filter(
      (n) =>
        n.metadata.annotations?.["machineconfiguration.openshift.io/currentConfig"] === target &&
        n.metadata.annotations?.["machineconfiguration.openshift.io/state"] === "Done",
    ).length;
    const finished = nUpdated === after.length;
    api.update(p.apiVersion, p.kind, poolName, undefined, {
      status: {
        updatedMachineCount: nUpdated,
        readyMachineCount: nUpdated,
        unavailableMachineCount: after.length - nUpdated > 0 ? 1 : 0,
        ...(finished ? { configuration: { name: target } } : {}),
        conditions: finished
          ? [
              cond("Updated", "True", "", `All nodes are updated with MachineConfig ${target}`),
              cond("Updating", "False"),
              cond("Degraded", "False"),
            ]
          : [
              cond("Updated", "False"),
              cond("Updating", "True", "", `All nodes are updating to MachineConfig ${target}`),
              cond("Degraded", "False"),
            ],
      },
    });
  };
  api.onRead({ verb: "get", resource: "machineconfigpools", name: poolName }, step);
  return stats;
}

/**
 * OLM for one package: creating its Subscription produces an InstallPlan and a CSV that moves
 * Installing -> `finalPhase` over `polls` reads of the CSV. With `approval: "Manual"` the plan
 * waits (requiresApproval) until approved. On success `provides` API resources are served and
 * their CRDs exist, Established.
 */
export function simulateOlm(
  api: FakeApiServer,
  pkg: {
    name: string;
    namespace: string;
    csv: string;
    finalPhase?: "Succeeded" | "Failed";
    message?: string;
    polls?: number;
    approval?: "Manual";
    provides?: ResourceDef[];
  },
): void {
  let reads = 0;
  api.controller((ev) => {
    const o = ev.object;
    if (o.kind === "Subscription" && o.spec?.name === pkg.name && ev.type === "ADDED") {
      const plan = `install-${pkg.name.slice(0, 5)}`;
      api.seed({
        apiVersion: "operators.coreos.com/v1alpha1",
        kind: "InstallPlan",
        metadata: { name: plan, namespace: pkg.namespace },
        spec: {
          approval: pkg.approval ?? "Automatic",
          approved: pkg.approval !== "Manual",
          clusterServiceVersionNames: [pkg.csv],
        },
        status: { phase: pkg.approval === "Manual" ? "RequiresApproval" : "Complete" },
      });
      api.update(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace, {
        status: {
          currentCSV: pkg.csv,
          state: pkg.approval === "Manual" ? "UpgradePending" : "AtLatestKnown",
          installPlanRef: { name: plan, namespace: pkg.namespace },
          installplan: { name: plan },
          catalogHealth: [
            { catalogSourceRef: { name: o.spec.source, namespace: o.spec.sourceNamespace }, healthy: true },
          ],
        },
      });
      if (pkg.approval !== "Manual") startCsv();
    }
    if (
      o.kind === "InstallPlan" &&
      o.metadata.namespace === pkg.namespace &&
      o.spec?.approved &&
      o.status?.phase === "RequiresApproval"
    ) {
      api.update(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace, {
        status: { phase: "Complete" },
      });
      startCsv();
    }
  });
  function startCsv(): void {
    if (!api.get("operators.coreos.com/v1alpha1", "ClusterServiceVersion", pkg.csv, pkg.namespace))
      api.seed(csv(pkg.csv, pkg.namespace, "Installing"));
  }
  api.onRead({ resource: "clusterserviceversions", namespace: pkg.namespace }, () => {
    const c = api.get("operators.coreos.com/v1alpha1", "ClusterServiceVersion", pkg.csv, pkg.namespace);
    if (c?.status.phase !== "Installing") return;
    if (++reads < (pkg.polls ?? 2)) return;
    const phase = pkg.finalPhase ?? "Succeeded";
    api.update(c.apiVersion, c.kind, pkg.csv, pkg.namespace, {
      status: {
        phase,
        reason: phase === "Succeeded" ? "InstallSucceeded" : "InstallCheckFailed",
        message:
          pkg.message ??
          (phase === "Succeeded" ? "install strategy completed with no errors" : "install failed"),
      },
    });
    if (phase === "Succeeded") {
      api.addResources(pkg.provides ?? []);
      for (const d of pkg.provides ?? []) {
        api.seed({
          apiVersion: "apiextensions.k8s.io/v1",
          kind: "CustomResourceDefinition",
          metadata: { name: `${d.plural}.${d.group}` },
          spec: {
            group: d.group,
            names: { kind: d.kind, plural: d.plural },
            scope: d.namespaced ? "Namespaced" : "Cluster",
            versions: [{ name: d.version, served: true, storage: true }],
          },
          status: {
            conditions: [
              cond("NamesAccepted", "True", "NoConflicts"),
              cond("Established", "True", "InitialNamesAccepted"),
            ],
          },
        });
      }
    }
  });
}

/**
 * A kubelet for short-lived pods (debug pods, latency runs): a created pod matching `m` is
 * scheduled, runs and ends in `phase` with `log` as its output, after `polls` reads.
 */
export function simulatePods(
  api: FakeApiServer,
  m: Matcher,
  run: (pod: Obj) => { phase: "Succeeded" | "Failed"; log: string },
  polls = 1,
): void {
  const seen = new Map<string, number>();
  api.controller((ev) => {
    if (ev.object.kind !== "Pod" || ev.type !== "ADDED") return;
    if (m.namespace && ev.object.metadata.namespace !== m.namespace) return;
    if (m.name && ev.object.metadata.name !== m.name) return;
    seen.set(`${ev.object.metadata.namespace}/${ev.object.metadata.name}`, 0);
    api.update("v1", "Pod", ev.object.metadata.name, ev.object.metadata.namespace, {
      status: { phase: "Pending" },
    });
  });
  api.onRead({ resource: "pods" }, (req) => {
    for (const [key, n] of seen) {
      const [podNs, name] = key.split("/") as [string, string];
      if (req.name && req.name !== name) continue;
      seen.set(key, n + 1);
      const pod = api.get("v1", "Pod", name, podNs);
      if (pod?.status?.phase !== "Pending" || n + 1 < polls) continue;
      const r = run(pod);
      api.setLog(podNs, name, r.log);
      api.update("v1", "Pod", name, podNs, {
        status: {
          phase: r.phase,
          containerStatuses: [
            {
              name: pod.spec.containers?.[0]?.name ?? "main",
              ready: false,
              state: {
                terminated: {
                  exitCode: r.phase === "Succeeded" ? 0 : 1,
                  reason: r.phase === "Succeeded" ? "Completed" : "Error",
                },
              },
            },
          ],
        },
      });
    }
  });
}

/**
 * A cluster where the workshop is fully installed and tuned (c5.metal workers, OpenShift
 * 4.19): operators Succeeded, Applications Synced/Healthy, the profile Available with its
 * RuntimeClass, 16 x 1G hugepages and KVM on the workers, HyperConverged Available, host-device
 * networks for the extra ENIs. Tests break one piece at a time.
 */
export function seedWorkshopInstalled(api: FakeApiServer, o: WorldOptions = {}): void {
  const workers = [
    {
      name: "ip-10-0-1-10.us-east-2.compute.internal",
      instanceType: "c5.metal",
      hugepages1Gi: "16Gi",
      kvm: "1k",
    },
    {
      name: "ip-10-0-1-11.us-east-2.compute.internal",
      instanceType: "c5.metal",
      hugepages1Gi: "16Gi",
      kvm: "1k",
    },
  ];
  seedOpenShift(api, { workers, ...o });
  api.addResources([...SRIOV_RESOURCES, ...CNV_RESOURCES]);
  const ops = [
    ["sriov-network-operator", "openshift-sriov-network-operator", "sriov-network-operator.v4.19.0-202511"],
    ["kubevirt-hyperconverged", "openshift-cnv", "kubevirt-hyperconverged-operator.v4.19.3"],
    ["openshift-gitops-operator", "openshift-gitops-operator", "openshift-gitops-operator.v1.18.1"],
  ] as const;
  for (const [pkg, ns, csvName] of ops) {
    api.seed(
      {
        apiVersion: "operators.coreos.com/v1alpha1",
        kind: "Subscription",
        metadata: { name: pkg, namespace: ns },
        spec: {
          name: pkg,
          channel: pkg === "openshift-gitops-operator" ? "latest" : "stable",
          source: "redhat-operators",
          sourceNamespace: "openshift-marketplace",
          installPlanApproval: "Automatic",
        },
        status: { currentCSV: csvName, installedCSV: csvName, state: "AtLatestKnown" },
      },
      csv(csvName, ns, "Succeeded", "install strategy completed with no errors"),
    );
  }
  for (const name of ["low-latency-workshop", "operator-sriov-network-operator", "tuning"]) {
    api.seed({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name, namespace: "openshift-gitops" },
      spec: {
        project: "default",
        source: {
          repoURL: "https://github.com/example/low-latency-workshop.git",
          targetRevision: "main",
          path: "gitops/bootstrap",
        },
      },
      status: { sync: { status: "Synced", revision: "0123456789abcdef" }, health: { status: "Healthy" } },
    });
  }
  api.seed(
    {
      apiVersion: "performance.openshift.io/v2",
      kind: "PerformanceProfile",
      metadata: { name: "workshop-c5-metal" },
      spec: {
        cpu: { reserved: "0-1,48-49", isolated: "2-47,50-95" },
        hugepages: { defaultHugepagesSize: "1G", pages: [{ size: "1G", count: 16 }] },
        nodeSelector: { "node-role.kubernetes.io/worker": "" },
        machineConfigPoolSelector: { "pools.operator.machineconfiguration.openshift.io/worker": "" },
        numa: { topologyPolicy: "restricted" },
      },
      status: {
        conditions: [
          cond("Available", "True", "AsExpected", "cgroup=v2"),
          cond("Upgradeable", "True"),
          cond("Progressing", "False"),
          cond("Degraded", "False"),
        ],
        runtimeClass: "performance-workshop-c5-metal",
        tuned: "openshift-cluster-node-tuning-operator/openshift-node-performance-workshop-c5-metal",
      },
    },
    {
      apiVersion: "node.k8s.io/v1",
      kind: "RuntimeClass",
      metadata: { name: "performance-workshop-c5-metal" },
      handler: "high-performance",
      scheduling: { nodeSelector: { "node-role.kubernetes.io/worker": "" } },
    },
    {
      apiVersion: "hco.kubevirt.io/v1beta1",
      kind: "HyperConverged",
      metadata: { name: "kubevirt-hyperconverged", namespace: "openshift-cnv" },
      spec: { defaultRuntimeClass: "performance-workshop-c5-metal", evictionStrategy: "None" },
      status: {
        conditions: [
          cond("ReconcileComplete", "True"),
          cond("Available", "True"),
          cond("Progressing", "False"),
          cond("Degraded", "False"),
          cond("Upgradeable", "True"),
        ],
      },
    },
    // The GitOps operator's default instance (gitops-operator, controllers/argocd/argocd.go NewCR:
    // route, Dex with OpenShift OAuth, cluster-admins role:admin) and the workshop's binding.
    {
      apiVersion: "argoproj.io/v1beta1",
      kind: "ArgoCD",
      metadata: { name: "openshift-gitops", namespace: "openshift-gitops" },
      spec: {
        server: { route: { enabled: true } },
        sso: { provider: "dex", dex: { openShiftOAuth: true } },
        rbac: {
          policy: "g, system:cluster-admins, role:admin\ng, cluster-admins, role:admin\n",
          scopes: "[groups]",
        },
      },
    },
    {
      apiVersion: "route.openshift.io/v1",
      kind: "Route",
      metadata: { name: "openshift-gitops-server", namespace: "openshift-gitops" },
      spec: { host: "openshift-gitops-server-openshift-gitops.apps.lab.example.com" },
      status: {
        ingress: [
          {
            host: "openshift-gitops-server-openshift-gitops.apps.lab.example.com",
            conditions: [{ type: "Admitted", status: "True" }],
          },
        ],
      },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "openshift-gitops-argocd-application-controller-cluster-admin" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [
        {
          kind: "ServiceAccount",
          name: "openshift-gitops-argocd-application-controller",
          namespace: "openshift-gitops",
        },
      ],
    },
    {
      apiVersion: "k8s.cni.cncf.io/v1",
      kind: "NetworkAttachmentDefinition",
      metadata: {
        name: "ena-dataplane",
        namespace: "low-latency-workshop",
        annotations: { "k8s.v1.cni.cncf.io/resourceName": "openshift.io/ena_dataplane" },
      },
      spec: {
        config:
          '{"cniVersion":"1.0.0","name":"ena-dataplane","type":"host-device","capabilities":{"deviceID":true}}',
      },
    },
  );
}

/**
 * The /proc/cmdline a node boots with a PerformanceProfile, as the Node Tuning Operator's
 * openshift-node-performance TuneD profile writes it (see src/cluster/doctor/kernel-args.ts):
 * systemd.cpu_affinity and tuned.non_isolcpus are every CPU of the node but the isolated ones.
 */
export function tunedCmdline(profile: Obj, cpus = 96): string {
  const isolated = String(profile.spec?.cpu?.isolated ?? "");
  const iso = new Set(parseCpuList(isolated));
  const rest = Array.from({ length: cpus }, (_, i) => i).filter((c) => !iso.has(c));
  const words: string[] = [];
  for (let w = 0; w * 32 < cpus; w++) {
    let mask = 0;
    for (const c of rest) if (c >= w * 32 && c < (w + 1) * 32) mask |= 1 << (c - w * 32);
    words.unshift((mask >>> 0).toString(16).padStart(8, "0"));
  }
  const s = profile.spec ?? {};
  const pages = (s.hugepages?.pages ?? []) as { size: string; count: number; node?: number }[];
  return [
    "BOOT_IMAGE=(hd0,gpt3)/boot/ostree/rhcos-0a1b/vmlinuz-5.14.0-427.50.1.el9_4.x86_64 ostree=/ostree/boot.1/rhcos/0a1b/0",
    "ignition.platform.id=aws console=ttyS0,115200n8 root=UUID=0a1b2c3d rw rootflags=prjquota boot=UUID=0a1b2c3d",
    `skew_tick=1 tsc=reliable rcupdate.rcu_normal_after_boot=1 nohz=on rcu_nocbs=${isolated} tuned.non_isolcpus=${words.join(",")}`,
    `systemd.cpu_affinity=${formatCpuList(rest)} intel_iommu=on iommu=pt isolcpus=managed_irq,${isolated}`,
    ...(s.workloadHints?.realTime === false
      ? []
      : [`nohz_full=${isolated} nosoftlockup nmi_watchdog=0 mce=off rcutree.kthread_prio=11`]),
    ...(s.hugepages?.defaultHugepagesSize ? [`default_hugepagesz=${s.hugepages.defaultHugepagesSize}`] : []),
    ...pages.filter((p) => p.node === undefined).map((p) => `hugepagesz=${p.size} hugepages=${p.count}`),
    ...((s.additionalKernelArgs ?? []) as string[]),
    "intel_pstate=disable",
  ].join(" ");
}

/**
 * The workshop as the lab guide leaves it: the repository's worker-rt pool
 * (gitops/overlays/aws/performance-profiles/machine-config-pool.yaml) holding the metal
 * workers, tuned by the repository's profile for their instance type, rolled out, with the
 * profile's hugepages allocatable. Call after seedWorkshopInstalled. Returns the profile.
 */
export function seedRepositoryTuning(api: FakeApiServer, instanceType = "c5.metal"): Obj {
  const dir = join(import.meta.dirname, "..", "..", "gitops", "overlays", "aws", "performance-profiles");
  const profile = parseYaml(readFileSync(join(dir, `${instanceType}.yaml`), "utf8")) as Obj;
  const mcp = parseYaml(readFileSync(join(dir, "machine-config-pool.yaml"), "utf8")) as Obj;
  const PP = "performance.openshift.io/v2";
  const MCP = "machineconfiguration.openshift.io/v1";
  const rendered = "rendered-worker-rt-5d4c3b";
  const name = profile.metadata.name as string;
  const role = Object.keys(profile.spec.nodeSelector)[0]!;
  for (const p of api.list(PP, "PerformanceProfile")) api.remove(PP, "PerformanceProfile", p.metadata.name);
  for (const rc of api.list("node.k8s.io/v1", "RuntimeClass"))
    api.remove("node.k8s.io/v1", "RuntimeClass", rc.metadata.name);
  const workers = api
    .list("v1", "Node")
    .filter((n) => "node-role.kubernetes.io/worker" in (n.metadata.labels ?? {}));
  const pages = (profile.spec.hugepages?.pages ?? []) as { size: string; count: number }[];
  const gi = pages.filter((p) => p.size === "1G").reduce((n, p) => n + p.count, 0);
  for (const n of workers) {
    const memKi = Number.parseInt(n.status.allocatable.memory, 10) - gi * 1024 * 1024;
    api.update("v1", "Node", n.metadata.name, undefined, {
      metadata: {
        labels: { [role]: "" },
        annotations: {
          "machineconfiguration.openshift.io/currentConfig": rendered,
          "machineconfiguration.openshift.io/desiredConfig": rendered,
        },
      },
      status: {
        capacity: { "hugepages-1Gi": `${gi}Gi` },
        allocatable: { "hugepages-1Gi": `${gi}Gi`, memory: `${memKi}Ki` },
      },
    });
  }
  api.update(MCP, "MachineConfigPool", "worker", undefined, {
    status: { machineCount: 0, updatedMachineCount: 0, readyMachineCount: 0 },
  });
  const built = pool(mcp.metadata.name, workers.length, rendered);
  api.seed(
    { ...mcp, status: built.status },
    {
      ...profile,
      status: {
        conditions: [
          cond("Available", "True", "AsExpected", "cgroup=v2"),
          cond("Upgradeable", "True"),
          cond("Progressing", "False"),
          cond("Degraded", "False"),
        ],
        runtimeClass: `performance-${name}`,
        tuned: `openshift-cluster-node-tuning-operator/openshift-node-performance-${name}`,
      },
    },
    {
      apiVersion: "node.k8s.io/v1",
      kind: "RuntimeClass",
      metadata: { name: `performance-${name}` },
      handler: "high-performance",
      scheduling: { nodeSelector: { ...profile.spec.nodeSelector } },
    },
  );
  return profile;
}

/** What a tuned c5.metal node's /proc/cmdline looks like (from the openshift-node-performance profile). */
export const TUNED_CMDLINE =
  "BOOT_IMAGE=(hd0,gpt3)/boot/ostree/rhcos-0a1b/vmlinuz-5.14.0-427.50.1.el9_4.x86_64 ostree=/ostree/boot.1/rhcos/0a1b/0 " +
  "ignition.platform.id=aws console=ttyS0,115200n8 root=UUID=0a1b2c3d rw rootflags=prjquota boot=UUID=0a1b2c3d " +
  "skew_tick=1 tsc=reliable rcupdate.rcu_normal_after_boot=1 nohz=on rcu_nocbs=2-47,50-95 tuned.non_isolcpus=00030000,00000000,00030000,00000003 " +
  "systemd.cpu_affinity=0,1,48,49 intel_iommu=on iommu=pt isolcpus=managed_irq,2-47,50-95 nohz_full=2-47,50-95 nosoftlockup nmi_watchdog=0 " +
  "mce=off rcutree.kthread_prio=11 default_hugepagesz=1G hugepagesz=1G hugepages=16 intel_pstate=disable";

export const ARGO_RESOURCES: ResourceDef[] = OPENSHIFT_RESOURCES.filter((d) => d.group === "argoproj.io");

/**
 * Argo CD, simplified: when the root Application appears it "syncs" and creates the child
 * Applications; every list of Applications advances each one step: OutOfSync/Missing ->
 * Synced/Progressing -> Synced/Healthy (or stays Degraded with `degrade` and its message).
 */
export function simulateArgo(
  api: FakeApiServer,
  children: string[],
  opts: { degrade?: { app: string; message: string } } = {},
): void {
  const APP = "argoproj.io/v1alpha1";
  api.controller((ev) => {
    if (ev.object.kind !== "Application" || ev.type !== "ADDED" || children.includes(ev.object.metadata.name))
      return;
    const ns = ev.object.metadata.namespace;
    api.update(APP, "Application", ev.object.metadata.name, ns, {
      status: { sync: { status: "OutOfSync" }, health: { status: "Missing" } },
    });
    for (const c of children) {
      if (api.get(APP, "Application", c, ns)) continue;
      api.seed({
        apiVersion: APP,
        kind: "Application",
        metadata: { name: c, namespace: ns },
        spec: { project: "default", source: ev.object.spec.source },
        status: { sync: { status: "OutOfSync" }, health: { status: "Missing" } },
      });
    }
  });
  api.onRead({ verb: "list", resource: "applications" }, (req) => {
    for (const a of api.list(APP, "Application", req.namespace)) {
      const s = `${a.status?.sync?.status}/${a.status?.health?.status}`;
      const degrade = opts.degrade;
      if (degrade && degrade.app === a.metadata.name && s === "Synced/Progressing") {
        api.update(APP, "Application", a.metadata.name, a.metadata.namespace, {
          status: { health: { status: "Degraded", message: degrade.message } },
        });
      } else if (s === "OutOfSync/Missing") {
        api.update(APP, "Application", a.metadata.name, a.metadata.namespace, {
          status: { sync: { status: "Synced" }, health: { status: "Progressing" } },
        });
      } else if (s === "Synced/Progressing") {
        api.update(APP, "Application", a.metadata.name, a.metadata.namespace, {
          status: { health: { status: "Healthy" } },
        });
      }
    }
  });
}

/**
 * NamespaceLifecycle admission: creating (or server-side applying) a namespaced object in a
 * namespace that does not exist fails with 404 `namespaces "<ns>" not found`
 * (kubernetes/kubernetes plugin/pkg/admission/namespace/lifecycle/admission.go, Admit: a missing
 * namespace is errors.NewNotFound(namespaces, ns)).
 */
export function enforceNamespaceLifecycle(api: FakeApiServer): void {
  api.react({ verb: ["create", "patch"] }, (req) => {
    if (!req.namespace || req.resource === "namespaces") return undefined;
    if (api.get("v1", "Namespace", req.namespace)) return undefined;
    return {
      code: 404,
      body: statusBody(404, "NotFound", `namespaces "${req.namespace}" not found`, {
        name: req.namespace,
        kind: "namespaces",
      }),
    };
  });
}

/** The default instance's spec as the operator creates it (argocd.NewCR, abridged to what the workshop relies on). */
const GITOPS_DEFAULT_SPEC = {
  server: { route: { enabled: true } },
  sso: { provider: "dex", dex: { openShiftOAuth: true } },
  rbac: {
    defaultPolicy: "",
    policy: "g, system:cluster-admins, role:admin\ng, cluster-admins, role:admin\n",
    scopes: "[groups]",
  },
  controller: { resources: { limits: { cpu: "2", memory: "3Gi" } } },
};

/**
 * The OpenShift GitOps operator after its CSV Succeeded: `polls` reads of the namespace
 * openshift-gitops later it creates that namespace, then its default ArgoCD `openshift-gitops`
 * with route, OpenShift login and RBAC, unless an ArgoCD of that name already exists, which it
 * only gives resource limits (redhat-developer/gitops-operator master,
 * controllers/gitopsservice_controller.go, reconcileDefaultArgoCDInstance).
 */
export function simulateGitopsOperator(api: FakeApiServer, o: { csv: string; polls?: number }): void {
  let reads = 0;
  let done = false;
  api.onRead({ resource: "namespaces", name: "openshift-gitops" }, () => {
    const c = api.get(
      "operators.coreos.com/v1alpha1",
      "ClusterServiceVersion",
      o.csv,
      "openshift-gitops-operator",
    );
    if (done || c?.status?.phase !== "Succeeded" || ++reads < (o.polls ?? 3)) return;
    done = true;
    if (!api.get("v1", "Namespace", "openshift-gitops"))
      api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "openshift-gitops" } });
    const existing = api.get("argoproj.io/v1beta1", "ArgoCD", "openshift-gitops", "openshift-gitops");
    if (existing) {
      api.update("argoproj.io/v1beta1", "ArgoCD", "openshift-gitops", "openshift-gitops", {
        spec: { controller: GITOPS_DEFAULT_SPEC.controller },
      });
    } else {
      api.seed({
        apiVersion: "argoproj.io/v1beta1",
        kind: "ArgoCD",
        metadata: { name: "openshift-gitops", namespace: "openshift-gitops" },
        spec: structuredClone(GITOPS_DEFAULT_SPEC),
        status: { phase: "Available" },
      });
    }
  });
}

/**
 * The Node Tuning Operator's runtime class: for each PerformanceProfile it creates the
 * RuntimeClass `performance-<profile>` (handler high-performance, the profile's nodeSelector as
 * its scheduling nodeSelector) and names it in the profile's status
 * (openshift/cluster-node-tuning-operator, pkg/performanceprofile/controller/performanceprofile/
 * components/runtimeclass/runtimeclass.go, New).
 */
export function simulateNtoRuntimeClass(api: FakeApiServer): void {
  api.controller((ev) => {
    const p = ev.object;
    if (p.kind !== "PerformanceProfile" || ev.type === "DELETED") return;
    const name = `performance-${p.metadata.name}`;
    if (!api.get("node.k8s.io/v1", "RuntimeClass", name))
      api.seed({
        apiVersion: "node.k8s.io/v1",
        kind: "RuntimeClass",
        metadata: { name },
        handler: "high-performance",
        scheduling: { nodeSelector: p.spec?.nodeSelector ?? {} },
      });
    if (p.status?.runtimeClass !== name)
      api.update(p.apiVersion, p.kind, p.metadata.name, undefined, { status: { runtimeClass: name } });
  });
}
