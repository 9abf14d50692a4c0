/**
 * The cluster path of `llw sriov`: workers from the nodes' providerIDs, the version from
 * ClusterVersion, the region from Infrastructure, and the cross-check against
 * SriovNetworkNodeState. No kube-apiserver exists here: a simulated cluster speaks the real HTTP
 * protocol to the real @kubernetes/client-node; EC2 is the moto_server emulator.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateTagsCommand } from "@aws-sdk/client-ec2";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { type Moto, startProxy, useMoto } from "../helpers/moto.ts";
import type { ApiServer, Obj } from "../sim/apiserver.ts";
import { start } from "../sim/index.ts";
import { node as simNode } from "../sim/objects.ts";
import { SRIOV_RESOURCES } from "../sim/resources.ts";
import { addEni, createVpc, runInstance } from "./fixture.ts";

const OUT = "gitops/overlays/aws/sriov";
const REGION = "us-east-2"; // the simulated cluster's Infrastructure says us-east-2

/** A metal worker as OpenShift on AWS shows it. */
function node(name: string, _role: "worker", type: string): Obj {
  return simNode({ name, roles: ["worker"], instanceType: type });
}

/**
 * A simulated OpenShift cluster of `version` with no worker yet (the test adds the metal nodes of
 * the EC2 emulator); with `sriovApi` the SR-IOV operator's API is served and the node states are
 * the test's (what its config daemon would report).
 */
async function simCluster(version: string, sriovApi: boolean, kubeconfig?: string) {
  const sim = await start("fresh-c5-metal", {
    cluster: { version, workers: [] },
    ...(kubeconfig ? { kubeconfig } : {}),
  });
  if (sriovApi) sim.api.addResources(SRIOV_RESOURCES);
  return sim;
}

function nodeState(name: string, interfaces: Obj[]): Obj {
  return {
    apiVersion: "sriovnetwork.openshift.io/v1",
    kind: "SriovNetworkNodeState",
    metadata: { name, namespace: "openshift-sriov-network-operator" },
    spec: {},
    status: { syncStatus: "Succeeded", interfaces },
  };
}

