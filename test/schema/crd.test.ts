import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { UserError } from "../../src/lib/errors.ts";
import { readCrd, validateAgainstCrd } from "../../src/schema/crd.ts";
import { SCHEMAS_DIR } from "../helpers/tools.ts";

const crd = readCrd(join(SCHEMAS_DIR, "performanceprofiles.performance.openshift.io.yaml"));
const good = {
  apiVersion: "performance.openshift.io/v2",
  kind: "PerformanceProfile",
  metadata: { name: "p" },
  spec: {
    cpu: { reserved: "0-1", isolated: "2-7" },
    nodeSelector: { "node-role.kubernetes.io/worker-rt": "" },
  },
};

describe("CRD schema validation against the real upstream PerformanceProfile CRD", () => {
  it("accepts a valid v2 profile", () => {
    assert.deepEqual(validateAgainstCrd(good, crd), []);
  });
  it("reports unknown fields (strict field validation, as kubectl does)", () => {
    const bad = { ...good, spec: { ...good.spec, cpu: { ...good.spec.cpu, isolate: "3" } } };
    assert.deepEqual(validateAgainstCrd(bad, crd), [
      { path: "spec.cpu.isolate", message: 'unknown field "isolate"' },
    ]);
  });
  it("reports wrong types with the JSON path (the CRD has no enums: the webhook checks values)", () => {
    const bad = {
      ...good,
      spec: {
        ...good.spec,
        realTimeKernel: { enabled: "yes" },
        hugepages: { pages: [{ size: "1G", count: "x" }] },
      },
    };
    assert.deepEqual(validateAgainstCrd(bad, crd), [
      { path: "spec.hugepages.pages[0].count", message: "must be integer" },
      { path: "spec.realTimeKernel.enabled", message: "must be boolean" },
    ]);
  });
  it("reports required fields (spec.cpu, spec.nodeSelector)", () => {
    const findings = validateAgainstCrd({ ...good, spec: {} }, crd);
    assert.ok(
      findings.some((f) => /must have required property 'cpu'/.test(f.message)),
      JSON.stringify(findings),
    );
  });
  it("validates the deprecated v1 schema when the object says v1, and rejects unknown versions", () => {
    assert.deepEqual(validateAgainstCrd({ ...good, apiVersion: "performance.openshift.io/v1" }, crd), []);
    assert.match(
      validateAgainstCrd({ ...good, apiVersion: "performance.openshift.io/v9" }, crd)[0]!.message,
      /does not serve/,
    );
    assert.match(
      validateAgainstCrd({ ...good, kind: "Tuned" }, crd)[0]!.message,
      /expected PerformanceProfile/,
    );
  });
  it("refuses a file that is not a CRD, with a UserError naming it", () => {
    assert.throws(
      () => readCrd(join(SCHEMAS_DIR, "MANIFEST.md")),
      (e: unknown) => e instanceof UserError,
    );
  });
});

describe("CRD schema validation: the fields every custom resource has", () => {
  const nad = readCrd(join(SCHEMAS_DIR, "network-attachment-definitions.k8s.cni.cncf.io.upstream-main.yaml"));
  const obj = {
    apiVersion: "k8s.cni.cncf.io/v1",
    kind: "NetworkAttachmentDefinition",
    metadata: { name: "data", namespace: "low-latency-workshop", annotations: { a: "b" } },
    spec: { config: '{"cniVersion":"1.0.0","type":"host-device"}' },
  };
  it("accepts apiVersion, kind and metadata even where the CRD's schema declares only spec", () => {
    assert.deepEqual(validateAgainstCrd(obj, nad), []);
  });
  it("still rejects an unknown top-level field", () => {
    assert.deepEqual(validateAgainstCrd({ ...obj, extra: 1 }, nad), [
      { path: "extra", message: 'unknown field "extra"' },
    ]);
  });
});
