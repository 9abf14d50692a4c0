/**
 * Checks of the workshop's VMs against how OpenShift Virtualization places and evicts them:
 * the containerDisk release is still supported, a VM pinned to the tuned pool cannot block a
 * drain, and a VM with dedicated CPUs gets whole cores.
 */
import { describeSupport, imageSupport } from "../../kubevirt/image-support.ts";
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
