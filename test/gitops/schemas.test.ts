import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { jsonPath, SchemaRegistry, scanCrd } from "../../src/gitops/schemas.ts";
import { SCHEMAS } from "./helpers.ts";

describe("schema registry (real upstream schemas)", () => {
  it("scans every shared CRD file to the same group, kind and versions as a full YAML parse", () => {
    const files = readdirSync(SCHEMAS).filter((f) => f.endsWith(".yaml"));
    assert.ok(files.length >= 30);
    for (const f of files) {
      const text = readFileSync(join(SCHEMAS, f), "utf8");
      const d = parse(text, { maxAliasCount: -1 });
      const full = {
        group: d.spec.group,
        kind: d.spec.names.kind,
        versions: d.spec.versions.map((v: { name: string }) => v.name),
      };
      assert.deepEqual(scanCrd(text), full, f);
    }
  });

  it("indexes built-in kinds, CRD versions and KubeVirt kinds (from the Swagger paths)", async () => {
    const r = new SchemaRegistry();
    await r.addDirectory(SCHEMAS);
    for (const [av, k] of [
      ["v1", "Pod"],
      ["apps/v1", "Deployment"],
      ["node.k8s.io/v1", "RuntimeClass"],
      ["performance.openshift.io/v2", "PerformanceProfile"],
      ["performance.openshift.io/v1", "PerformanceProfile"],
      ["kubevirt.io/v1", "VirtualMachine"],
      ["kubevirt.io/v1", "VirtualMachineInstance"],
      ["argoproj.io/v1alpha1", "ApplicationSet"],
      ["operators.coreos.com/v1", "OperatorGroup"],
    ] as const) {
      assert.ok(r.has(av, k), `${av} ${k}`);
    }
    assert.equal(
      r.has("v1beta1", "VirtualMachine"),
      false,
      "the snapshot type v1beta1.VirtualMachine is not a kind",
    );
    // The primary copy wins over the upstream-main copy of the same CRD.
    assert.equal(
      r
        .sourceOf("k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition")
        ?.endsWith("network-attachment-definitions.k8s.cni.cncf.io.yaml"),
      true,
    );
  });

  it("rejects unknown fields, wrong types and missing required fields, with JSON paths", async () => {
    const r = new SchemaRegistry();
    await r.addDirectory(SCHEMAS);
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", labelz: {} },
      spec: { containers: [{ name: "c", image: "i", resources: { limits: { cpu: 4 } }, colour: "x" }] },
    };
    const issues = await r.validate(pod);
    assert.deepEqual(issues?.map((i) => `${i.path}: ${i.message}`).sort(), [
      'metadata.labelz: unknown field "labelz"',
      'spec.containers[0].colour: unknown field "colour"',
    ]);
    const sub = {
      apiVersion: "operators.coreos.com/v1alpha1",
      kind: "Subscription",
      metadata: { name: "s", namespace: "n" },
      spec: { channel: "stable" },
    };
    const subIssues = await r.validate(sub);
    assert.ok(
      subIssues?.some((i) => i.path === "spec.name" && /required/.test(i.message)),
      JSON.stringify(subIssues),
    );
    assert.deepEqual(
      await r.validate({ ...sub, spec: { name: "x", source: "s", sourceNamespace: "n", channel: "c" } }),
      [],
    );
    // CRD metadata is ObjectMeta: annotations and namespace are allowed.
    const hco = {
      apiVersion: "hco.kubevirt.io/v1beta1",
      kind: "HyperConverged",
      metadata: { name: "kubevirt-hyperconverged", namespace: "openshift-cnv", annotations: { a: "b" } },
      spec: {},
    };
    assert.deepEqual(await r.validate(hco), []);
    assert.equal(await r.validate({ apiVersion: "example.com/v1", kind: "Nothing" }), undefined);
  });

  it("turns JSON pointers into the paths a reviewer reads", () => {
    assert.equal(jsonPath("/spec/containers/0/resources"), "spec.containers[0].resources");
    assert.equal(
      jsonPath("/metadata/annotations", "k8s.v1.cni.cncf.io/resourceName"),
      'metadata.annotations["k8s.v1.cni.cncf.io/resourceName"]',
    );
    assert.equal(jsonPath(""), "");
  });
});
