/**
 * Gathers the SR-IOV inventory from EC2 with the fewest read-only calls: one paginated
 * DescribeInstances (by cluster tag or ids), one DescribeInstanceTypes for all distinct types,
 * DescribeNetworkInterfaces filtered by attachment.instance-id in batches (never one call per
 * ENI), one DescribeNetworkInterfaces for the detached interfaces of the workers' clusters in their
 * VPCs (cluster tag or `llw:infra-id`), and one DescribeSubnets.
 * `SRIOV_EC2_ACTIONS` in `aws/iam.ts` lists exactly these actions; a test checks the calls against it.
 */
import {
  DescribeInstanceTypesCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type Filter,
  type Instance,
  type NetworkInterface,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
  type Tag,
} from "@aws-sdk/client-ec2";
import { ec2Call } from "../aws/ec2.ts";
import { clusterTagKey, INFRA_ID_TAG } from "../aws/tags.ts";
import { UserError } from "../lib/errors.ts";
import type {
  EniFacts,
  InstanceFacts,
  InstanceTypeFacts,
  Inventory,
  SubnetFacts,
  WorkerSource,
} from "./inventory.ts";

/** Filter values per DescribeNetworkInterfaces call (EC2 accepts up to 200 values per filter). */
export const ENI_FILTER_BATCH = 200;
const TYPES_PER_CALL = 100;
const SUBNETS_PER_CALL = 200;

export interface GatherOptions {
  region: string;
  endpoint?: string;
  maxAttempts?: number;
  /** The AWS profile in use (for messages). */
  profile?: string;
  /** Explicit instance ids (from --instance-ids or the cluster's nodes). */
  instanceIds?: string[];
  /** Cluster tag key `kubernetes.io/cluster/<infra-id>`, used when no ids are given. */
  clusterTag?: string;
  /** Node names by instance id, when the cluster told us. */
  nodeNames?: Map<string, string>;
  source: WorkerSource;
}

