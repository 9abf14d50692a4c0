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
    assert.deepEqual(Object.keys(tf.resource).sort(), cfnKinds.map((k) => RESOURCE_KINDS[k]!).sort());
    assertCorrespond(Object.keys(cfn.Parameters), Object.keys(tf.variable), INPUTS, "input");
    assertCorrespond(Object.keys(cfn.Outputs), Object.keys(tf.output), OUTPUTS, "output");
  });

  it("keeps the details that matter: device index from 1, source/dest check off, the cluster tag", async () => {
    const tf = await parseModule(MODULE);
    const attach = tf.resource.aws_network_interface_attachment!.data![0] as Record<string, string>;
    // hcl2json renders HCL expressions as "${...}" strings.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an HCL interpolation, not a JS template
    assert.equal(attach.device_index, "${each.value.device_index}");
    const main = readFileSync(join(MODULE, "main.tf"), "utf8");
    assert.match(main, /range\(1, var\.interfaces_per_worker \+ 1\)/, "device indexes start at 1");
    const eni = tf.resource.aws_network_interface!.data![0] as Record<string, unknown>;
    assert.equal(eni.source_dest_check, false);
    assert.match(main, /"kubernetes\.io\/cluster\/\$\{var\.cluster_infra_id\}" = "owned"/);
  });

  it("the comparison fails when the module drifts (a dropped output is noticed)", async () => {
    mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, "test-artifacts", "tf-"));
    try {
      cpSync(MODULE, dir, { recursive: true });
      writeFileSync(
        join(dir, "outputs.tf"),
        readFileSync(join(MODULE, "outputs.tf"), "utf8").replace(/output "subnet_ids" \{[^}]*\}/s, ""),
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

  it("is formatted canonically (terraform fmt -check), and fmt -check does flag a mis-formatted copy", (t) => {
    if (!terraform(t)) return;
    const ok = spawnSync("terraform", ["fmt", "-check", "-diff", "-no-color", MODULE], { encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
    const dir = mkdtempSync(join(ROOT, "test-artifacts", "tf-"));
    try {
      writeFileSync(join(dir, "bad.tf"), 'variable "x" {\ntype=string\n}\n');
      const bad = spawnSync("terraform", ["fmt", "-check", "-no-color", dir], { encoding: "utf8" });
      assert.notEqual(bad.status, 0);
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
