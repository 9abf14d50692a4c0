import assert from "node:assert/strict";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkEvictionStrategy, checkVmImages, checkWholeCores } from "../../src/gitops/checks/vms.ts";
import { workloadSizes } from "../../src/gitops/generate.ts";
import type { CheckContext, LintObject } from "../../src/gitops/model.ts";
import { DISTROS, imageSupport, supportedReleases } from "../../src/kubevirt/image-support.ts";
import { INSTANCE_TYPES } from "../../src/topology/catalog.ts";
import { ROOT } from "../helpers/tools.ts";
import { edit, kustomizeTool, lintRepo } from "./helpers.ts";

const day = (d: string) => new Date(`${d}T12:00:00Z`);
const ctxOn = (d: string, repoObjects: LintObject[] = []): CheckContext => ({
  repoRoot: "/",
  root: "/",
  unitsByDir: new Map(),
  now: day(d),
  repoObjects,
});
const at = (obj: Record<string, unknown>): LintObject => ({ obj, unit: "u", file: "vm.yaml" });

function vm(name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return at({
    apiVersion: "kubevirt.io/v1",
    kind: "VirtualMachine",
    metadata: { name, namespace: "ns" },
    spec: { template: { metadata: {}, spec }, ...extra },
  });
}
const disk = (image: string) => ({ volumes: [{ name: "root", containerDisk: { image } }] });
const profile = at({
  apiVersion: "performance.openshift.io/v2",
  kind: "PerformanceProfile",
  metadata: { name: "workshop-c5-metal" },
  spec: { nodeSelector: { "node-role.kubernetes.io/worker-rt": "" } },
});
const hco = (spec: Record<string, unknown>) =>
  at({
    apiVersion: "hco.kubevirt.io/v1beta1",
    kind: "HyperConverged",
    metadata: { name: "kubevirt-hyperconverged", namespace: "openshift-cnv" },
    spec,
  });

describe("VM image support table (dated, evaluated on a clock the caller sets)", () => {
  it("fedora:41 is past its end of life on 2026-12-01 (ended 2025-12-15); fedora:43 is ending; centos-stream:10 is supported", () => {
    assert.equal(imageSupport("quay.io/containerdisks/fedora:41", day("2026-12-01")).status, "end-of-life");
    const f43 = imageSupport("quay.io/containerdisks/fedora:43", day("2026-12-01"));
    assert.equal(f43.status, "ending");
    assert.equal("daysLeft" in f43 && f43.daysLeft, 8);
    assert.equal(
      imageSupport("quay.io/containerdisks/centos-stream:10", day("2026-12-01")).status,
      "supported",
    );
    // The last supported day counts as supported; the next day does not.
    assert.equal(imageSupport("quay.io/containerdisks/fedora:41", day("2025-12-15")).status, "ending");
    assert.equal(imageSupport("quay.io/containerdisks/fedora:41", day("2025-12-16")).status, "end-of-life");
    // The same image was fine a year earlier: the verdict is the clock's, not hard-coded.
    assert.equal(imageSupport("quay.io/containerdisks/fedora:41", day("2025-01-10")).status, "supported");
  });

  it("reads the release from unique tags and ignores digests; unknown releases and other registries are said so", () => {
    assert.equal(
      imageSupport("quay.io/containerdisks/fedora:41-1.5", day("2026-12-01")).status,
      "end-of-life",
    );
    assert.equal(
      imageSupport("quay.io/containerdisks/centos-stream:9-20250101.0@sha256:abc", day("2026-12-01")).status,
      "supported",
    );
    assert.equal(
      imageSupport("quay.io/containerdisks/fedora:99", day("2026-12-01")).status,
      "unknown-release",
    );
    assert.equal(imageSupport("quay.io/containerdisks/fedora", day("2026-12-01")).status, "unknown-release");
    assert.equal(imageSupport("registry.example.com/my/disk:1", day("2026-12-01")).status, "untracked");
  });

  it("every table entry has a source and valid dates, and suggests only releases supported that day", () => {
    for (const d of DISTROS) {
      assert.match(d.source, /endoflife\.date/);
      for (const eol of Object.values(d.endOfLife)) assert.ok(!Number.isNaN(Date.parse(eol)), eol);
    }
    assert.deepEqual(supportedReleases("quay.io/containerdisks/fedora:41", day("2026-12-01")), [
      "quay.io/containerdisks/fedora:44",
    ]);
  });
});

