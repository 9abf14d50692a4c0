/**
 * The Terraform module declares what the CloudFormation template declares: same resource kinds,
 * inputs and outputs (through the explicit table below), parsed with HashiCorp's HCL parser
 * (@cdktf/hcl2json, the hcl2json Go library compiled to WebAssembly), and formatted canonically.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "@cdktf/hcl2json";
import { dataNetworkTemplate } from "../../src/aws/data-network/template.ts";
import { ROOT, which } from "../helpers/tools.ts";
import { formatProblems } from "./hcl-format.ts";

/** Ways a hand edit breaks terraform fmt's layout, and what the check must say about each. */
const DRIFTS: { name: string; change: (s: string) => string; caught: RegExp }[] = [
  {
    name: "an = out of line with its neighbours",
    change: (s) => s.replace("  vpc_id      = var.vpc_id", "  vpc_id = var.vpc_id"),
    caught: /"=" at column/,
  },
  {
    name: "an attribute indented by four",
    change: (s) => s.replace("\n  map_public_ip_on_launch", "\n    map_public_ip_on_launch"),
    caught: /indented 4 spaces, expected 2/,
  },
  {
    name: "a closing brace not dedented",
    change: (s) => s.replace(/\n}\n\n# Local routes/, "\n  }\n\n# Local routes"),
    caught: /indented 2 spaces, expected 0/,
  },
  {
    name: "trailing whitespace",
    change: (s) => s.replace("vpc_id = var.vpc_id\n", "vpc_id = var.vpc_id  \n"),
    caught: /trailing whitespace/,
  },
  {
    name: "a tab",
    change: (s) => s.replace("\n  vpc_id = var.vpc_id", "\n\tvpc_id = var.vpc_id"),
    caught: /tab/,
  },
  {
    name: "two spaces after =",
    change: (s) => s.replace('ip_protocol       = "-1"', 'ip_protocol       =  "-1"'),
    caught: /more than one space/,
  },
  {
    name: "no spaces around =",
    change: (s) => s.replace("  vpc_id = var.vpc_id", "  vpc_id=var.vpc_id"),
    caught: /one space after|"=" at column/,
  },
];

/**
 * Terraform is not in Debian's archive (HashiCorp ships it from its own repository), so CI cannot
 * install it: where it is missing these checks are skipped with that said, even under CI.
 */
function terraform(t: { skip: (m: string) => void }): boolean {
  if (which("terraform")) return true;
  t.skip(
    "terraform is not on PATH (HashiCorp's own apt repository or release zip): fmt/validate checks not run",
  );
  return false;
}

const MODULE = join(ROOT, "infra", "aws", "terraform", "data-network");

type Hcl = {
  resource?: Record<string, Record<string, unknown[]>>;
  variable?: Record<string, unknown[]>;
  output?: Record<string, unknown[]>;
};

async function parseModule(dir: string): Promise<Required<Hcl>> {
  const out: Required<Hcl> = { resource: {}, variable: {}, output: {} };
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".tf"))) {
    const doc = (await parse(f, readFileSync(join(dir, f), "utf8"))) as Hcl;
    for (const [type, byName] of Object.entries(doc.resource ?? {}))
      out.resource[type] = { ...out.resource[type], ...byName };
    Object.assign(out.variable, doc.variable ?? {});
    Object.assign(out.output, doc.output ?? {});
  }
  return out;
}

/** CloudFormation resource type -> Terraform AWS provider resource type. */
const RESOURCE_KINDS: Record<string, string> = {
  "AWS::EC2::SecurityGroup": "aws_security_group",
  "AWS::EC2::SecurityGroupIngress": "aws_vpc_security_group_ingress_rule",
  "AWS::EC2::RouteTable": "aws_route_table",
  "AWS::EC2::Subnet": "aws_subnet",
  "AWS::EC2::SubnetRouteTableAssociation": "aws_route_table_association",
  "AWS::EC2::NetworkInterface": "aws_network_interface",
  "AWS::EC2::NetworkInterfaceAttachment": "aws_network_interface_attachment",
};

