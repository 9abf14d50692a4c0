/**
 * Classifies every network interface of the workers for SR-IOV on AWS, with the reason.
 *
 * On AWS each extra ENI (an ENA device, DeviceIndex >= 1) is one "VF": the SR-IOV Network
 * Operator (OpenShift 4.22+, platform aws) exposes it with totalvfs=1 and selects it by the
 * subnet it is on (`aws/NetworkID:<subnet id without "subnet-">`). So a usable dedicated
 * interface is an attached ENA ENI on a metal worker, not the primary one, on a subnet that the
 * primary interface does not use. Pure: facts in, plain objects out.
 */
import type { EniFacts, InstanceFacts, InstanceTypeFacts, Inventory, SubnetFacts } from "./inventory.ts";

export type EniRole = "primary" | "usable" | "efa" | "shared-subnet" | "detached" | "not-metal" | "unusable";

export interface EniClassification {
  networkInterfaceId: string;
  macAddress: string;
  subnetId: string;
  privateIpAddress?: string;
  interfaceType: string;
  status: string;
  deviceIndex?: number;
  networkCardIndex?: number;
  role: EniRole;
  reason: string;
}

export interface NodeReport {
  instanceId: string;
  nodeName?: string;
  /** EC2 private DNS name; OpenShift on AWS names nodes after it. */
  privateDnsName?: string;
  instanceType: string;
  state: string;
  availabilityZone?: string;
  metal: boolean;
  /** What DescribeInstanceTypes says about the type (absent when EC2 did not describe it). */
  typeFacts?: TypeFacts;
  maximumNetworkInterfaces?: number;
  attachedInterfaces: number;
  /** Interfaces that can still be attached (maximum - attached). */
  freeSlots?: number;
  usable: number;
  interfaces: EniClassification[];
  /** Node-level findings (not metal, stopped, unknown type). */
  notes: string[];
}

/** The instance type's network facts, as reported per node. */
export type TypeFacts = Omit<InstanceTypeFacts, "instanceType">;

export interface DataSubnet {
  subnetId: string;
  /** The value the operator puts in nicSelector.netFilter and the node state. */
  netFilter: string;
  cidrBlock?: string;
  availabilityZone?: string;
  name?: string;
  /** Usable interfaces on this subnet, by node. */
  interfaces: { instanceId: string; nodeName?: string; privateDnsName?: string; eni: EniClassification }[];
}

export interface Detection {
  region: string;
  nodes: NodeReport[];
  /** The clusters (infra ids) whose detached ENIs were looked for. */
  infraIds: string[];
  /** ENIs of those clusters attached to nothing. */
  detached: EniClassification[];
  dataSubnets: DataSubnet[];
  totals: { nodes: number; metalNodes: number; usable: number; efa: number; detached: number };
  /** What to do next when something is missing; empty when every metal worker has a usable interface. */
  advice: string[];
}

export const SUBNET_PREFIX = "subnet-";

export function netFilterFor(subnetId: string): string {
  return `aws/NetworkID:${subnetId.startsWith(SUBNET_PREFIX) ? subnetId.slice(SUBNET_PREFIX.length) : subnetId}`;
}

function base(eni: EniFacts): Omit<EniClassification, "role" | "reason"> {
  return {
    networkInterfaceId: eni.networkInterfaceId,
    macAddress: eni.macAddress.toLowerCase(),
    subnetId: eni.subnetId,
    interfaceType: eni.interfaceType,
    status: eni.status,
    ...(eni.privateIpAddress !== undefined && { privateIpAddress: eni.privateIpAddress }),
    ...(eni.attachment && {
      deviceIndex: eni.attachment.deviceIndex,
      networkCardIndex: eni.attachment.networkCardIndex,
    }),
  };
}

