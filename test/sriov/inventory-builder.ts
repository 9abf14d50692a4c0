/** In-memory inventories for the pure planner tests. */
import type { EniFacts, InstanceFacts, InstanceTypeFacts, Inventory } from "../../src/sriov/inventory.ts";

export const TYPES: InstanceTypeFacts[] = [
  {
    instanceType: "c5.metal",
    bareMetal: true,
    enaSupport: "required",
    efaSupported: false,
    maximumNetworkInterfaces: 15,
    maximumNetworkCards: 1,
  },
  {
    instanceType: "c5n.metal",
    bareMetal: true,
    enaSupport: "required",
    efaSupported: true,
    maximumEfaInterfaces: 1,
    maximumNetworkInterfaces: 15,
    maximumNetworkCards: 1,
  },
  {
    instanceType: "m5.xlarge",
    bareMetal: false,
    enaSupport: "required",
    efaSupported: false,
    maximumNetworkInterfaces: 4,
    maximumNetworkCards: 1,
  },
];

let seq = 0;
function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

export function instance(type: string, extra: Partial<InstanceFacts> = {}): InstanceFacts {
  seq++;
  return {
    instanceId: `i-${hex(seq, 17)}`,
    instanceType: type,
    state: "running",
    subnetId: "subnet-0cluster",
    vpcId: "vpc-1",
    privateDnsName: `ip-10-0-0-${seq}.ec2.internal`,
    tags: {},
    ...extra,
  };
}

export function eni(
  inst: InstanceFacts | undefined,
  deviceIndex: number,
  subnetId: string,
  extra: Partial<EniFacts> & { networkCardIndex?: number; attachmentStatus?: string } = {},
): EniFacts {
  seq++;
  const { networkCardIndex, attachmentStatus, ...rest } = extra;
  return {
    networkInterfaceId: `eni-${hex(seq, 17)}`,
    macAddress: `02:00:00:00:${hex(Math.floor(seq / 256) % 256, 2)}:${hex(seq % 256, 2)}`,
    subnetId,
    interfaceType: "interface",
    status: inst ? "in-use" : "available",
    privateIpAddress: `10.0.10.${seq % 250}`,
    tags: {},
    ...(inst && {
      attachment: {
        instanceId: inst.instanceId,
        deviceIndex,
        networkCardIndex: networkCardIndex ?? 0,
        status: attachmentStatus ?? "attached",
      },
    }),
    ...rest,
  };
}

export function inventory(instances: InstanceFacts[], enis: EniFacts[]): Inventory {
  return {
    region: "us-east-2",
    source: "cluster-tag",
    clusterTag: "kubernetes.io/cluster/demo-1",
    infraIds: ["demo-1"],
    instances,
    instanceTypes: TYPES,
    enis,
    subnets: [
      { subnetId: "subnet-0cluster", cidrBlock: "10.0.0.0/24", name: "demo-private" },
      { subnetId: "subnet-0data1", cidrBlock: "10.0.10.0/24", name: "demo-sriov-a" },
      { subnetId: "subnet-0data2", cidrBlock: "10.0.11.0/26" },
    ],
  };
}

/** One metal worker with a primary and `extra` dedicated ENIs on data subnet 1. */
export function simpleWorld(extra = 1, type = "c5.metal") {
  const w = instance(type);
  const enis = [eni(w, 0, "subnet-0cluster")];
  for (let i = 1; i <= extra; i++) enis.push(eni(w, i, "subnet-0data1"));
  return { worker: w, enis, inv: inventory([w], enis) };
}
