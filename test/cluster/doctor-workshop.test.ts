/**
 * `llw doctor`'s checks of what the workshop deploys, against the simulated OpenShift cluster
 * (test/sim: the real HTTP protocol, controllers that converge asynchronously) and, for the data
 * network, the EC2 emulator (moto_server). Each check is run to a PASS and to a FAIL.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { main } from "../../src/cli.ts";
import { CHECKS } from "../../src/cluster/doctor/checks.ts";
import { bufferContext } from "../../src/lib/context.ts";
import {
  awsContext,
  createSubnet,
  createVpc,
  runWorker,
  useMotoCredentials,
} from "../aws/emulated-cluster.ts";
import { MOTO_REGION, useMoto } from "../helpers/moto.ts";
import { toolPath } from "../helpers/tools.ts";
import type { Obj } from "../sim/apiserver.ts";
import { defaultWorkers } from "../sim/cluster.ts";
import { argoInstance } from "../sim/fixtures.ts";
import { type Sim, start } from "../sim/index.ts";
import { KUBEVIRT_MIGRATION } from "../sim/resources.ts";
import { pinnedVm, tune } from "../sim/scenarios.ts";

const DAY = new Date("2026-12-01T12:00:00Z");
const KV = "kubevirt.io/v1";
const HCO = "hco.kubevirt.io/v1beta1";
const NS = "low-latency-workshop";

interface Result {
  id: string;
  status: string;
  evidence: string;
  fix?: string;
}

async function doctor(
  sim: Sim,
  ...args: string[]
): Promise<{ code: number; results: Result[]; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), "llw-doctor-"));
  const ctx = bufferContext({
    cwd: dir,
    env: { PATH: toolPath(), HOME: dir, KUBECONFIG: sim.kubeconfig, ...AWS_ENV },
    now: () => DAY,
  });
  const code = await main(["doctor", "--no-node-access", "-o", "json", ...args], ctx);
  const out = ctx.out();
  return { code, results: out ? (JSON.parse(out) as { results: Result[] }).results : [], err: ctx.err() };
}
const AWS_ENV: Record<string, string> = {};
const check = (r: { results: Result[] }, id: string) => r.results.find((x) => x.id === id)!;

/**
 * The drain-blocked-by-vm scenario's state: one c5.metal worker tuned in worker-rt, running a
 * low-latency VM with no evictionStrategy of its own. Built step by step on untuned-c5-metal so
 * that KubeVirt's migration API is served before the VM runs.
 */
async function drainBlockedByVm(): Promise<Sim> {
  const sim = await start("untuned-c5-metal", { speed: 200 });
  sim.api.addResources([KUBEVIRT_MIGRATION]);
  sim.api.update(HCO, "HyperConverged", "kubevirt-hyperconverged", "openshift-cnv", {
    spec: { defaultRuntimeClass: "performance-workshop-c5-metal" },
  });
  tune(sim, "c5.metal", [defaultWorkers()[0]!.name]);
  if (!sim.api.get("v1", "Namespace", NS))
    sim.api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  sim.api.seed(pinnedVm());
  try {
    await running(sim, "low-latency-vm");
  } catch (e) {
    await sim.stop();
    throw e;
  }
  return sim;
}

async function running(sim: Sim, name: string): Promise<void> {
  await sim.until(
    () => sim.api.get(KV, "VirtualMachineInstance", name, NS)?.status?.phase === "Running",
    10 * 60_000,
    `VMI ${name} Running`,
  );
}

describe("llw doctor --list-checks", () => {
  it("lists at least 17 checks, the new ones with what they prove", async () => {
    const ctx = bufferContext({ now: () => DAY });
    assert.equal(await main(["doctor", "--list-checks"], ctx), 0);
    const lines = ctx.out().trim().split("\n");
    assert.equal(lines.length, CHECKS.length);
    assert.ok(lines.length >= 17, `${lines.length} checks`);
    for (const id of ["hco-runtime-class", "vm-drain", "vm-images", "argocd-instance", "data-network"])
      assert.ok(
        lines.some((l) => l.startsWith(`${id}: `)),
        id,
      );
  });
});

