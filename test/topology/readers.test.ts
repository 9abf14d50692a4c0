import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { formatCpuList } from "../../src/lib/cpuset.ts";
import { UserError } from "../../src/lib/errors.ts";
import { planProfile } from "../../src/profile/plan.ts";
import { validateProfile } from "../../src/profile/validate.ts";
import { readCrd, validateAgainstCrd } from "../../src/schema/crd.ts";
import { getInstanceType, topologyOf } from "../../src/topology/catalog.ts";
import { parseLscpu } from "../../src/topology/lscpu.ts";
import type { CpuRecord, Topology } from "../../src/topology/model.ts";
import { readSysfs } from "../../src/topology/sysfs.ts";
import { ROOT, requireTool } from "../helpers/tools.ts";
import { synthetic } from "./synthetic.ts";
import { writeSysfsDir, writeSysfsTgz } from "./sysfs-fixture.ts";

/** The facts every source must agree on. */
function shape(t: Topology) {
  return {
    cpus: formatCpuList(t.cpus),
    nodes: t.numaNodes.map((n) => formatCpuList(n.cpus)),
    cores: t.cores.map((c) => c.cpus.join("+")),
    sockets: t.sockets.length,
    threadsPerCore: t.threadsPerCore,
  };
}

function lscpuP(records: CpuRecord[]): string {
  return [
    "# The following is the parsable format, which can be fed to other",
    "# programs. Each different item in every column has an unique ID",
    "# starting usually from zero.",
    "# CPU,Core,Socket,Node,,L1d,L1i,L2,L3",
    ...records.map(
      (r) => `${r.cpu},${r.core},${r.socket},${r.node ?? ""},,${r.core},${r.core},${r.core},${r.socket}`,
    ),
    "",
  ].join("\n");
}

function catalogRecords(name: string): CpuRecord[] {
  const t = topologyOf(getInstanceType(name));
  return t.cores.flatMap((c) => c.cpus.map((cpu) => ({ cpu, core: c.id, socket: c.socket, node: c.node })));
}

const interleaved: CpuRecord[] = [];
for (let s = 0; s < 2; s++)
  for (let k = 0; k < 4; k++)
    for (const cpu of [2 * k + s, 2 * k + s + 8])
      interleaved.push({ cpu, core: s * 4 + k, socket: s, node: s });