/**
 * Terraform kinds with no CloudFormation resource of their own: the egress rules CloudFormation's
 * security group gets without declaring them (compared below, rule by rule).
 */
const TF_ONLY_KINDS = ["aws_vpc_security_group_egress_rule"];

/** A security-group rule in a form both tools can be reduced to. */
interface Rule {
  direction: "ingress" | "egress";
  protocol: string;
  /** A literal CIDR, or the Terraform variable it comes from ("var.subnet_cidrs[per zone]"). */
  peer: string;
  ports: string;
}

const ruleKey = (r: Rule) => `${r.direction} ${r.protocol} ${r.peer} ports ${r.ports}`;

/**
 * AWS::EC2::SecurityGroup without SecurityGroupEgress keeps the egress rules EC2 adds to a new
 * group: "all outbound IPv4 and IPv6 traffic" (CloudFormation's AWS::EC2::SecurityGroup reference).
 */
const CFN_DEFAULT_EGRESS: Rule[] = [
  { direction: "egress", protocol: "-1", peer: "0.0.0.0/0", ports: "all" },
  { direction: "egress", protocol: "-1", peer: "::/0", ports: "all" },
];

type CfnResource = { Type: string; Condition?: string; Properties: Record<string, unknown> };

/** A CloudFormation rule's peer: a literal, or the parameter it refers to mapped to its Terraform variable. */
function cfnPeer(value: unknown): string {
  if (typeof value === "string") return value;
  const name = (value as { Ref?: string }).Ref;
  const row = INPUTS.find(([re]) => name !== undefined && re.test(name));
  if (!row) return `unmapped ${JSON.stringify(value)}`;
  // A numbered parameter is one slot of a per-zone (or per-worker) list.
  return /\d$/.test(name!) ? `var.${row[1]}[per zone]` : `var.${row[1]}`;
}

function ports(from: unknown, to: unknown): string {
  return from === undefined && to === undefined ? "all" : `${from}-${to}`;
}

/** The rules of the template's one security group, CloudFormation's implicit egress included. */
function cfnRules(resources: Record<string, CfnResource>): string[] {
  const rules: Rule[] = [];
  let sgDeclaresEgress = false;
  const fromProps = (direction: Rule["direction"], p: Record<string, unknown>): Rule => ({
    direction,
    protocol: String(p.IpProtocol),
    peer: cfnPeer(p.CidrIp ?? p.CidrIpv6 ?? p.SourceSecurityGroupId ?? p.DestinationSecurityGroupId),
    ports: ports(p.FromPort, p.ToPort),
  });
  for (const r of Object.values(resources)) {
    if (r.Type === "AWS::EC2::SecurityGroup") {
      for (const p of (r.Properties.SecurityGroupIngress ?? []) as Record<string, unknown>[])
        rules.push(fromProps("ingress", p));
      const egress = r.Properties.SecurityGroupEgress as Record<string, unknown>[] | undefined;
      if (egress) sgDeclaresEgress = true;
      // A per-zone rule is { "Fn::If": [HasZoneN, rule, AWS::NoValue] }: the rule when the zone exists.
      const unwrap = (p: Record<string, unknown>) =>
        (p["Fn::If"] as [string, Record<string, unknown>] | undefined)?.[1] ?? p;
      for (const p of egress ?? []) rules.push(fromProps("egress", unwrap(p)));
    }
    if (r.Type === "AWS::EC2::SecurityGroupIngress") rules.push(fromProps("ingress", r.Properties));
    if (r.Type === "AWS::EC2::SecurityGroupEgress") rules.push(fromProps("egress", r.Properties));
  }
  if (!sgDeclaresEgress) rules.push(...CFN_DEFAULT_EGRESS);
  return [...new Set(rules.map(ruleKey))].sort();
}

/**
 * A Terraform rule's peer: a literal, "${var.x}", "${var.x[count.index]}" under a per-zone count,
 * or "${each.value}" over the zone -> CIDR map.
 */
