/**
 * The generated part of the GitOps tree, planned from the instance type catalog: one
 * PerformanceProfile per supported EC2 metal type (overlays/aws/performance-profiles/<type>.yaml,
 * from the same planner as `llw profile generate`) and one workload overlay per type
 * (overlays/aws/<type>/kustomization.yaml) that sizes the base VMs for that profile, one test-pod
 * overlay per type (overlays/aws/<type>/test-pods/) that patches the tuned test pod to it:
 * its runtime class, CPU counts that fit one NUMA node's isolated CPUs, and hugepages it has;
 * and one HyperConverged overlay per type (overlays/aws/<type>/hyperconverged/) that gives every
 * virt-launcher pod that profile's runtime class: KubeVirt has no per-VM runtime class, so
 * `spec.defaultRuntimeClass` is the only way a VM's CRI-O annotations take effect.
 * Pure: returns the files; the command writes them.
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { withGeneratedHeader } from "../lib/files.ts";
import { planProfile } from "../profile/plan.ts";
import { INSTANCE_TYPES, type InstanceType, topologyOf } from "../topology/catalog.ts";
import { nodeOfCpu } from "../topology/model.ts";

export const INSTANCE_TYPE_ANNOTATION = "workshop.low-latency.io/instance-type";

export interface GeneratedFile {
  /** Relative to the gitops directory. */
  path: string;
  content: string;
}

export interface WorkloadSizes {
  profileName: string;
  /** Whole CPUs for the tuned pod. */
  podCpus: number;
  /** GiB of 1Gi hugepages for the tuned pod. */
  podHugepagesGiB: number;
  /** vCPUs (cores) of the low-latency VM; with its isolated emulator thread it takes vmCores + 1 CPUs. */
  vmCores: number;
  /** Guest memory (GiB, backed by 1Gi pages) of the low-latency VM. */
  vmMemoryGiB: number;
}

const HOW = (what: string) => [
  `${what}, planned from the built-in instance type catalog.`,
  "Regenerate with `llw generate` (from the repository root); `llw generate --check` fails if this file drifted.",
];

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));
const even = (n: number) => n - (n % 2);
const odd = (n: number) => (n % 2 === 1 ? n : n - 1);

/**
 * vCPUs for a VM with dedicated CPUs and an isolated emulator thread: KubeVirt pins vCPUs + 1
 * host CPUs. On an SMT host an odd total leaves one core half-used, its sibling free for another
 * pod's exclusive CPU (or, under the single-numa-node policy, where NTO sets the kubelet's
 * full-pcpus-only, rejects the pod with SMTAlignmentError). So an odd vCPU count: whole cores.
 * HCO's featureGates.alignCPUs would round up instead, but it is a Developer Preview.
 */
export function wholeCoreVcpus(wanted: number, threadsPerCore: number): number {
  return threadsPerCore > 1 ? odd(Math.max(3, wanted)) : Math.max(2, wanted);
}

/**
 * Workload sizes for one instance type. The tuned pod takes a quarter of one NUMA node's
 * isolated CPUs (even, 2 to 16) and the VM about half as many vCPUs (odd, so that with its
 * emulator thread it takes whole cores), so both fit on one NUMA node; hugepages stay well below
 * what the profile allocates.
 */
export function workloadSizes(t: InstanceType): WorkloadSizes & { profile: Record<string, unknown> } {
  const topo = topologyOf(t);
  const plan = planProfile(topo, { instanceType: t.name });
  const node = nodeOfCpu(topo);
  const isolatedOnNode0 = plan.cpus.isolated.filter((c) => node.get(c) === topo.numaNodes[0]!.id).length;
  const podCpus = clamp(even(Math.floor(isolatedOnNode0 / 4)), 2, 16);
  const pages =
    (plan.profile.spec.hugepages as { pages?: { size: string; count: number }[] } | undefined)?.pages ?? [];
  const perNode = pages.find((p) => p.size === "1G")?.count ?? 0;
  if (perNode < 4)
    throw new Error(
      `the plan for ${t.name} has ${perNode} 1G hugepages per NUMA node; the workloads need at least 4`,
    );
  return {
    profile: plan.profile as unknown as Record<string, unknown>,
    profileName: plan.profile.metadata.name,
    podCpus,
    podHugepagesGiB: clamp(Math.floor(perNode / 8), 1, 4),
    vmCores: wholeCoreVcpus(podCpus / 2, t.threadsPerCore),
    vmMemoryGiB: clamp(Math.floor(perNode / 4), 2, 16),
  };
}

