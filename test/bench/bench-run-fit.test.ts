/**
 * `llw bench run` checks the fit against the simulated cluster before kube-burner starts (a FAKE
 * kube-burner that writes real-format output stands in for the real one): a tuned m5zn.metal
 * worker (44 isolated CPUs) holds the defaults, refuses a count it cannot hold with the count
 * that would fit, and the PerformanceProfile defaults to the cluster's only one.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { ROOT } from "../helpers/tools.ts";
import { defaultWorkers } from "../sim/cluster.ts";
import { type Sim, start } from "../sim/index.ts";
import { scenario, tune } from "../sim/scenarios.ts";

const FAKE_BIN = join(ROOT, "test", "results", "bin");

describe("simulated cluster: llw bench run sizes what it starts from the tuned node", () => {
  let sim: Sim;
  before(async () => {
    const base = scenario("untuned-c5-metal");
    sim = await start(
      {
        ...base,
        name: "tuned-m5zn-metal",
        description: "two m5zn.metal workers tuned with the repository's workshop-m5zn-metal profile",
        cluster: { ...base.cluster, workers: defaultWorkers("m5zn.metal") },
        setup: (s) => {
          base.setup?.(s);
          tune(s, "m5zn.metal");
        },
      },
      { speed: 100 },
    );
  });
  after(() => sim.stop());

  const llw = async (...args: string[]) => {
    const cwd = mkdtempSync(join(tmpdir(), "llw-bench-fit-"));
    const ctx = bufferContext({
      cwd,
      env: { PATH: `${FAKE_BIN}:${process.env.PATH}`, HOME: cwd, KUBECONFIG: sim.kubeconfig },
    });
    const code = await main(["bench", "run", ...args], ctx);
    return { code, cwd, out: ctx.out(), err: ctx.err() };
  };

  it("the defaults fit and run, with PROFILE set to the cluster's only PerformanceProfile", async () => {
    const r = await llw("tuned-pod", "--no-metadata");
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /PROFILE=workshop-m5zn-metal \(the cluster's only PerformanceProfile\)/);
    assert.match(r.err, /Starting kube-burner/);
    const [run] = readdirSync(join(r.cwd, "results", "tuned-pod"));
    const meta = JSON.parse(readFileSync(join(r.cwd, "results", "tuned-pod", run!, "metadata.json"), "utf8"));
    assert.equal(meta.variables.PROFILE, "workshop-m5zn-metal");
    assert.equal(meta.variables.ITERATIONS, "16");
  });

  it("a count the tuned nodes cannot hold: exit 2 before kube-burner starts, with the count that would fit", async () => {
    // Two tuned m5zn.metal workers: 2 x 44 isolated CPUs hold 44 pods of 2 CPUs.
    const r = await llw("tuned-pod", "--no-metadata", "--set", "ITERATIONS=60");
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /60 x Pod tuned-pod-0-1 \(2 CPUs, 256Mi memory each, exclusive CPUs\) need 120 CPUs/);
    assert.match(r.err, /have room for 44: .*room for 22 \(44 CPUs free\).*room for 22 \(44 CPUs free\)/);
    assert.match(r.err, /--set ITERATIONS=44 would fit/);
    assert.doesNotMatch(r.err, /Starting kube-burner/);
    assert.equal(existsSync(join(r.cwd, "results")), false, "no run directory");
  });

  it("another type's profile: exit 2, the runtime class does not exist, with the cluster's profile", async () => {
    const r = await llw("tuned-pod", "--no-metadata", "--set", "PROFILE=workshop-c5-metal");
    assert.equal(r.code, 2);
    assert.match(r.err, /runtime class performance-workshop-c5-metal does not exist/);
    assert.match(r.err, /--set PROFILE=workshop-m5zn-metal/);
  });

  it("a node selector that is not a label key is refused before anything (exit 2)", async () => {
    const r = await llw("tuned-pod", "--no-metadata", "--set", "NODE_SELECTOR=x: y\n  hostPID: true");
    assert.equal(r.code, 2);
    assert.match(r.err, /is not a Kubernetes label key/);
  });
});
