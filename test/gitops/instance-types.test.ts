import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { typeOfPath } from "../../src/gitops/checks/instance-types.ts";
import type { LintFinding } from "../../src/gitops/model.ts";
import { INSTANCE_TYPES } from "../../src/topology/catalog.ts";
import { copyTree, edit, kustomizeTool, lintRepo } from "./helpers.ts";

const show = (fs: LintFinding[]) =>
  fs.map((f) => `${f.severity} ${f.rule} ${f.unit} ${f.file ?? ""}: ${f.message}`).join("\n");

/** The app of apps that deploys the tuning and the workloads (the one with the `workloads` Application). */
function tunedAppOfApps(repo: string): { dir: string; workloadsFile: string } {
  for (const d of ["bootstrap-with-tuning", "bootstrap"]) {
    const dir = join(repo, "gitops", d);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      const text = f.endsWith(".yaml") ? readFileSync(join(dir, f), "utf8") : "";
      if (/^kind: Application$/m.test(text) && /^ {2}name: workloads$/m.test(text))
        return { dir: d, workloadsFile: join(dir, f) };
    }
  }
  throw new Error("no app of apps with a workloads Application under gitops/bootstrap*");
}

/** A kustomization on top of the app of apps that points its type-dependent Applications at `type`. */
function variant(repo: string, name: string, base: string, parts: Record<string, string>): void {
  const op = (path: string, value: string, verb = "replace") =>
    `      - op: ${verb}\n        path: ${path}\n        value: ${JSON.stringify(value)}`;
  // The instance-type annotation follows the path, as llw install's and the fleet's patches set both.
  const mark = (type: string) =>
    op("/metadata/annotations/workshop.low-latency.io~1instance-type", type, "add");
  const patch = (app: string, ops: string[]) =>
    ["  - target:", "      kind: Application", `      name: ${app}`, "    patch: |-", ...ops].join("\n");
  const patches: string[] = [];
  if (parts.tuning)
    patches.push(
      patch("tuning", [
        mark(parts.tuning),
        op("/spec/source/directory/include", `{machine-config-pool.yaml,${parts.tuning}.yaml}`),
      ]),
    );
  if (parts.workloads)
    patches.push(
      patch("workloads", [
        mark(parts.workloads),
        op("/spec/source/path", `gitops/overlays/aws/${parts.workloads}`),
      ]),
    );
  if (parts.hco)
    patches.push(
      patch("instance-kubevirt-hyperconverged", [
        mark(parts.hco),
        op("/spec/source/path", `gitops/overlays/aws/${parts.hco}/hyperconverged`),
      ]),
    );
  const dir = join(repo, "gitops", "variants", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "kustomization.yaml"),
    [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      `resources:\n  - ../../${base}`,
      "patches:",
      ...patches,
      "",
    ].join("\n"),
  );
}