describe("llw sriov with a cluster (simulated cluster) and EC2 (moto_server)", () => {
  const moto = useMoto();
  let api: ApiServer;
  let stopSim: (() => Promise<void>) | undefined;
  let dir: string;
  let kubeconfig: string;
  let m: Moto;
  let subnetA = "";
  const w = { metalA: "", metalB: "", eniA: { mac: "", subnet: "" }, eniB: { mac: "" } };

  before(async () => {
    const started = moto({ skip: () => {} } as never);
    if (!started) return;
    m = started;
    await m.reset();
    const ec2 = m.ec2(REGION);
    const net = await createVpc(ec2, `${REGION}a`);
    subnetA = net.clusterSubnet;
    const enis = new Map();
    // Instances without the cluster tag: only the cluster's nodes can lead to them.
    w.metalA = await runInstance(ec2, net.clusterSubnet, "c5.metal", "metal-a", {});
    w.metalB = await runInstance(ec2, net.clusterSubnet, "m5.metal", "metal-b", {});
    const a = await addEni(ec2, { enis }, net.dataA, { instanceId: w.metalA, deviceIndex: 1 });
    const b = await addEni(ec2, { enis }, net.dataA, { instanceId: w.metalB, deviceIndex: 1 });
    w.eniA = { mac: enis.get(a).mac, subnet: net.dataA };
    w.eniB = { mac: enis.get(b).mac };

    dir = mkdtempSync(join(tmpdir(), "llw-sriov-cluster-"));
    const sim = await simCluster("4.22.3", true, join(dir, "kubeconfig"));
    api = sim.api;
    stopSim = () => sim.stop();
    for (const [name, id, type] of [
      ["metal-a.example.internal", w.metalA, "c5.metal"],
      ["metal-b.example.internal", w.metalB, "m5.metal"],
    ] as const) {
      const n = node(name, "worker", type);
      n.spec.providerID = `aws:///${REGION}a/${id}`;
      api.seed(n);
    }
    api.seed(
      nodeState("metal-a.example.internal", [
        { name: "ens5", mac: "02:00:00:00:00:01", driver: "ena", vendor: "1d0f", deviceID: "ec20" },
        {
          name: "ens6",
          mac: w.eniA.mac,
          driver: "ena",
          vendor: "1d0f",
          deviceID: "ec20",
          netFilter: `aws/NetworkID:${w.eniA.subnet.replace("subnet-", "")}`,
          totalvfs: 1,
          numVfs: 1,
        },
      ]),
      // metal-b's config daemon reports no ENA device: the cross-check must say so.
      nodeState("metal-b.example.internal", []),
    );
    kubeconfig = sim.kubeconfig;
  });
  after(async () => {
    await stopSim?.();
  });

  function env(): Record<string, string> {
    const e = m.env(REGION);
    delete (e as Partial<typeof e>).AWS_REGION;
    return e;
  }

  /** A fake OpenShift 4.22 cluster with the two metal nodes, the operator optional, no node states. */
  async function otherCluster(
    t: { after: (fn: () => Promise<void>) => void },
    withOperator: boolean,
    version = "4.22.1",
  ) {
    const sim = await simCluster(
      version,
      withOperator,
      join(mkdtempSync(join(tmpdir(), "llw-sriov-cluster-")), "kubeconfig"),
    );
    const other = sim.api;
    t.after(() => sim.stop());
    for (const [name, id, type] of [
      ["metal-a.example.internal", w.metalA, "c5.metal"],
      ["metal-b.example.internal", w.metalB, "m5.metal"],
    ] as const) {
      const n = node(name, "worker", type);
      n.spec.providerID = `aws:///${REGION}a/${id}`;
      other.seed(n);
    }
    return sim.kubeconfig;
  }

  it("simulated cluster: with --instance-ids the logged-in cluster is still read: version from ClusterVersion, node names, cross-check", async (t) => {
    if (!moto(t)) return;
    const cwd = mkdtempSync(join(tmpdir(), "llw-sriov-cluster-"));
    // The cluster comes from KUBECONFIG, as after `oc login`; the ids only pick the workers.
    const ctx = bufferContext({ cwd, env: { ...env(), KUBECONFIG: kubeconfig } });
    const code = await main(
      ["sriov", "generate", "--instance-ids", `${w.metalA},${w.metalB}`, "--region", REGION],
      ctx,
    );
    assert.equal(code, 1, `the cross-check found metal-b's missing device\n${ctx.err()}`);
    assert.match(ctx.out(), /SR-IOV on AWS for OpenShift 4\.22: SR-IOV Network Operator/);
    assert.match(
      ctx.out(),
      /error: metal-b\.example\.internal: eni-[0-9a-f]+ .* is not in SriovNetworkNodeState/,
    );
    assert.doesNotMatch(ctx.out(), /Not cross-checked/);
  });

  it("simulated cluster: with --infra-id the cluster gives the version and node names; the tag finds the workers", async (t) => {
    if (!moto(t)) return;
    const ec2 = m.ec2(REGION);
    await ec2.send(
      new CreateTagsCommand({
        Resources: [w.metalA, w.metalB],
        Tags: [{ Key: "kubernetes.io/cluster/llw-abc12", Value: "owned" }],
      }),
    );
    const cwd = mkdtempSync(join(tmpdir(), "llw-sriov-cluster-"));
    const det = bufferContext({ cwd, env: { ...env(), KUBECONFIG: kubeconfig } });
    assert.equal(await main(["sriov", "detect", "--infra-id", "llw-abc12", "-o", "json"], det), 0, det.err());
    const report = JSON.parse(det.out());
    assert.equal(report.source, "cluster-tag");
    assert.deepEqual(
      report.nodes.map((n: Obj) => n.nodeName),
      ["metal-a.example.internal", "metal-b.example.internal"],
    );
    const gen = bufferContext({ cwd, env: { ...env(), KUBECONFIG: kubeconfig } });
    const code = await main(["sriov", "generate", "--infra-id", "llw-abc12", "-o", "json"], gen);
    assert.equal(code, 1, gen.err());
    const out = JSON.parse(gen.out());
    assert.equal(out.ocpVersion, "4.22");
    assert.equal(out.crossChecked, true);
    assert.ok(
      out.crossCheck.some((f: Obj) => f.severity === "error" && f.node === "metal-b.example.internal"),
    );
  });

  it("simulated cluster: --infra-id of another cluster leaves the logged-in cluster unread, with a warning", async (t) => {
    if (!moto(t)) return;
    const cwd = mkdtempSync(join(tmpdir(), "llw-sriov-cluster-"));
    const ctx = bufferContext({ cwd, env: { ...env(), KUBECONFIG: kubeconfig } });
    const code = await main(["sriov", "generate", "--infra-id", "someone-else", "--region", REGION], ctx);
    assert.equal(code, 2, ctx.err());
    assert.match(
      ctx.err(),
      /warning: the logged-in cluster .* has infrastructure id llw-abc12, not someone-else/,
    );
    assert.equal(existsSync(join(cwd, OUT)), false);
  });

  it("simulated cluster: on 4.22 without the SR-IOV Network Operator, generate warns instead of skipping the cross-check", async (t) => {
    if (!moto(t)) return;
    const cfg = await otherCluster(t, false);
    const cwd = mkdtempSync(join(tmpdir(), "llw-sriov-cluster-"));
    const ctx = bufferContext({ cwd, env: { ...env(), KUBECONFIG: cfg } });
    const code = await main(["sriov", "generate", "--instance-ids", w.metalA, "--region", REGION], ctx);
    assert.equal(code, 0, ctx.err());
    assert.match(ctx.out(), /OpenShift 4\.22/);
    assert.match(
      ctx.out(),
      /warning: the SR-IOV Network Operator is not installed \(the cluster does not serve sriovnetwork\.openshift\.io\/v1\)/,
    );
  });

  it("simulated cluster: on 4.22 with the operator but no SriovNetworkNodeState, generate warns for the cluster and each node", async (t) => {
    if (!moto(t)) return;
    const cfg = await otherCluster(t, true);
    const cwd = mkdtempSync(join(tmpdir(), "llw-sriov-cluster-"));
    const ctx = bufferContext({ cwd, env: { ...env(), KUBECONFIG: cfg } });
    const code = await main(
      ["sriov", "generate", "--instance-ids", `${w.metalA},${w.metalB}`, "--region", REGION, "-o", "json"],
      ctx,
    );
    assert.equal(code, 0, ctx.err());
    const out = JSON.parse(ctx.out());
    const warnings = out.crossCheck.filter((f: Obj) => f.severity === "warning");
    assert.match(warnings[0].message, /installed but no SriovNetworkNodeState exists/);
    assert.deepEqual(
      warnings.slice(1).map((f: Obj) => f.node),
      ["metal-a.example.internal", "metal-b.example.internal"],
    );
  });

  it("simulated cluster: options the cluster's version cannot do are rejected before any EC2 call", async (t) => {
    if (!moto(t)) return;
    const cfg = await otherCluster(t, false, "4.20.5");
    const proxy = await startProxy(m.endpoint);
    t.after(() => proxy.close());
    const cwd = mkdtempSync(join(tmpdir(), "llw-sriov-cluster-"));
    const ctx = bufferContext({
      cwd,
      env: { ...env(), AWS_ENDPOINT_URL: proxy.endpoint, KUBECONFIG: cfg },
    });
    const code = await main(
      ["sriov", "generate", "--instance-ids", w.metalA, "--region", REGION, "--device-type", "vfio-pci"],
      ctx,
    );
    assert.equal(code, 2, ctx.err());
    assert.match(ctx.err(), /vfio-pci needs the operator's AWS support, which OpenShift 4\.20 lacks/);
    assert.equal(proxy.passed(), 0, "EC2 was not called");
    assert.equal(existsSync(join(cwd, OUT)), false);
  });

  it("untagged --instance-ids without a cluster: no detached ENIs are guessed from the VPC, and the report says so", async (t) => {
    if (!moto(t)) return;
    const ec2 = m.ec2(REGION);
    const vpcOf = await runInstance(ec2, subnetA, "c5.metal", "lonely", {});
    const cwd = mkdtempSync(join(tmpdir(), "llw-sriov-cluster-"));
    const ctx = bufferContext({ cwd, env: { ...env(), HOME: cwd } });
    const code = await main(
      ["sriov", "detect", "--instance-ids", vpcOf, "--region", REGION, "--no-cluster"],
      ctx,
    );
    assert.equal(code, 1, "no usable interface on the lonely instance");
    assert.match(
      ctx.out(),
      /Detached interfaces were not looked for: the instances carry no kubernetes\.io\/cluster\/<infra-id> tag/,
    );
    const named = bufferContext({ cwd, env: { ...env(), HOME: cwd } });
    await main(
      [
        "sriov",
        "detect",
        "--instance-ids",
        vpcOf,
        "--infra-id",
        "llw-abc12",
        "--region",
        REGION,
        "--no-cluster",
        "-o",
        "json",
      ],
      named,
    );
    assert.deepEqual(JSON.parse(named.out()).infraIds, ["llw-abc12"], "--infra-id names the cluster");
  });

  it("simulated cluster: an unreachable logged-in cluster is a warning when --instance-ids name the workers", async (t) => {
    if (!moto(t)) return;
    const dead = join(mkdtempSync(join(tmpdir(), "llw-sriov-cluster-")), "kubeconfig");
    const cfg = parseYaml(readFileSync(kubeconfig, "utf8"));
    cfg["current-context"] = "unreachable";
    writeFileSync(dead, toYaml(cfg));
    const cwd = mkdtempSync(join(tmpdir(), "llw-sriov-cluster-"));
    const ctx = bufferContext({ cwd, env: { ...env(), KUBECONFIG: dead } });
    const code = await main(
      ["sriov", "generate", "--instance-ids", w.metalA, "--region", REGION, "--ocp-version", "4.19"],
      ctx,
    );
    assert.equal(code, 0, ctx.err());
    assert.match(ctx.err(), /warning: the configured cluster could not be read/);
    assert.match(ctx.out(), /Not cross-checked against SriovNetworkNodeState/);
  });

  it("simulated cluster: detect finds the workers from the nodes' providerIDs and the region from Infrastructure", async (t) => {
    if (!moto(t)) return;
    const ctx = bufferContext({ cwd: dir, env: env() });
    const code = await main(["sriov", "detect", "--kubeconfig", kubeconfig, "-o", "json"], ctx);
    assert.equal(code, 0, ctx.err());
    const det = JSON.parse(ctx.out());
    assert.equal(det.source, "cluster");
    assert.equal(det.region, REGION);
    assert.deepEqual(
      det.nodes.map((n: Obj) => [n.nodeName, n.instanceId]),
      [
        ["metal-a.example.internal", w.metalA],
        ["metal-b.example.internal", w.metalB],
      ],
      "control-plane nodes are skipped; node names come from the cluster",
    );
    assert.equal(det.totals.usable, 2);
  });

  it("simulated cluster: generate takes 4.22 from ClusterVersion, writes the operator path and cross-checks the node states", async (t) => {
    if (!moto(t)) return;
    const cwd = mkdtempSync(join(tmpdir(), "llw-sriov-cluster-"));
    const ctx = bufferContext({ cwd, env: env() });
    const code = await main(["sriov", "generate", "--kubeconfig", kubeconfig], ctx);
    assert.equal(code, 1, "the cross-check found a mismatch");
    assert.match(ctx.out(), /SR-IOV on AWS for OpenShift 4\.22: SR-IOV Network Operator/);
    assert.match(
      ctx.out(),
      /error: metal-b\.example\.internal: eni-[0-9a-f]+ \([0-9a-f:]+\) is not in SriovNetworkNodeState/,
    );
    assert.doesNotMatch(ctx.out(), /metal-a\.example\.internal: .*not in/);
    assert.match(ctx.err(), /SriovNetworkNodeStates do not match/);
    const files = readdirSync(join(cwd, OUT));
    assert.ok(files.some((f) => f.startsWith("sriov-network-node-policy-")));
  });

  it("simulated cluster: --ocp-version overrides the cluster's version (4.19 path, node names from the cluster)", async (t) => {
    if (!moto(t)) return;
    const cwd = mkdtempSync(join(tmpdir(), "llw-sriov-cluster-"));
    const ctx = bufferContext({ cwd, env: env() });
    const code = await main(
      ["sriov", "generate", "--kubeconfig", kubeconfig, "--ocp-version", "4.19", "-o", "json"],
      ctx,
    );
    assert.equal(code, 0, ctx.err());
    const out = JSON.parse(ctx.out());
    assert.equal(out.mechanism, "host-device");
    assert.deepEqual(out.files.map((f: Obj) => f.file.split("/").pop()).sort(), [
      "kustomization.yaml",
      "network-attachment-definition-aws-metal-a-eni1.yaml",
      "network-attachment-definition-aws-metal-b-eni1.yaml",
    ]);
  });

  it("simulated cluster: an unreachable cluster is an environment error saying how to skip it; nothing written", async (t) => {
    if (!moto(t)) return;
    const cwd = mkdtempSync(join(tmpdir(), "llw-sriov-cluster-"));
    const ctx = bufferContext({ cwd, env: env() });
    const code = await main(
      ["sriov", "generate", "--kubeconfig", kubeconfig, "--context", "unreachable"],
      ctx,
    );
    assert.equal(code, 3, ctx.err());
    assert.match(ctx.err(), /--infra-id <id> or --instance-ids i-\.\.\. \(or --no-cluster\)/);
    assert.equal(existsSync(join(cwd, OUT)), false);
  });
});
