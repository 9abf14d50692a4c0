/**
 * The data-network CloudFormation template, built as data. CloudFormation has no loops that the
 * EC2 emulator (and older tooling) understands, so the template declares a fixed number of slots
 * (zones, workers, interfaces per worker) and switches the unused ones off with Conditions. The
 * committed `infra/aws/cloudformation/data-network.yaml` is this object rendered; a test keeps
 * the two identical.
 */
import { AVAILABILITY_ZONE_PATTERN } from "../names.ts";
import { DATA_INTERFACE_ROLE, INFRA_ID_TAG, ROLE_TAG } from "../tags.ts";

export const LIMITS = { zones: 3, workers: 4, interfacesPerWorker: 4 } as const;

const range = (n: number, from = 1): number[] => Array.from({ length: n - from + 1 }, (_, i) => i + from);

export const param = {
  infraId: "ClusterInfraId",
  vpc: "VpcId",
  zone: (z: number) => `AvailabilityZone${z}`,
  cidr: (z: number) => `SubnetCidr${z}`,
  worker: (w: number) => `WorkerInstanceId${w}`,
  workerZone: (w: number) => `WorkerZone${w}`,
  count: "InterfacesPerWorker",
  attach: "AttachInterfaces",
} as const;

export const logical = {
  securityGroup: "DataSecurityGroup",
  routeTable: "DataRouteTable",
  ingress: (z: number) => `DataIngressZone${z}`,
  subnet: (z: number) => `DataSubnet${z}`,
  association: (z: number) => `DataSubnet${z}RouteTableAssociation`,
  eni: (w: number, i: number) => `Worker${w}Interface${i}`,
  attachment: (w: number, i: number) => `Worker${w}Interface${i}Attachment`,
} as const;

/** Reads a worker and interface slot back from an ENI's logical id. */
export function eniSlot(logicalId: string): { worker: number; interface: number } | undefined {
  const m = /^Worker(\d+)Interface(\d+)$/.exec(logicalId);
  return m ? { worker: Number(m[1]), interface: Number(m[2]) } : undefined;
}

const ref = (name: string) => ({ Ref: name });
/** `${Name}` inside an Fn::Sub string. */
const v = (name: string) => `\${${name}}`;
const sub = (s: string) => ({ "Fn::Sub": s });
const notEmpty = (p: string) => ({ "Fn::Not": [{ "Fn::Equals": [ref(p), ""] }] });
const cond = (name: string) => ({ Condition: name });

/**
 * Every zone and worker slot is optional, the first one included: a worker keeps its slot (and so
 * its subnet, ENIs and device indexes) for its whole life, and when the worker of slot 1 goes away
 * the slot simply falls empty instead of another worker moving in (which would make CloudFormation
 * replace that worker's subnet and ENIs in place, and fail on the clashing CIDR and device index).
 */
const hasZone = (z: number) => `HasZone${z}`;
const hasWorker = (w: number) => `HasWorker${w}`;
/** Interface 1 exists on every worker (InterfacesPerWorker is at least 1). */
const hasInterface = (i: number) => (i === 1 ? undefined : `HasInterface${i}`);

/** The condition under which an ENI slot exists. */
function eniCondition(w: number, i: number): string {
  return hasInterface(i) ? `Worker${w}Interface${i}Wanted` : hasWorker(w);
}

/** The condition under which the stack attaches an ENI slot. */
function attachCondition(w: number, i: number): string {
  return `Attach${logical.eni(w, i)}`;
}

/**
 * No kubernetes.io/cluster/<infra id> tag: the AWS cloud provider takes subnets with that tag as
 * load-balancer subnets (in a zone's tie, it prefers them to untagged ones, then picks by subnet
 * id), and refuses to manage load balancers for instances with two cluster-tagged security groups.
 * llw:infra-id marks what belongs to the data network instead.
 */
function tags(role: string, name: object) {
  return [
    { Key: "Name", Value: name },
    { Key: ROLE_TAG, Value: role },
    { Key: INFRA_ID_TAG, Value: ref(param.infraId) },
  ];
}

