import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Kube, loadKubeConfig } from "../../src/cluster/kube.ts";
import { EnvironmentError, UserError } from "../../src/lib/errors.ts";
import { type ApiServer, fieldSelectorMatches, labelSelectorMatches } from "../sim/apiserver.ts";
import { type Sim, start } from "../sim/index.ts";

const MCP = "machineconfiguration.openshift.io/v1";

describe("simulated cluster: kube.ts against the real @kubernetes/client-node", () => {
  let sim: Sim;
  let api: ApiServer;
  let dir: string;
  let kube: Kube;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "llw-kube-"));
    sim = await start("untuned-c5-metal", { speed: 100, kubeconfig: join(dir, "kubeconfig") });
    api = sim.api;
    kube = Kube.connect({ kubeconfig: sim.kubeconfig }, {});
  });
  after(() => sim.stop());

  it("reads cluster-scoped custom resources and built-in kinds through discovery", async () => {
    const cv = await kube.get("config.openshift.io/v1", "ClusterVersion", "version");
    assert.equal(cv?.status.desired.version, "4.19.10");
    const nodes = await kube.list("v1", "Node", { labelSelector: "node-role.kubernetes.io/worker" });
    assert.equal(nodes.length, 2);
    assert.equal(nodes[0]?.kind, "Node");
    assert.equal(nodes[0]?.metadata.labels?.["node.kubernetes.io/instance-type"], "c5.metal");
    assert.ok(
      api.requests.some((r) => r.path === "/apis/config.openshift.io/v1"),
      "discovery was used",
    );
  });

  it("returns undefined for a missing object and [] for a kind the cluster does not serve", async () => {
    assert.equal(await kube.get(MCP, "MachineConfigPool", "nope"), undefined);
    assert.deepEqual(await kube.list("ptp.openshift.io/v1", "PtpConfig"), [], "no PTP operator installed");
  });

  it("server-side applies: creates, re-applies without change, prunes dropped fields, keeps status", async () => {
    const ns = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cm", namespace: "default" },
      data: { a: "1", b: "2" },
    };
    const first = await kube.apply(ns);
    assert.deepEqual(first.data, { a: "1", b: "2" });
    const rv = first.metadata.resourceVersion;
    const again = await kube.apply(ns);
    assert.deepEqual(again.data, { a: "1", b: "2" });
    assert.ok(Number(again.metadata.resourceVersion) >= Number(rv));
    const pruned = await kube.apply({ ...ns, data: { a: "1" } });
    assert.deepEqual(pruned.data, { a: "1" });
    const applyCall = api.requests.findLast((r) => r.method === "PATCH");
    assert.equal(applyCall?.contentType, "application/apply-patch+yaml");
    assert.match(applyCall?.path ?? "", /fieldManager=llw/);
    assert.match(applyCall?.path ?? "", /force=true/);
  });

  it("merge-patches the spec and leaves status to the status subresource", async () => {
    const p = await kube.mergePatch(MCP, "MachineConfigPool", "worker", {
      spec: { paused: true },
      status: { machineCount: 99 },
    });
    assert.equal(p.spec.paused, true);
    assert.equal(p.status.machineCount, 2, "status is not writable through the main resource");
    await kube.mergePatch(MCP, "MachineConfigPool", "worker", { spec: { paused: false } });
  });

  it("creates, conflicts on a second create, deletes", async () => {
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "twice", namespace: "default" } };
    await kube.create(cm);
    await assert.rejects(
      kube.create(cm),
      (e: Error) => e instanceof EnvironmentError && /already exists/.test(e.message),
    );
    assert.equal(await kube.delete("v1", "ConfigMap", "twice", "default"), true);
    assert.equal(await kube.delete("v1", "ConfigMap", "twice", "default"), false);
  });

  it("maps 422 Invalid to a UserError", async () => {
    await assert.rejects(
      kube.create({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "Bad_Name", namespace: "default" },
      }),
      (e: Error) => e instanceof UserError && /invalid/i.test(e.message),
    );
  });

  it("maps 403 Forbidden to an EnvironmentError quoting the server's reason", async () => {
    api.forbid({ verb: "list", resource: "nodes", user: "kube:admin" });
    await assert.rejects(kube.list("v1", "Node"), (e: Error) => {
      assert.ok(e instanceof EnvironmentError);
      assert.match(
        e.message,
        /forbidden: nodes is forbidden: User "kube:admin" cannot list resource "nodes"/,
      );
      assert.match(e.problems[0]?.next ?? "", /cluster-admin/);
      return true;
    });
  });

  it("runs a pod and reads its log (pods/log as text): Pending, then scheduled, Running, Succeeded", async () => {
    sim.kubelet.run(
      (p) => p.metadata.name === "probe",
      () => ({ phase: "Succeeded", log: "hello from the node\n" }),
    );
    const first = await kube.create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "probe", namespace: "default" },
      spec: { restartPolicy: "Never", containers: [{ name: "c", image: "ubi9" }] },
    });
    assert.equal(first?.status.phase, "Pending", "not run inside the create");
    assert.equal(first?.spec.nodeName, undefined, "not scheduled inside the create");
    await sim.until(
      () => sim.api.get("v1", "Pod", "probe", "default")?.status?.phase === "Succeeded",
      60_000,
      "pod done",
    );
    const pod = await kube.get("v1", "Pod", "probe", "default");
    assert.equal(pod?.status.phase, "Succeeded");
    assert.match(pod?.spec.nodeName, /^ip-10-0-1-1[01]\./, "scheduled on a worker (masters are tainted)");
    assert.equal(await kube.podLog("default", "probe"), "hello from the node\n");
  });

  it("watches: initial ADDED then MODIFIED as the object changes", async () => {
    const events: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const w = await kube.watch(
      "/apis/machineconfiguration.openshift.io/v1/machineconfigpools",
      { fieldSelector: "metadata.name=worker" },
      (type, obj) => {
        events.push(`${type} ${obj.metadata.name} paused=${obj.spec.paused}`);
        if (events.length === 2) w.abort();
      },
      () => done(),
    );
    api.update(MCP, "MachineConfigPool", "worker", undefined, { spec: { paused: true } });
    await finished;
    assert.deepEqual(events, ["ADDED worker paused=false", "MODIFIED worker paused=true"]);
    api.update(MCP, "MachineConfigPool", "worker", undefined, { spec: { paused: false } });
  });

  it("answers 401 for a bad token with advice to log in again", async () => {
    const bad = Kube.connect({ kubeconfig: api.writeKubeconfig(dir, "expired", "bad-kubeconfig") }, {});
    await assert.rejects(
      bad.list("v1", "Node"),
      (e: Error) =>
        e instanceof EnvironmentError &&
        /401/.test(e.message) &&
        /oc login/.test((e as EnvironmentError).problems[0]?.next ?? ""),
    );
  });

  it("maps connection refused to an EnvironmentError naming the server", async () => {
    const dead = Kube.connect({ kubeconfig: join(dir, "kubeconfig"), context: "unreachable" }, {});
    await assert.rejects(
      dead.get(MCP, "MachineConfigPool", "worker"),
      (e: Error) =>
        e instanceof EnvironmentError &&
        /cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:9/.test(e.message),
    );
  });

  it("maps an unknown host name to a DNS error", async () => {
    const file = join(dir, "dns-kubeconfig");
    writeFileSync(
      file,
      "apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters: [{name: x, cluster: {server: 'https://api.no-such-cluster.invalid:6443'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: x, user: u}}]\n",
    );
    await assert.rejects(
      Kube.connect({ kubeconfig: file }, {}).list("v1", "Node"),
      (e: Error) =>
        e instanceof EnvironmentError &&
        /cannot resolve the API server's host name \(https:\/\/api\.no-such-cluster\.invalid:6443\)/.test(
          e.message,
        ),
    );
  });

  it("reads /version", async () => {
    assert.deepEqual(await kube.version(), { gitVersion: "v1.32.5", major: "1", minor: "32" });
  });

  it("maps a certificate the kubeconfig's CA did not sign to a TLS error", async () => {
    const wrong = Kube.connect({ kubeconfig: join(dir, "kubeconfig"), context: "wrong-ca" }, {});
    await assert.rejects(
      wrong.list("v1", "Node"),
      (e: Error) =>
        e instanceof EnvironmentError &&
        /TLS verification of https:\/\/127\.0\.0\.1:\d+ failed/.test(e.message),
    );
  });
});

