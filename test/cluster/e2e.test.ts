import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers/tools.ts";

describe("real cluster (LLW_E2E_KUBECONFIG)", () => {
  it("runs scripts/e2e-cluster.sh: doctor, install --dry-run, tune apply --dry-run against the cluster", (t) => {
    if (!process.env.LLW_E2E_KUBECONFIG) {
      t.skip(
        "LLW_E2E_KUBECONFIG is not set: no real cluster to test against (the simulated cluster tests cover the same commands)",
      );
      return;
    }
    const r = spawnSync("sh", [join(ROOT, "scripts", "e2e-cluster.sh")], {
      encoding: "utf8",
      env: { ...process.env, NODE: process.execPath },
      timeout: 60 * 60 * 1000,
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /STATUS\s+CHECK/);
    assert.match(r.stdout, /e2e-cluster: done/);
  });
});
