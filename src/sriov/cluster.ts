/**
 * What the cluster says about SR-IOV on AWS, when one is configured: the AWS worker nodes
 * (spec.providerID, instance-type label), the infrastructure id and region, the OpenShift version
 * (ClusterVersion) and the operator's SriovNetworkNodeStates. Read-only.
 */
import { Kube, kubeError, statusCode } from "../cluster/kube.ts";
import type { Context } from "../lib/context.ts";
import { EnvironmentError, type LlwError } from "../lib/errors.ts";
import type { NodeStateFacts } from "./crosscheck.ts";
import { OPERATOR_NAMESPACE } from "./generate.ts";
import { instanceIdFromProviderId } from "./inventory.ts";

export interface ClusterWorker {
  nodeName: string;
  instanceId: string;
  instanceType?: string;
}

export interface ClusterFacts {
  server: string;
  workers: ClusterWorker[];
  infraId?: string;
  region?: string;
  /** Current OpenShift version (ClusterVersion status.desired.version). */
  ocpVersion?: string;
  /** undefined when the SR-IOV operator's API is not served. */
  nodeStates?: NodeStateFacts[];
}

// biome-ignore lint/suspicious/noExplicitAny: objects read from the API are narrowed field by field
type Obj = Record<string, any>;

const CONTROL_PLANE_ROLES = ["node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane"];

/** AWS worker nodes (control plane excluded) with their instance ids. */
export function workersFromNodes(nodes: Obj[]): ClusterWorker[] {
  const out: ClusterWorker[] = [];
  for (const n of nodes) {
    const labels: Record<string, string> = n.metadata?.labels ?? {};
    if (CONTROL_PLANE_ROLES.some((r) => r in labels)) continue;
    const instanceId = instanceIdFromProviderId(n.spec?.providerID);
    if (!instanceId || !n.metadata?.name) continue;
    const type = labels["node.kubernetes.io/instance-type"] ?? labels["beta.kubernetes.io/instance-type"];
    out.push({ nodeName: n.metadata.name, instanceId, ...(type !== undefined && { instanceType: type }) });
  }
  return out.sort((a, b) => a.nodeName.localeCompare(b.nodeName));
}

/** The version the cluster runs or is moving to. */
export function versionFromClusterVersion(cv: Obj | undefined): string | undefined {
  const desired = cv?.status?.desired?.version;
  if (typeof desired === "string" && desired) return desired;
  const done = (cv?.status?.history ?? []).find((h: Obj) => h.state === "Completed");
  return typeof done?.version === "string" ? done.version : undefined;
}

export function nodeStatesFrom(items: Obj[]): NodeStateFacts[] {
  return items.map((s) => ({
    nodeName: String(s.metadata?.name ?? ""),
    interfaces: ((s.status?.interfaces ?? []) as Obj[]).map((i) => ({
      ...(i.name !== undefined && { name: String(i.name) }),
      ...(i.mac !== undefined && { mac: String(i.mac).toLowerCase() }),
      ...(i.driver !== undefined && { driver: String(i.driver) }),
      ...(i.vendor !== undefined && { vendor: String(i.vendor) }),
      ...(i.deviceID !== undefined && { deviceID: String(i.deviceID) }),
      ...(i.netFilter !== undefined && { netFilter: String(i.netFilter) }),
      ...(typeof i.totalvfs === "number" && { totalvfs: i.totalvfs }),
      ...(typeof i.numVfs === "number" && { numVfs: i.numVfs }),
    })),
    ...(s.status?.syncStatus !== undefined && { syncStatus: String(s.status.syncStatus) }),
  }));
}

const SRIOV_GROUP = "sriovnetwork.openshift.io";
const NODE_STATE_API = `${SRIOV_GROUP}/v1`;

/**
 * Whether the SR-IOV Network Operator's API is served (discovery, readable by every user): a
 * plain list cannot tell "operator not installed" from "no node states yet".
 */
async function servesNodeStates(kube: Kube): Promise<boolean> {
  try {
    const { CustomObjectsApi } = await import("@kubernetes/client-node");
    const list = await kube.kc
      .makeApiClient(CustomObjectsApi)
      .getAPIResources({ group: SRIOV_GROUP, version: "v1" });
    return (list.resources ?? []).some((r) => r.kind === "SriovNetworkNodeState");
  } catch (e) {
    if (statusCode(e) === 404) return false;
    throw kubeError(e, { verb: "discover", what: `the ${NODE_STATE_API} API` }, kube.server);
  }
}

/**
 * Reads the cluster facts. Returns undefined when no cluster is configured at all (no
 * kubeconfig): the AWS-only paths then apply. A configured but unreachable cluster is an error
 * that says how to skip it.
 */
export async function loadClusterFacts(
  opts: {
    kubeconfig?: string | undefined;
    context?: string | undefined;
    /** --infra-id / --instance-ids name the workers: the cluster is read for its version and node states. */
    workersNamed?: boolean;
  },
  ctx: Context,
): Promise<ClusterFacts | undefined> {
  let kube: Kube;
  try {
    kube = Kube.connect(
      {
        ...(opts.kubeconfig && { kubeconfig: opts.kubeconfig }),
        ...(opts.context && { context: opts.context }),
      },
      ctx.env,
      ctx.cwd,
    );
  } catch (e) {
    if (e instanceof EnvironmentError && /no cluster configured/.test(e.message)) return undefined;
    throw e;
  }
  try {
    const [nodes, cv, infra] = await Promise.all([
      kube.list("v1", "Node"),
      kube.get("config.openshift.io/v1", "ClusterVersion", "version"),
      kube.get("config.openshift.io/v1", "Infrastructure", "cluster"),
    ]);
    const states = (await servesNodeStates(kube))
      ? nodeStatesFrom(
          await kube.list(NODE_STATE_API, "SriovNetworkNodeState", { namespace: OPERATOR_NAMESPACE }),
        )
      : undefined;
    const version = versionFromClusterVersion(cv);
    const infraId = infra?.status?.infrastructureName;
    const region = infra?.status?.platformStatus?.aws?.region;
    return {
      server: kube.server,
      workers: workersFromNodes(nodes),
      ...(states !== undefined && { nodeStates: states }),
      ...(typeof version === "string" && { ocpVersion: version }),
      ...(typeof infraId === "string" && { infraId }),
      ...(typeof region === "string" && { region }),
    };
  } catch (e) {
    const err = e as LlwError;
    if (err.problems) {
      err.problems.push(
        opts.workersNamed
          ? {
              what: "the cluster given by --kubeconfig/--context was asked for its version, node names and SriovNetworkNodeStates",
              next: "pass --no-cluster (and --ocp-version) to work from AWS alone",
            }
          : {
              what: "the cluster was asked for its AWS worker nodes because no --infra-id or --instance-ids was given",
              next: "pass --infra-id <id> or --instance-ids i-... (or --no-cluster) to work from AWS alone",
            },
      );
    }
    throw e;
  }
}
