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

/**
 * Why the operator does not list an ENI EC2 shows attached. Its AWS platform
 * (openshift/sriov-network-operator release-4.22, pkg/platform/aws/aws.go) lists a node's ENIs
 * once, from instance metadata, when the config daemon first starts, and keeps them in a
 * checkpoint (/host/tmp/sno-initial-node-state.json, pkg/host/store) that only a reboot clears
 * (/tmp is a tmpfs); discovery does not look again ("TODO: check if we want to support hot plug").
 * It reads the metadata with a plain GET, which an instance that requires IMDSv2 refuses.
 */
function unseenReason(
  eni: { networkInterfaceId: string; macAddress: string },
  state: NodeStateFacts,
): string {
  const id = `${eni.networkInterfaceId} (${eni.macAddress}) is not in SriovNetworkNodeState.status.interfaces`;
  const anyAws = state.interfaces.some((i) => (i.netFilter ?? "").startsWith("aws/"));
  if (anyAws) {
    return (
      `${id}: it was attached after the operator's config daemon listed this node's ENIs (it reads them once from instance ` +
      "metadata and keeps them until the node reboots); drain and reboot the node (oc adm drain, then reboot it) so the operator sees it"
    );
  }
  return (
    `${id}, and the operator reports no ENI of this node with an aws/NetworkID netFilter: its AWS platform could not read ` +
    "instance metadata (it uses IMDSv1: an instance that requires IMDSv2 answers 401; set the metal MachineSet's " +
    "metadataServiceOptions.authentication to Optional, llw aws machineset --imds optional) or the ENIs were attached after it started " +
    "(reboot the node); the AWS platform exists from OpenShift 4.22"
  );
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
        findings.push({ severity: "error", node, message: unseenReason(eni, state) });
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
