/**
 * PerformanceProfiles against the admission webhook's rules and, when the instance type a
 * profile targets is known, against that type's CPUs and memory (the profile planner's own
 * validator). The target is the workshop.low-latency.io/instance-type annotation, or the
 * workshop's naming convention workshop-<type with dots as dashes>.
 */
import { validateProfile } from "../../profile/validate.ts";
import { INSTANCE_TYPES, topologyOf } from "../../topology/catalog.ts";
import { annotations, type Check, finding, type LintFinding, nameOf } from "../model.ts";

const ANNOTATION = "workshop.low-latency.io/instance-type";

export function targetInstanceType(obj: Record<string, unknown>): string | undefined {
  const a = annotations(obj)[ANNOTATION];
  if (a) return a;
  const name = nameOf(obj);
  return INSTANCE_TYPES.find((t) => name === `workshop-${t.name.replaceAll(".", "-")}`)?.name;
}

export const checkProfiles: Check = (objects) => {
  const out: LintFinding[] = [];
  for (const at of objects) {
    if (at.obj.kind !== "PerformanceProfile") continue;
    const type = targetInstanceType(at.obj);
    const known = type ? INSTANCE_TYPES.find((t) => t.name === type) : undefined;
    if (type && !known) {
      out.push(
        finding(
          "error",
          "performance-profile",
          at,
          `metadata.annotations["${ANNOTATION}"]`,
          `unknown instance type "${type}"; the catalog knows ${INSTANCE_TYPES.map((t) => t.name).join(", ")}`,
        ),
      );
    }
    for (const f of validateProfile(at.obj, known ? topologyOf(known) : undefined)) {
      const on = f.source === "topology" && known ? ` (on ${known.name})` : "";
      out.push(finding(f.severity, "performance-profile", at, f.path, `${f.message}${on}`));
    }
  }
  return out;
};
