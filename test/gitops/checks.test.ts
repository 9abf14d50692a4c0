import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { braceAlternatives } from "../../src/gitops/checks/argocd.ts";
import { checkVmRuntimeClass } from "../../src/gitops/checks/kubevirt.ts";
import { parseQuantity, profilePageSize } from "../../src/gitops/checks/quantity.ts";
import { checkSriov } from "../../src/gitops/checks/sriov.ts";
import { checkWorkloads } from "../../src/gitops/checks/workloads.ts";
import type { CheckContext, LintObject } from "../../src/gitops/model.ts";

const ctx: CheckContext = { repoRoot: "/", root: "/", unitsByDir: new Map() };
const at = (obj: Record<string, unknown>): LintObject => ({ obj, unit: "u" });

describe("quantity parser", () => {
  it("reads Kubernetes quantities as numbers", () => {
    assert.equal(parseQuantity("500m"), 0.5);
    assert.equal(parseQuantity("4"), 4);
    assert.equal(parseQuantity(4), 4);
    assert.equal(parseQuantity("1Gi"), 2 ** 30);
    assert.equal(parseQuantity("2e3"), 2000);
    assert.equal(parseQuantity("1.5k"), 1500);
    assert.equal(parseQuantity("four"), undefined);
    assert.equal(profilePageSize("1Gi"), "1G");
    assert.equal(profilePageSize("2Mi"), "2M");
  });

  it("property: n<suffix> is n times the suffix, and requests equal limits compare equal across spellings", () => {
    const mult: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, Ki: 1024, Mi: 2 ** 20, Gi: 2 ** 30 };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100000 }), fc.constantFrom(...Object.keys(mult)), (n, s) => {
        assert.equal(parseQuantity(`${n}${s}`), n * mult[s]!);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), (n) => {
        assert.equal(parseQuantity(`${n * 1000}m`), parseQuantity(String(n)));
      }),
    );
  });
});

describe("Argo CD directory include globs", () => {
  it("splits brace alternatives", () => {
    assert.deepEqual(braceAlternatives("{machine-config-pool.yaml,c5.metal.yaml}"), [
      "machine-config-pool.yaml",
      "c5.metal.yaml",
    ]);
    assert.deepEqual(braceAlternatives("*.yaml"), ["*.yaml"]);
  });
});

