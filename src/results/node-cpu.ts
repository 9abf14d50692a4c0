/**
 * Where the CPU time went during a kube-burner run, from the metric documents of the workshop's
 * metrics profile (benchmarks/metrics/metrics-profile.yml), split by the node's
 * PerformanceProfile into the reserved CPUs (housekeeping: kubelet, CRI-O, systemd, kernel
 * threads) and the isolated CPUs (the pods'). Pure: documents, profiles and nodes in, figures and
 * findings out.
 *
 * What the findings mean:
 * - reserved CPUs busy at `STARVED` or more (their average over the set, at the peak sample):
 *   pod start-up waits for the kubelet and CRI-O, which have nowhere else to run (DOMAIN: reserved
 *   sizing is about housekeeping load);
 * - an isolated CPU spending `KERNEL` or more of its time in the kernel (system, irq, softirq)
 *   while the workload's pods are pinned elsewhere or asleep: something not pinned runs there, or
 *   interrupts are served there.
 *
 * What the figures rest on: kube-burner runs each range query from the job's start to its end
 * (pkg/prometheus/prometheus.go: runRangeQuery(query, ..., jobStart, jobEnd), the same job.Start
 * as the job summary's `timestamp`, pkg/burner/job.go), and the profile's rates look back from
 * each point (irate over the last two scrapes before it). The point at the job's start therefore
 * measures the time before the job: points at or before the start the job summary gives are left
 * out. A finding needs `MIN_POINTS` points inside the job, so that mean and peak are not one and
 * the same window; with fewer the job says so instead of a verdict.
 */
import type { MetricDoc } from "./kb-metrics.ts";

/** Modes counted as busy. guest/guest_nice are already inside user/nice in /proc/stat. */
const BUSY = new Set(["user", "nice", "system", "irq", "softirq", "steal"]);
const KERNEL = ["system", "irq", "softirq"] as const;

/** Thresholds, in percent of the CPUs of a set. */
export const STARVED = 80;
export const BUSY_WARNING = 60;
export const KERNEL_WARNING = 2;
/** Points inside a job below which no finding is made for it. */
export const MIN_POINTS = 2;
/** API server P99 (seconds) at which the control plane is called slow. */
export const API_SLOW = 1;

export interface ProfileCpus {
  name: string;
  reserved: number[];
  isolated: number[];
  /** The profile's node selector, e.g. {"node-role.kubernetes.io/worker-rt": ""}. */
  nodeSelector?: Record<string, string>;
}

export interface NodeInfo {
  name: string;
  roles?: string[];
}

export interface SetUse {
  cpus: number;
  /** Mean over the job of the set's average busy share, percent. */
  meanPct: number;
  /** The highest sample of the set's average busy share, percent, and when. */
  peakPct: number;
  peakAt?: string;
}

export interface CpuUse {
  cpu: number;
  set: "reserved" | "isolated" | "other";
  busyPct: number;
  /** Mean percent per busy mode. */
  modes: Record<string, number>;
}

export interface JobCpu {
  job: string;
  from?: string;
  to?: string;
  points: number;
  reserved?: SetUse;
  isolated?: SetUse;
  all: SetUse;
  kubelet?: { meanCpus: number; peakCpus: number };
  crio?: { meanCpus: number; peakCpus: number };
  perCpu: CpuUse[];
  timeline: { t: string; reservedPct?: number; isolatedPct?: number; allPct: number }[];
}

export interface NodeCpu {
  node: string;
  profile?: string;
  reserved: number[];
  isolated: number[];
  cpus: number;
  jobs: JobCpu[];
}

export interface Finding {
  level: "bottleneck" | "warning" | "no verdict" | "ok";
  node?: string;
  job?: string;
  text: string;
}

export interface NodeCpuAnalysis {
  nodes: NodeCpu[];
  api: { job: string; verb: string; peakSeconds: number }[];
  findings: Finding[];
  /** Metric names of the profile that the run has no documents for. */
  missing: string[];
  notes: string[];
}

export const PROFILE_METRICS = [
  "nodeCPUModes",
  "nodeCPUCount",
  "kubeletCPU",
  "crioCPU",
  "cpuRunQueueWait",
  "softnetProcessed",
  "apiserverP99",
  "apiserverRequestRate",
];