describe("lscpu readers", () => {
  it("lscpu -p of this machine (the real lscpu) gives the same topology as this machine's /sys", async (t) => {
    if (!requireTool(t, "lscpu", "apt-get install -y util-linux")) return;
    const text = execFileSync("lscpu", ["-p"], { encoding: "utf8" });
    const fromLscpu = parseLscpu(text, "lscpu -p (this machine)");
    const fromSys = await readSysfs("/sys/devices/system");
    assert.ok(fromLscpu.cpus.length >= 1);
    assert.deepEqual(shape(fromLscpu), shape(fromSys));
    const ej = parseLscpu(execFileSync("lscpu", ["-J", "-e"], { encoding: "utf8" }), "lscpu -J -e");
    assert.deepEqual(shape(ej), shape(fromLscpu));
    const e = parseLscpu(execFileSync("lscpu", ["-e"], { encoding: "utf8" }), "lscpu -e");
    assert.deepEqual(shape(e), shape(fromLscpu));
  });

  it("a profile planned from this machine's lscpu -p (and its /sys) is valid for this machine, or the planner says why not", async (t) => {
    if (!requireTool(t, "lscpu", "apt-get install -y util-linux")) return;
    const text = execFileSync("lscpu", ["-p"], { encoding: "utf8" });
    const fromLscpu = parseLscpu(text, "lscpu -p (this machine)");
    const fromSys = await readSysfs("/sys/devices/system");
    // The default keeps one whole core per NUMA node for housekeeping and isolates the rest, so
    // it can plan exactly when there are more cores than NUMA nodes.
    const canPlan = fromLscpu.cores.length > fromLscpu.numaNodes.length;
    t.diagnostic(
      `this machine: ${fromLscpu.cpus.length} CPUs, ${fromLscpu.cores.length} cores, ${fromLscpu.numaNodes.length} NUMA nodes; can plan: ${canPlan}`,
    );
    const crd = readCrd(join(ROOT, "schemas", "performanceprofiles.performance.openshift.io.yaml"));
    for (const [topology, name] of [
      [fromLscpu, "lscpu -p"],
      [fromSys, "/sys"],
    ] as const) {
      if (!canPlan) {
        assert.throws(
          () => planProfile(topology),
          (e: unknown) => e instanceof UserError && e.problems.every((p) => p.what.length > 0),
        );
        continue;
      }
      const plan = planProfile(topology);
      assert.equal(plan.cpus.isolated.length + plan.cpus.reserved.length, topology.cpus.length, name);
      const errors = [
        ...validateProfile(plan.profile, fromLscpu),
        ...validateProfile(plan.profile, fromSys),
      ].filter((f) => f.severity === "error");
      assert.deepEqual(errors, [], `${name}: ${JSON.stringify(errors)}`);
      assert.deepEqual(validateAgainstCrd(plan.profile, crd), [], name);
      // /sys knows each node's memory, so its plan has hugepages (which the validation above found
      // fit); lscpu -p says nothing about memory, so its plan has none.
      const memoryKnown = topology.numaNodes.every((n) => n.memoryMiB !== undefined);
      assert.equal(plan.profile.spec.hugepages !== undefined, memoryKnown, name);
    }
  });

  it("reads a c5.metal-shaped lscpu -p, and the same host as -e and -J -e", () => {
    const recs = catalogRecords("c5.metal");
    const p = parseLscpu(lscpuP(recs), "c5.txt");
    assert.deepEqual(shape(p), shape(topologyOf(getInstanceType("c5.metal"))));
    const e = `${[
      "CPU NODE SOCKET CORE L1d:L1i:L2:L3 ONLINE",
      ...recs.map(
        (r) => `${r.cpu} ${r.node} ${r.socket} ${r.core} ${r.core}:${r.core}:${r.core}:${r.socket} yes`,
      ),
    ].join("\n")}\n`;
    assert.deepEqual(shape(parseLscpu(e, "e.txt")), shape(p));
    const j = JSON.stringify(
      { cpus: recs.map((r) => ({ cpu: r.cpu, node: r.node, socket: r.socket, core: r.core, online: true })) },
      null,
      3,
    );
    assert.deepEqual(shape(parseLscpu(j, "j.json")), shape(p));
  });

  it("reads interleaved NUMA (even CPUs node 0, odd node 1)", () => {
    const t = parseLscpu(lscpuP(interleaved), "x");
    assert.deepEqual(
      t.numaNodes.map((n) => formatCpuList(n.cpus)),
      ["0,2,4,6,8,10,12,14", "1,3,5,7,9,11,13,15"],
    );
    assert.deepEqual(t.numaNodes[0]!.cores[0]!.cpus, [0, 8]);
  });

  it("keeps offline CPUs out of the model and lists them (lscpu -e ONLINE no)", () => {
    const t = parseLscpu("CPU NODE SOCKET CORE ONLINE\n0 0 0 0 yes\n1 0 0 1 yes\n2 - - - no\n", "e.txt");
    assert.deepEqual(t.cpus, [0, 1]);
    assert.deepEqual(t.offlineCpus, [2]);
  });

  const rejects = (text: string, re: RegExp, where?: RegExp) =>
    assert.throws(
      () => parseLscpu(text, "node.txt"),
      (e: unknown) =>
        e instanceof UserError &&
        e.problems.some((p) => re.test(p.what) && (!where || where.test(p.where ?? ""))),
    );

  it("reports duplicate CPU ids with file and line", () => {
    rejects(
      "# CPU,Core,Socket,Node\n0,0,0,0\n1,1,0,0\n1,1,0,0\n",
      /CPU 1 is listed twice \(first at node.txt:3\)/,
      /^node.txt:4$/,
    );
  });
  it("reports siblings across sockets with file and line", () => {
    rejects(
      "# CPU,Core,Socket,Node\n0,0,0,0\n1,0,1,0\n",
      /core 0 has sibling threads on different sockets/,
      /^node.txt:3$/,
    );
  });
  it("reports siblings across NUMA nodes", () => {
    rejects("# CPU,Core,Socket,Node\n0,0,0,0\n1,0,0,1\n", /different NUMA nodes/, /^node.txt:3$/);
  });
  it("reports missing NUMA info per line, and a missing Node column at the header", () => {
    rejects("# CPU,Core,Socket,Node\n0,0,0,\n1,1,0,0\n", /CPU 0 has no NUMA node/, /^node.txt:2$/);
    rejects("# CPU,Core,Socket\n0,0,0\n", /no Node column/, /^node.txt:2$/);
    rejects('{"cpus":[{"cpu":0,"core":0,"socket":0}]}', /no node field/);
  });
  it("reports malformed lines and foreign text", () => {
    rejects("# CPU,Core,Socket,Node\n0,0,0,0\nx,1,0,0\n", /malformed CPU line: cpu/, /^node.txt:3$/);
    rejects(
      "Architecture: x86_64\nCPU(s): 2\n",
      /not lscpu -p, lscpu -e or lscpu -J -e output/,
      /^node.txt:1$/,
    );
    rejects("{ not json", /not valid JSON/);
    rejects("", /not lscpu/);
  });
  it("reports every problem of a file together", () => {
    assert.throws(
      () => parseLscpu("# CPU,Core,Socket,Node\n0,0,0,0\n0,0,0,0\n2,1,0,\n", "f"),
      (e: unknown) => e instanceof UserError && e.problems.length === 2,
    );
  });

  it("property: any generated topology survives lscpu -p round trip", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 2 }),
        fc.boolean(),
        (sockets, nodesPerSocket, coresPerNode, threads, interleave) => {
          const recs = synthetic(sockets, nodesPerSocket, coresPerNode, threads, interleave);
          const t = parseLscpu(lscpuP(recs), "gen");
          assert.equal(t.cpus.length, recs.length);
          assert.equal(t.numaNodes.length, sockets * nodesPerSocket);
          assert.equal(t.threadsPerCore, threads);
        },
      ),
    );
  });
});

