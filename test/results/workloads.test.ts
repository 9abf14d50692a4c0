import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parse } from "yaml";
import { renderTemplate, templateVariables } from "../../src/bench/template.ts";
import {
  findWorkload,
  listWorkloads,
  readVariables,
  renderWorkload,
  resolveVariables,
} from "../../src/bench/workloads.ts";
import { ROOT } from "../helpers/tools.ts";
import { upstreamValidator } from "./k8s-schemas.ts";

const BENCH = join(ROOT, "benchmarks");
const validate = await upstreamValidator();

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are navigated freely in assertions
type Obj = Record<string, any>;

const STARTUP = ["baseline-pod", "tuned-pod", "baseline-vm", "tuned-vm"];

describe("benchmarks/ workloads (rendered and checked against the real Kubernetes and KubeVirt schemas)", async () => {
  const names = await listWorkloads(BENCH);

  it("has the pod, VM and jitter workloads, each with its variables declared", async () => {
    assert.deepEqual(names, [
      "baseline-pod",
      "baseline-vm",
      "cyclictest",
      "hwlatdetect",
      "oslat",
      "tuned-pod",
      "tuned-vm",
    ]);
    const vars = await readVariables(BENCH);
    for (const n of names) {
      const w = await findWorkload(n, ROOT, BENCH);
      const used = templateVariables(readFileSync(w.config, "utf8")).filter((v) => v !== "UUID");
      for (const u of used)
        assert.ok(u in w.variables, `${n}: ${u} is used but not declared in variables.yml`);
      assert.ok(vars.workloads[n], `${n} has no entry in variables.yml`);
    }
  });

  for (const name of [
    "baseline-pod",
    "tuned-pod",
    "baseline-vm",
    "tuned-vm",
    "oslat",
    "cyclictest",
    "hwlatdetect",
  ]) {
    it(`${name}: config parses as a kube-burner v2 config and every object validates`, async () => {
      const w = await findWorkload(name, ROOT, BENCH);
      for (const sets of [
        {} as Record<string, string>,
        {
          HUGEPAGES_GI: "2",
          ITERATIONS: "3",
          PROFILE: "workshop-m6i-metal",
          NODE_SELECTOR: "node-role.kubernetes.io/worker-rt",
        },
      ]) {
        const { config, objects } = await renderWorkload(w, resolveVariables(w, sets), {
          iteration: 2,
          replica: 1,
          uuid: "u-1",
        });
        const c = config as Obj;
        assert.ok(Array.isArray(c.jobs) && c.jobs.length > 0);
        assert.equal(c.metricsEndpoints[0].indexer.type, "local");
        assert.equal(c.metricsEndpoints[0].indexer.metricsDirectory, "collected-metrics");
        for (const job of c.jobs) {
          assert.equal(typeof job.qps, "number", "explicit qps");
          assert.equal(typeof job.burst, "number", "explicit burst");
          assert.equal(typeof job.jobIterations, "number");
        }
        const m = c.global.measurements[0];
        assert.ok(["podLatency", "vmiLatency"].includes(m.name));
        for (const t of m.thresholds ?? []) assert.equal(t.metric, "P99");
        // Start-up workloads gate on P99 start-up latency; a jitter workload's pass mark is the
        // tool's maximum (MAXIMUM_LATENCY, us), checked on its output, as the README says.
        if (STARTUP.includes(name)) assert.ok((m.thresholds ?? []).length > 0, `${name}: P99 threshold`);
        else {
          assert.equal(m.thresholds, undefined, `${name}: jitter workloads have no start-up threshold`);
          assert.ok("MAXIMUM_LATENCY" in w.variables, `${name}: MAXIMUM_LATENCY declared`);
        }
        assert.ok(objects.length > 0);
        for (const o of objects) {
          const errs = await validate(o.object);
          assert.deepEqual(errs, [], `${o.template}: ${errs.join("; ")}`);
          assert.match(
            (o.object as Obj).metadata.name,
            /-2-1$/,
            "names are <obj>-{{.Iteration}}-{{.Replica}}",
          );
        }
      }
    });
  }

  it("the README says which workloads have P99 thresholds and which pass mark the jitter ones use", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    assert.doesNotMatch(readme, /Every workload has P99 thresholds/, "the jitter workloads have none");
    assert.match(readme, /start-up workloads have P99 thresholds/);
    assert.match(readme, /MAXIMUM_LATENCY/);
  });

  it("the schema checks bite: an unknown or mistyped field is rejected", async () => {
    const badPod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "x" },
      spec: { containers: [{ name: "c", image: "i", resource: {} }] },
    };
    assert.match((await validate(badPod)).join(), /resource/);
    assert.notDeepEqual(
      await validate({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "x" },
        spec: { containers: "nope" },
      }),
      [],
    );
    const badVm = {
      apiVersion: "kubevirt.io/v1",
      kind: "VirtualMachine",
      metadata: { name: "v" },
      spec: { template: { spec: { domain: { cpu: { dedicatedCpus: true }, devices: {} } } } },
    };
    assert.match((await validate(badVm)).join(), /dedicatedCpus/);
  });

  it("tuned-pod is Guaranteed with whole CPUs, on the profile's runtime class, with the CRI-O annotations; hugepages only when asked", async () => {
    const w = await findWorkload("tuned-pod", ROOT, BENCH);
    const plain = (await renderWorkload(w, resolveVariables(w, { PROFILE: "workshop-m5-metal" }))).objects[0]!
      .object as Obj;
    assert.equal(plain.spec.runtimeClassName, "performance-workshop-m5-metal");
    const c = plain.spec.containers[0].resources;
    assert.deepEqual(c.requests, c.limits);
    assert.match(String(c.limits.cpu), /^\d+$/);
    for (const a of ["cpu-load-balancing.crio.io", "cpu-quota.crio.io", "irq-load-balancing.crio.io"])
      assert.equal(plain.metadata.annotations[a], "disable");
    assert.equal(c.limits["hugepages-1Gi"], undefined);
    const huge = (await renderWorkload(w, resolveVariables(w, { HUGEPAGES_GI: "1" }))).objects[0]!
      .object as Obj;
    assert.equal(huge.spec.containers[0].resources.limits["hugepages-1Gi"], "1Gi");
    assert.equal(huge.spec.volumes[0].emptyDir.medium, "HugePages-1Gi");
    const base = (
      await renderWorkload(
        await findWorkload("baseline-pod", ROOT, BENCH),
        resolveVariables(await findWorkload("baseline-pod", ROOT, BENCH), {}),
      )
    ).objects[0]!.object as Obj;
    assert.notDeepEqual(
      base.spec.containers[0].resources.requests,
      base.spec.containers[0].resources.limits,
      "baseline is Burstable",
    );
  });

  it("tuned-vm is the GitOps base's low-latency VM: same CPU, NUMA, hugepages, IO threads, annotations and node role", async () => {
    const base = parse(readFileSync(join(ROOT, "gitops", "base", "low-latency-vm.yaml"), "utf8")) as Obj;
    const w = await findWorkload("tuned-vm", ROOT, BENCH);
    const o = (await renderWorkload(w, resolveVariables(w, {}))).objects[0]!.object as Obj;
    const ours = o.spec.template;
    const theirs = base.spec.template;
    assert.deepEqual(ours.spec.domain.cpu, theirs.spec.domain.cpu);
    assert.deepEqual(ours.spec.domain.memory, theirs.spec.domain.memory);
    assert.equal(ours.spec.domain.ioThreadsPolicy, theirs.spec.domain.ioThreadsPolicy);
    assert.deepEqual(ours.metadata.annotations, theirs.metadata.annotations);
    assert.deepEqual(ours.spec.nodeSelector, theirs.spec.nodeSelector);
    assert.deepEqual(ours.spec.domain.devices.interfaces, theirs.spec.domain.devices.interfaces);
    assert.equal(ours.spec.volumes[0].containerDisk.image, theirs.spec.volumes[0].containerDisk.image);
  });

  it("tuned-vm is the low-latency VM: dedicated CPUs, isolated emulator thread, NUMA passthrough, 1Gi hugepages, bootable disk", async () => {
    const w = await findWorkload("tuned-vm", ROOT, BENCH);
    const o = (await renderWorkload(w, resolveVariables(w, {}))).objects[0]!.object as Obj;
    const d = o.spec.template.spec.domain;
    assert.equal(d.cpu.dedicatedCpuPlacement, true);
    assert.equal(d.cpu.isolateEmulatorThread, true);
    assert.deepEqual(d.cpu.numa.guestMappingPassthrough, {});
    assert.equal(d.memory.hugepages.pageSize, "1Gi");
    assert.equal(o.spec.runStrategy, "Always");
    assert.match(o.spec.template.spec.volumes[0].containerDisk.image, /containerdisks\/centos-stream:10/);
    assert.equal(o.spec.template.spec.evictionStrategy, "None");
  });

  it("jitter pods run the cnf-tests runner privileged and Guaranteed with the runtime and CPU count set", async () => {
    for (const tool of ["oslat", "cyclictest", "hwlatdetect"]) {
      const w = await findWorkload(tool, ROOT, BENCH);
      const o = (
        await renderWorkload(w, resolveVariables(w, { LATENCY_TEST_CPUS: "6", LATENCY_TEST_RUNTIME: "60" }))
      ).objects[0]!.object as Obj;
      const c = o.spec.containers[0];
      assert.deepEqual(c.command, [`/usr/bin/${tool}-runner`]);
      assert.equal(c.securityContext.privileged, true);
      assert.equal(c.resources.limits.cpu, "6");
      assert.deepEqual(c.resources.requests, c.resources.limits);
      const env = Object.fromEntries(c.env.map((e: Obj) => [e.name, e.value]));
      assert.equal(env.LATENCY_TEST_RUNTIME, "60");
      assert.equal(env.LATENCY_TEST_CPUS, "6");
      assert.ok(c.args.includes("-runtime=60"));
      assert.equal(o.spec.restartPolicy, "Never");
    }
  });
});

