/**
 * Plans the SR-IOV manifests for the workers' dedicated interfaces, by OpenShift version:
 *
 * - 4.22 and later ("operator"): the SR-IOV Network Operator knows platform aws. One
 *   SriovNetworkNodePolicy per data subnet selects the ENA devices with
 *   `nicSelector.netFilter: aws/NetworkID:<subnet>` (numVfs 1: each ENI is one "VF"). With
 *   deviceType netdevice, one host-device NetworkAttachmentDefinition per data subnet and node,
 *   carrying the resourceName annotation and the node's ENI address (static IPAM); with vfio-pci
 *   none (a DPDK pod requests the resource and gets /dev/vfio). Never a SriovNetwork: see
 *   SRIOV_NETWORK_ON_AWS.
 * - 4.19 to 4.21 ("host-device"): the operator never sees ENA devices, so each dedicated ENI gets a
 *   host-device NetworkAttachmentDefinition that selects it by MAC (`hwaddr`) with the ENI's own
 *   private IP, and the node it lives on, where pods using it must run.
 *
 * Pure: the detection result and options in, objects and explanations out.
 */
import { ProblemList, UserError } from "../lib/errors.ts";
import type { DataSubnet, Detection } from "./classify.ts";

export const OPERATOR_NAMESPACE = "openshift-sriov-network-operator";
export const FIRST_OPERATOR_AWS_VERSION = { major: 4, minor: 22 };
export const OLDEST_SUPPORTED_VERSION = { major: 4, minor: 19 };
export const NODE_ANNOTATION = "workshop.low-latency.io/node";
export const INSTANCE_ANNOTATION = "workshop.low-latency.io/instance-id";

export type DeviceType = "netdevice" | "vfio-pci";
export type NetworkKind = "nad" | "sriovnetwork";
export type Mechanism = "operator" | "host-device";

export interface GenerateOptions {
  /** OpenShift version, e.g. "4.22" or "4.19.7". */
  ocpVersion: string;
  deviceType: DeviceType;
  networkKind: NetworkKind;
  /** Label (with empty value) that selects the metal pool's nodes, e.g. node-role.kubernetes.io/worker-metal. */
  nodeSelectorLabel: string;
  /** Namespace of the NetworkAttachmentDefinitions (where the workload pods run). */
  networkNamespace: string;
}

export interface PlannedObject {
  /** File name inside the output directory: `<kind>-<name>.yaml`. */
  file: string;
  object: Record<string, unknown>;
}

export interface SriovPlan {
  ocpVersion: string;
  mechanism: Mechanism;
  objects: PlannedObject[];
  /** Why this mechanism, and what it costs; printed by the command and written into kustomization.yaml. */
  explanation: string[];
}

export interface OcpVersion {
  major: number;
  minor: number;
}

export function parseOcpVersion(v: string): OcpVersion {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(v.trim());
  if (!m) {
    throw new UserError({
      what: `"${v}" is not an OpenShift version`,
      where: "--ocp-version",
      next: "give major.minor, e.g. --ocp-version 4.19 or 4.22 (`oc get clusterversion` shows it)",
    });
  }
  const version = { major: Number(m[1]), minor: Number(m[2]) };
  if (compare(version, OLDEST_SUPPORTED_VERSION) < 0) {
    throw new UserError({
      what: `OpenShift ${version.major}.${version.minor} is older than the workshop supports (4.19)`,
      where: "--ocp-version",
      next: "upgrade the cluster to 4.19 or later",
    });
  }
  return version;
}

