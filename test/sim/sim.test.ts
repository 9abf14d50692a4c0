import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { type ApiException, KubeConfig, KubernetesObjectApi, PatchStrategy } from "@kubernetes/client-node";
import { Kube, type KubeObject } from "../../src/cluster/kube.ts";
import { poolDone } from "../../src/cluster/tune-plan.ts";
import type { EnvironmentError } from "../../src/lib/errors.ts";
import { requireTool, toolPath } from "../helpers/tools.ts";
import { conditionOf } from "./context.ts";
import { type Sim, start } from "./index.ts";

const run = promisify(execFile);
const MC = "machineconfiguration.openshift.io/v1";
const PP = "performance.openshift.io/v2";

/** The real kubectl, run asynchronously: the simulator serves from this same process. */
async function kubectl(sim: Sim, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run("kubectl", args, {
      encoding: "utf8",
      env: { ...process.env, PATH: toolPath(), KUBECONFIG: sim.kubeconfig },
    });
    return { code: 0, out: r.stdout };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: `${x.stdout}${x.stderr}` };
  }
}

function objectApi(sim: Sim): KubernetesObjectApi {
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfig);
  return KubernetesObjectApi.makeApiClient(kc);
}

describe("simulated OpenShift (test/sim): the ServiceAccount race", () => {
  it("at a real cluster's pace (speed 1), a pod created right after its namespace is refused with 403 'serviceaccount default not found'; a moment later it is accepted", async () => {
    const sim = await start("untuned-c5-metal", { speed: 1 });
    const kube = Kube.connect({ kubeconfig: sim.kubeconfig }, {});
    try {
      await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "sa-race" } });
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p", namespace: "sa-race" },
        spec: { containers: [{ name: "c", image: "ubi9" }] },
      };
      await assert.rejects(kube.create(pod), (e: EnvironmentError) => {
        assert.match(
          e.message,
          /error looking up service account sa-race\/default: serviceaccount "default" not found/,
        );
        // llw says what it is (a namespace just created), not to become cluster-admin.
        assert.doesNotMatch(e.problems[0]?.next ?? "", /cluster-admin/);
        assert.match(
          e.problems[0]?.next ?? "",
          /creates a namespace's default ServiceAccount a moment after the namespace/,
        );
        return true;
      });
      await sim.until(
        () => Boolean(sim.api.get("v1", "ServiceAccount", "default", "sa-race")),
        60_000,
        "default SA",
      );
      await kube.create(pod);
    } finally {
      await sim.stop();
    }
  });
});