function parameters(): Record<string, object> {
  const p: Record<string, object> = {
    [param.infraId]: {
      Type: "String",
      Description:
        "The cluster's infrastructure id (metadata.json infraID; the suffix of its kubernetes.io/cluster/ tag).",
      AllowedPattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
      MaxLength: 40,
    },
    [param.vpc]: { Type: "AWS::EC2::VPC::Id", Description: "The cluster's VPC." },
  };
  for (const z of range(LIMITS.zones)) {
    p[param.zone(z)] = {
      Type: "String",
      Description: `Availability zone of data subnet ${z} (empty: no subnet ${z}). A zone keeps its slot for the stack's life.`,
      Default: "",
      AllowedPattern: `^(${AVAILABILITY_ZONE_PATTERN})?$`,
    };
    p[param.cidr(z)] = {
      Type: "String",
      Description: `IPv4 CIDR of data subnet ${z}, inside the VPC and clear of its other subnets.`,
      Default: "",
      AllowedPattern: "^((\\d{1,3}\\.){3}\\d{1,3}/(1[6-9]|2[0-8]))?$",
    };
  }
  for (const w of range(LIMITS.workers)) {
    p[param.worker(w)] = {
      Type: "String",
      Description: `Instance id of metal worker ${w} (empty: none). A worker keeps its slot for its life; a replacement in the same zone takes it over.`,
      Default: "",
      AllowedPattern: "^(i-[0-9a-f]{8,17})?$",
    };
    p[param.workerZone(w)] = {
      Type: "String",
      Description: `Availability zone of metal worker ${w}; must be one of the data subnets' zones.`,
      Default: "",
      AllowedPattern: `^(${AVAILABILITY_ZONE_PATTERN})?$`,
    };
  }
  p[param.count] = {
    Type: "String",
    Description: "Extra ENIs per metal worker, attached at device index 1 and up.",
    AllowedValues: range(LIMITS.interfacesPerWorker).map(String),
    Default: "1",
  };
  p[param.attach] = {
    Type: "String",
    Description:
      "true: the stack attaches the ENIs; false: it only creates them (llw aws network up --attach-with ec2 attaches them).",
    AllowedValues: ["true", "false"],
    Default: "true",
  };
  return p;
}

function conditions(): Record<string, object> {
  const c: Record<string, object> = {};
  for (const z of range(LIMITS.zones)) c[hasZone(z)] = notEmpty(param.zone(z));
  for (const w of range(LIMITS.workers)) c[hasWorker(w)] = notEmpty(param.worker(w));
  for (const i of range(LIMITS.interfacesPerWorker, 2)) {
    c[hasInterface(i)!] = {
      "Fn::Or": range(LIMITS.interfacesPerWorker, i).map((n) => ({
        "Fn::Equals": [ref(param.count), String(n)],
      })),
    };
  }
  // Fn::Or needs at least two operands; the last slot is a plain comparison.
  c[hasInterface(LIMITS.interfacesPerWorker)!] = {
    "Fn::Equals": [ref(param.count), String(LIMITS.interfacesPerWorker)],
  };
  c.AttachWithStack = { "Fn::Equals": [ref(param.attach), "true"] };
  for (const w of range(LIMITS.workers)) {
    for (const i of range(LIMITS.interfacesPerWorker)) {
      const interfaceWanted = hasInterface(i);
      if (interfaceWanted) c[eniCondition(w, i)] = { "Fn::And": [cond(hasWorker(w)), cond(interfaceWanted)] };
      c[attachCondition(w, i)] = { "Fn::And": [cond("AttachWithStack"), cond(eniCondition(w, i))] };
    }
    for (const z of range(LIMITS.zones - 1)) {
      c[`Worker${w}InZone${z}`] = {
        "Fn::And": [cond(hasZone(z)), { "Fn::Equals": [ref(param.workerZone(w)), ref(param.zone(z))] }],
      };
    }
  }
  return c;
}

/**
 * The data subnet of worker w: the zone slot whose name equals the worker's zone, else the last
 * slot. The Rules make sure the worker's zone is one of the slots, so the last branch is taken only
 * when it is the last slot's zone; cfn-lint does not reason with Rules and warns (W1001) that the
 * last subnet may not exist, which is silenced on the ENIs (and only there).
 */
function workerSubnet(w: number): object {
  let expr: object = ref(logical.subnet(LIMITS.zones));
  for (const z of range(LIMITS.zones - 1).reverse()) {
    expr = { "Fn::If": [`Worker${w}InZone${z}`, ref(logical.subnet(z)), expr] };
  }
  return expr;
}

/**
 * Zone slots default to an empty CIDR; their resources exist only when the zone is set, which
 * cfn-lint cannot infer, so its CIDR-format warning is silenced there (and only there).
 */
function emptyDefaultIgnored(...more: string[]): object {
  return { Metadata: { "cfn-lint": { config: { ignore_checks: ["W1030", ...more] } } } };
}

