import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import {
  awsWorkerMachineSets,
  chooseSource,
  type Obj,
  planMetalMachineSet,
} from "../../src/aws/machineset/plan.ts";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { readCrd, validateAgainstCrd } from "../../src/schema/crd.ts";
import { ROOT, SCHEMAS_DIR } from "../helpers/tools.ts";
import { ApiServer } from "../sim/apiserver.ts";
import { OPENSHIFT_RESOURCES } from "../sim/resources.ts";

mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
const FIXTURE = join(ROOT, "test", "aws", "fixtures", "worker-machinesets.yaml");
const list = () => parseAllDocuments(readFileSync(FIXTURE, "utf8")).map((d) => d.toJS() as Obj);
const source = () => chooseSource(awsWorkerMachineSets(list()), {}, FIXTURE);
const OPTS = { instanceType: "c5.metal", role: "worker-rt", replicas: 1, rootVolumeGiB: 250 };
const crd = (f: string) => readCrd(join(SCHEMAS_DIR, f));

describe("planMetalMachineSet", () => {
  it("keeps what ties a machine to the cluster and changes type, root volume, names and role", () => {
    const src = source();
    const { machineSet: ms, infraId, zone } = planMetalMachineSet(src, OPTS);
    const p = ms.spec.template.spec.providerSpec.value;
    const s = src.spec.template.spec.providerSpec.value;
    assert.equal(infraId, "lab-x7k2p");
    assert.equal(zone, "us-east-2a");
    assert.equal(ms.metadata.name, "lab-x7k2p-worker-rt-us-east-2a");
    assert.equal(p.instanceType, "c5.metal");
    assert.equal(p.blockDevices[0].ebs.volumeSize, 250);
    assert.equal(p.blockDevices[0].ebs.encrypted, true);
    for (const k of [
      "ami",
      "subnet",
      "securityGroups",
      "iamInstanceProfile",
      "tags",
      "placement",
      "userDataSecret",
      "credentialsSecret",
    ]) {
      assert.deepEqual(p[k], s[k], k);
    }
    assert.equal(s.instanceType, "m6i.xlarge", "the source is not modified");
    assert.deepEqual(ms.spec.selector.matchLabels, {
      "machine.openshift.io/cluster-api-cluster": "lab-x7k2p",
      "machine.openshift.io/cluster-api-machineset": "lab-x7k2p-worker-rt-us-east-2a",
    });
    assert.equal(
      ms.spec.template.metadata.labels["machine.openshift.io/cluster-api-machineset"],
      ms.metadata.name,
      "the selector matches the template",
    );
    assert.equal(
      ms.spec.template.metadata.labels["machine.openshift.io/cluster-api-machine-role"],
      "worker-rt",
    );
    assert.deepEqual(ms.spec.template.spec.metadata.labels, {
      "node-role.kubernetes.io/worker": "",
      "node-role.kubernetes.io/worker-rt": "",
    });
    assert.equal(ms.metadata.uid, undefined);
    assert.equal(
      ms.metadata.annotations,
      undefined,
      "autoscaler capacity annotations of the source type are dropped",
    );
    assert.equal(ms.status, undefined);
  });

  it("emits the MachineConfigPool the PerformanceProfile's nodeSelector and default pool selector find", () => {
    const { machineConfigPool: mcp } = planMetalMachineSet(source(), OPTS);
    assert.equal(mcp.metadata.name, "worker-rt");
    assert.equal(mcp.metadata.labels["machineconfiguration.openshift.io/role"], "worker-rt");
    assert.deepEqual(mcp.spec.nodeSelector.matchLabels, { "node-role.kubernetes.io/worker-rt": "" });
    assert.deepEqual(mcp.spec.machineConfigSelector.matchExpressions[0].values, ["worker", "worker-rt"]);
  });

  it("both objects pass the upstream MachineSet and MachineConfigPool CRD schemas", () => {
    const { machineSet, machineConfigPool } = planMetalMachineSet(source(), OPTS);
    assert.deepEqual(validateAgainstCrd(machineSet, crd("machinesets.machine.openshift.io.yaml")), []);
    assert.deepEqual(
      validateAgainstCrd(machineConfigPool, crd("machineconfigpools.machineconfiguration.openshift.io.yaml")),
      [],
    );
    // and the schema check can fail
    assert.notDeepEqual(
      validateAgainstCrd(
        { ...machineSet, spec: { ...machineSet.spec, replicas: "one" } },
        crd("machinesets.machine.openshift.io.yaml"),
      ),
      [],
    );
  });

  it("chooses the source by zone or name, and says which exist when none matches", () => {
    const all = awsWorkerMachineSets(list());
    assert.equal(all.length, 2);
    assert.equal(chooseSource(all, { zone: "us-east-2b" }, "f").metadata.name, "lab-x7k2p-worker-us-east-2b");
    assert.throws(
      () => chooseSource(all, { zone: "us-east-2c" }, "f"),
      /no worker MachineSet in zone us-east-2c/,
    );
    assert.throws(() => chooseSource([], {}, "f"), /no worker MachineSet for AWS found/);
  });

  it("reports every missing field of a broken source at once", () => {
    const src = source();
    const p = src.spec.template.spec.providerSpec.value;
    delete p.ami;
    delete p.iamInstanceProfile;
    assert.throws(
      () => planMetalMachineSet(src, OPTS, "ms.yaml"),
      (e: Error & { problems?: { what: string }[] }) => {
        assert.deepEqual(
          e.problems?.map((x) => x.what),
          ["missing ami", "missing iamInstanceProfile"],
        );
        return true;
      },
    );
  });
});

