import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { jsonPath, SchemaRegistry, scanCrd } from "../../src/gitops/schemas.ts";
import {
  defaultCacheDir,
  SHIPPED_VALIDATORS,
  shippedValidatorDir,
} from "../../src/gitops/validator-cache.ts";
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

  it("caches compiled validators on disk: same findings from the cache, recompiled when the schema changes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llw-cache-"));
    const objects = [
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p", bad: 1 },
        spec: { containers: [{ name: "c", image: 1 }] },
      },
      {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "ApplicationSet",
        metadata: { name: "a" },
        spec: {
          generators: [{ clusters: { selectr: {} } }],
          template: { metadata: {}, spec: { project: 1, destination: {} } },
        },
      },
    ];
    const run = async (schemas: string) => {
      const r = new SchemaRegistry({ cacheDir: dir });
      await r.addDirectory(schemas);
      const out = [];
      for (const o of objects) out.push(await r.validate(o));
      return { out, stats: r.stats };
    };
    const cold = await run(SCHEMAS);
    const warm = await run(SCHEMAS);
    assert.deepEqual(cold.stats, { compiled: 2, cached: 0 });
    assert.deepEqual(warm.stats, { compiled: 0, cached: 2 });
    assert.deepEqual(warm.out, cold.out);
    assert.ok(cold.out[0]!.length === 2 && cold.out[1]!.length >= 2, JSON.stringify(cold.out));
    // A changed schema file is a new cache entry, never the old validator.
    const changed = mkdtempSync(join(tmpdir(), "llw-schemas-"));
    const text = readFileSync(join(SCHEMAS, "applicationsets.argoproj.io.yaml"), "utf8");
    writeFileSync(join(changed, "applicationsets.argoproj.io.yaml"), text.replace("selector:", "selectr:"));
    cpSync(join(SCHEMAS, "kubernetes-openapi-v3"), join(changed, "kubernetes-openapi-v3"), {
      recursive: true,
    });
    const after = await run(changed);
    assert.deepEqual(after.stats, { compiled: 1, cached: 1 });
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

describe("validator cache location", () => {
  it("follows LLW_CACHE_DIR, XDG_CACHE_HOME, HOME; off with LLW_NO_CACHE=1 or without a home", () => {
    assert.equal(defaultCacheDir({ LLW_CACHE_DIR: "/c", HOME: "/h" }), "/c");
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" }), "/x/llw");
    assert.equal(defaultCacheDir({ HOME: "/h" }), "/h/.cache/llw");
    assert.equal(defaultCacheDir({ HOME: "/h", LLW_NO_CACHE: "1" }), undefined);
    assert.equal(defaultCacheDir({}), undefined);
  });

  it("uses the validators shipped with the build unless LLW_NO_CACHE=1", () => {
    assert.equal(shippedValidatorDir({}), SHIPPED_VALIDATORS);
    assert.ok(SHIPPED_VALIDATORS.endsWith(join("dist", "validators")), SHIPPED_VALIDATORS);
    assert.equal(shippedValidatorDir({ LLW_NO_CACHE: "1" }), undefined);
  });
});
