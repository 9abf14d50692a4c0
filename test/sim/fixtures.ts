/**
 * Workshop states built on a running simulator through its controllers (the profile is rendered
 * and rolled out by the MCO simulation, the RuntimeClass made by the NTO simulation), and what a
 * tuned node's /proc/cmdline shows, for tests and the guides' sample outputs.
 */
import { formatCpuList, parseCpuList } from "../../src/lib/cpuset.ts";
import type { Obj } from "./apiserver.ts";
import { redhatOperators } from "./controllers/olm.ts";
import type { Sim } from "./index.ts";
import { cond, csv, node, pool } from "./objects.ts";

export { cond, csv };

export const WORKSHOP_APPS = ["low-latency-workshop", "operator-sriov-network-operator", "tuning"];

/** The profile the cluster tests use on the worker pool: 2 reserved cores, 16 x 1G pages. */
export function workerProfile(): Obj {
  return {
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
  };
}

/**
 * The workshop as the guides leave it on an `untuned-c5-metal` (or `tuned-c5-metal`) simulator:
 * the GitOps operator's Argo CD instance with its route and the controller's binding,
 * Applications synced and healthy, the host-device network, (unless the scenario already has one)
 * `profile` rolled out by the simulated MCO, and the HyperConverged's runtime class and eviction
 * strategy. Waits until the cluster is quiet.
 */
export async function installWorkshop(sim: Sim, profile: Obj | undefined = workerProfile()): Promise<void> {
  const { api } = sim;
  for (const name of WORKSHOP_APPS)
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
  if (!api.get("v1", "Namespace", "low-latency-workshop"))
    api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "low-latency-workshop" } });
  api.seed({
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
  });
  if (profile && api.list("performance.openshift.io/v2", "PerformanceProfile").length === 0)
    api.seed(profile);
  argoInstance(sim);
  // The workshop's HyperConverged: every VM gets the profile's runtime class and is shut down, not
  // live-migrated, on a drain (gitops/operators/kubevirt-hyperconverged, overlays/aws/<type>/hyperconverged).
  const hco = api.get(
    "hco.kubevirt.io/v1beta1",
    "HyperConverged",
    "kubevirt-hyperconverged",
    "openshift-cnv",
  );
  if (hco && profile)
    api.update("hco.kubevirt.io/v1beta1", "HyperConverged", "kubevirt-hyperconverged", "openshift-cnv", {
      spec: { defaultRuntimeClass: `performance-${profile.metadata.name}`, evictionStrategy: "None" },
    });
  await sim.settle();
}

/**
 * The GitOps operator's default Argo CD instance and its route, as the operator makes them (the
 * simulated OLM creates them once the operator is installed; seeded here when a test removed them),
 * and the workshop's cluster-admin binding for the application controller
 * (gitops/operators/openshift-gitops-operator/instance), which the operator does not create.
 */
export function argoInstance(sim: Sim): void {
  const { api } = sim;
  const gitops = redhatOperators(sim.ctx.ocpMinor)["openshift-gitops-operator"]!;
  for (const o of gitops.operands ?? [])
    if (!api.get(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace)) api.seed(structuredClone(o));
  api.seed({
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
  });
}

/** What `oc debug node/<n>` shows for `chroot /host cat /proc/cmdline` on a node booted with `profile`. */
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

/** The cmdline of a c5.metal node booted with workerProfile(). */
export const TUNED_CMDLINE = tunedCmdline(workerProfile());

/** What the debug pods llw starts in `namespace` print (the kubelet runs them to completion). */
export function debugPods(
  sim: Sim,
  namespace: string,
  run: (pod: Obj) => { phase: "Succeeded" | "Failed"; log: string },
): void {
  sim.kubelet.run(
    (p) => p.metadata.namespace === namespace,
    (p) => ({ ...run(p), runMs: 2000 }),
  );
}

/** A pool as the MCO reports it once settled on `rendered` with `machineCount` nodes (for pure planner tests). */
export function settledPool(name: string, machineCount: number, rendered: string): Obj {
  const p = pool(name);
  return {
    ...p,
    spec: { ...p.spec, configuration: { name: rendered } },
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
    },
  };
}

/** A node of `role` on `rendered-<role>-0a1b2c` (for pure planner tests). */
export function poolNode(name: string, role: string, instanceType: string): Obj {
  return node({ name, roles: [role], instanceType, config: `rendered-${role}-0a1b2c` });
}
