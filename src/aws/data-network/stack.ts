/**
 * Deploying, following and deleting the data-network stack through the CloudFormation API, and
 * sweeping anything tagged with the stack that outlived it.
 */
import {
  type CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type Stack,
  UpdateStackCommand,
} from "@aws-sdk/client-cloudformation";
import { EnvironmentError, UserError } from "../../lib/errors.ts";
import { awsErrorName, cfnCall } from "../cloudformation.ts";
import { formatEvent, isSuccess, isTerminal, rootCauses, type StackEventFact } from "./events.ts";

export interface StackIo {
  cfn: CloudFormationClient;
  /** Progress lines (stderr). */
  progress: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
  pollMs: number;
  region?: string;
  /** The CloudFormation endpoint when one is configured (--endpoint-url, AWS_ENDPOINT_URL...). */
  cfnEndpoint?: string;
  /** Removes resources tagged with a stack name whose creation failed; returns how many. */
  cleanupFailedCreate?: (stackName: string) => Promise<number>;
}

/** What a failed CloudFormation call is reported with: the action, region and endpoint. */
function on(io: StackIo, action: string) {
  return {
    action,
    ...(io.region && { region: io.region }),
    ...(io.cfnEndpoint && { endpoint: io.cfnEndpoint }),
  };
}

export async function describeStack(io: StackIo, nameOrId: string): Promise<Stack | undefined> {
  try {
    const r = await io.cfn.send(new DescribeStacksCommand({ StackName: nameOrId }));
    return r.Stacks?.[0];
  } catch (e) {
    if (awsErrorName(e) === "ValidationError" && /does not exist/.test((e as Error).message))
      return undefined;
    return cfnCall(() => Promise.reject(e), on(io, "DescribeStacks"));
  }
}

export function stackParameters(stack: Stack): Record<string, string> {
  return Object.fromEntries(
    (stack.Parameters ?? []).map((p) => [p.ParameterKey ?? "", p.ParameterValue ?? ""]),
  );
}

export interface StackResourceFact {
  logicalId: string;
  physicalId: string;
  type: string;
  status: string;
}

export async function listStackResources(io: StackIo, stack: string): Promise<StackResourceFact[]> {
  const out: StackResourceFact[] = [];
  let token: string | undefined;
  do {
    const r = await cfnCall(
      () => io.cfn.send(new ListStackResourcesCommand({ StackName: stack, NextToken: token })),
      on(io, "ListStackResources"),
    );
    for (const s of r.StackResourceSummaries ?? []) {
      // Skip entries without a logical id (the EC2 emulator lists switched-off slots that way).
      if (!s.LogicalResourceId) continue;
      out.push({
        logicalId: s.LogicalResourceId,
        physicalId: s.PhysicalResourceId ?? "",
        type: s.ResourceType ?? "",
        status: s.ResourceStatus ?? "",
      });
    }
    token = r.NextToken;
  } while (token);
  return out;
}

async function eventsSince(
  io: StackIo,
  stackId: string,
  seen: Set<string>,
  since: Date,
): Promise<StackEventFact[]> {
  const fresh: StackEventFact[] = [];
  let token: string | undefined;
  pages: do {
    const r = await cfnCall(
      () => io.cfn.send(new DescribeStackEventsCommand({ StackName: stackId, NextToken: token })),
      on(io, "DescribeStackEvents"),
    );
    for (const e of r.StackEvents ?? []) {
      const id = e.EventId ?? `${e.LogicalResourceId}-${e.ResourceStatus}-${e.Timestamp?.toISOString()}`;
      // Events come newest first: stop at the first one already shown or older than this operation.
      if (seen.has(id) || (e.Timestamp && e.Timestamp < since)) break pages;
      seen.add(id);
      fresh.push({
        eventId: id,
        timestamp: e.Timestamp ?? new Date(0),
        logicalId: e.LogicalResourceId ?? "",
        resourceType: e.ResourceType ?? "",
        status: e.ResourceStatus ?? "",
        ...(e.ResourceStatusReason && { reason: e.ResourceStatusReason }),
      });
    }
    token = r.NextToken;
  } while (token);
  return fresh.reverse();
}

/** Polls a stack until its status is terminal, printing each new event. Returns final status and events. */
export async function follow(
  io: StackIo,
  stackId: string,
  since: Date,
): Promise<{ status: string; events: StackEventFact[] }> {
  const seen = new Set<string>();
  const all: StackEventFact[] = [];
  for (;;) {
    const fresh = await eventsSince(io, stackId, seen, since);
    for (const e of fresh) io.progress(formatEvent(e));
    all.push(...fresh);
    const stack = await describeStack(io, stackId);
    const status = stack?.StackStatus ?? "DELETE_COMPLETE";
    if (isTerminal(status)) return { status, events: all };
    await io.sleep(io.pollMs);
  }
}

function failure(what: string, stackName: string, events: StackEventFact[], after: string): EnvironmentError {
  const causes = rootCauses(events, stackName);
  return new EnvironmentError([
    { what, where: `CloudFormation stack ${stackName}` },
    ...causes.map((c) => ({
      what: `${c.logicalId} (${c.resourceType}) ${c.status}: ${c.reason}`,
      where: "stack events",
    })),
    {
      what: after,
      next: "fix the cause above (e.g. pick another --cidr) and run `llw aws network up` again",
    },
  ]);
}

