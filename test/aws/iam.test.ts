/**
 * The data-network IAM policy: enough for what the CloudFormation template, the Terraform module
 * and llw call (the registry handlers' permissions of every resource type the template uses, every
 * SDK call in src/aws), and no more where it matters: every action that changes something is
 * conditioned on the llw:infra-id tag (or, for tagging, on the create action or CloudFormation),
 * and a mutation test shows the check fails when one loses its condition. The checks run the
 * policy through a small evaluator of the IAM rules it uses (Allow statements, Resource globs,
 * Null / StringEquals / StringLike / ForAnyValue:StringEquals conditions, every resource of a
 * request checked on its own); real IAM is not available here, and the EC2 emulator does not
 * enforce policies.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "@cdktf/hcl2json";
import { RESOURCE_FACTS } from "../../src/aws/data-network/resource-facts.ts";
import { dataNetworkTemplate } from "../../src/aws/data-network/template.ts";
import {
  allowedActions,
  DATA_NETWORK_CREATE_ACTIONS,
  DATA_NETWORK_POLICY,
  isReadOnlyAction,
  LLW_READ_POLICY,
  type PolicyDocument,
  unconditionedMutations,
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
      } else if (op === "StringLike") {
        if (haves.length !== 1 || !wants.some((w) => glob(w, haves[0]!))) return false;
      } else if (op === "ForAnyValue:StringEquals") {
        if (!haves.some((h) => wants.includes(h))) return false;
      } else {
        throw new Error(`the evaluator does not know condition operator ${op}`);
      }
    }
  }
  return true;
}

/** Whether an identity policy allows one request on one resource (this policy has no Deny statements). */
function allows(policy: PolicyDocument, req: Request): boolean {
  return policy.Statement.some(
    (s) =>
      s.Effect === "Allow" &&
      s.Action.some((a) => glob(a, req.action)) &&
      ([] as string[]).concat(s.Resource).some((r) => glob(r, req.resource)) &&
      conditionHolds(s.Condition, req),
  );
}

/**
 * A request that names several resources (ReplaceRouteTableAssociation names the route table and
 * the subnet; AttachNetworkInterface the ENI and the instance) is allowed only when each of them is,
 * each with its own resource tags and the request's keys.
 */
function allowsAll(
  policy: PolicyDocument,
  action: string,
  resources: { arn: string; context?: Record<string, string | string[]> }[],
  requestContext: Record<string, string | string[]> = {},
): boolean {
  return resources.every((r) =>
    allows(policy, { action, resource: r.arn, context: { ...requestContext, ...r.context } }),
  );
}

const ACCOUNT = "arn:aws:ec2:us-east-1:123456789012";
const TAGGED = { "aws:ResourceTag/llw:infra-id": "demo-x7k2p" };

/**
 * The EC2 calls each Terraform resource kind makes to create, read, update and delete (the AWS
 * provider v5, from its resource code). CloudFormation's come from the registry schemas
 * (RESOURCE_FACTS).
 */
