/**
 * What AWS says about the cluster's data network, for `llw doctor`: the stack `llw aws network up`
 * deployed (Module 4) and where each of its ENIs is attached, read with the same calls as
 * `llw aws network status` (src/aws/data-network). The infra id and region come from the
 * cluster's Infrastructure object. Never throws: a failure is a fact the check reports.
 */
import { makeIo, report } from "../../aws/data-network/shell.ts";
import { dataNetworkStackName } from "../../aws/tags.ts";
import type { Context } from "../../lib/context.ts";
import { LlwError } from "../../lib/errors.ts";
import type { ClusterFacts, DataNetworkFacts } from "./facts.ts";

export interface AwsAccess {
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

export async function gatherDataNetwork(
  facts: ClusterFacts,
  aws: AwsAccess,
  ctx: Context,
): Promise<DataNetworkFacts> {
  const infraId: string | undefined = facts.infrastructure?.status?.infrastructureName;
  if (!infraId) return { error: "the cluster's Infrastructure has no infrastructureName (is it on AWS?)" };
  const region = aws.region ?? facts.infrastructure?.status?.platformStatus?.aws?.region;
  const stackName = dataNetworkStackName(infraId);
  try {
    const io = makeIo(
      {
        cluster: infraId,
        ...(region ? { region } : {}),
        ...(aws.profile ? { profile: aws.profile } : {}),
        ...(aws.endpointUrl ? { endpointUrl: aws.endpointUrl } : {}),
      },
      ctx,
    );
    const r = await report(io, stackName);
    if (!r) return { stackName, missing: true };
    return {
      stackName,
      status: r.status,
      interfaces: r.interfaces.map((i) => ({
        networkInterfaceId: i.networkInterfaceId,
        instanceId: i.instanceId,
        deviceIndex: i.deviceIndex,
        state: i.state,
        attachment: i.attachment,
      })),
    };
  } catch (e) {
    if (e instanceof LlwError)
      return {
        error: e.problems.map((p) => p.what).join("; "),
        ...(e.problems[0]?.next ? { next: e.problems[0].next } : {}),
      };
    return { error: (e as Error).message };
  }
}
