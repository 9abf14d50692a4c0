/**
 * Fuzz targets, run inside a hang-guarded worker by fuzz.test.ts: each takes a seed and a number
 * of cases, feeds its parser mutated versions of a real input, and returns what happened. A case
 * may end in a result or in a UserError (bad input, exit 2); anything else is a finding.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { LlwError } from "../../src/lib/errors.ts";
import { yamlValues } from "../../src/lib/yaml-input.ts";
import { validateProfile } from "../../src/profile/validate.ts";
import { getInstanceType, topologyOf } from "../../src/topology/catalog.ts";
import { parseLscpu } from "../../src/topology/lscpu.ts";
import { readSysfs } from "../../src/topology/sysfs.ts";
import { ROOT } from "../helpers/tools.ts";
import { writeSysfsTgz } from "../topology/sysfs-fixture.ts";

export interface FuzzReport {
  cases: number;
  accepted: number;
  refused: number;
  /** Cases that ended in anything but a result or a UserError: bugs. */
  findings: string[];
}

const c5 = topologyOf(getInstanceType("c5.metal"));
const records = c5.cores.flatMap((c) =>
  c.cpus.map((cpu) => ({ cpu, core: c.id, socket: c.socket, node: c.node })),
);

/** One mutation of a text: cut, splice junk (escapes, NULs, huge numbers, aliases), repeat or drop lines. */
function mutations(base: string): fc.Arbitrary<string> {
  const junk = fc.oneof(
    fc.constantFrom(
      "\x00",
      "\x1b]0;x\x07",
      "\r",
      "\t",
      ",",
      ":",
      "-",
      "*a",
      "&a",
      "<<: *a",
      "[",
      "{",
      "}",
      "#",
      "\n",
    ),
    fc.constantFrom("99999999999999999999", "-1", "NaN", "1e309", "0x10", "８", "\u202e"),
    fc.string({ maxLength: 20, unit: "binary" }),
  );
  const lines = base.split("\n");
  return fc.oneof(
    fc.nat(base.length).map((n) => base.slice(0, n)),
    fc.tuple(fc.nat(base.length), junk).map(([at, j]) => base.slice(0, at) + j + base.slice(at)),
    fc
      .tuple(fc.nat(lines.length - 1), fc.nat(50))
      .map(([i, k]) => [...lines.slice(0, i), ...Array(k).fill(lines[i]), ...lines.slice(i)].join("\n")),
    fc
      .tuple(fc.nat(lines.length - 1), fc.nat(lines.length - 1))
      .map(([i, j]) => lines.filter((_, k) => k < i || k > j).join("\n")),
    fc.array(junk, { maxLength: 30 }).map((js) => js.join("")),
  );
}

function classify(report: FuzzReport, input: string, run: () => unknown): void {
  report.cases++;
  try {
    run();
    report.accepted++;
  } catch (e) {
    if (e instanceof LlwError && e.exitCode === 2) report.refused++;
    else
      report.findings.push(
        `${(e as Error).name}: ${(e as Error).message.slice(0, 200)} <- ${JSON.stringify(input.slice(0, 200))}`,
      );
  }
}

/** lscpu -p, -e and -J -e readers. */
export function fuzzLscpu(seed: number, runs: number): FuzzReport {
  const sorted = [...records].sort((a, b) => a.cpu - b.cpu);
  const p = `# CPU,Core,Socket,Node,,L1d,L1i,L2,L3\n${sorted.map((r) => `${r.cpu},${r.core},${r.socket},${r.node},,${r.core},${r.core},${r.core},${r.socket}`).join("\n")}\n`;
  const e = `CPU NODE SOCKET CORE ONLINE\n${sorted.map((r) => `${r.cpu} ${r.node} ${r.socket} ${r.core} yes`).join("\n")}\n`;
  const j = `${JSON.stringify({ cpus: sorted.map((r) => ({ cpu: r.cpu, node: r.node, socket: r.socket, core: r.core, online: true })) }, null, 3)}\n`;
  const report: FuzzReport = { cases: 0, accepted: 0, refused: 0, findings: [] };
  for (const text of fc.sample(fc.oneof(mutations(p), mutations(e), mutations(j)), { seed, numRuns: runs }))
    classify(report, text, () => parseLscpu(text, "fuzz.txt"));
  return report;
}

/** YAML documents (aliases limited) and the PerformanceProfile checks that read them. */
export function fuzzYaml(seed: number, runs: number): FuzzReport {
  const base = readFileSync(join(ROOT, "gitops/overlays/aws/performance-profiles/c5.metal.yaml"), "utf8");
  const report: FuzzReport = { cases: 0, accepted: 0, refused: 0, findings: [] };
  for (const text of fc.sample(mutations(base), { seed, numRuns: runs }))
    classify(report, text, () => {
      for (const doc of yamlValues(text, "fuzz.yaml")) validateProfile(doc, c5);
    });
  return report;
}

/** sysfs snapshot archives (must-gather's sysinfo.tgz layout), their bytes mutated. */
export async function fuzzSysfs(seed: number, runs: number): Promise<FuzzReport> {
  const tgz = await writeSysfsTgz({ cpus: records, nodeMemoryKiB: { 0: 96 << 20, 1: 96 << 20 } });
  const bytes = readFileSync(tgz);
  const dir = mkdtempSync(join(tmpdir(), "llw-fuzz-sysfs-"));
  const report: FuzzReport = { cases: 0, accepted: 0, refused: 0, findings: [] };
  const cases = fc.sample(
    fc.oneof(
      fc.nat(bytes.length).map((n) => bytes.subarray(0, n)),
      fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, b]) => {
        const copy = Buffer.from(bytes);
        copy[at] = b;
        return copy;
      }),
    ),
    { seed, numRuns: runs },
  );
  for (const [i, c] of cases.entries()) {
    const file = join(dir, `case-${i}.tgz`);
    writeFileSync(file, c);
    report.cases++;
    try {
      await readSysfs(file, `case-${i}.tgz`);
      report.accepted++;
    } catch (e) {
      if (e instanceof LlwError && e.exitCode === 2) report.refused++;
      else
        report.findings.push(
          `${(e as Error).name}: ${(e as Error).message.slice(0, 200)} <- case ${i} (${c.length} bytes)`,
        );
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return report;
}

/** What a parser that blows up in memory does: fuzz.test.ts checks that the budget stops it. */
export function exhaustMemory(): number {
  const held: number[][] = [];
  for (;;) held.push(new Array(1 << 20).fill(held.length));
}
