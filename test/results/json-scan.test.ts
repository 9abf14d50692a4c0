import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  findJsonError,
  JsonScanError,
  lineColumn,
  scanLatencyDocuments,
} from "../../src/results/json-scan.ts";
import { withHangGuard } from "../helpers/hang-guard.ts";

const latency = fc.oneof(fc.integer({ min: 0, max: 10_000_000 }), fc.constant(null), fc.constant(undefined));
const doc = fc.record(
  {
    podReadyLatency: latency,
    schedulingLatency: latency,
    jobName: fc.oneof(
      fc.constantFrom("tuned-pod", "baseline pod", 'qu"ote', "ünï"),
      fc.string({ unit: "binary" }),
    ),
    extra: fc.jsonValue({ maxDepth: 3 }),
  },
  { requiredKeys: ["jobName"] },
);

function expected(docs: Record<string, unknown>[]) {
  const samples = new Map<string, number[]>();
  const nulls = new Map<string, number>();
  for (const d of docs) {
    for (const [k, v] of Object.entries(d)) {
      if (!k.endsWith("Latency")) continue;
      if (v === null) nulls.set(k, (nulls.get(k) ?? 0) + 1);
      else if (typeof v === "number") samples.set(k, [...(samples.get(k) ?? []), v]);
    }
  }
  return { samples, nulls };
}

describe("JSON latency scanner", () => {
  it("extracts exactly the numbers JSON.parse sees, compact or indented, with unknown fields skipped", () => {
    fc.assert(
      fc.property(fc.array(doc, { maxLength: 30 }), fc.boolean(), (docs, indent) => {
        const text = JSON.stringify(docs, null, indent ? 2 : undefined);
        const parsed = JSON.parse(text) as Record<string, unknown>[];
        const got = scanLatencyDocuments(Buffer.from(text), ["jobName"]);
        const want = expected(parsed);
        assert.equal(got.documents, parsed.length);
        assert.deepEqual(got.samples, want.samples);
        assert.deepEqual(got.nulls, want.nulls);
        const jobs = [...(got.strings.get("jobName")?.entries() ?? [])].reduce((t, [, c]) => t + c, 0);
        assert.equal(jobs, parsed.length);
        if (parsed.some((d) => "extra" in d)) assert.ok(got.otherKeys.has("extra"));
      }),
    );
  });

  it("rejects every truncation of a valid file with an offset inside the file", () => {
    fc.assert(
      fc.property(fc.array(doc, { minLength: 1, maxLength: 8 }), fc.nat(), (docs, cut) => {
        const text = JSON.stringify(docs, null, 2);
        const at = cut % text.length; // strictly shorter than the whole
        const buf = Buffer.from(text).subarray(0, at);
        if (buf.toString().trim() === "") return; // an empty file is a separate case
        assert.throws(
          () => scanLatencyDocuments(buf),
          (e: unknown) => e instanceof JsonScanError && e.offset <= buf.length,
        );
        assert.ok(findJsonError(buf) instanceof JsonScanError);
      }),
    );
  });

  it("agrees with JSON.parse on arbitrary JSON values about validity", () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), fc.nat(), (text, cut) => {
        const broken = text.slice(0, cut % (text.length + 1));
        let valid = true;
        try {
          JSON.parse(broken);
        } catch {
          valid = false;
        }
        if (broken.trim() === "") return;
        assert.equal(findJsonError(Buffer.from(broken)) === undefined, valid, broken);
      }),
    );
  });

  it("agrees with JSON.parse on strings with raw control characters and good or bad escapes", () => {
    // Pieces that are legal or not inside a JSON string: raw control characters must be escaped,
    // a backslash takes only " \\ / b f n r t or u with four hex digits.
    const piece = fc.constantFrom(
      "a",
      "é",
      " ",
      "/",
      "\\",
      '\\"',
      "\\\\",
      "\\/",
      "\\n",
      "\\t",
      "\\b",
      "\\x",
      "\\a",
      "\\'",
      "\\u00e9",
      "\\u12",
      "\\uZZZZ",
      "\\U0041",
      "\u0000",
      "\u0001",
      "\t",
      "\n",
      "\r",
      "\u001f",
      "\u007f",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), fc.boolean(), (pieces, asKey) => {
        const body = pieces.join("");
        const text = asKey
          ? `[{"${body}": 1, "podReadyLatency": 5}]`
          : `[{"jobName": "${body}", "podReadyLatency": 5}]`;
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const buf = Buffer.from(text);
        assert.equal(findJsonError(buf) === undefined, valid, JSON.stringify(text));
        if (valid)
          assert.deepEqual(scanLatencyDocuments(buf, ["jobName"]).samples.get("podReadyLatency"), [5]);
        else assert.throws(() => scanLatencyDocuments(buf, ["jobName"]), JsonScanError, JSON.stringify(text));
      }),
      { numRuns: 500 },
    );
  });

  it("names a raw control character and a bad escape, with their position", () => {
    const tab = Buffer.from('[{"jobName": "a\tb"}]');
    assert.throws(
      () => scanLatencyDocuments(tab, ["jobName"]),
      (e: unknown) =>
        e instanceof JsonScanError && /raw control character U\+0009/.test(e.message) && e.offset === 15,
    );
    assert.throws(() => scanLatencyDocuments(Buffer.from('[{"jobName": "a\\qb"}]')), /invalid escape "\\q"/);
    assert.throws(() => scanLatencyDocuments(Buffer.from('[{"jobName": "\\u12"}]')), /four hex digits/);
  });

  it("treats the literal null (Go's empty slice) and an empty file as no documents", () => {
    assert.equal(scanLatencyDocuments(Buffer.from("null\n")).isNull, true);
    assert.equal(scanLatencyDocuments(Buffer.from("null\n")).documents, 0);
    assert.equal(scanLatencyDocuments(Buffer.from("")).documents, 0);
    assert.equal(scanLatencyDocuments(Buffer.from("[]")).documents, 0);
  });

  it("reports where a malformed document breaks", () => {
    const text = '[\n  {"podReadyLatency": 12},\n  {"podReadyLatency": 1x}\n]';
    const buf = Buffer.from(text);
    try {
      scanLatencyDocuments(buf);
      assert.fail("should have thrown");
    } catch (e) {
      assert.ok(e instanceof JsonScanError);
      assert.deepEqual(lineColumn(buf, e.offset), { line: 3, column: 24 });
    }
    assert.throws(() => scanLatencyDocuments(Buffer.from('[{"a":1}] trailing')), /after the end/);
    assert.throws(() => scanLatencyDocuments(Buffer.from("[1, 2]")), /document 1 is not an object/);
    assert.throws(() => scanLatencyDocuments(Buffer.from('{"a": 1}')), /expected a JSON array/);
  });

  it("reads negative, fractional and exponent latencies as numbers", () => {
    const r = scanLatencyDocuments(
      Buffer.from('[{"xLatency": -3},{"xLatency": 2.5},{"xLatency": 1e3},{"x\\u004catency": 7}]'),
    );
    assert.deepEqual(r.samples.get("xLatency"), [-3, 2.5, 1000, 7]);
  });
});