/**
 * Outbound traffic only to the data subnets: declaring SecurityGroupEgress makes CloudFormation
 * drop the allow-all rule EC2 gives every new group, so a pod on a data ENI cannot reach the rest
 * of the VPC around the cluster's network policies. Security groups do not filter the VPC's DHCP,
 * DNS resolver or instance metadata (Amazon VPC user guide, "Security group rules"), so nothing
 * else is needed.
 */
function egressRules(): object[] {
  return range(LIMITS.zones).map((z) => ({
    "Fn::If": [
      hasZone(z),
      {
        IpProtocol: "-1",
        CidrIp: ref(param.cidr(z)),
        Description: `All traffic to data subnet ${z}`,
      },
      ref("AWS::NoValue"),
    ],
  }));
}

function resources(): Record<string, object> {
  const r: Record<string, object> = {};
  const withCondition = (c: string | undefined, body: object) => (c ? { Condition: c, ...body } : body);
  r[logical.securityGroup] = {
    ...emptyDefaultIgnored(),
    Type: "AWS::EC2::SecurityGroup",
    Properties: {
      GroupDescription: "Data traffic between the workshop metal workers (SR-IOV / ENA data interfaces)",
      VpcId: ref(param.vpc),
      SecurityGroupEgress: egressRules(),
      Tags: tags("data-security-group", sub(`${v(param.infraId)}-data`)),
    },
  };
  r[logical.routeTable] = {
    Type: "AWS::EC2::RouteTable",
    Properties: { VpcId: ref(param.vpc), Tags: tags("data-route-table", sub(`${v(param.infraId)}-data`)) },
  };
  for (const z of range(LIMITS.zones)) {
    r[logical.ingress(z)] = withCondition(hasZone(z), {
      ...emptyDefaultIgnored(),
      Type: "AWS::EC2::SecurityGroupIngress",
      Properties: {
        GroupId: { "Fn::GetAtt": [logical.securityGroup, "GroupId"] },
        IpProtocol: "-1",
        CidrIp: ref(param.cidr(z)),
        Description: `All traffic from data subnet ${z}`,
      },
    });
    r[logical.subnet(z)] = withCondition(hasZone(z), {
      ...emptyDefaultIgnored(),
      Type: "AWS::EC2::Subnet",
      Properties: {
        VpcId: ref(param.vpc),
        AvailabilityZone: ref(param.zone(z)),
        CidrBlock: ref(param.cidr(z)),
        MapPublicIpOnLaunch: false,
        Tags: tags("data-subnet", sub(`\${ClusterInfraId}-data-\${${param.zone(z)}}`)),
      },
    });
    r[logical.association(z)] = withCondition(hasZone(z), {
      Type: "AWS::EC2::SubnetRouteTableAssociation",
      Properties: { SubnetId: ref(logical.subnet(z)), RouteTableId: ref(logical.routeTable) },
    });
  }
  for (const w of range(LIMITS.workers)) {
    for (const i of range(LIMITS.interfacesPerWorker)) {
      r[logical.eni(w, i)] = withCondition(eniCondition(w, i), {
        Metadata: { "cfn-lint": { config: { ignore_checks: ["W1001"] } } },
        Type: "AWS::EC2::NetworkInterface",
        Properties: {
          Description: sub(`Workshop data interface ${i} of \${${param.worker(w)}}`),
          SubnetId: workerSubnet(w),
          GroupSet: [ref(logical.securityGroup)],
          Tags: tags(DATA_INTERFACE_ROLE, sub(`\${ClusterInfraId}-data-\${${param.worker(w)}}-${i}`)),
        },
      });
      r[logical.attachment(w, i)] = {
        Type: "AWS::EC2::NetworkInterfaceAttachment",
        Condition: attachCondition(w, i),
        Properties: {
          InstanceId: ref(param.worker(w)),
          NetworkInterfaceId: ref(logical.eni(w, i)),
          DeviceIndex: String(i),
          DeleteOnTermination: false,
        },
      };
    }
  }
  return r;
}

function outputs(): Record<string, object> {
  const o: Record<string, object> = {
    SecurityGroupId: {
      Description: "Security group of the data interfaces",
      Value: { "Fn::GetAtt": [logical.securityGroup, "GroupId"] },
    },
  };
  for (const z of range(LIMITS.zones)) {
    o[`SubnetId${z}`] = {
      Condition: hasZone(z),
      Description: `Data subnet ${z} (SR-IOV netFilter aws/NetworkID:<id without subnet->)`,
      Value: ref(logical.subnet(z)),
    };
  }
  for (const w of range(LIMITS.workers)) {
    for (const i of range(LIMITS.interfacesPerWorker)) {
      o[`${logical.eni(w, i)}Id`] = {
        Condition: eniCondition(w, i),
        Description: `ENI at device index ${i} of metal worker ${w}`,
        Value: ref(logical.eni(w, i)),
      };
    }
  }
  return o;
}

