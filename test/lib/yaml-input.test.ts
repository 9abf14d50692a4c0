import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { kustomizeTool, SCHEMAS } from "../gitops/helpers.ts";
import { toolPath } from "../helpers/tools.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "llw-yaml-"));

/** A 9-level "billion laughs": under 600 bytes, 10^9 nodes once its aliases are expanded. */
export const ALIAS_BOMB = [
  "apiVersion: performance.openshift.io/v2",
  "kind: PerformanceProfile",
  "metadata: {name: bomb}",
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]",
  "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]",
  "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]",
  "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]",
  "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]",
  "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]",
  "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]",
  "spec: {cpu: {reserved: '0', isolated: '1'}, nodeSelector: {x: ''}, bomb: [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]}",
  "",
].join("\n");

async function llw(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]) {
  const ctx = bufferContext({ cwd, env });
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

describe("YAML inputs: aliases limited everywhere, size and binary content refused", () => {
  it("profile validate: an alias bomb is bad input (exit 2) naming the file, not a crash", {
    timeout: 30_000,
  }, async () => {
    const dir = tmp();
    assert.ok(ALIAS_BOMB.length < 700);
    writeFileSync(join(dir, "bomb.yaml"), ALIAS_BOMB);
    const r = await llw(dir, {}, "profile", "validate", "bomb.yaml");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /document 1 expands its aliases too far/);
    assert.match(r.err, /where: bomb\.yaml/);
  });

  it("lint: an alias bomb in the tree is a finding on that file (exit 1), not 25 s and a crash", {
    timeout: 120_000,
  }, async (t) => {
    if (!kustomizeTool(t)) return;
    const dir = tmp();
    mkdirSync(join(dir, "tree"));
    writeFileSync(join(dir, "tree", "bomb.yaml"), ALIAS_BOMB);
    const r = await llw(
      dir,
      { PATH: toolPath(), LLW_NO_CACHE: "1" },
      "lint",
      "tree",
      "--schemas",
      SCHEMAS,
      "-o",
      "json",
    );
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /expands its aliases too far/);
  });

  it("lint and loadManifests: an alias bomb or a FIFO that a kustomization names (directly, through another kustomization, as a patch) is a finding on that file, and kustomize is never run on it", {
    timeout: 120_000,
  }, async (t) => {
    const real = kustomizeTool(t);
    if (!real) return;
    const dir = tmp();
    const tree = join(dir, "tree");
    const unit = (name: string, kustomization: string, files: Record<string, string> = {}) => {
      mkdirSync(join(tree, name), { recursive: true });
      writeFileSync(join(tree, name, "kustomization.yaml"), kustomization);
      for (const [f, text] of Object.entries(files)) writeFileSync(join(tree, name, f), text);
    };
    const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, namespace: n}\ndata: {a: b}\n";
    unit("bomb", "resources: [bomb.yaml]\n", { "bomb.yaml": ALIAS_BOMB });
    unit("through", "resources: [../bomb]\n");
    unit("pipe", "resources: [cm.yaml]\npatches:\n  - path: patch.yaml\n", { "cm.yaml": cm });
    execFileSync("mkfifo", [join(tree, "pipe", "patch.yaml")]);
    unit("ok", "resources: [cm.yaml]\n", { "cm.yaml": cm });
    // The real kubectl behind a wrapper that logs each build and caps its memory: were a bomb to
    // reach it, it would fail in seconds instead of taking the machine's memory.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const log = join(dir, "builds.log");
    writeFileSync(
      join(bin, "kubectl"),
      `#!/bin/sh\nulimit -v 3000000\necho "$2" >> ${JSON.stringify(log)}\nexec ${JSON.stringify(real.path)} "$@"\n`,
      { mode: 0o755 },
    );
    const r = await llw(
      dir,
      { PATH: `${bin}:${toolPath()}`, LLW_NO_CACHE: "1" },
      "lint",
      "tree",
      "--schemas",
      SCHEMAS,
      "-o",
      "json",
    );
    assert.equal(r.code, 1, r.err);
    const out = JSON.parse(r.out) as {
      units: { path: string; status: string }[];
      findings: { unit: string; file?: string; message: string; alsoIn?: string[] }[];
    };
    const status = Object.fromEntries(out.units.map((u) => [u.path, u.status]));
    assert.deepEqual(status, { bomb: "failed", ok: "built", pipe: "failed", through: "failed" });
    const found = (unitName: string) => out.findings.filter((f) => f.unit === unitName);
    // One finding on the file, for both kustomizations that read it (lint reports a file once).
    assert.equal(found("bomb")[0]?.file, "bomb/bomb.yaml");
    assert.deepEqual(found("bomb")[0]?.alsoIn, ["through"]);
    assert.match(found("bomb")[0]!.message, /expands its aliases too far.*kubectl was not run/);
    assert.equal(found("pipe")[0]?.file, "pipe/patch.yaml");
    assert.match(found("pipe")[0]!.message, /FIFO/);
    assert.deepEqual(
      readFileSync(log, "utf8").trim().split("\n"),
      [join(tree, "ok")],
      "kustomize built only ok",
    );

    // tune apply and install --direct read kustomizations through loadManifests: refused there too.
    const { loadManifests } = await import("../../src/cluster/manifests.ts");
    await assert.rejects(
      loadManifests(["tree/through"], dir, { PATH: `${bin}:${toolPath()}` }),
      (e: unknown) => {
        assert.match(
          String((e as Error).message),
          /expands its aliases too far .*\(so kustomize was not run on tree\/through\)/,
        );
        return true;
      },
    );
    assert.equal(readFileSync(log, "utf8").trim().split("\n").length, 1, "kustomize was not run again");
  });

  it("profile validate: a binary file is refused in one message, not thousands of YAML errors", async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, "bin.yaml"),
      Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919) % 256)),
    );
    const r = await llw(dir, {}, "profile", "validate", "bin.yaml");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /bin\.yaml is binary \(a NUL byte at offset 0\)/);
    assert.ok(r.err.length < 1000, `${r.err.length} bytes of errors`);
  });

  it("profile validate: text that is not YAML gives at most 10 errors and a summary line", async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, "junk.yaml"),
      `${Array.from({ length: 500 }, (_, i) => `k${i}: [unclosed ${i}\n  - "x`).join("\n")}\n`,
    );
    const r = await llw(dir, {}, "profile", "validate", "junk.yaml");
    assert.equal(r.code, 2, r.err);
    assert.ok((r.err.match(/^error:/gm) ?? []).length <= 11, r.err);
    assert.ok(r.err.length < 4000, `${r.err.length} bytes of errors`);
  });

  it("profile validate: a 50 MB YAML is refused by its size (exit 2) before it is parsed", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "huge.yaml"), "");
    execFileSync("truncate", ["-s", "50M", join(dir, "huge.yaml")]);
    const r = await llw(dir, {}, "profile", "validate", "huge.yaml");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /huge\.yaml is 50 MiB, more than the 4 MiB limit for a YAML or JSON manifest/);
  });
});

