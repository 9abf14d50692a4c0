/**
 * Where each of the stack's ENIs is against where the stack wants it, and what that means. Pure:
 * the stack's targets, what EC2 says about the ENIs and the instances in, one state per ENI and
 * the warnings out. A person can delete an ENI, the installer's destroy deletes the cluster's ENIs,
 * and the machine API replaces a worker's instance: none of that is a failure of llw, so each is a
 * state with a next step, never an abort.
 */
import type { Instance, NetworkInterface } from "@aws-sdk/client-ec2";

export interface EniTarget {
  eniId: string;
  instanceId: string;
  deviceIndex: number;
}

export type EniState =
  /** Attached to its worker at its device index. */
  | "attached"
  /** Attachment under way (attaching). */
  | "attaching"
  /** Exists, attached to nothing. */
  | "detached"
  /** Attached to another instance or at another device index. */
  | "elsewhere"
  /** The ENI no longer exists (deleted by hand, or by the installer's destroy). */
  | "missing"
  /** Its worker's instance is gone (terminated, or replaced by the machine API). */
  | "instance-gone";

export interface EniStatus extends EniTarget {
  state: EniState;
  /** Where it is attached now, when attached. */
  attachedTo?: { instanceId: string; deviceIndex: number; status: string };
  subnetId?: string;
  privateIpAddress?: string;
  macAddress?: string;
}

/** States in which an instance still counts as the worker (running or about to be). */
const LIVE = new Set(["pending", "running", "stopping", "stopped"]);

export function eniStatuses(
  targets: EniTarget[],
  enis: NetworkInterface[],
  instances: Map<string, Pick<Instance, "State">>,
): EniStatus[] {
  const byId = new Map(enis.map((n) => [n.NetworkInterfaceId, n]));
  return targets.map((t) => {
    const n = byId.get(t.eniId);
    const at = n?.Attachment;
    const attachedTo =
      at?.InstanceId && at.Status !== "detached"
        ? { instanceId: at.InstanceId, deviceIndex: at.DeviceIndex ?? -1, status: at.Status ?? "" }
        : undefined;
    const live = LIVE.has(instances.get(t.instanceId)?.State?.Name ?? "");
    let state: EniState;
    if (!n) state = "missing";
    else if (!live) state = "instance-gone";
    else if (!attachedTo) state = "detached";
    else if (attachedTo.instanceId !== t.instanceId || attachedTo.deviceIndex !== t.deviceIndex)
      state = "elsewhere";
    else state = attachedTo.status === "attached" ? "attached" : "attaching";
    return {
      ...t,
      state,
      ...(attachedTo && { attachedTo }),
      ...(n?.SubnetId && { subnetId: n.SubnetId }),
      ...(n?.PrivateIpAddress && { privateIpAddress: n.PrivateIpAddress }),
      ...(n?.MacAddress && { macAddress: n.MacAddress }),
    };
  });
}

/** One warning per kind of drift, each with what to do. */
export function driftWarnings(
  statuses: EniStatus[],
  opts: { cluster: string; attachWith: "cloudformation" | "ec2"; clusterInstances: number },
): string[] {
  const out: string[] = [];
  const up = `llw aws network up --infra-id ${opts.cluster}${opts.attachWith === "ec2" ? " --attach-with ec2" : ""}`;
  if (opts.clusterInstances === 0) {
    out.push(
      `orphaned stack: no running instance is tagged kubernetes.io/cluster/${opts.cluster} any more (the cluster was destroyed?): ` +
        `remove the data network with llw aws network down --infra-id ${opts.cluster}`,
    );
  }
  const ids = (s: EniState) =>
    statuses
      .filter((x) => x.state === s)
      .map((x) => x.eniId)
      .join(", ");
  if (ids("missing"))
    out.push(
      `ENIs of the stack no longer exist (deleted outside the stack): ${ids("missing")}; ${up} recreates them`,
    );
  if (ids("instance-gone")) {
    const gone = [...new Set(statuses.filter((x) => x.state === "instance-gone").map((x) => x.instanceId))];
    out.push(
      `the instance of a metal worker is gone (${gone.join(", ")}; replaced or removed by the machine API): ${up} ` +
        "gives its ENIs to the replacement in the same zone, or removes them",
    );
  }
  if (ids("detached")) out.push(`ENIs not attached to their worker: ${ids("detached")}; ${up} attaches them`);
  if (ids("elsewhere"))
    out.push(
      `ENIs attached to another instance or device index than the stack says: ${ids("elsewhere")}; detach them, then ${up}`,
    );
  return out;
}
