/**
 * A fake-API-server world for the cluster command tests: an OpenShift cluster with metal
 * workers, a kubeconfig pointing at it, and the workshop's tuning change set on disk.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { FakeApiServer, type Obj } from "../helpers/fake-apiserver.ts";
import { SRIOV_RESOURCES, seedOpenShift, type WorldOptions } from "../helpers/fake-openshift.ts";

export interface World {
  api: FakeApiServer;
  dir: string;
  kubeconfig: string;
  /** Runs llw in-process like a user would; returns exit code and output. */
  llw(...args: string[]): Promise<{ code: number; out: string; err: string }>;
  stop(): Promise<void>;
}

export async function startWorld(o: WorldOptions & { sriov?: boolean } = {}): Promise<World> {
  const api = await FakeApiServer.start();
  seedOpenShift(api, o);
  if (o.sriov !== false) api.addResources(SRIOV_RESOURCES);
  const dir = mkdtempSync(join(tmpdir(), "llw-cluster-"));
  const kubeconfig = api.writeKubeconfig(dir);
  return {
    api,
    dir,
    kubeconfig,
    async llw(...args: string[]) {
      const ctx = bufferContext({
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig },
      });
      const code = await main(args, ctx);
      return { code, out: ctx.out(), err: ctx.err() };
    },
    stop: () => api.stop(),
  };
}

/**
 * The workshop tuning for c5.metal workers: profile (with 1G hugepages; 0 pages leaves them out)
 * + an SR-IOV policy.
 */
export function profile(hugepages = 16): Obj {
  return {
    apiVersion: "performance.openshift.io/v2",
    kind: "PerformanceProfile",
    metadata: { name: "workshop-c5-metal" },
    spec: {
      cpu: { reserved: "0-1,48-49", isolated: "2-47,50-95" },
      ...(hugepages > 0
        ? { hugepages: { defaultHugepagesSize: "1G", pages: [{ size: "1G", count: hugepages }] } }
        : {}),
      machineConfigPoolSelector: { "pools.operator.machineconfiguration.openshift.io/worker": "" },
      nodeSelector: { "node-role.kubernetes.io/worker": "" },
      numa: { topologyPolicy: "restricted" },
      realTimeKernel: { enabled: false },
      workloadHints: { realTime: true, highPowerConsumption: false, perPodPowerManagement: false },
    },
  };
}

export function sriovPolicy(): Obj {
  return {
    apiVersion: "sriovnetwork.openshift.io/v1",
    kind: "SriovNetworkNodePolicy",
    metadata: { name: "ena-dataplane", namespace: "openshift-sriov-network-operator" },
    spec: {
      resourceName: "ena_dataplane",
      nodeSelector: { "node-role.kubernetes.io/worker": "" },
      numVfs: 1,
      deviceType: "netdevice",
      nicSelector: { netFilter: "aws/NetworkID:0a1b2c3d4e5f60718" },
    },
  };
}

/** Writes objects as YAML files in a new directory under the world's dir; returns its path. */
export function writeChangeSet(w: World, name: string, objs: Obj[]): string {
  const d = join(w.dir, name);
  mkdirSync(d, { recursive: true });
  objs.forEach((o, i) => {
    writeFileSync(join(d, `${String(i).padStart(2, "0")}-${o.kind.toLowerCase()}.yaml`), stringify(o));
  });
  return d;
}
