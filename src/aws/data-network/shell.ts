/**
 * `llw aws network up|down|status`: gathers facts from EC2 and CloudFormation, calls the planner,
 * deploys or removes the stack, and reports the data interfaces.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type CloudFormationClient, DeleteStackCommand } from "@aws-sdk/client-cloudformation";
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { Context } from "../../lib/context.ts";
import { UserError } from "../../lib/errors.ts";
import { parseCfnYaml } from "../cfn-yaml.ts";
import { cloudFormationSettings, createCloudFormationClient } from "../cloudformation.ts";
import { createEc2Client, type Ec2Options, resolveAwsSettings } from "../ec2.ts";
import { isAvailabilityZone, isInfraId } from "../names.ts";
import { dataNetworkStackName, INFRA_ID_TAG, STACK_NAME_TAG } from "../tags.ts";
import {
  attachWithEc2,
  describeEnis,
  detachEnis,
  discover,
  type Ec2Io,
  type EniTarget,
  sweepStackLeftovers,
} from "./ec2-side.ts";
import { checkUpOptions, planDataNetwork } from "./plan.ts";
import {
  deleteStackAndWait,
  deployStack,
  describeStack,
  listStackResources,
  type StackIo,
  stackParameters,
} from "./stack.ts";
import { dataNetworkTemplate, eniSlot, param } from "./template.ts";

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
      where: "--cluster",
      next: "use the id from `oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}'` (e.g. mycluster-x7k2p)",
    });
  }
  return value;
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
  attachment: string;
}

export interface NetworkReport {
  stackName: string;
  status: string;
  attachWith: "cloudformation" | "ec2";
  subnets: { logicalId: string; subnetId: string; zone: string; cidr: string }[];
  securityGroupId?: string;
  interfaces: InterfaceReport[];
}

/** What the stack holds now: subnets, security group and each ENI with its attachment. */
export async function report(io: Io, stackName: string): Promise<NetworkReport | undefined> {
  const stack = await describeStack(io, stackName);
  if (!stack) return undefined;
  const params = stackParameters(stack);
  const resources = await listStackResources(io, stack.StackId!);
  const targets = eniTargets(resources, params);
  const enis = new Map(
    (
      await describeEnis(
        io,
        targets.map((t) => t.eniId),
      )
    ).map((n) => [n.NetworkInterfaceId, n]),
  );
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
  return {
    stackName,
    status: stack.StackStatus ?? "",
    attachWith: params[param.attach] === "false" ? "ec2" : "cloudformation",
    subnets,
    ...(resources.find((r) => r.type === "AWS::EC2::SecurityGroup") && {
      securityGroupId: resources.find((r) => r.type === "AWS::EC2::SecurityGroup")!.physicalId,
    }),
    interfaces: targets.map((t) => {
      const n = enis.get(t.eniId);
      const at = n?.Attachment;
      const where = at?.InstanceId ? `${at.Status} to ${at.InstanceId} at ${at.DeviceIndex}` : "not attached";
      return {
        logicalId: t.logicalId,
        networkInterfaceId: t.eniId,
        instanceId: t.instanceId,
        deviceIndex: t.deviceIndex,
        subnetId: n?.SubnetId ?? "",
        privateIpAddress: n?.PrivateIpAddress ?? "",
        attachment: where,
      };
    }),
  };
}

function eniTargets(
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

export interface UpOptions extends AwsCommandOptions {
  interfaces: number;
  attachWith: "cloudformation" | "ec2";
  cidr?: string[];
  instance?: string[];
  template?: string;
}

function parseCidrOptions(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(item);
    if (!m || !isAvailabilityZone(m[1])) {
      throw new UserError({
        what: `"${item}" is not zone=cidr`,
        where: "--cidr",
        next: "e.g. --cidr us-east-1a=10.0.200.0/24",
      });
    }
    out[m[1]!] = m[2]!;
  }
  return out;
}