describe("lint: VM image releases (facts in, findings out)", () => {
  it("warns on an end-of-life containerDisk and on a registry DataVolume, naming the date and a replacement", () => {
    const f = checkVmImages(
      [
        vm("a", disk("quay.io/containerdisks/fedora:41")),
        vm(
          "b",
          {},
          {
            dataVolumeTemplates: [
              { spec: { source: { registry: { url: "docker://quay.io/containerdisks/ubuntu:25.04" } } } },
            ],
          },
        ),
        vm("c", disk("quay.io/containerdisks/centos-stream:10")),
      ],
      ctxOn("2026-12-01"),
    );
    assert.deepEqual(
      f.map((x) => `${x.severity} ${x.object} ${x.path}`),
      [
        "warning VirtualMachine ns/a spec.template.spec.volumes[0].containerDisk.image",
        "warning VirtualMachine ns/b spec.dataVolumeTemplates[0].spec.source.registry.url",
      ],
    );
    assert.match(
      f[0]!.message,
      /Fedora Linux 41 reached its end of life on 2025-12-15 \(checked on 2026-12-01\)/,
    );
    assert.match(f[0]!.message, /package repositories are archived/);
    assert.match(f[0]!.message, /e\.g\. quay\.io\/containerdisks\/fedora:44/);
    assert.match(f[1]!.message, /Ubuntu 25\.04 reached its end of life on 2026-01-17/);
  });

  it("with the clock before the end of life, the same tree is clean", () => {
    assert.deepEqual(
      checkVmImages([vm("a", disk("quay.io/containerdisks/fedora:41"))], ctxOn("2025-03-01")),
      [],
    );
  });
});