const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0);

/**
 * The nodes a profile tunes, by the role labels the run's metadata records for each node. Only a
 * run with no node roles at all (results from elsewhere, analysed with bench show --profile-file FILE) falls back
 * to a guess: the nodes with exactly as many CPUs as the profile names, which a same-sized node
 * outside the profile's pool also matches, so the guess is said in a note. A run whose nodes carry
 * roles but none of the profile's has no node of that profile: a guess there would call an
 * untuned node's CPUs reserved and isolated.
 */
function nodesOf(
  p: ProfileCpus,
  nodes: NodeInfo[],
  cpuCount: Map<string, number>,
  notes: string[],
): string[] {
  const roles = Object.keys(p.nodeSelector ?? {})
    .filter((k) => k.startsWith("node-role.kubernetes.io/"))
    .map((k) => k.slice("node-role.kubernetes.io/".length));
  if (nodes.some((n) => n.roles?.length))
    return nodes
      .filter((n) => n.roles?.some((r) => roles.includes(r)) && cpuCount.has(n.name))
      .map((n) => n.name);
  const need = Math.max(...p.reserved, ...p.isolated) + 1;
  const guess = [...cpuCount].filter(([, c]) => c === need).map(([n]) => n);
  if (guess.length)
    notes.push(
      `the run records no node roles: PerformanceProfile ${p.name} is taken to tune the nodes with ${need} CPUs (${guess.join(", ")}); ` +
        "an untuned node of the same size would be counted too (llw bench run records the roles)",
    );
  return guess;
}

function setUse(timeline: { t: string; v: number | undefined }[], cpus: number): SetUse | undefined {
  const pts = timeline.filter((x): x is { t: string; v: number } => x.v !== undefined);
  if (!pts.length || cpus === 0) return undefined;
  const peak = pts.reduce((a, b) => (b.v > a.v ? b : a));
  return { cpus, meanPct: round(mean(pts.map((p) => p.v))), peakPct: round(peak.v), peakAt: peak.t };
}

/** Whether a point lies inside the job (after its start, when the job summary gives one). */
type InJob = (d: MetricDoc) => boolean;

function cores(docs: MetricDoc[], node: string, job: string, inJob: InJob) {
  const v = docs.filter((d) => d.labels.node === node && d.jobName === job && inJob(d)).map((d) => d.value);
  return v.length ? { meanCpus: round(mean(v), 2), peakCpus: round(Math.max(...v), 2) } : undefined;
}