/** Classifies one ENI attached to an instance. */
export function classifyAttachedEni(
  eni: EniFacts,
  instance: InstanceFacts,
  type: InstanceTypeFacts | undefined,
): EniClassification {
  const b = base(eni);
  const at = eni.attachment;
  if (at?.deviceIndex === 0 && at.networkCardIndex === 0) {
    return {
      ...b,
      role: "primary",
      reason: "primary interface (device index 0): carries the cluster network; never used",
    };
  }
  if (eni.interfaceType === "efa" || eni.interfaceType === "efa-only") {
    return {
      ...b,
      role: "efa",
      reason: `${eni.interfaceType === "efa-only" ? "EFA-only" : "EFA"} interface: the SR-IOV Network Operator does not support EFA devices in any version`,
    };
  }
  if (eni.interfaceType !== "interface") {
    return {
      ...b,
      role: "unusable",
      reason: `interface type "${eni.interfaceType}" is not a plain ENA interface`,
    };
  }
  if (!type?.bareMetal) {
    return {
      ...b,
      role: "not-metal",
      reason: `${instance.instanceType} is not a bare-metal type; the workshop dedicates interfaces on metal workers only`,
    };
  }
  if (type.enaSupport === "unsupported") {
    return {
      ...b,
      role: "unusable",
      reason: `${instance.instanceType} has no ENA support (EnaSupport: unsupported): the operator's AWS platform handles only ENA devices`,
    };
  }
  if (at && at.status !== "attached") {
    return {
      ...b,
      role: "unusable",
      reason: `attachment is ${at.status}; wait until it is attached and run again`,
    };
  }
  if (instance.subnetId !== undefined && eni.subnetId === instance.subnetId) {
    return {
      ...b,
      role: "shared-subnet",
      reason: `on the cluster's own subnet ${eni.subnetId}: the operator tags every ENA device with its subnet, so a netFilter on it could also select the primary interface; attach it from a dedicated subnet`,
    };
  }
  return {
    ...b,
    role: "usable",
    reason: `dedicated ENA interface (device index ${at?.deviceIndex ?? "?"}, card ${at?.networkCardIndex ?? 0}) on ${eni.subnetId}`,
  };
}

/** Nodes are listed by the name they are shown with (stable across runs, unlike instance ids). */
function nodeKey(i: InstanceFacts): string {
  return i.nodeName ?? i.privateDnsName ?? i.instanceId;
}

function typeFactsOf({ instanceType: _name, ...facts }: InstanceTypeFacts): TypeFacts {
  return facts;
}

function byDevice(a: EniClassification, b: EniClassification): number {
  return (
    (a.networkCardIndex ?? 0) - (b.networkCardIndex ?? 0) ||
    (a.deviceIndex ?? 99) - (b.deviceIndex ?? 99) ||
    a.networkInterfaceId.localeCompare(b.networkInterfaceId)
  );
}