describe("workload checks (pure)", () => {
  const profile = {
    apiVersion: "performance.openshift.io/v2",
    kind: "PerformanceProfile",
    metadata: { name: "p" },
    spec: {
      hugepages: { pages: [{ size: "1G", count: 4 }] },
      nodeSelector: { "node-role.kubernetes.io/worker-rt": "" },
    },
  };
  const tunedDeployment = (resources: Record<string, unknown>) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "d", namespace: "n" },
    spec: {
      template: {
        metadata: {
          annotations: {
            "cpu-load-balancing.crio.io": "disable",
            "cpu-quota.crio.io": "disable",
            "irq-load-balancing.crio.io": "disable",
          },
        },
        spec: { runtimeClassName: "performance-p", containers: [{ name: "c", resources }] },
      },
    },
  });

  it("accepts a Guaranteed pod template with whole CPUs and the profile's hugepage size", () => {
    const ok = tunedDeployment({
      requests: { cpu: "2", memory: "1Gi", "hugepages-1Gi": "1Gi" },
      limits: { cpu: "2000m", memory: "1024Mi", "hugepages-1Gi": "1Gi" },
    });
    assert.deepEqual(checkWorkloads([at(profile), at(ok)], ctx), []);
  });

  it("finds missing limits in a Deployment's pod template, with the template's JSON path", () => {
    const f = checkWorkloads([at(profile), at(tunedDeployment({ requests: { cpu: "2" } }))], ctx);
    assert.deepEqual(
      f.map((x) => x.path),
      [
        "spec.template.spec.containers[0].resources.limits.cpu",
        "spec.template.spec.containers[0].resources.limits.memory",
      ],
    );
  });

  it("an init container without equal requests and limits makes the pod Burstable: reported at its own path", () => {
    // Kubernetes computes QoS over init containers too (pkg/apis/core/v1/helper/qos/qos.go):
    // a Guaranteed-looking main container does not make the pod Guaranteed.
    const d = tunedDeployment({ requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "2", memory: "1Gi" } });
    (d.spec.template.spec as Record<string, unknown>).initContainers = [
      {
        name: "setup",
        resources: { requests: { cpu: "1", memory: "128Mi" }, limits: { cpu: "2", memory: "128Mi" } },
      },
    ];
    const f = checkWorkloads([at(profile), at(d)], ctx);
    assert.deepEqual(
      f.map((x) => [x.severity, x.path, x.message]),
      [
        [
          "error",
          "spec.template.spec.initContainers[0].resources.requests.cpu",
          'not Guaranteed QoS: container "setup" requests cpu 1 but its limit is 2',
        ],
      ],
    );
  });

  it("wants a performance runtime class wherever the CRI-O annotations are set", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "x", annotations: { "cpu-quota.crio.io": "disable" } },
      spec: { containers: [] },
    };
    const f = checkWorkloads([at(pod)], ctx);
    assert.ok(
      f.some(
        (x) =>
          x.severity === "error" &&
          /only take effect under a PerformanceProfile's runtime class/.test(x.message),
      ),
    );
  });

  it("matches a VM's hugepages against the profiles for its nodes only", () => {
    const vm = (nodeSelector: Record<string, string>) => ({
      apiVersion: "kubevirt.io/v1",
      kind: "VirtualMachine",
      metadata: { name: "vm" },
      spec: {
        template: {
          spec: {
            nodeSelector,
            domain: {
              cpu: { dedicatedCpuPlacement: true },
              memory: { hugepages: { pageSize: "1Gi" } },
              devices: { disks: [{ name: "d" }] },
            },
            volumes: [{ name: "d", containerDisk: { image: "quay.io/containerdisks/fedora:41" } }],
          },
        },
      },
    });
    assert.deepEqual(
      checkWorkloads([at(profile), at(vm({ "node-role.kubernetes.io/worker-rt": "" }))], ctx),
      [],
    );
    const other = checkWorkloads([at(profile), at(vm({ "node-role.kubernetes.io/worker-rt": "x" }))], ctx);
    assert.match(
      other[0]?.message ?? "",
      /no PerformanceProfile in the tree for this VM's nodes allocates 1G pages/,
    );
  });
});

