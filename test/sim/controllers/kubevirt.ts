/**
 * KubeVirt / OpenShift Virtualization (kubevirt/kubevirt main, HCO):
 * - HyperConverged becomes Available; virt-handler's device plugin gives every schedulable
 *   worker devices.kubevirt.io/kvm and the kubevirt.io/schedulable=true label.
 * - a VirtualMachine that should run gets a VirtualMachineInstance; the VMI a virt-launcher pod
 *   (label kubevirt.io=virt-launcher, annotation kubevirt.io/domain) asking for its CPUs (whole
 *   CPUs with dedicatedCpuPlacement, +1 for isolateEmulatorThread), memory, hugepages and
 *   devices.kubevirt.io/kvm, with the VMI's nodeSelector and HyperConverged's
 *   defaultRuntimeClass (whose RuntimeClass must exist, else the pod is refused and the VMI
 *   reports FailedCreate). Phases Pending -> Scheduling -> Scheduled -> Running follow the pod;
 *   condition LiveMigratable is False for VMIs with SR-IOV interfaces (InterfaceNotLiveMigratable).
 * - the pod eviction admission webhook "virt-launcher-eviction-interceptor.kubevirt.io"
 *   (pkg/virt-api/webhooks/validating-webhook/admitters/pod-eviction-admitter.go): a VMI whose
 *   eviction strategy (its own, else the cluster's: HCO defaults LiveMigrate on a multi-worker
 *   cluster) is LiveMigrate refuses the eviction with 429: not migratable -> "VMI N is configured
 *   with an eviction strategy but is not live-migratable"; migratable -> it is marked for
 *   evacuation ("Eviction triggered evacuation of VMI \"NS/N\""), later attempts get "Evacuation in
 *   progress: ...". The evacuation creates a migration whose target pod must schedule on another
 *   node: a VM pinned to the single tuned node never finds one, so the drain never ends.
 */
import type { Obj } from "../apiserver.ts";
import { type Ctx, conditionOf, setCondition } from "../context.ts";
import { cond } from "../objects.ts";
import { quantity } from "./scheduler.ts";

const KV = "kubevirt.io/v1";
const HCO = "hco.kubevirt.io/v1beta1";
const WEBHOOK = 'admission webhook "virt-launcher-eviction-interceptor.kubevirt.io" denied the request';

function shouldRun(vm: Obj): boolean {
  const rs = vm.spec?.runStrategy;
  return rs ? rs === "Always" || rs === "RerunOnFailure" : vm.spec?.running === true;
}

function hco(ctx: Ctx): Obj | undefined {
  return ctx.api.resourceFor(HCO, "HyperConverged") ? ctx.api.list(HCO, "HyperConverged")[0] : undefined;
}

export function evictionStrategy(ctx: Ctx, vmi: Obj): string {
  if (vmi.spec?.evictionStrategy) return vmi.spec.evictionStrategy;
  const h = hco(ctx);
  if (h?.spec?.evictionStrategy) return h.spec.evictionStrategy;
  const workers = ctx.api
    .list("v1", "Node")
    .filter((n) => "node-role.kubernetes.io/worker" in (n.metadata.labels ?? {}));
  return workers.length > 1 ? "LiveMigrate" : "None";
}

