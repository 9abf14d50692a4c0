/**
 * Workloads that fit: for every instance type of the catalog, the benchmark workloads with their
 * default variables fit the node as the repository's tuning leaves it (allocatable as the
 * simulated cluster's kubelet reports it for that type and profile) while the workshop's
 * low-latency VM of Module 3 runs there; a count that cannot fit is refused with what would.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { podDemand, podRequests, vmDemand } from "../../src/bench/fit.ts";
import { type FitFacts, fitProblems } from "../../src/bench/fit-check.ts";
import { jitterPod } from "../../src/bench/jitter-pod.ts";
import { findWorkload, renderWorkload, resolveVariables } from "../../src/bench/workloads.ts";
import type { KubeObject } from "../../src/cluster/kube.ts";
import { COMMANDS } from "../../src/commands/registry.ts";
import { workloadSizes } from "../../src/gitops/generate.ts";
import { parseCpuList } from "../../src/lib/cpuset.ts";
import { INSTANCE_TYPES } from "../../src/topology/catalog.ts";
import { ROOT } from "../helpers/tools.ts";
import { node, nodeResources } from "../sim/objects.ts";

const BENCH = join(ROOT, "benchmarks");
const TUNED = ["tuned-pod", "tuned-vm", "oslat", "cyclictest", "hwlatdetect"];
const UNTUNED = ["baseline-pod", "baseline-vm"];

function profileOf(type: string): KubeObject {
  return parse(readFileSync(join(ROOT, "gitops/overlays/aws/performance-profiles", `${type}.yaml`), "utf8"));
}

/** One tuned metal worker of `type` and one untuned one, as the simulated kubelet reports them. */
function cluster(type: string): FitFacts {
  const profile = profileOf(type);
  const reserved = parseCpuList(profile.spec.cpu.reserved).length;
  const hugepages = (profile.spec.hugepages?.pages ?? []).reduce(
    (s: number, p: { count: number }) => s + p.count,
    0,
  );
  const kvm = { "devices.kubevirt.io/kvm": "1k" };
  const tuned = node({
    name: "tuned-0",
    roles: ["worker", "worker-rt"],
    instanceType: type,
    resources: nodeResources(type, { reservedCpus: reserved, hugepages1Gi: hugepages }, kvm),
  });
  const untuned = node({
    name: "untuned-0",
    roles: ["worker"],
    instanceType: type,
    resources: nodeResources(type, undefined, kvm),
  });
  const rc = `performance-${profile.metadata.name}`;
  // The workshop's low-latency VM (Module 3) holds its CPUs and hugepages on the tuned node.
  const s = workloadSizes(INSTANCE_TYPES.find((t) => t.name === type)!);
  const vm = vmDemand({
    apiVersion: "kubevirt.io/v1",
    kind: "VirtualMachine",
    metadata: { name: "low-latency-vm" },
    spec: {
      template: {
        spec: {
          domain: {
            cpu: { cores: s.vmCores, dedicatedCpuPlacement: true, isolateEmulatorThread: true },
            memory: { guest: `${s.vmMemoryGiB}Gi`, hugepages: { pageSize: "1Gi" } },
          },
        },
      },
    },
  });
  const launcher = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "virt-launcher-low-latency-vm" },
    spec: {
      nodeName: "tuned-0",
      containers: [
        { name: "compute", resources: { requests: stringify(vm.requests), limits: stringify(vm.requests) } },
      ],
    },
    status: { phase: "Running" },
  };
  return {
    nodes: [tuned, untuned] as KubeObject[],
    pods: [launcher],
    runtimeClasses: [
      {
        apiVersion: "node.k8s.io/v1",
        kind: "RuntimeClass",
        metadata: { name: rc },
        scheduling: { nodeSelector: profile.spec.nodeSelector },
      } as KubeObject,
    ],
    profiles: [profile],
    vmRuntimeClass: rc,
  };
}

function stringify(r: Record<string, number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) if (k !== "pods") out[k] = k === "cpu" ? `${v}m` : String(v);
  return out;
}

async function problemsFor(name: string, facts: FitFacts, sets: Record<string, string> = {}) {
  const w = await findWorkload(name, ROOT, BENCH);
  const { objects } = await renderWorkload(w, resolveVariables(w, sets));
  return fitProblems(
    objects.map((o) => ({ object: o.object as KubeObject, count: o.count })),
    facts,
    { where: name, countHint: (n) => `--set ITERATIONS=${n}` },
  );
}

