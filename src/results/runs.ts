/**
 * A run on disk: `results/<label>/<run>/` holding `metadata.json` (written by `llw bench run` or
 * `llw latency run`) and the tool's output: kube-burner's metrics directory, or a jitter tool's
 * output (`<tool>.log`). A label directory holds repeated runs. This module turns either into
 * named series of samples, the common currency of show, compare and report.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { parseCpuList } from "../lib/cpuset.ts";
import { UserError } from "../lib/errors.ts";
import { shownPath } from "../lib/path-error.ts";
import { exact, type Figure, figureValue, isExact } from "./figures.ts";
import { findMetricsDir, type KubeBurnerResult, readKubeBurnerDir } from "./kube-burner.ts";
import { analyseNodeCpu, type NodeCpuAnalysis, type NodeInfo, type ProfileCpus } from "./node-cpu.ts";
import { type JitterResult, parseJitterOutput } from "./rt-tests.ts";
import { mergeSamples, type Sample } from "./stats.ts";

export interface RunMetadata {
  kind?: "kube-burner" | "jitter";
  /** "incomplete" from the start of `llw bench run` until kube-burner finished; absent in older runs. */
  status?: string;
  exitCode?: number;
  label?: string;
  run?: string;
  uuid?: string;
  workload?: string;
  tool?: string;
  startedAt?: string;
  finishedAt?: string;
  [key: string]: unknown;
}

export interface Series {
  /** "<job> <condition>" for kube-burner, "<tool> cpu 3" or "<tool> all CPUs" for jitter tools. */
  name: string;
  /** The distribution; samples beyond a histogram's range sit at `overflowFrom`. */
  sample?: Sample;
  /** Figures from the tool's own summary, as exact as it prints them (jitter tools). */
  figures?: { count?: number; min?: Figure; max?: Figure; mean?: Figure };
  /** Samples beyond a histogram's last bucket: only known to be at least `overflowFrom`. */
  overflow?: number;
  overflowFrom?: number;
  /** Width of one histogram bucket in the series' unit: a change must exceed it to count. */
  resolution?: number;
  /** What the tool printed about itself, as printed (JSON output only). */
  reported?: { count?: number; min?: number; avg?: number; max?: number };
  notes: string[];
}

