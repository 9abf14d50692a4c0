import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { formatCpuList, intersectCpus, parseCpuList, subtractCpus } from "../../src/lib/cpuset.ts";
import { UserError } from "../../src/lib/errors.ts";

describe("CPU lists", () => {
  it("parses ids and ranges as the kernel writes them", () => {
    assert.deepEqual(parseCpuList("0-3,8"), [0, 1, 2, 3, 8]);
    assert.deepEqual(parseCpuList(" 1 , 0 ,2-2 "), [0, 1, 2]);
    assert.deepEqual(parseCpuList(""), []);
    assert.deepEqual(parseCpuList("5,4-6"), [4, 5, 6]);
  });
  it("formats like k8s.io/utils/cpuset: runs of two or more as ranges", () => {
    assert.equal(formatCpuList([0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
    assert.equal(formatCpuList([59, 60, 62]), "59-60,62");
    assert.equal(formatCpuList([]), "");
    assert.equal(formatCpuList([3, 1, 2, 2]), "1-3");
  });
  it("rejects malformed lists with a UserError that says where", () => {
    for (const bad of ["a", "1-", "3-1", "1,,2", "-1", "1.5"]) {
      assert.throws(
        () => parseCpuList(bad, "spec.cpu.reserved"),
        (e: unknown) => e instanceof UserError && e.problems[0]!.where === "spec.cpu.reserved",
        bad,
      );
    }
  });
  it("property: format then parse gives back the sorted unique ids", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 512 }), { maxLength: 200 }), (ids) => {
        const sorted = [...new Set(ids)].sort((a, b) => a - b);
        assert.deepEqual(parseCpuList(formatCpuList(ids)), sorted);
      }),
    );
  });
  it("property: parse then format is canonical (idempotent)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 100 }), (ids) => {
        const once = formatCpuList(ids);
        assert.equal(formatCpuList(parseCpuList(once)), once);
      }),
    );
  });
  it("intersects and subtracts", () => {
    assert.deepEqual(intersectCpus([1, 2, 3], [3, 2, 9]), [2, 3]);
    assert.deepEqual(subtractCpus([1, 2, 3], [2]), [1, 3]);
  });
});
