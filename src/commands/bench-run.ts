/**
 * `llw bench run`: kube-burner runs stored under results/<label>/<run>/ with what they need to
 * be reproduced (the workload's config, its templates and profiles, the variables) and nothing
 * else. metadata.json says "status": "incomplete" from the start and is rewritten with
 * "complete" and kube-burner's exit code when it finished; an interrupted run (Ctrl-C, SIGTERM)
 * stays "incomplete", and `bench compare` leaves it out.
 */
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFile, rm, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { stringify } from "yaml";
import { checkWorkloadFits } from "../bench/fit-check.ts";
import { findExecutable, KUBE_BURNER_EXIT, runStreaming } from "../bench/kube-burner.ts";
import { type ClusterMetadata, collectClusterMetadata, gitRevision, runId } from "../bench/metadata.ts";
import { prepareJobNamespaces } from "../bench/namespaces.ts";
import { findPrometheus, metricsForRun, refuseTokenInSets } from "../bench/prometheus.ts";
import { neededFiles } from "../bench/run-files.ts";
import { findWorkload, parseSets, resolveVariables } from "../bench/workloads.ts";
import type { Kube } from "../cluster/kube.ts";
import type { Context } from "../lib/context.ts";
import { ChecksFailed, EnvironmentError, UserError } from "../lib/errors.ts";
import { checkOutputDir, ensureDir, writeFileAtomic } from "../lib/files.ts";
import { checkLabel } from "../lib/k8s-names.ts";
import { recordedPath } from "../lib/path-error.ts";
import { onInterrupt } from "../lib/signals.ts";

export interface BenchRunOptions {
  workload: string;
  label?: string;
  repeat?: number;
  set?: string[];
  kubeBurner?: string;
  outDir?: string;
  kubeconfig?: string;
  context?: string;
  metadata?: boolean;
  /** Module 5.3: Prometheus for the metrics profile (src/bench/prometheus.ts). */
  prometheus?: boolean;
  prometheusUrl?: string;
  prometheusToken?: string;
}

/** benchmarks/ of the working directory, else the one shipped with llw. */
export async function benchmarksDir(cwd: string): Promise<string> {
  const local = resolve(cwd, "benchmarks");
  if (await stat(join(local, "variables.yml")).catch(() => undefined)) return local;
  return resolve(import.meta.dirname, "..", "..", "benchmarks");
}

async function connect(opts: BenchRunOptions, ctx: Context): Promise<{ kube?: Kube; error?: string }> {
  try {
    const { Kube } = await import("../cluster/kube.ts");
    return { kube: Kube.connect({ kubeconfig: opts.kubeconfig, context: opts.context }, ctx.env, ctx.cwd) };
  } catch (e) {
    return { error: (e as Error).message.split("\n")[0] };
  }
}

