import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { main } from "../../src/cli.ts";
import { checkProfiles } from "../../src/gitops/checks/profiles.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { validateNodeSelectorDuplication } from "../../src/profile/validate.ts";
import { ROOT } from "../helpers/tools.ts";

const pp = (name: string, nodeSelector?: Record<string, string>) => ({
  apiVersion: "performance.openshift.io/v2",
  kind: "PerformanceProfile",
  metadata: { name },
  spec: { cpu: { reserved: "0", isolated: "1-3" }, ...(nodeSelector ? { nodeSelector } : {}) },
});
// The webhook's wording (performanceprofile_validation.go, validateNodeSelectorDuplication).
const dup = (other: string) => `the profile has the same node selector as the performance profile "${other}"`;

describe("validateNodeSelectorDuplication (the webhook's rule, for profiles created together in order)", () => {
  it("a later profile with an equal selector (key order aside) is refused, naming the earlier one", () => {
    const found = validateNodeSelectorDuplication([
      pp("a", { "node-role.kubernetes.io/worker-rt": "", zone: "x" }),
      pp("b", { zone: "x", "node-role.kubernetes.io/worker-rt": "" }),
      pp("c", { "node-role.kubernetes.io/worker-dpdk": "" }),
    ]);
    assert.deepEqual(found, [
      { index: 1, severity: "error", path: "spec.nodeSelector", message: dup("a"), source: "webhook" },
    ]);
  });
  it("the same name again is an update, not a clash; a third equal selector clashes with both", () => {
    const s = { "node-role.kubernetes.io/worker-rt": "" };
    assert.deepEqual(validateNodeSelectorDuplication([pp("a", s), pp("a", s)]), []);
    const three = validateNodeSelectorDuplication([pp("a", s), pp("b", s), pp("c", s)]);
    assert.deepEqual(
      three.map((f) => [f.index, f.message]),
      [
        [1, dup("a")],
        [2, dup("a")],
        [2, dup("b")],
      ],
    );
  });
  it("a subset or a different value is not equal (DeepEqual, not overlap)", () => {
    assert.deepEqual(
      validateNodeSelectorDuplication([
        pp("a", { x: "1", y: "2" }),
        pp("b", { x: "1" }),
        pp("c", { x: "2" }),
      ]),
      [],
    );
  });
});

describe("llw profile validate FILE... (profiles given together are one cluster's set)", () => {
  const generate = async (dir: string, file: string, ...flags: string[]) => {
    const ctx = bufferContext({ cwd: dir });
    assert.equal(await main(["profile", "generate", "--quiet", "--out", file, ...flags], ctx), 0, ctx.err());
  };
  it("two files whose profiles share a nodeSelector: exit 1, the later one's nodeSelector line, the webhook's words", async () => {
    const dir = await mkdtemp(join(tmpdir(), "llw-dup-"));
    await generate(dir, "c5.yaml", "--instance-type", "c5.metal");
    await generate(dir, "m5.yaml", "--instance-type", "m5.metal");
    const ctx = bufferContext({ cwd: dir });
    assert.equal(await main(["profile", "validate", "c5.yaml", "m5.yaml"], ctx), 1, ctx.out() + ctx.err());
    const line =
      readFileSync(join(dir, "m5.yaml"), "utf8")
        .split("\n")
        .findIndex((l) => l.startsWith("  nodeSelector:")) + 1;
    assert.match(
      ctx.out(),
      new RegExp(
        `^m5\\.yaml:${line}: error spec\\.nodeSelector: the profile has the same node selector as the performance profile "workshop-c5-metal" \\[webhook\\]$`,
        "m",
      ),
    );
    assert.doesNotMatch(ctx.out(), /^c5\.yaml:.*same node selector/m);
    assert.match(ctx.err(), /c5\.yaml, m5\.yaml: 1 error in 2 PerformanceProfiles/);
  });
  it("each file alone, or profiles with their own pools, are valid", async () => {
    const dir = await mkdtemp(join(tmpdir(), "llw-dup-"));
    await generate(dir, "c5.yaml", "--instance-type", "c5.metal");
    await generate(
      dir,
      "dpdk.yaml",
      "--instance-type",
      "c5.metal",
      "--mcp-name",
      "worker-dpdk",
      "--profile-name",
      "dpdk",
    );
    for (const files of [["c5.yaml"], ["c5.yaml", "dpdk.yaml"]]) {
      const ctx = bufferContext({ cwd: dir });
      assert.equal(await main(["profile", "validate", ...files], ctx), 0, ctx.out());
    }
    // Two documents in one file are a set as well.
    const both = `${readFileSync(join(dir, "c5.yaml"), "utf8")}---\n${readFileSync(join(dir, "c5.yaml"), "utf8").replace("name: workshop-c5-metal", "name: copy")}`;
    writeFileSync(join(dir, "both.yaml"), both);
    const ctx = bufferContext({ cwd: dir });
    assert.equal(await main(["profile", "validate", "both.yaml", "-o", "json"], ctx), 1);
    const data = JSON.parse(ctx.out());
    assert.deepEqual(
      data.findings.map((f: { file: string; document: number; message: string }) => [
        f.file,
        f.document,
        f.message,
      ]),
      [["both.yaml", 2, dup("workshop-c5-metal")]],
    );
  });
  it("the tree's profiles are alternatives (one per cluster): each file alone is valid, and lint's profile check, which sees all of them, does not apply the set rule", async () => {
    const dir = join(ROOT, "gitops/overlays/aws/performance-profiles");
    const files = readdirSync(dir).filter((f) => f.endsWith(".metal.yaml") || /\.metal-\d+xl\.yaml$/.test(f));
    assert.ok(files.length >= 10, files.join(", "));
    const objects = files.map((f) => ({
      obj: parse(readFileSync(join(dir, f), "utf8")),
      unit: "performance-profiles",
      file: f,
    }));
    const lint = checkProfiles(objects, { repoRoot: ROOT, root: dir } as Parameters<typeof checkProfiles>[1]);
    assert.deepEqual(
      lint.filter((f) => /same node selector/.test(f.message)),
      [],
    );
    const one = bufferContext({ cwd: ROOT });
    assert.equal(await main(["profile", "validate", join(dir, "c5.metal.yaml")], one), 0, one.out());
    // Given together to profile validate, they are one cluster's set, and they clash.
    const together = bufferContext({ cwd: ROOT });
    assert.equal(
      await main(["profile", "validate", ...files.slice(0, 2).map((f) => join(dir, f))], together),
      1,
    );
    assert.match(together.out(), /same node selector as the performance profile/);
  });
});