describe("llw lint: the type-dependent parts of a tree agree (real kubectl kustomize, real schemas)", () => {
  it("names the instance type of overlay paths and profile files, nothing else", () => {
    assert.equal(typeOfPath("gitops/overlays/aws/m5zn.metal"), "m5zn.metal");
    assert.equal(typeOfPath("gitops/overlays/aws/c7i.metal-24xl/hyperconverged"), "c7i.metal-24xl");
    assert.equal(typeOfPath("overlays/aws/performance-profiles/c5.metal.yaml"), "c5.metal");
    assert.equal(typeOfPath("overlays/aws/performance-profiles/machine-config-pool.yaml"), undefined);
    assert.equal(typeOfPath("gitops/overlays/aws/sriov"), undefined);
    assert.equal(typeOfPath("gitops/base"), undefined);
  });

  it("an app of apps that mixes c5.metal's tuning with m5zn.metal's workloads fails on the workloads Application; overlays and a fleet that use another type's profile fail", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const repo = copyTree();
    const { workloadsFile } = tunedAppOfApps(repo);
    edit(workloadsFile, (s) => s.replace("gitops/overlays/aws/c5.metal", "gitops/overlays/aws/m5zn.metal"));
    // An overlay and a HyperConverged overlay that name another type's profile.
    edit(join(repo, "gitops/overlays/aws/m5zn.metal/test-pods/kustomization.yaml"), (s) =>
      s.replace('value: "performance-workshop-m5zn-metal"', 'value: "performance-workshop-c5-metal"'),
    );
    edit(join(repo, "gitops/overlays/aws/c6i.metal/hyperconverged/default-runtime-class.yaml"), (s) =>
      s.replace("performance-workshop-c6i-metal", "performance-workshop-c5-metal"),
    );
    // A fleet that gives every cluster c5.metal's workloads.
    edit(join(repo, "gitops/fleet/applicationset.yaml"), (s) =>
      s.replace(
        "value: 'gitops/overlays/aws/{{ .values.instanceType }}'",
        "value: 'gitops/overlays/aws/c5.metal'",
      ),
    );
    const r = await lintRepo(repo, tool);
    const f = r.findings.filter((x) => x.rule === "instance-type");
    const units = (x: LintFinding) => [x.unit, ...(x.alsoIn ?? [])];
    const app = f.filter((x) => x.object === "Application openshift-gitops/workloads");
    assert.equal(app.length, 1, show(f));
    assert.equal(app[0]!.severity, "error");
    assert.match(app[0]!.message, /selects path gitops\/overlays\/aws\/m5zn\.metal \(m5zn\.metal\)/);
    assert.match(app[0]!.message, /but Application tuning selects c5\.metal/);
    const overlay = f.find((x) => units(x).includes("overlays/aws/m5zn.metal/test-pods"));
    assert.match(
      overlay?.message ?? show(f),
      /runtime class performance-workshop-c5-metal is c5\.metal's, in the m5zn\.metal part of the tree/,
    );
    const hco = f.find((x) => units(x).includes("overlays/aws/c6i.metal/hyperconverged"));
    assert.match(
      hco?.message ?? show(f),
      /defaultRuntimeClass performance-workshop-c5-metal is c5\.metal's, in the c6i\.metal part/,
    );
    // The fleet: its literal workloads path, and the c6i.metal HyperConverged overlay it would deploy.
    const fleet = f.filter((x) => x.object?.startsWith("ApplicationSet")).map((x) => x.message);
    assert.equal(fleet.length, 2, fleet.join("\n"));
    assert.match(
      fleet[0]!,
      /for a cluster of instance type c5n\.metal, child Application workloads .* still selects path gitops\/overlays\/aws\/c5\.metal/,
    );
    assert.match(
      fleet[1]!,
      /for a cluster of instance type c6i\.metal, child Application instance-kubevirt-hyperconverged .* defaultRuntimeClass performance-workshop-c5-metal \(c5\.metal\)/,
    );
    assert.equal(f.length, 5, show(f));
  });

  it("for every catalog type: the app of apps switched to that type throughout passes; its workloads or HyperConverged with c5.metal's tuning fails", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const repo = copyTree();
    const { dir } = tunedAppOfApps(repo);
    for (const { name } of INSTANCE_TYPES) {
      variant(repo, `all-${name}`, dir, { tuning: name, workloads: name, hco: name });
      if (name === "c5.metal") continue;
      variant(repo, `workloads-${name}`, dir, { tuning: "c5.metal", workloads: name, hco: "c5.metal" });
      variant(repo, `hco-${name}`, dir, { tuning: "c5.metal", workloads: "c5.metal", hco: name });
    }
    const r = await lintRepo(repo, tool);
    const f = r.findings.filter((x) => x.rule === "instance-type");
    const units = (x: LintFinding) => [x.unit, ...(x.alsoIn ?? [])];
    const failed = new Set(f.flatMap(units));
    for (const { name } of INSTANCE_TYPES) {
      assert.ok(!failed.has(`variants/all-${name}`), `all-${name} passes:\n${show(f)}`);
      if (name === "c5.metal") continue;
      for (const part of ["workloads", "hco"]) {
        const hit = f.find((x) => units(x).includes(`variants/${part}-${name}`));
        assert.ok(hit, `${part}-${name} fails:\n${show(f)}`);
        assert.match(hit.message, new RegExp(`\\(${name.replaceAll(".", "\\.")}\\)`));
        assert.match(hit.message, /but Application tuning selects c5\.metal/);
      }
    }
    assert.equal(r.errors, f.length, `no other error:\n${show(r.findings)}`);
  });
});
