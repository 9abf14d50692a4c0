/**
 * A secondary network is only usable if the device plugin advertises its resource: each
 * NetworkAttachmentDefinition's resourceName annotation (and each SriovNetwork's resourceName)
 * must name a SriovNetworkNodePolicy's resource somewhere in the tree.
 */
import { annotations, type Check, finding, get, type LintFinding } from "../model.ts";

const RESOURCE_ANNOTATION = "k8s.v1.cni.cncf.io/resourceName";

export const checkSriov: Check = (objects) => {
  const resources = new Set<string>();
  for (const { obj } of objects) {
    if (obj.kind !== "SriovNetworkNodePolicy") continue;
    const r = get(obj, "spec.resourceName");
    if (typeof r === "string") resources.add(r);
  }
  const known =
    resources.size > 0
      ? `policies in the tree provide: ${[...resources].join(", ")}`
      : "the tree has no SriovNetworkNodePolicy";
  const out: LintFinding[] = [];
  for (const at of objects) {
    if (at.obj.kind === "NetworkAttachmentDefinition") {
      const value = annotations(at.obj)[RESOURCE_ANNOTATION];
      if (value === undefined) continue;
      // The SR-IOV device plugin advertises resources under the openshift.io/ prefix.
      const name = value.includes("/") ? value.slice(value.indexOf("/") + 1) : value;
      if (!resources.has(name)) {
        out.push(
          finding(
            "error",
            "sriov",
            at,
            `metadata.annotations["${RESOURCE_ANNOTATION}"]`,
            `resource ${value} is not provided by any SriovNetworkNodePolicy (${known})`,
          ),
        );
      }
    }
    if (at.obj.kind === "SriovNetwork") {
      const r = get(at.obj, "spec.resourceName");
      if (typeof r === "string" && !resources.has(r)) {
        out.push(
          finding(
            "error",
            "sriov",
            at,
            "spec.resourceName",
            `resource ${r} is not provided by any SriovNetworkNodePolicy (${known})`,
          ),
        );
      }
    }
  }
  return out;
};
