/**
 * The SR-IOV Network Operator (k8snetworkplumbingwg/sriov-network-operator master; OpenShift's
 * release-4.22 carries the same AWS code):
 * - the operator writes one SriovNetworkNodeState per node its config daemon runs on (default
 *   selector: workers), in its own namespace, named after the node;
 * - the config daemon reports the node's NICs in status.interfaces. AWS support (platform `aws`
 *   when spec.providerID starts with "aws", each extra ENA ENI one "VF": totalvfs 1, netFilter
 *   "aws/NetworkID:<subnet without 'subnet-'>") exists from 4.22 on; before, the supported-NIC list
 *   has no Amazon entry and ENA devices never appear (pkg/platforms, pkg/consts);
 * - a SriovNetworkNodePolicy selects nodes (nodeSelector) and interfaces (nicSelector: vendor,
 *   deviceID, pfNames, rootDevices, netFilter); the operator writes the result into the node
 *   state's spec; the config daemon then drains and configures the node itself: this is not a
 *   Machine Config Operator render. On OpenShift it first pauses the node's MachineConfigPool,
 *   unless the MCO is rolling that pool (spec != status configuration: it waits), annotating the
 *   pool sriovnetwork.openshift.io/state=Paused, and unpauses it after the drain
 *   (pkg/orchestrator/openshift/openshift.go BeforeDrainNode/AfterCompleteDrainNode). Progress is
 *   status.syncStatus InProgress -> Succeeded; the node then offers openshift.io/<resourceName>.
 */
import type { Obj } from "../apiserver.ts";
import { type Ctx, mapSelects } from "../context.ts";
import { drainNode, primaryPool } from "./mco.ts";

const SR = "sriovnetwork.openshift.io/v1";
const MC = "machineconfiguration.openshift.io/v1";
export const SRIOV_NS = "openshift-sriov-network-operator";
const STATE = "sriovnetwork.openshift.io/state";

/** A NIC of a simulated node, as the config daemon would read it from sysfs. */
export interface Nic {
  name: string;
  mac: string;
  pciAddress: string;
  vendor: string;
  deviceID: string;
  driver: string;
  /** AWS only: the subnet of the ENI (netFilter aws/NetworkID:...). */
  subnet?: string;
  primary?: boolean;
}

export interface SriovHardware {
  nics: Map<string, Nic[]>;
}

function visible(ctx: Ctx, node: Obj, nic: Nic): boolean {
  if (nic.vendor !== "1d0f") return true;
  // ENA: only the AWS platform code (4.22 on) knows it; the primary ENI carries the cluster network.
  const aws = String(node.spec?.providerID ?? "").startsWith("aws");
  return aws && Number(ctx.ocpMinor.split(".")[1]) >= 22 && !nic.primary && nic.deviceID === "ec20";
}

function nicMatches(sel: Obj, nic: Obj): boolean {
  if (sel.vendor && sel.vendor !== nic.vendor) return false;
  if (sel.deviceID && sel.deviceID !== nic.deviceID) return false;
  if (sel.pfNames && !sel.pfNames.some((p: string) => p.split("#")[0] === nic.name)) return false;
  if (sel.rootDevices && !sel.rootDevices.includes(nic.pciAddress)) return false;
  if (sel.netFilter && sel.netFilter !== nic.netFilter) return false;
  return Boolean(sel.vendor || sel.deviceID || sel.pfNames || sel.rootDevices || sel.netFilter);
}