describe("workloads that fit", () => {
  it("KubeVirt's virt-launcher requests: dedicated vCPUs plus the emulator thread, hugepages of the guest's size, one /dev/kvm", () => {
    const d = vmDemand({
      apiVersion: "kubevirt.io/v1",
      kind: "VirtualMachine",
      metadata: { name: "v" },
      spec: {
        template: {
          spec: {
            domain: {
              cpu: { cores: 4, dedicatedCpuPlacement: true, isolateEmulatorThread: true },
              memory: { guest: "4Gi", hugepages: { pageSize: "1Gi" } },
            },
          },
        },
      },
    });
    assert.deepEqual(d.requests, {
      cpu: 5000,
      "devices.kubevirt.io/kvm": 1,
      pods: 1,
      "hugepages-1Gi": 4 * 2 ** 30,
    });
    assert.equal(d.exclusiveCpus, true);
    const shared = vmDemand({
      apiVersion: "kubevirt.io/v1",
      kind: "VirtualMachine",
      metadata: { name: "b" },
      spec: { template: { spec: { domain: { cpu: { cores: 2 }, memory: { guest: "2Gi" } } } } },
    });
    assert.equal(shared.requests.cpu, 200, "2 vCPUs / allocation ratio 10");
  });

  it("a pod's requests: limits stand in for missing requests; init containers count at their largest", () => {
    assert.deepEqual(
      podRequests({
        containers: [
          { resources: { limits: { cpu: "2", memory: "1Gi" } } },
          { resources: { requests: { cpu: "500m" } } },
        ],
        initContainers: [{ resources: { requests: { cpu: "4" } } }],
      }),
      { cpu: 4000, memory: 2 ** 30, pods: 1 },
    );
    assert.equal(
      podDemand({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p" },
        spec: { containers: [{ resources: { limits: { cpu: "2", memory: "1Gi" } } }] },
      }).exclusiveCpus,
      true,
    );
  });

  for (const t of INSTANCE_TYPES.map((x) => x.name)) {
    it(`${t}: every workload's defaults fit (tuned ones on the tuned node beside the low-latency VM, baseline ones on an untuned worker)`, async () => {
      const facts = cluster(t);
      const profile = String(profileOf(t).metadata.name);
      for (const name of TUNED) {
        const r = await problemsFor(name, facts, { PROFILE: profile });
        assert.deepEqual(r.problems, [], `${name} on ${t}`);
        assert.ok(
          r.plans.length > 0 && r.plans.every((p) => p.nodes.map((n) => n.node).join() === "tuned-0"),
          `${name} targets the tuned node`,
        );
      }
      for (const name of UNTUNED) {
        const r = await problemsFor(name, facts, { NODE_SELECTOR: "node-role.kubernetes.io/worker" });
        assert.deepEqual(r.problems, [], `${name} on ${t}`);
      }
    });
  }

  // `llw latency run` with its defaults (the registry's --cpus default, the profile's node selector
  // and runtime class), each tool, on the tuned node beside the low-latency VM.
  const latencyRun = COMMANDS.find((c) => c.path.join(" ") === "latency run")!;
  const defaultCpus = Number(latencyRun.options!.find((o) => o.flags.startsWith("--cpus "))!.default);
  for (const t of INSTANCE_TYPES.map((x) => x.name)) {
    it(`${t}: llw latency run's default jitter pod (${defaultCpus} CPUs) fits the tuned node's isolated CPUs, for each tool`, async () => {
      const facts = cluster(t);
      const profile = profileOf(t);
      const isolated = parseCpuList(String(profile.spec.cpu.isolated)).length;
      assert.ok(defaultCpus <= isolated, `${defaultCpus} CPUs of ${isolated} isolated`);
      for (const tool of ["oslat", "cyclictest", "hwlatdetect"]) {
        const w = await findWorkload(tool, ROOT, BENCH);
        const pod = await jitterPod(w, {
          tool,
          cpus: defaultCpus,
          seconds: 300,
          selectorKey: Object.keys(profile.spec.nodeSelector)[0]!,
          image:
            "quay.io/example/rt-tests@sha256:0000000000000000000000000000000000000000000000000000000000000000",
          profile: String(profile.metadata.name),
          name: `${tool}-run`,
          namespace: "llw-latency",
        });
        const r = fitProblems([{ object: pod, count: 1 }], facts, { where: "--cpus" });
        assert.deepEqual(r.problems, [], `${tool} on ${t}`);
        assert.equal(
          r.plans[0]!.nodes.map((n) => n.node).join(),
          "tuned-0",
          `${tool} targets the tuned node`,
        );
      }
    });
  }

  it("50 tuned pods of 2 CPUs (the old default) on a c5.metal: refused, with the count that fits", async () => {
    const facts = cluster("c5.metal");
    const r = await problemsFor("tuned-pod", facts, {
      PROFILE: "workshop-c5-metal",
      ITERATIONS: "50",
      CPU: "2",
    });
    assert.equal(r.problems.length, 1);
    const p = r.problems[0]!;
    const fits = r.plans[0]!.capacity;
    assert.ok(fits < 50 && fits * 2 <= 92, `capacity ${fits}`);
    assert.match(p.what, /50 x Pod tuned-pod-0-1 \(2 CPUs, .* each, exclusive CPUs\) need 100 CPUs/);
    assert.match(p.what, new RegExp(`room for ${fits}: tuned-0: room for ${fits} \\(\\d+ CPUs free\\)`));
    assert.equal(p.next?.startsWith(`--set ITERATIONS=${fits} would fit`), true, String(p.next));
    const again = await problemsFor("tuned-pod", facts, {
      PROFILE: "workshop-c5-metal",
      ITERATIONS: String(fits),
      CPU: "2",
    });
    assert.deepEqual(again.problems, [], "the suggested count fits");
  });

  it("a runtime class that does not exist (another type's profile) is refused with the cluster's profile", async () => {
    const r = await problemsFor("tuned-pod", cluster("m5zn.metal"), { PROFILE: "workshop-c5-metal" });
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.what, /runtime class performance-workshop-c5-metal does not exist/);
    assert.match(r.problems[0]!.next!, /--set PROFILE=workshop-m5zn-metal/);
  });

  it("no node with the selected label: refused, saying how to label the metal worker", async () => {
    const r = await problemsFor("baseline-pod", cluster("c5.metal"), {
      NODE_SELECTOR: "node-role.kubernetes.io/nowhere",
    });
    assert.match(
      r.problems[0]!.what,
      /no node can run .* none matches its node selector \(node-role\.kubernetes\.io\/nowhere\)/,
    );
  });

  it("a cordoned node holds nothing", async () => {
    const facts = cluster("c5.metal");
    facts.nodes[0]!.spec = { ...facts.nodes[0]!.spec, unschedulable: true };
    const r = await problemsFor("tuned-pod", facts, { PROFILE: "workshop-c5-metal" });
    assert.match(r.problems[0]!.what, /tuned-0: cordoned/);
  });
});
