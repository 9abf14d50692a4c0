import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { UserError } from "../../src/lib/errors.ts";
import { BUNDLED_SCHEMAS, findSchemaDir } from "../../src/lib/schema-dir.ts";
import { ROOT } from "../helpers/tools.ts";

const PROFILE_CRD = "performanceprofiles.performance.openshift.io.yaml";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe("the workshop's bundled upstream schemas (schemas/)", () => {
  it("every file MANIFEST.md lists is there, and nothing it does not list", () => {
    assert.equal(BUNDLED_SCHEMAS, join(ROOT, "schemas"));
    const manifest = readFileSync(join(BUNDLED_SCHEMAS, "MANIFEST.md"), "utf8");
    const listed = [...manifest.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]!).sort();
    const present = files(BUNDLED_SCHEMAS)
      .map((f) => relative(BUNDLED_SCHEMAS, f))
      .filter((f) => f !== "MANIFEST.md" && f !== "SHA256SUMS")
      .sort();
    assert.ok(listed.length >= 30, `${listed.length} files listed`);
    assert.deepEqual(present, listed);
  });

  it("every file matches the SHA-256 digest recorded in schemas/SHA256SUMS when it was copied from upstream", () => {
    const sums = readFileSync(join(BUNDLED_SCHEMAS, "SHA256SUMS"), "utf8")
      .trim()
      .split("\n")
      .map((line) => {
        const [digest, name] = line.split(/\s+/);
        return { digest: digest!, name: name! };
      });
    const present = files(BUNDLED_SCHEMAS)
      .map((f) => relative(BUNDLED_SCHEMAS, f))
      .filter((f) => f !== "MANIFEST.md" && f !== "SHA256SUMS")
      .sort();
    assert.deepEqual(sums.map((s) => s.name).sort(), present);
    for (const { digest, name } of sums) {
      const actual = createHash("sha256")
        .update(readFileSync(join(BUNDLED_SCHEMAS, name)))
        .digest("hex");
      assert.equal(actual, digest, name);
    }
  });
});

describe("where the commands look for schemas", () => {
  it("uses the bundled schemas by default, from any working directory", () => {
    assert.equal(findSchemaDir(tmpdir(), {}), BUNDLED_SCHEMAS);
    assert.equal(findSchemaDir(tmpdir(), {}, PROFILE_CRD), BUNDLED_SCHEMAS);
  });

  it("prefers LLW_CRDS_DIR (relative to the working directory), unless it lacks the file asked for", () => {
    const cwd = mkdtempSync(join(tmpdir(), "llw-schemas-"));
    copyFileSync(
      join(BUNDLED_SCHEMAS, "machinesets.machine.openshift.io.yaml"),
      join(cwd, "machinesets.machine.openshift.io.yaml"),
    );
    assert.equal(findSchemaDir(cwd, { LLW_CRDS_DIR: "." }), cwd);
    assert.equal(findSchemaDir(cwd, { LLW_CRDS_DIR: "." }, PROFILE_CRD), BUNDLED_SCHEMAS);
  });

  it("refuses an empty LLW_CRDS_DIR or --schemas (validation would be off), and --schemas without the file asked for", () => {
    const cwd = mkdtempSync(join(tmpdir(), "llw-schemas-"));
    mkdirSync(join(cwd, "empty"));
    writeFileSync(join(cwd, "empty", "README.md"), "not a schema\n");
    for (const [env, explicit, where] of [
      [{ LLW_CRDS_DIR: "empty" }, undefined, "LLW_CRDS_DIR=empty"],
      [{}, "empty", "--schemas empty"],
    ] as const) {
      assert.throws(
        () => findSchemaDir(cwd, env, undefined, explicit),
        (e: unknown) =>
          e instanceof UserError &&
          e.exitCode === 2 &&
          /holds no schema file/.test(e.message) &&
          e.problems[0]!.where === where,
      );
    }
    mkdirSync(join(cwd, "partial"));
    copyFileSync(
      join(BUNDLED_SCHEMAS, "machinesets.machine.openshift.io.yaml"),
      join(cwd, "partial", "m.yaml"),
    );
    assert.throws(
      () => findSchemaDir(cwd, {}, PROFILE_CRD, "partial"),
      (e: unknown) =>
        e instanceof UserError && new RegExp(`has no ${PROFILE_CRD.replaceAll(".", "\\.")}`).test(e.message),
    );
  });

  it("refuses a LLW_CRDS_DIR that does not exist, naming it", () => {
    assert.throws(
      () => findSchemaDir(tmpdir(), { LLW_CRDS_DIR: "/nonexistent/crds" }),
      (e: UserError) =>
        e instanceof UserError &&
        /does not exist/.test(e.message) &&
        e.problems[0]!.where === "LLW_CRDS_DIR=/nonexistent/crds",
    );
  });
});
