/**
 * The thin shell shared by `llw sriov detect` and `llw sriov generate`: resolve AWS settings,
 * find the workers (cluster, cluster tag or ids), gather the inventory, classify it.
 */
import type { EC2Client } from "@aws-sdk/client-ec2";
import {
  type CallCounter,
  clientRegion,
  countCalls,
  createEc2Client,
  type Ec2Options,
  resolveAwsSettings,
} from "../aws/ec2.ts";
import type { Context } from "../lib/context.ts";
import { EnvironmentError, UserError } from "../lib/errors.ts";
import { classifyInventory, type Detection } from "./classify.ts";
import type { ClusterFacts } from "./cluster.ts";
import { gatherInventory } from "./gather.ts";
import { clusterTagKey, type Inventory, type WorkerSource } from "./inventory.ts";

export interface SriovAwsOptions {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  maxAttempts?: number;
  infraId?: string;
  instanceIds?: string[];
  kubeconfig?: string;
  context?: string;
  /** false with --no-cluster: never ask the cluster. */
  cluster?: boolean;
  /** Injected client (tests, benchmark); built from the options otherwise. */
  ec2?: EC2Client;
  /** Explicit credentials (tests); the SDK's default chain otherwise. */
  credentials?: Ec2Options["credentials"];
}

export interface DetectResult {
  detection: Detection;
  inventory: Inventory;
  counter: CallCounter;
  cluster?: ClusterFacts;
}

const INSTANCE_ID = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;

/**
 * Cluster facts whenever a cluster is configured and reachable (never with --no-cluster). The
 * cluster leads to the workers only when --infra-id / --instance-ids do not name them; it always
 * gives the node names, the OpenShift version and the operator's node states. When the workers
 * are named and the cluster is only the ambient kubeconfig (no --kubeconfig/--context), a cluster
 * that cannot be reached is a warning: the AWS side still works.
 */
async function clusterFactsFor(
  opts: SriovAwsOptions,
  ctx: Context,
  warn: (message: string) => void,
): Promise<ClusterFacts | undefined> {
  if (opts.cluster === false) return undefined;
  const named = Boolean(opts.instanceIds?.length || opts.infraId);
  const { loadClusterFacts } = await import("./cluster.ts");
  try {
    return await loadClusterFacts(
      { kubeconfig: opts.kubeconfig, context: opts.context, workersNamed: named },
      ctx,
    );
  } catch (e) {
    if (named && !opts.kubeconfig && !opts.context && e instanceof EnvironmentError) {
      warn(
        `the configured cluster could not be read (${e.message}): no node names, OpenShift version or SriovNetworkNodeState cross-check from it; log in again, or pass --no-cluster to work from AWS alone`,
      );
      return undefined;
    }
    throw e;
  }
}

/**
 * The cluster facts only apply when the cluster is the one whose workers were named: another
 * logged-in cluster would lend its version and node states to the wrong instances.
 */
export function clusterMismatch(
  opts: Pick<SriovAwsOptions, "infraId" | "instanceIds">,
  facts: ClusterFacts,
): string | undefined {
  if (opts.infraId && facts.infraId && opts.infraId !== facts.infraId) {
    return `the logged-in cluster (${facts.server}) has infrastructure id ${facts.infraId}, not ${opts.infraId}: it is not read (no version, node names or cross-check from it)`;
  }
  if (opts.instanceIds?.length) {
    const known = new Set(facts.workers.map((w) => w.instanceId));
    if (!opts.instanceIds.some((id) => known.has(id))) {
      return `none of the --instance-ids is a worker node of the logged-in cluster (${facts.server}): it is not read (no version, node names or cross-check from it)`;
    }
  }
  return undefined;
}

/** Runs between reading the cluster and the first AWS call: the last moment to reject options. */
export type BeforeAws = (cluster: ClusterFacts | undefined) => void;