describe("simulated cluster (test/sim): llw doctor on the VMs", () => {
  it("drain-blocked-by-vm: the pinned VM taking HCO's default LiveMigrate FAILs vm-drain; HyperConverged evictionStrategy None makes it PASS; the VM's own LiveMigrate FAILs again", async () => {
    const sim = await drainBlockedByVm();
    try {
      const node = sim.api.get(KV, "VirtualMachineInstance", "low-latency-vm", NS)!.status.nodeName;
      const r = await doctor(sim, "--no-aws");
      assert.equal(r.code, 1);
      const d = check(r, "vm-drain");
      assert.equal(d.status, "FAIL", d.evidence);
      assert.match(
        d.evidence,
        new RegExp(
          `VMI ${NS}/low-latency-vm on ${node.replaceAll(".", "\\.")}: evictionStrategy LiveMigrate \\(HCO's default with 2 worker\\(s\\)\\), and no other node of PerformanceProfile workshop-c5-metal to migrate to`,
        ),
      );
      assert.match(d.fix!, /evictionStrategy: None/);

      sim.api.update(HCO, "HyperConverged", "kubevirt-hyperconverged", "openshift-cnv", {
        spec: { evictionStrategy: "None" },
      });
      const ok = await doctor(sim, "--no-aws");
      assert.equal(check(ok, "vm-drain").status, "PASS", check(ok, "vm-drain").evidence);
      assert.match(
        check(ok, "vm-drain").evidence,
        /1 VM\(s\) on tuned nodes, all with evictionStrategy None/,
      );

      const vmi = sim.api.get(KV, "VirtualMachineInstance", "low-latency-vm", NS)!;
      sim.api.update(KV, "VirtualMachineInstance", vmi.metadata.name, NS, {
        spec: { evictionStrategy: "LiveMigrate" },
      });
      const own = await doctor(sim, "--no-aws");
      assert.equal(check(own, "vm-drain").status, "FAIL");
      assert.match(check(own, "vm-drain").evidence, /evictionStrategy LiveMigrate \(its own\)/);
    } finally {
      await sim.stop();
    }
  });

  it("vm-images: the scenario's fedora:42 VM FAILs on 2026-12-01 (ended 2026-05-27); CentOS Stream 10 PASSes", async () => {
    const sim = await drainBlockedByVm();
    try {
      const r = await doctor(sim, "--no-aws");
      const i = check(r, "vm-images");
      assert.equal(i.status, "FAIL", i.evidence);
      assert.match(
        i.evidence,
        /quay\.io\/containerdisks\/fedora:42: Fedora Linux 42 reached its end of life on 2026-05-27 \(checked on 2026-12-01\)/,
      );
      assert.match(i.evidence, /VM low-latency-workshop\/low-latency-vm/);
      for (const kind of ["VirtualMachine", "VirtualMachineInstance"]) {
        const o = sim.api.get(KV, kind, "low-latency-vm", NS)!;
        const spec = kind === "VirtualMachine" ? o.spec.template.spec : o.spec;
        const volumes = spec.volumes.map((v: Obj) =>
          v.containerDisk ? { ...v, containerDisk: { image: "quay.io/containerdisks/centos-stream:10" } } : v,
        );
        sim.api.update(
          KV,
          kind,
          "low-latency-vm",
          NS,
          kind === "VirtualMachine" ? { spec: { template: { spec: { volumes } } } } : { spec: { volumes } },
        );
      }
      const ok = check(await doctor(sim, "--no-aws"), "vm-images");
      assert.equal(ok.status, "PASS", ok.evidence);
      assert.match(ok.evidence, /centos-stream:10 \(supported until 2030-05-31\)/);
    } finally {
      await sim.stop();
    }
  });

  it("hco-runtime-class: tuned-c5-metal PASSes (NTO created the class); a HyperConverged naming m5zn.metal's class FAILs", async () => {
    const sim = await start("tuned-c5-metal", { speed: 200 });
    try {
      const r = check(await doctor(sim, "--no-aws"), "hco-runtime-class");
      assert.equal(r.status, "PASS", r.evidence);
      assert.match(
        r.evidence,
        /defaultRuntimeClass performance-workshop-c5-metal exists \(PerformanceProfile workshop-c5-metal\)/,
      );
      sim.api.update(HCO, "HyperConverged", "kubevirt-hyperconverged", "openshift-cnv", {
        spec: { defaultRuntimeClass: "performance-workshop-m5zn-metal" },
      });
      const bad = await doctor(sim, "--no-aws");
      const h = check(bad, "hco-runtime-class");
      assert.equal(h.status, "FAIL");
      assert.match(
        h.evidence,
        /performance-workshop-m5zn-metal does not exist: every VM's virt-launcher pod is rejected \(existing: performance-workshop-c5-metal\)/,
      );
      assert.match(h.fix!, /apply PerformanceProfile workshop-m5zn-metal/);
      assert.equal(bad.code, 1);
    } finally {
      await sim.stop();
    }
  });

  it("hco-runtime-class: an untuned cluster with no default runtime class is SKIPped, not failed", async () => {
    const sim = await start("untuned-c5-metal", { speed: 200 });
    try {
      const r = check(await doctor(sim, "--no-aws"), "hco-runtime-class");
      assert.equal(r.status, "SKIP");
      assert.match(r.evidence, /no defaultRuntimeClass and no PerformanceProfile yet/);
    } finally {
      await sim.stop();
    }
  });
});