describe("sysfs snapshot readers", () => {
  it("a directory and a .tar.gz (must-gather's sysinfo.tgz layout) give the catalog's topology and node memory", async () => {
    const host = { cpus: catalogRecords("c5n.metal"), nodeMemoryKiB: { 0: 100663296, 1: 100663296 } };
    const expected = shape(topologyOf(getInstanceType("c5n.metal")));
    const dir = await writeSysfsDir(host);
    const fromDir = await readSysfs(dir);
    assert.deepEqual(shape(fromDir), expected);
    assert.deepEqual(
      fromDir.numaNodes.map((n) => n.memoryMiB),
      [98304, 98304],
    );
    const fromTgz = await readSysfs(await writeSysfsTgz(host));
    assert.deepEqual(shape(fromTgz), expected);
    assert.equal(fromTgz.memoryMiB, 196608);
  });
  it("interleaved NUMA and offline CPUs", async () => {
    const t = await readSysfs(await writeSysfsDir({ cpus: interleaved, offline: [16, 17] }));
    assert.deepEqual(t.numaNodes[1]!.cpus, [1, 3, 5, 7, 9, 11, 13, 15]);
    assert.deepEqual(t.offlineCpus, [16, 17]);
  });
  it("missing NUMA info is an error naming the snapshot", async () => {
    const dir = await writeSysfsDir({ cpus: interleaved, noNodes: true });
    await assert.rejects(
      readSysfs(dir),
      (e: unknown) => e instanceof UserError && /missing NUMA info/.test(e.message),
    );
  });
  it("malformed files are reported with the file", async () => {
    const dir = await writeSysfsDir({ cpus: interleaved });
    writeFileSync(join(dir, "sys/devices/system/cpu/cpu3/topology/core_id"), "three\n");
    await assert.rejects(
      readSysfs(dir),
      (e: unknown) =>
        e instanceof UserError &&
        e.problems.some(
          (p) =>
            /expected an integer, found "three"/.test(p.what) &&
            /cpu3\/topology\/core_id:1$/.test(p.where ?? ""),
        ),
    );
  });
  it("a file that is not an archive, and an empty directory, are clear errors", async () => {
    const dir = await mkdtemp(join(tmpdir(), "llw-empty-"));
    const junk = join(dir, "junk.tgz");
    writeFileSync(junk, "not a tarball");
    await assert.rejects(readSysfs(junk), /cannot read the archive|no sys\/devices\/system\/cpu/);
    await assert.rejects(readSysfs(dir), /no sys\/devices\/system\/cpu/);
    assert.ok(readFileSync(junk, "utf8").length > 0);
  });
});
