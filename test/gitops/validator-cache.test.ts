import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SchemaRegistry } from "../../src/gitops/schemas.ts";
import { ValidatorCache } from "../../src/gitops/validator-cache.ts";
import { SCHEMAS } from "./helpers.ts";

const POD = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p" },
  spec: { containers: [{ name: "c", image: 1 }] },
};

/** A registry with a cache in `dir`, after one validation (so the Pod's validator is cached). */
async function warm(dir: string): Promise<{ key: string; file: string }> {
  const r = new SchemaRegistry({ cacheDir: dir });
  await r.addDirectory(SCHEMAS);
  await r.validate(POD);
  const vdir = join(dir, "validators");
  const name = readdirSync(vdir).find((f) => f.endsWith(".cjs"))!;
  return { key: name.replace(/\.cjs$/, ""), file: join(vdir, name) };
}

/** Code that leaves a mark if it runs, then behaves as a validator that accepts everything. */
const hostile = (mark: string) =>
  `require("node:fs").writeFileSync(${JSON.stringify(mark)}, "ran");\nmodule.exports = function v() { return true; };\n`;

async function validatesFromSchema(dir: string): Promise<{ compiled: number; cached: number; ok: boolean }> {
  const r = new SchemaRegistry({ cacheDir: dir });
  await r.addDirectory(SCHEMAS);
  const issues = await r.validate(POD);
  return { ...r.stats, ok: (issues?.length ?? 0) === 0 };
}

describe("the compiled-validator cache runs only code it wrote itself (digest, owner, permissions)", () => {
  it("a warm cache is used: the validator is loaded from the cache, not compiled", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llw-vcache-"));
    const { file } = await warm(dir);
    assert.ok(existsSync(`${file}.sha256`), "written with its digest");
    assert.deepEqual(await validatesFromSchema(dir), { compiled: 0, cached: 1, ok: false });
  });

  it("a .cjs file changed after it was written is not run: the validator is compiled from the schema", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llw-vcache-"));
    const { file } = await warm(dir);
    const mark = join(dir, "ran");
    writeFileSync(file, hostile(mark));
    assert.deepEqual(await validatesFromSchema(dir), { compiled: 1, cached: 0, ok: false });
    assert.equal(existsSync(mark), false, "the planted code did not run");
  });

  it("a .cjs file dropped into the cache without a digest, or with a digest of its own in a folder others can write, is not run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llw-vcache-"));
    const { key } = await warm(dir);
    const vdir = join(dir, "validators");
    const mark = join(dir, "ran");
    // Dropped in under the key, digest missing.
    writeFileSync(join(vdir, `${key}.cjs`), hostile(mark));
    writeFileSync(join(vdir, `${key}.cjs.sha256`), "0".repeat(64));
    assert.equal(new ValidatorCache({ dir }).load(key), undefined);
    // Digest matching, but the folder is writable by everyone: whoever planted it could have.
    const { createHash } = await import("node:crypto");
    writeFileSync(
      join(vdir, `${key}.cjs.sha256`),
      createHash("sha256")
        .update(readFileSync(join(vdir, `${key}.cjs`)))
        .digest("hex"),
    );
    chmodSync(vdir, 0o777);
    assert.equal(new ValidatorCache({ dir }).load(key), undefined);
    assert.deepEqual(await validatesFromSchema(dir), { compiled: 1, cached: 0, ok: false });
    assert.equal(existsSync(mark), false, "the planted code did not run");
    // The same entry in a folder only its owner can write is the user's own: it is loaded.
    chmodSync(vdir, 0o755);
    writeFileSync(join(vdir, `${key}.cjs`), hostile(mark));
    writeFileSync(
      join(vdir, `${key}.cjs.sha256`),
      createHash("sha256")
        .update(readFileSync(join(vdir, `${key}.cjs`)))
        .digest("hex"),
    );
    assert.equal(typeof new ValidatorCache({ dir }).load(key), "function");
    assert.equal(existsSync(mark), true);
  });

  it("LLW_CACHE_DIR on /proc neither hangs nor fails the command: the cache is skipped", async (t) => {
    if (!existsSync("/proc/self")) return t.skip("no /proc here");
    assert.deepEqual(await validatesFromSchema("/proc/llw-cache"), { compiled: 1, cached: 0, ok: false });
    assert.equal(existsSync("/proc/llw-cache"), false);
  });

  it("a cache folder that is a file is skipped too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llw-vcache-"));
    mkdirSync(join(dir, "x"));
    writeFileSync(join(dir, "x", "validators"), "not a folder");
    assert.deepEqual(await validatesFromSchema(join(dir, "x")), { compiled: 1, cached: 0, ok: false });
  });

  it("entries are keyed by a digest of the schema: after a schema changes, the old validator is never used", async () => {
    const crd = (type: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: ${type}}
`;
    const widget = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w" },
      spec: { size: "big" },
    };
    const cache = mkdtempSync(join(tmpdir(), "llw-vcache-"));
    const schemas = mkdtempSync(join(tmpdir(), "llw-vcache-schemas-"));
    const check = async () => {
      const r = new SchemaRegistry({ cacheDir: cache });
      await r.addDirectory(schemas);
      return { issues: (await r.validate(widget))?.length ?? 0, ...r.stats };
    };
    writeFileSync(join(schemas, "widget.yaml"), crd("integer"));
    assert.deepEqual(await check(), { issues: 1, compiled: 1, cached: 0 });
    assert.deepEqual(await check(), { issues: 1, compiled: 0, cached: 1 });
    // The same file, now saying size is a string: compiled anew, and "big" is valid.
    writeFileSync(join(schemas, "widget.yaml"), crd("string"));
    assert.deepEqual(await check(), { issues: 0, compiled: 1, cached: 0 });
  });
});
