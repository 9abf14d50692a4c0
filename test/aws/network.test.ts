/**
 * `llw aws network up|down|status` against the EC2 emulator (moto_server, which emulates both
 * CloudFormation and EC2). What the emulator cannot show is said in each test's name.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import {
  CreateSubnetCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { makeIo } from "../../src/aws/data-network/shell.ts";
import { networkUp } from "../../src/aws/data-network/up.ts";
import { allowedActions, DATA_NETWORK_POLICY, LLW_READ_POLICY } from "../../src/aws/iam.ts";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { EnvironmentError } from "../../src/lib/errors.ts";
import { MOTO_CREDENTIALS, MOTO_REGION, type Moto, useMoto } from "../helpers/moto.ts";
import { ROOT } from "../helpers/tools.ts";
import { awsContext, createSubnet, createVpc, runWorker, useMotoCredentials } from "./emulated-cluster.ts";

useMotoCredentials();

const INFRA = "lab-x7k2p";
const CLUSTER_TAG = `kubernetes.io/cluster/${INFRA}`;
const STACK = `${INFRA}-llw-data-network`;

/** A small OpenShift-like cluster: VPC, a private subnet per zone, two metal workers and a normal one. */
async function cluster(ec2: EC2Client) {
  const vpc = await createVpc(ec2);
  const a = await createSubnet(ec2, vpc, "10.0.0.0/19", "us-east-1a");
  const b = await createSubnet(ec2, vpc, "10.0.32.0/19", "us-east-1b");
  const run = (type: string, subnetId: string, name: string) =>
    runWorker(ec2, { infra: INFRA, subnetId, type, name });
  const metalA = await run("c5.metal", a.SubnetId!, `${INFRA}-worker-rt-us-east-1a-abcde`);
  const metalB = await run("c5.metal", b.SubnetId!, `${INFRA}-worker-rt-us-east-1b-fghij`);
  const normal = await run("m5.xlarge", a.SubnetId!, `${INFRA}-worker-us-east-1a-klmno`);
  return { vpc, a, b, metalA, metalB, normal };
}

/** A CloudFormation client of the emulator, for tests that watch or steer its calls. */
const cloudFormation = (m: Moto) =>
  new CloudFormationClient({
    region: MOTO_REGION,
    endpoint: m.endpoint,
    credentials: { ...MOTO_CREDENTIALS },
  });

/** No ENI, subnet, route table or security group carries the stack's name tag any more. */
async function assertNothingOfTheStack(ec2: EC2Client): Promise<void> {
  const f = [{ Name: "tag:aws:cloudformation:stack-name", Values: [STACK] }];
  const left = {
    enis: (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: f }))).NetworkInterfaces ?? [],
    subnets: (await ec2.send(new DescribeSubnetsCommand({ Filters: f }))).Subnets ?? [],
    routeTables: (await ec2.send(new DescribeRouteTablesCommand({ Filters: f }))).RouteTables ?? [],
    groups: (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: f }))).SecurityGroups ?? [],
  };
  assert.deepEqual(
    [left.enis.length, left.subnets.length, left.routeTables.length, left.groups.length],
    [0, 0, 0, 0],
  );
}

/** Counts the API actions a client sends, as IAM names them (e.g. "ec2:DescribeInstances"). */
function countActions(client: EC2Client | CloudFormationClient, service: string, into: Set<string>) {
  // Both clients share the SDK's middleware stack API; the union of their types does not.
  const stack = client.middlewareStack as unknown as EC2Client["middlewareStack"];
  stack.add(
    (next, context) => (a) => {
      into.add(`${service}:${String(context.commandName).replace(/Command$/, "")}`);
      return next(a);
    },
    { step: "initialize", name: "countActions" },
  );
}

