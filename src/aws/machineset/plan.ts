/**
 * Plans a MachineSet for metal workers from one of the cluster's own worker MachineSets, and the
 * MachineConfigPool that the PerformanceProfile selects. Pure: objects in, objects out.
 *
 * The copy keeps everything that ties a machine to the cluster (AMI, subnet, security groups,
 * IAM instance profile, tags, user data, credentials, placement) and changes only the instance
 * type, the root volume, the names and the role labels. Nodes keep the worker role (they boot
 * from the worker ignition) and gain `node-role.kubernetes.io/<role>`, which moves them into the
 * custom pool: the Machine Config Operator lets a custom pool take nodes from the worker pool.
 */
import { ProblemList, UserError } from "../../lib/errors.ts";
import { isAvailabilityZone, isInfraId } from "../names.ts";

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended; fields are checked below
export type Obj = Record<string, any>;

export const MACHINE_API = "machine.openshift.io/v1beta1";
export const MACHINE_API_NAMESPACE = "openshift-machine-api";
const CLUSTER_LABEL = "machine.openshift.io/cluster-api-cluster";
const ROLE_LABEL = "machine.openshift.io/cluster-api-machine-role";
const TYPE_LABEL = "machine.openshift.io/cluster-api-machine-type";
const SET_LABEL = "machine.openshift.io/cluster-api-machineset";

export interface MachineSetOptions {
  instanceType: string;
  /** Node role and pool name; the PerformanceProfile selects node-role.kubernetes.io/<role>. */
  role: string;
  replicas: number;
  rootVolumeGiB: number;
  /** Instance metadata authentication: optional (IMDSv1 and v2) or required (v2 only); absent: as the source. */
  imds?: "optional" | "required";
}

export interface MachineSetPlan {
  machineSet: Obj;
  machineConfigPool: Obj;
  infraId: string;
  zone: string;
  source: string;
  /** What the user should know before applying (e.g. instance metadata the SR-IOV operator cannot read). */
  warnings: string[];
}

/**
 * The SR-IOV Network Operator's AWS platform (openshift/sriov-network-operator release-4.22,
 * pkg/platform/aws/aws.go createDevicesInfo) lists the node's ENIs from instance metadata with a
 * plain GET (pkg/utils/utils.go HTTPGetFetchData: no IMDSv2 token), which EC2 answers with 401
 * when the instance requires IMDSv2 (metadataServiceOptions.authentication: Required).
 */
export const IMDS_WARNING =
  "the instances will require IMDSv2 (metadataServiceOptions.authentication: Required): the SR-IOV Network Operator of OpenShift 4.22 " +
  "reads the node's ENIs from instance metadata without an IMDSv2 token and fails there; pass --imds optional for the metal workers " +
  "if you use the operator path (llw sriov generate --ocp-version 4.22)";

const providerOf = (ms: Obj): Obj | undefined => ms?.spec?.template?.spec?.providerSpec?.value;

/** Worker MachineSets on AWS, from a parsed file or a cluster list. */
export function awsWorkerMachineSets(objects: Obj[]): Obj[] {
  const flat = objects.flatMap((o) =>
    o?.kind === "MachineSetList" || o?.kind === "List" ? (o.items ?? []) : [o],
  );
  return flat.filter(
    (o) =>
      o?.kind === "MachineSet" &&
      providerOf(o)?.kind === "AWSMachineProviderConfig" &&
      (o.spec?.template?.metadata?.labels?.[ROLE_LABEL] ?? "worker") === "worker",
  );
}