function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key) out[t.Key] = t.Value ?? "";
  return out;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The role tag cluster-api-provider-aws puts on the machines it creates (the installer's control plane since 4.16). */
export const CAPA_ROLE_TAG = "sigs.k8s.io/cluster-api-provider-aws/role";
const CONTROL_PLANE_CAPA_ROLES = new Set(["control-plane", "bastion"]);

/**
 * Whether an instance tagged for the cluster is not a worker: the installer's masters
 * (`<infra-id>-master-0`), their replacements by the control-plane machine set
 * (`<infra-id>-master-<random>-0`), the bootstrap machine (`<infra-id>-bootstrap`), or anything
 * cluster-api-provider-aws tagged with a control-plane or bastion role.
 */
export function isControlPlane(tags: Record<string, string>): boolean {
  const role = tags[CAPA_ROLE_TAG];
  if (role !== undefined && CONTROL_PLANE_CAPA_ROLES.has(role)) return true;
  const name = tags.Name;
  return name !== undefined && /-(master|bootstrap)(-|$)/.test(name);
}

const CLUSTER_TAG_PREFIX = "kubernetes.io/cluster/";

/**
 * The infrastructure ids of the clusters the workers belong to: the one searched by tag, else
 * those the instances' own `kubernetes.io/cluster/<infra-id>` tags name.
 */
export function clusterInfraIds(clusterTag: string | undefined, instances: InstanceFacts[]): string[] {
  if (clusterTag?.startsWith(CLUSTER_TAG_PREFIX)) return [clusterTag.slice(CLUSTER_TAG_PREFIX.length)];
  const ids = instances.flatMap((i) =>
    Object.keys(i.tags)
      .filter((k) => k.startsWith(CLUSTER_TAG_PREFIX))
      .map((k) => k.slice(CLUSTER_TAG_PREFIX.length)),
  );
  return [...new Set(ids)].filter(Boolean).sort();
}

/** An ENI belongs to a cluster when it carries its cluster tag or its `llw:infra-id` tag. */
export function belongsToClusters(tags: Record<string, string>, infraIds: string[]): boolean {
  return infraIds.some((id) => clusterTagKey(id) in tags || tags[INFRA_ID_TAG] === id);
}

export function toInstanceFacts(i: Instance, nodeName?: string): InstanceFacts {
  return {
    instanceId: i.InstanceId ?? "",
    instanceType: i.InstanceType ?? "unknown",
    state: i.State?.Name ?? "unknown",
    tags: tagsOf(i.Tags),
    ...(i.Placement?.AvailabilityZone !== undefined && { availabilityZone: i.Placement.AvailabilityZone }),
    ...(i.VpcId !== undefined && { vpcId: i.VpcId }),
    ...(i.SubnetId !== undefined && { subnetId: i.SubnetId }),
    ...(i.PrivateDnsName && { privateDnsName: i.PrivateDnsName }),
    ...(nodeName !== undefined && { nodeName }),
  };
}

export function toEniFacts(n: NetworkInterface): EniFacts {
  const a = n.Attachment;
  return {
    networkInterfaceId: n.NetworkInterfaceId ?? "",
    macAddress: (n.MacAddress ?? "").toLowerCase(),
    subnetId: n.SubnetId ?? "",
    interfaceType: n.InterfaceType ?? "interface",
    status: n.Status ?? "unknown",
    tags: tagsOf(n.TagSet),
    ...(n.VpcId !== undefined && { vpcId: n.VpcId }),
    ...(n.AvailabilityZone !== undefined && { availabilityZone: n.AvailabilityZone }),
    ...(n.PrivateIpAddress !== undefined && { privateIpAddress: n.PrivateIpAddress }),
    ...(n.Description && { description: n.Description }),
    ...(n.RequesterManaged !== undefined && { requesterManaged: n.RequesterManaged }),
    ...(a?.InstanceId && {
      attachment: {
        instanceId: a.InstanceId,
        deviceIndex: a.DeviceIndex ?? 0,
        networkCardIndex: a.NetworkCardIndex ?? 0,
        status: a.Status ?? "attached",
      },
    }),
  };
}

/** Reads instances, their types, their ENIs, the VPC's detached ENIs and the subnets involved. */
export async function gatherInventory(client: EC2Client, opts: GatherOptions): Promise<Inventory> {
  const ctx = {
    region: opts.region,
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
    ...(opts.maxAttempts !== undefined && { maxAttempts: opts.maxAttempts }),
    ...(opts.profile !== undefined && { profile: opts.profile }),
  };
  if (!opts.instanceIds?.length && !opts.clusterTag) {
    throw new UserError({
      what: "no way to find the workers: no cluster, no --cluster-tag and no --instance-ids",
      next: "pass --infra-id <id> (the cluster's infrastructure id), --instance-ids i-..., or log in to the cluster",
    });
  }

  // 1. Instances, by id or by cluster tag (control plane excluded by name or role tag).
  const instances: InstanceFacts[] = [];
  const byIds = Boolean(opts.instanceIds?.length);
  const input = byIds
    ? { InstanceIds: opts.instanceIds }
    : {
        Filters: [
          { Name: "tag-key", Values: [opts.clusterTag!] },
          { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] },
        ],
        MaxResults: 1000,
      };
  await ec2Call(
    async () => {
      for await (const page of paginateDescribeInstances({ client }, input)) {
        for (const r of page.Reservations ?? []) {
          for (const i of r.Instances ?? []) {
            const facts = toInstanceFacts(i, i.InstanceId ? opts.nodeNames?.get(i.InstanceId) : undefined);
            if (!byIds && isControlPlane(facts.tags)) continue;
            instances.push(facts);
          }
        }
      }
    },
    { ...ctx, action: "DescribeInstances", ...(byIds && { instanceIds: opts.instanceIds! }) },
  );

  // 2. One DescribeInstanceTypes for every distinct type.
  const typeNames = [...new Set(instances.map((i) => i.instanceType))].sort();
  const instanceTypes: InstanceTypeFacts[] = [];
  for (const batch of chunks(typeNames, TYPES_PER_CALL)) {
    const out = await ec2Call(
      () => client.send(new DescribeInstanceTypesCommand({ InstanceTypes: batch as never })),
      { ...ctx, action: "DescribeInstanceTypes" },
    );
    for (const t of out.InstanceTypes ?? []) {
      const net = t.NetworkInfo;
      instanceTypes.push({
        instanceType: t.InstanceType ?? "",
        bareMetal: t.BareMetal ?? false,
        enaSupport: net?.EnaSupport ?? "unknown",
        efaSupported: net?.EfaSupported ?? false,
        maximumNetworkInterfaces: net?.MaximumNetworkInterfaces ?? 0,
        maximumNetworkCards: net?.MaximumNetworkCards ?? 1,
        ...(net?.EfaInfo?.MaximumEfaInterfaces !== undefined && {
          maximumEfaInterfaces: net.EfaInfo.MaximumEfaInterfaces,
        }),
        ...(net?.NetworkPerformance !== undefined && { networkPerformance: net.NetworkPerformance }),
      });
    }
  }

  // 3. Attached ENIs, by attachment.instance-id in batches; 4. detached ENIs in the same VPCs.
  const enis: EniFacts[] = [];
  const listEnis = (filters: Filter[], keep: (e: EniFacts) => boolean = () => true) =>
    ec2Call(
      async () => {
        for await (const page of paginateDescribeNetworkInterfaces(
          { client },
          { Filters: filters, MaxResults: 1000 },
        )) {
          for (const n of page.NetworkInterfaces ?? []) {
            const facts = toEniFacts(n);
            if (keep(facts)) enis.push(facts);
          }
        }
      },
      { ...ctx, action: "DescribeNetworkInterfaces" },
    );
  for (const batch of chunks(
    instances.map((i) => i.instanceId),
    ENI_FILTER_BATCH,
  )) {
    await listEnis([{ Name: "attachment.instance-id", Values: batch }]);
  }
  // Detached ENIs of the workers' clusters only: other clusters and tools share the VPC.
  const vpcs = [...new Set(instances.map((i) => i.vpcId).filter((v): v is string => Boolean(v)))].sort();
  const infraIds = clusterInfraIds(opts.clusterTag, instances);
  if (vpcs.length > 0 && infraIds.length > 0) {
    await listEnis(
      [
        { Name: "vpc-id", Values: vpcs },
        { Name: "status", Values: ["available"] },
        { Name: "requester-managed", Values: ["false"] },
        { Name: "tag-key", Values: [...infraIds.map(clusterTagKey), INFRA_ID_TAG] },
      ],
      (e) => belongsToClusters(e.tags, infraIds),
    );
  }

  // 5. The subnets involved (names and CIDRs for the manifests).
  const subnetIds = [
    ...new Set([...enis.map((e) => e.subnetId), ...instances.map((i) => i.subnetId ?? "")].filter(Boolean)),
  ].sort();
  const subnets: SubnetFacts[] = [];
  for (const batch of chunks(subnetIds, SUBNETS_PER_CALL)) {
    const out = await ec2Call(() => client.send(new DescribeSubnetsCommand({ SubnetIds: batch })), {
      ...ctx,
      action: "DescribeSubnets",
    });
    for (const s of out.Subnets ?? []) {
      const name = tagsOf(s.Tags).Name;
      subnets.push({
        subnetId: s.SubnetId ?? "",
        ...(s.CidrBlock !== undefined && { cidrBlock: s.CidrBlock }),
        ...(s.AvailabilityZone !== undefined && { availabilityZone: s.AvailabilityZone }),
        ...(s.VpcId !== undefined && { vpcId: s.VpcId }),
        ...(name !== undefined && { name }),
      });
    }
  }

  return {
    region: opts.region,
    source: opts.source,
    infraIds,
    instances,
    instanceTypes,
    enis,
    subnets,
    ...(opts.clusterTag !== undefined && { clusterTag: opts.clusterTag }),
  };
}
