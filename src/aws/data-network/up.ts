/**
 * `llw aws network up`: converges the data network on what the cluster is now. It waits for
 * metal workers that are still pending, keeps every worker in its slot (a replacement instance in
 * the same zone takes over the old one's ENIs), recreates ENIs that were deleted outside the stack,
 * deploys, attaches (--attach-with ec2), and then checks that every ENI is attached where the stack
 * says, whichever attached it.
 */
import { resolve } from "node:path";
import { DeleteStackCommand } from "@aws-sdk/client-cloudformation";
import type { Context } from "../../lib/context.ts";
import { EnvironmentError, UserError } from "../../lib/errors.ts";
import { readInputText } from "../../lib/input.ts";
import { parseCfnYaml } from "../cfn-yaml.ts";
import { isAvailabilityZone } from "../names.ts";
import { dataNetworkStackName, INFRA_ID_TAG, STACK_NAME_TAG } from "../tags.ts";
import { stackChanges } from "./changes.ts";
import { eniStatuses } from "./drift.ts";
import { attachWithEc2, describeEnis, detachEnis, discover, instanceStates } from "./ec2-side.ts";
import { checkUpOptions, planDataNetwork } from "./plan.ts";
import {
  type AwsCommandOptions,
  eniTargets,
  type Io,
  infraIdOption,
  type NetworkReport,
  report,
} from "./shell.ts";
import { deployStack, describeStack, listStackResources, stackParameters } from "./stack.ts";
import { sweepStackLeftovers } from "./sweep.ts";
import { dataNetworkTemplate, eniSlot, LIMITS, param } from "./template.ts";

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

async function templateBody(file: string | undefined, cwd: string): Promise<Record<string, unknown>> {
  if (!file) return dataNetworkTemplate();
  const path = resolve(cwd, file);
  const text = await readInputText(path, "manifest", { flag: "--template", shown: file });
  return parseCfnYaml(text, path) as Record<string, unknown>;
}

/** The parameters with these worker slots emptied: the stack then deletes their ENIs. */
export function withoutWorkers(params: Record<string, string>, slots: Set<number>): Record<string, string> {
  const out = { ...params };
  for (const s of slots) {
    out[param.worker(s)] = "";
    out[param.workerZone(s)] = "";
  }
  return out;
}

/** How many polls to wait for attachments the stack made to report "attached". */
const VERIFY_POLLS = 12;

export async function networkUp(
  opts: UpOptions,
  ctx: Context,
  io: Io,
): Promise<{ action: string; report: NetworkReport; attached: string[]; recreated: string[] }> {
  const infraId = infraIdOption(opts.cluster);
  const stackName = dataNetworkStackName(infraId);
  const cidrs = parseCidrOptions(opts.cidr);
  // Everything about the options' shape is known before AWS is asked anything.
  checkUpOptions({ interfacesPerWorker: opts.interfaces, cidrs });
  const template = await templateBody(opts.template, ctx.cwd);
  const body = JSON.stringify(template);
  const warn = (line: string) => ctx.stderr.write(`${ctx.colors.yellow("warning:")} ${line}\n`);
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
  const deploy = (parameters: Record<string, string>) =>
    deployStack(
      withCleanup,
      // Stack tags reach every resource: no kubernetes.io/cluster tag here either (see template.ts).
      { stackName, templateBody: body, parameters, tags: { [INFRA_ID_TAG]: infraId } },
      ctx.now,
    );

  const current = inventory.current;
  const currentTargets = current ? eniTargets(ours, current) : [];
  if (current) {
    const changes = stackChanges(template, current, plan.parameters);
    for (const r of changes.replaced)
      ctx.stderr.write(`  replaces ${r.logicalId} (${r.type}): ${r.because.join(", ")} changes\n`);
  }
  if (existing && current?.[param.attach] === "false" && opts.attachWith === "cloudformation") {
    // Switching from --attach-with ec2: the stack cannot attach ENIs that llw attached already.
    const detached = await detachEnis(
      io,
      currentTargets.map((t) => t.eniId),
    );
    if (detached.length > 0)
      ctx.stderr.write(`detached ${detached.length} ENIs llw had attached, for the stack to attach\n`);
  }

  // ENIs deleted outside the stack: CloudFormation still holds their old ids and would never make
  // them again. Emptying their worker slots for one update deletes the stack's record of them (the
  // delete handler takes an ENI that is already gone as deleted); the full update then recreates them.
  const found = new Set(
    (
      await describeEnis(
        io,
        currentTargets.map((t) => t.eniId),
      )
    ).map((n) => n.NetworkInterfaceId),
  );
  const missing = currentTargets.filter((t) => !found.has(t.eniId));
  const recreate = new Set(
    ours
      .filter((r) => missing.some((m) => m.eniId === r.physicalId))
      .map((r) => eniSlot(r.logicalId)?.worker)
      .filter((w): w is number => w !== undefined && w <= LIMITS.workers),
  );
  const recreated: string[] = [];
  if (recreate.size > 0 && current) {
    warn(
      `ENIs of the stack no longer exist: ${missing.map((m) => m.eniId).join(", ")}; recreating the data ENIs of ` +
        `${[...recreate].map((s) => current[param.worker(s)]).join(", ")} (their other data ENIs get new addresses too)`,
    );
    if (current[param.attach] === "false") {
      await detachEnis(
        io,
        currentTargets.filter((t) => recreate.has(slotOf(ours, t.eniId))).map((t) => t.eniId),
      );
    }
    await deploy(withoutWorkers(plan.parameters, recreate));
    recreated.push(...missing.map((m) => m.eniId));
  }

  const result = await deploy(plan.parameters);
  const resources = await listStackResources(io, result.stackId);
  const targets = eniTargets(resources, plan.parameters);
  let attached: string[] = [];
  if (opts.attachWith === "ec2") {
    attached = (await attachWithEc2(io, targets)).filter((r) => r.action === "attached").map((r) => r.eniId);
  }
  const stillMissing = await verifyAttachments(io, targets, opts.attachWith);
  const rep = (await report(io, stackName))!;
  if (stillMissing.length > 0) {
    // Real CloudFormation deletes a resource whose condition turns false and creates it again when
    // it turns true; a stack (or emulator) that kept the old record leaves the ENI missing.
    warn(
      `the stack did not recreate ${stillMissing.join(", ")}: run \`llw aws network down --infra-id ${infraId}\` and \`up\` again to rebuild the data network`,
    );
  } else {
    for (const w of rep.warnings) warn(w);
  }
  return {
    action: recreated.length > 0 ? "updated" : result.action,
    report: rep,
    attached,
    recreated: recreated.filter((id) => !stillMissing.includes(id)),
  };
}

