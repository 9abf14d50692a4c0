/**
 * Cross-checks what EC2 says against what the SR-IOV Network Operator reports in each node's
 * SriovNetworkNodeState: on 4.22+ every dedicated ENI must appear as an ENA device with the
 * expected netFilter and totalvfs 1; the primary interface must never be configured. Pure.
 */
import type { Detection } from "./classify.ts";
import type { Mechanism } from "./generate.ts";

export interface NodeStateInterface {
  name?: string;
  mac?: string;
  driver?: string;
  vendor?: string;
  deviceID?: string;
  netFilter?: string;
  totalvfs?: number;
  numVfs?: number;
}

export interface NodeStateFacts {
  nodeName: string;
  interfaces: NodeStateInterface[];
  syncStatus?: string;
}

export interface CrossCheckFinding {
  severity: "error" | "warning" | "info";
  /** The node concerned; absent for findings about the whole cluster. */
  node?: string;
  message: string;
}

/**
 * The cross-check of a reachable cluster. `states` is undefined when the operator's API is not
 * served (the operator is not installed). On 4.22+ that, and a cluster without any node state,
 * are warnings: the policies would apply to nothing.
 */
export function crossCheckCluster(
  det: Detection,
  states: NodeStateFacts[] | undefined,
  mechanism: Mechanism,
): CrossCheckFinding[] {
  if (states === undefined) {
    return mechanism === "operator"
      ? [
          {
            severity: "warning",
            message:
              "the SR-IOV Network Operator is not installed (the cluster does not serve sriovnetwork.openshift.io/v1): " +
              "the policies apply to nothing until it is; install it (gitops/operators/sriov-network-operator, e.g. `llw install`) and run again to cross-check",
          },
        ]
      : [];
  }
  const findings: CrossCheckFinding[] = [];
  if (states.length === 0 && mechanism === "operator") {
    findings.push({
      severity: "warning",
      message:
        "the SR-IOV Network Operator is installed but no SriovNetworkNodeState exists: its config daemon runs on no node " +
        "(check SriovOperatorConfig default's configDaemonNodeSelector and the operator's pods in openshift-sriov-network-operator)",
    });
  }
  return [...findings, ...crossCheck(det, states, mechanism)];
}

export function crossCheck(
  det: Detection,
  states: NodeStateFacts[],
  mechanism: Mechanism,
): CrossCheckFinding[] {
  const findings: CrossCheckFinding[] = [];
  const byNode = new Map(states.map((s) => [s.nodeName, s]));
  for (const n of det.nodes.filter((x) => x.metal)) {
    const node = n.nodeName ?? n.privateDnsName ?? n.instanceId;
    const state = byNode.get(node);
    const usable = n.interfaces.filter((i) => i.role === "usable");
    if (!state) {
      if (mechanism === "operator") {
        findings.push({
          severity: "warning",
          node,
          message:
            "no SriovNetworkNodeState: the operator's config daemon does not run on this node yet (check its node selector and that the operator is installed)",
        });
      }
      continue;
    }
    const macs = new Map(state.interfaces.map((i) => [(i.mac ?? "").toLowerCase(), i]));
    const primary = n.interfaces.find((i) => i.role === "primary");
    const stPrimary = primary ? macs.get(primary.macAddress) : undefined;
    if (stPrimary && (stPrimary.numVfs ?? 0) > 0) {
      findings.push({
        severity: "error",
        node,
        message: `the primary interface ${stPrimary.name ?? primary!.macAddress} is configured by a policy: the cluster network is at risk`,
      });
    }
    for (const eni of usable) {
      const st = macs.get(eni.macAddress);
      if (mechanism === "host-device") {
        if (st) {
          findings.push({
            severity: "info",
            node,
            message: `${eni.networkInterfaceId} (${eni.macAddress}) appears in the node state as ${st.name ?? "?"}: the operator sees ENA devices, so it supports AWS; consider --ocp-version 4.22`,
          });
        }
        continue;
      }
      if (!st) {
        findings.push({
          severity: "error",
          node,
          message: `${eni.networkInterfaceId} (${eni.macAddress}) is not in SriovNetworkNodeState.status.interfaces: the operator does not see it (is this OpenShift 4.22+ with platform aws?)`,
        });
        continue;
      }
      const expected = `aws/NetworkID:${eni.subnetId.replace(/^subnet-/, "")}`;
      if (st.netFilter !== expected) {
        findings.push({
          severity: "error",
          node,
          message: `${st.name ?? eni.macAddress}: netFilter is ${st.netFilter ?? "empty"}, expected ${expected}`,
        });
      }
      if (st.totalvfs !== 1) {
        findings.push({
          severity: "error",
          node,
          message: `${st.name ?? eni.macAddress}: totalvfs is ${st.totalvfs ?? "empty"}, expected 1 (one ENI is one VF)`,
        });
      }
    }
  }
  return findings;
}
