/**
 * The mutation suite: the real tree, copied to a temp dir, with one defect injected at a time.
 * Each kind of defect lint claims to catch must be reported with the right rule, message and
 * location, and nothing else may turn into an error. Real kubectl kustomize, real upstream schemas.
 */
import assert from "node:assert/strict";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { LintOptions } from "../../src/gitops/lint.ts";
import type { LintFinding } from "../../src/gitops/model.ts";
import { copyTree, edit, kustomizeTool, lintRepo } from "./helpers.ts";

interface Mutation {
  name: string;
  apply: (gitops: string) => void;
  /** The finding that must be reported. */
  expect: { severity?: "error" | "warning"; rule: string; message: RegExp; file?: string; path?: string };
  /** Other rules that may also report errors for this defect (e.g. a build failing downstream). */
  alsoAllowed?: string[];
  /** Lint options beyond the defaults (e.g. the OpenShift version). */
  options?: Partial<LintOptions>;
}

/** The SR-IOV placeholder as the tree once shipped it: an ENA policy by vendor and device. */
function addEnaPolicy(g: string): void {
  writeFileSync(
    join(g, "overlays/aws/sriov/ena-policy.yaml"),
    [
      "apiVersion: sriovnetwork.openshift.io/v1",
      "kind: SriovNetworkNodePolicy",
      "metadata:",
      "  name: workshop-ena",
      "  namespace: openshift-sriov-network-operator",
      "spec:",
      "  resourceName: workshopena",
      "  nodeSelector:",
      '    node-role.kubernetes.io/worker-rt: ""',
      "  numVfs: 1",
      "  deviceType: netdevice",
      "  nicSelector:",
      '    vendor: "1d0f"',
      '    deviceID: "ec20"',
      "",
    ].join("\n"),
  );
  edit(join(g, "overlays/aws/sriov/kustomization.yaml"), (s) => `${s}  - ena-policy.yaml\n`);
}