describe("llw aws machineset (offline, from a MachineSet file)", () => {
  it("prints the MachineSet and MachineConfigPool as YAML", async () => {
    const ctx = bufferContext({ env: { LLW_CRDS_DIR: SCHEMAS_DIR } });
    assert.equal(
      await main(
        [
          "aws",
          "machineset",
          "--instance-type",
          "c5.metal",
          "--from",
          FIXTURE,
          "--zone",
          "us-east-2b",
          "--replicas",
          "2",
        ],
        ctx,
      ),
      0,
      ctx.err(),
    );
    const docs = parseAllDocuments(ctx.out()).map((d) => d.toJS() as Obj);
    assert.deepEqual(
      docs.map((d) => d.kind),
      ["MachineSet", "MachineConfigPool"],
    );
    assert.equal(docs[0]!.spec.replicas, 2);
    assert.equal(docs[0]!.spec.template.spec.providerSpec.value.placement.availabilityZone, "us-east-2b");
  });

  it("writes files, keeps them on re-run, refuses to overwrite a hand edit without --force, and --check reports drift", async () => {
    const dir = mkdtempSync(join(ROOT, "test-artifacts", "machineset-"));
    const args = ["aws", "machineset", "--instance-type", "c5.metal", "--from", FIXTURE, "--out-dir", dir];
    const first = bufferContext();
    assert.equal(await main(args, first), 0, first.err());
    assert.match(first.out(), /create .*machineset-lab-x7k2p-worker-rt-us-east-2a\.yaml/);
    const again = bufferContext();
    assert.equal(await main(args, again), 0);
    assert.match(again.out(), /unchanged/);
    const file = join(dir, "machineset-lab-x7k2p-worker-rt-us-east-2a.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("replicas: 1", "replicas: 3"));
    const check = bufferContext();
    assert.equal(await main([...args, "--check"], check), 1);
    const refused = bufferContext();
    assert.equal(await main(args, refused), 2);
    assert.match(refused.err(), /refusing to overwrite a file edited by hand/);
    assert.match(readFileSync(file, "utf8"), /replicas: 3/, "the edit is kept");
    assert.equal(await main([...args, "--force"], bufferContext()), 0);
    assert.match(readFileSync(file, "utf8"), /replicas: 1/);
  });

  it("a --from file whose zone or infra id would lead outside --out-dir is refused (exit 2) and nothing is written anywhere", async () => {
    const base = mkdtempSync(join(ROOT, "test-artifacts", "machineset-escape-"));
    const out = join(base, "a", "b", "c", "out");
    mkdirSync(out, { recursive: true });
    const text = readFileSync(FIXTURE, "utf8");
    for (const [what, evil] of [
      [
        "zone",
        text.replaceAll("availabilityZone: us-east-2a", "availabilityZone: us-east-2a/../../../ESCAPED"),
      ],
      [
        "infra id",
        text.replaceAll("cluster-api-cluster: lab-x7k2p", "cluster-api-cluster: ../../../ESCAPED"),
      ],
    ] as const) {
      assert.notEqual(evil, text, what);
      const from = join(base, `evil-${what.replace(" ", "-")}.yaml`);
      writeFileSync(from, evil);
      const ctx = bufferContext();
      const args = ["aws", "machineset", "--instance-type", "c5.metal", "--from", from, "--out-dir", out];
      // The zone case picks its source by that zone, as a user copying it from the file would.
      if (what === "zone") args.push("--zone", "us-east-2a/../../../ESCAPED");
      const code = await main(args, ctx);
      assert.equal(code, 2, `${what}: ${ctx.err()}`);
      assert.match(
        ctx.err(),
        what === "zone" ? /is not an availability zone name/ : /is not an OpenShift infra id/,
      );
      assert.deepEqual(readdirSync(out), [], `${what}: nothing in the output folder`);
      assert.equal(existsSync(join(base, "a", "ESCAPED")), false);
      assert.deepEqual(readdirSync(join(base, "a")), ["b"], `${what}: nothing written outside it`);
    }
  });

  it("--imds optional or required sets the instance metadata options; a source that requires IMDSv2 is warned about (the 4.22 SR-IOV operator reads ENIs with IMDSv1)", async () => {
    const optional = planMetalMachineSet(source(), { ...OPTS, imds: "optional" });
    assert.deepEqual(optional.machineSet.spec.template.spec.providerSpec.value.metadataServiceOptions, {
      authentication: "Optional",
    });
    assert.deepEqual(optional.warnings, []);
    const required = planMetalMachineSet(source(), { ...OPTS, imds: "required" });
    assert.match(
      required.warnings.join(),
      /SR-IOV Network Operator of OpenShift 4\.22[\s\S]*--imds optional/,
    );
    const src = source();
    src.spec.template.spec.providerSpec.value.metadataServiceOptions = { authentication: "Required" };
    assert.equal(planMetalMachineSet(src, OPTS).warnings.length, 1, "kept from the source, and warned");
    const ctx = bufferContext();
    assert.equal(
      await main(
        ["aws", "machineset", "--instance-type", "c5.metal", "--from", FIXTURE, "--imds", "required"],
        ctx,
      ),
      0,
      ctx.err(),
    );
    assert.match(ctx.err(), /warning: the instances will require IMDSv2/);
    assert.match(ctx.out(), /authentication: Required/);
  });

  it("bad input: unknown instance type (with this command's own hint), a missing or malformed --from file, missing --instance-type (exit 2, saying what to do)", async () => {
    const unknown = bufferContext();
    assert.equal(
      await main(["aws", "machineset", "--instance-type", "c9.metal", "--from", FIXTURE], unknown),
      2,
    );
    assert.match(unknown.err(), /unknown instance type "c9\.metal"; the catalog knows c5\.metal/);
    // The hint names what this command takes, not the profile commands' --lscpu/--sysfs.
    assert.match(
      unknown.err(),
      /next: +choose one of the catalog's metal types .* --instance-type c5\.metal/,
    );
    assert.doesNotMatch(unknown.err(), /--lscpu|--sysfs/);
    const absent = bufferContext();
    assert.equal(
      await main(
        ["aws", "machineset", "--instance-type", "c5.metal", "--from", "no-such-machinesets.yaml"],
        absent,
      ),
      2,
    );
    assert.match(absent.err(), /no such file[\s\S]*--from \S*no-such-machinesets\.yaml/);
    assert.match(absent.err(), /oc get machinesets -n openshift-machine-api -o yaml > machinesets\.yaml/);
    assert.doesNotMatch(absent.err(), /ENOENT/);
    const dir = mkdtempSync(join(ROOT, "test-artifacts", "machineset-"));
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "kind: MachineSet\nspec: [unclosed\n");
    const malformed = bufferContext();
    assert.equal(
      await main(["aws", "machineset", "--instance-type", "c5.metal", "--from", bad], malformed),
      2,
    );
    assert.match(malformed.err(), /not valid YAML/);
    assert.match(malformed.err(), /bad\.yaml:\d+/);
    const missing = bufferContext();
    assert.equal(await main(["aws", "machineset", "--from", FIXTURE], missing), 2);
    assert.match(missing.err(), /--instance-type is required/);
  });
});