describe("simulated OpenShift (test/sim): the API machinery and controllers fail as a real cluster does", () => {
  let sim: Sim;
  let kube: Kube;
  before(async () => {
    sim = await start("untuned-c5-metal", { speed: 200 });
    kube = Kube.connect({ kubeconfig: sim.kubeconfig }, {});
  });
  after(() => sim.stop());

  it("the real kubectl gets a 404 NotFound Status for a kind the cluster does not serve", async (t) => {
    if (!requireTool(t, "kubectl", "npm run tools")) return;
    const r = await kubectl(sim, "get", "--raw", "/apis/example.com/v1/widgets");
    assert.equal(r.code, 1);
    assert.match(r.out, /Error from server \(NotFound\): the server could not find the requested resource/);
    const get = await kubectl(sim, "get", "widgets.example.com");
    assert.notEqual(get.code, 0);
    assert.match(get.out, /doesn't have a resource type "widgets"/);
  });

  it("a pod asking for more CPUs than any node has stays Pending with FailedScheduling and the scheduler's message", async () => {
    await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "big" } });
    await sim.until(() => Boolean(sim.api.get("v1", "ServiceAccount", "default", "big")), 60_000);
    await kube.create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "big", namespace: "big" },
      spec: {
        containers: [
          { name: "c", image: "ubi9", resources: { requests: { cpu: "200" }, limits: { cpu: "200" } } },
        ],
      },
    });
    await sim.until(
      () => sim.api.list("v1", "Event", "big").some((e) => e.reason === "FailedScheduling"),
      60_000,
      "FailedScheduling",
    );
    const pod = sim.api.get("v1", "Pod", "big", "big")!;
    assert.equal(pod.status.phase, "Pending");
    const c = pod.status.conditions.find((x: { type: string }) => x.type === "PodScheduled");
    assert.equal(c.reason, "Unschedulable");
    assert.equal(
      c.message,
      "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/master: }. preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.",
    );
  });

  it("a replace with a stale resourceVersion gets 409 Conflict (the real client's replace)", async () => {
    const client = objectApi(sim);
    const cm = await client.create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "rv", namespace: "default" },
      data: { a: "1" },
    });
    await client.replace({ ...cm, data: { a: "2" } });
    await assert.rejects(client.replace({ ...cm, data: { a: "3" } }), (e: ApiException<unknown>) => {
      assert.equal(e.code, 409);
      assert.match(
        String(e.body),
        /the object has been modified; please apply your changes to the latest version and try again/,
      );
      return true;
    });
    assert.equal(sim.api.get("v1", "ConfigMap", "rv", "default")!.data.a, "2");
  });

  it("a PerformanceProfile is rendered in two steps (MachineConfig, then the KubeletConfig's), each only after the render delay", async () => {
    const before = sim.api.get(MC, "MachineConfigPool", "worker")!.spec.configuration.name;
    const t0 = sim.api.now();
    await kube.apply({
      apiVersion: PP,
      kind: "PerformanceProfile",
      metadata: { name: "p" },
      spec: {
        cpu: { reserved: "0,48", isolated: "1-47,49-95" },
        nodeSelector: { "node-role.kubernetes.io/worker": "" },
      },
    });
    assert.equal(
      sim.api.get(MC, "MachineConfigPool", "worker")!.spec.configuration.name,
      before,
      "not rendered inside the write",
    );
    await sim.until(() => sim.stats.renders >= 2, 120_000, "two renders");
    const renders = sim.stats.log.filter((l) => l.startsWith("render "));
    assert.equal(renders.length, 2, sim.stats.log.join("\n"));
    assert.ok(
      sim.api.now() - t0 >= sim.timing.nto + sim.timing.render,
      "the first render came after NTO and the render delay",
    );
    assert.ok(sim.api.get(MC, "MachineConfig", "50-performance-p"));
    assert.ok(sim.api.get(MC, "MachineConfig", "99-worker-generated-kubelet"));
  });

  it("a pool is done for llw (poolDone) once settled, and not while its nodes still roll", async () => {
    const worker = () => sim.api.get(MC, "MachineConfigPool", "worker")!;
    await sim.until(
      () => poolDone(worker() as KubeObject) && sim.api.pendingTimers() === 0,
      3_600_000,
      "the profile's rollout ends",
    );
    const reboots = sim.stats.reboots;
    await kube.apply({
      apiVersion: MC,
      kind: "MachineConfig",
      metadata: { name: "99-worker-chrony", labels: { "machineconfiguration.openshift.io/role": "worker" } },
      spec: {
        config: {
          ignition: { version: "3.4.0" },
          storage: { files: [{ path: "/etc/chrony.conf", contents: { source: "data:,pool%20x" } }] },
        },
      },
    });
    await sim.until(() => conditionOf(worker(), "Updating")?.status === "True", 600_000, "rollout starts");
    assert.equal(poolDone(worker() as KubeObject), false, "rolling: not done");
    await sim.until(() => conditionOf(worker(), "Updated")?.status === "True", 3_600_000, "rollout ends");
    const p = worker();
    assert.equal(poolDone(p as KubeObject), true);
    assert.equal(p.status.configuration.name, p.spec.configuration.name);
    assert.equal(p.status.updatedMachineCount, 2);
    assert.equal(sim.stats.reboots - reboots, 2, sim.stats.log.join("\n"));
  });

  it("a status-only write to a MachineConfigPool or a PerformanceProfile renders nothing", async () => {
    const n = sim.stats.renders;
    sim.api.update(PP, "PerformanceProfile", "p", undefined, { status: { conditions: [] } });
    sim.api.update(MC, "MachineConfigPool", "worker", undefined, { status: { observedGeneration: 99 } });
    await new Promise((r) =>
      setTimeout(r, ((sim.timing.nto + sim.timing.kubeletConfig + sim.timing.render) * 2) / sim.api.speed),
    );
    assert.equal(sim.stats.renders, n);
  });

  it("server-side apply: a field another manager applied is a 409 conflict unless forced", async () => {
    const client = objectApi(sim);
    const cm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "ssa", namespace: "default" },
      data: { k: "first" },
    };
    const ssa = (manager: string, data: Record<string, string>, force = false) =>
      client.patch({ ...cm, data }, undefined, undefined, manager, force, PatchStrategy.ServerSideApply);
    await ssa("one", { k: "first" });
    await assert.rejects(ssa("two", { k: "second" }), (e: ApiException<unknown>) => {
      assert.equal(e.code, 409);
      assert.equal(
        JSON.parse(String(e.body)).message,
        'Apply failed with 1 conflict: conflict with "one": .data.k',
      );
      return true;
    });
    await ssa("two", { k: "second" }, true);
    assert.equal(sim.api.get("v1", "ConfigMap", "ssa", "default")!.data.k, "second");
  });
});

