/**
 * The jitter pod `llw latency run` starts is built as data from checked names, runs an image
 * pinned by digest, fits its node, and is removed however llw ends (simulated cluster).
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { nextRunningPod, spawnLlw } from "../helpers/llw-child.ts";
import { type Obj, statusBody } from "../sim/apiserver.ts";
import { simulatedDigest } from "../sim/controllers/images.ts";
import { type Sim, start } from "../sim/index.ts";

describe("simulated cluster: llw latency run keeps the cluster's trust boundary (tuned-c5-metal)", () => {
  let sim: Sim;
  /** An hour of jitter measurement: long enough to be signalled while it runs. */
  const latencyRun = () => ["latency", "run", "--kubeconfig", sim.kubeconfig, "--duration", "1h"];
  const created: Obj[] = [];
  before(async () => {
    sim = await start("tuned-c5-metal", { speed: 20, timing: { serviceAccount: 1000 } });
    sim.api.controller((ev) => {
      if (ev.type === "ADDED" && ev.object.kind === "Pod" && ev.object.metadata.namespace === "llw-latency")
        created.push(structuredClone(ev.object));
    });
    // The runner lasts as long as asked (-runtime=<s>) and logs nothing a parser recognises, so a
    // short run ends in an error after its pod finished, and an hour-long one only by a signal.
    sim.kubelet.run(
      (p) => p.metadata.namespace === "llw-latency",
      (p) => {
        const arg = (p.spec.containers[0].args ?? []).find((a: string) => a.startsWith("-runtime="));
        return { phase: "Succeeded", log: "", runMs: Number(arg?.split("=")[1] ?? 10) * 1000 };
      },
    );
  });
  after(() => sim.stop());

  const llw = async (...args: string[]) => {
    const ctx = bufferContext({ cwd: mkdtempSync(join(tmpdir(), "llw-lat-")), clock: sim.clock });
    const code = await main(["latency", "run", "--kubeconfig", sim.kubeconfig, ...args], ctx);
    return { code, err: ctx.err() };
  };

  it("a node-selector key that would add pod fields (hostPID, a hostPath volume) is refused (exit 2) before the cluster is touched", async () => {
    const writes = () => sim.api.requests.filter((r) => r.method !== "GET").length;
    const before = writes();
    for (const key of [
      'x: ""\n  hostPID: true',
      'x": ""\nvolumes: [{name: h, hostPath: {path: /}}]',
      "a b",
    ]) {
      const r = await llw("--node-selector", key, "--duration", "10");
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /is not a Kubernetes label key/);
    }
    assert.equal(writes(), before, "nothing written to the cluster");
    const bad = await llw("--node", "n1\n  hostPID: true");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /is not a node name/);
  });

  it("the pod runs the image by digest: a tag is resolved by the cluster, a digest used as given, an unknown image refused", async () => {
    const first = await llw("--duration", "10", "--cpus", "4");
    assert.equal(first.code, 2, first.err); // the runner's empty log is not oslat output
    const pod = created.at(-1)!;
    const tag = "registry.redhat.io/openshift4/cnf-tests-rhel9:v4.19";
    const pinned = `registry.redhat.io/openshift4/cnf-tests-rhel9@${simulatedDigest(tag)}`;
    assert.equal(pod.spec.containers[0].image, pinned);
    assert.match(
      first.err,
      /resolved by the cluster to registry\.redhat\.io\/openshift4\/cnf-tests-rhel9@sha256:[0-9a-f]{64}/,
    );
    const given = `quay.io/example/cnf-tests@sha256:${"a".repeat(64)}`;
    await llw("--duration", "10", "--image", given);
    assert.equal(created.at(-1)!.spec.containers[0].image, given);
    const n = created.length;
    const unknown = await llw("--duration", "10", "--image", "registry.example.invalid/x/y:1");
    assert.equal(unknown.code, 3);
    assert.match(
      unknown.err,
      /could not resolve registry\.example\.invalid\/x\/y:1 to a digest[\s\S]*--image registry\.example\.invalid\/x\/y@sha256:<digest>/,
    );
    assert.equal(created.length, n, "no pod with an unpinned image");
  });

  it("more CPUs than a tuned node has free: refused (exit 2) with the count that fits, no pod created", async () => {
    const n = created.length;
    const r = await llw("--duration", "10", "--cpus", "200");
    assert.equal(r.code, 2);
    assert.match(r.err, /1 x Pod oslat-\S+ \(200 CPUs, 1Gi memory each, exclusive CPUs\) need 200 CPUs/);
    assert.match(r.err, /--cpus \d+ would fit/);
    assert.equal(created.length, n);
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} while the jitter pod runs: llw deletes the pod, then ends by ${signal}`, async () => {
      const n = created.length;
      const { child, exited } = spawnLlw(latencyRun(), { cwd: mkdtempSync(join(tmpdir(), "llw-lat-sig-")) });
      const name = await nextRunningPod(sim, created, n, "llw-latency");
      child.kill(signal);
      assert.equal(await exited, signal);
      const pod = sim.api.get("v1", "Pod", name, "llw-latency");
      assert.ok(
        !pod || pod.metadata.deletionTimestamp,
        `pod ${name} deleted (found ${JSON.stringify(pod?.metadata)})`,
      );
    });
  }

  it("Ctrl-C pressed twice within a second while the API server refuses the first delete (HTTP 500): the jitter pod is still deleted, then llw ends by SIGINT", async () => {
    const n = created.length;
    let refuse = 1;
    sim.api.react({ verb: "delete", resource: "pods", namespace: "llw-latency" }, () =>
      refuse-- > 0
        ? { code: 500, body: statusBody(500, "InternalError", "etcdserver: request timed out") }
        : undefined,
    );
    const { child, exited, err } = spawnLlw(latencyRun(), {
      cwd: mkdtempSync(join(tmpdir(), "llw-lat-sig-")),
    });
    const name = await nextRunningPod(sim, created, n, "llw-latency");
    child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 200));
    child.kill("SIGINT");
    assert.equal(await exited, "SIGINT");
    assert.equal(refuse, -1, "the first delete was refused, the second went through");
    const pod = sim.api.get("v1", "Pod", name, "llw-latency");
    assert.ok(!pod || pod.metadata.deletionTimestamp, `pod ${name} deleted; llw said: ${err()}`);
    assert.match(err(), new RegExp(`SIGINT: deleting pod llw-latency/${name} before stopping`));
  });
});
