import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fitProblems, readFitFacts } from "../bench/fit-check.ts";
import { checkJitterInput, jitterPod } from "../bench/jitter-pod.ts";
import { collectClusterMetadata, gitRevision, runId } from "../bench/metadata.ts";
import { findWorkload, resolveVariables } from "../bench/workloads.ts";
import { realClock } from "../cluster/clock.ts";
import { checkImageReference, pinImage } from "../cluster/image-digest.ts";
import type { Kube, KubeObject } from "../cluster/kube.ts";
import { ensureNamespaceReady, LLW_POD_NAMESPACE_LABELS } from "../cluster/namespace.ts";
import { withOwnPod } from "../cluster/own-pod.ts";
import type { Context } from "../lib/context.ts";
import { EnvironmentError, UserError } from "../lib/errors.ts";
import { ensureDir, writeFileAtomic } from "../lib/files.ts";
import { shownPath } from "../lib/path-error.ts";
import { parseJitterOutput } from "../results/rt-tests.ts";
import { benchmarksDir } from "./bench-run.ts";
import { run as show } from "./latency-show.ts";

export interface LatencyRunOptions {
  tool?: "oslat" | "cyclictest" | "hwlatdetect";
  duration?: string;
  cpus?: number;
  performanceProfile?: string;
  /** Before tuning: no runtime class, no CRI-O annotations, no PerformanceProfile needed. */
  baseline?: boolean;
  node?: string;
  nodeSelector?: string;
  label?: string;
  image?: string;
  maxLatency?: number;
  namespace?: string;
  outDir?: string;
  kubeconfig?: string;
  context?: string;
  keep?: boolean;
  /** For tests: how often to poll the pod, in ms. */
  pollMs?: number;
}