describe("simulated cluster (test/sim): llw doctor on the Argo CD instance", () => {
  let sim: Sim;
  before(async () => {
    sim = await start("untuned-c5-metal", { speed: 200 });
    if (!sim.api.get("v1", "Namespace", "openshift-gitops"))
      sim.api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "openshift-gitops" } });
  });
  after(() => sim.stop());

  it("the operator's own instance and route without the workshop's binding FAIL naming the binding; no instance at all FAILs; instance, route and binding PASS", async () => {
    const unbound = check(await doctor(sim, "--no-aws"), "argocd-instance");
    assert.equal(unbound.status, "FAIL");
    assert.equal(
      unbound.evidence,
      "ServiceAccount openshift-gitops/openshift-gitops-argocd-application-controller has no cluster-admin binding: it cannot apply the tuning",
    );
    sim.api.remove("argoproj.io/v1beta1", "ArgoCD", "openshift-gitops", "openshift-gitops");
    const none = check(await doctor(sim, "--no-aws"), "argocd-instance");
    assert.equal(none.status, "FAIL");
    assert.match(none.evidence, /no ArgoCD openshift-gitops\/openshift-gitops/);
    argoInstance(sim);
    const ok = check(await doctor(sim, "--no-aws"), "argocd-instance");
    assert.equal(ok.status, "PASS", ok.evidence);
    assert.match(ok.evidence, /route openshift-gitops-server-openshift-gitops\.apps\.lab\.example\.com/);
  });

  it("an instance created before the operator made its own (only health checks): no route, no login, no RBAC, and without the binding the controller cannot apply the tuning: FAIL naming each", async () => {
    sim.api.update("argoproj.io/v1beta1", "ArgoCD", "openshift-gitops", "openshift-gitops", {
      spec: {
        server: null,
        sso: null,
        rbac: null,
        resourceHealthChecks: [{ group: "argoproj.io", kind: "Application" }],
      },
    });
    sim.api.remove("route.openshift.io/v1", "Route", "openshift-gitops-server", "openshift-gitops");
    sim.api.remove(
      "rbac.authorization.k8s.io/v1",
      "ClusterRoleBinding",
      "openshift-gitops-argocd-application-controller-cluster-admin",
    );
    const r = check(await doctor(sim, "--no-aws"), "argocd-instance");
    assert.equal(r.status, "FAIL");
    for (const what of [
      /spec\.server\.route\.enabled is not true/,
      /no Route openshift-gitops\/openshift-gitops-server/,
      /no OpenShift login/,
      /RBAC does not give cluster-admins role:admin/,
      /has no cluster-admin binding: it cannot apply the tuning/,
    ])
      assert.match(r.evidence, what);
  });
});

