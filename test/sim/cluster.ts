/**
 * Builds a starting cluster in the simulator: the objects an OpenShift installer leaves on AWS
 * (ClusterVersion, Infrastructure, namespaces and their service accounts, nodes, the master and
 * worker pools and their base MachineConfigs, the redhat-operators CatalogSource), plus the
 * workshop pieces a scenario asks for. Pools get their first rendered config from the same
 * render code the MCO controller runs, so names stay stable across re-renders.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { Obj } from "./apiserver.ts";
import type { Ctx } from "./context.ts";
import { renderPool } from "./controllers/mco.ts";
import type { Olm } from "./controllers/olm.ts";
import type { Nic } from "./controllers/sriov.ts";
import { baseMachineConfigs, cond, node, nodeResources, pool } from "./objects.ts";
import { OPENSHIFT_RESOURCES, PACKAGE_MANIFESTS } from "./resources.ts";

const MC = "machineconfiguration.openshift.io/v1";
export const REPO = join(import.meta.dirname, "..", "..");

/** Kubernetes minor of each OpenShift minor (OpenShift release notes). */
export const KUBE_OF: Record<string, string> = {
  "4.19": "1.32",
  "4.20": "1.33",
  "4.21": "1.34",
  "4.22": "1.35",
};

export interface Worker {
  name: string;
  instanceType: string;
  zone?: string;
  /** Extra ENIs (device index >= 1) as NICs the SR-IOV config daemon may see. */
  nics?: Nic[];
}

export interface ClusterSpec {
  version: string;
  platform?: string;
  workers: Worker[];
  masters?: number;
}

export function defaultWorkers(instanceType = "c5.metal", count = 2): Worker[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `ip-10-0-1-${10 + i}.us-east-2.compute.internal`,
    instanceType,
    nics: [
      {
        name: "ens5",
        mac: `0a:1b:2c:3d:4e:${(0x10 + i).toString(16)}`,
        pciAddress: "0000:00:05.0",
        vendor: "1d0f",
        deviceID: "ec20",
        driver: "ena",
        primary: true,
      },
      {
        name: "ens6",
        mac: `0a:1b:2c:3d:5e:${(0x10 + i).toString(16)}`,
        pciAddress: "0000:00:06.0",
        vendor: "1d0f",
        deviceID: "ec20",
        driver: "ena",
        subnet: "subnet-0a1b2c3d4e5f60718",
      },
    ],
  }));
}

function ns(name: string): Obj[] {
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: { "kubernetes.io/metadata.name": name } },
      status: { phase: "Active" },
    },
    ...["default", "builder", "deployer"].map((sa) => ({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: sa, namespace: name },
    })),
  ];
}

export const SYSTEM_NAMESPACES = [
  "default",
  "kube-system",
  "openshift",
  "openshift-cluster-node-tuning-operator",
  "openshift-machine-api",
  "openshift-machine-config-operator",
  "openshift-marketplace",
  "openshift-operator-lifecycle-manager",
  "openshift-operators",
];