function tfPeer(value: unknown, count: unknown, forEach?: unknown): string {
  if (typeof value !== "string") return `unmapped ${JSON.stringify(value)}`;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an HCL interpolation, not a JS template
  if (value === "${each.value}" && forEach === "${local.subnet_cidr_by_zone}")
    return "var.subnet_cidrs[per zone]";
  const m = /^\$\{var\.([a-z_]+)(\[count\.index\])?\}$/.exec(value);
  if (!m) return value;
  if (!m[2]) return `var.${m[1]}`;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an HCL interpolation, not a JS template
  return count === "${length(var.availability_zones)}" ? `var.${m[1]}[per zone]` : `unmapped count ${count}`;
}

/** The module's security-group rules: inline blocks and standalone rule resources (Terraform adds no default egress). */
function tfRules(resource: Record<string, Record<string, unknown[]>>): string[] {
  const rules: Rule[] = [];
  const block = (direction: Rule["direction"], b: Record<string, unknown>): Rule => ({
    direction,
    protocol: String(b.ip_protocol ?? b.protocol),
    peer: tfPeer(
      b.cidr_ipv4 ??
        b.cidr_ipv6 ??
        (b.cidr_blocks as unknown[] | undefined)?.[0] ??
        (b.ipv6_cidr_blocks as unknown[] | undefined)?.[0] ??
        b.referenced_security_group_id,
      b.count,
      b.for_each,
    ),
    ports:
      String(b.ip_protocol ?? b.protocol) === "-1" && (b.from_port ?? 0) === 0
        ? "all"
        : ports(b.from_port, b.to_port),
  });
  for (const sg of Object.values(resource.aws_security_group ?? {}).flat() as Record<string, unknown>[]) {
    for (const b of (sg.ingress ?? []) as Record<string, unknown>[]) rules.push(block("ingress", b));
    for (const b of (sg.egress ?? []) as Record<string, unknown>[]) rules.push(block("egress", b));
  }
  for (const [kind, direction] of [
    ["aws_vpc_security_group_ingress_rule", "ingress"],
    ["aws_vpc_security_group_egress_rule", "egress"],
  ] as const) {
    for (const b of Object.values(resource[kind] ?? {}).flat() as Record<string, unknown>[])
      rules.push(block(direction, b));
  }
  for (const b of Object.values(resource.aws_security_group_rule ?? {}).flat() as Record<string, unknown>[])
    rules.push(block(b.type === "egress" ? "egress" : "ingress", b));
  return [...new Set(rules.map(ruleKey))].sort();
}

/** CloudFormation parameter (slots numbered) -> Terraform variable (a list where CloudFormation has slots). */
const INPUTS: [RegExp, string][] = [
  [/^ClusterInfraId$/, "cluster_infra_id"],
  [/^VpcId$/, "vpc_id"],
  [/^AvailabilityZone\d$/, "availability_zones"],
  [/^SubnetCidr\d$/, "subnet_cidrs"],
  [/^WorkerInstanceId\d$/, "worker_instance_ids"],
  [/^WorkerZone\d$/, "worker_zones"],
  [/^InterfacesPerWorker$/, "interfaces_per_worker"],
  [/^AttachInterfaces$/, "attach_interfaces"],
];

const OUTPUTS: [RegExp, string][] = [
  [/^SecurityGroupId$/, "security_group_id"],
  [/^SubnetId\d$/, "subnet_ids"],
  [/^Worker\d+Interface\d+Id$/, "network_interface_ids"],
];

/** Both sides map onto the table, and every row is used by both. */
function assertCorrespond(cfnNames: string[], tfNames: string[], table: [RegExp, string][], what: string) {
  const fromCfn = new Set<string>();
  for (const n of cfnNames) {
    const row = table.filter(([re]) => re.test(n));
    assert.equal(row.length, 1, `CloudFormation ${what} ${n} matches ${row.length} rows`);
    fromCfn.add(row[0]![1]);
  }
  assert.deepEqual(
    [...fromCfn].sort(),
    [...new Set(table.map(([, tf]) => tf))].sort(),
    `every ${what} row has a CloudFormation side`,
  );
  assert.deepEqual([...tfNames].sort(), [...fromCfn].sort(), `Terraform ${what}s equal CloudFormation's`);
}

