/**
 * The EC2 side of the data network: discovering the cluster's VPC and metal workers, attaching
 * and detaching the stack's ENIs (--attach-with ec2), and sweeping resources a stack left behind.
 */
import {
  AttachNetworkInterfaceCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  type Filter,
  type Instance,
  type NetworkInterface,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
} from "@aws-sdk/client-ec2";
import { EnvironmentError, UserError } from "../../lib/errors.ts";
import { INSTANCE_TYPES } from "../../topology/catalog.ts";
import { ec2Call } from "../ec2.ts";
import { clusterTagKey } from "../tags.ts";
import type { EniTarget } from "./drift.ts";
import type { Inventory, WorkerFact } from "./plan.ts";

export type { EniTarget } from "./drift.ts";

export interface Ec2Io {
  ec2: EC2Client;
  region?: string;
  /** The EC2 endpoint when one is configured (--endpoint-url, AWS_ENDPOINT_URL...). */
  endpoint?: string;
  sleep: (ms: number) => Promise<void>;
  pollMs: number;
}

export const call = (io: Ec2Io, action: string) => ({
  action,
  ...(io.region && { region: io.region }),
  ...(io.endpoint && { endpoint: io.endpoint }),
  policyCommand: "cat infra/aws/iam/data-network-policy.json",
});

/** Bare-metal instance types are named *.metal or *.metal-<size>. */
export function isMetalType(t: string | undefined): boolean {
  return /\.metal(-\d+xl)?$/.test(t ?? "");
}

const LIVE = ["pending", "running"];

/** Every instance EC2 lists for these filters (all pages). */
function instancesWhere(io: Ec2Io, Filters: Filter[]): Promise<Instance[]> {
  return ec2Call(
    async () => {
      const out: Instance[] = [];
      for await (const page of paginateDescribeInstances({ client: io.ec2 }, { Filters }))
        for (const res of page.Reservations ?? []) out.push(...(res.Instances ?? []));
      return out;
    },
    call(io, "DescribeInstances"),
  );
}

/** The cluster's tagged instances: pending and running ones, or (`anyState`) all EC2 still lists. */
function describeInstances(io: Ec2Io, infraId: string, anyState = false): Promise<Instance[]> {
  return instancesWhere(io, [
    { Name: "tag-key", Values: [clusterTagKey(infraId)] },
    ...(anyState ? [] : [{ Name: "instance-state-name", Values: LIVE }]),
  ]);
}

/** How many polls `up` waits for a pending metal worker to run before giving up. */
export const PENDING_POLLS = 60;

/**
 * The cluster's pending and running instances, once no metal one is pending: ENIs cannot be
 * attached to an instance before it runs, and a Machine the machine API is still creating may be
 * the replacement that should inherit a slot.
 */
async function runningInstances(io: Ec2Io, infraId: string, progress?: (line: string) => void) {
  for (let poll = 0; ; poll++) {
    const instances = await describeInstances(io, infraId);
    const pending = instances.filter((i) => isMetalType(i.InstanceType) && i.State?.Name === "pending");
    if (pending.length === 0) return instances;
    if (poll >= PENDING_POLLS) {
      throw new EnvironmentError({
        what: `metal workers still pending after ${PENDING_POLLS} polls: ${pending.map((i) => i.InstanceId).join(", ")}`,
        next: "run `llw aws network up` again when `oc get machines -n openshift-machine-api` shows them Running",
      });
    }
    if (poll === 0)
      progress?.(
        `waiting for ${pending.map((i) => i.InstanceId).join(", ")} to leave pending (ENIs attach only to running instances)`,
      );
    await io.sleep(io.pollMs);
  }
}

/**
 * What `status` needs to know of instances, in one DescribeInstances where it can: the state of
 * each of `ids` (absent: EC2 no longer lists it) and how many pending or running instances carry
 * the cluster tag (0: the cluster is gone). The workers carry the tag, so the tagged instances in
 * any state answer both; only an id outside them is looked up on its own.
 */
export async function clusterInstances(
  io: Ec2Io,
  infraId: string,
  ids: string[],
): Promise<{ states: Map<string, Instance>; live: number }> {
  const tagged = await describeInstances(io, infraId, true);
  const states = new Map(tagged.map((i) => [i.InstanceId!, i]));
  const live = tagged.filter((i) => LIVE.includes(i.State?.Name ?? "")).length;
  const rest = await instanceStates(
    io,
    ids.filter((id) => !states.has(id)),
  );
  for (const [id, i] of rest) states.set(id, i);
  return { states, live };
}

/** The state of each instance that still exists (terminated ones are listed for about an hour). */
export async function instanceStates(io: Ec2Io, ids: string[]): Promise<Map<string, Instance>> {
  const wanted = [...new Set(ids)].filter(Boolean);
  if (wanted.length === 0) return new Map();
  // A filter, not InstanceIds: an id EC2 no longer knows is simply absent instead of an error.
  const instances = await instancesWhere(io, [{ Name: "instance-id", Values: wanted }]);
  return new Map(instances.map((i) => [i.InstanceId!, i]));
}