function launcherPod(ctx: Ctx, vmi: Obj, target = false): Obj | { error: string } {
  const d = vmi.spec?.domain ?? {};
  const vcpus = (d.cpu?.cores ?? 1) * (d.cpu?.sockets ?? 1) * (d.cpu?.threads ?? 1);
  const dedicated = Boolean(d.cpu?.dedicatedCpuPlacement);
  const cpu = dedicated ? String(vcpus + (d.cpu?.isolateEmulatorThread ? 1 : 0)) : `${vcpus * 100}m`;
  const guest = quantity(d.memory?.guest ?? d.resources?.requests?.memory ?? "1Gi");
  const huge = d.memory?.hugepages?.pageSize;
  const overheadMi = 250;
  const memory = `${Math.ceil((huge ? 0 : guest) / 1024 ** 2) + overheadMi}Mi`;
  const requests: Obj = { cpu, memory, "devices.kubevirt.io/kvm": "1" };
  if (huge) requests[`hugepages-${huge}`] = `${Math.ceil(guest / 1024 ** 3)}Gi`;
  for (const i of d.devices?.interfaces ?? []) {
    if (!i.sriov) continue;
    const net = (vmi.spec?.networks ?? []).find((n: Obj) => n.name === i.name);
    const nad =
      net &&
      ctx.api.get(
        "k8s.cni.cncf.io/v1",
        "NetworkAttachmentDefinition",
        String(net.multus?.networkName).split("/").pop() ?? "",
        vmi.metadata.namespace,
      );
    const res = nad?.metadata?.annotations?.["k8s.v1.cni.cncf.io/resourceName"];
    if (res) requests[res] = String(Number(requests[res] ?? 0) + 1);
  }
  const rcName = hco(ctx)?.spec?.defaultRuntimeClass;
  const nodeSelector: Obj = { ...(vmi.spec?.nodeSelector ?? {}), "kubevirt.io/schedulable": "true" };
  const name = `virt-launcher-${vmi.metadata.name}-${Math.random().toString(36).slice(2, 7)}`;
  if (rcName) {
    const rc = ctx.api.get("node.k8s.io/v1", "RuntimeClass", rcName);
    if (!rc)
      return { error: `pods "${name}" is forbidden: pod rejected: RuntimeClass "${rcName}" not found` };
    Object.assign(nodeSelector, rc.scheduling?.nodeSelector ?? {});
  }
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: vmi.metadata.namespace,
      labels: {
        "kubevirt.io": "virt-launcher",
        "kubevirt.io/created-by": vmi.metadata.uid,
        "vm.kubevirt.io/name": vmi.metadata.name,
        ...(target ? { "kubevirt.io/migrationJobUID": "target" } : {}),
      },
      annotations: { "kubevirt.io/domain": vmi.metadata.name },
      ownerReferences: [
        {
          apiVersion: KV,
          kind: "VirtualMachineInstance",
          name: vmi.metadata.name,
          uid: vmi.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: {
      ...(rcName ? { runtimeClassName: rcName } : {}),
      nodeSelector,
      ...(target && vmi.status?.nodeName
        ? {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    {
                      matchFields: [
                        { key: "metadata.name", operator: "NotIn", values: [vmi.status.nodeName] },
                      ],
                    },
                  ],
                },
              },
            },
          }
        : {}),
      serviceAccountName: "default",
      containers: [
        {
          name: "compute",
          image: "registry.redhat.io/container-native-virtualization/virt-launcher-rhel9",
          resources: { requests, limits: dedicated ? requests : { "devices.kubevirt.io/kvm": "1" } },
        },
      ],
    },
    status: { phase: "Pending", qosClass: dedicated ? "Guaranteed" : "Burstable" },
  };
}