describe("an empty or unusable schema directory is an error, never validation off", () => {
  const deployment = [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata: {name: d, namespace: n}",
    'spec: {replicas: "three", selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}}',
    "",
  ].join("\n");

  it('lint --schemas EMPTY and LLW_CRDS_DIR=EMPTY: exit 2 naming the folder (a Deployment with replicas: "three" used to pass)', async (t) => {
    if (!kustomizeTool(t)) return;
    const dir = tmp();
    mkdirSync(join(dir, "tree"));
    mkdirSync(join(dir, "empty"));
    writeFileSync(join(dir, "tree", "deployment.yaml"), deployment);
    const viaFlag = await llw(dir, { PATH: toolPath() }, "lint", "tree", "--schemas", "empty");
    assert.equal(viaFlag.code, 2, viaFlag.err);
    assert.match(viaFlag.err, /holds no schema file[\s\S]*where: --schemas empty/);
    const viaEnv = await llw(dir, { PATH: toolPath(), LLW_CRDS_DIR: "empty" }, "lint", "tree");
    assert.equal(viaEnv.code, 2, viaEnv.err);
    assert.match(viaEnv.err, /where: LLW_CRDS_DIR=empty/);
    // A folder of files that are not schemas is no better than an empty one.
    writeFileSync(join(dir, "empty", "notes.yaml"), "just: notes\n");
    const junk = await llw(
      dir,
      { PATH: toolPath(), LLW_NO_CACHE: "1" },
      "lint",
      "tree",
      "--schemas",
      "empty",
    );
    assert.equal(junk.code, 2, junk.err);
    assert.match(junk.err, /holds no CRD or Kubernetes OpenAPI document/);
    // With the real schemas the same tree fails its check (exit 1).
    const real = await llw(dir, { PATH: toolPath() }, "lint", "tree", "--schemas", SCHEMAS);
    assert.equal(real.code, 1, real.err);
  });

  it("profile validate and aws machineset: an empty --schemas or LLW_CRDS_DIR is exit 2, not a skipped check", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "empty"));
    writeFileSync(
      join(dir, "p.yaml"),
      "apiVersion: performance.openshift.io/v2\nkind: PerformanceProfile\nmetadata: {name: p}\nspec: {cpu: {reserved: '0', isolated: '1'}, nodeSelector: {a/b: ''}}\n",
    );
    for (const [env, extra] of [
      [{ LLW_CRDS_DIR: "empty" }, []],
      [{}, ["--schemas", "empty"]],
    ] as const) {
      const pv = await llw(dir, env, "profile", "validate", "p.yaml", ...extra);
      assert.equal(pv.code, 2, pv.err);
      assert.match(pv.err, /holds no schema file/);
      const ms = await llw(
        dir,
        env,
        "aws",
        "machineset",
        "--instance-type",
        "c5.metal",
        "--from",
        "p.yaml",
        ...extra,
      );
      assert.equal(ms.code, 2, ms.err);
      assert.match(ms.err, /holds no schema file/);
    }
  });
});
