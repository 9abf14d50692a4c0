/**
 * `llw doctor`'s node probes keep the cluster's trust boundary (simulated cluster): each is an
 * unprivileged pod without host access, in a namespace of llw's own, from an image pinned by
 * digest, and deleted however doctor ends, Ctrl-C and SIGTERM included.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { DEBUG_IMAGE, PROBE_MARK } from "../../src/cluster/doctor/node-probe.ts";
import { nextRunningPod, spawnLlw } from "../helpers/llw-child.ts";
import { type Obj, statusBody } from "../sim/apiserver.ts";
import { simulatedDigest } from "../sim/controllers/images.ts";
import { debugPods, installWorkshop, TUNED_CMDLINE } from "../sim/fixtures.ts";
import { startWorld, type World } from "./world.ts";

describe("simulated cluster: llw doctor's debug pods", () => {
  let w: World;
  const created: Obj[] = [];
  beforeEach(async () => {
    created.length = 0;
    w = await startWorld();
    await installWorkshop(w.sim);
    w.api.controller((ev) => {
      if (ev.type === "ADDED" && ev.object.kind === "Pod" && ev.object.metadata.namespace === "llw-debug")
        created.push(structuredClone(ev.object));
    });
    debugPods(w.sim, "llw-debug", () => ({
      phase: "Succeeded",
      log: `${TUNED_CMDLINE}\n${PROBE_MARK}\n2-47,50-95\n`,
    }));
  });
  afterEach(() => w.stop());

  it("run unprivileged (restricted-v2 SCC required, non-root), without host access, in the namespace llw-debug, from UBI minimal by digest, and are deleted", async () => {
    const r = await w.llw("doctor");
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(created.length, 2);
    for (const pod of created) {
      assert.equal(pod.metadata.namespace, "llw-debug");
      assert.equal(pod.metadata.annotations?.["openshift.io/required-scc"], "restricted-v2");
      assert.equal(pod.spec.securityContext.runAsNonRoot, true);
      const c = pod.spec.containers[0];
      assert.equal(c.image, DEBUG_IMAGE);
      assert.match(c.image, /@sha256:[0-9a-f]{64}$/);
      assert.equal(pod.spec.hostPID, undefined);
      assert.equal(pod.spec.hostNetwork, undefined);
      assert.equal(pod.spec.volumes, undefined, "no hostPath");
      assert.equal(c.securityContext.privileged, undefined);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
    }
    assert.equal(w.api.list("v1", "Pod", "default").length, 0, "nothing in default");
    assert.equal(w.api.list("v1", "Pod", "llw-debug").filter((p) => !p.metadata.deletionTimestamp).length, 0);
  });

  it("--debug-image by tag runs by the digest the cluster resolves it to", async () => {
    const tag = "registry.redhat.io/rhel9/support-tools:latest";
    const r = await w.llw("doctor", "--debug-image", tag);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(
      created[0]!.spec.containers[0].image,
      `registry.redhat.io/rhel9/support-tools@${simulatedDigest(tag)}`,
    );
  });

  /** The API server refuses the first `n` deletes of a debug pod (500, as a busy control plane may). */
  const failDeletes = (n: number) => {
    let left = n;
    w.api.react({ verb: "delete", resource: "pods", namespace: "llw-debug" }, () =>
      left-- > 0
        ? { code: 500, body: statusBody(500, "InternalError", "etcdserver: request timed out") }
        : undefined,
    );
  };
  const left = () =>
    w.api
      .list("v1", "Pod", "llw-debug")
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.metadata.name);

  it("a delete the API server refuses for a moment (HTTP 500) is tried again: no debug pod is left", async () => {
    failDeletes(1);
    const r = await w.llw("doctor");
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(created.length, 2);
    assert.deepEqual(left(), []);
    assert.doesNotMatch(r.err, /could not delete/);
  });

  it("a delete that keeps failing: doctor names each pod it leaves and the command that deletes it", async () => {
    failDeletes(1000);
    const r = await w.llw("doctor");
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(left().length, 2);
    for (const name of left())
      assert.match(
        r.err,
        new RegExp(
          `warning: could not delete pod llw-debug/${name} \\(.*request timed out\\); delete it with: oc delete pod -n llw-debug ${name}`,
        ),
      );
  });

  it("SIGTERM to doctor, then again to its process group 0.2 s later (coreutils timeout signals both), while the first delete fails: the debug pod is still deleted, then doctor ends by SIGTERM", async () => {
    w.sim.kubelet.run(
      (p) => p.metadata.namespace === "llw-debug",
      () => ({ phase: "Succeeded", log: "", runMs: 3600_000 }),
    );
    failDeletes(1);
    const { child, exited, err } = spawnLlw(["doctor", "--kubeconfig", w.kubeconfig], { detached: true });
    const name = await nextRunningPod(w.sim, created, 0, "llw-debug");
    // Two signals the kernel has not yet delivered merge into one: the second comes a little later,
    // while the clean-up's first delete has failed and its retry waits.
    process.kill(child.pid!, "SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    process.kill(-child.pid!, "SIGTERM");
    assert.equal(await exited, "SIGTERM");
    assert.deepEqual(left(), [], err());
    assert.match(err(), new RegExp(`SIGTERM: deleting pod llw-debug/${name} before stopping`));
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} while a debug pod runs: doctor deletes it, then ends by ${signal}`, async () => {
      // A probe that never finishes on its own.
      w.sim.kubelet.run(
        (p) => p.metadata.namespace === "llw-debug",
        () => ({ phase: "Succeeded", log: "", runMs: 3600_000 }),
      );
      const { child, exited } = spawnLlw(["doctor", "--kubeconfig", w.kubeconfig]);
      const name = await nextRunningPod(w.sim, created, 0, "llw-debug");
      child.kill(signal);
      assert.equal(await exited, signal);
      const pod = w.api.get("v1", "Pod", name, "llw-debug");
      assert.ok(!pod || pod.metadata.deletionTimestamp, `debug pod ${name} deleted`);
    });
  }
});