function analyseJob(node: NodeCpu, job: string, docs: Map<string, MetricDoc[]>, inJob: InJob): JobCpu {
  const modes = (docs.get("nodeCPUModes") ?? []).filter(
    (d) => d.labels.instance === node.node && d.jobName === job && inJob(d),
  );
  // In time order (Go writes RFC 3339 with trailing zeros of the fraction cut: not string order).
  const times = [...new Set(modes.map((d) => d.timestamp))].sort((a, b) => Date.parse(a) - Date.parse(b));
  const reserved = new Set(node.reserved);
  const isolated = new Set(node.isolated);
  // busy[t][cpu] and per-CPU mode sums over the job.
  const busy = new Map<string, Map<number, number>>();
  const perMode = new Map<number, Record<string, number>>();
  for (const d of modes) {
    const mode = d.labels.mode ?? "";
    const cpu = Number(d.labels.cpu);
    if (!BUSY.has(mode) || !Number.isInteger(cpu)) continue;
    const at = busy.get(d.timestamp) ?? new Map<number, number>();
    at.set(cpu, (at.get(cpu) ?? 0) + d.value);
    busy.set(d.timestamp, at);
    const m = perMode.get(cpu) ?? {};
    m[mode] = (m[mode] ?? 0) + d.value;
    perMode.set(cpu, m);
  }
  const share = (t: string, set: Set<number> | undefined, n: number) => {
    const at = busy.get(t) ?? new Map();
    let sum = 0;
    for (const [cpu, v] of at) if (!set || set.has(cpu)) sum += Math.min(1, v);
    return n ? (100 * sum) / n : undefined;
  };
  const timeline = times.map((t) => ({
    t,
    reservedPct: reserved.size ? round(share(t, reserved, reserved.size)!) : undefined,
    isolatedPct: isolated.size ? round(share(t, isolated, isolated.size)!) : undefined,
    allPct: round(share(t, undefined, node.cpus)!),
  }));
  const perCpu: CpuUse[] = [];
  for (let cpu = 0; cpu < node.cpus; cpu++) {
    const m = perMode.get(cpu) ?? {};
    const pct = Object.fromEntries(
      Object.entries(m).map(([k, v]) => [k, round((100 * v) / Math.max(1, times.length), 2)]),
    );
    perCpu.push({
      cpu,
      set: reserved.has(cpu) ? "reserved" : isolated.has(cpu) ? "isolated" : "other",
      busyPct: round(
        Object.values(pct).reduce((a, b) => a + b, 0),
        2,
      ),
      modes: pct,
    });
  }
  return {
    job,
    from: times[0],
    to: times.at(-1),
    points: times.length,
    reserved: setUse(
      timeline.map((x) => ({ t: x.t, v: x.reservedPct })),
      reserved.size,
    ),
    isolated: setUse(
      timeline.map((x) => ({ t: x.t, v: x.isolatedPct })),
      isolated.size,
    ),
    all: setUse(
      timeline.map((x) => ({ t: x.t, v: x.allPct })),
      node.cpus,
    ) ?? { cpus: node.cpus, meanPct: 0, peakPct: 0 },
    kubelet: cores(docs.get("kubeletCPU") ?? [], node.node, job, inJob),
    crio: cores(docs.get("crioCPU") ?? [], node.node, job, inJob),
    perCpu,
    timeline,
  };
}

function findingsOf(n: NodeCpu, j: JobCpu): Finding[] {
  const out: Finding[] = [];
  const at = { node: n.node, job: j.job };
  if (j.points < MIN_POINTS)
    return [
      {
        level: "no verdict",
        ...at,
        text: `${j.points} point${j.points === 1 ? "" : "s"} of CPU use inside ${j.job}: too few for a finding (${MIN_POINTS} needed); run the job for longer than two steps of the metrics query`,
      },
    ];
  const r = j.reserved;
  if (r) {
    const who = [j.kubelet && `kubelet ${j.kubelet.peakCpus}`, j.crio && `CRI-O ${j.crio.peakCpus}`].filter(
      Boolean,
    );
    const load = who.length ? ` (${who.join(" and ")} CPUs at their peaks, on ${r.cpus} reserved CPUs)` : "";
    if (r.peakPct >= STARVED)
      out.push({
        level: "bottleneck",
        ...at,
        text: `reserved CPUs ${Math.round(r.peakPct)}% busy during ${j.job} (mean ${Math.round(r.meanPct)}%): kubelet and CRI-O were starved${load}`,
      });
    else if (r.peakPct >= BUSY_WARNING)
      out.push({
        level: "warning",
        ...at,
        text: `reserved CPUs reached ${Math.round(r.peakPct)}% during ${j.job}: little headroom for housekeeping${load}`,
      });
    else
      out.push({
        level: "ok",
        ...at,
        text: `reserved CPUs peaked at ${Math.round(r.peakPct)}% during ${j.job}: housekeeping had headroom${load}`,
      });
  }
  const noisy = j.perCpu
    .filter((c) => c.set === "isolated")
    .map((c) => ({ c, kernel: KERNEL.reduce((t, m) => t + (c.modes[m] ?? 0), 0) }))
    .filter((x) => x.kernel >= KERNEL_WARNING)
    .sort((a, b) => b.kernel - a.kernel);
  for (const { c } of noisy.slice(0, 5)) {
    const [mode, pct] = KERNEL.map((m) => [m, c.modes[m] ?? 0] as const).sort((a, b) => b[1] - a[1])[0]!;
    const why = mode === "system" ? "something not pinned runs there" : "interrupts are served there";
    out.push({
      level: "warning",
      ...at,
      text: `isolated CPU ${c.cpu} had ${round(pct)}% ${mode} time during ${j.job}: ${why}`,
    });
  }
  if (noisy.length > 5)
    out.push({
      level: "warning",
      ...at,
      text: `${noisy.length - 5} more isolated CPUs spent ${KERNEL_WARNING}% or more in the kernel during ${j.job}`,
    });
  if (j.isolated && !noisy.length)
    out.push({
      level: "ok",
      ...at,
      text: `no isolated CPU spent ${KERNEL_WARNING}% or more of its time in the kernel during ${j.job}`,
    });
  return out;
}