export function startSriov(ctx: Ctx, hw: SriovHardware): void {
  const { api, timing } = ctx;
  let running = false;
  const syncing = new Set<string>();

  function interfacesOf(node: Obj): Obj[] {
    return (hw.nics.get(node.metadata.name) ?? [])
      .filter((n) => visible(ctx, node, n))
      .map((n) => ({
        name: n.name,
        mac: n.mac,
        driver: n.driver,
        pciAddress: n.pciAddress,
        vendor: n.vendor,
        deviceID: n.deviceID,
        mtu: 9001,
        linkSpeed: "25000 Mb/s",
        linkType: "ETH",
        ...(n.subnet
          ? { netFilter: `aws/NetworkID:${n.subnet.replace(/^subnet-/, "")}`, totalvfs: 1, numVfs: 0 }
          : { totalvfs: 0 }),
      }));
  }

  function ensureStates(): void {
    if (!api.get(SR, "SriovOperatorConfig", "default", SRIOV_NS))
      api.seed({
        apiVersion: SR,
        kind: "SriovOperatorConfig",
        metadata: { name: "default", namespace: SRIOV_NS },
        spec: {
          enableInjector: true,
          enableOperatorWebhook: true,
          logLevel: 2,
          disableDrain: false,
          configDaemonNodeSelector: {},
        },
      });
    for (const n of api.list("v1", "Node")) {
      if (!("node-role.kubernetes.io/worker" in (n.metadata.labels ?? {}))) continue;
      if (api.get(SR, "SriovNetworkNodeState", n.metadata.name, SRIOV_NS)) continue;
      api.seed({
        apiVersion: SR,
        kind: "SriovNetworkNodeState",
        metadata: { name: n.metadata.name, namespace: SRIOV_NS },
        spec: { interfaces: [] },
        status: { interfaces: interfacesOf(n), syncStatus: "Succeeded" },
      });
    }
  }

  function reconcilePolicies(): void {
    const policies = api
      .list(SR, "SriovNetworkNodePolicy", SRIOV_NS)
      .sort((a, b) => (b.spec?.priority ?? 99) - (a.spec?.priority ?? 99));
    for (const st of api.list(SR, "SriovNetworkNodeState", SRIOV_NS)) {
      const node = api.get("v1", "Node", st.metadata.name);
      if (!node) continue;
      const wanted: Obj[] = [];
      for (const nic of st.status?.interfaces ?? []) {
        const pol = policies
          .filter(
            (p) =>
              mapSelects(p.spec?.nodeSelector, node.metadata.labels) &&
              nicMatches(p.spec?.nicSelector ?? {}, nic),
          )
          .pop();
        if (!pol) continue;
        wanted.push({
          name: nic.name,
          pciAddress: nic.pciAddress,
          numVfs: Math.min(pol.spec.numVfs ?? 1, nic.totalvfs ?? 0),
          vfGroups: [
            {
              resourceName: pol.spec.resourceName,
              deviceType: pol.spec.deviceType ?? "netdevice",
              policyName: pol.metadata.name,
              vfRange: "0-0",
            },
          ],
        });
      }
      if (JSON.stringify(st.spec?.interfaces ?? []) === JSON.stringify(wanted)) continue;
      api.update(SR, "SriovNetworkNodeState", st.metadata.name, SRIOV_NS, { spec: { interfaces: wanted } });
      api.update(SR, "SriovNetworkNodeState", st.metadata.name, SRIOV_NS, {
        status: { syncStatus: "InProgress" },
      });
      daemonSync(st.metadata.name);
    }
  }

  /** The config daemon of one node: drain (coordinating with the MCO), configure, Succeeded. */
  function daemonSync(nodeName: string): void {
    if (syncing.has(nodeName)) return;
    syncing.add(nodeName);
    const node = api.get("v1", "Node", nodeName)!;
    const pool = primaryPool(ctx, node);
    const cfg = api.get(SR, "SriovOperatorConfig", "default", SRIOV_NS);
    const finish = (pausedByUs: boolean) => {
      const st = api.get(SR, "SriovNetworkNodeState", nodeName, SRIOV_NS)!;
      const extended: Record<string, string | null> = {};
      for (const i of st.spec?.interfaces ?? [])
        for (const g of i.vfGroups ?? []) extended[`openshift.io/${g.resourceName}`] = String(i.numVfs);
      const n = api.get("v1", "Node", nodeName)!;
      for (const k of Object.keys(n.status?.capacity ?? {}))
        if (k.startsWith("openshift.io/") && !(k in extended)) extended[k] = null;
      api.update("v1", "Node", nodeName, undefined, {
        metadata: { annotations: { [STATE]: "Idle" } },
        spec: { unschedulable: null },
        status: { capacity: extended, allocatable: extended },
      });
      api.update(SR, "SriovNetworkNodeState", nodeName, SRIOV_NS, {
        status: {
          syncStatus: "Succeeded",
          lastSyncError: "",
          interfaces: (st.status?.interfaces ?? []).map((i: Obj) => ({
            ...i,
            numVfs: st.spec.interfaces.find((w: Obj) => w.name === i.name)?.numVfs ?? 0,
          })),
        },
      });
      if (pausedByUs && pool) {
        api.update(MC, "MachineConfigPool", pool.metadata.name, undefined, {
          metadata: { annotations: { [STATE]: "Idle" } },
          spec: { paused: false },
        });
      }
      syncing.delete(nodeName);
      ctx.stats.log.push(`sriov ${nodeName}: configured`);
    };
    const tryDrain = () => {
      if (cfg?.spec?.disableDrain) return api.after(timing.sriovSync, () => finish(false));
      const p = pool && api.get(MC, "MachineConfigPool", pool.metadata.name);
      if (p && p.spec?.configuration?.name !== p.status?.configuration?.name) {
        // The MCO is applying something to this pool: wait for it (BeforeDrainNode returns false).
        return api.after(timing.sriovSync, tryDrain);
      }
      // Upstream annotates and pauses even a pool someone else paused, and unpauses it after the
      // drain all the same: it does not know who paused it.
      const pausedByUs = Boolean(p);
      if (p)
        api.update(MC, "MachineConfigPool", p.metadata.name, undefined, {
          metadata: { annotations: { [STATE]: "Paused" } },
          spec: { paused: true },
        });
      api.update("v1", "Node", nodeName, undefined, { metadata: { annotations: { [STATE]: "Draining" } } });
      ctx.stats.log.push(`sriov ${nodeName}: draining`);
      drainNode(
        ctx,
        nodeName,
        () => api.after(timing.sriovSync, () => finish(pausedByUs)),
        "sriov-network-config-daemon",
      );
    };
    api.after(timing.sriovSync, tryDrain);
  }

  const start = () => {
    if (running || !api.resourceFor(SR, "SriovNetworkNodeState")) return;
    running = true;
    api.after(timing.sriovSync, () => {
      ensureStates();
      reconcilePolicies();
    });
  };
  api.on(["ClusterServiceVersion", "CustomResourceDefinition"], start);
  api.on(["SriovNetworkNodePolicy"], (ev) => {
    if (ev.type === "MODIFIED" && ev.old?.metadata.generation === ev.object.metadata.generation) return;
    api.after(timing.sriovSync, reconcilePolicies);
  });
  api.on(["Node"], (ev) => {
    if (running && ev.type === "ADDED") api.after(timing.sriovSync, ensureStates);
  });
  start();
}
