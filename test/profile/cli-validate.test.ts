import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { writeSysfsTgz } from "../topology/sysfs-fixture.ts";

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), "llw-profile-"));
}

describe("llw profile validate (in-process CLI, the real upstream CRD shipped in schemas/)", () => {
  it("a generated profile is valid against webhook rules, the CRD schema and the topology", async () => {
    const dir = await tmp();
    const gen = bufferContext({ cwd: dir });
    assert.equal(
      await main(["profile", "generate", "--instance-type", "c6i.metal", "--out", "p.yaml"], gen),
      0,
    );
    assert.equal(gen.out(), "created: p.yaml\n");
    const ctx = bufferContext({ cwd: dir });
    assert.equal(
      await main(["profile", "validate", "p.yaml", "--instance-type", "c6i.metal"], ctx),
      0,
      ctx.out() + ctx.err(),
    );
    assert.match(
      ctx.out(),
      /^valid: workshop-c6i-metal \(webhook rules, CRD schema, topology \(catalog: c6i.metal\)\)/m,
    );
  });

  it("reports every problem with file and line, exit 1", async () => {
    const dir = await tmp();
    writeFileSync(
      join(dir, "bad.yaml"),
      [
        "apiVersion: performance.openshift.io/v2",
        "kind: PerformanceProfile",
        "metadata:",
        "  name: bad",
        "spec:",
        "  cpu:",
        "    reserved: 0-3",
        "    isolated: 2-100",
        "    isolate: 5",
        "  nodeSelector:",
        '    node-role.kubernetes.io/worker-rt: ""',
        "  realTimeKernel:",
        "    enabled: true",
        "  workloadHints:",
        "    realTime: false",
        "",
      ].join("\n"),
    );
    const ctx = bufferContext({ cwd: dir });
    assert.equal(await main(["profile", "validate", "bad.yaml", "--instance-type", "c5.metal"], ctx), 1);
    const out = ctx.out();
    assert.match(
      out,
      /^bad.yaml:6: error spec.cpu: reserved and isolated cpus overlap: \[2 3\] \[webhook\]$/m,
    );
    assert.match(out, /^bad.yaml:8: error spec.cpu.isolated: CPUs 96-100 do not exist on catalog: c5.metal/m);
    assert.match(out, /^bad.yaml:9: error spec.cpu.isolate: unknown field "isolate" \[schema\]$/m);
    assert.match(out, /^bad.yaml:15: error spec.workloadHints.realTime: realtime kernel is enabled/m);
    assert.match(ctx.err(), /bad.yaml: \d+ errors in 1 PerformanceProfile/);
  });

  it("-o json gives the findings as data", async () => {
    const dir = await tmp();
    writeFileSync(
      join(dir, "p.yaml"),
      'apiVersion: performance.openshift.io/v2\nkind: PerformanceProfile\nmetadata: {name: p}\nspec:\n  cpu: {reserved: "0", isolated: "1-3"}\n  nodeSelector: {"a/b": ""}\n',
    );
    const ctx = bufferContext({ cwd: dir });
    assert.equal(await main(["profile", "validate", "p.yaml", "-o", "json"], ctx), 0);
    const data = JSON.parse(ctx.out());
    assert.equal(data.valid, true);
    assert.deepEqual(data.findings, []);
  });

  it("malformed YAML and missing files are input errors (exit 2) with where", async () => {
    const dir = await tmp();
    writeFileSync(join(dir, "broken.yaml"), "kind: PerformanceProfile\nspec: [\n");
    const ctx = bufferContext({ cwd: dir });
    assert.equal(await main(["profile", "validate", "broken.yaml"], ctx), 2);
    assert.match(ctx.err(), /not valid YAML/);
    assert.match(ctx.err(), /where: broken.yaml:\d+/);
    const missing = bufferContext({ cwd: dir });
    assert.equal(await main(["profile", "validate", "nope.yaml"], missing), 2);
    assert.match(missing.err(), /cannot read/);
  });
});