/** Classifies every interface of the inventory and summarises what can be dedicated. */
export function classifyInventory(inv: Inventory): Detection {
  const types = new Map(inv.instanceTypes.map((t) => [t.instanceType, t]));
  const subnets = new Map<string, SubnetFacts>(inv.subnets.map((s) => [s.subnetId, s]));
  const byInstance = new Map<string, EniFacts[]>();
  const detachedEnis: EniFacts[] = [];
  for (const eni of inv.enis) {
    const id = eni.attachment?.instanceId;
    if (id && eni.attachment?.status !== "detached") {
      const list = byInstance.get(id) ?? [];
      list.push(eni);
      byInstance.set(id, list);
    } else detachedEnis.push(eni);
  }

  const nodes: NodeReport[] = [...inv.instances]
    .sort((a, b) => nodeKey(a).localeCompare(nodeKey(b)))
    .map((inst) => {
      const type = types.get(inst.instanceType);
      const interfaces = (byInstance.get(inst.instanceId) ?? [])
        .map((e) => classifyAttachedEni(e, inst, type))
        .sort(byDevice);
      const notes: string[] = [];
      if (!type)
        notes.push(
          `instance type ${inst.instanceType} was not described by EC2; its interfaces cannot be judged`,
        );
      else if (!type.bareMetal)
        notes.push(`${inst.instanceType} is not bare metal: not a low-latency worker`);
      else if (type.enaSupport === "unsupported")
        notes.push(`${inst.instanceType} does not support ENA: none of its interfaces can be dedicated`);
      if (inst.state !== "running")
        notes.push(`instance is ${inst.state}: its devices appear on the node only when it runs`);
      const usable = interfaces.filter((i) => i.role === "usable").length;
      if (type?.bareMetal && type.enaSupport !== "unsupported" && usable === 0)
        notes.push("no dedicated interface: attach an ENI from a separate data subnet");
      const max = type?.maximumNetworkInterfaces;
      return {
        instanceId: inst.instanceId,
        instanceType: inst.instanceType,
        state: inst.state,
        metal: Boolean(type?.bareMetal),
        ...(type !== undefined && { typeFacts: typeFactsOf(type) }),
        attachedInterfaces: interfaces.length,
        usable,
        interfaces,
        notes,
        ...(inst.nodeName !== undefined && { nodeName: inst.nodeName }),
        ...(inst.privateDnsName !== undefined && { privateDnsName: inst.privateDnsName }),
        ...(inst.availabilityZone !== undefined && { availabilityZone: inst.availabilityZone }),
        ...(max !== undefined && {
          maximumNetworkInterfaces: max,
          freeSlots: Math.max(0, max - interfaces.length),
        }),
      };
    });

  const detached = detachedEnis
    .map(
      (e): EniClassification => ({
        ...base(e),
        role: "detached",
        reason:
          e.interfaceType === "interface"
            ? `not attached to any instance; attach it to a metal worker with a device index of 1 or more to use it`
            : `not attached (interface type ${e.interfaceType})`,
      }),
    )
    .sort((a, b) => a.networkInterfaceId.localeCompare(b.networkInterfaceId));

  const dataSubnetMap = new Map<string, DataSubnet>();
  for (const n of nodes) {
    for (const eni of n.interfaces.filter((i) => i.role === "usable")) {
      let ds = dataSubnetMap.get(eni.subnetId);
      if (!ds) {
        const s = subnets.get(eni.subnetId);
        ds = {
          subnetId: eni.subnetId,
          netFilter: netFilterFor(eni.subnetId),
          interfaces: [],
          ...(s?.cidrBlock !== undefined && { cidrBlock: s.cidrBlock }),
          ...(s?.availabilityZone !== undefined && { availabilityZone: s.availabilityZone }),
          ...(s?.name !== undefined && { name: s.name }),
        };
        dataSubnetMap.set(eni.subnetId, ds);
      }
      ds.interfaces.push({
        instanceId: n.instanceId,
        eni,
        ...(n.nodeName !== undefined && { nodeName: n.nodeName }),
        ...(n.privateDnsName !== undefined && { privateDnsName: n.privateDnsName }),
      });
    }
  }
  const dataSubnets = [...dataSubnetMap.values()].sort((a, b) => a.subnetId.localeCompare(b.subnetId));

  const all = nodes.flatMap((n) => n.interfaces);
  const totals = {
    nodes: nodes.length,
    metalNodes: nodes.filter((n) => n.metal).length,
    usable: all.filter((i) => i.role === "usable").length,
    efa: all.filter((i) => i.role === "efa").length,
    detached: detached.length,
  };
  return {
    region: inv.region,
    infraIds: inv.infraIds,
    nodes,
    detached,
    dataSubnets,
    totals,
    advice: adviceFor(nodes, detached, totals),
  };
}

function adviceFor(
  nodes: NodeReport[],
  detached: EniClassification[],
  totals: Detection["totals"],
): string[] {
  const advice: string[] = [];
  if (totals.metalNodes === 0) {
    advice.push(
      "no metal workers found: add a bare-metal MachineSet (e.g. `llw aws machineset --instance-type c5.metal`) and run again",
    );
    return advice;
  }
  const without = nodes.filter((n) => n.metal && n.usable === 0);
  if (without.length > 0) {
    advice.push(
      `${without.length} metal worker(s) have no dedicated interface: create a data subnet and attach one ENI per worker ` +
        "with a device index of 1 or more (`llw aws network up` does both)",
    );
  }
  if (detached.some((d) => d.interfaceType === "interface")) {
    advice.push(
      "detached ENIs exist: attach them with `aws ec2 attach-network-interface --device-index 1 --instance-id <id> --network-interface-id <eni>`",
    );
  }
  if (nodes.some((n) => n.interfaces.some((i) => i.role === "shared-subnet"))) {
    advice.push(
      "some extra ENIs share the cluster subnet: replace them with ENIs from a subnet of their own",
    );
  }
  if (totals.efa > 0 && totals.usable === 0) {
    advice.push(
      "EFA interfaces cannot be used by the SR-IOV Network Operator: attach a plain ENA interface instead",
    );
  }
  return advice;
}
