/**
 * The data network over a cluster's life, against the EC2 emulator (moto_server emulating
 * CloudFormation and EC2): a metal worker removed, an ENI deleted by hand. moto performs
 * AWS::EC2::NetworkInterfaceAttachment not at all, so these run with --attach-with ec2, where llw
 * attaches; what moto's stack update does differently from CloudFormation is said where it matters.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { main } from "../../src/cli.ts";
import { INSTANCE_ANNOTATION } from "../../src/sriov/generate.ts";
import { type Moto, startProxy, useMoto } from "../helpers/moto.ts";
import { ROOT } from "../helpers/tools.ts";
import { awsContext, createSubnet, createVpc, runWorker, useMotoCredentials } from "./emulated-cluster.ts";

useMotoCredentials();

const INFRA = "life-x7k2p";

/** Two c5.metal workers of the cluster, in zones a and b; `run` starts another in a subnet. */
async function cluster(ec2: EC2Client) {
  const vpc = await createVpc(ec2);
  const a = await createSubnet(ec2, vpc, "10.0.0.0/19", "us-east-1a");
  const b = await createSubnet(ec2, vpc, "10.0.32.0/19", "us-east-1b");
  const run = (subnetId: string) => runWorker(ec2, { infra: INFRA, subnetId });
  return { vpc, a, b, metalA: await run(a.SubnetId!), metalB: await run(b.SubnetId!), run };
}

/** The emptied emulator with the cluster of `cluster()` in it. */
async function freshCluster(m: Moto) {
  await m.reset();
  const ec2 = m.ec2();
  return { ec2, c: await cluster(ec2) };
}

interface Iface {
  networkInterfaceId: string;
  instanceId: string;
  deviceIndex: number;
  subnetId: string;
  logicalId: string;
  attachment: string;
}

async function up(endpoint: string, extra: string[] = [], cwd?: string) {
  const ctx = awsContext(endpoint, cwd);
  const code = await main(
    ["aws", "network", "up", "--infra-id", INFRA, "--attach-with", "ec2", "-o", "json", ...extra],
    ctx,
  );
  return { code, ctx, out: code === 0 ? JSON.parse(ctx.out()) : undefined };
}

/** `llw aws network down`, which must succeed: each test leaves no stack behind. */
async function down(endpoint: string): Promise<void> {
  const ctx = awsContext(endpoint);
  assert.equal(await main(["aws", "network", "down", "--infra-id", INFRA], ctx), 0, ctx.err());
}

/**
 * A checkout (under test-artifacts/) with the 4.19-4.21 attachments generated for the cluster's
 * workers as they are now, as a user would have them before a worker is replaced.
 */
async function checkoutWithAttachments(endpoint: string, prefix: string): Promise<string> {
  mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
  const repo = mkdtempSync(join(ROOT, "test-artifacts", prefix));
  const gen = awsContext(endpoint, repo);
  assert.equal(
    await main(["sriov", "generate", "--infra-id", INFRA, "--ocp-version", "4.20", "--no-cluster"], gen),
    0,
    gen.err(),
  );
  return repo;
}

