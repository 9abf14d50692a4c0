/**
 * `llw aws network status` (what every `up` re-run also reads) over the largest data network the
 * template holds (4 metal workers x 4 ENIs) in the EC2 emulator, against the same four API calls
 * made bare with the SDK in the same run: DescribeStacks, ListStackResources, one batched
 * DescribeNetworkInterfaces and one DescribeInstances of the cluster's tagged instances (status
 * reports a worker whose instance is gone, and a stack whose cluster is gone). Goal: the same
 * number of calls (no per-ENI or per-instance call), within 1.2x of the bare time. A per-ENI
 * DescribeNetworkInterfaces loop is shown too, as what batching avoids.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
} from "@aws-sdk/client-cloudformation";
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { makeIo, report as status } from "../src/aws/data-network/shell.ts";
import { networkUp } from "../src/aws/data-network/up.ts";
import { bufferContext } from "../src/lib/context.ts";
import { MOTO_CREDENTIALS, MOTO_REGION, startMoto } from "../test/helpers/moto.ts";
import { report, time } from "./lib.ts";

const REPS = Number(process.env.BENCH_REPS ?? 9);
const INFRA = "bench-x1";
const STACK = `${INFRA}-llw-data-network`;

export default async function main(): Promise<void> {
  const moto = await startMoto();
  try {
    const ec2 = moto.ec2();
    const cfn = new CloudFormationClient({
      region: MOTO_REGION,
      endpoint: moto.endpoint,
      credentials: { ...MOTO_CREDENTIALS },
    });
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!;
    const subnet = (
      await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpc.VpcId,
          CidrBlock: "10.0.0.0/19",
          AvailabilityZone: "us-east-1a",
        }),
      )
    ).Subnet!;
    await ec2.send(
      new RunInstancesCommand({
        ImageId: "ami-12c6146b",
        InstanceType: "c5.metal",
        MinCount: 4,
        MaxCount: 4,
        SubnetId: subnet.SubnetId,
        TagSpecifications: [
          { ResourceType: "instance", Tags: [{ Key: `kubernetes.io/cluster/${INFRA}`, Value: "owned" }] },
        ],
      }),
    );
    const ctx = bufferContext();
    const io = makeIo({ cluster: INFRA, ec2, cfn, pollMs: 10 }, ctx);
    await networkUp({ cluster: INFRA, ec2, cfn, interfaces: 4, attachWith: "ec2", pollMs: 10 }, ctx, io);

    const calls: string[] = [];
    for (const c of [ec2, cfn] as const) {
      (c.middlewareStack as unknown as typeof ec2.middlewareStack).add(
        (next, context) => (a) => {
          calls.push(String(context.commandName));
          return next(a);
        },
        { step: "initialize", name: "benchCount" },
      );
    }
    const count = async (fn: () => Promise<unknown>) => {
      calls.length = 0;
      await fn();
      return calls.length;
    };
    const bare = async () => {
      const s = (await cfn.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0]!;
      const r = await cfn.send(new ListStackResourcesCommand({ StackName: s.StackId }));
      const ids = (r.StackResourceSummaries ?? [])
        .filter((x) => x.ResourceType === "AWS::EC2::NetworkInterface")
        .map((x) => x.PhysicalResourceId!);
      await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ids }));
      await ec2.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: "tag-key", Values: [`kubernetes.io/cluster/${INFRA}`] }],
        }),
      );
    };
    const perEni = async () => {
      const s = (await cfn.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks![0]!;
      const r = await cfn.send(new ListStackResourcesCommand({ StackName: s.StackId }));
      for (const x of r.StackResourceSummaries ?? []) {
        if (x.ResourceType === "AWS::EC2::NetworkInterface")
          await ec2.send(
            new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [x.PhysicalResourceId!] }),
          );
      }
    };
    const llw = async () => {
      const r = await status(io, STACK);
      if (r?.interfaces.length !== 16) throw new Error(`expected 16 ENIs, got ${r?.interfaces.length}`);
    };
    const callsBare = await count(bare);
    const callsLlw = await count(llw);
    const callsPerEni = await count(perEni);
    const tBare = await time(`bare SDK calls (${callsBare} calls)`, REPS, bare);
    const tLlw = await time(`llw aws network status (${callsLlw} calls)`, REPS, llw);
    const tPerEni = await time(`per-ENI describe loop (${callsPerEni} calls)`, REPS, perEni);
    report(
      "aws: `llw aws network status`, 4 metal workers x 4 ENIs, moto_server",
      tBare,
      [tLlw, tPerEni],
      "the same calls as the bare minimum, within 1.2x of its time",
    );
  } finally {
    await moto.stop();
  }
}