export function startKubevirt(ctx: Ctx): void {
  const { api, timing } = ctx;
  const podOf = (vmi: Obj, target = false) =>
    api
      .list("v1", "Pod", vmi.metadata.namespace)
      .find(
        (p) =>
          p.metadata.labels?.["kubevirt.io/created-by"] === vmi.metadata.uid &&
          Boolean(p.metadata.labels?.["kubevirt.io/migrationJobUID"]) === target &&
          !["Succeeded", "Failed"].includes(p.status?.phase),
      );

  ctx.evictionWebhooks.push((pod) => {
    if (
      pod.metadata.labels?.["kubevirt.io"] !== "virt-launcher" ||
      ["Succeeded", "Failed"].includes(pod.status?.phase)
    )
      return undefined;
    const vmiName = pod.metadata.annotations?.["kubevirt.io/domain"];
    const vmi =
      vmiName && api.resourceFor(KV, "VirtualMachineInstance")
        ? api.get(KV, "VirtualMachineInstance", vmiName, pod.metadata.namespace)
        : undefined;
    if (!vmi) return undefined;
    const strategy = evictionStrategy(ctx, vmi);
    const migratable = conditionOf(vmi, "LiveMigratable")?.status === "True";
    const deny = (m: string) => ({
      code: 429,
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        reason: "TooManyRequests",
        code: 429,
        message: `${WEBHOOK}: ${m}`,
      },
    });
    const msg = `Eviction triggered evacuation of VMI "${vmi.metadata.namespace}/${vmi.metadata.name}"`;
    if (strategy === "LiveMigrate" && !migratable)
      return deny(
        `VMI ${vmi.metadata.name} is configured with an eviction strategy but is not live-migratable`,
      );
    if (
      strategy === "LiveMigrate" ||
      strategy === "External" ||
      (strategy === "LiveMigrateIfPossible" && migratable)
    ) {
      if (vmi.status?.evacuationNodeName) return deny(`Evacuation in progress: ${msg}`);
      if (vmi.status?.nodeName !== pod.spec?.nodeName) return deny("Eviction request for target Pod");
      api.update(KV, "VirtualMachineInstance", vmi.metadata.name, vmi.metadata.namespace, {
        status: { evacuationNodeName: pod.spec.nodeName },
      });
      if (strategy !== "External")
        api.after(timing.schedule, () => migrate(vmi.metadata.name, vmi.metadata.namespace));
      return deny(msg);
    }
    return undefined;
  });

  function migrate(name: string, ns: string): void {
    const vmi = api.get(KV, "VirtualMachineInstance", name, ns);
    if (!vmi) return;
    const target = launcherPod(ctx, vmi, true);
    if ("error" in target) return;
    api.seed({
      apiVersion: KV,
      kind: "VirtualMachineInstanceMigration",
      metadata: {
        name: `kubevirt-evacuation-${Math.random().toString(36).slice(2, 7)}`,
        namespace: ns,
        labels: { "kubevirt.io/vmi-name": name },
      },
      spec: { vmiName: name },
      status: { phase: "Scheduling" },
    });
    api.seed(target);
  }

  function syncVmi(name: string, ns: string): void {
    const vmi = api.get(KV, "VirtualMachineInstance", name, ns);
    if (!vmi) return;
    const pod = podOf(vmi);
    const status: Obj = {};
    let conds = vmi.status?.conditions;
    if (!pod && !vmi.status?.phase) {
      const p = launcherPod(ctx, vmi);
      if ("error" in p) {
        conds = setCondition(conds, cond("Synchronized", "False", "FailedCreate", p.error));
        api.update(KV, "VirtualMachineInstance", name, ns, {
          status: { phase: "Pending", conditions: conds },
        });
        api.event(
          vmi,
          "Warning",
          "FailedCreate",
          `Error creating pod: ${p.error}`,
          "virtualmachine-controller",
        );
        return;
      }
      api.seed(p);
      api.update(KV, "VirtualMachineInstance", name, ns, {
        status: {
          phase: "Pending",
          conditions: setCondition(conds, cond("Ready", "False", "PodNotExists", "")),
        },
      });
      return;
    }
    if (!pod) return;
    const sched = conditionOf(pod, "PodScheduled");
    if (sched?.status === "False")
      conds = setCondition(conds, cond("PodScheduled", "False", sched.reason, sched.message));
    if (!pod.spec?.nodeName) status.phase = "Scheduling";
    else if (pod.status?.phase !== "Running")
      Object.assign(status, { phase: "Scheduled", nodeName: pod.spec.nodeName });
    else if (vmi.status?.phase !== "Running") {
      api.after(timing.vmStart, () => {
        const cur = api.get(KV, "VirtualMachineInstance", name, ns);
        if (!cur || cur.status?.phase === "Running") return;
        const sriov = (cur.spec?.domain?.devices?.interfaces ?? []).some((i: Obj) => i.sriov);
        let c = setCondition(cur.status?.conditions, cond("Ready", "True", "", ""));
        c = setCondition(
          c,
          sriov
            ? cond(
                "LiveMigratable",
                "False",
                "InterfaceNotLiveMigratable",
                "cannot migrate VMI which does not use masquerade, bridge with kubevirt.io/allow-pod-bridge-network-live-migration VM annotation or a migratable plugin to connect to the pod network",
              )
            : cond("LiveMigratable", "True", "", ""),
        );
        c = setCondition(c, cond("PodScheduled", "True", "", ""));
        api.update(KV, "VirtualMachineInstance", name, ns, {
          status: {
            phase: "Running",
            nodeName: pod.spec.nodeName,
            conditions: c,
            evictionStrategy: evictionStrategy(ctx, cur),
          },
        });
      });
      return;
    }
    if (Object.keys(status).length > 0 || conds !== vmi.status?.conditions)
      api.update(KV, "VirtualMachineInstance", name, ns, { status: { ...status, conditions: conds } });
  }

  function finishMigration(target: Obj): void {
    const ns = target.metadata.namespace;
    const vmiName = target.metadata.annotations?.["kubevirt.io/domain"];
    const vmi = api.get(KV, "VirtualMachineInstance", vmiName, ns);
    if (!vmi) return;
    const source = podOf(vmi);
    api.after(timing.migration, () => {
      if (source) api.update("v1", "Pod", source.metadata.name, ns, { status: { phase: "Succeeded" } });
      api.update("v1", "Pod", target.metadata.name, ns, {
        metadata: { labels: { "kubevirt.io/migrationJobUID": null } },
      });
      api.update(KV, "VirtualMachineInstance", vmiName, ns, {
        status: {
          nodeName: target.spec.nodeName,
          evacuationNodeName: null,
          migrationState: {
            completed: true,
            sourceNode: vmi.status?.nodeName,
            targetNode: target.spec.nodeName,
          },
        },
      });
      for (const m of api.list(KV, "VirtualMachineInstanceMigration", ns))
        if (m.spec?.vmiName === vmiName && m.status?.phase !== "Succeeded")
          api.update(KV, "VirtualMachineInstanceMigration", m.metadata.name, ns, {
            status: { phase: "Succeeded" },
          });
    });
  }

  api.on(["VirtualMachine"], (ev) => {
    const vm = ev.object;
    const ns = vm.metadata.namespace;
    const name = vm.metadata.name;
    api.after(timing.schedule, () => {
      const cur = api.get(KV, "VirtualMachine", name, ns);
      const vmi = api.get(KV, "VirtualMachineInstance", name, ns);
      if (cur && shouldRun(cur) && !vmi)
        api.seed({
          apiVersion: KV,
          kind: "VirtualMachineInstance",
          metadata: {
            name,
            namespace: ns,
            labels: { ...(cur.spec?.template?.metadata?.labels ?? {}), "vm.kubevirt.io/name": name },
            ownerReferences: [
              { apiVersion: KV, kind: "VirtualMachine", name, uid: cur.metadata.uid, controller: true },
            ],
          },
          spec: cur.spec?.template?.spec ?? {},
        });
      else if ((!cur || !shouldRun(cur)) && vmi) {
        api.remove(KV, "VirtualMachineInstance", name, ns);
        for (const p of api.list("v1", "Pod", ns))
          if (p.metadata.labels?.["kubevirt.io/created-by"] === vmi.metadata.uid)
            api.remove("v1", "Pod", p.metadata.name, ns);
      }
    });
  });
  api.on(["VirtualMachineInstance"], (ev) => {
    const vmi = ev.object;
    // Each phase the VMI enters is stamped once (pkg/controller/controller.go,
    // SetVMIPhaseTransitionTimestamp), what kube-burner's vmiLatency reads.
    const phase = vmi.status?.phase;
    const stamps: Obj[] = vmi.status?.phaseTransitionTimestamps ?? [];
    if (
      ev.type !== "DELETED" &&
      phase &&
      phase !== ev.old?.status?.phase &&
      !stamps.some((t) => t.phase === phase)
    )
      api.update(KV, "VirtualMachineInstance", vmi.metadata.name, vmi.metadata.namespace, {
        status: {
          phaseTransitionTimestamps: [
            ...stamps,
            { phase, phaseTransitionTimestamp: new Date().toISOString() },
          ],
        },
      });
    if (ev.type !== "DELETED")
      api.after(timing.schedule, () => syncVmi(vmi.metadata.name, vmi.metadata.namespace));
    const vmName = vmi.metadata.ownerReferences?.find((o: Obj) => o.kind === "VirtualMachine")?.name;
    const vm = vmName && api.get(KV, "VirtualMachine", vmName, vmi.metadata.namespace);
    if (!vm) return;
    const printable =
      ev.type === "DELETED"
        ? "Stopped"
        : vmi.status?.evacuationNodeName
          ? "Migrating"
          : vmi.status?.phase === "Running"
            ? "Running"
            : vmi.status?.phase === "Scheduling" && conditionOf(vmi, "PodScheduled")?.status === "False"
              ? "ErrorUnschedulable"
              : "Starting";
    // The VM's Ready condition follows its VMI's (pkg/virt-controller/watch/vm.go, syncConditions),
    // observed at the VM's generation (what `kubectl wait --for=condition=Ready` checks).
    const ready = printable === "Running";
    if (
      vm.status?.printableStatus !== printable ||
      conditionOf(vm, "Ready")?.status !== (ready ? "True" : "False")
    )
      api.update(KV, "VirtualMachine", vmName, vmi.metadata.namespace, {
        status: {
          printableStatus: printable,
          ready,
          created: ev.type !== "DELETED",
          observedGeneration: vm.metadata.generation,
          conditions: setCondition(
            vm.status?.conditions,
            ready ? cond("Ready", "True", "", "") : cond("Ready", "False", "VMINotRunning", printable),
          ),
        },
      });
  });
  api.on(["Pod"], (ev) => {
    const p = ev.object;
    if (p.metadata.labels?.["kubevirt.io"] !== "virt-launcher" || ev.type === "DELETED") return;
    if (p.metadata.labels?.["kubevirt.io/migrationJobUID"]) {
      if (p.status?.phase === "Running" && ev.old?.status?.phase !== "Running") finishMigration(p);
      return;
    }
    const vmiName = p.metadata.annotations?.["kubevirt.io/domain"];
    if (vmiName) api.after(timing.schedule, () => syncVmi(vmiName, p.metadata.namespace));
  });
  api.on(["HyperConverged"], (ev) => {
    if (ev.type === "DELETED" || conditionOf(ev.object, "Available")?.status === "True") return;
    api.after(timing.vmStart, () => {
      const h = api.get(HCO, "HyperConverged", ev.object.metadata.name, ev.object.metadata.namespace);
      if (!h) return;
      api.update(HCO, "HyperConverged", h.metadata.name, h.metadata.namespace, {
        status: {
          conditions: ["ReconcileComplete", "Available", "Upgradeable"]
            .map((t) => cond(t, "True", "ReconcileCompleted", "Reconcile completed successfully"))
            .concat([
              cond("Progressing", "False", "ReconcileCompleted", ""),
              cond("Degraded", "False", "ReconcileCompleted", ""),
            ]),
        },
      });
      for (const n of api.list("v1", "Node")) {
        if (!("node-role.kubernetes.io/worker" in (n.metadata.labels ?? {}))) continue;
        api.update("v1", "Node", n.metadata.name, undefined, {
          metadata: { labels: { "kubevirt.io/schedulable": "true" } },
          status: {
            capacity: { "devices.kubevirt.io/kvm": "1k" },
            allocatable: { "devices.kubevirt.io/kvm": "1k" },
          },
        });
      }
    });
  });
}