describe("llw aws machineset (from the cluster; simulated API server speaking the real HTTP protocol to @kubernetes/client-node)", () => {
  it("reads the worker MachineSets from openshift-machine-api and derives from the one in the zone asked for", async () => {
    const api = await ApiServer.start();
    try {
      api.addResources(OPENSHIFT_RESOURCES);
      const items = (list()[0] as { items: Obj[] }).items.map((o) => {
        const { status: _s, ...rest } = o;
        const {
          resourceVersion: _rv,
          uid: _u,
          creationTimestamp: _c,
          generation: _g,
          ...meta
        } = rest.metadata;
        return { ...rest, metadata: meta } as Obj;
      });
      api.seed(...items);
      const dir = mkdtempSync(join(ROOT, "test-artifacts", "machineset-kube-"));
      const kubeconfig = api.writeKubeconfig(dir);
      const ctx = bufferContext({ env: { KUBECONFIG: kubeconfig } });
      assert.equal(
        await main(["aws", "machineset", "--instance-type", "m5zn.metal", "--zone", "us-east-2b"], ctx),
        0,
        ctx.err(),
      );
      const [ms] = parseAllDocuments(ctx.out()).map((d) => d.toJS() as Obj);
      assert.equal(ms!.metadata.name, "lab-x7k2p-worker-rt-us-east-2b");
      assert.equal(ms!.spec.template.spec.providerSpec.value.instanceType, "m5zn.metal");
      assert.deepEqual(
        ms!.spec.template.spec.providerSpec.value.subnet,
        items[1]!.spec.template.spec.providerSpec.value.subnet,
      );
      const down = bufferContext({ env: { KUBECONFIG: kubeconfig } });
      assert.equal(
        await main(["aws", "machineset", "--instance-type", "c5.metal", "--context", "unreachable"], down),
        3,
      );
    } finally {
      await api.stop();
    }
  });
});
