/**
 * The data-network IAM policy: enough for what the CloudFormation template and the Terraform
 * module make (every resource kind has its API calls listed and allowed), and no more where it
 * matters: no tagging of foreign resources, no changing or deleting what llw did not tag. The
 * checks run the policy through a small evaluator of the IAM rules it uses (Allow statements,
 * Resource globs, Null / StringEquals / ForAnyValue:StringEquals conditions); real IAM is not
 * available here, and the EC2 emulator does not enforce policies.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "@cdktf/hcl2json";
import { dataNetworkTemplate } from "../../src/aws/data-network/template.ts";
import {
  allowedActions,
  DATA_NETWORK_CREATE_ACTIONS,
  DATA_NETWORK_POLICY,
  type PolicyDocument,
} from "../../src/aws/iam.ts";
import { ROOT } from "../helpers/tools.ts";

interface Request {
  action: string;
  resource: string;
  /** Condition keys present in the request context. */
  context?: Record<string, string | string[]>;
}

const glob = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  ).test(value);

function conditionHolds(cond: Record<string, Record<string, string | string[]>> | undefined, req: Request) {
  for (const [op, keys] of Object.entries(cond ?? {})) {
    for (const [key, want] of Object.entries(keys)) {
      const wants = ([] as string[]).concat(want);
      const have = req.context?.[key];
      const haves = have === undefined ? [] : ([] as string[]).concat(have);
      if (op === "Null") {
        if ((have === undefined) !== (wants[0] === "true")) return false;
      } else if (op === "StringEquals") {
        if (haves.length !== 1 || !wants.includes(haves[0]!)) return false;
      } else if (op === "ForAnyValue:StringEquals") {
        if (!haves.some((h) => wants.includes(h))) return false;
      } else {
        throw new Error(`the evaluator does not know condition operator ${op}`);
      }
    }
  }
  return true;
}

/** Whether an identity policy allows one request (this policy has no Deny statements). */
function allows(policy: PolicyDocument, req: Request): boolean {
  return policy.Statement.some(
    (s) =>
      s.Effect === "Allow" &&
      s.Action.some((a) => glob(a, req.action)) &&
      ([] as string[]).concat(s.Resource).some((r) => glob(r, req.resource)) &&
      conditionHolds(s.Condition, req),
  );
}

const ACCOUNT = "arn:aws:ec2:us-east-1:123456789012";
const TAGGED = { "aws:ResourceTag/llw:infra-id": "demo-x7k2p" };

/**
 * The EC2 calls each resource kind makes to create, read, update and delete (CloudFormation
 * calls them with the caller's permissions; Terraform's AWS provider v5 from its resource code).
 */