describe("SR-IOV webhook rule for Amazon ENA policies (facts in, findings out)", () => {
  const config = (enableOperatorWebhook: boolean) =>
    at({
      apiVersion: "sriovnetwork.openshift.io/v1",
      kind: "SriovOperatorConfig",
      metadata: { name: "default", namespace: "openshift-sriov-network-operator" },
      spec: { enableOperatorWebhook },
    });
  const policy = (nicSelector: Record<string, unknown>) =>
    at({
      apiVersion: "sriovnetwork.openshift.io/v1",
      kind: "SriovNetworkNodePolicy",
      metadata: { name: "p", namespace: "openshift-sriov-network-operator" },
      spec: { resourceName: "r", nodeSelector: {}, numVfs: 1, nicSelector },
    });
  const rules = (objects: LintObject[], extra: Partial<CheckContext> = {}) =>
    checkSriov(objects, { ...ctx, ...extra }).map((f) => `${f.severity} ${f.path}`);

  it("errors before 4.22, nothing from 4.22, warns when the version is not known", () => {
    const ena = policy({ vendor: "1d0f", deviceID: "ec20" });
    assert.deepEqual(rules([config(true), ena], { ocpVersion: { major: 4, minor: 21 } }), [
      "error spec.nicSelector.vendor",
    ]);
    assert.deepEqual(rules([config(true), ena], { ocpVersion: { major: 4, minor: 22 } }), []);
    assert.deepEqual(rules([config(true), ena]), ["warning spec.nicSelector.vendor"]);
  });

  it("a 4.22 policy that selects ENIs by netFilter aws/NetworkID errors before 4.22, passes from 4.22, warns when the version is not known", () => {
    const byNetFilter = policy({ netFilter: "aws/NetworkID:0abc" });
    assert.deepEqual(rules([config(true), byNetFilter], { ocpVersion: { major: 4, minor: 20 } }), [
      "error spec.nicSelector.netFilter",
    ]);
    assert.deepEqual(rules([config(true), byNetFilter], { ocpVersion: { major: 4, minor: 22 } }), []);
    assert.deepEqual(rules([config(true), byNetFilter]), ["warning spec.nicSelector.netFilter"]);
    assert.deepEqual(rules([config(false), byNetFilter], { ocpVersion: { major: 4, minor: 20 } }), []);
  });

  it("needs the webhook enabled, an Amazon vendor, and finds the config elsewhere in the repository", () => {
    const v = { ocpVersion: { major: 4, minor: 19 } };
    assert.deepEqual(rules([config(false), policy({ vendor: "1d0f" })], v), []);
    assert.deepEqual(rules([policy({ vendor: "1d0f" })], v), [], "no SriovOperatorConfig: webhook unknown");
    assert.deepEqual(rules([config(true), policy({ vendor: "8086" })], v), []);
    assert.deepEqual(rules([config(true), policy({ netFilter: "openstack/NetworkID:0abc" })], v), []);
    assert.deepEqual(rules([policy({ vendor: "1D0F" })], { ...v, repoObjects: [config(true)] }), [
      "error spec.nicSelector.vendor",
    ]);
  });
});

describe("VM runtime class through HyperConverged defaultRuntimeClass (facts in, findings out)", () => {
  const profile = at({
    apiVersion: "performance.openshift.io/v2",
    kind: "PerformanceProfile",
    metadata: { name: "workshop-c5-metal" },
    spec: { nodeSelector: { "node-role.kubernetes.io/worker-rt": "" } },
  });
  const hco = (defaultRuntimeClass?: string) =>
    at({
      apiVersion: "hco.kubevirt.io/v1beta1",
      kind: "HyperConverged",
      metadata: { name: "kubevirt-hyperconverged", namespace: "openshift-cnv" },
      spec: defaultRuntimeClass ? { defaultRuntimeClass } : {},
    });
  const vm = (cpu: Record<string, unknown>) =>
    at({
      apiVersion: "kubevirt.io/v1",
      kind: "VirtualMachine",
      metadata: { name: "vm", namespace: "ns" },
      spec: { template: { spec: { domain: { cpu } } } },
    });
  const paths = (objects: LintObject[], extra: Partial<CheckContext> = {}) =>
    checkVmRuntimeClass(objects, { ...ctx, ...extra }).map((f) => `${f.rule} ${f.object} ${f.path}`);

  it("a VM with dedicated CPUs needs a HyperConverged default runtime class with a profile", () => {
    const pinned = vm({ dedicatedCpuPlacement: true });
    assert.deepEqual(paths([profile, hco(), pinned]), [
      "runtime-class VirtualMachine ns/vm spec.template.spec.domain.cpu.dedicatedCpuPlacement",
    ]);
    assert.deepEqual(paths([profile, hco("performance-workshop-c5-metal"), pinned]), []);
    // Found elsewhere in the repository (lint of a sub-folder).
    assert.deepEqual(paths([pinned], { repoObjects: [profile, hco("performance-workshop-c5-metal")] }), []);
    // A runtime class that is not a profile's does not count.
    assert.equal(paths([profile, hco("kata"), pinned]).length, 1);
  });

  it("a baseline VM needs nothing; a HyperConverged naming a missing profile is reported on itself", () => {
    assert.deepEqual(paths([profile, hco(), vm({ cores: 2 })]), []);
    assert.deepEqual(paths([profile, hco("performance-workshop-m5-metal")]), [
      "runtime-class HyperConverged openshift-cnv/kubevirt-hyperconverged spec.defaultRuntimeClass",
    ]);
  });
});
