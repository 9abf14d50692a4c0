/**
 * The attendee's journey through the lab guides, executed (`npm run journey`) against the simulated
 * OpenShift of test/sim (real HTTP; the real kubectl serves `oc`, the real @kubernetes/client-node
 * serves llw), the EC2 emulator moto_server and the stand-in kube-burner; and proof that it catches
 * a guide whose steps are in the wrong order.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MOTO_INSTALL_HINT } from "../helpers/moto.ts";
import { ROOT, requireTool } from "../helpers/tools.ts";
import { executeBlocks, substitute } from "./blocks.ts";

const RUN = join(ROOT, "test", "journey", "run.ts");
const HANG_GUARD_MS = 30 * 60_000;

function journey(...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RUN, ...args], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${join(ROOT, ".tools", "bin")}:${process.env.PATH}` },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}

const TOOLS = [
  ["kubectl", "npm run tools"],
  ["moto_server", MOTO_INSTALL_HINT],
  ["aws", "pip install awscli"],
  ["oslat", "apt-get install -y rt-tests"],
  ["cyclictest", "apt-get install -y rt-tests"],
] as const;

describe("the lab guides' execute blocks", () => {
  it("are read in page order with their journey-skip reasons, attributes substituted where the block asks for it", () => {
    const blocks = executeBlocks(join(ROOT, "content", "modules", "ROOT", "pages"), {
      "instance-type": "m5zn.metal",
      "infra-id": "x-1",
    });
    assert.ok(blocks.length >= 40, `only ${blocks.length} execute blocks`);
    const pages = blocks.map((b) => b.page);
    assert.deepEqual(pages, [...pages].sort(), "page order");
    const skipped = blocks.filter((b) => b.skip !== undefined);
    assert.ok(
      skipped.every((b) => b.skip!.length > 10),
      "every skip says why",
    );
    assert.ok(blocks.some((b) => b.text.includes("--instance-type m5zn.metal")));
    assert.ok(!blocks.some((b) => /\{instance-type\}/.test(b.text)));
  });

  it("an escaped attribute reference stays literal, an unknown one stays as written", () => {
    assert.equal(substitute("-w '%\\{http_code}' {a} {b}", { a: "1" }), "-w '%{http_code}' 1 {b}");
  });
});

// The two runs are independent (each its own simulated cluster, emulator and directory) and mostly
// wait on simulated time: they run side by side.
describe("the journey through the lab guides (simulated OpenShift, moto_server, stand-in kube-burner)", {
  concurrency: true,
}, () => {
  it("runs every execute block in page order on one simulated cluster: at least three quarters run, none fails, all five checkpoints ok", {
    timeout: HANG_GUARD_MS,
  }, async (t) => {
    for (const [tool, hint] of TOOLS) if (!requireTool(t, tool, hint)) return;
    const r = await journey();
    const last = r.out.trim().split("\n").at(-1) ?? "";
    const m = /^journey: (\d+) blocks run, (\d+) skipped, (\d+) failed$/.exec(last);
    assert.ok(m, `no final line:\n${r.out.slice(-3000)}`);
    const [ran, skipped, failed] = [Number(m[1]), Number(m[2]), Number(m[3])];
    t.diagnostic(
      `${ran} of ${ran + skipped} execute blocks run (${Math.round((100 * ran) / (ran + skipped))}%), ${skipped} skipped, ${failed} failed`,
    );
    assert.ok(ran + skipped >= 40, `only ${ran + skipped} execute blocks read`);
    assert.equal(failed, 0, r.out.slice(-6000));
    assert.ok(ran / (ran + skipped) >= 0.75, `only ${ran} of ${ran + skipped} blocks run`);
    // Each guide step ran after the one before it: the "ok"/"skip" lines are in page order.
    const ids = [...r.out.matchAll(/^(?:ok|skip) +(\d\d-[a-z-]+\.adoc):(\d+)/gm)].map(
      (x) => [x[1]!, Number(x[2])] as const,
    );
    assert.equal(ids.length, ran + skipped, "one line per block");
    for (let i = 1; i < ids.length; i++) {
      const [pa, la] = ids[i - 1]!;
      const [pb, lb] = ids[i]!;
      assert.ok(pa < pb || (pa === pb && la < lb), `${pb}:${lb} ran after ${pa}:${la}`);
    }
    for (const name of ["baseline-before-tuning", "one-rollout", "tuned-fits", "compare", "clean"])
      assert.match(r.out, new RegExp(`^checkpoint ${name}: ok`, "m"), r.out.slice(-6000));
    assert.equal(r.code, 0);
  });

  it("fails when the tuning block is moved before the baseline measurements it must follow", {
    timeout: HANG_GUARD_MS,
  }, async (t) => {
    for (const [tool, hint] of TOOLS) if (!requireTool(t, tool, hint)) return;
    const r = await journey(
      "--move",
      "hyperconverged --schemas-from-cluster@llw latency run --baseline --tool oslat",
      "--until",
      "hyperconverged --schemas-from-cluster",
    );
    assert.match(r.out, /^journey: moved 02-core-tuning\.adoc:\d+ before 02-core-tuning\.adoc:\d+$/m);
    assert.match(r.out, /^checkpoint baseline-before-tuning: failed/m, r.out.slice(-4000));
    assert.notEqual(r.code, 0);
  });
});
