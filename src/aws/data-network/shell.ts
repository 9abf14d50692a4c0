import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { Context } from "../../lib/context.ts";
import { UserError } from "../../lib/errors.ts";
import { cloudFormationSettings, createCloudFormationClient } from "../cloudformation.ts";
import { createEc2Client, type Ec2Options, resolveAwsSettings } from "../ec2.ts";
import { isInfraId } from "../names.ts";
import { dataNetworkStackName } from "../tags.ts";
import { driftWarnings, type EniState, type EniStatus, eniStatuses } from "./drift.ts";
import {
  clusterInstances,
  describeEnis,
  detachEnis,
  type Ec2Io,
  type EniTarget,
  instanceStates,
} from "./ec2-side.ts";
import {
  deleteStackAndWait,
  describeStack,
  listStackResources,
  type StackIo,
  stackParameters,
} from "./stack.ts";
import { sweepStackLeftovers } from "./sweep.ts";
import { eniSlot, param } from "./template.ts";

export interface AwsCommandOptions {
  cluster: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  /** Injected clients or credentials (tests); otherwise built from the options and environment. */
  ec2?: EC2Client;
  cfn?: CloudFormationClient;
  credentials?: Ec2Options["credentials"];
  /** Milliseconds between polls of stack events and ENI attachments. */
  pollMs?: number;
}

export interface Io extends StackIo, Ec2Io {}

export function infraIdOption(value: string | undefined): string {
  if (!isInfraId(value)) {
    throw new UserError({
      what: `"${value ?? ""}" is not a cluster infra id`,
      where: "--infra-id",
      next: "use the id from `oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}'` (e.g. mycluster-x7k2p)",
    });
  }
  return value;
}

/** What `aws network down` and `status` take on the command line. */
export type NetworkCommandOptions = Omit<AwsCommandOptions, "cluster"> & { infraId: string; output?: string };

/** A command line's options as this shell takes them (--infra-id is `cluster`), and the AWS clients. */
export function networkCommand(cli: NetworkCommandOptions, ctx: Context) {
  const { infraId, ...rest } = cli;
  const opts = { ...rest, cluster: infraId };
  return { opts, io: makeIo(opts, ctx) };
}

export function makeIo(opts: AwsCommandOptions, ctx: Context): Io {
  const ec2Opts: Ec2Options = {
    ...(opts.region !== undefined && { region: opts.region }),
    ...(opts.profile !== undefined && { profile: opts.profile }),
    ...(opts.endpointUrl !== undefined && { endpoint: opts.endpointUrl }),
    ...(opts.credentials !== undefined && { credentials: opts.credentials }),
  };
  const settings = resolveAwsSettings(ec2Opts, ctx.env);
  const cfnEndpoint = cloudFormationSettings(ec2Opts, ctx.env).endpoint;
  return {
    ec2: opts.ec2 ?? createEc2Client(ec2Opts, ctx.env),
    cfn: opts.cfn ?? createCloudFormationClient(ec2Opts, ctx.env),
    progress: (line) => ctx.stderr.write(`  ${line}\n`),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    pollMs: opts.pollMs ?? 5000,
    ...(settings.region !== undefined && { region: settings.region }),
    ...(settings.endpoint !== undefined && { endpoint: settings.endpoint }),
    ...(cfnEndpoint !== undefined && { cfnEndpoint }),
  };
}

/** One data interface of the stack, with where it is attached. */
export interface InterfaceReport {
  logicalId: string;
  networkInterfaceId: string;
  instanceId: string;
  deviceIndex: number;
  subnetId: string;
  privateIpAddress: string;
  macAddress: string;
  /** attached, attaching, detached, elsewhere, missing, instance-gone (see drift.ts). */
  state: EniState;
  attachment: string;
}

export interface NetworkReport {
  stackName: string;
  status: string;
  attachWith: "cloudformation" | "ec2";
  subnets: { logicalId: string; subnetId: string; zone: string; cidr: string }[];
  securityGroupId?: string;
  interfaces: InterfaceReport[];
  /** What differs from what the stack wants, each with the command that fixes it. */
  warnings: string[];
}

function attachmentText(s: EniStatus): string {
  if (s.state === "missing") return "missing (the ENI no longer exists)";
  const where = s.attachedTo
    ? `${s.attachedTo.status} to ${s.attachedTo.instanceId} at ${s.attachedTo.deviceIndex}`
    : "not attached";
  if (s.state === "instance-gone") return `${where} (instance ${s.instanceId} is gone)`;
  return where;
}