/**
 * Bounded work: keys crafted to collide in the key cache. The first cache keyed keys by length,
 * first and last byte, so 16,000 distinct keys of one shape (224 KB) took 45 s, quadratic in the
 * number of keys. Inputs here are several MB; a linear scan needs about a second, a quadratic one
 * hours. The scan runs in a worker that the hang guard stops after 60 s (the runner's timeout
 * cannot interrupt a synchronous loop): a guard against hangs, not a speed limit.
 */
describe("JSON scanner on hostile input (bounded work)", { timeout: 120_000 }, () => {
  it("200,000 distinct keys of one length, first and last byte (3.4 MB) are scanned, every key counted, within the hang guard", async () => {
    const n = 200_000;
    const keys = Array.from({ length: n }, (_, i) => `"a${String(i).padStart(7, "0")}z": 1`);
    const counted = await withHangGuard<number>(
      join(import.meta.dirname, "hostile.ts"),
      "scanOtherKeys",
      [`[{${keys.join(",")}}]`],
      60_000,
    );
    assert.equal(counted, n);
  });

  it("keys that collide under FNV-1a are still told apart (byte comparison, capped buckets)", () => {
    // Many documents repeating 10,000 keys: every key is looked up ten times.
    const keys = Array.from({ length: 10_000 }, (_, i) => `"k${i.toString(36)}Latency": ${i}`);
    const text = `[${Array.from({ length: 10 }, () => `{${keys.join(",")}}`).join(",")}]`;
    const r = scanLatencyDocuments(Buffer.from(text));
    assert.equal(r.samples.size, 10_000);
    for (const [k, v] of r.samples) assert.equal(v.length, 10, k);
  });
});
