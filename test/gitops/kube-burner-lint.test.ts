import assert from "node:assert/strict";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import type { LintFinding } from "../../src/gitops/model.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { ROOT, toolPath } from "../helpers/tools.ts";
import { edit, kustomizeTool, lintRepo } from "./helpers.ts";

/** gitops/ and benchmarks/ of the repository, copied to <tmp>/repo. */
function copyRepo(): string {
  const repo = join(mkdtempSync(join(tmpdir(), "llw-kb-")), "repo");
  for (const d of ["gitops", "benchmarks"]) cpSync(join(ROOT, d), join(repo, d), { recursive: true });
  return repo;
}

const show = (fs: LintFinding[]) =>
  fs.map((f) => `${f.severity} ${f.rule} ${f.file}: ${f.message}`).join("\n");

describe("llw lint renders the kube-burner templates in benchmarks/ as kube-burner would (real kubectl, real schemas)", () => {
  it("llw lint . on the whole repository: exit 0, no error, the schemas skipped, every workload rendered and checked", async (t) => {
    if (!kustomizeTool(t)) return;
    const ctx = bufferContext({ cwd: ROOT, env: { PATH: toolPath(), HOME: ROOT, LLW_NO_CACHE: "1" } });
    const code = await main(["lint", ".", "-o", "json"], ctx);
    const r = JSON.parse(ctx.out()) as {
      errors: number;
      findings: LintFinding[];
      units: { path: string; type: string; status: string; objects: number }[];
    };
    assert.equal(code, 0, show(r.findings));
    assert.equal(r.errors, 0, show(r.findings));
    const workloads = r.units.filter((u) => u.type === "kube-burner");
    assert.deepEqual(
      workloads.map((u) => `${u.path} ${u.status} ${u.objects}`),
      ["baseline-pod", "baseline-vm", "cyclictest", "hwlatdetect", "oslat", "tuned-pod", "tuned-vm"].map(
        (w) => `benchmarks/${w} rendered 1`,
      ),
    );
    assert.equal(r.units.find((u) => u.path === "schemas")?.status, "skipped");
    assert.ok(!r.units.some((u) => u.path.includes("/templates")), "templates are not linted as manifests");
  });

  it("a tuned-pod template that renders Burstable (cpu request below its limit) is an error on the template file", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const repo = copyRepo();
    edit(join(repo, "benchmarks/tuned-pod/templates/pod.yml"), (s) =>
      s.replace('requests:\n          cpu: "{{.cpu}}"', 'requests:\n          cpu: "1"'),
    );
    const r = await lintRepo(repo, tool, "benchmarks");
    const f = r.findings.find((x) => x.rule === "pod" && x.severity === "error");
    assert.ok(f, show(r.findings));
    assert.equal(f.file, "tuned-pod/templates/pod.yml");
    assert.equal(f.object, "Pod tuned-pod-0-1");
    assert.match(f.message, /not Guaranteed QoS: container "sleeper" requests cpu 1 but its limit is 2/);
  });

  it("renders with the variables.yml defaults: a PROFILE default no PerformanceProfile of gitops/ has is an error", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const repo = copyRepo();
    edit(join(repo, "benchmarks/variables.yml"), (s) =>
      s.replaceAll('PROFILE: { default: "workshop-c5-metal"', 'PROFILE: { default: "workshop-c9-metal"'),
    );
    const r = await lintRepo(repo, tool, "benchmarks");
    const rc = r.findings.filter((x) => x.rule === "runtime-class");
    assert.deepEqual(
      rc.map((x) => x.file).sort(),
      [
        "cyclictest/templates/pod.yml",
        "hwlatdetect/templates/pod.yml",
        "oslat/templates/pod.yml",
        "tuned-pod/templates/pod.yml",
      ],
      show(r.findings),
    );
    assert.match(rc[0]!.message, /"workshop-c9-metal", which is not in the tree/);
  });

  it("an object template whose key no inputVar gives, a variable without a default, and a missing template are errors; YAML broken only once rendered is an error", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const repo = copyRepo();
    edit(join(repo, "benchmarks/baseline-pod/templates/pod.yml"), (s) =>
      s.replace("{{.image}}", "{{.imagee}}"),
    );
    edit(join(repo, "benchmarks/oslat/oslat.yml"), (s) => s.replace("{{.TIMEOUT}}", "{{.TIMEOUTT}}"));
    edit(join(repo, "benchmarks/baseline-vm/baseline-vm.yml"), (s) =>
      s.replace("templates/vm.yml", "templates/vm-missing.yml"),
    );
    // Valid YAML as written, broken once {{.memory}} renders to a value with a colon in it.
    edit(join(repo, "benchmarks/tuned-vm/tuned-vm.yml"), (s) =>
      s.replace('memory: "{{.VM_MEMORY}}"', 'memory: "a: b"'),
    );
    const r = await lintRepo(repo, tool, "benchmarks");
    const kb = r.findings
      .filter((x) => x.rule === "kube-burner")
      .map((x) => `${x.severity} ${x.file}: ${x.message}`);
    assert.ok(
      kb.some((m) =>
        /^error baseline-pod\/templates\/pod\.yml: kube-burner job latency-pod gives no imagee/.test(m),
      ),
      kb.join("\n"),
    );
    assert.ok(
      kb.some((m) =>
        /^error oslat\/oslat\.yml: variables without a default in variables\.yml: TIMEOUTT/.test(m),
      ),
      kb.join("\n"),
    );
    assert.ok(
      kb.some((m) =>
        /^error baseline-vm\/baseline-vm\.yml: job \S+: objectTemplate templates\/vm-missing\.yml does not exist/.test(
          m,
        ),
      ),
      kb.join("\n"),
    );
    assert.ok(
      kb.some((m) =>
        /^error tuned-vm\/templates\/vm\.yml: rendered for job \S+ \(iteration 0, replica 1\) it is not valid YAML/.test(
          m,
        ),
      ),
      kb.join("\n"),
    );
    assert.ok(r.errors >= 4);
  });

  it("a template linted without its workload is listed as skipped, not reported as a broken manifest", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const repo = copyRepo();
    const r = await lintRepo(repo, tool, "benchmarks/tuned-pod/templates");
    assert.equal(r.errors, 0, show(r.findings));
    assert.deepEqual(
      r.units.map((u) => `${u.path} ${u.type} ${u.status}`),
      [". templates skipped"],
    );
  });

  it("a workload with no variables.yml is a warning that it was not checked, naming the variables", async (t) => {
    const tool = kustomizeTool(t);
    if (!tool) return;
    const dir = join(mkdtempSync(join(tmpdir(), "llw-kb-own-")), "repo");
    cpSync(join(ROOT, "benchmarks/baseline-pod"), join(dir, "mine"), { recursive: true });
    writeFileSync(join(dir, "mine", ".keep"), "");
    const r = await lintRepo(dir, tool, "mine");
    assert.equal(r.errors, 0, show(r.findings));
    const w = r.findings.find((x) => x.rule === "kube-burner");
    assert.equal(w?.severity, "warning");
    assert.match(w!.message, /not checked: no variables\.yml beside the workload gives GC, TIMEOUT/);
  });
});