const CALLS_BY_KIND: Record<string, string[]> = {
  "AWS::EC2::SecurityGroup": [
    "CreateSecurityGroup",
    "CreateTags",
    "DescribeSecurityGroups",
    "DeleteSecurityGroup",
  ],
  "AWS::EC2::SecurityGroupIngress": [
    "AuthorizeSecurityGroupIngress",
    "RevokeSecurityGroupIngress",
    "DescribeSecurityGroupRules",
  ],
  "AWS::EC2::RouteTable": ["CreateRouteTable", "CreateTags", "DescribeRouteTables", "DeleteRouteTable"],
  "AWS::EC2::Subnet": [
    "CreateSubnet",
    "CreateTags",
    "ModifySubnetAttribute",
    "DescribeSubnets",
    "DeleteSubnet",
  ],
  "AWS::EC2::SubnetRouteTableAssociation": [
    "AssociateRouteTable",
    "DisassociateRouteTable",
    "DescribeRouteTables",
  ],
  "AWS::EC2::NetworkInterface": [
    "CreateNetworkInterface",
    "CreateTags",
    "ModifyNetworkInterfaceAttribute",
    "DescribeNetworkInterfaces",
    "DeleteNetworkInterface",
  ],
  "AWS::EC2::NetworkInterfaceAttachment": [
    "AttachNetworkInterface",
    "DetachNetworkInterface",
    "DescribeNetworkInterfaces",
  ],
  // aws_security_group revokes the allow-all egress rules EC2 adds to a new group, then reads it.
  aws_security_group: [
    "CreateSecurityGroup",
    "CreateTags",
    "RevokeSecurityGroupEgress",
    "DescribeSecurityGroups",
    "DescribeNetworkInterfaces",
    "DeleteSecurityGroup",
  ],
  aws_vpc_security_group_ingress_rule: [
    "AuthorizeSecurityGroupIngress",
    "RevokeSecurityGroupIngress",
    "DescribeSecurityGroupRules",
  ],
  aws_vpc_security_group_egress_rule: [
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupEgress",
    "DescribeSecurityGroupRules",
  ],
  aws_route_table: ["CreateRouteTable", "CreateTags", "DescribeRouteTables", "DeleteRouteTable"],
  aws_subnet: ["CreateSubnet", "CreateTags", "ModifySubnetAttribute", "DescribeSubnets", "DeleteSubnet"],
  aws_route_table_association: ["AssociateRouteTable", "DisassociateRouteTable", "DescribeRouteTables"],
  // Deleting an attached aws_network_interface detaches it first.
  aws_network_interface: [
    "CreateNetworkInterface",
    "CreateTags",
    "ModifyNetworkInterfaceAttribute",
    "DescribeNetworkInterfaces",
    "DetachNetworkInterface",
    "DeleteNetworkInterface",
  ],
  aws_network_interface_attachment: [
    "AttachNetworkInterface",
    "DetachNetworkInterface",
    "DescribeNetworkInterfaces",
  ],
};

async function terraformKinds(): Promise<string[]> {
  const dir = join(ROOT, "infra", "aws", "terraform", "data-network");
  const doc = (await parse("main.tf", readFileSync(join(dir, "main.tf"), "utf8"))) as {
    resource: Record<string, unknown>;
  };
  return Object.keys(doc.resource);
}

