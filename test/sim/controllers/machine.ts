/**
 * The Machine API (openshift/machine-api-operator main):
 * - MachineSet controller (pkg/controller/machineset/controller.go, status.go): creates Machines
 *   (generateName `<machineset>-`, the template's labels and spec, a controller ownerReference)
 *   until `replicas` match its selector, deletes the newest ones above it; status replicas,
 *   readyReplicas and availableReplicas count Machines whose node is Ready.
 * - Machine controller (pkg/controller/machine/controller.go): adds the finalizer
 *   `machine.machine.openshift.io`, phase Provisioning, the actuator creates the instance
 *   (providerID, addresses: Provisioned), Running once its node exists (status.nodeRef). Deleting:
 *   the drain controller (drain_controller.go) cordons and drains the node unless
 *   `machine.openshift.io/exclude-node-draining` is set, then the actuator terminates the instance,
 *   the node is deleted and the finalizer removed.
 * - nodelink controller (pkg/controller/nodelink/nodelink_controller.go): the node gets the
 *   annotation `machine.openshift.io/machine: <ns>/<name>` and the Machine's spec.metadata labels.
 * A new node boots with the rendered config of the pool its user data names (worker-user-data:
 * the `worker` pool, served by the machine-config-server), and the MCO then moves it to the pool
 * its labels select. The cloud side is the `provider`'s: by default instance IDs are made up; the
 * workshop's journey runs instances in the EC2 emulator.
 */
import type { Obj } from "../apiserver.ts";
import { type Ctx, conditionOf, selects } from "../context.ts";
import { node, nodeResources } from "../objects.ts";
import { drainNode } from "./mco.ts";

const MAPI = "machine.openshift.io/v1beta1";
const FINALIZER = "machine.machine.openshift.io";
const MC = "machineconfiguration.openshift.io/v1";

export interface Instance {
  instanceId: string;
  zone: string;
  privateIp: string;
}

/** What machine-api-provider-aws does in EC2 for a Machine (RunInstances, TerminateInstances). */
export interface MachineProvider {
  create(machine: Obj): Promise<Instance>;
  delete(machine: Obj, instanceId: string): Promise<void>;
}

let made = 0;
export const madeUpInstances: MachineProvider = {
  async create(m) {
    made++;
    return {
      instanceId: `i-0${(0xabc000 + made).toString(16)}${"0".repeat(9)}`,
      zone: m.spec?.providerSpec?.value?.placement?.availabilityZone ?? "us-east-2a",
      privateIp: `10.0.${64 + made}.${10 + made}`,
    };
  },
  async delete() {},
};

