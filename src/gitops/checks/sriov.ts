/**
 * A secondary network is only usable if the device plugin advertises its resource: each
 * NetworkAttachmentDefinition's resourceName annotation (and each SriovNetwork's resourceName)
 * must name a SriovNetworkNodePolicy's resource somewhere in the tree.
 *
 * And a policy must get past the operator's admission webhook, or its Application never syncs:
 * before OpenShift 4.22 the supported-NIC list has no Amazon entry, so with the webhook enabled
 * (SriovOperatorConfig default, enableOperatorWebhook) a policy with vendor 1d0f (ENA) is rejected
 * ("vendor 1d0f is not supported"). A policy that selects ENIs the 4.22 way, by
 * `nicSelector.netFilter: aws/NetworkID:<subnet>`, fails too: without the AWS platform no
 * SriovNetworkNodeState reports that netFilter, so the webhook finds no interface and answers "no
 * supported NIC is selected by the nicSelector in CR <name>" (openshift/sriov-network-operator
 * release-4.20, pkg/webhook/validate.go dynamicValidateSriovNetworkNodePolicy). The version is not
 * in the tree: `llw lint --ocp-version` makes this an error, without it a warning.
 */
import { FIRST_OPERATOR_AWS_VERSION } from "../../sriov/generate.ts";
import { annotations, type Check, finding, get, type LintFinding, type LintObject } from "../model.ts";

const AMAZON_VENDOR = "1d0f";
const AWS_NET_FILTER = /^aws\//;

/** The SriovOperatorConfig that enables the webhook, among the tree's objects. */
function webhookConfig(objects: LintObject[]): LintObject | undefined {
  return objects.find(
    (at) =>
      at.obj.kind === "SriovOperatorConfig" &&
      String(at.obj.apiVersion).startsWith("sriovnetwork.openshift.io/") &&
      get(at.obj, "spec.enableOperatorWebhook") === true,
  );
}

const checkEnaPolicies: Check = (objects, ctx) => {
  const config = webhookConfig([...objects, ...(ctx.repoObjects ?? [])]);
  if (!config) return [];
  const v = ctx.ocpVersion;
  const first = `${FIRST_OPERATOR_AWS_VERSION.major}.${FIRST_OPERATOR_AWS_VERSION.minor}`;
  const before =
    v !== undefined &&
    (v.major < FIRST_OPERATOR_AWS_VERSION.major ||
      (v.major === FIRST_OPERATOR_AWS_VERSION.major && v.minor < FIRST_OPERATOR_AWS_VERSION.minor));
  if (v !== undefined && !before) return [];
  const where = config.file ? ` (${config.file})` : "";
  const out: LintFinding[] = [];
  for (const at of objects) {
    if (at.obj.kind !== "SriovNetworkNodePolicy") continue;
    const vendor = get(at.obj, "spec.nicSelector.vendor");
    const netFilter = get(at.obj, "spec.nicSelector.netFilter");
    const byVendor = typeof vendor === "string" && vendor.toLowerCase() === AMAZON_VENDOR;
    const byNetFilter = typeof netFilter === "string" && AWS_NET_FILTER.test(netFilter);
    if (!byVendor && byNetFilter) {
      out.push(
        v !== undefined
          ? finding(
              "error",
              "sriov",
              at,
              "spec.nicSelector.netFilter",
              `on OpenShift ${v.major}.${v.minor} the SR-IOV operator has no AWS platform, so no node reports the netFilter ${netFilter}: its webhook, enabled by SriovOperatorConfig default${where}, rejects this policy ("no supported NIC is selected by the nicSelector") and the Application never syncs; generate the host-device attachments instead (llw sriov generate --ocp-version ${v.major}.${v.minor})`,
            )
          : finding(
              "warning",
              "sriov",
              at,
              "spec.nicSelector.netFilter",
              `netFilter ${netFilter} selects ENIs only with the SR-IOV operator's AWS platform (OpenShift ${first} and later); before that its webhook, enabled by SriovOperatorConfig default${where}, rejects the policy. Pass llw lint --ocp-version to check`,
            ),
      );
      continue;
    }
    if (!byVendor) continue;
    out.push(
      v !== undefined
        ? finding(
            "error",
            "sriov",
            at,
            "spec.nicSelector.vendor",
            `on OpenShift ${v.major}.${v.minor} the SR-IOV operator's webhook, enabled by SriovOperatorConfig default${where}, rejects this policy ("vendor ${AMAZON_VENDOR} is not supported" before ${first}), so its Application never syncs: generate the host-device attachments instead (llw sriov generate --ocp-version ${v.major}.${v.minor})`,
          )
        : finding(
            "warning",
            "sriov",
            at,
            "spec.nicSelector.vendor",
            `vendor ${AMAZON_VENDOR} (Amazon ENA) passes the SR-IOV operator's webhook, enabled by SriovOperatorConfig default${where}, only from OpenShift ${first}; before that it is rejected and the Application never syncs. Pass llw lint --ocp-version to check`,
          ),
    );
  }
  return out;
};

const RESOURCE_ANNOTATION = "k8s.v1.cni.cncf.io/resourceName";

export const checkSriov: Check = (objects, ctx) => {
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
  const out: LintFinding[] = checkEnaPolicies(objects, ctx);
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