describe("data-network IAM policy", () => {
  it("allows every EC2 call of every resource kind the CloudFormation template and the Terraform module declare", async () => {
    const cfnKinds = Object.values(
      (dataNetworkTemplate() as { Resources: Record<string, { Type: string }> }).Resources,
    ).map((r) => r.Type);
    const kinds = [...new Set([...cfnKinds, ...(await terraformKinds())])].sort();
    const allowed = allowedActions(DATA_NETWORK_POLICY);
    for (const kind of kinds) {
      assert.ok(CALLS_BY_KIND[kind], `${kind}: list the EC2 calls it makes in CALLS_BY_KIND`);
      for (const call of CALLS_BY_KIND[kind]!)
        assert.ok(allowed.has(`ec2:${call}`), `${kind} calls ec2:${call}, which the policy does not allow`);
    }
    // Terraform's egress rules: authorize them, and revoke EC2's defaults from a new group.
    assert.ok(
      allowed.has("ec2:AuthorizeSecurityGroupEgress") && allowed.has("ec2:RevokeSecurityGroupEgress"),
    );
  });

  it("lets tags be written only on create (ec2:CreateAction of the template's resources), by CloudFormation, or on what llw already tagged", () => {
    const subnet = `${ACCOUNT}:subnet/subnet-0foreign`;
    // The hole this closes: tag any resource with llw:infra-id, then delete it as "ours".
    assert.equal(allows(DATA_NETWORK_POLICY, { action: "ec2:CreateTags", resource: subnet }), false);
    assert.equal(
      allows(DATA_NETWORK_POLICY, {
        action: "ec2:CreateTags",
        resource: subnet,
        context: { "aws:RequestTag/llw:infra-id": "demo-x7k2p" },
      }),
      false,
    );
    for (const create of DATA_NETWORK_CREATE_ACTIONS) {
      assert.ok(
        allows(DATA_NETWORK_POLICY, {
          action: "ec2:CreateTags",
          resource: subnet,
          context: { "ec2:CreateAction": create },
        }),
        create,
      );
    }
    assert.equal(
      allows(DATA_NETWORK_POLICY, {
        action: "ec2:CreateTags",
        resource: `${ACCOUNT}:instance/i-0abc`,
        context: { "ec2:CreateAction": "RunInstances" },
      }),
      false,
      "tagging while launching instances is not the data network's business",
    );
    assert.ok(
      allows(DATA_NETWORK_POLICY, {
        action: "ec2:CreateTags",
        resource: `${ACCOUNT}:security-group/sg-0new`,
        context: { "aws:CalledVia": ["cloudformation.amazonaws.com"] },
      }),
      "CloudFormation tags a security group after creating it",
    );
    assert.equal(
      allows(DATA_NETWORK_POLICY, {
        action: "ec2:CreateTags",
        resource: `${ACCOUNT}:instance/i-0abc`,
        context: { "aws:CalledVia": ["cloudformation.amazonaws.com"] },
      }),
      false,
    );
    assert.ok(allows(DATA_NETWORK_POLICY, { action: "ec2:CreateTags", resource: subnet, context: TAGGED }));
    for (const s of DATA_NETWORK_POLICY.Statement.filter((s) => s.Action.includes("ec2:CreateTags")))
      assert.ok(s.Condition, `${s.Sid} allows ec2:CreateTags without a condition`);
  });

  it("changes, detaches and deletes only what carries llw:infra-id; attach/detach are split by resource so the ENI must be tagged", () => {
    const sg = `${ACCOUNT}:security-group/sg-0cluster`;
    const eni = `${ACCOUNT}:network-interface/eni-0primary`;
    for (const [action, resource] of [
      ["ec2:AuthorizeSecurityGroupIngress", sg],
      ["ec2:AuthorizeSecurityGroupEgress", sg],
      ["ec2:RevokeSecurityGroupEgress", sg],
      ["ec2:DeleteSecurityGroup", sg],
      ["ec2:DetachNetworkInterface", eni],
      ["ec2:AttachNetworkInterface", eni],
      ["ec2:DeleteNetworkInterface", eni],
      ["ec2:DeleteSubnet", `${ACCOUNT}:subnet/subnet-0cluster`],
    ] as const) {
      assert.equal(
        allows(DATA_NETWORK_POLICY, { action, resource }),
        false,
        `${action} on an untagged resource`,
      );
      assert.ok(
        allows(DATA_NETWORK_POLICY, { action, resource, context: TAGGED }),
        `${action} on a tagged one`,
      );
    }
    // The instance side of attach/detach carries no llw tag (it is the cluster's worker).
    assert.ok(
      allows(DATA_NETWORK_POLICY, {
        action: "ec2:DetachNetworkInterface",
        resource: `${ACCOUNT}:instance/i-0abc`,
      }),
    );
    // A Resource "*" statement with a tag condition would also demand the tag on the instance.
    for (const s of DATA_NETWORK_POLICY.Statement.filter((s) =>
      s.Action.includes("ec2:DetachNetworkInterface"),
    ))
      assert.notEqual(s.Resource, "*", `${s.Sid}: DetachNetworkInterface is authorized per resource`);
  });

  it("the evaluator is not a rubber stamp: an unconditioned CreateTags statement is caught", () => {
    const loose: PolicyDocument = {
      ...DATA_NETWORK_POLICY,
      Statement: [
        ...DATA_NETWORK_POLICY.Statement,
        { Sid: "Loose", Effect: "Allow", Action: ["ec2:CreateTags"], Resource: "*" },
      ],
    };
    assert.ok(allows(loose, { action: "ec2:CreateTags", resource: `${ACCOUNT}:subnet/subnet-0foreign` }));
  });
});