/** "300", "30s", "5m", "1h" -> seconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(v.trim());
  if (!m || Number(m[1]) <= 0) {
    throw new UserError({
      what: `"${v}" is not a duration`,
      where: "--duration",
      next: "use seconds or 30s, 5m, 1h",
    });
  }
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2] ?? "s"]!;
}

async function pickProfile(kube: Kube, name: string | undefined): Promise<KubeObject> {
  const profiles = await kube.list("performance.openshift.io/v2", "PerformanceProfile");
  if (name) {
    const p = profiles.find((x) => x.metadata.name === name);
    if (!p) {
      throw new UserError({
        what: `no PerformanceProfile "${name}" on the cluster`,
        where: "--performance-profile",
        next: profiles.length
          ? `use one of: ${profiles.map((x) => x.metadata.name).join(", ")}`
          : "apply the workshop's profile first (llw tune apply)",
      });
    }
    return p;
  }
  if (profiles.length === 1) return profiles[0]!;
  throw new UserError({
    what: profiles.length
      ? "several PerformanceProfiles exist: say which one to test"
      : "the cluster has no PerformanceProfile: there are no isolated CPUs to test",
    where: "--performance-profile",
    next: profiles.length
      ? `use --performance-profile with one of: ${profiles.map((x) => x.metadata.name).join(", ")}`
      : "apply the workshop's profile first (llw tune apply)",
  });
}

export { untune } from "../bench/jitter-pod.ts";

export async function run(opts: LatencyRunOptions, ctx: Context): Promise<number> {
  const tool = opts.tool ?? "oslat";
  const seconds = parseDuration(opts.duration ?? "5m");
  const cpus = opts.cpus ?? 4;
  if (cpus < 2)
    throw new UserError({
      what: "the runner needs at least 2 CPUs (one runs its main thread)",
      where: "--cpus",
    });
  const namespace = opts.namespace ?? "llw-latency";
  if (opts.baseline && opts.performanceProfile) {
    throw new UserError({
      what: "--baseline runs without a PerformanceProfile: --performance-profile does not apply",
      where: "--baseline --performance-profile",
      next: "drop --performance-profile for the before-tuning run, or drop --baseline for the tuned one",
    });
  }
  checkJitterInput({
    selectorKey: opts.nodeSelector ?? "node-role.kubernetes.io/worker",
    ...(opts.node !== undefined ? { node: opts.node } : {}),
    ...(opts.performanceProfile !== undefined ? { profile: opts.performanceProfile } : {}),
    namespace,
  });
  if (opts.image !== undefined) checkImageReference(opts.image, "--image");
  const { Kube } = await import("../cluster/kube.ts");
  const kube = Kube.connect({ kubeconfig: opts.kubeconfig, context: opts.context }, ctx.env, ctx.cwd);
  const profile = opts.baseline ? undefined : await pickProfile(kube, opts.performanceProfile);
  const profileName = profile?.metadata.name;
  const selectorKey =
    opts.nodeSelector ??
    Object.keys((profile?.spec?.nodeSelector ?? {}) as Record<string, string>)[0] ??
    "node-role.kubernetes.io/worker";
  const workload = await findWorkload(tool, ctx.cwd, await benchmarksDir(ctx.cwd));
  const id = runId(ctx.now(), 1);
  const podName = `${tool}${opts.baseline ? "-baseline" : ""}-${id.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`;
  const label = opts.label ?? (opts.baseline ? "latency-baseline" : "latency");
  const dir = join(resolve(ctx.cwd, opts.outDir ?? "results"), label, id);
  if (await stat(dir).catch(() => undefined))
    throw new UserError({ what: "the run directory already exists", where: dir });

  // A namespace of llw's own (never `default` or the workshop's), labelled for privileged pods.
  await ensureNamespaceReady(kube, namespace, {
    clock: ctx.clock ?? realClock,
    say: (line) => ctx.stderr.write(`${line}\n`),
    labels: LLW_POD_NAMESPACE_LABELS,
  });
  const requested = opts.image ?? resolveVariables(workload, {}).LATENCY_IMAGE!;
  const pinned = await pinImage(kube, requested, namespace, "--image");
  ctx.stderr.write(`image: ${pinned.note}\n`);
  const pod = await jitterPod(workload, {
    tool,
    cpus,
    seconds,
    ...(opts.maxLatency ? { maxLatency: opts.maxLatency } : {}),
    selectorKey,
    ...(opts.node ? { node: opts.node } : {}),
    image: pinned.image,
    ...(profileName ? { profile: profileName } : {}),
    name: podName,
    namespace,
  });
  await checkJitterFit(kube, pod, opts.node);
  const vars = { LATENCY_IMAGE: pinned.image };
  // From here on the pod exists: it is deleted on every way out (errors, Ctrl-C, SIGTERM) unless --keep.
  const clock = ctx.clock ?? realClock;
  const say = (line: string) => ctx.stderr.write(`${line}\n`);
  return withOwnPod(kube, pod, { clock, say, ...(opts.keep ? { keep: true } : {}) }, async () => {
    ctx.stderr.write(
      `created pod ${namespace}/${podName} (${tool}, ${cpus} CPUs, ${seconds}s, ${
        profileName
          ? `runtime class performance-${profileName}`
          : "baseline: no runtime class, no CRI-O annotations"
      })\n`,
    );
    const poll = opts.pollMs ?? 5000;
    // Image pull and scheduling get ten minutes on top of the test itself.
    const deadline = clock.now() + (seconds + 600) * 1000;
    let current: KubeObject | undefined;
    let lastPhase = "";
    for (;;) {
      current = await kube.get("v1", "Pod", podName, namespace);
      const phase: string = current?.status?.phase ?? "Pending";
      if (phase !== lastPhase) {
        ctx.stderr.write(`  ${phase}${current?.spec?.nodeName ? ` on ${current.spec.nodeName}` : ""}\n`);
        lastPhase = phase;
      }
      if (phase === "Succeeded" || phase === "Failed") break;
      if (clock.now() > deadline) {
        throw new EnvironmentError({
          what: `the ${tool} pod did not finish within ${seconds + 600}s (phase ${phase})`,
          where: `pod ${namespace}/${podName}`,
          next: `oc describe pod -n ${namespace} ${podName} (image pull? no node with the runtime class?)`,
        });
      }
      await clock.sleep(poll);
    }
    const log = await kube.podLog(namespace, podName);
    await ensureDir(dir, { flag: "--out-dir" });
    await writeFileAtomic(join(dir, `${tool}.log`), log, { flag: "--out-dir" });
    const metadata = {
      kind: "jitter",
      label,
      run: id,
      tool,
      outputFile: `${tool}.log`,
      pod: `${namespace}/${podName}`,
      node: current?.spec?.nodeName,
      mode: opts.baseline ? "baseline" : "tuned",
      profile: profileName,
      runtimeClassName: pod.spec.runtimeClassName,
      cpus,
      durationSec: seconds,
      image: vars.LATENCY_IMAGE,
      podPhase: current?.status?.phase,
      startedAt: current?.status?.startTime,
      finishedAt: ctx.now().toISOString(),
      gitRevision: gitRevision(ctx.cwd),
      cluster: await collectClusterMetadata(kube),
    };
    await writeFileAtomic(join(dir, "metadata.json"), `${JSON.stringify(metadata, null, 2)}\n`);
    if (current?.status?.phase === "Failed") {
      throw new EnvironmentError({
        what: `the ${tool} pod failed`,
        where: `pod ${namespace}/${podName}; log kept in ${shownPath(ctx.cwd, dir)}`,
        next: `last log lines: ${log.trim().split("\n").slice(-3).join(" | ")}`,
      });
    }
    // Fail now, not at compare time, if the log holds no results.
    const parsed = parseJitterOutput(log, join(dir, `${tool}.log`));
    if (parsed.tool !== tool) {
      throw new UserError({
        what: `the pod log holds ${parsed.tool} output, not ${tool}`,
        where: join(dir, `${tool}.log`),
        next: "check the image: its runner for this tool may run something else",
      });
    }
    ctx.stderr.write(`stored ${shownPath(ctx.cwd, dir)}\n`);
    return show({ files: [join(dir, `${tool}.log`)], maxLatency: opts.maxLatency }, ctx);
  });
}

/** Refuses (exit 2) a jitter pod no target node can hold, with the CPU count that would fit. */
async function checkJitterFit(kube: Kube, pod: KubeObject, node: string | undefined): Promise<void> {
  const facts = await readFitFacts(kube);
  if (node) facts.nodes = facts.nodes.filter((n) => n.metadata.name === node);
  const { problems, plans } = fitProblems([{ object: pod, count: 1 }], facts, {
    where: "--cpus",
    selectorHint: "--node-selector <label key>, or --node <name>",
  });
  if (problems.length === 0) return;
  const free = Math.max(0, ...(plans[0]?.nodes ?? []).map((n) => Math.floor((n.free.cpu ?? 0) / 1000)));
  if (plans[0] && plans[0].nodes.length > 0 && free >= 2)
    problems[0] = {
      ...problems[0]!,
      next: `--cpus ${free} would fit (the most free whole CPUs on one target node)`,
    };
  if (node && facts.nodes.length === 0)
    problems[0] = { what: `no node named ${node}`, where: "--node", next: "oc get nodes lists them" };
  throw new UserError(problems);
}