function rules(): Record<string, object> {
  const zones = range(LIMITS.zones).map((z) => ref(param.zone(z)));
  const r: Record<string, object> = {};
  for (const w of range(LIMITS.workers)) {
    r[`Worker${w}ZoneHasSubnet`] = {
      RuleCondition: { "Fn::Not": [{ "Fn::Equals": [ref(param.worker(w)), ""] }] },
      Assertions: [
        {
          Assert: {
            "Fn::And": [
              { "Fn::Not": [{ "Fn::Equals": [ref(param.workerZone(w)), ""] }] },
              { "Fn::Contains": [zones, ref(param.workerZone(w))] },
            ],
          },
          AssertDescription: `WorkerZone${w} must be one of the AvailabilityZone parameters`,
        },
      ],
    };
  }
  r.AtLeastOneWorker = {
    Assertions: [
      {
        Assert: {
          "Fn::Not": [
            { "Fn::And": range(LIMITS.workers).map((w) => ({ "Fn::Equals": [ref(param.worker(w)), ""] })) },
          ],
        },
        AssertDescription: "Give at least one WorkerInstanceId",
      },
    ],
  };
  return r;
}

/** The whole template, in CloudFormation's JSON form. */
export function dataNetworkTemplate(): Record<string, unknown> {
  return {
    AWSTemplateFormatVersion: "2010-09-09",
    Description:
      "Low-latency workshop data network: a subnet per availability zone, a security group, and extra ENIs " +
      "(device index 1 and up) on each metal worker, for SR-IOV / ENA data interfaces.",
    Metadata: {
      "AWS::CloudFormation::Interface": {
        ParameterGroups: [
          { Label: { default: "Cluster" }, Parameters: [param.infraId, param.vpc] },
          {
            Label: { default: "Data subnets (one per availability zone)" },
            Parameters: range(LIMITS.zones).flatMap((z) => [param.zone(z), param.cidr(z)]),
          },
          {
            Label: { default: "Metal workers" },
            Parameters: [
              ...range(LIMITS.workers).flatMap((w) => [param.worker(w), param.workerZone(w)]),
              param.count,
              param.attach,
            ],
          },
        ],
      },
    },
    Parameters: parameters(),
    Rules: rules(),
    Conditions: conditions(),
    Resources: resources(),
    Outputs: outputs(),
  };
}

export const TEMPLATE_HEADER = `Low-latency workshop: data network for SR-IOV on AWS (one extra ENI = one ENA "VF").
Rendered from src/aws/data-network/template.ts; regenerate with: npm run aws:template
Deploy with: llw aws network up --infra-id <infra-id>   (or: aws cloudformation deploy --template-file ...)
Slots: up to ${LIMITS.zones} zones, ${LIMITS.workers} metal workers, ${LIMITS.interfacesPerWorker} interfaces per worker; unused slots are
switched off by Conditions (CloudFormation has no loop the EC2 emulator understands).`;

export const TEMPLATE_COMMENTS = {
  Resources: {
    [logical.securityGroup]:
      "Data traffic stays between the data subnets: ingress from them (one rule per zone below) and egress to\nthem only (the allow-all egress EC2 adds to a new group is dropped).",
    [logical.routeTable]:
      "Local routes only: the data subnets are private, never chosen for internet-facing load balancers (the\ncloud provider wants a route to an internet gateway). For internal ones it prefers, in each zone, subnets\ntagged kubernetes.io/cluster/<infra id>, which is why nothing here carries that tag.",
    [logical.ingress(1)]:
      "Zone slot 1: security group rule, subnet and route table association. Every slot is optional and a zone\nkeeps its slot, so removing one zone never moves another.",
    [logical.eni(1, 1)]:
      "One ENI per worker and interface slot, in the data subnet of the worker's zone. Source/destination\nchecks stay on: pods (host-device) and DPDK use the ENI's own MAC and addresses, which the check lets through.",
    [logical.attachment(1, 1)]:
      "Device index 1 and up: index 0 is the worker's primary ENI (the cluster network), never touched.\nDeleteOnTermination false: the stack, not the instance, owns the ENI.",
  },
};