function overlay(t: InstanceType, s: WorkloadSizes): string {
  const op = (path: string, value: string | number) =>
    `      - op: replace\n        path: ${path}\n        value: ${typeof value === "string" ? JSON.stringify(value) : value}`;
  return [
    "apiVersion: kustomize.config.k8s.io/v1beta1",
    "kind: Kustomization",
    `# The workshop's VMs on ${t.name} (${t.vcpus} vCPUs, ${t.numaNodes} NUMA node${t.numaNodes === 1 ? "" : "s"}), tuned by PerformanceProfile ${s.profileName}.`,
    `# The low-latency VM: ${s.vmCores} vCPUs + its isolated emulator thread = ${s.vmCores + 1} dedicated CPUs${t.threadsPerCore > 1 ? `, ${(s.vmCores + 1) / 2} whole cores` : ""}.`,
    "resources:",
    "  - ../../../base",
    "patches:",
    "  - target:",
    "      group: kubevirt.io",
    "      kind: VirtualMachine",
    "      name: low-latency-vm",
    "    patch: |-",
    op("/spec/template/spec/domain/cpu/cores", s.vmCores),
    op("/spec/template/spec/domain/memory/guest", `${s.vmMemoryGiB}Gi`),
    "",
  ].join("\n");
}

/** The test pods on this type: the tuned pod on the profile's runtime class, with CPUs and hugepages that fit. */
function testPodsOverlay(t: InstanceType, s: WorkloadSizes): string {
  const op = (path: string, value: string) =>
    `      - op: replace\n        path: ${path}\n        value: ${JSON.stringify(value)}`;
  const pod = "/spec/containers/0/resources";
  return [
    "apiVersion: kustomize.config.k8s.io/v1beta1",
    "kind: Kustomization",
    `# The workshop's test pods on ${t.name}, tuned by PerformanceProfile ${s.profileName}: applied by hand for`,
    "# one check (oc apply -k), never synced by Argo CD; each prints its CPUs and exits.",
    "resources:",
    "  - ../../../../base/test-pods",
    "patches:",
    "  - target:",
    "      kind: Pod",
    "      name: tuned-pod",
    "    patch: |-",
    op("/spec/runtimeClassName", `performance-${s.profileName}`),
    op(`${pod}/requests/cpu`, String(s.podCpus)),
    op(`${pod}/limits/cpu`, String(s.podCpus)),
    op(`${pod}/requests/hugepages-1Gi`, `${s.podHugepagesGiB}Gi`),
    op(`${pod}/limits/hugepages-1Gi`, `${s.podHugepagesGiB}Gi`),
    "",
  ].join("\n");
}

/** The HyperConverged overlay: the operator's instance with the profile's runtime class for all VMs. */
function hyperconvergedOverlay(t: InstanceType, s: WorkloadSizes): { kustomization: string; patch: string } {
  return {
    kustomization: [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      `# OpenShift Virtualization on ${t.name}: every virt-launcher pod runs with runtime class performance-${s.profileName},`,
      "# so the low-latency VM's CRI-O annotations take effect (KubeVirt has no per-VM runtime class).",
      "resources:",
      "  - ../../../../operators/kubevirt-hyperconverged/instance",
      "patches:",
      `  - path: ${RUNTIME_CLASS_PATCH}`,
      "",
    ].join("\n"),
    patch: [
      "apiVersion: hco.kubevirt.io/v1beta1",
      "kind: HyperConverged",
      "metadata:",
      "  name: kubevirt-hyperconverged",
      "  namespace: openshift-cnv",
      "spec:",
      `  defaultRuntimeClass: performance-${s.profileName}`,
      "",
    ].join("\n"),
  };
}

export const RUNTIME_CLASS_PATCH = "default-runtime-class.yaml";

/** Every generated file of the tree, paths relative to the gitops directory. */
export function planGeneratedTree(types: readonly InstanceType[] = INSTANCE_TYPES): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const t of types) {
    const s = workloadSizes(t);
    const profile = s.profile as { metadata: Record<string, unknown> };
    const annotated = {
      ...profile,
      metadata: { ...profile.metadata, annotations: { [INSTANCE_TYPE_ANNOTATION]: t.name } },
    };
    files.push({
      path: join("overlays", "aws", "performance-profiles", `${t.name}.yaml`),
      content: withGeneratedHeader(
        stringify(annotated, { lineWidth: 0, aliasDuplicateObjects: false }),
        HOW(`PerformanceProfile for ${t.name}`),
      ),
    });
    files.push({
      path: join("overlays", "aws", t.name, "kustomization.yaml"),
      content: withGeneratedHeader(overlay(t, s), HOW(`Workload overlay for ${t.name}`)),
    });
    files.push({
      path: join("overlays", "aws", t.name, "test-pods", "kustomization.yaml"),
      content: withGeneratedHeader(testPodsOverlay(t, s), HOW(`Test pod overlay for ${t.name}`)),
    });
    const hco = hyperconvergedOverlay(t, s);
    files.push({
      path: join("overlays", "aws", t.name, "hyperconverged", "kustomization.yaml"),
      content: withGeneratedHeader(hco.kustomization, HOW(`HyperConverged overlay for ${t.name}`)),
    });
    files.push({
      path: join("overlays", "aws", t.name, "hyperconverged", RUNTIME_CLASS_PATCH),
      content: withGeneratedHeader(hco.patch, HOW(`HyperConverged runtime class for ${t.name}`)),
    });
  }
  return files;
}
