/**
 * The runtime class of the low-latency VMs. KubeVirt has no per-VM runtimeClassName: the only
 * way a virt-launcher pod gets a PerformanceProfile's runtime class (and with it the effect of
 * the CRI-O annotations on its vCPUs) is HyperConverged `spec.defaultRuntimeClass`, which applies
 * to every VM on the cluster. A VM template with the CRI-O annotations or dedicated CPUs therefore
 * needs a HyperConverged whose default runtime class is performance-<profile> for a profile in
 * the tree, and a HyperConverged naming such a class needs that profile.
 */
import { type Check, finding, get, groupOf, isObj, type LintFinding, type LintObject } from "../model.ts";
import { CRIO_ANNOTATIONS, profilesOf, RUNTIME_CLASS_PREFIX } from "./workloads.ts";

const isHyperConverged = (at: LintObject) =>
  at.obj.kind === "HyperConverged" && groupOf(at.obj) === "hco.kubevirt.io";

/** Where a VM (or VMI) asks for low-latency placement, if it does. */
function tunedVm(at: LintObject): { path: string; what: string } | undefined {
  const { obj } = at;
  if (!String(obj.apiVersion).startsWith("kubevirt.io/")) return undefined;
  const tpl =
    obj.kind === "VirtualMachine" ? "spec.template" : obj.kind === "VirtualMachineInstance" ? "" : undefined;
  if (tpl === undefined) return undefined;
  const at_ = (p: string) => (tpl ? `${tpl}.${p}` : p);
  const ann = get(obj, at_("metadata.annotations"));
  if (isObj(ann) && CRIO_ANNOTATIONS.some((a) => a in ann))
    return { path: at_("metadata.annotations"), what: "its CRI-O annotations" };
  if (get(obj, at_("spec.domain.cpu.dedicatedCpuPlacement")) === true)
    return {
      path: at_("spec.domain.cpu.dedicatedCpuPlacement"),
      what: "its dedicated CPUs (IRQ and CFS quota isolation)",
    };
  return undefined;
}

export const checkVmRuntimeClass: Check = (objects, ctx) => {
  // Facts come from the linted objects and from the rest of the repository (a VM in base/ is
  // given its runtime class by an overlay elsewhere).
  const facts = [...objects, ...(ctx.repoObjects ?? [])];
  const profiles = profilesOf(facts);
  const classes = new Set<string>();
  for (const at of facts) {
    const rc = isHyperConverged(at) ? get(at.obj, "spec.defaultRuntimeClass") : undefined;
    if (typeof rc === "string" && rc !== "") classes.add(rc);
  }
  const profileOf = (rc: string) =>
    rc.startsWith(RUNTIME_CLASS_PREFIX) ? rc.slice(RUNTIME_CLASS_PREFIX.length) : undefined;
  const usable = [...classes].filter((rc) => profiles.has(profileOf(rc) ?? ""));
  const known = profiles.size > 0 ? ` (profiles: ${[...profiles.keys()].join(", ")})` : "";
  const out: LintFinding[] = [];
  for (const at of objects) {
    if (isHyperConverged(at)) {
      const rc = get(at.obj, "spec.defaultRuntimeClass");
      const profile = typeof rc === "string" ? profileOf(rc) : undefined;
      if (profile !== undefined && !profiles.has(profile)) {
        out.push(
          finding(
            "error",
            "runtime-class",
            at,
            "spec.defaultRuntimeClass",
            `runtime class ${String(rc)} belongs to a PerformanceProfile named "${profile}", which is not in the tree${known}: every virt-launcher pod would be rejected`,
          ),
        );
      }
      continue;
    }
    const tuned = tunedVm(at);
    if (!tuned || usable.length > 0) continue;
    const why =
      classes.size === 0
        ? "no HyperConverged in the tree sets it"
        : `the tree's HyperConverged sets ${[...classes].join(", ")}, which is not the runtime class of a PerformanceProfile in the tree`;
    out.push(
      finding(
        "error",
        "runtime-class",
        at,
        tuned.path,
        `${tuned.what} take effect only under a PerformanceProfile's runtime class, and KubeVirt has no per-VM runtime class: set HyperConverged spec.defaultRuntimeClass: performance-<profile> (${why})`,
      ),
    );
  }
  return out;
};