export function startMachineApi(ctx: Ctx, provider: MachineProvider = madeUpInstances): void {
  const { api, timing } = ctx;
  const ns = "openshift-machine-api";
  const ready = (n: Obj | undefined) => conditionOf(n, "Ready")?.status === "True";
  const nodeOf = (m: Obj) =>
    m.status?.nodeRef?.name ? api.get("v1", "Node", m.status.nodeRef.name) : undefined;

  function syncMachineSet(name: string): void {
    const ms = api.get(MAPI, "MachineSet", name, ns);
    if (!ms || ms.metadata.deletionTimestamp) return;
    const mine = api
      .list(MAPI, "Machine", ns)
      .filter((m) => selects(ms.spec?.selector, m.metadata.labels) && !m.metadata.deletionTimestamp);
    const want = Number(ms.spec?.replicas ?? 1);
    for (let i = mine.length; i < want; i++) {
      const suffix = Math.random().toString(36).slice(2, 7);
      api.seed({
        apiVersion: MAPI,
        kind: "Machine",
        metadata: {
          name: `${name}-${suffix}`,
          namespace: ns,
          labels: { ...ms.spec?.template?.metadata?.labels },
          ownerReferences: [
            {
              apiVersion: MAPI,
              kind: "MachineSet",
              name,
              uid: ms.metadata.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: structuredClone(ms.spec?.template?.spec ?? {}),
      });
    }
    const extra = mine
      .sort((a, b) =>
        String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)),
      )
      .slice(0, Math.max(0, mine.length - want));
    for (const m of extra) api.delete(MAPI, "Machine", m.metadata.name, ns);
    const count = Math.min(mine.length, want);
    const readyN = mine.filter((m) => ready(nodeOf(m))).length;
    api.update(MAPI, "MachineSet", name, ns, {
      status: {
        replicas: count,
        fullyLabeledReplicas: count,
        readyReplicas: readyN,
        availableReplicas: readyN,
        observedGeneration: ms.metadata.generation,
      },
    });
  }

  function joinNode(m: Obj, inst: Instance): void {
    const value = m.spec?.providerSpec?.value ?? {};
    const type = value.instanceType ?? "m6i.xlarge";
    const name = `ip-${inst.privateIp.replaceAll(".", "-")}.${inst.zone.slice(0, -1)}.compute.internal`;
    const worker = api.get(MC, "MachineConfigPool", "worker")?.spec?.configuration?.name ?? "";
    const n = node({
      name,
      roles: ["worker"],
      instanceType: type,
      zone: inst.zone,
      config: worker,
      resources: nodeResources(type),
    });
    n.metadata.labels = { ...n.metadata.labels, ...m.spec?.metadata?.labels };
    n.metadata.annotations["machine.openshift.io/machine"] = `${ns}/${m.metadata.name}`;
    n.spec.providerID = `aws:///${inst.zone}/${inst.instanceId}`;
    n.spec.taints = [...(n.spec.taints ?? []), ...(m.spec?.taints ?? [])];
    n.status.addresses = [
      { type: "InternalIP", address: inst.privateIp },
      { type: "Hostname", address: name },
    ];
    api.seed(n);
    api.update(MAPI, "Machine", m.metadata.name, ns, {
      status: {
        phase: "Running",
        nodeRef: { kind: "Node", name, uid: api.get("v1", "Node", name)?.metadata.uid },
      },
    });
  }

  async function provision(name: string): Promise<void> {
    const m = api.get(MAPI, "Machine", name, ns);
    if (!m || m.metadata.deletionTimestamp || m.status?.phase) return;
    api.update(MAPI, "Machine", name, ns, {
      metadata: { finalizers: [...(m.metadata.finalizers ?? []), FINALIZER] },
      status: { phase: "Provisioning" },
    });
    const inst = await provider.create(m);
    const cur = api.get(MAPI, "Machine", name, ns);
    if (!cur) return;
    const type = m.spec?.providerSpec?.value?.instanceType;
    api.update(MAPI, "Machine", name, ns, {
      metadata: {
        annotations: { "machine.openshift.io/instance-state": "running" },
        labels: {
          "machine.openshift.io/instance-type": type,
          "machine.openshift.io/region": inst.zone.slice(0, -1),
          "machine.openshift.io/zone": inst.zone,
        },
      },
      spec: { providerID: `aws:///${inst.zone}/${inst.instanceId}` },
      status: {
        phase: "Provisioned",
        addresses: [{ type: "InternalIP", address: inst.privateIp }],
        providerStatus: { instanceId: inst.instanceId, instanceState: "running" },
      },
    });
    // The instance boots, ignites from the worker pool's config and its kubelet registers the node.
    api.after(timing.machineProvision, () => {
      const now = api.get(MAPI, "Machine", name, ns);
      if (now && !now.metadata.deletionTimestamp) joinNode(now, inst);
    });
  }

  function deprovision(name: string): void {
    const m = api.get(MAPI, "Machine", name, ns);
    if (!m?.metadata.deletionTimestamp || m.status?.phase === "Deleting") return;
    api.update(MAPI, "Machine", name, ns, { status: { phase: "Deleting" } });
    const finish = () => {
      const instanceId =
        m.status?.providerStatus?.instanceId ??
        String(m.spec?.providerID ?? "")
          .split("/")
          .pop();
      const done = async () => {
        if (instanceId) await provider.delete(m, instanceId);
        const nodeName = m.status?.nodeRef?.name;
        if (nodeName) api.remove("v1", "Node", nodeName);
        const cur = api.get(MAPI, "Machine", name, ns);
        if (cur)
          api.update(MAPI, "Machine", name, ns, {
            metadata: { finalizers: (cur.metadata.finalizers ?? []).filter((f: string) => f !== FINALIZER) },
          });
      };
      api.after(timing.machineDelete, done);
    };
    const nodeName = m.status?.nodeRef?.name;
    if (
      nodeName &&
      api.get("v1", "Node", nodeName) &&
      !m.metadata.annotations?.["machine.openshift.io/exclude-node-draining"]
    )
      drainNode(ctx, nodeName, finish, "machine-drain-controller");
    else finish();
  }

  api.on(["MachineSet"], (ev) => {
    if (ev.type === "DELETED") return;
    api.after(timing.nodeSync, () => syncMachineSet(ev.object.metadata.name));
  });
  api.on(["Machine"], (ev) => {
    const m = ev.object;
    const owner = (m.metadata.ownerReferences ?? []).find((o: Obj) => o.kind === "MachineSet")?.name;
    if (owner) api.after(timing.nodeSync, () => syncMachineSet(owner));
    if (ev.type === "DELETED") return;
    if (m.metadata.deletionTimestamp) api.after(timing.nodeSync, () => deprovision(m.metadata.name));
    else if (!m.status?.phase) api.after(timing.nodeSync, () => provision(m.metadata.name));
  });
  api.on(["Node"], (ev) => {
    const machine = ev.object.metadata.annotations?.["machine.openshift.io/machine"]?.split("/")[1];
    if (!machine) return;
    const owner = api
      .get(MAPI, "Machine", machine, ns)
      ?.metadata.ownerReferences?.find((o: Obj) => o.kind === "MachineSet")?.name;
    if (owner && (ev.type !== "MODIFIED" || ready(ev.old) !== ready(ev.object)))
      api.after(timing.nodeSync, () => syncMachineSet(owner));
  });
}