/** Discovers the VPC, its subnets and the metal workers of a cluster from their tags. */
export async function discover(
  io: Ec2Io & { progress?: (line: string) => void },
  infraId: string,
  opts: { instanceIds?: string[]; stackEniIds: Set<string>; stackSubnetIds: Set<string> },
): Promise<Inventory> {
  const instances = await runningInstances(io, infraId, io.progress);
  if (instances.length === 0) {
    throw new UserError({
      what: `no running EC2 instances are tagged ${clusterTagKey(infraId)}${io.region ? ` in ${io.region}` : ""}`,
      where: "--infra-id",
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
        where: "--instance-ids",
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

/**
 * The ENIs of these ids that still exist. A filter, not NetworkInterfaceIds: with ids, one ENI
 * deleted by hand (or by the installer's destroy) fails the whole call with
 * InvalidNetworkInterfaceID.NotFound; with the filter it is simply absent, and the caller treats
 * it as missing.
 */
export async function describeEnis(io: Ec2Io, ids: string[]): Promise<NetworkInterface[]> {
  const wanted = [...new Set(ids)].filter(Boolean);
  const out: NetworkInterface[] = [];
  // EC2 takes up to 200 values per filter.
  for (let i = 0; i < wanted.length; i += 200) {
    const Filters = [{ Name: "network-interface-id", Values: wanted.slice(i, i + 200) }];
    await ec2Call(
      async () => {
        for await (const page of paginateDescribeNetworkInterfaces({ client: io.ec2 }, { Filters }))
          out.push(...(page.NetworkInterfaces ?? []));
      },
      call(io, "DescribeNetworkInterfaces"),
    );
  }
  return out;
}

/** Waits until every ENI that still exists reaches the wanted status (attachments are asynchronous in EC2). */
async function waitForEnis(io: Ec2Io, ids: string[], done: (n: NetworkInterface) => boolean, what: string) {
  for (let attempt = 0; attempt < 60; attempt++) {
    const enis = await describeEnis(io, ids);
    if (enis.every(done)) return;
    await io.sleep(io.pollMs);
  }
  throw new EnvironmentError({ what: `timed out waiting for ENIs to be ${what}: ${ids.join(", ")}` });
}

/** Instance states after which an instance's attachments are going or gone. */
const GONE = new Set(["shutting-down", "terminated"]);

/**
 * Attaches each ENI to its worker at its device index through EC2 (skips those already there, and
 * those that no longer exist). An ENI still attached to an instance that is terminating or gone
 * (the machine API replaced the worker) is detached first, so the replacement gets it.
 */
export async function attachWithEc2(
  io: Ec2Io,
  targets: EniTarget[],
): Promise<{ eniId: string; action: "attached" | "unchanged" | "missing" }[]> {
  const enis = new Map(
    (
      await describeEnis(
        io,
        targets.map((t) => t.eniId),
      )
    ).map((n) => [n.NetworkInterfaceId, n]),
  );
  const elsewhere = targets
    .map((t) => enis.get(t.eniId)?.Attachment)
    .filter((a) => a?.InstanceId && a.Status !== "detached")
    .map((a) => a!.InstanceId!);
  const states = await instanceStates(io, elsewhere);
  const results: { eniId: string; action: "attached" | "unchanged" | "missing" }[] = [];
  for (const t of targets) {
    const n = enis.get(t.eniId);
    if (!n) {
      results.push({ eniId: t.eniId, action: "missing" });
      continue;
    }
    const at = n.Attachment;
    if (at?.InstanceId === t.instanceId && at.DeviceIndex === t.deviceIndex && at.Status !== "detaching") {
      results.push({ eniId: t.eniId, action: "unchanged" });
      continue;
    }
    if (at?.InstanceId && at.Status !== "detached") {
      const state = states.get(at.InstanceId)?.State?.Name;
      if (state !== undefined && !GONE.has(state)) {
        throw new EnvironmentError({
          what: `${t.eniId} is attached to ${at.InstanceId} (${state}) at device index ${at.DeviceIndex}, not ${t.instanceId} at ${t.deviceIndex}`,
          next: `detach it (aws ec2 detach-network-interface --attachment-id ${at.AttachmentId}) and run \`llw aws network up\` again`,
        });
      }
      // The old instance is terminating or gone: take the ENI over for its replacement.
      await ec2Call(
        () => io.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: at.AttachmentId, Force: true })),
        call(io, "DetachNetworkInterface"),
      ).catch((e) => {
        if (!/InvalidAttachmentID\.NotFound|not found/i.test(String((e as Error).message))) throw e;
      });
      await waitForEnis(
        io,
        [t.eniId],
        (x) => !x.Attachment || x.Attachment.Status === "detached",
        "detached",
      );
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
