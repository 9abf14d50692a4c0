import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { parseCfnYaml, toCfnYaml } from "../../src/aws/cfn-yaml.ts";
import {
  dataNetworkTemplate,
  LIMITS,
  TEMPLATE_COMMENTS,
  TEMPLATE_HEADER,
} from "../../src/aws/data-network/template.ts";
import { ROOT, requireTool } from "../helpers/tools.ts";

const FILE = join(ROOT, "infra", "aws", "cloudformation", "data-network.yaml");
type Resource = { Type: string; Condition?: string; Properties: Record<string, unknown> };

describe("data-network CloudFormation template", () => {
  it("the committed YAML is exactly the rendered template (regenerate: npm run aws:template)", () => {
    assert.equal(
      readFileSync(FILE, "utf8"),
      toCfnYaml(dataNetworkTemplate(), TEMPLATE_HEADER, TEMPLATE_COMMENTS),
    );
  });

  it("reads back (short intrinsic forms included) to the same template object", () => {
    assert.deepEqual(parseCfnYaml(readFileSync(FILE, "utf8"), FILE), dataNetworkTemplate());
  });

  it("tags every taggable resource with llw:infra-id and llw:role, and none with kubernetes.io/cluster/<id> (it would make the data subnets load-balancer candidates)", () => {
    const resources = Object.entries(
      (dataNetworkTemplate() as { Resources: Record<string, Resource> }).Resources,
    );
    const tagged = resources.filter(([, r]) => r.Properties.Tags);
    assert.equal(
      tagged.length,
      resources.filter(([, r]) => !/Attachment|Association|Ingress/.test(r.Type)).length,
    );
    for (const [id, r] of tagged) {
      const keys = (r.Properties.Tags as { Key: unknown }[]).map((t) => JSON.stringify(t.Key));
      assert.ok(keys.includes('"llw:infra-id"') && keys.includes('"llw:role"'), `${id}: ${keys.join(" ")}`);
      assert.ok(!keys.some((k) => k.includes("kubernetes.io/cluster")), `${id}: ${keys.join(" ")}`);
    }
  });

  it("passes cfn-lint with no errors or warnings", (t) => {
    if (!requireTool(t, "cfn-lint", "pip install cfn-lint")) return;
    const r = spawnSync("cfn-lint", ["--format", "parseable", FILE], { encoding: "utf8" });
    assert.equal(r.stdout.trim(), "", r.stdout);
    assert.equal(r.status, 0, r.stderr);
  });

  it("cfn-lint does catch a broken copy (the check can fail)", (t) => {
    if (!requireTool(t, "cfn-lint", "pip install cfn-lint")) return;
    const broken = readFileSync(FILE, "utf8").replace("Type: AWS::EC2::Subnet", "Type: AWS::EC2::Subnett");
    const copy = join(ROOT, "test-artifacts", "aws", "broken-data-network.yaml");
    mkdirSync(dirname(copy), { recursive: true });
    writeFileSync(copy, broken);
    const r = spawnSync("cfn-lint", ["--format", "parseable", copy], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /E3006|Subnett/);
  });

  it("attaches ENIs at device index 1 and up, never 0, and never deletes them with the instance", () => {
    const res = dataNetworkTemplate().Resources as Record<string, Resource>;
    const attachments = Object.values(res).filter((r) => r.Type === "AWS::EC2::NetworkInterfaceAttachment");
    assert.equal(attachments.length, LIMITS.workers * LIMITS.interfacesPerWorker);
    const indexes = new Set(attachments.map((a) => Number(a.Properties.DeviceIndex)));
    assert.deepEqual([...indexes].sort(), [1, 2, 3, 4]);
    for (const a of attachments) assert.equal(a.Properties.DeleteOnTermination, false);
  });

  it("every conditional resource and output names a declared condition; every Ref names a parameter or resource", () => {
    const tpl = dataNetworkTemplate() as {
      Parameters: Record<string, unknown>;
      Conditions: Record<string, unknown>;
      Resources: Record<string, Resource>;
      Outputs: Record<string, { Condition?: string }>;
    };
    for (const [id, r] of Object.entries(tpl.Resources))
      if (r.Condition) assert.ok(tpl.Conditions[r.Condition], id);
    for (const [id, o] of Object.entries(tpl.Outputs))
      if (o.Condition) assert.ok(tpl.Conditions[o.Condition], id);
    const refs = JSON.stringify(tpl).matchAll(/"Ref":"([^"]+)"/g);
    for (const [, name] of refs) {
      assert.ok(
        name!.startsWith("AWS::") || name! in tpl.Parameters || name! in tpl.Resources,
        `Ref ${name}`,
      );
    }
  });

  it("the security group sends only to the data subnets (its declared egress replaces EC2's allow-all) and ENIs keep the source/destination check", () => {
    const res = dataNetworkTemplate().Resources as Record<string, Resource>;
    const sg = res.DataSecurityGroup!.Properties.SecurityGroupEgress as {
      "Fn::If": [string, object, object];
    }[];
    assert.equal(sg.length, LIMITS.zones);
    sg.forEach((rule, i) => {
      assert.equal(rule["Fn::If"][0], `HasZone${i + 1}`);
      assert.deepEqual(rule["Fn::If"][1], {
        IpProtocol: "-1",
        CidrIp: { Ref: `SubnetCidr${i + 1}` },
        Description: `All traffic to data subnet ${i + 1}`,
      });
      assert.deepEqual(rule["Fn::If"][2], { Ref: "AWS::NoValue" });
    });
    for (const r of Object.values(res).filter((x) => x.Type === "AWS::EC2::NetworkInterface"))
      assert.equal(r.Properties.SourceDestCheck, undefined);
  });

  it("zone parameters accept every AWS zone grammar (commercial, GovCloud, ISO, Local Zones) and nothing that could leave a file name", () => {
    const tpl = dataNetworkTemplate() as { Parameters: Record<string, { AllowedPattern?: string }> };
    for (const name of ["AvailabilityZone1", "WorkerZone4"]) {
      const re = new RegExp(tpl.Parameters[name]!.AllowedPattern!);
      for (const ok of [
        "",
        "us-east-2a",
        "us-gov-west-1a",
        "us-iso-east-1a",
        "us-east-1-bos-1a",
        "cn-north-1a",
      ])
        assert.ok(re.test(ok), `${name} ${ok}`);
      for (const bad of ["us-east-1a/../x", "US-EAST-1A", "us-east-1", "useast1a", "us-east-1a\n"])
        assert.ok(!re.test(bad), `${name} ${bad}`);
    }
  });

  it("the aws CLI's YAML reader (PyYAML) reads the version as a string, not a date", (t) => {
    if (!requireTool(t, "python3", "apt-get install python3")) return;
    const out = execFileSync(
      "python3",
      [
        "-c",
        "import sys,yaml\nyaml.add_multi_constructor('!', lambda l,s,n: None)\nprint(repr(yaml.load(open(sys.argv[1]), Loader=yaml.Loader)['AWSTemplateFormatVersion']))",
        FILE,
      ],
      { encoding: "utf8" },
    );
    assert.equal(out.trim(), "'2010-09-09'");
  });
});