/** What the stack holds now: subnets, security group and each ENI with its attachment and drift. */
export async function report(io: Io, stackName: string): Promise<NetworkReport | undefined> {
  const stack = await describeStack(io, stackName);
  if (!stack) return undefined;
  const params = stackParameters(stack);
  const resources = await listStackResources(io, stack.StackId!);
  const targets = eniTargets(resources, params);
  const enis = await describeEnis(
    io,
    targets.map((t) => t.eniId),
  );
  const ids = [...targets.map((t) => t.instanceId), ...enis.map((n) => n.Attachment?.InstanceId ?? "")];
  const infraId = params[param.infraId] ?? "";
  const { states: instances, live } = infraId
    ? await clusterInstances(io, infraId, ids)
    : { states: await instanceStates(io, ids), live: 1 };
  const statuses = eniStatuses(targets, enis, instances);
  const attachWith = params[param.attach] === "false" ? "ec2" : "cloudformation";
  const subnets = resources
    .filter((r) => r.type === "AWS::EC2::Subnet")
    .map((r) => {
      const slot = Number(/(\d+)$/.exec(r.logicalId)?.[1]);
      return {
        logicalId: r.logicalId,
        subnetId: r.physicalId,
        zone: params[param.zone(slot)] ?? "",
        cidr: params[param.cidr(slot)] ?? "",
      };
    });
  const sg = resources.find((r) => r.type === "AWS::EC2::SecurityGroup");
  return {
    stackName,
    status: stack.StackStatus ?? "",
    attachWith,
    subnets,
    ...(sg && { securityGroupId: sg.physicalId }),
    interfaces: targets.map((t, i) => {
      const st = statuses[i]!;
      return {
        logicalId: t.logicalId,
        networkInterfaceId: t.eniId,
        instanceId: t.instanceId,
        deviceIndex: t.deviceIndex,
        subnetId: st.subnetId ?? "",
        privateIpAddress: st.privateIpAddress ?? "",
        macAddress: st.macAddress ?? "",
        state: st.state,
        attachment: attachmentText(st),
      };
    }),
    warnings: driftWarnings(statuses, { cluster: infraId, attachWith, clusterInstances: live }),
  };
}

export function eniTargets(
  resources: { logicalId: string; physicalId: string; type: string }[],
  params: Record<string, string>,
): (EniTarget & { logicalId: string })[] {
  return resources
    .filter((r) => r.type === "AWS::EC2::NetworkInterface" && r.physicalId)
    .flatMap((r) => {
      const slot = eniSlot(r.logicalId);
      const instanceId = slot ? params[param.worker(slot.worker)] : undefined;
      return slot && instanceId
        ? [{ logicalId: r.logicalId, eniId: r.physicalId, instanceId, deviceIndex: slot.interface }]
        : [];
    })
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId) || a.deviceIndex - b.deviceIndex);
}

export async function networkDown(
  opts: AwsCommandOptions,
  ctx: Context,
  io: Io,
): Promise<
  | {
      stackName: string;
      removed: { logicalId: string; physicalId: string; type: string }[];
      detached: string[];
      leftovers: string[];
      /** ENIs of the stack that were already gone (deleted by hand or by the installer's destroy). */
      missing: string[];
    }
  | undefined
> {
  const infraId = infraIdOption(opts.cluster);
  const stackName = dataNetworkStackName(infraId);
  const stack = await describeStack(io, stackName);
  if (!stack) return undefined;
  const params = stackParameters(stack);
  const resources = await listStackResources(io, stack.StackId!);
  const eniIds = resources
    .filter((r) => r.type === "AWS::EC2::NetworkInterface" && r.physicalId)
    .map((r) => r.physicalId);
  const found = new Set((await describeEnis(io, eniIds)).map((n) => n.NetworkInterfaceId));
  const missing = eniIds.filter((id) => !found.has(id));
  if (missing.length > 0) {
    ctx.stderr.write(
      `${ctx.colors.yellow("warning:")} ENIs of the stack were already gone: ${missing.join(", ")} (deleted outside the stack); the stack deletes the rest\n`,
    );
  }
  let detached: string[] = [];
  if (params[param.attach] === "false") {
    // llw attached these through EC2 (--attach-with ec2): the stack cannot delete attached ENIs.
    detached = await detachEnis(
      io,
      eniTargets(resources, params).map((t) => t.eniId),
    );
  }
  ctx.stderr.write(`deleting stack ${stackName}\n`);
  await deleteStackAndWait(io, stack.StackId!, stackName, ctx.now);
  const leftovers = await sweepStackLeftovers(io, {
    key: "aws:cloudformation:stack-id",
    value: stack.StackId!,
  });
  return {
    stackName,
    removed: resources.filter((r) => r.physicalId && !missing.includes(r.physicalId)),
    detached,
    leftovers,
    missing,
  };
}