export interface DeployRequest {
  stackName: string;
  templateBody: string;
  parameters: Record<string, string>;
  tags: Record<string, string>;
}

export type DeployResult = { action: "created" | "updated" | "unchanged"; stackId: string };

/** Creates or updates the stack and waits for it; on failure nothing half-created stays behind. */
export async function deployStack(io: StackIo, req: DeployRequest, now: () => Date): Promise<DeployResult> {
  const Parameters = Object.entries(req.parameters).map(([ParameterKey, ParameterValue]) => ({
    ParameterKey,
    ParameterValue,
  }));
  const Tags = Object.entries(req.tags).map(([Key, Value]) => ({ Key, Value }));
  let existing = await describeStack(io, req.stackName);
  if (existing && !isTerminal(existing.StackStatus ?? "")) {
    throw new EnvironmentError({
      what: `stack ${req.stackName} is busy (${existing.StackStatus})`,
      next: "wait until it settles (llw aws network status) and run again",
    });
  }
  if (existing?.StackStatus === "ROLLBACK_COMPLETE" || existing?.StackStatus === "ROLLBACK_FAILED") {
    // A create that failed and rolled back cannot be updated, only deleted.
    io.progress(`removing ${req.stackName}: an earlier create failed (${existing.StackStatus})`);
    await deleteStackAndWait(io, existing.StackId!, req.stackName, now);
    existing = undefined;
  }
  const since = new Date(now().getTime() - 1000);
  if (!existing) {
    let stackId: string;
    try {
      const r = await io.cfn.send(
        new CreateStackCommand({
          StackName: req.stackName,
          TemplateBody: req.templateBody,
          Parameters,
          Tags,
          OnFailure: "DELETE",
        }),
      );
      stackId = r.StackId!;
    } catch (e) {
      if (awsErrorName(e) === "ValidationError") {
        throw new UserError({
          what: `CloudFormation rejected the template or its parameters: ${(e as Error).message}`,
          where: req.stackName,
        });
      }
      if (!awsErrorName(e)) throw e;
      // Real CloudFormation creates nothing when CreateStack itself fails. The EC2 emulator runs
      // resources synchronously inside the call and can fail part-way: remove what it made.
      const swept = await io.cleanupFailedCreate?.(req.stackName);
      throw new EnvironmentError([
        {
          what: `creating stack ${req.stackName} failed: ${awsErrorName(e)}: ${(e as Error).message}`,
          where: "CreateStack",
        },
        {
          what: `nothing was left behind${swept ? `: removed ${swept} resource${swept === 1 ? "" : "s"} tagged with the stack` : ""}`,
          next: "fix the cause above (e.g. pick another --cidr) and run `llw aws network up` again",
        },
      ]);
    }
    const { status, events } = await follow(io, stackId, since);
    if (!isSuccess(status, "create")) {
      // OnFailure=DELETE already removes what was made; make sure of it before saying so.
      if (status !== "DELETE_COMPLETE") await deleteStackAndWait(io, stackId, req.stackName, now);
      throw failure(
        `creating stack ${req.stackName} failed (${status})`,
        req.stackName,
        events,
        "the stack was rolled back and deleted: nothing was left behind",
      );
    }
    return { action: "created", stackId };
  }
  try {
    await io.cfn.send(
      new UpdateStackCommand({
        StackName: existing.StackId!,
        TemplateBody: req.templateBody,
        Parameters,
        Tags,
      }),
    );
  } catch (e) {
    if (
      awsErrorName(e) === "ValidationError" &&
      /No updates are to be performed/i.test((e as Error).message)
    ) {
      return { action: "unchanged", stackId: existing.StackId! };
    }
    if (awsErrorName(e) === "ValidationError") {
      throw new UserError({
        what: `CloudFormation rejected the update: ${(e as Error).message}`,
        where: req.stackName,
      });
    }
    return cfnCall(() => Promise.reject(e), on(io, "UpdateStack"));
  }
  const { status, events } = await follow(io, existing.StackId!, since);
  if (!isSuccess(status, "update")) {
    throw failure(
      `updating stack ${req.stackName} failed (${status})`,
      req.stackName,
      events,
      "the update was rolled back: the stack is as it was before",
    );
  }
  return { action: "updated", stackId: existing.StackId! };
}

/** Deletes a stack by id and waits; throws with the failing resources if deletion fails. */
export async function deleteStackAndWait(
  io: StackIo,
  stackId: string,
  stackName: string,
  now: () => Date,
): Promise<void> {
  const since = new Date(now().getTime() - 1000);
  await cfnCall(() => io.cfn.send(new DeleteStackCommand({ StackName: stackId })), on(io, "DeleteStack"));
  const { status, events } = await follow(io, stackId, since);
  if (status !== "DELETE_COMPLETE") {
    throw failure(
      `deleting stack ${stackName} failed (${status})`,
      stackName,
      events,
      "some resources remain; see above",
    );
  }
}
