/**
 * Builds a small OpenShift-on-AWS world in the EC2 emulator: a VPC with the cluster subnet and
 * two data subnets, a control-plane machine, metal workers with dedicated ENIs (one with an EFA
 * interface, one with an ENI on the cluster subnet, one with none), a non-metal worker with an
 * extra ENI, and a detached ENI. moto has no i3.metal: c5.metal, c5n.metal and m5.metal are used.
 */
import {
  type _InstanceType,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  type EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";

export const INFRA_ID = "demo-x1k2p";
export const CLUSTER_TAG = `kubernetes.io/cluster/${INFRA_ID}`;
const AMI = "ami-12c6146b"; // one of moto's built-in AMIs

export interface World {
  vpcId: string;
  clusterSubnet: string;
  dataA: string;
  dataB: string;
  master: string;
  /** A control-plane machine set's replacement master: `<infra-id>-master-<random>-0`. */
  replacementMaster: string;
  /** A master known by cluster-api-provider-aws's role tag only. */
  capaMaster: string;
  /** c5n.metal: ENIs on data A (dev 1) and data B (dev 2), an EFA interface (dev 3). */
  metal1: string;
  /** c5.metal: ENI on data A (dev 1), ENI on the cluster subnet (dev 2). */
  metal2: string;
  /** m5.metal: primary only. */
  metal3: string;
  /** m5.xlarge worker with an extra ENI on data A. */
  small: string;
  /** Created as InterfaceType efa; moto records it as "interface" (see markEfa in the moto helper). */
  efaEni: string;
  detachedEni: string;
  /** Detached, tagged only `llw:infra-id: <infra-id>` (as a hand-made data interface might be). */
  llwDetachedEni: string;
  /** Detached in the same VPC but another cluster's, and one with no tags at all: not ours. */
  foreignEnis: string[];
  /** ENI id -> MAC and private IP, for the manifests. */
  enis: Map<string, { mac: string; ip: string; subnet: string; instance?: string; deviceIndex?: number }>;
}

function tagSpec(
  resource: "instance" | "network-interface" | "subnet" | "vpc",
  tags: Record<string, string>,
) {
  return [{ ResourceType: resource, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }];
}

export async function runInstance(
  ec2: EC2Client,
  subnetId: string,
  type: string,
  name: string,
  tags: Record<string, string> = { [CLUSTER_TAG]: "owned" },
): Promise<string> {
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: AMI,
      InstanceType: type as _InstanceType,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnetId,
      TagSpecifications: tagSpec("instance", { Name: name, ...tags }),
    }),
  );
  return out.Instances![0]!.InstanceId!;
}

export async function addEni(
  ec2: EC2Client,
  world: Pick<World, "enis">,
  subnetId: string,
  attach?: { instanceId: string; deviceIndex: number },
  interfaceType?: "efa",
  tags: Record<string, string> = { [CLUSTER_TAG]: "owned" },
): Promise<string> {
  const out = await ec2.send(
    new CreateNetworkInterfaceCommand({
      SubnetId: subnetId,
      ...(interfaceType && { InterfaceType: interfaceType }),
      ...(Object.keys(tags).length > 0 && { TagSpecifications: tagSpec("network-interface", tags) }),
    }),
  );
  const eni = out.NetworkInterface!;
  if (attach) {
    await ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eni.NetworkInterfaceId!,
        InstanceId: attach.instanceId,
        DeviceIndex: attach.deviceIndex,
      }),
    );
  }
  world.enis.set(eni.NetworkInterfaceId!, {
    mac: eni.MacAddress!,
    ip: eni.PrivateIpAddress!,
    subnet: subnetId,
    ...(attach && { instance: attach.instanceId, deviceIndex: attach.deviceIndex }),
  });
  return eni.NetworkInterfaceId!;
}

export async function createVpc(ec2: EC2Client, zone = "us-east-1a") {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }));
  const vpcId = vpc.Vpc!.VpcId!;
  const subnet = async (cidr: string, name: string) =>
    (
      await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          CidrBlock: cidr,
          AvailabilityZone: zone,
          TagSpecifications: tagSpec("subnet", { Name: name }),
        }),
      )
    ).Subnet!.SubnetId!;
  return {
    vpcId,
    clusterSubnet: await subnet("10.0.0.0/24", `${INFRA_ID}-private-us-east-1a`),
    dataA: await subnet("10.0.10.0/24", `${INFRA_ID}-sriov-a`),
    dataB: await subnet("10.0.11.0/24", `${INFRA_ID}-sriov-b`),
  };
}

export async function buildWorld(ec2: EC2Client): Promise<World> {
  const net = await createVpc(ec2);
  const w: World = { ...net, enis: new Map() } as World;
  w.master = await runInstance(ec2, net.clusterSubnet, "m5.xlarge", `${INFRA_ID}-master-0`);
  w.metal1 = await runInstance(ec2, net.clusterSubnet, "c5n.metal", `${INFRA_ID}-worker-metal-a-1`);
  w.metal2 = await runInstance(ec2, net.clusterSubnet, "c5.metal", `${INFRA_ID}-worker-metal-a-2`);
  w.metal3 = await runInstance(ec2, net.clusterSubnet, "m5.metal", `${INFRA_ID}-worker-metal-a-3`);
  w.small = await runInstance(ec2, net.clusterSubnet, "m5.xlarge", `${INFRA_ID}-worker-us-east-1a-x`);
  await addEni(ec2, w, net.dataA, { instanceId: w.metal1, deviceIndex: 1 });
  await addEni(ec2, w, net.dataB, { instanceId: w.metal1, deviceIndex: 2 });
  w.efaEni = await addEni(ec2, w, net.dataA, { instanceId: w.metal1, deviceIndex: 3 }, "efa");
  await addEni(ec2, w, net.dataA, { instanceId: w.metal2, deviceIndex: 1 });
  await addEni(ec2, w, net.clusterSubnet, { instanceId: w.metal2, deviceIndex: 2 });
  await addEni(ec2, w, net.dataA, { instanceId: w.small, deviceIndex: 1 });
  w.detachedEni = await addEni(ec2, w, net.dataA);
  // Created last so that the workers' addresses (and the docs samples) do not move.
  w.replacementMaster = await runInstance(ec2, net.clusterSubnet, "m5.xlarge", `${INFRA_ID}-master-k2x9p-0`);
  w.capaMaster = await runInstance(ec2, net.clusterSubnet, "m5.xlarge", "cp-2", {
    [CLUSTER_TAG]: "owned",
    "sigs.k8s.io/cluster-api-provider-aws/role": "control-plane",
  });
  w.llwDetachedEni = await addEni(ec2, w, net.dataB, undefined, undefined, { "llw:infra-id": INFRA_ID });
  w.foreignEnis = [
    await addEni(ec2, w, net.dataA, undefined, undefined, { "kubernetes.io/cluster/other-a1b2c": "owned" }),
    await addEni(ec2, w, net.dataB, undefined, undefined, {}),
  ];
  return w;
}