const CALLS_BY_KIND: Record<string, string[]> = {
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
  it("allows every action CloudFormation's registry handlers (create, read, update, delete) list for each resource type the template uses", () => {
    const cfnKinds = [
      ...new Set(
        Object.values(
          (dataNetworkTemplate() as { Resources: Record<string, { Type: string }> }).Resources,
        ).map((r) => r.Type),
      ),
    ].sort();
    const allowed = allowedActions(DATA_NETWORK_POLICY);
    for (const kind of cfnKinds) {
      const facts = RESOURCE_FACTS[kind];
      assert.ok(facts, `${kind}: copy its registry schema's handlers into resource-facts.ts`);
      for (const [handler, actions] of Object.entries(facts.permissions))
        for (const a of actions)
          assert.ok(allowed.has(a), `${kind} ${handler} handler calls ${a}, which the policy does not allow`);
    }
    // The one the policy used to miss: the association's create handler may replace an association.
    assert.ok(allowed.has("ec2:ReplaceRouteTableAssociation"));
  });

  it("allows every EC2 call of every resource kind the Terraform module declares", async () => {
    const allowed = allowedActions(DATA_NETWORK_POLICY);
    for (const kind of await terraformKinds()) {
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
    // The instance side of attach/detach carries no llw tag (it is the cluster's worker): a metal one only.
    const metal = { "ec2:InstanceType": "c5.metal" };
    assert.ok(
      allows(DATA_NETWORK_POLICY, {
        action: "ec2:DetachNetworkInterface",
        resource: `${ACCOUNT}:instance/i-0abc`,
        context: metal,
      }),
    );
    assert.equal(
      allows(DATA_NETWORK_POLICY, {
        action: "ec2:AttachNetworkInterface",
        resource: `${ACCOUNT}:instance/i-0master`,
        context: { "ec2:InstanceType": "m6i.xlarge" },
      }),
      false,
      "no attaching to a control-plane or ordinary worker instance",
    );
    // A Resource "*" statement with a tag condition would also demand the tag on the instance.
    for (const s of DATA_NETWORK_POLICY.Statement.filter((s) =>
      s.Action.includes("ec2:DetachNetworkInterface"),
    ))
      assert.notEqual(s.Resource, "*", `${s.Sid}: DetachNetworkInterface is authorized per resource`);
  });

  it("cannot touch the cluster's own networking: its primary ENIs, its subnets' attributes and route-table associations, its security groups", () => {
    const clusterEni = { arn: `${ACCOUNT}:network-interface/eni-0primary` };
    const clusterSubnet = { arn: `${ACCOUNT}:subnet/subnet-0private` };
    const dataRouteTable = { arn: `${ACCOUNT}:route-table/rtb-0data`, context: TAGGED };
    const dataSubnet = { arn: `${ACCOUNT}:subnet/subnet-0data`, context: TAGGED };
    assert.equal(allowsAll(DATA_NETWORK_POLICY, "ec2:ModifyNetworkInterfaceAttribute", [clusterEni]), false);
    assert.equal(allowsAll(DATA_NETWORK_POLICY, "ec2:ModifySubnetAttribute", [clusterSubnet]), false);
    // Moving a private subnet onto the data route table (no NAT route) would cut the cluster off.
    for (const action of ["ec2:ReplaceRouteTableAssociation", "ec2:AssociateRouteTable"]) {
      assert.equal(allowsAll(DATA_NETWORK_POLICY, action, [dataRouteTable, clusterSubnet]), false, action);
      assert.ok(allowsAll(DATA_NETWORK_POLICY, action, [dataRouteTable, dataSubnet]), action);
    }
    assert.equal(
      allowsAll(DATA_NETWORK_POLICY, "ec2:CreateSubnet", [
        { arn: `${ACCOUNT}:subnet/*` },
        { arn: `${ACCOUNT}:vpc/vpc-0cluster` },
      ]),
      false,
      "a subnet without the llw tag",
    );
    assert.ok(
      allowsAll(
        DATA_NETWORK_POLICY,
        "ec2:CreateSubnet",
        [{ arn: `${ACCOUNT}:subnet/*` }, { arn: `${ACCOUNT}:vpc/vpc-0cluster` }],
        { "aws:RequestTag/llw:infra-id": "demo-x7k2p" },
      ),
    );
    const stack = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo-x7k2p-llw-data-network/1";
    assert.equal(
      allows(DATA_NETWORK_POLICY, { action: "cloudformation:CreateStack", resource: stack }),
      false,
    );
    assert.equal(
      allows(DATA_NETWORK_POLICY, { action: "cloudformation:UpdateStack", resource: stack }),
      false,
    );
    assert.ok(
      allows(DATA_NETWORK_POLICY, {
        action: "cloudformation:CreateStack",
        resource: stack,
        context: { "aws:RequestTag/llw:infra-id": "demo-x7k2p" },
      }),
    );
  });

  it("every action that changes something is conditioned (tag, create action or CloudFormation); reads alone are unconditioned", () => {
    assert.deepEqual(unconditionedMutations(DATA_NETWORK_POLICY), []);
    for (const s of DATA_NETWORK_POLICY.Statement.filter((x) => !x.Condition))
      for (const a of s.Action) assert.ok(isReadOnlyAction(a), `${s.Sid}: ${a}`);
  });

  it("mutation test: taking the condition off any statement that allows a change is caught, by the check and by the evaluator on a foreign resource", () => {
    const conditioned = DATA_NETWORK_POLICY.Statement.filter(
      (s) => s.Condition && s.Action.some((a) => !isReadOnlyAction(a)),
    );
    assert.ok(conditioned.length >= 6, "the policy's changes are spread over several statements");
    for (const target of conditioned) {
      const mutant: PolicyDocument = {
        ...DATA_NETWORK_POLICY,
        Statement: DATA_NETWORK_POLICY.Statement.map((s) => {
          if (s !== target) return s;
          const { Condition: _dropped, ...rest } = s;
          return rest;
        }),
      };
      const found = unconditionedMutations(mutant);
      assert.ok(
        found.some((f) => f.sid === target.Sid),
        `${target.Sid} without its condition is not reported`,
      );
      // And it matters: some change on a resource llw did not tag becomes allowed.
      const resource = ([] as string[]).concat(target.Resource)[0]!.replace(/\*$/, "foreign");
      const before = target.Action.filter(
        (a) => !isReadOnlyAction(a) && !allows(DATA_NETWORK_POLICY, { action: a, resource }),
      );
      assert.ok(
        before.some((a) => allows(mutant, { action: a, resource })),
        `${target.Sid}: dropping the condition opens nothing on ${resource}`,
      );
    }
  });

  it("mutation test: any mutating action added to an unconditioned statement is caught", () => {
    const mutating = [...allowedActions(DATA_NETWORK_POLICY)].filter((a) => !isReadOnlyAction(a));
    assert.ok(mutating.length > 20);
    for (const action of mutating) {
      const mutant: PolicyDocument = {
        ...DATA_NETWORK_POLICY,
        Statement: DATA_NETWORK_POLICY.Statement.map((s) =>
          s.Sid === "DataNetworkRead" ? { ...s, Action: [...s.Action, action] } : s,
        ),
      };
      assert.deepEqual(unconditionedMutations(mutant), [{ sid: "DataNetworkRead", action }]);
    }
  });

  it("allows every AWS SDK call in src/aws (each command imported from @aws-sdk/client-ec2 or client-cloudformation), by the data-network or the read policy", () => {
    const root = join(ROOT, "src", "aws");
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith(".ts")) files.push(join(dir, e.name));
      }
    };
    walk(root);
    const allowed = new Set([...allowedActions(DATA_NETWORK_POLICY), ...allowedActions(LLW_READ_POLICY)]);
    const calls = new Set<string>();
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      for (const m of text.matchAll(
        /import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/client-(ec2|cloudformation)"/g,
      )) {
        for (const name of m[1]!.matchAll(/\b([A-Z][A-Za-z]+)Command\b/g)) calls.add(`${m[2]}:${name[1]}`);
      }
    }
    assert.ok(calls.size >= 15, [...calls].join(" "));
    const missing = [...calls].filter((c) => !allowed.has(c));
    assert.deepEqual(missing, [], "SDK calls in src/aws that no llw policy allows");
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
    assert.deepEqual(unconditionedMutations(loose), [{ sid: "Loose", action: "ec2:CreateTags" }]);
  });
});