/** Picks the source MachineSet: by name, else by zone, else the first by name. */
export function chooseSource(candidates: Obj[], by: { name?: string; zone?: string }, where: string): Obj {
  const sorted = [...candidates].sort((a, b) =>
    String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
  );
  const list = sorted
    .map((m) => `${m.metadata?.name} (${providerOf(m)?.placement?.availabilityZone ?? "?"})`)
    .join(", ");
  if (sorted.length === 0) {
    throw new UserError({
      what: "no worker MachineSet for AWS found (kind MachineSet, providerSpec AWSMachineProviderConfig, role worker)",
      where,
      next: "export one with `oc get machinesets -n openshift-machine-api -o yaml > machinesets.yaml` and pass --from machinesets.yaml",
    });
  }
  const pick = by.name
    ? sorted.find((m) => m.metadata?.name === by.name)
    : by.zone
      ? sorted.find((m) => providerOf(m)?.placement?.availabilityZone === by.zone)
      : sorted[0];
  if (!pick) {
    throw new UserError({
      what: by.name ? `no worker MachineSet named ${by.name}` : `no worker MachineSet in zone ${by.zone}`,
      where: by.name ? "--source" : "--zone",
      next: `choose one of: ${list}`,
    });
  }
  return pick;
}

export function planMetalMachineSet(
  source: Obj,
  opts: MachineSetOptions,
  where = "MachineSet",
): MachineSetPlan {
  const problems = new ProblemList();
  const name = String(source.metadata?.name ?? "");
  const at = (field: string) => `${where} ${name} ${field}`;
  const provider = providerOf(source);
  const infraId: string | undefined =
    source.metadata?.labels?.[CLUSTER_LABEL] ?? source.spec?.selector?.matchLabels?.[CLUSTER_LABEL];
  if (!infraId)
    problems.add({
      what: `no ${CLUSTER_LABEL} label: cannot tell the cluster's infra id`,
      where: at("metadata.labels"),
    });
  // Both become part of the new MachineSet's name, a label value and the name of a file llw writes.
  else if (!isInfraId(infraId))
    problems.add({
      what: `"${infraId}" is not an OpenShift infra id (lower-case letters, digits and dashes, at most 40)`,
      where: at(`metadata.labels.${CLUSTER_LABEL}`),
      next: "export the MachineSets again with `oc get machinesets -n openshift-machine-api -o yaml`",
    });
  const az = provider?.placement?.availabilityZone;
  if (az !== undefined && az !== "" && !isAvailabilityZone(az))
    problems.add({
      what: `"${az}" is not an availability zone name (e.g. us-east-2a, us-gov-west-1a, us-east-1-bos-1a)`,
      where: at("spec.template.spec.providerSpec.value.placement.availabilityZone"),
      next: "export the MachineSets again with `oc get machinesets -n openshift-machine-api -o yaml`",
    });
  const required: [string, unknown][] = [
    [
      "spec.template.spec.providerSpec.value.ami",
      provider?.ami?.id ?? provider?.ami?.arn ?? provider?.ami?.filters,
    ],
    [
      "spec.template.spec.providerSpec.value.subnet",
      provider?.subnet?.id ?? provider?.subnet?.filters ?? provider?.subnet?.arn,
    ],
    [
      "spec.template.spec.providerSpec.value.securityGroups",
      provider?.securityGroups?.length ? provider.securityGroups : undefined,
    ],
    [
      "spec.template.spec.providerSpec.value.iamInstanceProfile",
      provider?.iamInstanceProfile?.id ?? provider?.iamInstanceProfile?.arn,
    ],
    [
      "spec.template.spec.providerSpec.value.placement.availabilityZone",
      provider?.placement?.availabilityZone,
    ],
    ["spec.template.spec.providerSpec.value.userDataSecret", provider?.userDataSecret?.name],
  ];
  for (const [field, value] of required) {
    if (value === undefined || value === null || value === "")
      problems.add({ what: `missing ${field.split(".").at(-1)}`, where: at(field) });
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(opts.role)) {
    problems.add({
      what: `"${opts.role}" is not a valid role name (lower-case letters, digits, dashes)`,
      where: "--role",
    });
  }
  if (!Number.isInteger(opts.rootVolumeGiB) || opts.rootVolumeGiB < 120 || opts.rootVolumeGiB > 16384) {
    problems.add({
      what: `root volume must be 120 to 16384 GiB (OpenShift needs at least 120), got ${opts.rootVolumeGiB}`,
      where: "--root-volume",
    });
  }
  problems.throwIfAny();

  const zone: string = provider!.placement.availabilityZone;
  const newName = `${infraId}-${opts.role}-${zone}`;
  if (newName.length > 63) {
    throw new UserError({
      what: `the MachineSet name ${newName} is ${newName.length} characters; a label value allows 63`,
      where: "--role",
      next: "use a shorter --role",
    });
  }
  const copy: Obj = structuredClone(provider!);
  copy.instanceType = opts.instanceType;
  if (opts.imds) {
    copy.metadataServiceOptions = {
      ...(copy.metadataServiceOptions ?? {}),
      authentication: opts.imds === "required" ? "Required" : "Optional",
    };
  }
  const warnings = copy.metadataServiceOptions?.authentication === "Required" ? [IMDS_WARNING] : [];
  const devices: Obj[] = copy.blockDevices?.length
    ? copy.blockDevices
    : [{ ebs: { encrypted: true, volumeType: "gp3" } }];
  // The root device is the one without a deviceName (additional volumes name theirs).
  const root = devices.find((d) => !d.deviceName) ?? devices[0]!;
  root.ebs = {
    ...(root.ebs ?? {}),
    volumeSize: opts.rootVolumeGiB,
    volumeType: root.ebs?.volumeType ?? "gp3",
  };
  copy.blockDevices = devices;

  const sourceTemplate = source.spec.template;
  const machineSet: Obj = {
    apiVersion: MACHINE_API,
    kind: "MachineSet",
    metadata: {
      name: newName,
      namespace: source.metadata?.namespace ?? MACHINE_API_NAMESPACE,
      labels: { [CLUSTER_LABEL]: infraId },
    },
    spec: {
      replicas: opts.replicas,
      selector: { matchLabels: { [CLUSTER_LABEL]: infraId, [SET_LABEL]: newName } },
      template: {
        metadata: {
          labels: {
            [CLUSTER_LABEL]: infraId,
            [ROLE_LABEL]: opts.role,
            [TYPE_LABEL]: opts.role,
            [SET_LABEL]: newName,
          },
        },
        spec: {
          ...(sourceTemplate.spec?.lifecycleHooks && { lifecycleHooks: sourceTemplate.spec.lifecycleHooks }),
          metadata: {
            labels: {
              ...(sourceTemplate.spec?.metadata?.labels ?? {}),
              "node-role.kubernetes.io/worker": "",
              [`node-role.kubernetes.io/${opts.role}`]: "",
            },
          },
          providerSpec: { value: copy },
          ...(sourceTemplate.spec?.taints && { taints: sourceTemplate.spec.taints }),
        },
      },
    },
  };
  const machineConfigPool: Obj = {
    apiVersion: "machineconfiguration.openshift.io/v1",
    kind: "MachineConfigPool",
    metadata: {
      name: opts.role,
      // The PerformanceProfile's default machineConfigPoolSelector is machineconfiguration.openshift.io/role: <role>.
      labels: {
        "machineconfiguration.openshift.io/role": opts.role,
        [`pools.operator.machineconfiguration.openshift.io/${opts.role}`]: "",
      },
    },
    spec: {
      machineConfigSelector: {
        matchExpressions: [
          { key: "machineconfiguration.openshift.io/role", operator: "In", values: ["worker", opts.role] },
        ],
      },
      nodeSelector: { matchLabels: { [`node-role.kubernetes.io/${opts.role}`]: "" } },
      // One node at a time: a PerformanceProfile change reboots every node in the pool.
      maxUnavailable: 1,
    },
  };
  return { machineSet, machineConfigPool, infraId: infraId!, zone, source: name, warnings };
}
