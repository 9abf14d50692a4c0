/**
 * rt-tests output rendered the way the tools print it, for tests that need outputs the machine
 * cannot produce (a tuned node's microsecond histograms, chosen overflows): oslat's
 * write_summary (rt-tests src/oslat/oslat.c: "%12s:\t", " %"PRIu64 per CPU, "(including
 * overflows)" on the last bucket) and cyclictest's print_hist (src/cyclic/cyclictest.c: "%06d",
 * "%06lu" joined by tabs, the '# Total' / '# Min Latencies' ... summary). The readers' tests also
 * run the real tools; these renderers are checked against those real outputs' shape there.
 */

/** oslat text for CPUs with `buckets[c][j]` = count of bucket j+1 us; the last bucket holds overflows. */
export function renderOslat(
  cpus: number[],
  buckets: number[][],
  opts: { max?: number[]; min?: number[]; avg?: number[]; omitZero?: boolean } = {},
): string {
  const size = buckets[0]!.length;
  const put = (label: string, values: (number | string)[], end = "") =>
    `${label.padStart(12)}:\t${values.map((v) => ` ${v}`).join("")}${end}`;
  const highest = buckets.map((b) => {
    for (let j = size - 1; j >= 0; j--) if (b[j]! > 0) return j + 1;
    return 0;
  });
  const lowest = buckets.map((b) => b.findIndex((c) => c > 0) + 1);
  const max = opts.max ?? highest.map((h) => (h === size ? size + 8 : h));
  const min = opts.min ?? lowest;
  const avg =
    opts.avg ??
    buckets.map((b) => {
      const n = b.reduce((a, c) => a + c, 0);
      return n ? b.reduce((a, c, j) => a + c * (j + 1), 0) / n : 0;
    });
  const out = [
    "oslat V 2.40",
    put("Core", cpus),
    put(
      "Counter Freq",
      cpus.map(() => 2096),
      " (Mhz)",
    ),
  ];
  let dots = false;
  for (let j = 0; j < size; j++) {
    if (opts.omitZero && j < size - 1 && buckets.every((b) => b[j] === 0)) {
      dots = true;
      continue;
    }
    if (dots) out.push("    ...");
    dots = false;
    out.push(
      put(
        `${String(j + 1).padStart(3, "0")} (us)`,
        buckets.map((b) => b[j]!),
        j === size - 1 ? " (including overflows)" : "",
      ),
    );
  }
  out.push(
    put("Minimum", min, " (us)"),
    put(
      "Average",
      avg.map((a) => a.toFixed(3)),
      " (us)",
    ),
    put("Maximum", max, " (us)"),
    put(
      "Max-Min",
      max.map((m, i) => m - min[i]!),
      " (us)",
    ),
    put(
      "Duration",
      cpus.map(() => "60.001"),
      " (sec)",
    ),
    "",
  );
  return out.join("\n");
}

/** cyclictest -h output for threads with `hist[t][b]` = count of bucket b us. */
export function renderCyclictest(
  hist: number[][],
  overflow: number[],
  max?: number[],
  min?: number[],
): string {
  const lines = ["# /dev/cpu_dma_latency set to 0us", "# Histogram"];
  const buckets = hist[0]!.length;
  for (let b = 0; b < buckets; b++)
    lines.push(`${String(b).padStart(6, "0")} ${hist.map((h) => String(h[b]).padStart(6, "0")).join("\t")}`);
  const totals = hist.map((h) => h.reduce((a, c) => a + c, 0));
  const highest = hist.map((h, t) => (overflow[t]! > 0 ? buckets + 100 : h.findLastIndex((c) => c > 0)));
  const lowest = hist.map((h) =>
    Math.max(
      0,
      h.findIndex((c) => c > 0),
    ),
  );
  const pad = (v: number, w: number) => String(v).padStart(w, "0");
  lines.push(`# Total: ${totals.map((x) => pad(x, 9)).join(" ")}`);
  lines.push(`# Min Latencies: ${(min ?? lowest).map((m) => pad(m, 5)).join(" ")}`);
  lines.push(`# Avg Latencies: ${hist.map(() => "00002").join(" ")}`);
  lines.push(`# Max Latencies: ${(max ?? highest).map((m) => pad(Math.max(m, 0), 5)).join(" ")}`);
  lines.push(`# Histogram Overflows: ${overflow.map((o) => pad(o, 5)).join(" ")}`);
  return `${lines.join("\n")}\n`;
}

/** Plain `cyclictest -q` status lines (print_stat's format). */
export function renderCyclictestPlain(
  threads: { count: number; min: number; avg: number; max: number }[],
): string {
  return `${threads
    .map(
      (t, i) =>
        `T:${String(i).padStart(2)} (${String(1001 + i).padStart(5)}) P:95 I:1000 C:${String(t.count).padStart(7)} Min:${String(t.min).padStart(7)} Act:${String(t.avg).padStart(5)} Avg:${String(t.avg).padStart(5)} Max:${String(t.max).padStart(8)}`,
    )
    .join("\n")}\n`;
}
