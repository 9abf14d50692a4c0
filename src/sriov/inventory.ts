/**
 * The facts SR-IOV planning works from: what the EC2 API (and, when reachable, the cluster) says
 * about the metal workers and their network interfaces. Plain data, gathered by `gather.ts`,
 * consumed by the pure planners `classify.ts` and `generate.ts`.
 */

export interface InstanceFacts {
  instanceId: string;
  instanceType: string;
  /** pending | running | stopping | stopped | ... */
  state: string;
  availabilityZone?: string;
  vpcId?: string;
  /** Subnet of the primary interface: the cluster network. */
  subnetId?: string;
  privateDnsName?: string;
  tags: Record<string, string>;
  /** The Kubernetes node this instance backs, when the cluster told us. */
  nodeName?: string;
}

export interface InstanceTypeFacts {
  instanceType: string;
  bareMetal: boolean;
  /** unsupported | supported | required; "unknown" when EC2 did not say */
  enaSupport: string;
  efaSupported: boolean;
  maximumEfaInterfaces?: number;
  maximumNetworkInterfaces: number;
  maximumNetworkCards: number;
  networkPerformance?: string;
}

export interface EniAttachment {
  instanceId: string;
  deviceIndex: number;
  networkCardIndex: number;
  /** attaching | attached | detaching | detached */
  status: string;
}

export interface EniFacts {
  networkInterfaceId: string;
  macAddress: string;
  subnetId: string;
  vpcId?: string;
  availabilityZone?: string;
  /** interface | efa | efa-only | trunk | branch | ... */
  interfaceType: string;
  /** available | attaching | in-use | detaching | associated */
  status: string;
  privateIpAddress?: string;
  description?: string;
  requesterManaged?: boolean;
  attachment?: EniAttachment;
  tags: Record<string, string>;
}

export interface SubnetFacts {
  subnetId: string;
  cidrBlock?: string;
  availabilityZone?: string;
  vpcId?: string;
  name?: string;
}

/** How the workers were found. */
export type WorkerSource = "cluster" | "cluster-tag" | "instance-ids";

export interface Inventory {
  region: string;
  source: WorkerSource;
  /** `kubernetes.io/cluster/<infra-id>` when workers were found by tag (or the cluster told us). */
  clusterTag?: string;
  instances: InstanceFacts[];
  instanceTypes: InstanceTypeFacts[];
  /** The clusters the workers belong to (infra ids); detached ENIs are listed for these only. */
  infraIds: string[];
  /** ENIs attached to the instances, plus detached ENIs of those clusters in the same VPCs. */
  enis: EniFacts[];
  subnets: SubnetFacts[];
}

/** The cluster tag key for an OpenShift infrastructure id. */
export function clusterTagKey(infraId: string): string {
  return `kubernetes.io/cluster/${infraId}`;
}

/** `aws:///us-east-1a/i-0abc...` (a node's spec.providerID) -> `i-0abc...`. */
export function instanceIdFromProviderId(providerId: string | undefined): string | undefined {
  if (!providerId?.startsWith("aws://")) return undefined;
  const m = /\/(i-[0-9a-f]+)$/.exec(providerId);
  return m?.[1];
}

/** The Name tag of a resource, if any. */
export function nameTag(tags: Record<string, string>): string | undefined {
  return tags.Name;
}
