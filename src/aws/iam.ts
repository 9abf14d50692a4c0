/**
 * IAM policy documents, as data. Each llw command that calls AWS lists the exact actions it calls
 * here, so the policy a user attaches is least-privilege and a test can prove that every call the
 * command makes is allowed by it.
 */

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/**
 * EC2 actions `llw sriov detect` and `llw sriov generate` call. All are read-only Describe
 * actions; EC2 Describe actions support no resource-level permissions, hence Resource "*".
 */
export const SRIOV_EC2_ACTIONS = [
  "DescribeInstances",
  "DescribeInstanceTypes",
  "DescribeNetworkInterfaces",
  "DescribeSubnets",
] as const;

export const SRIOV_POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "LlwSriovDetectReadOnly",
      Effect: "Allow",
      Action: SRIOV_EC2_ACTIONS.map((a) => `ec2:${a}`),
      Resource: "*",
    },
  ],
};

/** Every action a policy allows, e.g. "ec2:DescribeInstances". */
export function allowedActions(doc: PolicyDocument): Set<string> {
  return new Set(doc.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action));
}

// --- aws: the data network ---

const DATA_NETWORK_STACKS = "arn:aws:cloudformation:*:*:stack/*-llw-data-network/*";

/** CloudFormation actions `llw aws network status` calls (read-only). */
export const NETWORK_READ_CFN_ACTIONS = [
  "DescribeStacks",
  "ListStackResources",
  "DescribeStackEvents",
] as const;

/**
 * The least-privilege read policy for llw: what `llw sriov detect|generate` and
 * `llw aws network status` call. Written to infra/aws/iam/llw-read-policy.json.
 */
export const LLW_READ_POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    ...SRIOV_POLICY.Statement,
    {
      Sid: "LlwDataNetworkStatusReadOnly",
      Effect: "Allow",
      Action: NETWORK_READ_CFN_ACTIONS.map((a) => `cloudformation:${a}`),
      Resource: DATA_NETWORK_STACKS,
    },
  ],
};

/** The EC2 actions that create what the data-network template and Terraform module declare. */
export const DATA_NETWORK_CREATE_ACTIONS = [
  "CreateNetworkInterface",
  "CreateRouteTable",
  "CreateSecurityGroup",
  "CreateSubnet",
] as const;

const arn = (type: string) => `arn:aws:ec2:*:*:${type}/*`;
/** The resource carries the tag the template and module put on everything they create. */
const TAGGED_BY_LLW = { Null: { "aws:ResourceTag/llw:infra-id": "false" } };

/**
 * What deploying and removing the data network needs, whether through `llw aws network up|down`
 * or by hand with the CloudFormation template or the Terraform module (CloudFormation calls EC2
 * with the caller's permissions). Everything that changes an existing resource is limited to
 * resources carrying the llw:infra-id tag; tags can be written only while creating one of the
 * template's resources (ec2:CreateAction), by CloudFormation on the stack's resources
 * (aws:CalledVia: its security-group handler tags after creating), or on resources already
 * tagged, so nobody can tag a foreign resource into reach. Actions that act on an instance and an
 * ENI (attach, detach) are split by resource so that only tagged ENIs qualify.
 * Written to infra/aws/iam/data-network-policy.json.
 */
export const DATA_NETWORK_POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "DataNetworkStack",
      Effect: "Allow",
      Action: [
        "cloudformation:CreateStack",
        "cloudformation:UpdateStack",
        "cloudformation:DeleteStack",
        "cloudformation:DescribeStacks",
        "cloudformation:DescribeStackEvents",
        "cloudformation:DescribeStackResources",
        "cloudformation:ListStackResources",
        "cloudformation:GetTemplate",
      ],
      Resource: DATA_NETWORK_STACKS,
    },
    {
      Sid: "DataNetworkRead",
      Effect: "Allow",
      Action: [
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroupRules",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
      ],
      Resource: "*",
    },
    {
      Sid: "DataNetworkCreate",
      Effect: "Allow",
      Action: [
        ...DATA_NETWORK_CREATE_ACTIONS.map((a) => `ec2:${a}`),
        "ec2:AssociateRouteTable",
        "ec2:DisassociateRouteTable",
        // Called right after the create, possibly before CloudFormation has tagged the resource.
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:ModifySubnetAttribute",
      ],
      Resource: "*",
    },
    {
      Sid: "DataNetworkTagOnCreate",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: "*",
      Condition: { StringEquals: { "ec2:CreateAction": [...DATA_NETWORK_CREATE_ACTIONS] } },
    },
    {
      Sid: "DataNetworkTagByCloudFormation",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: [arn("network-interface"), arn("route-table"), arn("security-group"), arn("subnet")],
      Condition: { "ForAnyValue:StringEquals": { "aws:CalledVia": ["cloudformation.amazonaws.com"] } },
    },
    {
      Sid: "DataNetworkChangeOnlyTagged",
      Effect: "Allow",
      Action: [
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateTags",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteRouteTable",
        "ec2:DeleteSecurityGroup",
        "ec2:DeleteSubnet",
        "ec2:DeleteTags",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
      ],
      Resource: "*",
      Condition: TAGGED_BY_LLW,
    },
    {
      Sid: "DataNetworkAttachOnlyTaggedInterfaces",
      Effect: "Allow",
      Action: ["ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface"],
      Resource: arn("network-interface"),
      Condition: TAGGED_BY_LLW,
    },
    {
      Sid: "DataNetworkAttachToInstances",
      Effect: "Allow",
      Action: ["ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface"],
      Resource: arn("instance"),
    },
  ],
};