describe("data-network Terraform module", () => {
  it("parses with HashiCorp's HCL parser and declares the same resources, inputs and outputs as the CloudFormation template", async () => {
    const tf = await parseModule(MODULE);
    const cfn = dataNetworkTemplate() as {
      Parameters: Record<string, unknown>;
      Resources: Record<string, { Type: string }>;
      Outputs: Record<string, unknown>;
    };
    const cfnKinds = [...new Set(Object.values(cfn.Resources).map((r) => r.Type))].sort();
    assert.deepEqual(
      cfnKinds,
      Object.keys(RESOURCE_KINDS).sort(),
      "the table covers every CloudFormation kind",
    );
    assert.deepEqual(
      Object.keys(tf.resource).sort(),
      [...cfnKinds.map((k) => RESOURCE_KINDS[k]!), ...TF_ONLY_KINDS].sort(),
    );
    assertCorrespond(Object.keys(cfn.Parameters), Object.keys(tf.variable), INPUTS, "input");
    assertCorrespond(Object.keys(cfn.Outputs), Object.keys(tf.output), OUTPUTS, "output");
  });

  it("the security group lets the same traffic in and out (ingress and egress rules compared, CloudFormation's implicit egress included)", async () => {
    const tf = await parseModule(MODULE);
    const cfn = dataNetworkTemplate() as { Resources: Record<string, CfnResource> };
    const expected = cfnRules(cfn.Resources);
    // Only between the data subnets, both ways: no allow-all egress (IPv4 or IPv6) on either side.
    assert.deepEqual(expected, [
      "egress -1 var.subnet_cidrs[per zone] ports all",
      "ingress -1 var.subnet_cidrs[per zone] ports all",
    ]);
    assert.deepEqual(tfRules(tf.resource), expected);
  });

  it("the rule comparison fails when Terraform drops the egress rules (aws_security_group removes AWS's default ones)", async () => {
    mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, "test-artifacts", "tf-"));
    try {
      cpSync(MODULE, dir, { recursive: true });
      const main = readFileSync(join(MODULE, "main.tf"), "utf8");
      const without = main.replace(
        /resource "aws_vpc_security_group_egress_rule" "[a-z0-9_]+" \{[\s\S]*?\n\}\n/g,
        "",
      );
      assert.notEqual(without, main, "the copy lost its egress rules");
      writeFileSync(join(dir, "main.tf"), without);
      const tf = await parseModule(dir);
      const cfn = dataNetworkTemplate() as { Resources: Record<string, CfnResource> };
      assert.throws(() => assert.deepEqual(tfRules(tf.resource), cfnRules(cfn.Resources)), /egress/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the details that matter: device index from 1, source/dest check left on (as in the template), llw:infra-id and no kubernetes.io/cluster tag", async () => {
    const tf = await parseModule(MODULE);
    const attach = tf.resource.aws_network_interface_attachment!.data![0] as Record<string, string>;
    // hcl2json renders HCL expressions as "${...}" strings.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an HCL interpolation, not a JS template
    assert.equal(attach.device_index, "${each.value.device_index}");
    const main = readFileSync(join(MODULE, "main.tf"), "utf8");
    assert.match(main, /range\(1, var\.interfaces_per_worker \+ 1\)/, "device indexes start at 1");
    const eni = tf.resource.aws_network_interface!.data![0] as Record<string, unknown>;
    assert.equal(eni.source_dest_check, undefined);
    const cfnEnis = Object.values(
      (dataNetworkTemplate() as { Resources: Record<string, CfnResource> }).Resources,
    ).filter((r) => r.Type === "AWS::EC2::NetworkInterface");
    for (const r of cfnEnis) assert.equal(r.Properties.SourceDestCheck, undefined);
    // Keyed by zone and by instance/device, never by list position: removing one zone moves no other.
    for (const kind of ["aws_subnet", "aws_route_table_association", "aws_vpc_security_group_ingress_rule"])
      assert.equal((tf.resource[kind]!.data![0] as Record<string, unknown>).count, undefined, kind);
    // The llw tag, and not the cluster's: that would make the data subnets load-balancer candidates.
    assert.match(main, /"llw:infra-id" = var\.cluster_infra_id/);
    assert.doesNotMatch(main, /"kubernetes\.io\/cluster\//);
  });

  it("the comparison fails when the module drifts (a dropped output is noticed)", async () => {
    mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, "test-artifacts", "tf-"));
    try {
      cpSync(MODULE, dir, { recursive: true });
      writeFileSync(
        join(dir, "outputs.tf"),
        readFileSync(join(MODULE, "outputs.tf"), "utf8").replace(/output "subnet_ids" \{[\s\S]*?\n\}/, ""),
      );
      const tf = await parseModule(dir);
      const cfn = dataNetworkTemplate() as { Outputs: Record<string, unknown> };
      assert.throws(() =>
        assertCorrespond(Object.keys(cfn.Outputs), Object.keys(tf.output), OUTPUTS, "output"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is laid out as terraform fmt writes it (hclwrite's indentation, = alignment and spacing rules, checked without terraform), and each kind of drift is caught", () => {
    for (const f of readdirSync(MODULE).filter((n) => n.endsWith(".tf")))
      assert.deepEqual(formatProblems(readFileSync(join(MODULE, f), "utf8"), f), [], f);
    const main = readFileSync(join(MODULE, "main.tf"), "utf8");
    for (const d of DRIFTS) {
      const text = d.change(main);
      assert.notEqual(text, main, `${d.name}: the drift applies`);
      assert.match(formatProblems(text, "main.tf").join("\n"), d.caught, d.name);
    }
  });

  it("terraform fmt agrees with that check (where terraform is installed): the module passes fmt -check, every drifted copy fails it, and fmt's own output passes the check", (t) => {
    if (!terraform(t)) return;
    const ok = spawnSync("terraform", ["fmt", "-check", "-diff", "-no-color", MODULE], { encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, "test-artifacts", "tf-"));
    try {
      const main = readFileSync(join(MODULE, "main.tf"), "utf8");
      for (const d of DRIFTS) {
        const file = join(dir, "main.tf");
        writeFileSync(file, d.change(main));
        const bad = spawnSync("terraform", ["fmt", "-check", "-no-color", dir], { encoding: "utf8" });
        assert.notEqual(bad.status, 0, `terraform fmt -check accepts the drift "${d.name}"`);
        spawnSync("terraform", ["fmt", "-no-color", dir], { encoding: "utf8" });
        assert.deepEqual(
          formatProblems(readFileSync(file, "utf8"), "main.tf"),
          [],
          `after terraform fmt: ${d.name}`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("terraform validate (needs the hashicorp/aws provider, which terraform init downloads: skipped, saying so, when the registry is unreachable)", (t) => {
    if (!terraform(t)) return;
    mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, "test-artifacts", "tf-"));
    try {
      cpSync(MODULE, dir, { recursive: true });
      const init = spawnSync("terraform", ["init", "-backend=false", "-input=false", "-no-color"], {
        cwd: dir,
        encoding: "utf8",
        timeout: 120_000,
      });
      if (init.status !== 0) {
        if (
          /registry\.terraform\.io|no such host|dial tcp|Failed to query available provider packages/.test(
            init.stdout + init.stderr,
          )
        ) {
          t.skip(
            "terraform validate did not run: terraform init could not download the hashicorp/aws provider (no network to the Terraform registry here)",
          );
          return;
        }
        assert.fail(`terraform init failed:\n${init.stdout}${init.stderr}`);
      }
      const v = spawnSync("terraform", ["validate", "-no-color"], { cwd: dir, encoding: "utf8" });
      assert.equal(v.status, 0, v.stdout + v.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
