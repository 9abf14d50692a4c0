/**
 * The machines of an OpenShift cluster in the EC2 emulator (moto_server), as the data network
 * tests build them: a VPC, a subnet per zone, instances tagged kubernetes.io/cluster/<infra id>
 * (how `llw aws network` and `llw doctor` find a cluster's workers).
 */
import {
  type _InstanceType,
  CreateSubnetCommand,
  CreateVpcCommand,
  type EC2Client,
  type Instance,
  RunInstancesCommand,
  type Subnet,
  type Vpc,
} from "@aws-sdk/client-ec2";
import { bufferContext } from "../../src/lib/context.ts";
import { MOTO_CREDENTIALS, MOTO_REGION } from "../helpers/moto.ts";

/** The SDK's default credential chain reads the process environment: point it at moto's test keys. */
export function useMotoCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
}

/** A context whose AWS clients talk to `endpoint`, in the emulator's region. */
export const awsContext = (endpoint: string, cwd?: string) =>
  bufferContext({ ...(cwd && { cwd }), env: { AWS_REGION: MOTO_REGION, AWS_ENDPOINT_URL: endpoint } });

/** The cluster's VPC, 10.0.0.0/16. */
export async function createVpc(ec2: EC2Client): Promise<Vpc> {
  return (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!;
}

export async function createSubnet(ec2: EC2Client, vpc: Vpc, cidr: string, zone: string): Promise<Subnet> {
  return (
    await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: cidr, AvailabilityZone: zone }))
  ).Subnet!;
}

/** One instance of the cluster `infra` (a c5.metal unless `type` says otherwise), with a Name tag if given. */
export async function runWorker(
  ec2: EC2Client,
  o: { infra: string; subnetId: string; type?: string; name?: string },
): Promise<Instance> {
  const tags = [
    { Key: `kubernetes.io/cluster/${o.infra}`, Value: "owned" },
    ...(o.name ? [{ Key: "Name", Value: o.name }] : []),
  ];
  const r = await ec2.send(
    new RunInstancesCommand({
      ImageId: "ami-12c6146b", // one of moto's built-in AMIs
      MinCount: 1,
      MaxCount: 1,
      InstanceType: (o.type ?? "c5.metal") as _InstanceType,
      SubnetId: o.subnetId,
      TagSpecifications: [{ ResourceType: "instance", Tags: tags }],
    }),
  );
  return r.Instances![0]!;
}