describe("kubeconfig loading", () => {
  const dir = mkdtempSync(join(tmpdir(), "llw-kc-"));
  const cfg = (name: string, server: string) =>
    `apiVersion: v1\nkind: Config\ncurrent-context: ${name}\nclusters: [{name: ${name}, cluster: {server: "${server}"}}]\nusers: [{name: u-${name}, user: {token: t}}]\ncontexts: [{name: ${name}, context: {cluster: ${name}, user: u-${name}}}]\n`;
  writeFileSync(join(dir, "a"), cfg("a", "https://a.example:6443"));
  writeFileSync(join(dir, "b"), cfg("b", "https://b.example:6443"));

  it("merges KUBECONFIG files, the first file's current-context wins, --context switches", () => {
    const env = { KUBECONFIG: `${join(dir, "a")}:${join(dir, "b")}` };
    assert.equal(loadKubeConfig({}, env).getCurrentCluster()?.server, "https://a.example:6443");
    assert.equal(loadKubeConfig({ context: "b" }, env).getCurrentCluster()?.server, "https://b.example:6443");
  });

  it("--kubeconfig wins over KUBECONFIG", () => {
    const kc = loadKubeConfig({ kubeconfig: join(dir, "b") }, { KUBECONFIG: join(dir, "a") });
    assert.equal(kc.getCurrentCluster()?.server, "https://b.example:6443");
  });

  it("an unknown context is a UserError listing the known ones", () => {
    assert.throws(
      () => loadKubeConfig({ context: "zzz" }, { KUBECONFIG: join(dir, "a") }),
      (e: Error) => e instanceof UserError && /use one of: a/.test((e as UserError).problems[0]?.next ?? ""),
    );
  });

  it("a missing file or no kubeconfig at all says how to log in", () => {
    assert.throws(
      () => loadKubeConfig({ kubeconfig: join(dir, "missing") }, {}),
      (e: Error) => e instanceof UserError && /does not exist/.test(e.message),
    );
    assert.throws(
      () => loadKubeConfig({}, { HOME: dir }),
      (e: Error) => e instanceof EnvironmentError && /no kubeconfig found/.test(e.message),
    );
  });
});

describe("simulated API server selectors", () => {
  it("label selectors: equality, inequality, existence, set-based", () => {
    const l = { a: "1", role: "worker" };
    assert.ok(labelSelectorMatches("a=1,role", l));
    assert.ok(labelSelectorMatches("a==1", l));
    assert.ok(!labelSelectorMatches("a!=1", l));
    assert.ok(labelSelectorMatches("!missing", l));
    assert.ok(labelSelectorMatches("role in (worker,master)", l));
    assert.ok(!labelSelectorMatches("role notin (worker)", l));
  });
  it("field selectors over dotted paths", () => {
    const o = { metadata: { name: "x" }, spec: { nodeName: "n1" } };
    assert.ok(fieldSelectorMatches("metadata.name=x,spec.nodeName!=n2", o));
    assert.ok(!fieldSelectorMatches("spec.nodeName=n2", o));
  });
});
