/**
 * The data network over a cluster's life, against the EC2 emulator (moto_server emulating
 * CloudFormation and EC2): a metal worker removed, an ENI deleted by hand. moto performs
 * AWS::EC2::NetworkInterfaceAttachment not at all, so these run with --attach-with ec2, where llw
 * attaches; what moto's stack update does differently from CloudFormation is said where it matters.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { MOTO_CREDENTIALS, MOTO_REGION, useMoto } from "../helpers/moto.ts";

process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;

const INFRA = "life-x7k2p";
const CLUSTER_TAG = `kubernetes.io/cluster/${INFRA}`;

async function cluster(ec2: EC2Client) {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!;
  const subnet = async (cidr: string, zone: string) =>
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: cidr, AvailabilityZone: zone })))
      .Subnet!;
  const a = await subnet("10.0.0.0/19", "us-east-1a");
  const b = await subnet("10.0.32.0/19", "us-east-1b");
  const run = async (subnetId: string) =>
    (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: "ami-12c6146b",
          MinCount: 1,
          MaxCount: 1,
          InstanceType: "c5.metal",
          SubnetId: subnetId,
          TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: CLUSTER_TAG, Value: "owned" }] }],
        }),
      )
    ).Instances![0]!;
  return { vpc, a, b, metalA: await run(a.SubnetId!), metalB: await run(b.SubnetId!), run };
}

const ctxFor = (endpoint: string) =>
  bufferContext({ env: { AWS_REGION: MOTO_REGION, AWS_ENDPOINT_URL: endpoint } });

interface Iface {
  networkInterfaceId: string;
  instanceId: string;
  deviceIndex: number;
  subnetId: string;
  logicalId: string;
  attachment: string;
}

async function up(endpoint: string, extra: string[] = []) {
  const ctx = ctxFor(endpoint);
  const code = await main(
    ["aws", "network", "up", "--cluster", INFRA, "--attach-with", "ec2", "-o", "json", ...extra],
    ctx,
  );
  return { code, ctx, out: code === 0 ? JSON.parse(ctx.out()) : undefined };
}

async function enisOn(ec2: EC2Client, instanceId: string) {
  const r = await ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [{ Name: "attachment.instance-id", Values: [instanceId] }],
    }),
  );
  return (r.NetworkInterfaces ?? [])
    .map((n) => ({ id: n.NetworkInterfaceId, subnet: n.SubnetId, deviceIndex: n.Attachment?.DeviceIndex }))
    .sort((x, y) => (x.deviceIndex ?? 0) - (y.deviceIndex ?? 0));
}

describe("llw aws network over a cluster's life (EC2 emulator: moto_server)", () => {
  const moto = useMoto();

  it("removing the first of two metal workers and running up again: the other worker keeps its subnet, ENIs and device indexes, and the update succeeds", async (t) => {
    const m = moto(t);
    if (!m) return;
    await m.reset();
    const ec2 = m.ec2();
    const c = await cluster(ec2);
    const first = await up(m.endpoint, ["--interfaces", "2"]);
    assert.equal(first.code, 0, first.ctx.err());
    const bBefore = await enisOn(ec2, c.metalB.InstanceId!);
    assert.equal(bBefore.length, 3, "primary + 2 data ENIs");
    const bIfaces = (first.out.interfaces as Iface[]).filter((i) => i.instanceId === c.metalB.InstanceId);
    assert.deepEqual(
      bIfaces.map((i) => i.logicalId),
      ["Worker2Interface1", "Worker2Interface2"],
      "worker B has slot 2",
    );

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [c.metalA.InstanceId!] }));
    const second = await up(m.endpoint, ["--interfaces", "2"]);
    assert.equal(second.code, 0, second.ctx.err());
    assert.equal(second.out.action, "updated");
    assert.deepEqual(await enisOn(ec2, c.metalB.InstanceId!), bBefore, "B's ENIs, subnet and device indexes");
    const after = second.out.interfaces as Iface[];
    assert.deepEqual(
      after.map((i) => [i.logicalId, i.networkInterfaceId, i.instanceId, i.deviceIndex, i.subnetId]),
      bIfaces.map((i) => [i.logicalId, i.networkInterfaceId, i.instanceId, i.deviceIndex, i.subnetId]),
      "the stack reports exactly B's ENIs, in the same slots",
    );
    assert.deepEqual(
      second.out.subnets.map((s: { zone: string }) => s.zone),
      ["us-east-1b"],
      "zone a's data subnet is gone with its only worker",
    );
    const down = ctxFor(m.endpoint);
    assert.equal(await main(["aws", "network", "down", "--cluster", INFRA], down), 0, down.err());
  });
});
