/**
 * The EC2 side of the data network: discovering the cluster's VPC and metal workers, attaching
 * and detaching the stack's ENIs (--attach-with ec2), and sweeping resources a stack left behind.
 */
import {
  AttachNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  type Instance,
  type NetworkInterface,
} from "@aws-sdk/client-ec2";
import { EnvironmentError, UserError } from "../../lib/errors.ts";
import { INSTANCE_TYPES } from "../../topology/catalog.ts";
import { ec2Call } from "../ec2.ts";
import { clusterTagKey } from "../tags.ts";
import type { Inventory, WorkerFact } from "./plan.ts";

export interface Ec2Io {
  ec2: EC2Client;
  region?: string;
  /** The EC2 endpoint when one is configured (--endpoint-url, AWS_ENDPOINT_URL...). */
  endpoint?: string;
  sleep: (ms: number) => Promise<void>;
  pollMs: number;
}

const call = (io: Ec2Io, action: string) => ({
  action,
  ...(io.region && { region: io.region }),
  ...(io.endpoint && { endpoint: io.endpoint }),
  policyCommand: "cat infra/aws/iam/data-network-policy.json",
});

/** Bare-metal instance types are named *.metal or *.metal-<size>. */
export function isMetalType(t: string | undefined): boolean {
  return /\.metal(-\d+xl)?$/.test(t ?? "");
}

async function describeInstances(io: Ec2Io, infraId: string): Promise<Instance[]> {
  const out: Instance[] = [];
  let token: string | undefined;
  do {
    const r = await ec2Call(
      () =>
        io.ec2.send(
          new DescribeInstancesCommand({
            Filters: [
              { Name: "tag-key", Values: [clusterTagKey(infraId)] },
              { Name: "instance-state-name", Values: ["pending", "running"] },
            ],
            NextToken: token,
          }),
        ),
      call(io, "DescribeInstances"),
    );
    for (const res of r.Reservations ?? []) out.push(...(res.Instances ?? []));
    token = r.NextToken;
  } while (token);
  return out;
}

/** Discovers the VPC, its subnets and the metal workers of a cluster from their tags. */
export async function discover(
  io: Ec2Io,
  infraId: string,
  opts: { instanceIds?: string[]; stackEniIds: Set<string>; stackSubnetIds: Set<string> },
): Promise<Inventory> {
  const instances = await describeInstances(io, infraId);
  if (instances.length === 0) {
    throw new UserError({
      what: `no running EC2 instances are tagged ${clusterTagKey(infraId)}${io.region ? ` in ${io.region}` : ""}`,
      where: "--cluster",
      next: "pass the cluster's infra id (oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}') and its --region",
    });
  }
  const vpcs = [...new Set(instances.map((i) => i.VpcId).filter(Boolean))] as string[];
  if (vpcs.length !== 1) {
    throw new EnvironmentError({
      what: `the cluster's instances are in ${vpcs.length} VPCs (${vpcs.join(", ")}); expected one`,
    });
  }
  const vpcId = vpcs[0]!;
  let metal = instances.filter((i) => isMetalType(i.InstanceType));
  if (opts.instanceIds?.length) {
    const unknown = opts.instanceIds.filter((id) => !metal.some((i) => i.InstanceId === id));
    if (unknown.length > 0) {
      throw new UserError({
        what: `not a running metal instance of cluster ${infraId}: ${unknown.join(", ")}`,
        where: "--instance",
        next: `metal workers found: ${metal.map((i) => i.InstanceId).join(", ") || "none"}`,
      });
    }
    metal = metal.filter((i) => opts.instanceIds!.includes(i.InstanceId!));
  }
  const vpc = (
    await ec2Call(() => io.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })), call(io, "DescribeVpcs"))
  ).Vpcs?.[0];
  const vpcCidrs = (vpc?.CidrBlockAssociationSet ?? [])
    .filter((a) => a.CidrBlockState?.State === "associated" || a.CidrBlockState === undefined)
    .map((a) => a.CidrBlock!)
    .filter(Boolean);
  if (vpcCidrs.length === 0 && vpc?.CidrBlock) vpcCidrs.push(vpc.CidrBlock);
  const subnets =
    (
      await ec2Call(
        () => io.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] })),
        call(io, "DescribeSubnets"),
      )
    ).Subnets ?? [];
  const workers: WorkerFact[] = metal.map((i) => {
    const type = INSTANCE_TYPES.find((t) => t.name === i.InstanceType);
    return {
      instanceId: i.InstanceId!,
      zone: i.Placement?.AvailabilityZone ?? "",
      instanceType: i.InstanceType ?? "",
      foreignDeviceIndexes: (i.NetworkInterfaces ?? [])
        .filter((n) => !opts.stackEniIds.has(n.NetworkInterfaceId ?? ""))
        .map((n) => n.Attachment?.DeviceIndex ?? -1)
        .filter((d) => d >= 0),
      ...(type && { maxInterfaces: type.maxNetworkInterfaces }),
    };
  });
  return {
    infraId,
    vpcId,
    vpcCidrs,
    subnets: subnets
      .filter((s) => !opts.stackSubnetIds.has(s.SubnetId ?? ""))
      .map((s) => ({ id: s.SubnetId!, cidr: s.CidrBlock!, zone: s.AvailabilityZone ?? "" })),
    workers,
  };
}

export async function describeEnis(io: Ec2Io, ids: string[]): Promise<NetworkInterface[]> {
  if (ids.length === 0) return [];
  const r = await ec2Call(
    () => io.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ids })),
    call(io, "DescribeNetworkInterfaces"),
  );
  return r.NetworkInterfaces ?? [];
}

