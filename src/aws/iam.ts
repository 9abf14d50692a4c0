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
/** The request tags what it creates with llw:infra-id (the template, module and llw all do). */
const TAGS_WITH_LLW = { Null: { "aws:RequestTag/llw:infra-id": "false" } };

/** Whether an IAM action only reads (Describe, List, Get): everything else changes something. */
export function isReadOnlyAction(action: string): boolean {
  return /^[a-z0-9-]+:(Describe|List|Get)[A-Za-z]*$/.test(action);
}

/**
 * Statements that allow an action that changes something without a Condition: the least-privilege
 * rule of the data-network policy is that every such action is conditioned on the llw:infra-id tag
 * (or, for tagging, on the create action or CloudFormation). Empty when the policy keeps it.
 */
export function unconditionedMutations(doc: PolicyDocument): { sid: string; action: string }[] {
  return doc.Statement.filter((s) => s.Effect === "Allow" && !s.Condition).flatMap((s) =>
    s.Action.filter((a) => !isReadOnlyAction(a)).map((action) => ({ sid: s.Sid, action })),
  );
}

/**
 * What deploying and removing the data network needs, whether through `llw aws network up|down`
 * or by hand with the CloudFormation template (CreateStack or `aws cloudformation deploy`'s change
 * sets) or the Terraform module. CloudFormation calls EC2 with the caller's permissions, so the EC2
 * part lists every action the registry handlers of the template's resource types call
 * (src/aws/data-network/resource-facts.ts), and a test checks that. Every action that changes
 * something carries a condition:
 * - creating: only with the llw:infra-id tag in the request (aws:RequestTag): the template, the
 *   module and llw tag on create;
 * - changing, associating, detaching, deleting: only resources that carry llw:infra-id
 *   (aws:ResourceTag), so the cluster's own ENIs, subnets, route tables and security groups are out
 *   of reach (every resource of a request is checked: ReplaceRouteTableAssociation of a cluster
 *   subnet onto the data route table is refused for the subnet);
 * - tagging: only while creating one of the template's resources (ec2:CreateAction), by
 *   CloudFormation on the stack's resources (aws:CalledVia), or on resources already tagged, so
 *   nobody can tag a foreign resource into reach;
 * - attaching and detaching: the ENI must be tagged and the instance a metal one (ec2:InstanceType);
 * - the stack: created only with the llw:infra-id stack tag, changed only when it carries it.
 * Written to infra/aws/iam/data-network-policy.json.
 */
export const DATA_NETWORK_POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "DataNetworkStackRead",
      Effect: "Allow",
      Action: [
        "cloudformation:DescribeChangeSet",
        "cloudformation:DescribeStackEvents",
        "cloudformation:DescribeStackResources",
        "cloudformation:DescribeStacks",
        "cloudformation:GetTemplate",
        "cloudformation:ListStackResources",
      ],
      Resource: DATA_NETWORK_STACKS,
    },
    {
      Sid: "DataNetworkStackCreateTagged",
      Effect: "Allow",
      Action: ["cloudformation:CreateChangeSet", "cloudformation:CreateStack"],
      Resource: DATA_NETWORK_STACKS,
      Condition: TAGS_WITH_LLW,
    },
    {
      Sid: "DataNetworkStackChangeOnlyTagged",
      Effect: "Allow",
      Action: [
        "cloudformation:DeleteChangeSet",
        "cloudformation:DeleteStack",
        "cloudformation:ExecuteChangeSet",
        "cloudformation:UpdateStack",
      ],
      Resource: DATA_NETWORK_STACKS,
      Condition: TAGGED_BY_LLW,
    },
    {
      Sid: "DataNetworkRead",
      Effect: "Allow",
      Action: [
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeNetworkAcls",
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
      Sid: "DataNetworkCreateTagged",
      Effect: "Allow",
      Action: DATA_NETWORK_CREATE_ACTIONS.map((a) => `ec2:${a}`),
      Resource: "*",
      Condition: TAGS_WITH_LLW,
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
        "ec2:AssignIpv6Addresses",
        "ec2:AssignPrivateIpAddresses",
        "ec2:AssociateRouteTable",
        "ec2:AssociateSubnetCidrBlock",
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateTags",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteRouteTable",
        "ec2:DeleteSecurityGroup",
        "ec2:DeleteSubnet",
        "ec2:DeleteTags",
        "ec2:DisassociateRouteTable",
        "ec2:DisassociateSubnetCidrBlock",
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:ModifyPublicIpDnsNameOptions",
        "ec2:ModifySubnetAttribute",
        "ec2:ReplaceRouteTableAssociation",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:UnassignIpv6Addresses",
        "ec2:UnassignPrivateIpAddresses",
        "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
        "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
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
      Sid: "DataNetworkAttachToMetalInstances",
      Effect: "Allow",
      Action: ["ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface"],
      Resource: arn("instance"),
      Condition: { StringLike: { "ec2:InstanceType": ["*.metal", "*.metal-*"] } },
    },
  ],
};