export function analyseNodeCpu(
  docs: Map<string, MetricDoc[]>,
  profiles: ProfileCpus[],
  nodes: NodeInfo[],
  /** Each job's start, from kube-burner's job summaries (RFC 3339). */
  jobStarts: Map<string, string> = new Map(),
): NodeCpuAnalysis {
  const starts = new Map([...jobStarts].map(([job, t]) => [job, Date.parse(t)]));
  const inJob: InJob = (d) => {
    const start = starts.get(d.jobName ?? "");
    return start === undefined || Number.isNaN(start) || Date.parse(d.timestamp) > start;
  };
  const missing = PROFILE_METRICS.filter((m) => !docs.get(m)?.length);
  const notes: string[] = [];
  const cpuCount = new Map<string, number>();
  for (const d of docs.get("nodeCPUCount") ?? [])
    if (d.labels.instance) cpuCount.set(d.labels.instance, d.value);
  for (const d of docs.get("nodeCPUModes") ?? []) {
    const i = d.labels.instance;
    const cpu = Number(d.labels.cpu);
    if (i && Number.isInteger(cpu) && !docs.get("nodeCPUCount")?.length)
      cpuCount.set(i, Math.max(cpuCount.get(i) ?? 0, cpu + 1));
  }
  const jobs = [...new Set((docs.get("nodeCPUModes") ?? []).map((d) => d.jobName ?? ""))].sort();
  const result: NodeCpuAnalysis = { nodes: [], api: [], findings: [], missing, notes };
  if (!profiles.length) {
    notes.push(
      "no PerformanceProfile in the run's metadata (llw bench run records them from the cluster): the reserved/isolated split needs one; pass bench show --profile-file FILE",
    );
  }
  for (const p of profiles) {
    const names = nodesOf(p, nodes, cpuCount, notes);
    if (!names.length) notes.push(`no metrics for the nodes of PerformanceProfile ${p.name}`);
    for (const name of names) {
      const node: NodeCpu = {
        node: name,
        profile: p.name,
        reserved: p.reserved,
        isolated: p.isolated,
        cpus: cpuCount.get(name)!,
        jobs: [],
      };
      for (const job of jobs) {
        const j = analyseJob(node, job, docs, inJob);
        const any = (docs.get("nodeCPUModes") ?? []).some(
          (d) => d.jobName === job && d.labels.instance === name,
        );
        if (!any) continue;
        // A job with no point inside it has no figures to show, only the reason.
        if (j.points) node.jobs.push(j);
        result.findings.push(...findingsOf(node, j));
      }
      result.nodes.push(node);
    }
  }
  const api = docs.get("apiserverP99") ?? [];
  for (const job of [...new Set(api.map((d) => d.jobName ?? ""))].sort()) {
    const during = api.filter((d) => (d.jobName ?? "") === job && inJob(d) && Number.isFinite(d.value));
    if (!during.length) continue;
    const top = during.reduce((a, b) => (b.value > a.value ? b : a));
    result.api.push({ job, verb: top.labels.verb ?? "", peakSeconds: round(top.value, 3) });
    if (top.value >= API_SLOW)
      result.findings.push({
        level: "warning",
        job,
        text: `API server P99 reached ${round(top.value, 2)} s (${top.labels.verb ?? "all verbs"}) during ${job}: the control plane was slow too`,
      });
  }
  // Bottlenecks first, then warnings, then what is fine.
  const rank = { bottleneck: 0, warning: 1, "no verdict": 2, ok: 3 };
  result.findings.sort((a, b) => rank[a.level] - rank[b.level]);
  return result;
}
