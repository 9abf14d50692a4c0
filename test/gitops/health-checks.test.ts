/**
 * The Lua health checks of the workshop's Argo CD instance, run in a real Lua VM (fengari, Lua 5.3
 * in JavaScript; Argo CD embeds gopher-lua, Lua 5.1: the scripts use only what both share) against
 * the statuses the Machine Config Operator and the Node Tuning Operator report. They decide when
 * the tuning wave is done, so wave 3 waits for the metal worker's rollout.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { runHealthLua } from "../helpers/argo-lua.ts";
import { TREE } from "./helpers.ts";

const argocd = parse(
  readFileSync(join(TREE, "operators/openshift-gitops-operator/instance/argocd.yaml"), "utf8"),
) as { spec: { resourceHealthChecks: { group: string; kind: string; check: string }[] } };

function script(kind: string): string {
  const c = argocd.spec.resourceHealthChecks.find((h) => h.kind === kind);
  assert.ok(c, `a health check for ${kind}`);
  return c.check;
}

/** Runs a health check as Argo CD does: `obj` is the live object, the script returns hs. */
function health(kind: string, obj: unknown): { status: string; message: string } {
  try {
    return runHealthLua(script(kind), obj);
  } catch (e) {
    throw new Error(`Lua error in the ${kind} check: ${(e as Error).message}`);
  }
}

const cond = (type: string, status: string, message?: string) => ({
  type,
  status,
  ...(message ? { message } : {}),
});

describe("Argo CD health checks of the workshop's instance (real Lua VM)", () => {
  const pool = (over: Record<string, unknown>, conditions: unknown[], paused = false) => ({
    metadata: { name: "worker-rt", generation: 3 },
    spec: { paused, configuration: { name: "rendered-worker-rt-new" } },
    status: {
      observedGeneration: 3,
      configuration: { name: "rendered-worker-rt-new" },
      machineCount: 1,
      updatedMachineCount: 1,
      conditions,
      ...over,
    },
  });

  it("MachineConfigPool: Progressing while the worker reboots into the new configuration, Healthy once it has", () => {
    const rolling = pool({ configuration: { name: "rendered-worker-rt-old" }, updatedMachineCount: 0 }, [
      cond("Updated", "False"),
      cond("Updating", "True"),
    ]);
    assert.deepEqual(health("MachineConfigPool", rolling), {
      status: "Progressing",
      message: "0 of 1 machines updated to rendered-worker-rt-new",
    });
    // Just after the profile is applied: still Updated, but the target configuration changed.
    const notStarted = pool({ configuration: { name: "rendered-worker-rt-old" } }, [cond("Updated", "True")]);
    assert.equal(health("MachineConfigPool", notStarted).status, "Progressing");
    const stale = pool({ observedGeneration: 2 }, [cond("Updated", "True")]);
    assert.equal(health("MachineConfigPool", stale).status, "Progressing");
    const done = pool({}, [cond("Updated", "True"), cond("Updating", "False"), cond("Degraded", "False")]);
    assert.deepEqual(health("MachineConfigPool", done), {
      status: "Healthy",
      message: "1 of 1 machines on rendered-worker-rt-new",
    });
  });

  it("MachineConfigPool: Degraded with the operator's message, Suspended when paused, Progressing without status", () => {
    const degraded = pool({}, [
      cond("Updated", "False"),
      cond("NodeDegraded", "True", "Node ip-10-0-0-5 is reporting: kernel args"),
    ]);
    assert.deepEqual(health("MachineConfigPool", degraded), {
      status: "Degraded",
      message: "Node ip-10-0-0-5 is reporting: kernel args",
    });
    assert.equal(health("MachineConfigPool", pool({}, [cond("Updated", "True")], true)).status, "Suspended");
    assert.equal(
      health("MachineConfigPool", { metadata: { name: "worker-rt" }, spec: {} }).status,
      "Progressing",
    );
  });

  it("PerformanceProfile: Healthy when Available and not Progressing, Degraded with its message, else Progressing", () => {
    const pp = (conditions: unknown[]) => ({
      metadata: { name: "workshop-c5-metal" },
      status: { runtimeClass: "performance-workshop-c5-metal", conditions },
    });
    assert.deepEqual(
      health(
        "PerformanceProfile",
        pp([cond("Available", "True"), cond("Progressing", "False"), cond("Degraded", "False")]),
      ),
      { status: "Healthy", message: "runtime class performance-workshop-c5-metal" },
    );
    assert.equal(
      health(
        "PerformanceProfile",
        pp([cond("Available", "True"), cond("Progressing", "True", "Deployment Starting")]),
      ).status,
      "Progressing",
    );
    assert.deepEqual(
      health(
        "PerformanceProfile",
        pp([cond("Available", "False"), cond("Degraded", "True", "GettingTunedStatusFailed")]),
      ),
      { status: "Degraded", message: "GettingTunedStatusFailed" },
    );
    assert.equal(health("PerformanceProfile", { metadata: { name: "p" } }).status, "Progressing");
  });

  it("Application: the child's own health, Progressing until it has one", () => {
    assert.equal(health("Application", { status: { health: { status: "Healthy" } } }).status, "Healthy");
    assert.equal(health("Application", { status: {} }).status, "Progressing");
  });
});