/** The instances the generated network attachments in a checkout name. */
function attachmentInstances(repo: string): string[] {
  const dir = join(repo, "gitops", "overlays", "aws", "sriov");
  return readdirSync(dir)
    .flatMap((f) => [
      ...readFileSync(join(dir, f), "utf8").matchAll(new RegExp(`${INSTANCE_ANNOTATION}: (\\S+)`, "g")),
    ])
    .map((m) => m[1]!.replace(/^["']|["']$/g, ""))
    .sort();
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
    const { ec2, c } = await freshCluster(m);
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
    await down(m.endpoint);
  });

  it("an ENI deleted by hand: status, up and down all exit 0 with a warning naming it (the emulator cannot recreate it; up then says how to rebuild)", async (t) => {
    const m = moto(t);
    if (!m) return;
    const { ec2, c } = await freshCluster(m);
    const first = await up(m.endpoint);
    assert.equal(first.code, 0, first.ctx.err());
    const victim = (first.out.interfaces as Iface[]).find((i) => i.instanceId === c.metalB.InstanceId)!;
    const keep = (first.out.interfaces as Iface[]).find((i) => i.instanceId === c.metalA.InstanceId)!;
    const attachment = (
      await ec2.send(
        new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [victim.networkInterfaceId] }),
      )
    ).NetworkInterfaces![0]!.Attachment!.AttachmentId!;
    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachment }));
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: victim.networkInterfaceId }));

    const status = awsContext(m.endpoint);
    assert.equal(
      await main(["aws", "network", "status", "--infra-id", INFRA, "-o", "json"], status),
      0,
      status.err(),
    );
    const st = JSON.parse(status.out());
    assert.deepEqual(
      st.interfaces.map((i: Iface & { state: string }) => [i.networkInterfaceId, i.state]).sort(),
      [
        [keep.networkInterfaceId, "attached"],
        [victim.networkInterfaceId, "missing"],
      ].sort(),
    );
    assert.match(
      status.err(),
      new RegExp(`warning: ENIs of the stack no longer exist[^\\n]*${victim.networkInterfaceId}`),
    );

    // up empties the worker's slot for one update, then restores it: real CloudFormation deletes
    // the slot's resources and creates them anew (slots.test.ts checks that against the template).
    // moto 5.2 keeps a conditional resource's old record through parameter-only updates, so here
    // the ENI stays missing and up says how to rebuild; the other worker is untouched either way.
    const again = await up(m.endpoint);
    assert.equal(again.code, 0, again.ctx.err());
    assert.match(again.ctx.err(), /warning: ENIs of the stack no longer exist/);
    assert.match(
      again.ctx.err(),
      new RegExp(
        `warning: the stack did not recreate ${victim.networkInterfaceId}: run \`llw aws network down`,
      ),
    );
    const after = again.out.interfaces as (Iface & { state: string })[];
    assert.deepEqual(
      after.map((i) => [i.networkInterfaceId, i.state]).sort(),
      [
        [keep.networkInterfaceId, "attached"],
        [victim.networkInterfaceId, "missing"],
      ].sort(),
    );
    const newB = { networkInterfaceId: keep.networkInterfaceId };

    // Another ENI deleted by hand, then down: the stack is removed all the same.
    await ec2.send(
      new DetachNetworkInterfaceCommand({
        AttachmentId: (
          await ec2.send(
            new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [newB.networkInterfaceId] }),
          )
        ).NetworkInterfaces![0]!.Attachment!.AttachmentId!,
      }),
    );
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: newB.networkInterfaceId }));
    const down = awsContext(m.endpoint);
    assert.equal(
      await main(["aws", "network", "down", "--infra-id", INFRA, "-o", "json"], down),
      0,
      down.err(),
    );
    assert.match(down.err(), /warning: ENIs of the stack were already gone/);
    assert.deepEqual(
      JSON.parse(down.out()).missing.sort(),
      [victim.networkInterfaceId, newB.networkInterfaceId].sort(),
    );
  });

  it("a worker replaced by the machine API (old instance terminated, a new one in the same zone): up re-attaches the same ENIs, with their MAC and address, to the new instance and regenerates the attachments that named the old one", async (t) => {
    const m = moto(t);
    if (!m) return;
    const { ec2, c } = await freshCluster(m);
    const first = await up(m.endpoint);
    assert.equal(first.code, 0, first.ctx.err());
    const old = (first.out.interfaces as (Iface & { macAddress: string; privateIpAddress: string })[]).find(
      (i) => i.instanceId === c.metalB.InstanceId,
    )!;
    // The 4.19-4.21 attachments generated before the replacement name the old instance.
    const repo = await checkoutWithAttachments(m.endpoint, "lifecycle-");
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [c.metalB.InstanceId!] }));
    const status = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "status", "--infra-id", INFRA, "-o", "json"], status), 0);
    assert.equal(
      JSON.parse(status.out()).interfaces.find((i: Iface) => i.networkInterfaceId === old.networkInterfaceId)
        .state,
      "instance-gone",
    );
    assert.match(status.err(), /the instance of a metal worker is gone/);

    const replacement = await c.run(c.b.SubnetId!);
    const again = await up(m.endpoint, [], repo);
    assert.equal(again.code, 0, again.ctx.err());
    // The attachments were llw's own and generated for the infra ID: regenerated in place.
    assert.match(
      again.ctx.err(),
      new RegExp(
        `regenerated gitops/overlays/aws/sriov for the replaced workers \\(llw sriov generate --ocp-version 4\\.20 --infra-id ${INFRA}`,
      ),
    );
    assert.doesNotMatch(again.ctx.err(), /warning: gitops\/overlays/);
    const named = attachmentInstances(repo);
    assert.ok(named.includes(replacement.InstanceId!), `the new instance is named: ${named.join(", ")}`);
    assert.ok(named.includes(c.metalA.InstanceId!), "A's attachment is still there");
    assert.ok(!named.includes(c.metalB.InstanceId!), "the gone instance is named nowhere");
    const now = (
      again.out.interfaces as (Iface & { macAddress: string; privateIpAddress: string; state: string })[]
    ).find((i) => i.instanceId === replacement.InstanceId)!;
    assert.deepEqual(
      [
        now.logicalId,
        now.networkInterfaceId,
        now.macAddress,
        now.privateIpAddress,
        now.deviceIndex,
        now.state,
      ],
      [old.logicalId, old.networkInterfaceId, old.macAddress, old.privateIpAddress, 1, "attached"],
    );
    assert.deepEqual(again.out.attached, [old.networkInterfaceId]);
    assert.deepEqual(await enisOn(ec2, replacement.InstanceId!), [
      { id: (await enisOn(ec2, replacement.InstanceId!))[0]!.id, subnet: c.b.SubnetId, deviceIndex: 0 },
      { id: old.networkInterfaceId, subnet: old.subnetId, deviceIndex: 1 },
    ]);
    await down(m.endpoint);
  });

  it("a worker replaced while its generated attachment was edited by hand: up keeps the edited file and warns with the command to regenerate it", async (t) => {
    const m = moto(t);
    if (!m) return;
    const { ec2, c } = await freshCluster(m);
    assert.equal((await up(m.endpoint)).code, 0);
    const repo = await checkoutWithAttachments(m.endpoint, "lifecycle-edited-");
    const dir = join(repo, "gitops", "overlays", "aws", "sriov");
    const file = readdirSync(dir).find((f) =>
      readFileSync(join(dir, f), "utf8").includes(c.metalB.InstanceId!),
    )!;
    const edited = `${readFileSync(join(dir, file), "utf8")}# tuned by hand\n`;
    writeFileSync(join(dir, file), edited);
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [c.metalB.InstanceId!] }));
    await c.run(c.b.SubnetId!);
    const again = await up(m.endpoint, [], repo);
    assert.equal(again.code, 0, again.ctx.err());
    assert.match(
      again.ctx.err(),
      new RegExp(
        `warning: gitops/overlays/aws/sriov/${file} names ${c.metalB.InstanceId}[^\\n]*edited[^\\n]*regenerate the attachments \\(llw sriov generate --ocp-version 4\\.20 --infra-id ${INFRA}`,
      ),
    );
    assert.equal(readFileSync(join(dir, file), "utf8"), edited, "the hand edit is kept");
    await down(m.endpoint);
  });

  it("an orphaned stack (every instance of the cluster gone): status says so and names the clean-up", async (t) => {
    const m = moto(t);
    if (!m) return;
    const { ec2, c } = await freshCluster(m);
    assert.equal((await up(m.endpoint)).code, 0);
    await ec2.send(
      new TerminateInstancesCommand({ InstanceIds: [c.metalA.InstanceId!, c.metalB.InstanceId!] }),
    );
    const status = awsContext(m.endpoint);
    assert.equal(await main(["aws", "network", "status", "--infra-id", INFRA], status), 0, status.err());
    assert.match(
      status.err(),
      /orphaned stack: no running instance is tagged kubernetes\.io\/cluster\/life-x7k2p[\s\S]*llw aws network down --infra-id life-x7k2p/,
    );
    await down(m.endpoint);
  });

  it("metal workers still pending (EC2 reports pending for the first answers, through a loopback proxy: moto starts instances running): up waits for them before planning, then attaches", async (t) => {
    const m = moto(t);
    if (!m) return;
    await freshCluster(m);
    let pendingAnswers = 2;
    const proxy = await startProxy(m.endpoint, {
      rewrite: (body, req) => {
        if (req.action !== "DescribeInstances" || pendingAnswers <= 0) return body;
        pendingAnswers--;
        // How EC2 reports an instance that is still starting: state code 0, name pending.
        return body.replace(
          /<code>16<\/code>(\s*)<name>running<\/name>/g,
          "<code>0</code>$1<name>pending</name>",
        );
      },
    });
    try {
      const { code, ctx, out } = await up(proxy.endpoint);
      assert.equal(code, 0, ctx.err());
      assert.match(
        ctx.err(),
        /waiting for i-\w+(, i-\w+)* to leave pending \(ENIs attach only to running instances\)/,
      );
      assert.equal(pendingAnswers, 0, "llw asked again until the workers ran");
      assert.deepEqual(
        out.interfaces.map((i: { state: string }) => i.state),
        ["attached", "attached"],
      );
      await down(proxy.endpoint);
    } finally {
      await proxy.close();
    }
  });
});