const MUTATIONS: Mutation[] = [
  {
    name: "a kustomization lists a file that does not exist",
    apply: (g) =>
      edit(join(g, "base/test-pods/kustomization.yaml"), (s) =>
        s.replace("  - tuned-pod.yaml", "  - tuned-pod.yml"),
      ),
    expect: { rule: "build", message: /cannot build it: .*tuned-pod\.yml/ },
  },
  {
    name: "a misspelt field in a Subscription (unknown to the CRD schema)",
    apply: (g) =>
      edit(join(g, "operators/sriov-network-operator/operator/base/subscription.yaml"), (s) =>
        s.replace("installPlanApproval: Automatic", "installPlanAproval: Automatic"),
      ),
    expect: {
      rule: "schema",
      message: /unknown field "installPlanAproval"/,
      file: "operators/sriov-network-operator/operator/base/subscription.yaml",
      path: "spec.installPlanAproval",
    },
  },
  {
    name: "a wrong type in a built-in kind (Kubernetes OpenAPI v3)",
    apply: (g) =>
      edit(join(g, "base/test-pods/baseline-pod.yaml"), (s) =>
        s.replace("restartPolicy: Never", "restartPolicy: [Never]"),
      ),
    expect: {
      rule: "schema",
      message: /must be string/,
      file: "base/test-pods/baseline-pod.yaml",
      path: "spec.restartPolicy",
    },
  },
  {
    name: "a wrong field in a KubeVirt VM (Swagger 2.0 definitions)",
    apply: (g) =>
      edit(join(g, "base/low-latency-vm.yaml"), (s) =>
        s.replace("isolateEmulatorThread: true", "isolateEmulatorThreads: true"),
      ),
    expect: {
      rule: "schema",
      message: /unknown field "isolateEmulatorThreads"/,
      path: "spec.template.spec.domain.cpu.isolateEmulatorThreads",
    },
    // Without its isolated emulator thread the VM's 5 vCPUs split a core too.
    alsoAllowed: ["whole-cores"],
  },
  {
    name: "a kind without a schema is a warning, not an error",
    apply: (g) => {
      writeFileSync(
        join(g, "base/extra.yaml"),
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n  namespace: low-latency-workshop\n",
      );
      edit(join(g, "base/kustomization.yaml"), (s) => `${s}  - extra.yaml\n`);
    },
    expect: { severity: "warning", rule: "unknown-kind", message: /no schema for example.com\/v1 Gadget/ },
  },
  {
    name: "a PerformanceProfile whose reserved and isolated CPUs overlap (webhook rule)",
    apply: (g) =>
      edit(join(g, "overlays/aws/performance-profiles/c5.metal.yaml"), (s) =>
        s.replace(/reserved: .*/, "reserved: 0-1,24,48,72"),
      ),
    expect: {
      rule: "performance-profile",
      message: /overlap/,
      file: "overlays/aws/performance-profiles/c5.metal.yaml",
    },
  },
  {
    name: "a PerformanceProfile naming CPUs its instance type does not have (topology check)",
    apply: (g) =>
      edit(join(g, "overlays/aws/performance-profiles/m5zn.metal.yaml"), (s) =>
        s.replace(/isolated: (.*)/, "isolated: $1,96-99"),
      ),
    expect: { rule: "performance-profile", message: /m5zn\.metal/ },
  },
  {
    name: "a tuned pod's runtime class has no PerformanceProfile",
    apply: (g) =>
      edit(join(g, "base/test-pods/tuned-pod.yaml"), (s) =>
        s.replace(
          "runtimeClassName: performance-workshop-c5-metal",
          "runtimeClassName: performance-workshop",
        ),
      ),
    expect: {
      rule: "runtime-class",
      message: /"workshop", which is not in the tree/,
      file: "base/test-pods/tuned-pod.yaml",
      path: "spec.runtimeClassName",
    },
  },
  {
    name: "a low-latency VM's CRI-O annotations without a HyperConverged default runtime class",
    apply: (g) => {
      // Every generated HyperConverged overlay loses its runtime class (spec: {} patches nothing).
      for (const d of readdirSync(join(g, "overlays/aws"))) {
        const patch = join(g, "overlays/aws", d, "hyperconverged/default-runtime-class.yaml");
        if (d.includes(".metal"))
          edit(patch, (s) => s.replace(/spec:\n {2}defaultRuntimeClass: .*\n/, "spec: {}\n"));
      }
    },
    expect: {
      rule: "runtime-class",
      message:
        /its CRI-O annotations take effect only under a PerformanceProfile's runtime class.*no HyperConverged in the tree sets it/,
      file: "base/low-latency-vm.yaml",
      path: "spec.template.metadata.annotations",
    },
  },
  {
    name: "a HyperConverged default runtime class whose PerformanceProfile is not in the tree",
    apply: (g) =>
      edit(join(g, "overlays/aws/m5.metal/hyperconverged/default-runtime-class.yaml"), (s) =>
        s.replace("performance-workshop-m5-metal", "performance-workshop-m5"),
      ),
    expect: {
      rule: "runtime-class",
      message:
        /runtime class performance-workshop-m5 belongs to a PerformanceProfile named "workshop-m5", which is not in the tree/,
      file: "overlays/aws/m5.metal/hyperconverged/default-runtime-class.yaml",
      path: "spec.defaultRuntimeClass",
    },
  },
  {
    name: "a tuned pod that is Burstable (cpu request below its limit)",
    apply: (g) =>
      edit(join(g, "base/test-pods/tuned-pod.yaml"), (s) =>
        s.replace(/requests:\n {10}cpu: "4"/, 'requests:\n          cpu: "2"'),
      ),
    expect: {
      rule: "pod",
      message: /not Guaranteed QoS: container "latency" requests cpu 2 but its limit is 4/,
      path: "spec.containers[0].resources.requests.cpu",
    },
  },
  {
    name: "a tuned pod with a fractional CPU count",
    apply: (g) =>
      edit(join(g, "base/test-pods/tuned-pod.yaml"), (s) => s.replaceAll('cpu: "4"', "cpu: 3500m")),
    expect: { rule: "pod", message: /not a whole number/ },
  },
  {
    name: "a tuned pod asking for a hugepage size its profile does not allocate",
    apply: (g) =>
      edit(join(g, "base/test-pods/tuned-pod.yaml"), (s) =>
        s.replaceAll("hugepages-1Gi: 2Gi", "hugepages-2Mi: 2Gi"),
      ),
    expect: {
      rule: "pod",
      message: /requests 2Mi hugepages but PerformanceProfile "workshop-c5-metal" allocates 1G/,
    },
    alsoAllowed: ["build"],
  },
  {
    name: "a low-latency VM with a hugepage size no profile allocates",
    apply: (g) =>
      edit(join(g, "base/low-latency-vm.yaml"), (s) => s.replace("pageSize: 1Gi", "pageSize: 2Mi")),
    expect: {
      rule: "vm",
      message: /pageSize 2Mi: no PerformanceProfile/,
      path: "spec.template.spec.domain.memory.hugepages.pageSize",
    },
  },
  {
    name: "a low-latency VM isolating its emulator thread without dedicated CPUs",
    apply: (g) =>
      edit(join(g, "base/low-latency-vm.yaml"), (s) =>
        s.replace("dedicatedCpuPlacement: true", "dedicatedCpuPlacement: false"),
      ),
    expect: { rule: "vm", message: /isolateEmulatorThread needs dedicatedCpuPlacement/ },
  },
  {
    name: "a VM without a bootable disk",
    apply: (g) =>
      edit(join(g, "base/baseline-vm.yaml"), (s) =>
        s.replace(/ {8}- name: rootdisk\n {10}containerDisk:\n {12}image: .*\n/, ""),
      ),
    expect: { rule: "vm", message: /no bootable volume/, file: "base/baseline-vm.yaml" },
  },
  {
    name: "a NetworkAttachmentDefinition whose resource no SR-IOV policy provides",
    apply: (g) =>
      edit(join(g, "overlays/aws/sriov/network-attachment-definition.yaml"), (s) =>
        s.replace(
          "  namespace: low-latency-workshop\n",
          "  namespace: low-latency-workshop\n  annotations:\n    k8s.v1.cni.cncf.io/resourceName: openshift.io/workshopnic\n",
        ),
      ),
    expect: {
      rule: "sriov",
      message: /resource openshift.io\/workshopnic is not provided/,
      path: 'metadata.annotations["k8s.v1.cni.cncf.io/resourceName"]',
    },
  },
  {
    name: "an Amazon ENA SR-IOV policy with the operator webhook enabled, OpenShift version unknown (warning)",
    apply: addEnaPolicy,
    expect: {
      severity: "warning",
      rule: "sriov",
      message:
        /vendor 1d0f \(Amazon ENA\) passes the SR-IOV operator's webhook, enabled by SriovOperatorConfig default .*only from OpenShift 4\.22/,
      file: "overlays/aws/sriov/ena-policy.yaml",
      path: "spec.nicSelector.vendor",
    },
  },
  {
    name: "an Amazon ENA SR-IOV policy with the operator webhook enabled on OpenShift 4.20 (--ocp-version)",
    apply: addEnaPolicy,
    options: { ocpVersion: "4.20" },
    expect: {
      rule: "sriov",
      message:
        /on OpenShift 4\.20 the SR-IOV operator's webhook.*rejects this policy \("vendor 1d0f is not supported" before 4\.22\)/,
      file: "overlays/aws/sriov/ena-policy.yaml",
      path: "spec.nicSelector.vendor",
    },
  },
  {
    name: "a Subscription without an OperatorGroup in its namespace",
    apply: (g) =>
      edit(join(g, "operators/kubevirt-hyperconverged/operator/base/kustomization.yaml"), (s) =>
        s.replace("  - operator-group.yaml\n", ""),
      ),
    expect: { rule: "olm", message: /no OperatorGroup in namespace openshift-cnv/ },
  },
  {
    name: "two OperatorGroups in one namespace",
    apply: (g) => {
      writeFileSync(
        join(g, "operators/sriov-network-operator/operator/base/operator-group-2.yaml"),
        "apiVersion: operators.coreos.com/v1\nkind: OperatorGroup\nmetadata:\n  name: second\n  namespace: openshift-sriov-network-operator\nspec: {}\n",
      );
      edit(
        join(g, "operators/sriov-network-operator/operator/base/kustomization.yaml"),
        (s) => `${s}  - operator-group-2.yaml\n`,
      );
    },
    expect: { rule: "olm", message: /2 OperatorGroups/ },
  },
  {
    name: "a Subscription without a channel",
    apply: (g) =>
      edit(join(g, "operators/openshift-gitops-operator/operator/base/subscription.yaml"), (s) =>
        s.replace("  channel: latest\n", ""),
      ),
    expect: {
      rule: "olm",
      message: /no channel/,
      file: "operators/openshift-gitops-operator/operator/base/subscription.yaml",
    },
    alsoAllowed: ["build"],
  },
  {
    name: "an app of apps syncing a custom resource in the same wave as its operator",
    apply: (g) =>
      edit(join(g, "bootstrap/instance-kubevirt-hyperconverged.yaml"), (s) =>
        s.replace('sync-wave: "1"', 'sync-wave: "0"'),
      ),
    expect: {
      rule: "sync-wave",
      message:
        /instance-kubevirt-hyperconverged \(wave 0\) syncs HyperConverged \(hco.kubevirt.io\), whose CRD comes from Application operator-kubevirt-hyperconverged \(wave 0\)/,
      file: "bootstrap/instance-kubevirt-hyperconverged.yaml",
    },
  },
  {
    name: "one kustomization applying an operator and its custom resource without waves",
    apply: (g) =>
      edit(join(g, "operators/kubevirt-hyperconverged/instance/kustomization.yaml"), (s) =>
        s.replace("  - hyperconverged.yaml\n", "  - hyperconverged.yaml\n  - ../operator/overlays/stable\n"),
      ),
    expect: {
      rule: "sync-wave",
      message: /sync wave 0 is not after Subscription kubevirt-hyperconverged \(wave 0\)/,
    },
  },
  {
    name: "an Application pointing at a path that does not exist",
    apply: (g) =>
      edit(join(g, "bootstrap-with-tuning/workloads.yaml"), (s) =>
        s.replace("gitops/overlays/aws/c5.metal", "gitops/overlays/aws/c5-metal"),
      ),
    expect: {
      rule: "application-path",
      message: /path gitops\/overlays\/aws\/c5-metal does not exist/,
      path: "spec.source.path",
    },
  },
  {
    name: "an Application including a profile file that does not exist",
    apply: (g) =>
      edit(join(g, "bootstrap-with-tuning/tuning.yaml"), (s) => s.replace("c5.metal.yaml", "c9.metal.yaml")),
    expect: { rule: "application-path", message: /include pattern c9.metal.yaml matches no file/ },
  },
  {
    name: "the fleet ApplicationSet pointing at a folder that does not exist",
    apply: (g) =>
      edit(join(g, "fleet/applicationset.yaml"), (s) =>
        s.replace("{{ else }}gitops/bootstrap{{ end }}", "{{ else }}gitops/boot{{ end }}"),
      ),
    expect: { rule: "application-path", message: /path gitops\/boot does not exist/ },
  },
  {
    name: "the fleet sending one catalog instance type to an overlay that does not exist",
    apply: (g) => rmSync(join(g, "overlays/aws/r5.metal/hyperconverged"), { recursive: true }),
    expect: {
      rule: "application-path",
      message:
        /for instance type r5\.metal Application instance-kubevirt-hyperconverged gets path gitops\/overlays\/aws\/r5\.metal\/hyperconverged, which does not exist/,
      file: "fleet/applicationset.yaml",
    },
  },
  {
    name: "the fleet including a profile file that one catalog instance type lacks",
    apply: (g) => rmSync(join(g, "overlays/aws/performance-profiles/m6i.metal.yaml")),
    expect: {
      rule: "application-path",
      message:
        /for instance type m6i\.metal Application tuning includes m6i\.metal\.yaml, which matches no file/,
      file: "fleet/applicationset.yaml",
    },
    // The m6i.metal overlays then name a runtime class whose profile is gone.
    alsoAllowed: ["runtime-class"],
  },
  {
    name: "a plain manifest that is not valid YAML",
    apply: (g) =>
      edit(join(g, "overlays/aws/performance-profiles/machine-config-pool.yaml"), (s) =>
        s.replace("  maxUnavailable: 1", "  maxUnavailable: [1"),
      ),
    expect: {
      rule: "yaml",
      message: /not valid YAML/,
      file: "overlays/aws/performance-profiles/machine-config-pool.yaml",
    },
  },
];