describe("lint: evictionStrategy of VMs on the tuned pool (facts in, findings out)", () => {
  const tuned = { domain: { cpu: { cores: 3, dedicatedCpuPlacement: true } } };

  it("a VM with dedicated CPUs and no evictionStrategy is an error (the cluster default is LiveMigrate)", () => {
    const f = checkEvictionStrategy([vm("ll", tuned)], ctxOn("2026-12-01"));
    assert.equal(f.length, 1);
    assert.equal(f[0]!.severity, "error");
    assert.equal(f[0]!.rule, "eviction");
    assert.equal(f[0]!.path, "spec.template.spec.evictionStrategy");
    assert.match(
      f[0]!.message,
      /no evictionStrategy \(the cluster default, LiveMigrate with several workers\)/,
    );
    assert.match(f[0]!.message, /it has dedicated CPUs/);
  });

  it("None on the VM, or on the HyperConverged (the cluster default), passes; the VM's own LiveMigrate wins over the HyperConverged's None", () => {
    assert.deepEqual(
      checkEvictionStrategy([vm("ll", { ...tuned, evictionStrategy: "None" })], ctxOn("2026-12-01")),
      [],
    );
    assert.deepEqual(
      checkEvictionStrategy([vm("ll", tuned), hco({ evictionStrategy: "None" })], ctxOn("2026-12-01")),
      [],
    );
    const f = checkEvictionStrategy(
      [vm("ll", { ...tuned, evictionStrategy: "LiveMigrate" }), hco({ evictionStrategy: "None" })],
      ctxOn("2026-12-01"),
    );
    assert.match(f[0]!.message, /^evictionStrategy LiveMigrate: ll runs only on the tuned pool/);
    const g = checkEvictionStrategy(
      [vm("ll", tuned), hco({ evictionStrategy: "LiveMigrateIfPossible" })],
      ctxOn("2026-12-01"),
    );
    assert.match(g[0]!.message, /evictionStrategy LiveMigrateIfPossible \(the HyperConverged's\)/);
  });

  it("a plain VM is pinned too when the HyperConverged gives every VM a performance runtime class, or when it selects the profile's pool", () => {
    assert.deepEqual(checkEvictionStrategy([vm("plain", {})], ctxOn("2026-12-01")), []);
    const byClass = checkEvictionStrategy(
      [vm("plain", {})],
      ctxOn("2026-12-01", [profile, hco({ defaultRuntimeClass: "performance-workshop-c5-metal" })]),
    );
    assert.match(byClass[0]!.message, /HyperConverged defaultRuntimeClass performance-workshop-c5-metal/);
    const bySelector = checkEvictionStrategy(
      [vm("plain", { nodeSelector: { "node-role.kubernetes.io/worker-rt": "" } })],
      ctxOn("2026-12-01", [profile]),
    );
    assert.match(bySelector[0]!.message, /its node selector is PerformanceProfile workshop-c5-metal's pool/);
  });
});

describe("lint: whole cores for VMs with dedicated CPUs (facts in, findings out)", () => {
  const ll = (cores: number, extra: Record<string, unknown> = {}) =>
    vm("ll", {
      domain: {
        cpu: {
          cores,
          sockets: 1,
          threads: 1,
          dedicatedCpuPlacement: true,
          isolateEmulatorThread: true,
          ...extra,
        },
      },
    });
  const c5 = at({
    apiVersion: "performance.openshift.io/v2",
    kind: "PerformanceProfile",
    metadata: {
      name: "workshop-c5-metal",
      annotations: { "workshop.low-latency.io/instance-type": "c5.metal" },
    },
    spec: {
      nodeSelector: { "node-role.kubernetes.io/worker-rt": "" },
      numa: { topologyPolicy: "restricted" },
    },
  });

  it("4 vCPUs + the isolated emulator thread (5 CPUs) on an SMT host is an error suggesting 3 or 5; 5 vCPUs (6 CPUs) passes", () => {
    const f = checkWholeCores([ll(4)], ctxOn("2026-12-01", [c5]));
    assert.equal(f.length, 1);
    assert.equal(f[0]!.rule, "whole-cores");
    assert.equal(f[0]!.path, "spec.template.spec.domain.cpu.cores");
    assert.match(
      f[0]!.message,
      /^4 vCPUs \+ 1 isolated emulator thread = 5 dedicated CPUs: an odd count on an SMT host splits a physical core/,
    );
    assert.match(f[0]!.message, /give it 3 or 5 vCPUs/);
    assert.deepEqual(checkWholeCores([ll(5)], ctxOn("2026-12-01", [c5])), []);
    // Without an isolated emulator thread, the vCPUs alone must be even.
    assert.equal(
      checkWholeCores([ll(3, { isolateEmulatorThread: false })], ctxOn("2026-12-01", [c5])).length,
      1,
    );
    // Sockets and threads count: 2 sockets x 2 cores = 4 vCPUs + 1 = 5.
    assert.equal(checkWholeCores([ll(2, { sockets: 2 })], ctxOn("2026-12-01", [c5])).length, 1);
  });

  it("under the single-numa-node policy it says the kubelet refuses the pod; no SMT (nosmt) or HCO alignCPUs: no finding", () => {
    const strict = {
      ...c5,
      obj: { ...c5.obj, spec: { ...(c5.obj.spec as object), numa: { topologyPolicy: "single-numa-node" } } },
    };
    assert.match(checkWholeCores([ll(4)], ctxOn("2026-12-01", [strict]))[0]!.message, /SMTAlignmentError/);
    const nosmt = {
      ...c5,
      obj: { ...c5.obj, spec: { ...(c5.obj.spec as object), additionalKernelArgs: ["nosmt"] } },
    };
    assert.deepEqual(checkWholeCores([ll(4)], ctxOn("2026-12-01", [nosmt])), []);
    assert.deepEqual(
      checkWholeCores([ll(4), hco({ featureGates: { alignCPUs: true } })], ctxOn("2026-12-01", [c5])),
      [],
    );
  });

  it("every catalog instance type's overlay gives the low-latency VM an odd vCPU count: whole cores with its emulator thread", () => {
    for (const t of INSTANCE_TYPES) {
      const s = workloadSizes(t);
      assert.equal((s.vmCores + 1) % 2, 0, `${t.name}: ${s.vmCores} vCPUs`);
      assert.ok(s.vmCores + 1 <= s.podCpus + 2, `${t.name}: the VM stays about as big as the tuned pod`);
    }
  });
});

describe("the committed tree and its mutations (real kubectl kustomize, real schemas)", () => {
  it("every VM of gitops/ and benchmarks/ passes the image and eviction checks on 2026-12-01; without evictionStrategy None on the VMs and the HyperConverged, each VM is an error", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const repo = join(mkdtempSync(join(tmpdir(), "llw-vm-")), "repo");
    for (const d of ["gitops", "benchmarks"]) cpSync(join(ROOT, d), join(repo, d), { recursive: true });
    const now = day("2026-12-01");
    const clean = await lintRepo(repo, tool, ".", { now });
    const vmFindings = (r: typeof clean) =>
      r.findings.filter((f) => ["vm-image", "eviction"].includes(f.rule));
    assert.deepEqual(vmFindings(clean), []);
    for (const f of ["gitops/base/low-latency-vm.yaml", "gitops/base/baseline-vm.yaml"])
      edit(join(repo, f), (s) => s.replace(/\n\s+evictionStrategy: None/, ""));
    for (const f of ["benchmarks/tuned-vm/templates/vm.yml", "benchmarks/baseline-vm/templates/vm.yml"])
      edit(join(repo, f), (s) => s.replace(/\n\s+evictionStrategy: None/, ""));
    // Still None for every VM through the HyperConverged: no finding yet.
    assert.deepEqual(vmFindings(await lintRepo(repo, tool, ".", { now })), []);
    edit(join(repo, "gitops/operators/kubevirt-hyperconverged/instance/hyperconverged.yaml"), (s) =>
      s.replace("spec:\n  evictionStrategy: None", "spec: {}"),
    );
    const bad = await lintRepo(repo, tool, ".", { now });
    assert.deepEqual([...new Set(vmFindings(bad).map((f) => `${f.severity} ${f.rule} ${f.file}`))].sort(), [
      "error eviction benchmarks/baseline-vm/templates/vm.yml",
      "error eviction benchmarks/tuned-vm/templates/vm.yml",
      "error eviction gitops/base/baseline-vm.yaml",
      "error eviction gitops/base/low-latency-vm.yaml",
    ]);
  });

  it("the overlays as generated before whole cores (vmCores = podCpus/2) fail on c5n, m5zn, i3, c7i.metal-24xl and c7i.metal-48xl", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const repo = join(mkdtempSync(join(tmpdir(), "llw-vm-")), "repo");
    cpSync(join(ROOT, "gitops"), join(repo, "gitops"), { recursive: true });
    const before: Record<string, number> = {
      "c5n.metal": 4,
      "m5zn.metal": 2,
      "i3.metal": 4,
      "c7i.metal-24xl": 8,
      "c7i.metal-48xl": 8,
    };
    for (const [type, cores] of Object.entries(before))
      edit(join(repo, "gitops/overlays/aws", type, "kustomization.yaml"), (s) =>
        s.replace(/(path: \/spec\/template\/spec\/domain\/cpu\/cores\n\s+value: )\d+/, `$1${cores}`),
      );
    const r = await lintRepo(repo, tool);
    const units = r.findings
      .filter((f) => f.rule === "whole-cores")
      .flatMap((f) => [f.unit, ...(f.alsoIn ?? [])])
      .sort();
    assert.deepEqual(
      units,
      Object.keys(before)
        .map((x) => `overlays/aws/${x}`)
        .sort(),
    );
  });

  it("the Fedora 41 image the tree used to boot is a warning on 2026-12-01, in the base and in the kube-burner defaults", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const repo = join(mkdtempSync(join(tmpdir(), "llw-vm-")), "repo");
    for (const d of ["gitops", "benchmarks"]) cpSync(join(ROOT, d), join(repo, d), { recursive: true });
    edit(join(repo, "gitops/base/low-latency-vm.yaml"), (s) =>
      s.replace("quay.io/containerdisks/centos-stream:10", "quay.io/containerdisks/fedora:41"),
    );
    edit(join(repo, "benchmarks/variables.yml"), (s) =>
      s.replaceAll("quay.io/containerdisks/centos-stream:10", "quay.io/containerdisks/fedora:41"),
    );
    const r = await lintRepo(repo, tool, ".", { now: day("2026-12-01") });
    const images = r.findings.filter((f) => f.rule === "vm-image");
    assert.deepEqual(images.map((f) => `${f.severity} ${f.file}`).sort(), [
      "warning benchmarks/baseline-vm/templates/vm.yml",
      "warning benchmarks/tuned-vm/templates/vm.yml",
      "warning gitops/base/low-latency-vm.yaml",
    ]);
    assert.match(images[0]!.message, /reached its end of life on 2025-12-15/);
  });
});