export async function detect(
  opts: SriovAwsOptions,
  ctx: Context,
  beforeAws?: BeforeAws,
): Promise<DetectResult> {
  const bad = (opts.instanceIds ?? []).filter((id) => !INSTANCE_ID.test(id));
  if (bad.length > 0) {
    throw new UserError({
      what: `not an EC2 instance id: ${bad.join(", ")}`,
      where: "--instance-ids",
      next: "give ids like i-0123456789abcdef0, separated by commas",
    });
  }
  if (opts.infraId !== undefined && !/^[a-z0-9][a-z0-9-]*$/i.test(opts.infraId)) {
    throw new UserError({
      what: `"${opts.infraId}" is not an infrastructure id`,
      where: "--infra-id",
      next: "use the id from `oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}'`, e.g. demo-x7k2p",
    });
  }
  const ec2Opts: Ec2Options = {
    ...(opts.region !== undefined && { region: opts.region }),
    ...(opts.profile !== undefined && { profile: opts.profile }),
    ...(opts.endpointUrl !== undefined && { endpoint: opts.endpointUrl }),
    ...(opts.maxAttempts !== undefined && { maxAttempts: opts.maxAttempts }),
    ...(opts.credentials !== undefined && { credentials: opts.credentials }),
  };
  let settings = resolveAwsSettings(ec2Opts, ctx.env);
  const warn = (message: string) => ctx.stderr.write(`${ctx.colors.yellow("warning:")} ${message}\n`);
  let facts = await clusterFactsFor(opts, ctx, warn);
  const mismatch = facts && clusterMismatch(opts, facts);
  if (mismatch) {
    warn(mismatch);
    facts = undefined;
  }
  beforeAws?.(facts);
  // The cluster knows its own region; an explicit --region or AWS_REGION still wins.
  if (!settings.region && facts?.region) {
    ec2Opts.region = facts.region;
    settings = resolveAwsSettings(ec2Opts, ctx.env);
  }
  const client = opts.ec2 ?? createEc2Client(ec2Opts, ctx.env);
  const counter = countCalls(client);
  const region = (await clientRegion(client)) ?? settings.region;
  if (!region) {
    throw new UserError({
      what: "no AWS region is configured",
      where: "--region / AWS_REGION / the profile's region",
      next: "pass --region <code> (e.g. --region us-east-1) or export AWS_REGION",
    });
  }

  let source: WorkerSource;
  let instanceIds: string[] | undefined;
  let clusterTag: string | undefined;
  if (opts.instanceIds?.length) {
    source = "instance-ids";
    instanceIds = [...new Set(opts.instanceIds)];
    // Not a search filter here: it names the cluster whose detached ENIs are listed.
    const infraId = opts.infraId ?? facts?.infraId;
    if (infraId) clusterTag = clusterTagKey(infraId);
  } else if (opts.infraId) {
    source = "cluster-tag";
    clusterTag = clusterTagKey(opts.infraId);
  } else if (facts && facts.workers.length > 0) {
    source = "cluster";
    instanceIds = facts.workers.map((w) => w.instanceId);
    if (facts.infraId) clusterTag = clusterTagKey(facts.infraId);
  } else {
    throw new UserError({
      what: facts
        ? "the cluster has no AWS worker nodes (no node has an aws:// providerID)"
        : "no way to find the workers: no cluster configured, no --infra-id and no --instance-ids",
      next: "pass --infra-id <id> (`oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}'`) or --instance-ids i-...",
    });
  }
  // Progress for people at a terminal: real accounts answer in seconds, not milliseconds.
  if (ctx.interactive) ctx.stderr.write(`Reading the workers' network interfaces from EC2 in ${region}...\n`);
  const nodeNames = new Map((facts?.workers ?? []).map((w) => [w.instanceId, w.nodeName]));
  const inventory = await gatherInventory(client, {
    region,
    source,
    maxAttempts: settings.maxAttempts,
    nodeNames,
    ...(settings.endpoint !== undefined && { endpoint: settings.endpoint }),
    ...(settings.profile !== undefined && { profile: settings.profile }),
    ...(instanceIds !== undefined && { instanceIds }),
    ...(clusterTag !== undefined && { clusterTag }),
  });
  if (inventory.instances.length === 0) {
    throw new UserError({
      what:
        clusterTag && source === "cluster-tag"
          ? `no instances tagged ${clusterTag} in ${region} (control-plane machines are not counted)`
          : `none of the instances was found in ${region}`,
      where: opts.infraId ? "--infra-id / --region" : "--region",
      next: "check that --region is the cluster's region and --infra-id its infrastructure id (`oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}'`)",
    });
  }
  return {
    detection: classifyInventory(inventory),
    inventory,
    counter,
    ...(facts !== undefined && { cluster: facts }),
  };
}
