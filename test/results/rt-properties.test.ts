import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { UserError } from "../../src/lib/errors.ts";
import {
  parseCyclictestText,
  parseHwlatdetect,
  parseJitterOutput,
  parseOslatText,
} from "../../src/results/rt-tests.ts";
import { quantile } from "../../src/results/stats.ts";
import { withHangGuard } from "../helpers/hang-guard.ts";
import { renderCyclictest, renderOslat } from "./rt-fixtures.ts";

const HOSTILE = join(import.meta.dirname, "hostile.ts");

/** Parses, and returns "error" for a UserError (any other exception fails the test). */
function outcome(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UserError) return "error";
    throw e;
  }
}

const histograms = (buckets: number) =>
  fc.integer({ min: 1, max: 4 }).chain((threads) =>
    fc.tuple(
      fc.array(fc.array(fc.nat(1000), { minLength: buckets, maxLength: buckets }), {
        minLength: threads,
        maxLength: threads,
      }),
      fc.array(fc.nat(50), { minLength: threads, maxLength: threads }),
    ),
  );

describe("jitter parsers (properties)", () => {
  it("cyclictest -h: any histogram round-trips; overflowed samples sit at the histogram's end, marked", () => {
    fc.assert(
      fc.property(histograms(20), ([hist, overflow]) => {
        const r = parseCyclictestText(renderCyclictest(hist, overflow), "gen");
        r.series.forEach((s, t) => {
          const total = hist[t]!.reduce((a, c) => a + c, 0);
          assert.equal(s.sample?.total ?? 0, total + overflow[t]!);
          assert.equal(s.overflow, overflow[t]);
          if (overflow[t]) assert.equal(s.overflowFrom, 20);
          if (total > 0)
            assert.equal(
              quantile(s.sample!, 0),
              hist[t]!.findIndex((c) => c > 0),
            );
        });
      }),
    );
  });

  it("cyclictest -h: any one row removed, any one number cut short, or a cut before the summary is an error, never a silent change", () => {
    fc.assert(
      fc.property(histograms(12), fc.nat(), fc.nat(), ([hist, overflow], pick, col) => {
        const text = renderCyclictest(hist, overflow);
        const lines = text.split("\n");
        const rows = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\d{6} /.test(l));
        const [row, at] = rows[pick % rows.length]!;
        const nonEmpty = row
          .split(/\s+/)
          .slice(1)
          .some((c) => Number(c) > 0);
        const removed = lines.filter((_, i) => i !== at).join("\n");
        if (nonEmpty)
          assert.equal(
            outcome(() => parseCyclictestText(removed, "x")),
            "error",
          );
        const cells = row.split(/(\s+)/);
        const k = 2 * (col % ((cells.length + 1) / 2));
        cells[k] = cells[k]!.slice(0, -1);
        const cut = [...lines];
        cut[at] = cells.join("");
        // A number that lost a digit is an error, or (a zero in a table of zeros) changes nothing.
        const got = outcome(() => parseCyclictestText(cut.join("\n"), "x"));
        if (got !== "error") assert.deepEqual(got, parseCyclictestText(text, "x"));
        const maxLine = lines.findIndex((l) => l.startsWith("# Max"));
        assert.equal(
          outcome(() => parseCyclictestText(lines.slice(0, (pick % maxLine) + 2).join("\n"), "x")),
          "error",
        );
      }),
      // Found by this property: a cut right after '# Max Latencies' (the overflows line gone) of
      // a histogram where nothing overflowed read as complete.
      { examples: [[[[Array.from({ length: 12 }, () => 0)], [0]], 1270029981, 0]] },
    );
  });

  it("oslat text: any per-CPU bucket table round-trips, with and without -z; any bucket line removed is an error", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat(100_000), { minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.nat(),
        (cols, omitZero, pick) => {
          fc.pre(cols.every((c) => c.some((x) => x > 0)));
          const cpus = cols.map((_, i) => i + 2);
          const text = renderOslat(cpus, cols, { omitZero });
          const r = parseOslatText(text, "gen");
          r.series.forEach((s, i) => {
            assert.equal(
              s.sample?.total ?? 0,
              cols[i]!.reduce((a, c) => a + c, 0),
            );
            assert.equal(s.overflow, cols[i]![31]);
          });
          const lines = text.split("\n");
          const buckets = lines.map((l, i) => [l, i] as const).filter(([l]) => /\(us\):/.test(l));
          // With -z a line right after "..." cannot be told from an empty bucket; any other is
          // caught by the bucket sequence, or (the first CPU) by its Average.
          const [line, at] = buckets[pick % buckets.length]!;
          const removed = lines.filter((_, i) => i !== at).join("\n");
          const holds = line
            .split(/\s+/)
            .slice(3)
            .some((x) => /^\d+$/.test(x) && Number(x) > 0);
          if (!omitZero || (lines[at - 1]!.trim() !== "..." && holds))
            assert.equal(
              outcome(() => parseOslatText(removed, "x")),
              "error",
            );
        },
      ),
    );
  });

  it("rt-tests JSON (cyclictest): any per-thread histogram round-trips; cycles beyond it count as overflow", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.dictionary(fc.integer({ min: 0, max: 499 }).map(String), fc.integer({ min: 1, max: 10_000 }), {
            minKeys: 1,
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.nat(100),
        (threads, extra) => {
          const doc = {
            "cmdline:": "cyclictest -q -h 500 --json=x",
            num_threads: threads.length,
            thread: Object.fromEntries(
              threads.map((h, i) => {
                const total = Object.values(h).reduce((a, c) => a + c, 0);
                const top = Math.max(...Object.keys(h).map(Number));
                return [
                  String(i),
                  { histogram: h, cycles: total + extra, min: 0, max: extra ? 600 : top, avg: 1, cpu: i + 2 },
                ];
              }),
            ),
          };
          const r = parseJitterOutput(JSON.stringify(doc, null, 2), "gen.json");
          r.series.forEach((s, i) => {
            assert.equal(s.name, `cpu ${i + 2}`);
            assert.equal(s.sample!.total, doc.thread[String(i)]!.cycles);
            assert.equal(s.overflow, extra);
            if (extra) assert.equal(s.overflowFrom, 500);
          });
        },
      ),
    );
  });

  it("hwlatdetect: any list of spikes round-trips; the maximum is the largest inner/outer", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 10, max: 1000 }), fc.nat(1000)), { maxLength: 50 }),
        (spikes) => {
          const max = spikes.length ? Math.max(...spikes.flat()) : 0;
          const text = [
            "hwlatdetect:  test duration 10 seconds",
            "        Latency threshold: 10us",
            "test finished",
            max ? `Max Latency: ${max}us` : "Max Latency: Below threshold",
            `Samples recorded: ${spikes.length}`,
            `Samples exceeding threshold: ${spikes.length}`,
            ...spikes.map(([i, o], k) => `ts: 1764273600.${k}, inner:${i}, outer:${o}`),
          ].join("\n");
          const r = parseHwlatdetect(text, "gen");
          assert.deepEqual(
            r.series[0]!.figures.max,
            max ? { kind: "exact", value: max } : { kind: "below", value: 10 },
          );
          assert.equal(r.series[0]!.sample?.total ?? 0, spikes.length);
          if (spikes.length) assert.equal(quantile(r.series[0]!.sample!, 1), max);
        },
      ),
    );
  });

  it("rt-tests JSON: malformed input names the file; a non-count bucket is rejected", () => {
    assert.throws(
      () => parseJitterOutput('{"thread": {"0": {"histogram": {"1": 5}}', "x.json"),
      (e: unknown) => e instanceof UserError && /^x\.json:1:\d+$/.test(e.problems[0]!.where!),
    );
    assert.throws(
      () => parseJitterOutput('{"thread": {"0": {"histogram": {"a": 1}, "max": 1}}}', "y.json"),
      /not a count/,
    );
    assert.throws(() => parseJitterOutput("hello", "z.log"), /not recognised/);
  });
});