describe("llw profile generate --out (generated files)", () => {
  it("creates, reports unchanged, refuses to overwrite a hand edit without --force, --check exits 1 on drift", async () => {
    const dir = await tmp();
    const run = async (...args: string[]) => {
      const ctx = bufferContext({ cwd: dir });
      const code = await main(
        ["profile", "generate", "--instance-type", "c5.metal", "--out", "pp.yaml", ...args],
        ctx,
      );
      return { code, out: ctx.out(), err: ctx.err() };
    };
    assert.deepEqual((await run()).out, "created: pp.yaml\n");
    const first = readFileSync(join(dir, "pp.yaml"), "utf8");
    assert.match(first, /^# llw-generated: .*digest=/);
    assert.match(first, /# regenerate: llw profile generate --instance-type c5.metal --out pp.yaml/);
    assert.equal((await run()).out, "unchanged: pp.yaml\n");
    assert.equal((await run("--check")).code, 0);
    assert.equal((await run("--rt-kernel", "--check")).code, 1);
    writeFileSync(
      join(dir, "pp.yaml"),
      first.replace("topologyPolicy: restricted", "topologyPolicy: best-effort"),
    );
    const refused = await run("--rt-kernel");
    assert.equal(refused.code, 2);
    assert.match(refused.err, /refusing to overwrite a file edited by hand/);
    assert.match(readFileSync(join(dir, "pp.yaml"), "utf8"), /best-effort/);
    assert.equal((await run("--rt-kernel", "--force")).out, "updated: pp.yaml\n");
    assert.match(readFileSync(join(dir, "pp.yaml"), "utf8"), /enabled: true/);
  });
});

describe("llw topology show", () => {
  it("prints the CPU map with sibling pairs per NUMA node, and the catalog's sources", async () => {
    const ctx = bufferContext();
    assert.equal(await main(["topology", "show", "--instance-type", "c5.metal"], ctx), 0);
    assert.match(
      ctx.out(),
      /catalog: c5.metal: 2 sockets, 2 NUMA nodes, 48 cores, 96 CPUs \(SMT on, 2 threads per core\)/,
    );
    assert.match(ctx.out(), /NUMA node 1 {2}socket 1 {2}24 cores {2}CPUs 24-47,72-95 {2}96 GiB/);
    assert.match(ctx.out(), /^ {2}24,72 +25,73 /m);
    assert.match(ctx.out(), /sources:\n {2}- AWS EC2 instance type specifications/);
  });
  it("-o json gives the model", async () => {
    const ctx = bufferContext();
    assert.equal(await main(["topology", "show", "--instance-type", "c7i.metal-24xl", "-o", "json"], ctx), 0);
    const data = JSON.parse(ctx.out());
    assert.equal(data.topology.numaNodes.length, 1);
    assert.equal(data.topology.cpus.length, 96);
    assert.equal(data.instanceType.efaSupported, false);
  });
  it("reads a real lscpu file given with --lscpu, relative to the working directory", async () => {
    const dir = await tmp();
    writeFileSync(join(dir, "l.txt"), "# CPU,Core,Socket,Node\n0,0,0,0\n1,1,0,0\n2,0,0,0\n3,1,0,0\n");
    const ctx = bufferContext({ cwd: dir });
    assert.equal(await main(["topology", "show", "--lscpu", "l.txt"], ctx), 0);
    assert.match(ctx.out(), /lscpu: l.txt: 1 socket, 1 NUMA node, 2 cores, 4 CPUs \(SMT on/);
    assert.match(ctx.out(), /0,2 +1,3/);
  });
});

describe("real topology sources through the CLI", () => {
  it("--lscpu with --instance-type: the node's topology wins, memory and name come from the catalog", async () => {
    const dir = await tmp();
    // A c5.metal booted with SMT off (nosmt): 48 online CPUs.
    const lines = ["# CPU,Core,Socket,Node"];
    for (let cpu = 0; cpu < 48; cpu++) lines.push(`${cpu},${cpu},${cpu < 24 ? 0 : 1},${cpu < 24 ? 0 : 1}`);
    writeFileSync(join(dir, "nosmt.txt"), `${lines.join("\n")}\n`);
    const ctx = bufferContext({ cwd: dir });
    assert.equal(
      await main(
        ["profile", "generate", "--lscpu", "nosmt.txt", "--instance-type", "c5.metal", "--explain"],
        ctx,
      ),
      0,
      ctx.err(),
    );
    const p = parse(ctx.out());
    assert.equal(p.metadata.name, "workshop-c5-metal");
    assert.equal(p.spec.cpu.reserved, "0,24");
    assert.equal(p.spec.hugepages.pages[0].count, 48);
    assert.match(ctx.err(), /has 48 online CPUs but c5.metal has 96 vCPUs; planning for the real topology/);
    assert.match(ctx.err(), /memory: 192 GiB from the c5.metal catalog entry/);
  });
  it("--sysfs with a must-gather style sysinfo.tgz", async () => {
    const recs = [];
    for (let s = 0; s < 2; s++)
      for (let k = 0; k < 4; k++)
        for (const cpu of [2 * k + s, 2 * k + s + 8]) recs.push({ cpu, core: k, socket: s, node: s });
    const tgz = await writeSysfsTgz({ cpus: recs, nodeMemoryKiB: { 0: 16777216, 1: 16777216 } });
    const ctx = bufferContext();
    assert.equal(await main(["topology", "show", "--sysfs", tgz], ctx), 0, ctx.err());
    assert.match(ctx.out(), /2 sockets, 2 NUMA nodes, 8 cores, 16 CPUs/);
    assert.match(ctx.out(), /NUMA node 0 {2}socket 0 {2}4 cores {2}CPUs 0,2,4,6,8,10,12,14 {2}16 GiB/);
    const gen = bufferContext();
    assert.equal(
      await main(["profile", "generate", "--sysfs", tgz, "--profile-name", "lab"], gen),
      0,
      gen.err(),
    );
    const p = parse(gen.out());
    assert.equal(p.spec.cpu.reserved, "0-1,8-9");
    assert.equal(p.spec.hugepages.pages[1].count, 8);
  });
});
