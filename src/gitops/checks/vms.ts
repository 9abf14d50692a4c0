/**
 * Checks of the workshop's VMs against how OpenShift Virtualization places and evicts them:
 * the containerDisk release is still supported, a VM pinned to the tuned pool cannot block a
 * drain, and a VM with dedicated CPUs gets whole cores.
 */
import { describeSupport, imageSupport } from "../../kubevirt/image-support.ts";
import { INSTANCE_TYPES } from "../../topology/catalog.ts";
import {
  type Check,
  type CheckContext,
  finding,
  get,
  groupOf,
  isObj,
  type Json,
  type LintFinding,
  type LintObject,
  nameOf,
} from "../model.ts";
import { targetInstanceType } from "./profiles.ts";
import { CRIO_ANNOTATIONS, profilesOf, RUNTIME_CLASS_PREFIX } from "./workloads.ts";

/** A VirtualMachine's template spec or a VirtualMachineInstance's spec, with its JSON path. */
export function vmSpec(o: Json): { spec: Json; metadata: Json; at: string } | undefined {
  if (!String(o.apiVersion).startsWith("kubevirt.io/")) return undefined;
  if (o.kind === "VirtualMachine") {
    const t = get(o, "spec.template");
    if (!isObj(t) || !isObj(t.spec)) return undefined;
    return { spec: t.spec, metadata: isObj(t.metadata) ? t.metadata : {}, at: "spec.template.spec" };
  }
  if (o.kind === "VirtualMachineInstance" && isObj(o.spec))
    return { spec: o.spec, metadata: isObj(o.metadata) ? o.metadata : {}, at: "spec" };
  return undefined;
}

/** Every image a VM boots from: containerDisks and registry-imported DataVolumes. */
function imagesOf(o: Json, at: string, spec: Json): { image: string; path: string }[] {
  const out: { image: string; path: string }[] = [];
  const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
  volumes.forEach((v, i) => {
    const image = get(v, "containerDisk.image");
    if (typeof image === "string") out.push({ image, path: `${at}.volumes[${i}].containerDisk.image` });
  });
  const templates = get(o, "spec.dataVolumeTemplates");
  if (Array.isArray(templates))
    templates.forEach((t, i) => {
      const url = get(t, "spec.source.registry.url");
      if (typeof url === "string" && url.startsWith("docker://"))
        out.push({
          image: url.slice("docker://".length),
          path: `spec.dataVolumeTemplates[${i}].spec.source.registry.url`,
        });
    });
  return out;
}

export const checkVmImages: Check = (objects, ctx) => {
  const now = ctx.now ?? new Date();
  const out: LintFinding[] = [];
  for (const at of objects) {
    const vm = vmSpec(at.obj);
    if (!vm) continue;
    for (const { image, path } of imagesOf(at.obj, vm.at, vm.spec)) {
      const s = imageSupport(image, now);
      const text = describeSupport(image, s, now);
      if (!text) continue;
      out.push(finding(s.status === "unknown-release" ? "info" : "warning", "vm-image", at, path, text));
    }
  }
  return out;
};

const isHyperConverged = (o: Json) => o.kind === "HyperConverged" && groupOf(o) === "hco.kubevirt.io";

/** What the HyperConverged(s) of the tree say, for every VM of the cluster. */
function clusterDefaults(ctx: CheckContext, objects: LintObject[]) {
  const facts = [...objects, ...(ctx.repoObjects ?? [])].filter((a) => isHyperConverged(a.obj));
  const profiles = profilesOf([...objects, ...(ctx.repoObjects ?? [])]);
  const strategies = new Set<string>();
  let pinningClass: string | undefined;
  for (const { obj } of facts) {
    const es = get(obj, "spec.evictionStrategy");
    if (typeof es === "string") strategies.add(es);
    const rc = get(obj, "spec.defaultRuntimeClass");
    if (
      typeof rc === "string" &&
      rc.startsWith(RUNTIME_CLASS_PREFIX) &&
      profiles.has(rc.slice(RUNTIME_CLASS_PREFIX.length))
    )
      pinningClass = rc;
  }
  return { strategy: strategies.size === 1 ? [...strategies][0] : undefined, pinningClass, profiles };
}

/**
 * Why a VM can only run on the tuned pool, if it can: dedicated CPUs or the CRI-O annotations
 * (it needs the profile's runtime class), a node selector of a profile's pool, or the cluster's
 * default runtime class (a PerformanceProfile's RuntimeClass carries the profile's node selector).
 */
function pinnedBy(
  vm: { spec: Json; metadata: Json },
  defaults: ReturnType<typeof clusterDefaults>,
): string | undefined {
  if (defaults.pinningClass)
    return `HyperConverged defaultRuntimeClass ${defaults.pinningClass} gives it the profile's node selector`;
  if (get(vm.spec, "domain.cpu.dedicatedCpuPlacement") === true) return "it has dedicated CPUs";
  const ann = vm.metadata.annotations;
  if (isObj(ann) && CRIO_ANNOTATIONS.some((a) => a in ann)) return "it carries the CRI-O annotations";
  const sel = isObj(vm.spec.nodeSelector) ? vm.spec.nodeSelector : {};
  for (const [name, p] of defaults.profiles)
    if (Object.keys(p.nodeSelector).some((k) => k in sel))
      return `its node selector is PerformanceProfile ${name}'s pool`;
  return undefined;
}