export interface EniTarget {
  eniId: string;
  instanceId: string;
  deviceIndex: number;
}

/** Waits until every ENI reaches the wanted status (attachments are asynchronous in EC2). */
async function waitForEnis(io: Ec2Io, ids: string[], done: (n: NetworkInterface) => boolean, what: string) {
  for (let attempt = 0; attempt < 60; attempt++) {
    const enis = await describeEnis(io, ids);
    if (enis.every(done)) return;
    await io.sleep(io.pollMs);
  }
  throw new EnvironmentError({ what: `timed out waiting for ENIs to be ${what}: ${ids.join(", ")}` });
}

/** Attaches each ENI to its worker at its device index through EC2 (skips those already there). */
export async function attachWithEc2(
  io: Ec2Io,
  targets: EniTarget[],
): Promise<{ eniId: string; action: "attached" | "unchanged" }[]> {
  const enis = new Map(
    (
      await describeEnis(
        io,
        targets.map((t) => t.eniId),
      )
    ).map((n) => [n.NetworkInterfaceId, n]),
  );
  const results: { eniId: string; action: "attached" | "unchanged" }[] = [];
  for (const t of targets) {
    const at = enis.get(t.eniId)?.Attachment;
    if (at?.InstanceId === t.instanceId && at.DeviceIndex === t.deviceIndex && at.Status !== "detaching") {
      results.push({ eniId: t.eniId, action: "unchanged" });
      continue;
    }
    if (at?.InstanceId && at.Status !== "detached") {
      throw new EnvironmentError({
        what: `${t.eniId} is attached to ${at.InstanceId} at device index ${at.DeviceIndex}, not ${t.instanceId} at ${t.deviceIndex}`,
        next: "run `llw aws network down` and `up` again",
      });
    }
    await ec2Call(
      () =>
        io.ec2.send(
          new AttachNetworkInterfaceCommand({
            NetworkInterfaceId: t.eniId,
            InstanceId: t.instanceId,
            DeviceIndex: t.deviceIndex,
            NetworkCardIndex: 0,
          }),
        ),
      { ...call(io, "AttachNetworkInterface"), instanceIds: [t.instanceId] },
    );
    results.push({ eniId: t.eniId, action: "attached" });
  }
  const attached = results.filter((r) => r.action === "attached").map((r) => r.eniId);
  if (attached.length > 0)
    await waitForEnis(io, attached, (n) => n.Attachment?.Status === "attached", "attached");
  return results;
}

/** Detaches the given ENIs wherever they are attached; returns the ids detached. */
export async function detachEnis(io: Ec2Io, ids: string[]): Promise<string[]> {
  const detached: string[] = [];
  for (const n of await describeEnis(io, ids)) {
    const at = n.Attachment;
    if (!at?.AttachmentId || at.Status === "detached" || (at.DeviceIndex ?? 0) === 0) continue;
    await ec2Call(
      () => io.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: at.AttachmentId })),
      call(io, "DetachNetworkInterface"),
    );
    detached.push(n.NetworkInterfaceId!);
  }
  if (detached.length > 0)
    await waitForEnis(io, detached, (n) => !n.Attachment || n.Attachment.Status === "detached", "detached");
  return detached;
}

/**
 * Deletes what still carries a stack's tag after the stack is gone (ENIs first, then subnets,
 * route tables, security groups). With real CloudFormation there is normally nothing to do.
 */
export async function sweepStackLeftovers(io: Ec2Io, tag: { key: string; value: string }): Promise<string[]> {
  const filter = [{ Name: `tag:${tag.key}`, Values: [tag.value] }];
  const removed: string[] = [];
  const enis =
    (
      await ec2Call(
        () => io.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: filter })),
        call(io, "DescribeNetworkInterfaces"),
      )
    ).NetworkInterfaces ?? [];
  await detachEnis(
    io,
    enis.map((n) => n.NetworkInterfaceId!),
  );
  for (const n of enis) {
    await ec2Call(
      () => io.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: n.NetworkInterfaceId })),
      call(io, "DeleteNetworkInterface"),
    );
    removed.push(n.NetworkInterfaceId!);
  }
  const subnets =
    (
      await ec2Call(
        () => io.ec2.send(new DescribeSubnetsCommand({ Filters: filter })),
        call(io, "DescribeSubnets"),
      )
    ).Subnets ?? [];
  for (const s of subnets) {
    await ec2Call(
      () => io.ec2.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId })),
      call(io, "DeleteSubnet"),
    );
    removed.push(s.SubnetId!);
  }
  const rts =
    (
      await ec2Call(
        () => io.ec2.send(new DescribeRouteTablesCommand({ Filters: filter })),
        call(io, "DescribeRouteTables"),
      )
    ).RouteTables ?? [];
  for (const rt of rts) {
    await ec2Call(
      () => io.ec2.send(new DeleteRouteTableCommand({ RouteTableId: rt.RouteTableId })),
      call(io, "DeleteRouteTable"),
    );
    removed.push(rt.RouteTableId!);
  }
  const sgs =
    (
      await ec2Call(
        () => io.ec2.send(new DescribeSecurityGroupsCommand({ Filters: filter })),
        call(io, "DescribeSecurityGroups"),
      )
    ).SecurityGroups ?? [];
  for (const sg of sgs) {
    await ec2Call(
      () => io.ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg.GroupId })),
      call(io, "DeleteSecurityGroup"),
    );
    removed.push(sg.GroupId!);
  }
  return removed;
}