async function templateBody(file: string | undefined, cwd: string): Promise<string> {
  if (!file) return JSON.stringify(dataNetworkTemplate());
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new UserError({ what: `cannot read the template: ${(e as Error).message}`, where: "--template" });
  }
  return JSON.stringify(parseCfnYaml(text, path));
}

export async function networkUp(
  opts: UpOptions,
  ctx: Context,
  io: Io,
): Promise<{ action: string; report: NetworkReport; attached: string[] }> {
  const infraId = infraIdOption(opts.cluster);
  const stackName = dataNetworkStackName(infraId);
  const cidrs = parseCidrOptions(opts.cidr);
  // Everything about the options' shape is known before AWS is asked anything.
  checkUpOptions({ interfacesPerWorker: opts.interfaces, cidrs });
  const body = await templateBody(opts.template, ctx.cwd);
  const existing = await describeStack(io, stackName);
  const ours =
    existing?.StackId && existing.StackStatus !== "ROLLBACK_COMPLETE"
      ? await listStackResources(io, existing.StackId)
      : [];
  const inventory = await discover(io, infraId, {
    ...(opts.instance && { instanceIds: opts.instance }),
    stackEniIds: new Set(
      ours.filter((r) => r.type === "AWS::EC2::NetworkInterface").map((r) => r.physicalId),
    ),
    stackSubnetIds: new Set(ours.filter((r) => r.type === "AWS::EC2::Subnet").map((r) => r.physicalId)),
  });
  if (existing) inventory.current = stackParameters(existing);
  const plan = planDataNetwork(inventory, {
    interfacesPerWorker: opts.interfaces,
    attachWith: opts.attachWith,
    cidrs,
  });
  ctx.stderr.write(
    `${existing ? "updating" : "creating"} stack ${stackName}: ${plan.zones.map((z) => `${z.zone} ${z.cidr}`).join(", ")}; ` +
      `${plan.workers.length} metal worker${plan.workers.length === 1 ? "" : "s"} x ${opts.interfaces} interface${opts.interfaces === 1 ? "" : "s"}\n`,
  );
  const withCleanup: Io = {
    ...io,
    cleanupFailedCreate: async (name) => {
      // No stack of this name existed before this create, so whatever carries its name is from it.
      await io.cfn.send(new DeleteStackCommand({ StackName: name })).catch(() => undefined);
      return (await sweepStackLeftovers(io, { key: STACK_NAME_TAG, value: name })).length;
    },
  };
  if (existing && inventory.current?.[param.attach] === "false" && opts.attachWith === "cloudformation") {
    // Switching from --attach-with ec2: the stack cannot attach ENIs that llw attached already.
    const detached = await detachEnis(
      io,
      eniTargets(ours, inventory.current).map((t) => t.eniId),
    );
    if (detached.length > 0)
      ctx.stderr.write(`detached ${detached.length} ENIs llw had attached, for the stack to attach\n`);
  }
  const result = await deployStack(
    withCleanup,
    {
      stackName,
      templateBody: body,
      parameters: plan.parameters,
      // Stack tags reach every resource: no kubernetes.io/cluster tag here either (see template.ts).
      tags: { [INFRA_ID_TAG]: infraId },
    },
    ctx.now,
  );
  let attached: string[] = [];
  if (opts.attachWith === "ec2") {
    const resources = await listStackResources(io, result.stackId);
    const targets = eniTargets(resources, plan.parameters);
    attached = (await attachWithEc2(io, targets)).filter((r) => r.action === "attached").map((r) => r.eniId);
  }
  const rep = await report(io, stackName);
  return { action: result.action, report: rep!, attached };
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
    }
  | undefined
> {
  const infraId = infraIdOption(opts.cluster);
  const stackName = dataNetworkStackName(infraId);
  const stack = await describeStack(io, stackName);
  if (!stack) return undefined;
  const params = stackParameters(stack);
  const resources = await listStackResources(io, stack.StackId!);
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
  return { stackName, removed: resources.filter((r) => r.physicalId), detached, leftovers };
}