function show(fs: LintFinding[]): string {
  return fs
    .map(
      (f) =>
        `  ${f.severity} [${f.rule}] ${f.file ?? f.unit} ${f.object ?? ""} ${f.path ?? ""}: ${f.message}`,
    )
    .join("\n");
}

describe("lint mutation suite: each injected defect is reported (real kubectl kustomize, real schemas)", () => {
  for (const m of MUTATIONS) {
    it(m.name, async (t) => {
      const tool = kustomizeTool(t);
      if (!tool) return;
      const repo = copyTree();
      try {
        m.apply(join(repo, "gitops"));
        const r = await lintRepo(repo, tool, "gitops", m.options);
        const severity = m.expect.severity ?? "error";
        const hit = r.findings.find(
          (f) =>
            f.severity === severity &&
            f.rule === m.expect.rule &&
            m.expect.message.test(f.message) &&
            (m.expect.file === undefined || f.file === m.expect.file) &&
            (m.expect.path === undefined || f.path === m.expect.path),
        );
        assert.ok(
          hit,
          `expected a ${severity} [${m.expect.rule}] ${m.expect.message} finding; lint reported:\n${show(r.findings)}`,
        );
        const allowed = new Set([m.expect.rule, ...(m.alsoAllowed ?? [])]);
        const stray = r.findings.filter((f) => f.severity === "error" && !allowed.has(f.rule));
        assert.deepEqual(stray, [], `unrelated errors:\n${show(stray)}`);
        if (severity === "warning") assert.equal(r.errors, 0);
        else assert.ok(r.errors > 0);
      } finally {
        rmSync(join(repo, ".."), { recursive: true, force: true });
      }
    });
  }
});
