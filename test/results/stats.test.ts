import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  fromHistogram,
  fromValues,
  kubeBurnerPercentile,
  mannWhitney,
  mannWhitneyExact,
  meanCI,
  mergeSamples,
  quantile,
  quantileCI,
  sampleMean,
  summarize,
  welchTest,
} from "../../src/results/stats.ts";

const values = fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 300 });

describe("quantiles (nearest rank)", () => {
  it("is the smallest sample with at least p of the samples at or below it", () => {
    fc.assert(
      fc.property(values, fc.double({ min: 0.001, max: 1, noNaN: true }), (v, p) => {
        const q = quantile(fromValues(v), p);
        const atOrBelow = v.filter((x) => x <= q).length;
        const below = v.filter((x) => x < q).length;
        assert.ok(atOrBelow >= Math.ceil(p * v.length - 1e-9));
        assert.ok(below < Math.ceil(p * v.length - 1e-9) || below === 0);
      }),
    );
  });

  it("gives the same answer from a histogram as from the expanded samples", () => {
    fc.assert(
      fc.property(values, fc.constantFrom(0.5, 0.9, 0.95, 0.99, 0.999, 1), (v, p) => {
        const counts = new Map<number, number>();
        for (const x of v) counts.set(x, (counts.get(x) ?? 0) + 1);
        const h = fromHistogram(counts);
        assert.equal(quantile(h, p), quantile(fromValues(v), p));
        assert.ok(Math.abs(sampleMean(h) - sampleMean(fromValues(v))) < 1e-9);
      }),
    );
  });

  it("matches kube-burner 1.x (v[ceil(n*p)-1]) and documents where kube-burner 2.x differs", () => {
    const v = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    const s = fromValues(v);
    assert.equal(quantile(s, 0.5), v[Math.ceil(10 * 0.5) - 1]);
    assert.equal(quantile(s, 0.95), 100);
    // montanaflynn/stats: index 9.5 is not an integer -> mean of v[8] and v[9].
    assert.equal(kubeBurnerPercentile(v, 95), 95);
    assert.equal(kubeBurnerPercentile(v, 50), 50);
  });

  it("summarizes count, min, P50, P95, P99, max and mean", () => {
    const s = summarize(fromValues(Array.from({ length: 100 }, (_, i) => i + 1)));
    assert.deepEqual([s.count, s.min, s.p50, s.p95, s.p99, s.max, s.mean], [100, 1, 50, 95, 99, 100, 50.5]);
  });

  it("quantile intervals contain the estimate and widen with fewer samples", () => {
    const big = fromValues(Array.from({ length: 10_000 }, (_, i) => i));
    const small = fromValues(Array.from({ length: 100 }, (_, i) => i * 100));
    const [lb, hb] = quantileCI(big, 0.99);
    const [ls, hs] = quantileCI(small, 0.99);
    assert.ok(lb <= quantile(big, 0.99) && quantile(big, 0.99) <= hb);
    assert.ok(hb - lb < hs - ls);
  });

  it("pools runs without losing samples", () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const m = mergeSamples([fromValues(a), fromValues(b)]);
        assert.equal(m.total, a.length + b.length);
        assert.equal(quantile(m, 1), Math.max(...a, ...b));
      }),
    );
  });
});

describe("significance", () => {
  it("Mann-Whitney: complete separation gives U = 0 (and n1*n2 the other way); identical samples p = 1", () => {
    const a = fromValues([1, 2, 3, 4, 5]);
    const b = fromValues([6, 7, 8, 9, 10]);
    const r = mannWhitney(a, b);
    assert.equal(r.u, 0);
    assert.ok(r.p < 0.02);
    assert.equal(mannWhitney(b, a).u, 25);
    assert.equal(mannWhitney(a, a).p, 1);
  });

  it("exact Mann-Whitney: 3 vs 3 runs can at best reach p = 0.1, 5 vs 5 reaches 0.008", () => {
    assert.equal(mannWhitneyExact([1, 2, 3], [4, 5, 6]).p, 0.1);
    assert.ok(Math.abs(mannWhitneyExact([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p - 2 / 252) < 1e-12);
    assert.equal(mannWhitneyExact([5, 5, 5], [5, 5, 5]).p, 1);
  });

  it("weighted Mann-Whitney equals the expanded one", () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const hist = (v: number[]) => {
          const m = new Map<number, number>();
          for (const x of v) m.set(x, (m.get(x) ?? 0) + 1);
          return fromHistogram(m);
        };
        const x = mannWhitney(fromValues(a), fromValues(b));
        const y = mannWhitney(hist(a), hist(b));
        assert.ok(Math.abs(x.u - y.u) < 1e-6);
        assert.ok(Math.abs(x.p - y.p) < 1e-9 || (Number.isNaN(x.p) && Number.isNaN(y.p)));
      }),
    );
  });

  it("Welch's t-test: textbook values", () => {
    // t = -10 / sqrt(4/3 + 4/3) = -6.12, df = 4; two-sided p = 0.0036
    const w = welchTest([10, 12, 14], [20, 22, 24]);
    assert.ok(Math.abs(w.t + 6.1237) < 1e-3);
    assert.ok(Math.abs(w.df - 4) < 1e-9);
    assert.ok(Math.abs(w.p - 0.00362) < 1e-4, String(w.p));
    assert.equal(welchTest([5, 5], [5, 5]).p, 1);
    assert.equal(welchTest([5, 5], [6, 6]).p, 0);
  });

  it("t-interval of per-run means", () => {
    const [lo, hi] = meanCI([10, 12, 14]);
    // mean 12, sd 2, t(2)=4.303 -> 12 +- 4.969
    assert.ok(Math.abs(lo - 7.031) < 0.01 && Math.abs(hi - 16.969) < 0.01);
  });
});