function compare(a: OcpVersion, b: OcpVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

export function mechanismFor(v: OcpVersion): Mechanism {
  return compare(v, FIRST_OPERATOR_AWS_VERSION) >= 0 ? "operator" : "host-device";
}

/** A DNS-1123 label from free text: lower case, [a-z0-9-], at most `max` characters. */
export function dnsLabel(s: string, max = 63): string {
  const l = s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  return l.slice(0, max).replace(/-$/, "") || "x";
}

/** Short, stable name for a data subnet: its Name tag, else its id without "subnet-". */
export function subnetLabel(ds: Pick<DataSubnet, "subnetId" | "name">): string {
  return dnsLabel(ds.name ?? ds.subnetId.replace(/^subnet-/, ""), 40);
}

/** Operator resource names allow only [a-zA-Z0-9_]. */
export function resourceNameFor(ds: Pick<DataSubnet, "subnetId" | "name">, deviceType: DeviceType): string {
  return `aws_${subnetLabel(ds).replace(/-/g, "_")}${deviceType === "vfio-pci" ? "_vfio" : ""}`;
}

const LABELS = { "app.kubernetes.io/managed-by": "llw", "app.kubernetes.io/part-of": "low-latency-workshop" };

/**
 * Why --network-kind sriovnetwork is refused on AWS. The operator renders a SriovNetwork into a
 * NetworkAttachmentDefinition of type sriov; the sriov CNI finds the device's parent physical
 * function through /sys/bus/pci/devices/<device>/physfn (k8snetworkplumbingwg/sriov-cni
 * pkg/utils GetPfName), which an ENA device (each ENI is a PCI function of its own, with no SR-IOV
 * parent) does not have, so every pod attached to it fails to start. Upstream's own AWS test
 * (openshift/sriov-network-operator release-4.22 test/conformance/tests/test_aws_platform.go) uses
 * a host-device attachment only.
 */
export const SRIOV_NETWORK_ON_AWS =
  "a SriovNetwork becomes an attachment of type sriov, and the sriov CNI needs the device's parent physical function " +
  "(physfn), which an ENA interface does not have: every pod attached to it would fail to start";

/**
 * How a pod on a host-device attachment gets its address. The VPC delivers to an ENI only its own
 * addresses, so the pod must use the ENI's address: static IPAM with the address llw read from
 * EC2, one attachment per node. DHCP IPAM would get that address from the VPC too, but the CNI
 * dhcp plugin adds a default route through the DHCP router (containernetworking/plugins
 * plugins/ipam/dhcp/lease.go Routes(): "we must add a default route"), and the VPC's DHCP always
 * names one, which would compete with the pod's cluster-network default route; it also needs the
 * cluster network operator's DHCP shim deployed. So: static.
 */
function staticIpam(
  address: string | undefined,
  cidr: string | undefined,
): Record<string, unknown> | undefined {
  const prefix = prefixLength(cidr);
  return address && prefix !== undefined
    ? { type: "static", addresses: [{ address: `${address}/${prefix}` }] }
    : undefined;
}

/** The name a node goes by in manifests: its Node name, else its private DNS name, else its instance id. */
function nodeOf(i: { instanceId: string; nodeName?: string; privateDnsName?: string }): string {
  return i.nodeName ?? i.privateDnsName ?? i.instanceId;
}
/** The SR-IOV CRDs come with the operator: Argo CD must not dry-run these before it is installed. */
const ARGO_CRD_LATER = { "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true" };

function operatorPlan(det: Detection, o: GenerateOptions): PlannedObject[] {
  const out: PlannedObject[] = [];
  for (const ds of det.dataSubnets) {
    const label = subnetLabel(ds);
    const suffix = o.deviceType === "vfio-pci" ? "-vfio" : "";
    const name = `aws-${label}${suffix}`;
    const resourceName = resourceNameFor(ds, o.deviceType);
    out.push({
      file: `sriov-network-node-policy-${name}.yaml`,
      object: {
        apiVersion: "sriovnetwork.openshift.io/v1",
        kind: "SriovNetworkNodePolicy",
        metadata: {
          name,
          namespace: OPERATOR_NAMESPACE,
          labels: LABELS,
          annotations: { ...ARGO_CRD_LATER, "workshop.low-latency.io/subnet": ds.subnetId },
        },
        spec: {
          resourceName,
          nodeSelector: { [o.nodeSelectorLabel]: "" },
          numVfs: 1,
          nicSelector: { netFilter: ds.netFilter },
          deviceType: o.deviceType,
        },
      },
    });
    // vfio-pci devices have no network interface for a CNI to move: a DPDK pod requests the
    // resource and gets /dev/vfio from the device plugin (as upstream's AWS test does).
    if (o.deviceType === "vfio-pci") continue;
    for (const i of ds.interfaces) {
      const node = nodeOf(i);
      const nadName = dnsLabel(`aws-${label}-${dnsLabel(node.split(".")[0]!, 30)}`);
      const ipam = staticIpam(i.eni.privateIpAddress, ds.cidrBlock);
      out.push({
        file: `network-attachment-definition-${nadName}.yaml`,
        object: {
          apiVersion: "k8s.cni.cncf.io/v1",
          kind: "NetworkAttachmentDefinition",
          metadata: {
            name: nadName,
            namespace: o.networkNamespace,
            labels: LABELS,
            annotations: {
              "k8s.v1.cni.cncf.io/resourceName": `openshift.io/${resourceName}`,
              [NODE_ANNOTATION]: node,
              [INSTANCE_ANNOTATION]: i.instanceId,
              "workshop.low-latency.io/eni": i.eni.networkInterfaceId,
              "workshop.low-latency.io/subnet": ds.subnetId,
            },
          },
          spec: {
            config: JSON.stringify({
              cniVersion: "1.0.0",
              name: nadName,
              type: "host-device",
              capabilities: { deviceID: true },
              ...(ipam && { ipam }),
            }),
          },
        },
      });
    }
  }
  return out;
}

function prefixLength(cidr: string | undefined): number | undefined {
  const m = /\/(\d+)$/.exec(cidr ?? "");
  return m ? Number(m[1]) : undefined;
}

function hostDevicePlan(det: Detection, o: GenerateOptions): PlannedObject[] {
  const out: PlannedObject[] = [];
  for (const ds of det.dataSubnets) {
    for (const { instanceId, nodeName, privateDnsName, eni } of ds.interfaces) {
      const node = nodeOf({
        instanceId,
        ...(nodeName && { nodeName }),
        ...(privateDnsName && { privateDnsName }),
      });
      const host = dnsLabel(node.split(".")[0]!, 30);
      const card = eni.networkCardIndex ? `c${eni.networkCardIndex}` : "";
      const name = dnsLabel(`aws-${host}-${card}eni${eni.deviceIndex ?? 0}`);
      const config: Record<string, unknown> = {
        cniVersion: "1.0.0",
        name,
        type: "host-device",
        hwaddr: eni.macAddress,
      };
      // The VPC delivers only the ENI's own addresses to it: the pod must use that IP.
      const ipam = staticIpam(eni.privateIpAddress, ds.cidrBlock);
      if (ipam) config.ipam = ipam;
      out.push({
        file: `network-attachment-definition-${name}.yaml`,
        object: {
          apiVersion: "k8s.cni.cncf.io/v1",
          kind: "NetworkAttachmentDefinition",
          metadata: {
            name,
            namespace: o.networkNamespace,
            labels: LABELS,
            annotations: {
              [NODE_ANNOTATION]: node,
              [INSTANCE_ANNOTATION]: instanceId,
              "workshop.low-latency.io/eni": eni.networkInterfaceId,
              "workshop.low-latency.io/subnet": ds.subnetId,
            },
          },
          spec: { config: JSON.stringify(config) },
        },
      });
    }
  }
  return out;
}

function explain(mechanism: Mechanism, v: OcpVersion, o: GenerateOptions, det: Detection): string[] {
  const ver = `${v.major}.${v.minor}`;
  if (mechanism === "operator") {
    return [
      `OpenShift ${ver}: the SR-IOV Network Operator runs with platform "aws" (nodes' providerID starts with aws://).`,
      "Each extra ENI is one ENA device the operator reports with totalvfs=1; a SriovNetworkNodePolicy per data subnet " +
        "selects those devices by netFilter (aws/NetworkID:<subnet>) with numVfs: 1.",
      o.deviceType === "vfio-pci"
        ? "deviceType vfio-pci binds the ENA devices to vfio-pci for DPDK in pods: the operator loads vfio in no-IOMMU mode " +
          "(no profile enables the IOMMU on these hosts), so a pod requesting the resource gets /dev/vfio, but a VM cannot take the device " +
          "(no PCI passthrough); the device leaves the kernel network stack and no attachment is generated."
        : "deviceType netdevice keeps the kernel ena driver; pods get the interface through the host-device CNI (deviceID from the device plugin), " +
          "one attachment per data subnet and node with that node's ENI address (static IPAM: the VPC delivers only the ENI's own " +
          "addresses; DHCP IPAM would add a default route through the data subnet). A pod names the attachment of its node and is pinned there.",
      "The operator reads a node's ENIs from instance metadata once, when its config daemon first starts, and keeps them until the node " +
        "reboots (a checkpoint in /tmp): ENIs attached after that stay invisible. Attach the data ENIs before installing the operator, " +
        "or drain and reboot each metal worker once after `llw aws network up`.",
      "It reads instance metadata without an IMDSv2 token: metal workers that require IMDSv2 show no ENIs (llw aws machineset --imds optional).",
      "Applying the policies may drain and reboot the metal workers; pause their MachineConfigPool to group changes.",
    ];
  }
  const nodes = new Set(
    det.dataSubnets.flatMap((d) => d.interfaces.map((i) => i.nodeName ?? i.privateDnsName ?? i.instanceId)),
  );
  const assumed = det.dataSubnets.some((d) => d.interfaces.some((i) => !i.nodeName));
  return [
    `OpenShift ${ver}: the SR-IOV Network Operator has no AWS platform support before 4.22; ENA devices never appear in ` +
      "SriovNetworkNodeState, so a SriovNetworkNodePolicy would match nothing.",
    `Instead each dedicated ENI gets its own host-device NetworkAttachmentDefinition that moves the device, selected by MAC ` +
      `(hwaddr), into one pod, with the ENI's private IP (static IPAM): ${det.totals.usable} interface(s) on ${nodes.size} node(s).`,
    `Trade-offs: a pod using one must be pinned to its node (nodeSelector kubernetes.io/hostname: <the ${NODE_ANNOTATION} annotation>); ` +
      "no device plugin tracks the interface, so only one pod at a time can hold it and a second one fails to start; " +
      "no vfio-pci/DPDK mode (the device stays on the kernel ena driver); a replaced ENI has a new MAC: generate again.",
    ...(assumed
      ? [
          "Node names were taken from the instances' private DNS names (how OpenShift names AWS nodes); log in to the cluster to confirm them.",
        ]
      : []),
    "After upgrading to 4.22 or later, generate again with the new --ocp-version to switch to SriovNetworkNodePolicies.",
  ];
}

/**
 * Checks what the options alone decide, before any AWS or cluster call: the version parses and is
 * supported, and its mechanism can do the requested device type and network kind.
 */
export function mechanismForOptions(o: Pick<GenerateOptions, "ocpVersion" | "deviceType" | "networkKind">): {
  version: OcpVersion;
  mechanism: Mechanism;
} {
  const v = parseOcpVersion(o.ocpVersion);
  const mechanism = mechanismFor(v);
  const problems = new ProblemList();
  if (o.networkKind === "sriovnetwork") {
    problems.add({
      what: `--network-kind sriovnetwork cannot work on AWS: ${SRIOV_NETWORK_ON_AWS}`,
      where: "--network-kind",
      next: "leave --network-kind out (or --network-kind nad): host-device attachments, as the operator's own AWS test uses",
    });
  }
  if (mechanism === "host-device" && o.deviceType === "vfio-pci") {
    problems.add({
      what: `vfio-pci needs the operator's AWS support, which OpenShift ${v.major}.${v.minor} lacks`,
      where: "--device-type",
      next: "use --device-type netdevice on 4.19-4.21, or upgrade to 4.22 for DPDK in pods",
    });
  }
  problems.throwIfAny();
  return { version: v, mechanism };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** The name part of a label key (node-role.kubernetes.io/<name>). */
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Checks the names the manifests will carry; every problem at once. */
export function checkNameOptions(o: { mcpName?: string | undefined; namespace?: string | undefined }): void {
  const problems = new ProblemList();
  if (o.mcpName !== undefined && (o.mcpName.length > 63 || !LABEL_NAME.test(o.mcpName))) {
    problems.add({
      what: `"${o.mcpName}" cannot be a MachineConfigPool role label (node-role.kubernetes.io/<name>)`,
      where: "--mcp-name",
      next: "use the pool's name as in `oc get mcp`, e.g. worker-rt (letters, digits, '-', '_', '.'; at most 63)",
    });
  }
  if (o.namespace !== undefined && (o.namespace.length > 63 || !DNS_LABEL.test(o.namespace))) {
    problems.add({
      what: `"${o.namespace}" is not a valid namespace name (a DNS-1123 label)`,
      where: "--namespace",
      next: "use lower-case letters, digits and '-', at most 63 characters, e.g. low-latency-workshop",
    });
  }
  problems.throwIfAny();
}

/** Plans the manifests; throws UserError when there is nothing to dedicate. */
export function planSriov(det: Detection, o: GenerateOptions): SriovPlan {
  const { version: v, mechanism } = mechanismForOptions(o);
  if (det.totals.metalNodes === 0) {
    throw new UserError({
      what: `no metal workers among the ${det.totals.nodes} instance(s) found in ${det.region}`,
      next: det.advice[0] ?? "add bare-metal workers and run again",
    });
  }
  if (det.dataSubnets.length === 0) {
    throw new UserError({
      what: `no usable dedicated interface on the ${det.totals.metalNodes} metal worker(s) in ${det.region}`,
      next:
        det.advice.join("; ") ||
        "attach an ENI from a separate data subnet to each metal worker (device index >= 1)",
    });
  }
  const objects = mechanism === "operator" ? operatorPlan(det, o) : hostDevicePlan(det, o);
  objects.sort((a, b) => a.file.localeCompare(b.file));
  return {
    ocpVersion: `${v.major}.${v.minor}`,
    mechanism,
    objects,
    explanation: explain(mechanism, v, o, det),
  };
}

/** The kustomization listing every planned object. */
export function kustomizationFor(plan: SriovPlan): Record<string, unknown> {
  return {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: plan.objects.map((p) => p.file),
  };
}
