import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";

describe("llw profile generate (in-process CLI)", () => {
  it("prints only the YAML on stdout when not on a terminal", async () => {
    const ctx = bufferContext();
    assert.equal(await main(["profile", "generate", "--instance-type", "c5.metal"], ctx), 0);
    const profile = parse(ctx.out());
    assert.equal(profile.kind, "PerformanceProfile");
    assert.equal(profile.metadata.name, "workshop-c5-metal");
    assert.equal(profile.spec.cpu.reserved, "0,24,48,72");
    assert.equal(ctx.err(), "");
  });
  it("prints the CPU map and the reasons on stderr with --explain", async () => {
    const ctx = bufferContext();
    assert.equal(await main(["profile", "generate", "--instance-type", "c5.metal", "--explain"], ctx), 0);
    assert.match(ctx.err(), /NUMA node 0 .*CPUs 0-23,48-71/);
    assert.match(ctx.err(), /R +0,48/);
    assert.match(ctx.err(), /Why \(workshop-c5-metal\)/);
    assert.equal(parse(ctx.out()).kind, "PerformanceProfile");
  });
  it("accepts PPC's flag spellings (--rt-kernel=true) and -o json", async () => {
    const ctx = bufferContext();
    const code = await main(
      [
        "profile",
        "generate",
        "--instance-type",
        "m5.metal",
        "--rt-kernel=true",
        "--reserved-cpu-count",
        "8",
        "--split-reserved-cpus-across-numa=false",
        "-o",
        "json",
      ],
      ctx,
    );
    assert.equal(code, 0, ctx.err());
    const p = JSON.parse(ctx.out());
    assert.equal(p.spec.realTimeKernel.enabled, true);
    assert.equal(p.spec.cpu.reserved, "0-3,48-51");
  });
  it("unknown instance type: exit 2, lists the known types and how to pass a real topology", async () => {
    const ctx = bufferContext();
    assert.equal(await main(["profile", "generate", "--instance-type", "c5.large"], ctx), 2);
    assert.match(ctx.err(), /unknown instance type "c5.large"; the catalog knows c5.metal, c5n.metal/);
    assert.match(ctx.err(), /--lscpu FILE/);
    assert.equal(ctx.out(), "");
  });
  it("no source: exit 2 with what to pass", async () => {
    const ctx = bufferContext();
    assert.equal(await main(["profile", "generate"], ctx), 2);
    assert.match(ctx.err(), /no topology source given/);
  });
  it("an odd reserved count with SMT on: exit 2 with PPC's message and the flag", async () => {
    const ctx = bufferContext();
    assert.equal(
      await main(["profile", "generate", "--instance-type", "c5.metal", "--reserved-cpu-count", "3"], ctx),
      2,
    );
    assert.match(ctx.err(), /can't allocate odd number of CPUs/);
    assert.match(ctx.err(), /where: --reserved-cpu-count/);
  });
});

describe("llw profile generate on a terminal", () => {
  it("prints the map and reasons on stderr by itself when stderr is a terminal; --quiet silences them", async () => {
    const tty = () => {
      const ctx = bufferContext();
      (ctx.stderr as { isTTY?: boolean }).isTTY = true;
      return ctx;
    };
    const ctx = tty();
    assert.equal(await main(["profile", "generate", "--instance-type", "c5.metal"], ctx), 0);
    assert.match(ctx.err(), /Why \(workshop-c5-metal\)/);
    assert.equal(parse(ctx.out()).kind, "PerformanceProfile");
    const quiet = tty();
    assert.equal(await main(["profile", "generate", "--instance-type", "c5.metal", "--quiet"], quiet), 0);
    assert.equal(quiet.err(), "");
  });
  it("a bad boolean value is a usage error naming the flag", async () => {
    const ctx = bufferContext();
    assert.equal(
      await main(["profile", "generate", "--instance-type", "c5.metal", "--rt-kernel=maybe"], ctx),
      2,
    );
    assert.match(ctx.err(), /expected true or false, got "maybe"/);
  });
});

describe("llw profile generate: hugepages must fit", () => {
  it("--hugepages-per-node 1000 on c5.metal: exit 2 with the reason, no profile on stdout", async () => {
    const ctx = bufferContext();
    assert.equal(
      await main(["profile", "generate", "--instance-type", "c5.metal", "--hugepages-per-node", "1000"], ctx),
      2,
    );
    assert.equal(ctx.out(), "");
    assert.match(ctx.err(), /NUMA node 0 has 96 GiB/);
    assert.match(ctx.err(), /where: --hugepages-per-node/);
  });
});

describe("llw profile generate --help", () => {
  it("states the two deliberate departures from PPC: default power mode (realTime true) and the 3+ NUMA split", async () => {
    const ctx = bufferContext();
    assert.equal(await main(["profile", "generate", "--help"], ctx), 0);
    const help = ctx.out().replace(/\s+/g, " ");
    assert.match(
      help,
      /default power mode is low-latency, so workloadHints\.realTime is true, where PPC's default mode writes realTime: false/,
    );
    assert.match(
      help,
      /on 3 or more NUMA nodes, .*PPC's formula can reserve more CPUs than asked; llw reserves exactly the count/,
    );
  });
  it("and the planner does what the help says: realTime true by default; exactly the count over 4 NUMA nodes, with a warning", async () => {
    // 4 NUMA nodes of 4 cores, SMT off: 5 CPUs split leave a remainder of 1, where PPC's formula over-reserves.
    const dir = await mkdtemp(join(tmpdir(), "llw-split-"));
    const lines = Array.from({ length: 16 }, (_, cpu) => `${cpu},${cpu},0,${Math.floor(cpu / 4)}`);
    writeFileSync(join(dir, "four-numa.txt"), `# CPU,Core,Socket,Node\n${lines.join("\n")}\n`);
    const split = bufferContext({ cwd: dir });
    const args = [
      "--lscpu",
      "four-numa.txt",
      "--reserved-cpu-count",
      "5",
      "--split-reserved-cpus-across-numa",
    ];
    assert.equal(await main(["profile", "generate", ...args, "-o", "json"], split), 0, split.err());
    assert.equal(JSON.parse(split.out()).spec.cpu.reserved, "0-1,4,8,12");
    assert.match(
      split.err(),
      /Performance Profile Creator's split formula would reserve more than 5 here; llw reserves exactly 5/,
    );
    const ctx = bufferContext();
    assert.equal(await main(["profile", "generate", "--instance-type", "c5.metal", "-o", "json"], ctx), 0);
    assert.equal(JSON.parse(ctx.out()).spec.workloadHints.realTime, true);
    const ppc = bufferContext();
    assert.equal(
      await main(
        [
          "profile",
          "generate",
          "--instance-type",
          "c5.metal",
          "--power-consumption-mode",
          "default",
          "-o",
          "json",
        ],
        ppc,
      ),
      0,
    );
    assert.equal(JSON.parse(ppc.out()).spec.workloadHints.realTime, false);
  });
});