function slotOf(resources: { logicalId: string; physicalId: string }[], eniId: string): number {
  return eniSlot(resources.find((r) => r.physicalId === eniId)?.logicalId ?? "")?.worker ?? 0;
}

/**
 * Every ENI of the stack must end attached to its worker at its device index, whichever attached
 * it: a stack that reports UPDATE_COMPLETE with an attachment missing (or an emulator that skips
 * the attachment resource) is reported, not passed over. ENIs that no longer exist are returned
 * (a warning, with the way out), not failed on.
 */
async function verifyAttachments(
  io: Io,
  targets: { eniId: string; instanceId: string; deviceIndex: number; logicalId: string }[],
  attachWith: "cloudformation" | "ec2",
): Promise<string[]> {
  for (let poll = 0; ; poll++) {
    const enis = await describeEnis(
      io,
      targets.map((t) => t.eniId),
    );
    const instances = await instanceStates(
      io,
      targets.map((t) => t.instanceId),
    );
    const statuses = eniStatuses(targets, enis, instances);
    const missing = statuses.filter((s) => s.state === "missing").map((s) => s.eniId);
    const bad = statuses.filter((s) => s.state !== "attached" && s.state !== "missing");
    if (bad.length === 0) return missing;
    if (poll >= VERIFY_POLLS || !bad.some((s) => s.state === "attaching")) {
      throw new EnvironmentError([
        ...bad.map((s) => ({
          what: `${s.eniId} should be attached to ${s.instanceId} at device index ${s.deviceIndex}, but ${s.state === "missing" ? "it no longer exists" : s.attachedTo ? `it is ${s.attachedTo.status} to ${s.attachedTo.instanceId} at device index ${s.attachedTo.deviceIndex}` : "it is not attached"}`,
          where: targets.find((t) => t.eniId === s.eniId)?.logicalId ?? s.eniId,
        })),
        {
          what:
            attachWith === "cloudformation"
              ? "the stack completed, but its NetworkInterfaceAttachment resources did not attach these ENIs"
              : "llw attached these ENIs, but EC2 does not show them attached",
          next:
            attachWith === "cloudformation"
              ? "check the stack's events (llw aws network status); run `llw aws network up --attach-with ec2` to attach them through EC2 instead"
              : "run `llw aws network up --attach-with ec2` again; `llw aws network status` shows where each ENI is",
        },
      ]);
    }
    await io.sleep(io.pollMs);
  }
}