describe("simulated cluster (test/sim) and the EC2 emulator (moto_server): llw doctor on the data network", () => {
  const moto = useMoto();
  useMotoCredentials();
  /** `llw aws network up` of one data ENI per metal worker, attached by llw (moto performs no attachment resource). */
  const networkUp = (infra: string, ctx: ReturnType<typeof awsContext>) => {
    const args = ["--infra-id", infra, "--interfaces", "1", "--attach-with", "ec2", "-o", "json"];
    return main(["aws", "network", "up", ...args], ctx);
  };

  /** Two c5.metal workers in EC2 tagged for the simulated cluster, and the sim's nodes pointing at them. */
  async function cluster(sim: Sim, ec2: EC2Client, infra: string): Promise<string[]> {
    const subnet = await createSubnet(ec2, await createVpc(ec2), "10.0.0.0/19", `${MOTO_REGION}a`);
    const workers = sim.api
      .list("v1", "Node")
      .filter((n) => "node-role.kubernetes.io/worker" in (n.metadata.labels ?? {}));
    const ids: string[] = [];
    for (const n of workers) {
      const i = await runWorker(ec2, {
        infra,
        subnetId: subnet.SubnetId!,
        name: `${infra}-worker-rt-${n.metadata.name}`,
      });
      sim.api.update("v1", "Node", n.metadata.name, undefined, {
        spec: { providerID: `aws:///${MOTO_REGION}a/${i.InstanceId}` },
      });
      ids.push(i.InstanceId!);
    }
    return ids;
  }

  it("no stack is SKIP; after llw aws network up every ENI is attached to a metal worker: PASS; an ENI detached, or a worker that left the cluster: FAIL; --no-aws: SKIP", async (t) => {
    const m = moto(t);
    if (!m) return;
    await m.reset();
    const sim = await start("untuned-c5-metal", { speed: 200 });
    try {
      const infra = sim.api.get("config.openshift.io/v1", "Infrastructure", "cluster")!.status
        .infrastructureName as string;
      Object.assign(AWS_ENV, { AWS_ENDPOINT_URL: m.endpoint, AWS_REGION: MOTO_REGION });
      const ec2 = m.ec2();
      const ids = await cluster(sim, ec2, infra);
      const aws = ["--region", MOTO_REGION];

      const none = check(await doctor(sim, ...aws), "data-network");
      assert.equal(none.status, "SKIP", none.evidence);
      assert.match(none.evidence, new RegExp(`no data network stack ${infra}-llw-data-network`));

      const up = awsContext(m.endpoint);
      assert.equal(await networkUp(infra, up), 0, up.err());
      const ok = check(await doctor(sim, ...aws), "data-network");
      assert.equal(ok.status, "PASS", ok.evidence);
      for (const id of ids) assert.match(ok.evidence, new RegExp(`-> [^ ]+ \\(${id}\\) device 1`));

      // The data ENI (device index 1) of the first worker, picked here from its attachments.
      const eni = (
        await ec2.send(
          new DescribeNetworkInterfacesCommand({
            Filters: [{ Name: "attachment.instance-id", Values: [ids[0]!] }],
          }),
        )
      ).NetworkInterfaces!.find((n) => n.Attachment?.DeviceIndex === 1)!;
      await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: eni.Attachment!.AttachmentId! }));
      const detached = await doctor(sim, ...aws);
      const d = check(detached, "data-network");
      assert.equal(d.status, "FAIL", d.evidence);
      assert.match(d.evidence, new RegExp(`${eni.NetworkInterfaceId}: detached .*wanted on ${ids[0]} at 1`));
      assert.equal(detached.code, 1);

      // Re-attached by llw, but the second worker's node is replaced by one on another instance.
      assert.equal(await networkUp(infra, awsContext(m.endpoint)), 0);
      const other = sim.api.list("v1", "Node").find((n) => n.spec.providerID?.endsWith(ids[1]!))!;
      sim.api.update("v1", "Node", other.metadata.name, undefined, {
        spec: { providerID: `aws:///${MOTO_REGION}a/i-0123456789abcdef0` },
      });
      const gone = check(await doctor(sim, ...aws), "data-network");
      assert.equal(gone.status, "FAIL", gone.evidence);
      assert.match(
        gone.evidence,
        new RegExp(`attached to ${ids[1]}, which is not a worker node of this cluster`),
      );

      const skipped = check(await doctor(sim, "--no-aws"), "data-network");
      assert.equal(skipped.status, "SKIP");
      assert.match(skipped.evidence, /--no-aws/);
    } finally {
      for (const k of Object.keys(AWS_ENV)) delete AWS_ENV[k];
      await sim.stop();
    }
  });
});