describe("llw aws network (EC2 emulator: moto_server emulating CloudFormation and EC2)", () => {
  const moto = useMoto();

  it("up --attach-with ec2: the stack creates subnets, security group and ENIs; llw attaches them at device 1..N; re-run changes nothing; down removes them", async (t) => {
    const m = moto(t);
    if (!m) return;
    await m.reset();
    const ec2 = m.ec2();
    const c = await cluster(ec2);

    const up = awsContext(m.endpoint);
    const args = [
      "aws",
      "network",
      "up",
      "--infra-id",
      INFRA,
      "--interfaces",
      "2",
      "--attach-with",
      "ec2",
      "-o",
      "json",
    ];
    assert.equal(await main(args, up), 0, up.err());
    const first = JSON.parse(up.out());
    assert.equal(first.action, "created");
    assert.match(up.err(), /CREATE_COMPLETE/, "progress shows the stack events");
    // One data subnet per zone with a metal worker, from the free top of the VPC.
    assert.deepEqual(first.subnets.map((s: { zone: string; cidr: string }) => [s.zone, s.cidr]).sort(), [
      ["us-east-1a", "10.0.255.0/24"],
      ["us-east-1b", "10.0.254.0/24"],
    ]);
    assert.equal(
      first.interfaces.length,
      4,
      "2 metal workers x 2 interfaces; the m5.xlarge worker gets none",
    );
    assert.equal(first.attached.length, 4);

    // What EC2 itself says: each metal worker has its primary ENI plus two data ENIs at 1 and 2,
    // on the data subnet of its own zone, in the data security group.
    const dataSubnet = Object.fromEntries(
      first.subnets.map((s: { zone: string; subnetId: string }) => [s.zone, s.subnetId]),
    );
    for (const w of [c.metalA, c.metalB]) {
      const enis =
        (
          await ec2.send(
            new DescribeNetworkInterfacesCommand({
              Filters: [{ Name: "attachment.instance-id", Values: [w.InstanceId!] }],
            }),
          )
        ).NetworkInterfaces ?? [];
      const byIndex = new Map(enis.map((n) => [n.Attachment?.DeviceIndex, n]));
      assert.deepEqual([...byIndex.keys()].sort(), [0, 1, 2]);
      assert.equal(byIndex.get(0)!.SubnetId, w.SubnetId, "the primary ENI is untouched");
      for (const i of [1, 2]) {
        assert.equal(byIndex.get(i)!.SubnetId, dataSubnet[w.Placement!.AvailabilityZone!]);
        assert.equal(byIndex.get(i)!.Attachment!.Status, "attached");
      }
    }
    // The data subnets carry llw:infra-id but not the cluster tag, so the cloud provider does not
    // take them for load-balancer subnets (the emulator applies the stack's tags to every resource).
    const subnetTags = (
      await ec2.send(new DescribeSubnetsCommand({ SubnetIds: Object.values(dataSubnet) as string[] }))
    ).Subnets!.map((s) => Object.fromEntries((s.Tags ?? []).map((t) => [t.Key, t.Value])));
    for (const tags of subnetTags) {
      assert.equal(tags["llw:infra-id"], INFRA);
      assert.equal(tags[CLUSTER_TAG], undefined, "no kubernetes.io/cluster tag on a data subnet");
    }
    const normalEnis = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [c.normal.InstanceId!] })))
      .Reservations![0]!.Instances![0]!.NetworkInterfaces!;
    assert.equal(normalEnis.length, 1, "the non-metal worker is left alone");
    const sg = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [first.securityGroupId] }));
    assert.deepEqual(
      sg.SecurityGroups![0]!.IpPermissions!.flatMap((p) => p.IpRanges!.map((r) => r.CidrIp)).sort(),
      ["10.0.254.0/24", "10.0.255.0/24"],
    );

    // Re-running keeps every subnet and ENI (same ids) and attaches nothing new.
    const again = awsContext(m.endpoint);
    assert.equal(await main(args, again), 0, again.err());
    const second = JSON.parse(again.out());
    assert.deepEqual(second.attached, []);
    assert.deepEqual(
      second.interfaces.map((i: { networkInterfaceId: string }) => i.networkInterfaceId),
      first.interfaces.map((i: { networkInterfaceId: string }) => i.networkInterfaceId),
    );
    assert.deepEqual(second.subnets, first.subnets);

    // The SR-IOV side sees what was made: every data ENI on each metal worker is usable.
    const det = awsContext(m.endpoint);
    assert.equal(
      await main(["sriov", "detect", "--infra-id", INFRA, "--no-cluster", "-o", "json"], det),
      0,
      det.err(),
    );
    const detection = JSON.parse(det.out());
    const metal = detection.nodes.filter((n: { metal: boolean }) => n.metal);
    assert.equal(metal.length, 2);
    const usable = metal.flatMap((n: { interfaces: { role: string; networkInterfaceId: string }[] }) =>
      n.interfaces.filter((i) => i.role === "usable").map((i) => i.networkInterfaceId),
    );
    assert.deepEqual(
      usable.sort(),
      first.interfaces.map((i: { networkInterfaceId: string }) => i.networkInterfaceId).sort(),
    );

    const status = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "status", "--infra-id", INFRA], status), 0, status.err());
    assert.match(status.out(), /attached to i-\w+ at 2/);

    const down = awsContext(m.endpoint);
    assert.equal(
      await main(["aws", "network", "down", "--infra-id", INFRA, "-o", "json"], down),
      0,
      down.err(),
    );
    const removed = JSON.parse(down.out());
    assert.equal(removed.detached.length, 4, "llw detaches the ENIs it attached before deleting the stack");
    // moto 5.2 deletes the stack's subnets and security group but leaves its ENIs and route table;
    // llw removes what still carries the stack's id tag and says so (real CloudFormation leaves nothing).
    await assertNothingOfTheStack(ec2);
    for (const w of [c.metalA, c.metalB]) {
      const enis = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [w.InstanceId!] })))
        .Reservations![0]!.Instances![0]!.NetworkInterfaces!;
      assert.deepEqual(
        enis.map((n) => n.Attachment?.DeviceIndex),
        [0],
        "only the primary ENI remains",
      );
    }
    const subnets = (
      await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [c.vpc.VpcId!] }] }))
    ).Subnets!;
    assert.deepEqual(
      subnets.map((s) => s.CidrBlock).sort(),
      ["10.0.0.0/19", "10.0.32.0/19"],
      "the cluster's own subnets stay",
    );

    const twice = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "down", "--infra-id", INFRA], twice), 0, twice.err());
    assert.match(twice.out(), /nothing to remove/);
  });

  it("up --attach-with cloudformation against an emulator that skips AWS::EC2::NetworkInterfaceAttachment: the stack completes, llw checks the attachments, names each unattached ENI and exits 3", async (t) => {
    const m = moto(t);
    if (!m) return;
    await m.reset();
    await cluster(m.ec2());
    const up = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "up", "--infra-id", INFRA, "-o", "json"], up), 3, up.err());
    // moto 5.2 creates the ENIs but performs no attachment resource: llw does not take the stack's word.
    assert.match(up.err(), /CREATE_COMPLETE/);
    assert.equal(
      [...up.err().matchAll(/should be attached to i-\w+ at device index 1, but it is not attached/g)].length,
      2,
    );
    assert.match(up.err(), /did not attach these ENIs[\s\S]*--attach-with ec2/);
    const status = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "status", "--infra-id", INFRA, "-o", "json"], status), 0);
    const r = JSON.parse(status.out());
    assert.deepEqual(
      r.interfaces.map((i: { state: string }) => i.state),
      ["detached", "detached"],
    );
    assert.match(status.err(), /ENIs not attached to their worker/);
    const down = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "down", "--infra-id", INFRA], down), 0, down.err());
  });

  it("switching from --attach-with ec2 to the stack detaches llw's attachments first, keeping the ENIs (the emulator then attaches nothing, which the check reports)", async (t) => {
    const m = moto(t);
    if (!m) return;
    await m.reset();
    await cluster(m.ec2());
    const first = awsContext(m.endpoint);
    assert.equal(
      await main(["aws", "network", "up", "--infra-id", INFRA, "--attach-with", "ec2", "-o", "json"], first),
      0,
      first.err(),
    );
    const before = JSON.parse(first.out());
    const second = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "up", "--infra-id", INFRA, "-o", "json"], second), 3);
    assert.match(second.err(), /detached 2 ENIs llw had attached/);
    const status = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "status", "--infra-id", INFRA, "-o", "json"], status), 0);
    const after = JSON.parse(status.out());
    assert.equal(after.attachWith, "cloudformation");
    assert.deepEqual(
      after.interfaces.map((i: { networkInterfaceId: string }) => i.networkInterfaceId),
      before.interfaces.map((i: { networkInterfaceId: string }) => i.networkInterfaceId),
    );
    assert.equal(await main(["aws", "network", "down", "--infra-id", INFRA], awsContext(m.endpoint)), 0);
  });

  it("the IAM policies in infra/aws/iam are the ones in src/aws/iam.ts, and allow every call up, status and down make", async (t) => {
    assert.equal(
      readFileSync(join(ROOT, "infra/aws/iam/data-network-policy.json"), "utf8"),
      `${JSON.stringify(DATA_NETWORK_POLICY, null, 2)}\n`,
    );
    assert.equal(
      readFileSync(join(ROOT, "infra/aws/iam/llw-read-policy.json"), "utf8"),
      `${JSON.stringify(LLW_READ_POLICY, null, 2)}\n`,
    );
    const m = moto(t);
    if (!m) return;
    await m.reset();
    await cluster(m.ec2());
    const calls = new Set<string>();
    const statusCalls = new Set<string>();
    const clients = (into: Set<string>) => {
      const ec2 = m.ec2();
      const cfn = cloudFormation(m);
      countActions(ec2, "ec2", into);
      countActions(cfn, "cloudformation", into);
      return { infraId: INFRA, ec2, cfn, pollMs: 10 };
    };
    const { run: up } = await import("../../src/commands/aws-network-up.ts");
    const { run: status } = await import("../../src/commands/aws-network-status.ts");
    const { run: down } = await import("../../src/commands/aws-network-down.ts");
    assert.equal(
      await up({ ...clients(calls), interfaces: 1, attachWith: "ec2" }, awsContext(m.endpoint)),
      0,
    );
    assert.equal(await status(clients(statusCalls), awsContext(m.endpoint)), 0);
    assert.equal(await down(clients(calls), awsContext(m.endpoint)), 0);
    assert.ok(
      calls.has("cloudformation:CreateStack") && calls.has("ec2:AttachNetworkInterface"),
      [...calls].join(" "),
    );
    const allowed = allowedActions(DATA_NETWORK_POLICY);
    for (const a of calls) assert.ok(allowed.has(a), `${a} is not in data-network-policy.json`);
    const read = allowedActions(LLW_READ_POLICY);
    for (const a of statusCalls)
      assert.ok(read.has(a), `${a} (llw aws network status) is not in llw-read-policy.json`);
  });

  it("status of two workers x 2 ENIs makes four API calls, one each: DescribeStacks, ListStackResources, DescribeNetworkInterfaces, DescribeInstances (no per-ENI or per-instance call)", async (t) => {
    const m = moto(t);
    if (!m) return;
    await m.reset();
    await cluster(m.ec2());
    const ec2 = m.ec2();
    const cfn = cloudFormation(m);
    const { run: up } = await import("../../src/commands/aws-network-up.ts");
    const { run: status } = await import("../../src/commands/aws-network-status.ts");
    assert.equal(
      await up(
        { infraId: INFRA, ec2, cfn, pollMs: 10, interfaces: 2, attachWith: "ec2" },
        awsContext(m.endpoint),
      ),
      0,
    );
    const sent: string[] = [];
    for (const c of [ec2, cfn]) {
      (c.middlewareStack as unknown as EC2Client["middlewareStack"]).add(
        (next, context) => (a) => {
          sent.push(String(context.commandName).replace(/Command$/, ""));
          return next(a);
        },
        { step: "initialize", name: "listCalls" },
      );
    }
    const ctx = awsContext(m.endpoint);
    assert.equal(await status({ infraId: INFRA, ec2, cfn, pollMs: 10, output: "json" }, ctx), 0);
    assert.equal(JSON.parse(ctx.out()).interfaces.length, 4);
    assert.deepEqual(sent.sort(), [
      "DescribeInstances",
      "DescribeNetworkInterfaces",
      "DescribeStacks",
      "ListStackResources",
    ]);
  });

  it("bad input: no --infra-id, a malformed infra id, a cluster with no instances, an unreachable endpoint (exit 2/3, saying what to do)", async (t) => {
    const m = moto(t);
    if (!m) return;
    await m.reset();
    const none = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "up"], none), 2);
    assert.match(none.err(), /is not a cluster infra id[\s\S]*infrastructureName/);
    const bad = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "status", "--infra-id", "Not_An_Id"], bad), 2);
    const empty = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "up", "--infra-id", "nobody-abcde"], empty), 2);
    assert.match(
      empty.err(),
      /no running EC2 instances are tagged kubernetes\.io\/cluster\/nobody-abcde in us-east-1/,
    );
    const status = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "status", "--infra-id", "nobody-abcde"], status), 0);
    assert.match(status.out(), /no data network for nobody-abcde/);
    const closed = awsContext("http://127.0.0.1:9");
    assert.equal(await main(["aws", "network", "status", "--infra-id", INFRA], closed), 3, closed.err());
    assert.match(closed.err(), /cannot reach the CloudFormation endpoint \(ECONNREFUSED\)/);
  });

  it("bad option shapes (--interfaces 9, a /33) are refused before any AWS call, all together; an unreachable --endpoint-url is named, not blamed on the region", async () => {
    // Port 9 refuses connections: had llw called AWS first, this would be an endpoint error (exit 3).
    const closed = { AWS_REGION: MOTO_REGION, AWS_ENDPOINT_URL: "http://127.0.0.1:9" };
    const shapes = bufferContext({ env: closed });
    const code = await main(
      ["aws", "network", "up", "--infra-id", INFRA, "--interfaces", "9", "--cidr", "us-east-1a=10.0.0.0/33"],
      shapes,
    );
    assert.equal(code, 2, shapes.err());
    assert.match(shapes.err(), /--interfaces must be 1 to 4, got 9/);
    assert.match(shapes.err(), /"10\.0\.0\.0\/33" is not an IPv4 network in CIDR form/);
    assert.doesNotMatch(shapes.err(), /cannot reach/);
    const small = bufferContext({ env: closed });
    assert.equal(
      await main(["aws", "network", "up", "--infra-id", INFRA, "--cidr", "us-east-1a=10.0.0.0/29"], small),
      2,
    );
    assert.match(small.err(), /a subnet must be \/16 to \/28, got \/29/);
    for (const args of [
      ["aws", "network", "status", "--infra-id", INFRA],
      ["aws", "network", "up", "--infra-id", INFRA],
    ]) {
      const flag = bufferContext({ env: { AWS_REGION: MOTO_REGION } });
      assert.equal(await main([...args, "--endpoint-url", "http://127.0.0.1:9"], flag), 3, flag.err());
      assert.match(
        flag.err(),
        /cannot reach the (CloudFormation|EC2) endpoint \(ECONNREFUSED\): http:\/\/127\.0\.0\.1:9/,
      );
      assert.match(flag.err(), /--endpoint-url\) and that the endpoint is running/);
      assert.doesNotMatch(flag.err(), /check the region name/);
    }
  });

  it("a --cidr that overlaps a cluster subnet is refused before anything is created", async (t) => {
    const m = moto(t);
    if (!m) return;
    await m.reset();
    const ec2 = m.ec2();
    await cluster(ec2);
    const up = awsContext(m.endpoint);
    const code = await main(
      ["aws", "network", "up", "--infra-id", INFRA, "--cidr", "us-east-1a=10.0.8.0/24"],
      up,
    );
    assert.equal(code, 2);
    assert.match(up.err(), /10\.0\.8\.0\/24 overlaps subnet subnet-\w+ \(10\.0\.0\.0\/19, us-east-1a\)/);
    await assertNothingOfTheStack(ec2);
  });

  it("a CIDR clash that appears after llw looked (another subnet created meanwhile) fails the stack: the reason is reported and nothing half-created stays (moto fails inside CreateStack and gives no resource events)", async (t) => {
    const m = moto(t);
    if (!m) return;
    await m.reset();
    const ec2 = m.ec2();
    const c = await cluster(ec2);
    const ctx = awsContext(m.endpoint);
    const cfn = cloudFormation(m);
    // Someone else takes the data subnet's range just before the stack is created.
    cfn.middlewareStack.add(
      (next, context) => async (a) => {
        if (context.commandName === "CreateStackCommand") {
          await ec2.send(
            new CreateSubnetCommand({
              VpcId: c.vpc.VpcId,
              CidrBlock: "10.0.255.0/24",
              AvailabilityZone: "us-east-1b",
            }),
          );
        }
        return next(a);
      },
      { step: "initialize", name: "raceSubnet" },
    );
    const io = makeIo({ cluster: INFRA, cfn, pollMs: 10 }, ctx);
    await assert.rejects(
      networkUp({ cluster: INFRA, interfaces: 1, attachWith: "ec2", pollMs: 10 }, ctx, io),
      (e: unknown) => {
        assert.ok(e instanceof EnvironmentError);
        const text = e.problems.map((p) => p.what).join("\n");
        assert.match(
          text,
          /InvalidSubnet\.Conflict: The CIDR '10\.0\.255\.0\/24' conflicts with another subnet/,
        );
        assert.match(text, /nothing was left behind: removed \d+ resources? tagged with the stack/);
        return true;
      },
    );
    // The security group and route table moto made before the subnet failed are gone, and so is the stack.
    await assertNothingOfTheStack(ec2);
    await assert.rejects(cfn.send(new DescribeStacksCommand({ StackName: STACK })), /does not exist/);
  });
});