async function clusterMetadata(
  opts: BenchRunOptions,
  kube: Kube | undefined,
  error?: string,
): Promise<ClusterMetadata> {
  if (opts.metadata === false) return { error: "not collected (--no-metadata)" };
  if (!kube) return { error: error ?? "no cluster" };
  try {
    return await collectClusterMetadata(kube);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

export async function run(opts: BenchRunOptions, ctx: Context): Promise<number> {
  const bench = await benchmarksDir(ctx.cwd);
  const workload = await findWorkload(opts.workload, ctx.cwd, bench);
  const sets = parseSets(opts.set);
  refuseTokenInSets(sets);
  const unknown = Object.keys(sets).filter((k) => !(k in workload.variables) && k !== "METRICS_DIR");
  if (unknown.length && Object.keys(workload.variables).length) {
    throw new UserError({
      what: `unknown variable${unknown.length > 1 ? "s" : ""} for ${workload.name}: ${unknown.join(", ")}`,
      where: "--set",
      next: `known: ${Object.keys(workload.variables).join(", ")}`,
    });
  }
  const exe = await findExecutable(opts.kubeBurner ?? "kube-burner", ctx.env, ctx.cwd, [
    resolve(ctx.cwd, ".tools", "bin"),
  ]);
  if (!exe) {
    throw new EnvironmentError({
      what: `kube-burner not found${opts.kubeBurner ? ` at ${opts.kubeBurner}` : " on PATH or in .tools/bin"}`,
      where: opts.kubeBurner ? "--kube-burner" : "PATH",
      next: "install it with `llw bench install`, or pass --kube-burner <path>",
    });
  }
  const version = await runStreaming(exe, ["version"], { cwd: ctx.cwd, env: ctx.env }).catch((e: Error) => ({
    code: 1,
    output: e.message,
  }));
  const kubeBurnerVersion = version.output.trim().split("\n").slice(0, 3).join("; ");
  const label = opts.label ?? workload.name;
  if (!/^[A-Za-z0-9._-]+$/.test(label))
    throw new UserError({
      what: `label "${label}" is not a plain name`,
      where: "--label",
      next: "use letters, digits, dot, dash, underscore",
    });
  const resultsDir = await checkOutputDir(resolve(ctx.cwd, opts.outDir ?? "results"), {
    flag: "--out-dir",
    shown: opts.outDir ?? "results",
  });
  const files = await neededFiles(workload);
  if (sets.NODE_SELECTOR !== undefined) checkLabel(sets.NODE_SELECTOR, undefined, "--set NODE_SELECTOR");
  const conn = await connect(opts, ctx);
  await checkWorkloadFits(workload, sets, conn.kube, ctx);
  const cluster = await clusterMetadata(opts, conn.kube, conn.error);
  // Module 5.3: OpenShift's Prometheus for the workshop's metrics profile (src/bench/prometheus.ts).
  const prometheus = await findPrometheus(
    opts,
    ctx.env,
    () => {
      if (!conn.kube) throw new Error(conn.error ?? "no cluster");
      return conn.kube;
    },
    Math.min(86_400, 3600 * ((opts.repeat ?? 1) + 1)),
  );
  ctx.stderr.write(
    prometheus.access
      ? `metrics: Prometheus at ${prometheus.access.url} (${prometheus.access.source})\n`
      : `metrics: not collected (${prometheus.skipped}); pass --prometheus-url to give one\n`,
  );
  const git = gitRevision(workload.dir);
  const repeat = opts.repeat ?? 1;
  const codes: { dir: string; code: number }[] = [];
  for (let k = 1; k <= repeat; k++) {
    const uuid = randomUUID();
    const id = runId(ctx.now(), k);
    const dir = join(resultsDir, label, id);
    if (await stat(dir).catch(() => undefined)) {
      throw new UserError({
        what: "the run directory already exists",
        where: dir,
        next: "wait a second and run again, or use another --label",
      });
    }
    await ensureDir(dir, { flag: "--out-dir" });
    const metrics = await metricsForRun(prometheus.access, bench, dir);
    const vars = {
      ...resolveVariables(workload, sets),
      METRICS_DIR: join(dir, `collected-metrics-${uuid}`),
      ...metrics.vars,
    };
    // What the run needs, as it was run: the config, its templates and profiles, the variables.
    const copy = join(dir, "workload");
    for (const f of files) await writeFileAtomic(join(copy, f.rel), await readFile(f.source));
    // As recorded: files of the run relative to it (kube-burner gets the absolute paths), no
    // absolute path in a file that travels.
    const recorded = Object.fromEntries(
      Object.entries(vars).map(([k, v]) => [
        k,
        typeof v === "string" && v.startsWith(`${dir}/`) ? relative(dir, v) : v,
      ]),
    );
    await writeFileAtomic(
      join(copy, "variables.yml"),
      `# The variables of this run; kube-burner read them from its environment.\n${stringify(recorded)}`,
    );
    // The Prometheus token only in kube-burner's environment: never in the run's files.
    const env: NodeJS.ProcessEnv = { ...ctx.env, ...vars, ...metrics.secretEnv };
    if (opts.kubeconfig) env.KUBECONFIG = resolve(ctx.cwd, opts.kubeconfig);
    const args = ["init", "-c", join(copy, files[0]!.rel), "--uuid", uuid];
    if (opts.context) args.push("--kube-context", opts.context);
    await prepareJobNamespaces(opts, ctx, workload, vars, uuid);
    const metadata: Record<string, unknown> = {
      kind: "kube-burner",
      status: "incomplete",
      label,
      run: id,
      uuid,
      workload: workload.name,
      variables: recorded,
      kubeBurner: { path: recordedPath(exe, ctx.cwd, ctx.env.HOME), version: kubeBurnerVersion },
      startedAt: ctx.now().toISOString(),
      gitRevision: git,
      clusterVersion: cluster.clusterVersion,
      cluster,
      prometheus: prometheus.access
        ? { url: prometheus.access.url, source: prometheus.access.source }
        : { skipped: prometheus.skipped },
    };
    const writeMetadata = () =>
      writeFileAtomic(join(dir, "metadata.json"), `${JSON.stringify(metadata, null, 2)}\n`);
    // Written before kube-burner starts: if llw is stopped, the run stays marked incomplete.
    await writeMetadata();
    ctx.stderr.write(`${ctx.colors.bold(`[${label} ${k}/${repeat}]`)} kube-burner ${args.join(" ")}\n`);
    let child: ChildProcess | undefined;
    const stopChild = onInterrupt(() => {
      child?.kill("SIGTERM");
    });
    let r: Awaited<ReturnType<typeof runStreaming>>;
    try {
      r = await runStreaming(exe, args, {
        cwd: copy,
        env,
        onLine: (l) => ctx.stderr.write(`  ${l}\n`),
        onSpawn: (c) => {
          child = c;
        },
      });
    } finally {
      stopChild();
    }
    await writeFileAtomic(join(dir, "kube-burner.log"), r.output);
    const exit = KUBE_BURNER_EXIT[r.code];
    Object.assign(metadata, {
      status: "complete",
      finishedAt: ctx.now().toISOString(),
      exitCode: r.code,
      exitMeaning: r.code === 0 ? "ok" : (exit?.meaning ?? "kube-burner failed"),
    });
    await writeMetadata();
    const hasMetrics = await stat(vars.METRICS_DIR).then(
      () => true,
      () => false,
    );
    if (r.code !== 0 && !exit && !hasMetrics) {
      // Nothing measured: do not leave a half-written run behind.
      await rm(dir, { recursive: true, force: true });
      throw new EnvironmentError({
        what: `kube-burner failed (exit ${r.code}) before writing any metrics`,
        where: exe,
        next: `read its output above; the last lines were: ${r.output.trim().split("\n").slice(-3).join(" | ")}`,
      });
    }
    ctx.stderr.write(
      `${r.code === 0 ? ctx.colors.green("done") : ctx.colors.yellow(`exit ${r.code}: ${exit?.meaning ?? "kube-burner failed"}`)}: ${relative(ctx.cwd, dir) || dir}\n`,
    );
    ctx.stdout.write(`${relative(ctx.cwd, dir) || dir}\n`);
    codes.push({ dir, code: r.code });
  }
  const failed = codes.filter((c) => c.code !== 0);
  if (failed.length) {
    const worst = failed[0]!.code;
    const exit = KUBE_BURNER_EXIT[worst];
    if (worst === 2) {
      throw new EnvironmentError({
        what: `kube-burner ${exit!.meaning}`,
        where: relative(ctx.cwd, failed[0]!.dir),
        next: exit!.next,
      });
    }
    throw new ChecksFailed(
      `${failed.length} of ${codes.length} runs ended with kube-burner exit ${failed.map((f) => f.code).join(", ")}: ${exit?.meaning ?? "kube-burner failed"}`,
      exit?.next ?? "read kube-burner.log in the run directory",
    );
  }
  return 0;
}
