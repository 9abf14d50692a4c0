import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { precompileValidators, treeKinds } from "../../src/gitops/precompile.ts";
import { SchemaRegistry } from "../../src/gitops/schemas.ts";
import { ROOT } from "../helpers/tools.ts";
import { SCHEMAS, TREE } from "./helpers.ts";

const BAD_OBJECTS = [
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", bad: 1 },
    spec: { containers: [{ name: "c", image: 1 }] },
  },
  {
    apiVersion: "performance.openshift.io/v2",
    kind: "PerformanceProfile",
    metadata: { name: "pp" },
    spec: { cpu: { isolated: "2-3", reserverd: "0-1" }, hugepages: { pages: [{ size: "1G", count: "4" }] } },
  },
];

async function validateAll(r: SchemaRegistry) {
  const out = [];
  for (const o of BAD_OBJECTS) out.push(await r.validate(o));
  return out;
}

describe("validators compiled at build time (real tree, real upstream schemas)", () => {
  it("finds every kind of the workshop tree, including the Secret its cloud-init file defines and what llw sriov generate writes", async () => {
    const kinds = (await treeKinds(TREE)).map((k) => `${k.apiVersion}/${k.kind}`);
    for (const k of [
      "performance.openshift.io/v2/PerformanceProfile",
      "kubevirt.io/v1/VirtualMachine",
      "argoproj.io/v1alpha1/ApplicationSet",
      "sriovnetwork.openshift.io/v1/SriovNetworkNodePolicy",
      "sriovnetwork.openshift.io/v1/SriovNetwork",
      "v1/Pod",
      "v1/Secret",
    ]) {
      assert.ok(kinds.includes(k), `${k} not in ${kinds.join(", ")}`);
    }
    assert.ok(!kinds.some((k) => k.endsWith("/Kustomization")), "kustomization files are not objects");
  });

  it("ships one validator per kind; a registry loads them instead of compiling, with the same findings", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "llw-shipped-")), "validators");
    const result = await precompileValidators({ tree: TREE, schemas: SCHEMAS, out });
    assert.deepEqual(result.unknown, [], "every kind of the tree has a schema");
    const cjs = readdirSync(out).filter((f) => f.endsWith(".cjs"));
    assert.equal(cjs.length, result.written.length);
    assert.deepEqual(
      readdirSync(out).filter((f) => f.endsWith(".cjs.sha256")),
      cjs.map((f) => `${f}.sha256`),
      "each validator is written with its digest",
    );
    assert.equal(result.written.length, (await treeKinds(TREE)).length);
    // Portable: ajv's runtime is required by package name, not by this checkout's path.
    for (const f of readdirSync(out)) {
      const code = readFileSync(join(out, f), "utf8");
      assert.ok(!code.includes(ROOT), `${f} names an absolute path`);
    }

    const compiled = new SchemaRegistry();
    await compiled.addDirectory(SCHEMAS);
    const shipped = new SchemaRegistry({ shippedDir: out });
    await shipped.addDirectory(SCHEMAS);
    const expected = await validateAll(compiled);
    assert.deepEqual(await validateAll(shipped), expected);
    assert.ok(
      expected.every((issues) => issues && issues.length > 0),
      JSON.stringify(expected),
    );
    assert.ok(
      expected[1]!.some((i) => i.message === 'unknown field "reserverd"'),
      JSON.stringify(expected[1]),
    );
    assert.deepEqual(shipped.stats, { compiled: 0, cached: 2 });
    assert.deepEqual(compiled.stats, { compiled: 2, cached: 0 });
    // Read only: a miss is compiled in memory, nothing is added to the shipped directory.
    const before = readdirSync(out).length;
    await shipped.validate({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } });
    assert.equal(shipped.stats.compiled, 1);
    assert.equal(readdirSync(out).length, before);

    // Another schema file for a kind (another version of the CRD): the shipped validator is not used.
    const changed = mkdtempSync(join(tmpdir(), "llw-schemas-"));
    cpSync(SCHEMAS, changed, { recursive: true });
    const crd = join(changed, "performanceprofiles.performance.openshift.io.yaml");
    writeFileSync(crd, readFileSync(crd, "utf8").replaceAll("reserved:", "reserverd:"));
    const other = new SchemaRegistry({ shippedDir: out });
    await other.addDirectory(changed);
    const found = await validateAll(other);
    assert.deepEqual(other.stats, { compiled: 1, cached: 1 });
    assert.ok(!found[1]!.some((i) => i.message === 'unknown field "reserverd"'), JSON.stringify(found[1]));
  });
});