export interface Run {
  dir: string;
  label: string;
  id: string;
  kind: "kube-burner" | "jitter";
  unit: "ms" | "us";
  metadata: RunMetadata;
  series: Series[];
  warnings: string[];
  kubeBurner?: KubeBurnerResult;
  jitter?: JitterResult;
  /** Where the CPU time went (the run's metric documents with its PerformanceProfiles). */
  nodeCpu?: NodeCpuAnalysis;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export const JITTER_FILES = [
  "oslat.log",
  "cyclictest.log",
  "hwlatdetect.log",
  "cyclictest.json",
  "oslat.json",
];

/**
 * Series of a kube-burner run, "<job> <condition>". A name can come twice when the same objects
 * were measured twice (a VM job with both podLatency and vmiLatency: the virt-launcher pod's
 * "Ready"); the first file's series is kept and the duplicate named in a warning, never counted
 * as a second run.
 */
export function seriesFromKubeBurner(kb: KubeBurnerResult, warnings: string[] = []): Series[] {
  const out: Series[] = [];
  const from = new Map<string, string>();
  for (const m of kb.measurements) {
    for (const c of m.conditions) {
      const name = `${m.job} ${c.condition}`;
      const file = basename(m.samplesFile ?? m.measurement);
      if (from.has(name)) {
        warnings.push(
          `${file}'s ${c.field} measures what ${from.get(name)} already gave as "${name}": read once`,
        );
        continue;
      }
      from.set(name, file);
      const notes: string[] = [];
      if (c.nulls > 0) notes.push(`${c.nulls} null`);
      if (c.zeros > 0) notes.push(`${c.zeros} zero (kube-burner clamps negative latencies to 0)`);
      out.push({ name, sample: c.sample, notes });
    }
  }
  return out;
}

/**
 * Series of a jitter run, named after the tool ("oslat cpu 3", "cyclictest thread 0",
 * "oslat all CPUs"): oslat's loop gaps and cyclictest's timer wake-up latencies are different
 * measurements, so a report or comparison must never merge them. Histograms have 1 us buckets.
 */
export function seriesFromJitter(j: JitterResult): Series[] {
  const out: Series[] = j.series.map((s) => ({
    name: `${j.tool} ${s.name}`,
    sample: s.sample,
    figures: s.figures,
    overflow: s.overflow,
    overflowFrom: s.overflowFrom,
    resolution: 1,
    reported: s.reported,
    notes:
      s.overflow > 0
        ? [`${plural(s.overflow, "sample")} at or beyond ${s.overflowFrom} us (the histogram's end)`]
        : [],
  }));
  if (j.series.length > 1) out.unshift(allCpus(j));
  return out;
}

/** The CPUs of one run together: pooled buckets, the largest maximum, the weighted mean. */
function allCpus(j: JitterResult): Series {
  const parts = j.series;
  const withSamples = parts.filter((s) => s.sample);
  const overflow = parts.reduce((t, s) => t + s.overflow, 0);
  const froms = parts.filter((s) => s.overflow > 0).map((s) => s.overflowFrom!);
  const maxes = parts.map((s) => s.figures.max);
  const mins = parts.map((s) => s.figures.min);
  const counts = parts.map((s) => s.figures.count ?? s.sample?.total);
  const means = parts.map((s) => s.figures.mean);
  let mean: Figure | undefined;
  if (means.every(isExact) && counts.every((c) => c !== undefined && c > 0)) {
    const n = counts.reduce((a, b) => a! + b!, 0)!;
    mean = exact(means.reduce((t, m, i) => t + (m as { value: number }).value * counts[i]!, 0) / n);
  } else if (means.every((m) => m && m.kind !== "below") && counts.every((c) => c !== undefined && c > 0)) {
    const n = counts.reduce((a, b) => a! + b!, 0)!;
    const lo =
      means.reduce((t, m, i) => t + (m!.kind === "range" ? m!.lo : figureValue(m)) * counts[i]!, 0) / n;
    const hi =
      means.reduce(
        (t, m, i) =>
          t +
          (m!.kind === "range" ? m!.hi : m!.kind === "atLeast" ? Number.POSITIVE_INFINITY : figureValue(m)) *
            counts[i]!,
        0,
      ) / n;
    mean = Number.isFinite(hi) ? { kind: "range", lo, hi } : { kind: "atLeast", value: lo };
  }
  return {
    name: `${j.tool} all CPUs`,
    sample:
      withSamples.length === parts.length && withSamples.length
        ? mergeSamples(withSamples.map((s) => s.sample!))
        : undefined,
    figures: {
      count: counts.every((c) => c !== undefined) ? counts.reduce((a, b) => a! + b!, 0) : undefined,
      max: maxes.every(isExact) ? exact(Math.max(...maxes.map((m) => m.value))) : undefined,
      min: mins.every(isExact) ? exact(Math.min(...mins.map((m) => m.value))) : undefined,
      mean,
    },
    overflow,
    overflowFrom: froms.length ? Math.min(...froms) : undefined,
    resolution: 1,
    notes: overflow > 0 ? [`${plural(overflow, "sample")} beyond the histograms' end`] : [],
  };
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Keys of metadata.json that llw reads as names: they must be strings when present. */
const NAME_KEYS = ["kind", "label", "run", "uuid", "workload", "tool", "outputFile", "status"] as const;

async function readMetadata(dir: string): Promise<RunMetadata | undefined> {
  const file = join(dir, "metadata.json");
  if (!(await exists(file))) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new UserError({ what: `malformed run metadata: ${(e as Error).message}`, where: file });
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new UserError({
      what: "run metadata is not a JSON object",
      where: file,
      next: "restore metadata.json from the run (llw bench run and llw latency run write it), or remove it",
    });
  }
  const meta = data as RunMetadata;
  for (const k of NAME_KEYS) {
    const v = meta[k] as unknown;
    // A number or boolean reads as its text (label 42 is "42"); an object is not a name.
    if (typeof v === "number" || typeof v === "boolean") (meta as Record<string, unknown>)[k] = String(v);
    else if (v !== undefined && typeof v !== "string") {
      throw new UserError({
        what: `run metadata field "${k}" is ${JSON.stringify(v)}, not a name`,
        where: file,
        next: "restore metadata.json from the run, or remove the field",
      });
    }
  }
  return meta;
}

async function findJitterFile(dir: string, meta?: RunMetadata): Promise<string | undefined> {
  const names = await readdir(dir);
  const preferred = typeof meta?.outputFile === "string" ? [meta.outputFile] : [];
  for (const n of [...preferred, ...JITTER_FILES]) if (names.includes(n)) return join(dir, n);
  return undefined;
}

export async function isRunDir(dir: string): Promise<boolean> {
  if (await exists(join(dir, "metadata.json"))) return true;
  if ((await findMetricsDir(dir).catch(() => undefined)) !== undefined) return true;
  return (await findJitterFile(dir).catch(() => undefined)) !== undefined;
}

export interface LoadOptions {
  /** PerformanceProfiles to split CPU use by, instead of those in the run's metadata. */
  profiles?: ProfileCpus[];
  /** Read files of several kube-burner runs in one directory together. */
  mixedRuns?: boolean;
  /** Keep runs whose metadata says "status": "incomplete" (interrupted `bench run --repeat`). */
  includeIncomplete?: boolean;
}

export async function loadRun(dir: string, options: LoadOptions = {}): Promise<Run> {
  const abs = resolve(dir);
  const metadata = (await readMetadata(abs)) ?? {};
  const label = metadata.label ?? basename(resolve(abs, ".."));
  const id = metadata.run ?? basename(abs);
  const jitterFile = metadata.kind === "kube-burner" ? undefined : await findJitterFile(abs, metadata);
  if (jitterFile) {
    const j = parseJitterOutput(await readFile(jitterFile, "utf8"), jitterFile);
    return {
      dir: abs,
      label,
      id,
      kind: "jitter",
      unit: "us",
      metadata,
      series: seriesFromJitter(j),
      warnings: j.warnings,
      jitter: j,
    };
  }
  const kb = await readKubeBurnerDir(abs, { mixedRuns: options.mixedRuns });
  if (kb.measurements.length === 0 && kb.metricFiles.length === 0) {
    const found = [...(kb.jobSummaries.length ? ["a job summary"] : []), ...kb.notRead];
    throw new UserError({
      what: `the run holds no measurement${found.length ? ` (only ${found.join(", ")})` : ""}: nothing to show or compare`,
      where: kb.metricsDir,
      next: "check the workload's measurements (global.measurements: podLatency, vmiLatency, ...) and kube-burner.log in the run directory; then run it again",
    });
  }
  const warnings = [...kb.warnings, ...kb.measurements.flatMap((m) => m.warnings)];
  return {
    dir: abs,
    label,
    id,
    kind: "kube-burner",
    unit: "ms",
    metadata,
    series: seriesFromKubeBurner(kb, warnings),
    warnings,
    kubeBurner: kb,
    ...(kb.metrics.docs.size ? { nodeCpu: nodeCpuOf(kb, metadata, options.profiles) } : {}),
  };
}

/** The PerformanceProfiles a run's metadata recorded (`llw bench run` reads them from the cluster). */
export function profilesOf(metadata: RunMetadata): ProfileCpus[] {
  const cluster = metadata.cluster as { performanceProfiles?: unknown } | undefined;
  const list = Array.isArray(cluster?.performanceProfiles) ? cluster.performanceProfiles : [];
  const out: ProfileCpus[] = [];
  for (const p of list as Record<string, unknown>[]) {
    if (typeof p?.reserved !== "string" || typeof p?.isolated !== "string") continue;
    try {
      out.push({
        name: String(p.name ?? ""),
        reserved: parseCpuList(p.reserved),
        isolated: parseCpuList(p.isolated),
        nodeSelector: (p.nodeSelector ?? undefined) as Record<string, string> | undefined,
      });
    } catch {
      // A profile whose CPU lists do not parse cannot split anything: left out.
    }
  }
  return out;
}

export function nodeCpuOf(
  kb: KubeBurnerResult,
  metadata: RunMetadata,
  profiles?: ProfileCpus[],
): NodeCpuAnalysis {
  const cluster = metadata.cluster as { nodes?: unknown } | undefined;
  const nodes = (Array.isArray(cluster?.nodes) ? cluster.nodes : []) as NodeInfo[];
  const starts = new Map<string, string>();
  for (const s of kb.jobSummaries) if (s.jobName && s.timestamp) starts.set(s.jobName, s.timestamp);
  return analyseNodeCpu(kb.metrics.docs, profiles ?? profilesOf(metadata), nodes, starts);
}

/** A run `llw bench run` started but kube-burner never finished (no "complete" status written). */
export function isIncomplete(meta: RunMetadata): boolean {
  return meta.status === "incomplete";
}

export interface Group {
  label: string;
  runs: Run[];
}

/**
 * Resolves a command-line argument to runs: a run directory, a label directory of runs, or a
 * label name under `<results>/`.
 */
export async function loadGroup(
  arg: string,
  cwd: string,
  resultsDir = "results",
  options: LoadOptions = {},
  warn: (message: string) => void = () => {},
): Promise<Group> {
  let dir = resolve(cwd, arg);
  if (!(await exists(dir)) && (await exists(resolve(cwd, resultsDir, arg))))
    dir = resolve(cwd, resultsDir, arg);
  if (!(await exists(dir))) {
    throw new UserError({
      what: `no run or label "${arg}"`,
      where: arg,
      next: `pass a run directory (results/<label>/<run>) or a label under ${resultsDir}/; list them with: ls ${resultsDir}`,
    });
  }
  const dirs = (await isRunDir(dir))
    ? [dir]
    : (await readdir(dir, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => join(dir, d.name))
        .sort();
  const runs: Run[] = [];
  const skipped: string[] = [];
  for (const d of dirs) {
    if (dirs.length > 1 && !(await isRunDir(d))) continue;
    // An interrupted run's metadata still says "incomplete": its files may be partial.
    const meta = await readMetadata(d);
    if (meta && isIncomplete(meta) && !options.includeIncomplete) {
      skipped.push(meta.run ?? basename(d));
      continue;
    }
    runs.push(await loadRun(d, options));
  }
  const shown = shownPath(cwd, dir);
  if (skipped.length) {
    warn(
      `${shown}: left out ${skipped.length} incomplete run${skipped.length === 1 ? "" : "s"} (interrupted before kube-burner finished): ${skipped.join(", ")}; --include-incomplete keeps them`,
    );
  }
  if (runs.length === 0) {
    throw new UserError({
      what: skipped.length
        ? `every run is incomplete (interrupted before kube-burner finished): ${skipped.join(", ")}`
        : "no runs found: neither a run directory nor a label directory holding runs",
      where: shown,
      next: skipped.length
        ? "run the workload again, or pass --include-incomplete to look at them anyway"
        : "run `llw bench run <workload> --label <name>` or `llw latency run` first",
    });
  }
  return { label: dirs.length === 1 && dirs[0] === dir ? runs[0]!.label : basename(dir), runs };
}

/**
 * The groups of several arguments, loaded in order (the first is the baseline), with labels made
 * distinct: what `bench compare` and `report` read.
 */
export async function loadGroups(
  args: string[],
  cwd: string,
  options: LoadOptions,
  warn: (message: string) => void,
): Promise<Group[]> {
  const groups: Group[] = [];
  for (const arg of args) groups.push(await loadGroup(arg, cwd, "results", options, warn));
  distinctLabels(groups, args);
  return groups;
}

/**
 * What a run measured: the jitter tool, or kube-burner's job names (the baseline and tuned
 * workloads of one kind share their job names, e.g. latency-pod, so that their series match).
 */
export function measurementOf(run: Run): string {
  if (run.kind === "jitter") return `${run.jitter?.tool ?? run.metadata.tool ?? "jitter"}`;
  const jobs = [...new Set(run.kubeBurner?.measurements.map((m) => m.job) ?? [])].sort();
  return `kube-burner job${jobs.length === 1 ? "" : "s"} ${jobs.join(", ") || "(none)"}`;
}

/** The distinct measurements of a group's runs, sorted. */
export function measurementsOf(g: Group): string[] {
  return [...new Set(g.runs.map(measurementOf))].sort();
}

/**
 * Why two groups cannot be compared (they measured different things: oslat against
 * cyclictest, pod start-up against VM start-up), or undefined when they can.
 */
export function incomparable(base: Group, cand: Group): string | undefined {
  const a = measurementsOf(base);
  const b = measurementsOf(cand);
  if (a.join("\n") === b.join("\n")) return undefined;
  return `${base.label} measured ${a.join(" + ")}; ${cand.label} measured ${b.join(" + ")}`;
}

/**
 * Gives groups that share a label distinct ones, in place: runs named by their directories'
 * parent (several run directories under one folder are all "kube-burner", say) become
 * "<label>/<run>", and if that still collides, the argument as typed.
 */
export function distinctLabels(groups: Group[], args: string[]): void {
  const collide = (g: Group) => groups.filter((o) => o.label === g.label).length > 1;
  const clashing = groups.filter(collide);
  for (const g of clashing) if (g.runs.length === 1) g.label = `${g.label}/${g.runs[0]!.id}`;
  for (const g of groups.filter(collide)) g.label = args[groups.indexOf(g)] ?? g.label;
}