/**
 * A VM pinned to the tuned pool must not block a drain. HCO's default evictionStrategy is
 * LiveMigrate on a cluster with several workers (HyperConverged CRD, spec.evictionStrategy,
 * kubevirt/hyperconverged-cluster-operator release-1.15); a VM with no migration target then
 * holds the drain, and the MachineConfigPool rollout, forever. A VM's own strategy wins over the
 * cluster's (KubeVirt API, VirtualMachineInstanceSpec.evictionStrategy).
 */
export const checkEvictionStrategy: Check = (objects, ctx) => {
  const defaults = clusterDefaults(ctx, objects);
  const out: LintFinding[] = [];
  for (const at of objects) {
    const vm = vmSpec(at.obj);
    if (!vm) continue;
    const why = pinnedBy(vm, defaults);
    if (!why) continue;
    const own = vm.spec.evictionStrategy;
    const effective = typeof own === "string" ? own : defaults.strategy;
    if (effective === "None") continue;
    const what =
      effective === undefined
        ? "no evictionStrategy (the cluster default, LiveMigrate with several workers)"
        : `evictionStrategy ${effective}${typeof own === "string" ? "" : " (the HyperConverged's)"}`;
    out.push(
      finding(
        "error",
        "eviction",
        at,
        `${vm.at}.evictionStrategy`,
        `${what}: ${nameOf(at.obj)} runs only on the tuned pool (${why}), where it has no node to live-migrate to, so a drain (every MachineConfigPool rollout) waits on it forever: set ${vm.at}.evictionStrategy: None (or HyperConverged spec.evictionStrategy: None)`,
      ),
    );
  }
  return out;
};

/** Hardware threads per core on the tuned nodes, from the profiles' instance types (2 when unknown). */
function threadsOnTunedNodes(objects: LintObject[], ctx: CheckContext, vm: { spec: Json }): number {
  const sel = isObj(vm.spec.nodeSelector) ? vm.spec.nodeSelector : {};
  const profiles = [...objects, ...(ctx.repoObjects ?? [])].filter(
    (a) => a.obj.kind === "PerformanceProfile",
  );
  const matching = profiles.filter((p) => {
    const ps = get(p.obj, "spec.nodeSelector");
    return isObj(ps) && Object.keys(ps).some((k) => k in sel);
  });
  const relevant = matching.length > 0 ? matching : profiles;
  if (relevant.length === 0) return 2;
  const threads = relevant.map((p) => {
    const args = get(p.obj, "spec.additionalKernelArgs");
    if (Array.isArray(args) && args.includes("nosmt")) return 1;
    const type = targetInstanceType(p.obj);
    return INSTANCE_TYPES.find((t) => t.name === type)?.threadsPerCore ?? 2;
  });
  return Math.max(...threads);
}

/**
 * A VM with dedicated CPUs takes vCPUs (+1 with an isolated emulator thread) host CPUs, handed
 * out by the kubelet's static CPU manager. On an SMT host an odd count leaves one core half-used:
 * its sibling goes to another pod's exclusive CPUs, which then share that core's execution units
 * and caches with the VM. Under the single-numa-node policy NTO turns on the kubelet's
 * full-pcpus-only (openshift/cluster-node-tuning-operator, main, pkg/performanceprofile/controller/
 * performanceprofile/components/kubeletconfig/kubeletconfig.go), and the pod is rejected with
 * SMTAlignmentError. HCO's featureGates.alignCPUs (Developer Preview) makes KubeVirt add CPUs to an
 * even count; with it the VM is not reported.
 */
export const checkWholeCores: Check = (objects, ctx) => {
  const facts = [...objects, ...(ctx.repoObjects ?? [])];
  const aligned = facts.some(
    (a) => isHyperConverged(a.obj) && get(a.obj, "spec.featureGates.alignCPUs") === true,
  );
  const strict = facts.some(
    (a) =>
      a.obj.kind === "PerformanceProfile" && get(a.obj, "spec.numa.topologyPolicy") === "single-numa-node",
  );
  const out: LintFinding[] = [];
  if (aligned) return out;
  for (const at of objects) {
    const vm = vmSpec(at.obj);
    if (!vm) continue;
    const cpu = get(vm.spec, "domain.cpu");
    if (!isObj(cpu) || cpu.dedicatedCpuPlacement !== true) continue;
    const n = (k: string) => (typeof cpu[k] === "number" ? (cpu[k] as number) : 1);
    const vcpus = n("cores") * n("sockets") * n("threads");
    const emulator = cpu.isolateEmulatorThread === true ? 1 : 0;
    const total = vcpus + emulator;
    if (total % 2 === 0 || threadsOnTunedNodes(objects, ctx, vm) < 2) continue;
    const sum = emulator ? `${vcpus} vCPUs + 1 isolated emulator thread = ${total}` : `${vcpus} vCPUs`;
    out.push(
      finding(
        "error",
        "whole-cores",
        at,
        `${vm.at}.domain.cpu.cores`,
        `${sum} dedicated CPUs: an odd count on an SMT host splits a physical core, ${
          strict
            ? "which the kubelet refuses under the single-numa-node policy (full-pcpus-only: SMTAlignmentError)"
            : "whose sibling then goes to another workload's exclusive CPUs"
        }: give it ${vcpus - 1 > 0 ? `${vcpus - 1} or ` : ""}${vcpus + 1} vCPUs (cores), or turn on HyperConverged featureGates.alignCPUs (Developer Preview)`,
      ),
    );
  }
  return out;
};