/**
 * Bounded work: lines crafted against the patterns the readers look for. The old oslat reader's
 * regular expression backtracked on a bucket line of spaces around a digit (a 1 KB line took
 * 34 s). Each input here is 1-2 MB; a linear reader needs well under a second, a quadratic one
 * hours. Each runs in a worker that the hang guard stops after 60 s (the test runner's own
 * timeout cannot interrupt a regular expression): a guard against hangs, not a speed limit.
 */
describe("jitter parsers on hostile input (bounded work, hang guard)", () => {
  const MB = 1 << 20;
  const fill = (unit: string, size = MB) => unit.repeat(Math.ceil(size / unit.length));
  const hostile: [string, string][] = [
    [
      "oslat bucket line of spaces around a digit",
      `        Core:\t 1\n    001 (us): ${fill(" ", MB / 2)}1${fill(" ", MB / 2)}(\n`,
    ],
    ["oslat stats line of digits and spaces", `        Core:\t 1\n     Minimum: ${fill("1 ")}(u\n`],
    [
      "oslat, many CPUs and many bucket lines",
      `        Core:\t ${fill("1 ", 200_000)}\n${fill("    001 (us): 1 1 1 1\n", MB)}`,
    ],
    [
      "cyclictest status line repeated without a maximum",
      fill("T: 0 ( 1) P:0 I:1000 C: 1 Min: 1 Act: 1 Avg: 1 "),
    ],
    ["cyclictest histogram of huge rows", `# Histogram\n${fill("000000 ", MB)}\n# Max Latencies: 1\n`],
    [
      "cyclictest trailer of many values",
      `# Histogram\n000000 000001\n# Total: ${fill("000000001 ")}\n# Max Latencies: 00000\n`,
    ],
    [
      "hwlatdetect sample lines with many commas",
      `hwlatdetect:  test duration 1 seconds\ntest finished\nMax Latency: 10us\nSamples recorded: 1\nts: ${fill(", ")}inner:1, outer:1\n`,
    ],
    ["a long line of colons and parentheses", fill("T:(:)(: ")],
  ];
  for (const [name, text] of hostile) {
    it(`${name} (${(text.length / MB).toFixed(1)} MB) is read or refused in one pass`, async () => {
      const r = await withHangGuard<string>(HOSTILE, "readJitter", [text], 60_000);
      assert.ok(r === "read" || r === "refused", r);
    });
  }
});