/** Seeds the installed cluster and gives every pool its first rendered config, nodes on it. */
export function seedCluster(ctx: Ctx, spec: ClusterSpec, nics: Map<string, Nic[]>): void {
  const { api } = ctx;
  const version = spec.version;
  const kube = KUBE_OF[ctx.ocpMinor] ?? "1.32";
  api.gitVersion = `v${kube}.5`;
  const T = "2026-11-20T10:00:00Z";
  // OpenShift's own APIs; operator APIs (Argo CD, SR-IOV, KubeVirt) come with their operators.
  api.addResources(OPENSHIFT_RESOURCES.filter((d) => d.group !== "argoproj.io"));
  api.addResources([PACKAGE_MANIFESTS]);
  api.seed(
    {
      apiVersion: "config.openshift.io/v1",
      kind: "ClusterVersion",
      metadata: { name: "version" },
      spec: { channel: `stable-${ctx.ocpMinor}`, clusterID: "5f1e2d3c-0000-4000-8000-000000000001" },
      status: {
        desired: { version, image: `quay.io/openshift-release-dev/ocp-release@sha256:${"a".repeat(64)}` },
        history: [{ state: "Completed", version, startedTime: T, completionTime: T }],
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
      spec: { platformSpec: { type: spec.platform ?? "AWS" } },
      status: {
        infrastructureName: "llw-abc12",
        platform: spec.platform ?? "AWS",
        platformStatus: {
          type: spec.platform ?? "AWS",
          ...(spec.platform && spec.platform !== "AWS" ? {} : { aws: { region: "us-east-2" } }),
        },
        controlPlaneTopology: "HighlyAvailable",
        infrastructureTopology: "HighlyAvailable",
      },
    },
    ...SYSTEM_NAMESPACES.flatMap(ns),
    // The Node Tuning Operator is part of the platform (cluster-node-tuning-operator, manifests/50-operator.yaml).
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "cluster-node-tuning-operator", namespace: "openshift-cluster-node-tuning-operator" },
      spec: {
        replicas: 1,
        selector: { matchLabels: { name: "cluster-node-tuning-operator" } },
        template: {
          metadata: { labels: { name: "cluster-node-tuning-operator" } },
          spec: { containers: [] },
        },
      },
      status: { replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 },
    },
    ...baseMachineConfigs("master"),
    ...baseMachineConfigs("worker"),
    pool("master"),
    pool("worker"),
    {
      apiVersion: "operators.coreos.com/v1alpha1",
      kind: "CatalogSource",
      metadata: { name: "redhat-operators", namespace: "openshift-marketplace" },
      spec: {
        sourceType: "grpc",
        image: `registry.redhat.io/redhat/redhat-operator-index:v${ctx.ocpMinor}`,
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
  for (let i = 0; i < (spec.masters ?? 3); i++)
    api.seed(
      node({
        name: `ip-10-0-0-${i + 1}.us-east-2.compute.internal`,
        roles: ["master", "control-plane"],
        instanceType: "m6i.xlarge",
      }),
    );
  for (const w of spec.workers) {
    api.seed(
      node({
        name: w.name,
        roles: ["worker"],
        instanceType: w.instanceType,
        ...(w.zone ? { zone: w.zone } : {}),
        resources: nodeResources(w.instanceType),
      }),
    );
    if (w.nics) nics.set(w.name, w.nics);
  }
  for (const p of ["master", "worker"]) settlePool(ctx, p);
}

/**
 * Renders a pool and puts its nodes on the result at once, as a cluster that has long since
 * finished its rollouts (used only to build starting states).
 */
export function settlePool(ctx: Ctx, name: string): void {
  const { api } = ctx;
  const p = api.get(MC, "MachineConfigPool", name);
  if (!p) return;
  const r = renderPool(ctx, p);
  if (!r) return;
  if (!api.get(MC, "MachineConfig", r.name))
    api.seed({
      apiVersion: MC,
      kind: "MachineConfig",
      metadata: {
        name: r.name,
        ownerReferences: [
          { apiVersion: MC, kind: "MachineConfigPool", name, uid: p.metadata.uid, controller: true },
        ],
      },
      spec: r.spec,
    });
  const nodes = api
    .list("v1", "Node")
    .filter((n) =>
      Object.entries(p.spec.nodeSelector.matchLabels).every(([k, v]) => n.metadata.labels?.[k] === v),
    );
  const mine = nodes.filter(
    (n) =>
      name !== "worker" ||
      !api
        .list(MC, "MachineConfigPool")
        .some(
          (o) =>
            o.metadata.name !== "worker" &&
            o.metadata.name !== "master" &&
            Object.entries(o.spec?.nodeSelector?.matchLabels ?? {}).every(
              ([k, v]) => n.metadata.labels?.[k] === v,
            ),
        ),
  );
  for (const n of mine)
    api.update("v1", "Node", n.metadata.name, undefined, {
      metadata: {
        annotations: {
          "machineconfiguration.openshift.io/currentConfig": r.name,
          "machineconfiguration.openshift.io/desiredConfig": r.name,
          "machineconfiguration.openshift.io/state": "Done",
        },
      },
    });
  api.update(MC, "MachineConfigPool", name, undefined, {
    spec: {
      configuration: {
        name: r.name,
        source: r.sources.map((s) => ({ apiVersion: MC, kind: "MachineConfig", name: s })),
      },
    },
    status: {
      observedGeneration: p.metadata.generation,
      configuration: {
        name: r.name,
        source: r.sources.map((s) => ({ apiVersion: MC, kind: "MachineConfig", name: s })),
      },
      machineCount: mine.length,
      updatedMachineCount: mine.length,
      readyMachineCount: mine.length,
      unavailableMachineCount: 0,
      degradedMachineCount: 0,
      conditions: [
        cond("Updated", "True", "", `All nodes are updated with MachineConfig ${r.name}`),
        cond("Updating", "False", "", ""),
        cond("Degraded", "False", "", ""),
        cond("NodeDegraded", "False", "", ""),
        cond("RenderDegraded", "False", "", ""),
      ],
    },
  });
}

export const OPERATORS = {
  gitops: {
    pkg: "openshift-gitops-operator",
    ns: "openshift-gitops-operator",
    channel: "latest",
    targets: undefined as string[] | undefined,
  },
  sriov: {
    pkg: "sriov-network-operator",
    ns: "openshift-sriov-network-operator",
    channel: "stable",
    targets: ["openshift-sriov-network-operator"],
  },
  cnv: { pkg: "kubevirt-hyperconverged", ns: "openshift-cnv", channel: "stable", targets: ["openshift-cnv"] },
};

/** An operator installed through OLM long ago: namespace, OperatorGroup, Subscription, CSV Succeeded. */
export function seedOperator(ctx: Ctx, olm: Olm, which: keyof typeof OPERATORS): void {
  const { api } = ctx;
  const o = OPERATORS[which];
  const head = olm.catalogs["redhat-operators"]![o.pkg]!.channels[o.channel]!;
  if (!api.get("v1", "Namespace", o.ns)) api.seed(...ns(o.ns));
  api.seed(
    {
      apiVersion: "operators.coreos.com/v1",
      kind: "OperatorGroup",
      metadata: { name: o.ns, namespace: o.ns },
      spec: o.targets ? { targetNamespaces: o.targets } : {},
      status: { namespaces: o.targets ?? [""] },
    },
    {
      apiVersion: "operators.coreos.com/v1alpha1",
      kind: "Subscription",
      metadata: { name: o.pkg, namespace: o.ns },
      spec: {
        name: o.pkg,
        channel: o.channel,
        source: "redhat-operators",
        sourceNamespace: "openshift-marketplace",
        installPlanApproval: "Automatic",
      },
      status: { currentCSV: head, installedCSV: head, state: "AtLatestKnown" },
    },
  );
  olm.installed(o.pkg, o.ns, o.channel);
}

/** The repository's PerformanceProfile for an instance type and the worker-rt pool it selects. */
export function repositoryTuning(instanceType: string): { profile: Obj; pool: Obj } {
  const dir = join(REPO, "gitops", "overlays", "aws", "performance-profiles");
  return {
    profile: parseYaml(readFileSync(join(dir, `${instanceType}.yaml`), "utf8")) as Obj,
    pool: parseYaml(readFileSync(join(dir, "machine-config-pool.yaml"), "utf8")) as Obj,
  };
}