describe("simulated OpenShift (test/sim): deletion and the Machine API, as the journey meets them", () => {
  let sim: Sim;
  let kube: Kube;
  before(async () => {
    sim = await start("fresh-no-metal", { speed: 200 });
    kube = Kube.connect({ kubeconfig: sim.kubeconfig }, {});
  });
  after(() => sim.stop());

  it("a deleted namespace is Terminating and refuses new content (403) while an object with a finalizer holds it; once the finalizer is removed, object and namespace are gone", async () => {
    await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "going" } });
    await sim.until(() => Boolean(sim.api.get("v1", "ServiceAccount", "default", "going")), 60_000, "SA");
    const cm = (name: string, finalizers?: string[]) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: "going", ...(finalizers ? { finalizers } : {}) },
      data: { k: "v" },
    });
    await kube.create(cm("held", ["example.com/hold"]));
    await kube.delete("v1", "Namespace", "going");
    assert.equal(sim.api.get("v1", "Namespace", "going")?.status?.phase, "Terminating");
    await assert.rejects(kube.create(cm("after")), (e: EnvironmentError) => {
      assert.match(
        e.message,
        /unable to create new content in namespace going because it is being terminated/,
      );
      return true;
    });
    await sim.until(
      () => Boolean(sim.api.get("v1", "ConfigMap", "held", "going")?.metadata.deletionTimestamp),
      60_000,
      "the namespace controller deletes its content",
    );
    await new Promise((r) => setTimeout(r, (5 * sim.timing.gc) / sim.api.speed));
    assert.ok(sim.api.get("v1", "Namespace", "going"), "held by the ConfigMap's finalizer");
    await kube.mergePatch("v1", "ConfigMap", "held", { metadata: { finalizers: null } }, "going");
    await sim.until(() => !sim.api.get("v1", "Namespace", "going"), 60_000, "namespace gone");
    assert.equal(sim.api.get("v1", "ConfigMap", "held", "going"), undefined);
  });

  it("a MachineSet's Machine is provisioned, its node joins the worker pool and becomes Ready (readyReplicas 1); deleting the MachineSet removes Machine and node", async (t) => {
    if (!requireTool(t, "kubectl", "npm run tools")) return;
    const MAPI = "machine.openshift.io/v1beta1";
    const [worker] = sim.api.list(MAPI, "MachineSet", "openshift-machine-api");
    const ms = structuredClone(worker!);
    const name = `${ms.metadata.name}-metal`;
    ms.metadata = { name, namespace: "openshift-machine-api", labels: ms.metadata.labels };
    ms.spec.selector.matchLabels["machine.openshift.io/cluster-api-machineset"] = name;
    ms.spec.template.metadata.labels["machine.openshift.io/cluster-api-machineset"] = name;
    ms.spec.template.spec.providerSpec.value.instanceType = "c5.metal";
    delete ms.status;
    await kube.create(ms as KubeObject);
    const machine = () =>
      sim.api
        .list(MAPI, "Machine", "openshift-machine-api")
        .find((m) => m.metadata.labels["machine.openshift.io/cluster-api-machineset"] === name);
    await sim.until(() => machine()?.status?.phase === "Provisioned", 120_000, "provisioned");
    assert.equal(machine()!.status.nodeRef, undefined, "no node before the instance has booted");
    // The real kubectl waits for the MachineSet's readyReplicas, as the guide does.
    const w = await kubectl(
      sim,
      "wait",
      "-n",
      "openshift-machine-api",
      `machineset/${name}`,
      "--for=jsonpath={.status.readyReplicas}=1",
      "--timeout=60s",
    );
    assert.equal(w.code, 0, w.out);
    const node = sim.api.get("v1", "Node", machine()!.status.nodeRef.name)!;
    assert.equal(node.metadata.labels["node.kubernetes.io/instance-type"], "c5.metal");
    assert.equal(
      node.metadata.annotations["machine.openshift.io/machine"],
      `openshift-machine-api/${machine()!.metadata.name}`,
    );
    await kube.delete(MAPI, "MachineSet", name, "openshift-machine-api");
    await sim.until(
      () => !machine() && !sim.api.get("v1", "Node", node.metadata.name),
      120_000,
      "machine and node gone",
    );
  });
});

describe("simulated OpenShift (test/sim): SelfSubjectAccessReview answers in the terms of what the cluster forbids", () => {
  it("the real kubectl: auth can-i '*' '*' --all-namespaces is yes for kube:admin; after forbidding list nodes, that and the wildcard are no (exit 1), get pods is still yes", async (t) => {
    if (!requireTool(t, "kubectl", "npm run tools")) return;
    const sim = await start("untuned-c5-metal", { speed: 200 });
    try {
      const all = await kubectl(sim, "auth", "can-i", "*", "*", "--all-namespaces");
      assert.deepEqual(all, { code: 0, out: "yes\n" });
      sim.api.forbid({ verb: "list", resource: "nodes" });
      // kubectl also warns that nodes are not namespaced: the kubeconfig's context names one.
      const nodes = await kubectl(sim, "auth", "can-i", "list", "nodes");
      assert.equal(nodes.code, 1);
      assert.match(nodes.out, /^no\n/);
      assert.deepEqual(await kubectl(sim, "auth", "can-i", "*", "*", "--all-namespaces"), {
        code: 1,
        out: "no\n",
      });
      assert.deepEqual(await kubectl(sim, "auth", "can-i", "get", "pods", "-n", "default"), {
        code: 0,
        out: "yes\n",
      });
      // Nothing is stored: a review is an answer, not an object.
      const list = await kubectl(
        sim,
        "get",
        "--raw",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      );
      assert.doesNotMatch(list.out, /SelfSubjectAccessReview"/);
    } finally {
      await sim.stop();
    }
  });
});
