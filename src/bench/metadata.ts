/**
 * The environment a run is stored with, so that a comparison months later still says what was
 * measured: cluster version, PerformanceProfiles, nodes with instance types and roles, git
 * revision. Cluster facts come through src/cluster/kube.ts; when the cluster cannot be read the
 * run is still stored, with the reason.
 */
import { execFileSync } from "node:child_process";
import type { Kube, KubeObject } from "../cluster/kube.ts";

export interface ClusterMetadata {
  clusterVersion?: string;
  kubernetesVersion?: string;
  performanceProfiles?: {
    name: string;
    nodeSelector?: Record<string, string>;
    isolated?: string;
    reserved?: string;
    realTimeKernel?: boolean;
  }[];
  nodes?: { name: string; instanceType?: string; roles: string[]; kernel?: string }[];
  error?: string;
}

export async function collectClusterMetadata(kube: Kube): Promise<ClusterMetadata> {
  const out: ClusterMetadata = {};
  try {
    out.kubernetesVersion = (await kube.version()).gitVersion;
    const cv = await kube.get("config.openshift.io/v1", "ClusterVersion", "version");
    out.clusterVersion = cv?.status?.desired?.version;
    const profiles = await kube.list("performance.openshift.io/v2", "PerformanceProfile");
    out.performanceProfiles = profiles.map((p: KubeObject) => ({
      name: p.metadata.name ?? "",
      nodeSelector: p.spec?.nodeSelector,
      isolated: p.spec?.cpu?.isolated,
      reserved: p.spec?.cpu?.reserved,
      realTimeKernel: p.spec?.realTimeKernel?.enabled,
    }));
    const nodes = await kube.list("v1", "Node");
    out.nodes = nodes.map((n: KubeObject) => {
      const labels = (n.metadata.labels ?? {}) as Record<string, string>;
      return {
        name: n.metadata.name ?? "",
        instanceType: labels["node.kubernetes.io/instance-type"],
        roles: Object.keys(labels)
          .filter((l) => l.startsWith("node-role.kubernetes.io/"))
          .map((l) => l.slice("node-role.kubernetes.io/".length)),
        kernel: n.status?.nodeInfo?.kernelVersion,
      };
    });
  } catch (e) {
    out.error = (e as Error).message;
  }
  return out;
}

/** The git revision of the working tree the workload came from, if it is a git checkout. */
export function gitRevision(cwd: string): string | undefined {
  try {
    const rev = execFileSync("git", ["rev-parse", "HEAD"], {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return dirty ? `${rev}-dirty` : rev;
  } catch {
    return undefined;
  }
}

/** A run directory name that sorts by time: 20261127T205500Z-1. */
export function runId(now: Date, k: number): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}-${k}`;
}
