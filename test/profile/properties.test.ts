import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LlwError } from "../../src/lib/errors.ts";
import { calculateCpuSets } from "../../src/profile/cpusets.ts";
import { defaultReservedCores, planProfile } from "../../src/profile/plan.ts";
import { validateProfile } from "../../src/profile/validate.ts";
import { buildTopology } from "../../src/topology/model.ts";
import { synthetic } from "../topology/synthetic.ts";

const topologies = fc
  .record({
    sockets: fc.integer({ min: 1, max: 2 }),
    nodesPerSocket: fc.integer({ min: 1, max: 2 }),
    coresPerNode: fc.integer({ min: 1, max: 8 }),
    threads: fc.integer({ min: 1, max: 2 }),
    interleave: fc.boolean(),
  })
  .map((s) =>
    buildTopology(synthetic(s.sockets, s.nodesPerSocket, s.coresPerNode, s.threads, s.interleave), {
      source: "generated",
      memoryMiB: 8192 * s.sockets * s.nodesPerSocket,
    }),
  );

const requests = fc.record({
  reserved: fc.integer({ min: 1, max: 40 }),
  offlined: fc.integer({ min: 0, max: 40 }),
  split: fc.boolean(),
  disableHt: fc.boolean(),
  highPower: fc.boolean(),
});

describe("planner properties over random topologies (sockets, NUMA nodes, SMT, interleaving)", () => {
  it("sets are disjoint, cover every planned CPU, respect the counts, and keep whole cores with SMT on", () => {
    fc.assert(
      fc.property(topologies, requests, (t, r) => {
        let sets: ReturnType<typeof calculateCpuSets>;
        try {
          sets = calculateCpuSets(t, {
            reservedCpuCount: r.reserved,
            offlinedCpuCount: r.offlined,
            splitReservedCpusAcrossNuma: r.split,
            disableHt: r.disableHt,
            highPowerConsumption: r.highPower,
          });
        } catch (e) {
          // Rejections are user errors (PPC's range and parity rules), never crashes.
          assert.ok(e instanceof LlwError, String(e));
          return;
        }
        const all = [...sets.reserved, ...sets.isolated, ...sets.offlined];
        assert.equal(new Set(all).size, all.length, "sets overlap");
        const smtOn = t.threadsPerCore > 1;
        const planned = r.disableHt && smtOn ? t.cores.map((c) => c.cpus[0]!) : t.cpus;
        assert.deepEqual(
          [...all].sort((a, b) => a - b),
          [...planned].sort((a, b) => a - b),
        );
        assert.equal(sets.reserved.length, r.reserved);
        if (sets.warnings.some((w) => /could not offline/.test(w)))
          assert.ok(sets.offlined.length < r.offlined);
        else assert.equal(sets.offlined.length, r.offlined);
        assert.ok(sets.isolated.length > 0);
        if (smtOn && !r.disableHt) {
          const reserved = new Set(sets.reserved);
          for (const c of t.cores) {
            const n = c.cpus.filter((x) => reserved.has(x)).length;
            assert.ok(n === 0 || n === c.cpus.length, `core ${c.cpus} split by reserved ${sets.reserved}`);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it("the default plan always passes the webhook rules and the topology checks", () => {
    fc.assert(
      fc.property(topologies, fc.boolean(), (t, disableHt) => {
        if (t.cores.length <= t.numaNodes.length) return; // nothing left to isolate
        const plan = planProfile(t, { disableHt });
        assert.deepEqual(validateProfile(plan.profile, t), []);
        const { cores } = defaultReservedCores(t);
        assert.equal(plan.cpus.reserved.length, cores * (disableHt ? 1 : t.threadsPerCore));
        // At least two cores when the host has four, and never more than half the cores (rounded to whole nodes).
        if (t.cores.length >= 4) assert.ok(cores >= 2, `${cores} cores reserved of ${t.cores.length}`);
        assert.ok(cores <= Math.max(t.numaNodes.length, t.cores.length / 2));
        for (const n of t.numaNodes) {
          assert.ok(
            plan.cpus.reserved.some((c) => n.cpus.includes(c)),
            `NUMA node ${n.id} has no reserved CPU`,
          );
        }
      }),
      { numRuns: 200 },
    );
  });
});
