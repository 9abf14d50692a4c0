import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatCpuList } from "../../src/lib/cpuset.ts";
import { LlwError } from "../../src/lib/errors.ts";
import { type CpuSetRequest, calculateCpuSets } from "../../src/profile/cpusets.ts";
import { ppcBareMetal, ppcSimple, smtOff } from "./fixtures.ts";

function sets(t: ReturnType<typeof ppcSimple>, req: Partial<CpuSetRequest>) {
  const r = calculateCpuSets(t, {
    reservedCpuCount: 0,
    offlinedCpuCount: 0,
    splitReservedCpusAcrossNuma: false,
    disableHt: false,
    highPowerConsumption: false,
    ...req,
  });
  return {
    reserved: formatCpuList(r.reserved),
    isolated: formatCpuList(r.isolated),
    offlined: formatCpuList(r.offlined),
  };
}

describe("CPU sets chosen as PPC chooses them (PPC's own test cases)", () => {
  describe("16 cores, 32 threads, 2 sockets, 4 NUMA nodes", () => {
    it("diag0002: offlines a full socket", () => {
      assert.deepEqual(sets(ppcSimple(), { reservedCpuCount: 8, offlinedCpuCount: 16 }), {
        reserved: "0-3,8-11",
        isolated: "4-7,12-15",
        offlined: "16-31",
      });
    });
    it("diag0003: cannot offline a socket when reserved CPUs are split over all NUMA nodes", () => {
      assert.deepEqual(
        sets(ppcSimple(), { reservedCpuCount: 8, offlinedCpuCount: 16, splitReservedCpusAcrossNuma: true }),
        {
          reserved: "0,4,8,12,16,20,24,28",
          isolated: "6-7,17-19,21-23",
          offlined: "1-3,5,9-11,13-15,25-27,29-31",
        },
      );
    });
    it("diag0004: high power consumption keeps sockets on and offlines siblings instead", () => {
      assert.deepEqual(
        sets(ppcSimple(), { reservedCpuCount: 8, offlinedCpuCount: 16, highPowerConsumption: true }),
        { reserved: "0-3,8-11", isolated: "16-23", offlined: "4-7,12-15,24-31" },
      );
    });
    it("diag0005: a socket too big to offline whole, so siblings go", () => {
      assert.deepEqual(sets(ppcSimple(), { reservedCpuCount: 8, offlinedCpuCount: 12 }), {
        reserved: "0-3,8-11",
        isolated: "4-7,16-23",
        offlined: "12-15,24-31",
      });
    });
    it("diag0006: a complete socket, then siblings", () => {
      assert.deepEqual(sets(ppcSimple(), { reservedCpuCount: 8, offlinedCpuCount: 19 }), {
        reserved: "0-3,8-11",
        isolated: "4-7,15",
        offlined: "12-14,16-31",
      });
    });
    it("diag0007: with --disable-ht the siblings are in no set", () => {
      assert.deepEqual(sets(ppcSimple(), { reservedCpuCount: 4, offlinedCpuCount: 8, disableHt: true }), {
        reserved: "0-3",
        isolated: "4-7",
        offlined: "16-23",
      });
    });
  });

  describe("bare-metal worker: 80 CPUs, interleaved NUMA (even CPUs node 0, odd node 1)", () => {
    const t = ppcBareMetal();
    it("sequential: whole cores from NUMA node 0", () => {
      assert.deepEqual(sets(t, { reservedCpuCount: 20 }), {
        reserved: "0,2,4,6,8,10,12,14,16,18,40,42,44,46,48,50,52,54,56,58",
        isolated: "1,3,5,7,9,11,13,15,17,19-39,41,43,45,47,49,51,53,55,57,59-79",
        offlined: "",
      });
    });
    it("split across NUMA", () => {
      assert.deepEqual(sets(t, { reservedCpuCount: 20, splitReservedCpusAcrossNuma: true }), {
        reserved: "0-9,40-49",
        isolated: "10-39,50-79",
        offlined: "",
      });
    });
    it("--disable-ht, sequential and split", () => {
      assert.deepEqual(sets(t, { reservedCpuCount: 20, disableHt: true }), {
        reserved: "0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38",
        isolated: "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39",
        offlined: "",
      });
      assert.deepEqual(
        sets(t, { reservedCpuCount: 20, disableHt: true, splitReservedCpusAcrossNuma: true }),
        {
          reserved: "0-19",
          isolated: "20-39",
          offlined: "",
        },
      );
    });
    it("an odd count with --disable-ht is fine", () => {
      assert.doesNotThrow(() => sets(t, { reservedCpuCount: 11, disableHt: true }));
      assert.doesNotThrow(() =>
        sets(t, { reservedCpuCount: 2, disableHt: true, splitReservedCpusAcrossNuma: true }),
      );
    });
    it("offlined = CPUs of a socket: offlines the unused socket", () => {
      assert.deepEqual(sets(t, { reservedCpuCount: 20, offlinedCpuCount: 40 }), {
        reserved: "0,2,4,6,8,10,12,14,16,18,40,42,44,46,48,50,52,54,56,58",
        isolated: "20,22,24,26,28,30,32,34,36,38,60,62,64,66,68,70,72,74,76,78",
        offlined:
          "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39,41,43,45,47,49,51,53,55,57,59,61,63,65,67,69,71,73,75,77,79",
      });
    });
    it("offlined 40 with reserved split: no socket is free", () => {
      assert.deepEqual(
        sets(t, { reservedCpuCount: 20, offlinedCpuCount: 40, splitReservedCpusAcrossNuma: true }),
        {
          reserved: "0-9,40-49",
          isolated: "11,13,15,17,19,21,23,25,27,29-39",
          offlined: "10,12,14,16,18,20,22,24,26,28,50-79",
        },
      );
    });
    it("offlined 40 in high power mode: siblings, not a socket", () => {
      assert.deepEqual(sets(t, { reservedCpuCount: 20, offlinedCpuCount: 40, highPowerConsumption: true }), {
        reserved: "0,2,4,6,8,10,12,14,16,18,40,42,44,46,48,50,52,54,56,58",
        isolated: "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39",
        offlined: "20,22,24,26,28,30,32,34,36,38,41,43,45,47,49,51,53,55,57,59-79",
      });
    });
    it("offlined 20: siblings only", () => {
      assert.deepEqual(sets(t, { reservedCpuCount: 20, offlinedCpuCount: 20 }), {
        reserved: "0,2,4,6,8,10,12,14,16,18,40,42,44,46,48,50,52,54,56,58",
        isolated: "1,3,5,7,9,11,13,15,17,19-39,61,63,65,67,69,71,73,75,77,79",
        offlined: "41,43,45,47,49,51,53,55,57,59-60,62,64,66,68,70,72,74,76,78",
      });
    });
    it("offlined 45: a socket, then siblings", () => {
      assert.deepEqual(sets(t, { reservedCpuCount: 20, offlinedCpuCount: 45 }), {
        reserved: "0,2,4,6,8,10,12,14,16,18,40,42,44,46,48,50,52,54,56,58",
        isolated: "20,22,24,26,28,30,32,34,36,38,70,72,74,76,78",
        offlined:
          "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39,41,43,45,47,49,51,53,55,57,59-69,71,73,75,77,79",
      });
    });
    it("--disable-ht, offlined = first threads of a socket", () => {
      assert.deepEqual(sets(t, { reservedCpuCount: 10, offlinedCpuCount: 20, disableHt: true }), {
        reserved: "0,2,4,6,8,10,12,14,16,18",
        isolated: "20,22,24,26,28,30,32,34,36,38",
        offlined: "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39",
      });
    });
    it("rejects counts PPC rejects, with PPC's wording", () => {
      const bad = (req: Partial<CpuSetRequest>, re: RegExp) =>
        assert.throws(
          () => sets(t, req),
          (e: unknown) => e instanceof LlwError && re.test(e.message),
        );
      bad({ reservedCpuCount: -2 }, /reserved CPU count in the range \[1,79\]/);
      bad({ reservedCpuCount: 100, splitReservedCpusAcrossNuma: true }, /range \[1,79\]/);
      bad({ reservedCpuCount: 21, splitReservedCpusAcrossNuma: true }, /can't allocate odd number of CPUs/);
      bad({ reservedCpuCount: 21 }, /can't allocate odd number of CPUs/);
      bad({ reservedCpuCount: 20, offlinedCpuCount: -1 }, /offlined CPU count in the range/);
      bad({ reservedCpuCount: 20, offlinedCpuCount: 100 }, /offlined CPU count in the range/);
      bad({ reservedCpuCount: 40, offlinedCpuCount: 41 }, /reserved-cpu-count plus offlined-cpu-count/);
      bad({ reservedCpuCount: 20, offlinedCpuCount: 21, disableHt: true }, /plus offlined-cpu-count/);
      bad({ reservedCpuCount: 10, offlinedCpuCount: 41, disableHt: true }, /offlined CPU count in the range/);
      assert.doesNotThrow(() =>
        sets(t, { reservedCpuCount: 20, offlinedCpuCount: 59, splitReservedCpusAcrossNuma: true }),
      );
    });
  });

  describe("SMT off", () => {
    it("takes single-thread cores in order and allows odd counts", () => {
      assert.deepEqual(sets(smtOff(), { reservedCpuCount: 3 }), {
        reserved: "0-2",
        isolated: "3-15",
        offlined: "",
      });
      assert.deepEqual(sets(smtOff(), { reservedCpuCount: 3, splitReservedCpusAcrossNuma: true }), {
        reserved: "0-1,8",
        isolated: "2-7,9-15",
        offlined: "",
      });
    });
  });
});

describe("where PPC's split formula over-reserves (remainder not 0 or n-1, 3+ NUMA nodes)", () => {
  it("reserves exactly the requested count, remainder on the lowest nodes, and says so", () => {
    const r = calculateCpuSets(ppcSimple(), {
      reservedCpuCount: 4,
      offlinedCpuCount: 0,
      splitReservedCpusAcrossNuma: true,
      disableHt: true,
      highPowerConsumption: false,
    });
    // Remainder 0: identical to PPC, one first thread per node.
    assert.equal(formatCpuList(r.reserved), "0,4,16,20");
    const odd = calculateCpuSets(ppcSimple(), {
      reservedCpuCount: 5,
      offlinedCpuCount: 0,
      splitReservedCpusAcrossNuma: true,
      disableHt: true,
      highPowerConsumption: false,
    });
    // PPC would target 1 + (4-1) = 4 on node 0 and reserve 7 CPUs; we reserve 5: two on node 0.
    assert.equal(formatCpuList(odd.reserved), "0-1,4,16,20");
    assert.match(odd.warnings[0]!, /Performance Profile Creator's split formula would reserve more than 5/);
  });
});