describe("template renderer (Go text/template subset)", () => {
  it("substitutes, honours Go truthiness in if/else and the whitespace trims", () => {
    const t = "a: {{.x}}\n{{- if .n }}\nb: {{.n}}\n{{- else }}\nb: none\n{{- end }}\n";
    assert.equal(renderTemplate(t, { x: "1", n: 0 }), "a: 1\nb: none\n");
    assert.equal(renderTemplate(t, { x: "1", n: 2 }), "a: 1\nb: 2\n");
    assert.equal(renderTemplate(t, { x: "1", n: "0" }), "a: 1\nb: 0\n", "a non-empty string is true in Go");
  });
  it("rejects missing variables and constructs outside the subset", () => {
    assert.throws(() => renderTemplate("{{.nope}}", {}), /not set: nope/);
    assert.throws(() => renderTemplate("{{ range .x }}", { x: 1 }), /unsupported/);
    assert.throws(() => renderTemplate("{{ if .x }}", { x: 1 }), /no \{\{end\}\}/);
  });
  it("property: text without tags renders unchanged; any value substitutes literally", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes("{{")),
        fc.string(),
        (text, v) => {
          assert.equal(renderTemplate(text, {}), text);
          assert.equal(renderTemplate(`[{{.v}}]`, { v }), `[${v}]`);
        },
      ),
    );
  });
  it("every object template in benchmarks/ is YAML after rendering", async () => {
    for (const n of await listWorkloads(BENCH)) {
      const w = await findWorkload(n, ROOT, BENCH);
      const { objects } = await renderWorkload(w, resolveVariables(w, {}));
      for (const o of objects) assert.equal(typeof parse(JSON.stringify(o.object)), "object");
    }
  });
});
