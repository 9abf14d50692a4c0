/**
 * Offline checks of a tuning change set before anything touches the cluster: the
 * PerformanceProfile admission-webhook rules (src/profile/validate.ts) and the SR-IOV node
 * policy rules. A change set with errors is refused: a rejected object halfway through a
 * paused rollout would leave the pool paused for nothing.
 */
import type { Problem } from "../lib/errors.ts";
import { validateProfile } from "../profile/validate.ts";
import type { LoadedObject } from "./manifests.ts";

export function checkChangeSet(objects: LoadedObject[]): Problem[] {
  const out: Problem[] = [];
  for (const { object: o, source } of objects) {
    const where = (path: string) => `${source}: ${o.kind} ${o.metadata.name}${path ? ` ${path}` : ""}`;
    if (o.kind === "PerformanceProfile") {
      for (const f of validateProfile(o))
        if (f.severity === "error") out.push({ what: f.message, where: where(f.path) });
    }
    if (o.kind === "SriovNetworkNodePolicy") {
      const s = o.spec ?? {};
      if (typeof s.resourceName !== "string" || !/^[a-zA-Z0-9_]+$/.test(s.resourceName)) {
        out.push({
          what: `resourceName "${s.resourceName ?? ""}" must match ^[a-zA-Z0-9_]+$`,
          where: where("spec.resourceName"),
        });
      }
      if (!s.nodeSelector || Object.keys(s.nodeSelector).length === 0)
        out.push({ what: "nodeSelector is required", where: where("spec.nodeSelector") });
      if (!Number.isInteger(s.numVfs) || s.numVfs < 0)
        out.push({ what: "numVfs must be an integer >= 0", where: where("spec.numVfs") });
      const nic = s.nicSelector ?? {};
      if (
        !["vendor", "deviceID", "pfNames", "rootDevices", "netFilter"].some(
          (k) => nic[k] !== undefined && nic[k] !== "",
        )
      ) {
        out.push({
          what: "nicSelector needs at least one of vendor, deviceID, pfNames, rootDevices, netFilter",
          where: where("spec.nicSelector"),
        });
      }
      if (s.isRdma && s.deviceType === "vfio-pci")
        out.push({ what: "isRdma cannot be used with deviceType vfio-pci", where: where("spec.isRdma") });
      if (s.priority !== undefined && (s.priority < 0 || s.priority > 99))
        out.push({ what: "priority must be 0-99", where: where("spec.priority") });
    }
  }
  return out;
}
