/**
 * Every file under examples/samples has a generator or a recorded provenance, and the guides include
 * nothing else: no hand-written "output" can reach a page.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  BENCH_FILES,
  benchSamples,
  EMULATOR_FILES,
  emulatorSamples,
  FAKE_CLUSTER_FILES,
  fakeClusterSamples,
  normaliseIds,
  normaliseUuids,
  RECORDED_INPUTS,
  RECORDED_RUNS,
  recordRun,
  SAMPLE_COMMANDS,
  SAMPLES,
} from "../../scripts/docs/samples.ts";
import { requireTool } from "../helpers/tools.ts";
import { componentAttributes, includes, pages, substitute } from "./guide.ts";

const generated = new Set([
  ...SAMPLE_COMMANDS.flatMap((s) => [s.file, ...Object.values(s.writes ?? {})]),
  ...EMULATOR_FILES,
  ...BENCH_FILES,
  ...FAKE_CLUSTER_FILES,
  ...RECORDED_RUNS.map((r) => r.file),
  ...RECORDED_INPUTS,
]);

/** A line's shape: numbers as N, no blanks (cyclictest pads its columns to the numbers' widths). */
const shape = (text: string) =>
  text
    .split("\n")
    .map((l) => (l.startsWith("# Thread") ? "# Thread N: ..." : l.replace(/\d+/g, "N").replace(/\s+/g, "")))
    .filter((l, i, all) => l !== "" && l !== all[i - 1]);

describe("lab guides: where samples come from", () => {
  it("every file in examples/samples has a generator or a recorded provenance", () => {
    const orphans = readdirSync(SAMPLES).filter((f) => !generated.has(f));
    assert.deepEqual(orphans, [], "a sample without a generator (add it to scripts/docs/samples.ts)");
  });

  it("pages include only the repository's gitops/, benchmarks/, infra/ trees and generated samples", () => {
    const attrs = componentAttributes();
    const problems = pages()
      .flatMap(includes)
      .filter((inc) => {
        const target = substitute(inc.target, attrs);
        const sample = /^example\$samples\/([^/]+)$/.exec(target);
        if (sample) return !generated.has(sample[1]!);
        return !/^example\$(gitops|benchmarks|infra)\//.test(target);
      })
      .map((inc) => `${inc.page}:${inc.line}: ${inc.target}`);
    assert.deepEqual(problems, []);
  });

  it("the include rule can fail: a hand-made file under samples/ is refused", () => {
    assert.equal(generated.has("notes-i-typed.txt"), false);
    assert.equal(generated.has("cyclictest-quiet.txt"), true);
  });

  it("the emulated-AWS samples are what the EC2 emulator world gives today (IDs, MACs, IPs normalised)", async (t) => {
    if (!requireTool(t, "moto_server", "pip install 'moto[server]>=5'")) return;
    const fresh = await emulatorSamples();
    assert.deepEqual([...fresh.keys()].sort(), [...EMULATOR_FILES].sort());
    for (const [file, text] of fresh) {
      const kept = readFileSync(join(SAMPLES, file), "utf8");
      assert.equal(
        normaliseIds(kept),
        normaliseIds(text),
        `${file} is out of date: run npm run docs:samples`,
      );
    }
  });

  it("the kube-burner samples are what llw bench run/show/compare and report print today with the stand-in kube-burner (run UUIDs normalised)", async () => {
    const fresh = await benchSamples();
    assert.deepEqual([...fresh.keys()].sort(), [...BENCH_FILES].sort());
    for (const [file, text] of fresh) {
      const kept = readFileSync(join(SAMPLES, file), "utf8");
      assert.equal(
        normaliseUuids(kept),
        normaliseUuids(text),
        `${file} is out of date: run npm run docs:samples`,
      );
    }
  });

  it("the ID normalisation keeps what matters: a changed classification still differs", () => {
    const a =
      "eni-0123456789abcdef0  1  0  02:00:00:15:c4:ed  subnet-a5966dd5f14bfe9a7  interface  dedicated";
    const b =
      "eni-fedcba98765432100  1  0  02:00:00:aa:bb:cc  subnet-00000000000000000  interface  dedicated";
    assert.equal(normaliseIds(a), normaliseIds(b));
    assert.notEqual(normaliseIds(a), normaliseIds(b.replace("dedicated", "efa")));
  });

  it("the doctor sample is what llw doctor prints against the simulated cluster (tuned-c5-metal) today", async () => {
    const fresh = await fakeClusterSamples();
    assert.deepEqual([...fresh.keys()], FAKE_CLUSTER_FILES);
    for (const [file, text] of fresh) {
      assert.equal(
        readFileSync(join(SAMPLES, file), "utf8"),
        text,
        `${file} is out of date: run npm run docs:samples`,
      );
    }
  });

  for (const run of RECORDED_RUNS) {
    it(`${run.file} has the shape the real ${run.command[0]} prints for its recorded command line (re-run for 1 s)`, (t) => {
      if (!requireTool(t, run.command[0]!, "apt-get install -y rt-tests")) return;
      assert.deepEqual(
        shape(readFileSync(join(SAMPLES, run.file), "utf8")),
        shape(recordRun(run.command, "1")),
      );
    });
  }

  it("cyclictest.json records its own command line", () => {
    const json = JSON.parse(readFileSync(join(SAMPLES, "cyclictest.json"), "utf8")) as Record<
      string,
      unknown
    >;
    assert.match(String(json["cmdline:"]), /^cyclictest .*--json=/);
  });
});
