/**
 * `llw sriov detect` over 50 metal instances with 4 ENIs each (the primary and 3 dedicated) in
 * the EC2 emulator, against the same EC2 calls made bare with the SDK in the same run (no
 * classification, no error translation). Reports API calls and wall time. Goal: the same number
 * of calls as the bare minimum (batched describes, no per-ENI calls), within 1.2x of its time.
 * A per-instance DescribeNetworkInterfaces loop is shown too, as what batching avoids.
 */
import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type Instance,
  type NetworkInterface,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { countCalls } from "../src/aws/ec2.ts";
import { bufferContext } from "../src/lib/context.ts";
import { detect } from "../src/sriov/shell.ts";
import { startMoto } from "../test/helpers/moto.ts";
import { createVpc } from "../test/sriov/fixture.ts";
import { report, summarize } from "./lib.ts";

const INSTANCES = 50;
const DEDICATED_PER_INSTANCE = 3;
const REPS = Number(process.env.BENCH_REPS ?? 9);
const INFRA_ID = "bench-x1";
const TAG = `kubernetes.io/cluster/${INFRA_ID}`;

async function buildFleet(ec2: EC2Client): Promise<void> {
  const net = await createVpc(ec2);
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: "ami-12c6146b",
      InstanceType: "c5.metal",
      MinCount: INSTANCES,
      MaxCount: INSTANCES,
      SubnetId: net.clusterSubnet,
      TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: TAG, Value: "owned" }] }],
    }),
  );
  const subnets = [net.dataA, net.dataB, net.dataA];
  for (const inst of run.Instances ?? []) {
    for (let d = 1; d <= DEDICATED_PER_INSTANCE; d++) {
      const eni = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnets[d - 1]! }));
      await ec2.send(
        new AttachNetworkInterfaceCommand({
          NetworkInterfaceId: eni.NetworkInterface!.NetworkInterfaceId!,
          InstanceId: inst.InstanceId!,
          DeviceIndex: d,
        }),
      );
    }
  }
}

/** The bare minimum with the SDK: the same five describes, results kept, nothing else. */
async function bare(ec2: EC2Client): Promise<number> {
  const instances: Instance[] = [];
  for await (const p of paginateDescribeInstances(
    { client: ec2 },
    { Filters: [{ Name: "tag-key", Values: [TAG] }], MaxResults: 1000 },
  )) {
    for (const r of p.Reservations ?? []) instances.push(...(r.Instances ?? []));
  }
  const types = [...new Set(instances.map((i) => i.InstanceType!))];
  await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: types }));
  const enis: NetworkInterface[] = [];
  for await (const p of paginateDescribeNetworkInterfaces(
    { client: ec2 },
    {
      Filters: [{ Name: "attachment.instance-id", Values: instances.map((i) => i.InstanceId!) }],
      MaxResults: 1000,
    },
  )) {
    enis.push(...(p.NetworkInterfaces ?? []));
  }
  const vpcs = [...new Set(instances.map((i) => i.VpcId!))];
  for await (const p of paginateDescribeNetworkInterfaces(
    { client: ec2 },
    {
      Filters: [
        { Name: "vpc-id", Values: vpcs },
        { Name: "status", Values: ["available"] },
        { Name: "tag-key", Values: [TAG, "llw:infra-id"] },
      ],
      MaxResults: 1000,
    },
  )) {
    enis.push(...(p.NetworkInterfaces ?? []));
  }
  const subnetIds = [...new Set(enis.map((e) => e.SubnetId!))];
  await ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }));
  return enis.length;
}

/** What batching avoids: one DescribeNetworkInterfaces per instance. */
async function perInstance(ec2: EC2Client): Promise<void> {
  const instances: Instance[] = [];
  for await (const p of paginateDescribeInstances(
    { client: ec2 },
    { Filters: [{ Name: "tag-key", Values: [TAG] }] },
  )) {
    for (const r of p.Reservations ?? []) instances.push(...(r.Instances ?? []));
  }
  for (const i of instances) {
    await ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [{ Name: "attachment.instance-id", Values: [i.InstanceId!] }],
      }),
    );
  }
}

export default async function sriovBench(): Promise<void> {
  const moto = await startMoto();
  try {
    const setup = moto.ec2();
    await buildFleet(setup);
    const bareClient = moto.ec2();
    const bareCounter = countCalls(bareClient);
    const naiveClient = moto.ec2();
    const naiveCounter = countCalls(naiveClient);
    const ctx = bufferContext({ env: moto.env() });
    let llwCalls = 0;
    let usable = 0;
    const runLlw = async () => {
      const r = await detect({ infraId: INFRA_ID, cluster: false }, ctx);
      llwCalls = r.counter.total();
      usable = r.detection.totals.usable;
    };
    // Interleaved (bare, llw, per-instance in turn, after one warm-up of each) so that drift in
    // the shared machine and the emulator hits all three alike.
    let enis = 0;
    const runBare = async () => {
      enis = await bare(bareClient);
    };
    const runNaive = () => perInstance(naiveClient);
    await runBare();
    await runLlw();
    await runNaive();
    const samples: [number[], number[], number[]] = [[], [], []];
    for (let i = 0; i < REPS; i++) {
      for (const [k, fn] of [runBare, runLlw, runNaive].entries()) {
        const t0 = performance.now();
        await fn();
        samples[k as 0 | 1 | 2].push(performance.now() - t0);
      }
    }
    const baseline = summarize("bare SDK: the same describes, no classification", samples[0]);
    const llw = summarize("llw sriov detect (gather + classify)", samples[1]);
    const naive = summarize("per-instance DescribeNetworkInterfaces (not batched)", samples[2]);
    const bareCallsPerRun = bareCounter.total() / (REPS + 1);
    const naiveCallsPerRun = naiveCounter.total() / (REPS + 1);
    report(
      `sriov: detect over ${INSTANCES} c5.metal x ${DEDICATED_PER_INSTANCE + 1} ENIs in moto_server (${REPS} runs each, ${enis} ENIs, ${usable} usable)`,
      baseline,
      [llw, naive],
      "the same number of calls as the bare minimum, within 1.2x of its time",
    );
    console.log(`\n| measurement | EC2 API calls per run |\n|---|---:|`);
    console.log(`| bare SDK | ${bareCallsPerRun} |`);
    console.log(`| llw sriov detect | ${llwCalls} |`);
    console.log(`| per-instance loop | ${naiveCallsPerRun} |`);
  } finally {
    await moto.stop();
  }
}
