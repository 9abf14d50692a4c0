/**
 * A fuzz test per parser of untrusted input: lscpu (all three forms), YAML with the
 * PerformanceProfile checks, sysfs archives (the Argo CD include glob's fuzz test, with its
 * work bound, is in test/gitops/glob.test.ts). Each batch runs in a worker under a generous hang
 * guard and a memory budget: a parser that loops or backtracks forever on some case, or blows up
 * in memory, fails the test instead of hanging it or taking the machine. The work is bounded by
 * the number of cases (fixed seeds), not by time. Every case must end in a result or in bad input
 * (exit 2), never another error.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { withHangGuard } from "../helpers/hang-guard.ts";
import type { FuzzReport } from "./targets.ts";

const TARGETS = join(import.meta.dirname, "targets.ts");
/** Fixed seeds: the same cases every run; FUZZ_SEED picks others for a longer search by hand. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
/** The worker's heap: far above what the largest real input needs (a few MiB), far below the machine's. */
const MEMORY = { maxOldGenerationSizeMb: 512 };

for (const [name, fn, runs] of [
  ["lscpu -p / -e / -J -e", "fuzzLscpu", 400],
  ["YAML documents and the PerformanceProfile checks", "fuzzYaml", 400],
  ["sysfs archives (sysinfo.tgz)", "fuzzSysfs", 120],
] as const) {
  describe(`fuzz: ${name}`, () => {
    it(`${runs} mutated real inputs each end in a result or a clear refusal (exit 2), within the hang guard and a 512 MiB heap`, async () => {
      const r = await withHangGuard<FuzzReport>(TARGETS, fn, [SEED, runs], 240_000, MEMORY);
      assert.equal(r.cases, runs);
      assert.deepEqual(r.findings, []);
      assert.ok(r.refused > 0, "some mutations are refused (the fuzzer reaches the error paths)");
    });
  });
}

describe("fuzz budgets", () => {
  it("a heap budget is enforced: a worker that keeps allocating is stopped and the batch fails (a 64 MiB budget, to be quick)", async () => {
    await assert.rejects(
      withHangGuard(TARGETS, "exhaustMemory", [], 240_000, { maxOldGenerationSizeMb: 64 }),
      /memory/i,
    );
  });
});
