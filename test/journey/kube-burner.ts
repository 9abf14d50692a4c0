/**
 * The journey's kube-burner: NOT the real tool (which the journey cannot download), a stand-in that
 * does what kube-burner 2.7.3 does with the workshop's workloads against the cluster in KUBECONFIG
 * (kube-burner/kube-burner v2.7.3, pkg/burner/create.go, job.go, pkg/measurements/pod_latency.go,
 * vmi_latency.go, pkg/util/namespaces.go):
 * - the config is rendered with the environment as template data; each create job makes its
 *   namespace (labels kube-burner.io/job and kube-burner.io/uuid; one that already exists is
 *   used as it is, one still Terminating is waited for), then jobIterations x replicas objects
 *   from each objectTemplate (data: the object's inputVars, Iteration from 0, Replica from 1),
 *   labelled kube-burner.io/{uuid,job,job-iteration,replica}, at most qps per second;
 * - waitWhenFinished: every Pod Ready, every VirtualMachine Ready, within global.timeout, else
 *   exit 2 (a timeout);
 * - podLatency / vmiLatency: per object, each condition's lastTransitionTime (VMI phases: their
 *   phaseTransitionTimestamps) minus the creation time, in ms, and the quantiles per condition,
 *   written by the local indexer as <measurement>-<job>.json, <measurement>Quantiles...-<job>.json
 *   and jobSummary.json in metricsDirectory; a P99 above a threshold is exit 4;
 * - gc: true deletes the namespaces labelled kube-burner.io/job=<job> and waits until they are gone;
 *   a create job with cleanup: true does the same before the jobs start (job.go); an object that
 *   already exists is logged and skipped, another refusal retried (create.go, createRequest).
 * Latencies are the simulated cluster's, measured on its timestamps, so they are real time at the
 * simulator's speed; the global timeout is scaled by JOURNEY_SIM_SPEED to the same clock.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { renderTemplate } from "../../src/bench/template.ts";
import { parseDuration } from "../../src/cluster/clock.ts";
import { Kube, type KubeObject } from "../../src/cluster/kube.ts";
import type { Obj } from "../sim/apiserver.ts";

const VERSION = "2.7.3";
const args = process.argv.slice(2);
if (args[0] === "version") {
  console.log(
    `Version: ${VERSION} (the journey's stand-in, not the real kube-burner)\nGit Commit: journey\nBuild Date: -`,
  );
  process.exit(0);
}
if (args[0] !== "init") {
  console.error(`kube-burner (journey stand-in): unknown command ${args[0]}`);
  process.exit(1);
}
const flag = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const configFile = flag("-c") ?? flag("--config")!;
const uuid = flag("--uuid") ?? crypto.randomUUID();
const speed = Number(process.env.JOURNEY_SIM_SPEED ?? 1);
const log = (level: string, msg: string) =>
  console.log(`time="${new Date().toISOString()}" level=${level} msg="${msg}" file="journey-stand-in"`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
  string,
  string
>;
const config = parse(renderTemplate(readFileSync(configFile, "utf8"), env, configFile));
const kube = Kube.connect(
  { ...(flag("--kube-context") ? { context: flag("--kube-context") } : {}) },
  process.env,
);
log("info", `🔥 Starting kube-burner (${VERSION}@journey) with UUID ${uuid}`);

const ms = (a?: string, b?: string) => (a && b ? Math.max(0, Date.parse(a) - Date.parse(b)) : 0);
/** Kube returns plain JSON (kube.ts `plain`): timestamps are RFC 3339 strings. */
const created = (o: KubeObject) => String(o.metadata.creationTimestamp ?? "");
const condTime = (o: KubeObject, t: string) =>
  (o.status?.conditions ?? []).find(
    (c: { type: string; status: string }) => c.type === t && c.status === "True",
  )?.lastTransitionTime as string | undefined;

function quantiles(
  docs: Record<string, unknown>[],
  fields: Record<string, string>,
  job: string,
  name: string,
) {
  return Object.entries(fields).map(([field, quantileName]) => {
    const v = docs.map((d) => Number(d[field] ?? 0)).sort((a, b) => a - b);
    const at = (p: number) =>
      v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))] ?? 0;
    return {
      quantileName,
      uuid,
      P99: at(99),
      P95: at(95),
      P50: at(50),
      min: v[0] ?? 0,
      max: v.at(-1) ?? 0,
      avg: Math.round(v.reduce((a, b) => a + b, 0) / Math.max(1, v.length)),
      timestamp: new Date().toISOString(),
      metricName: name,
      jobName: job,
    };
  });
}

async function waitNamespace(name: string, labels: Record<string, string>): Promise<void> {
  for (;;) {
    const ns = await kube.get("v1", "Namespace", name);
    if (ns && !ns.metadata.deletionTimestamp) return;
    if (!ns) {
      await kube.create({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
      return;
    }
    log("warning", `Namespace ${name} is in Terminating state, retrying`);
    await sleep(5000 / speed);
  }
}

/**
 * create.go createRequest: an object that already exists, or whose kind or namespace is not found,
 * is logged and given up (not waited for, not measured); any other refusal (a namespace's default
 * ServiceAccount not there yet: 403) is retried with exponential backoff (1 s, factor 3).
 */
async function createRequest(obj: KubeObject, namespace: string, created: KubeObject[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      created.push(await kube.create(obj));
      return;
    } catch (e) {
      const message = (e as Error).message;
      if (/already exists/.test(message)) {
        log("error", `${obj.kind}/${obj.metadata.name} in namespace ${namespace} already exists`);
        return;
      }
      if (/not found/.test(message) && !/serviceaccount/.test(message)) {
        log("error", `Error creating object ${obj.kind}/${obj.metadata.name}: ${message}`);
        return;
      }
      if (attempt >= 8) throw e;
      log(
        "error",
        `Error creating object ${obj.kind}/${obj.metadata.name} in namespace ${namespace}: ${message}`,
      );
      log("error", "Retrying object creation");
      await sleep((1000 * 3 ** attempt) / speed);
    }
  }
}

async function runJob(job: Obj): Promise<number> {
  const name = job.name as string;
  const ns = job.namespace as string;
  const base = dirname(configFile);
  const labels = { "kube-burner.io/job": name, "kube-burner.io/uuid": uuid };
  const qps = Number(job.qps ?? 20);
  const created: KubeObject[] = [];
  log("info", `Triggering job: ${name}`);
  for (let i = 0; i < Number(job.jobIterations ?? 1); i++) {
    const namespace = job.namespacedIterations ? `${ns}-${i}` : ns;
    await waitNamespace(namespace, labels);
    for (const o of job.objects ?? []) {
      const src = readFileSync(join(base, o.objectTemplate), "utf8");
      for (let r = 1; r <= Number(o.replicas ?? 1); r++) {
        const obj = parse(
          renderTemplate(
            src,
            { ...o.inputVars, Iteration: i, Replica: r, JobName: name, UUID: uuid },
            o.objectTemplate,
          ),
        ) as KubeObject;
        obj.metadata.namespace = namespace;
        obj.metadata.labels = {
          ...obj.metadata.labels,
          ...labels,
          "kube-burner.io/job-iteration": String(i),
          "kube-burner.io/replica": String(r),
        };
        await createRequest(obj, namespace, created);
        await sleep(1000 / qps);
      }
    }
  }
  log("info", `Finished create job ${name}: ${created.length} objects`);
  const timeoutMs = (parseDuration(String(config.global?.timeout ?? "4h")) ?? 4 * 3600_000) / speed;
  const deadline = Date.now() + timeoutMs;
  const readyOf = async (o: KubeObject) => {
    const cur = await kube.get(o.apiVersion, o.kind, o.metadata.name!, o.metadata.namespace);
    if (o.kind === "Pod") return Boolean(condTime(cur ?? o, "Ready"));
    if (o.kind === "VirtualMachine") return Boolean(condTime(cur ?? o, "Ready"));
    return Boolean(cur);
  };
  let pending = created;
  while (job.waitWhenFinished !== false && pending.length > 0) {
    const states = await Promise.all(pending.map(readyOf));
    pending = pending.filter((_, k) => !states[k]);
    if (pending.length === 0) break;
    if (Date.now() > deadline) {
      log(
        "error",
        `Timeout waiting for ${pending.length} objects of job ${name}: ${pending
          .slice(0, 5)
          .map((p) => `${p.kind}/${p.metadata.name}`)
          .join(", ")}`,
      );
      return 2;
    }
    await sleep(Math.max(50, 1000 / speed));
  }
  log("info", `Actions in job ${name} completed`);
  return 0;
}

async function measure(job: Obj, dir: string): Promise<number> {
  const name = job.name as string;
  const sel = `kube-burner.io/uuid=${uuid},kube-burner.io/job=${name}`;
  let rc = 0;
  for (const m of config.global?.measurements ?? []) {
    let docs: Record<string, unknown>[] = [];
    let fields: Record<string, string> = {};
    if (m.name === "podLatency") {
      fields = {
        schedulingLatency: "PodScheduled",
        initializedLatency: "Initialized",
        containersReadyLatency: "ContainersReady",
        podReadyLatency: "Ready",
        readyToStartContainersLatency: "PodReadyToStartContainers",
      };
      docs = (await kube.list("v1", "Pod", { labelSelector: sel })).map((p) => {
        const t0 = created(p);
        return {
          timestamp: t0,
          schedulingLatency: ms(condTime(p, "PodScheduled"), t0),
          initializedLatency: ms(condTime(p, "Initialized"), t0),
          containersReadyLatency: ms(condTime(p, "ContainersReady"), t0),
          podReadyLatency: ms(condTime(p, "Ready"), t0),
          readyToStartContainersLatency: ms(condTime(p, "PodReadyToStartContainers"), t0),
          containersStartedLatency: ms(condTime(p, "ContainersReady"), t0),
          metricName: "podLatencyMeasurement",
          uuid,
          jobName: name,
          jobIteration: Number(p.metadata.labels?.["kube-burner.io/job-iteration"] ?? 0),
          replica: Number(p.metadata.labels?.["kube-burner.io/replica"] ?? 1),
          namespace: p.metadata.namespace,
          podName: p.metadata.name,
          nodeName: p.spec?.nodeName ?? "",
        };
      });
    } else if (m.name === "vmiLatency") {
      // Quantile names as vmi_latency.go getLatency names them.
      fields = {
        vmReadyLatency: "VMReady",
        vmiCreatedLatency: "VMICreated",
        vmiPendingLatency: "VMIPending",
        vmiSchedulingLatency: "VMIScheduling",
        vmiScheduledLatency: "VMIScheduled",
        vmiRunningLatency: "VMIRunning",
        podCreatedLatency: "PodCreated",
        podScheduledLatency: "PodPodScheduled",
        podInitializedLatency: "PodInitialized",
        podContainersReadyLatency: "PodContainersReady",
        podReadyLatency: "PodReady",
        podReadyToStartContainersLatency: "PodPodReadyToStartContainers",
      };
      for (const vm of await kube.list("kubevirt.io/v1", "VirtualMachine", { labelSelector: sel })) {
        const t0 = created(vm);
        const ns = vm.metadata.namespace as string;
        const vmi = await kube.get("kubevirt.io/v1", "VirtualMachineInstance", vm.metadata.name!, ns);
        const phase = (p: string) =>
          (vmi?.status?.phaseTransitionTimestamps ?? []).find((x: { phase: string }) => x.phase === p)
            ?.phaseTransitionTimestamp;
        const pod = (
          await kube.list("v1", "Pod", {
            namespace: ns,
            labelSelector: `vm.kubevirt.io/name=${vm.metadata.name}`,
          })
        )[0];
        docs.push({
          timestamp: t0,
          podCreatedLatency: ms(pod && created(pod), t0),
          podScheduledLatency: ms(pod && condTime(pod, "PodScheduled"), t0),
          podInitializedLatency: ms(pod && condTime(pod, "Initialized"), t0),
          podContainersReadyLatency: ms(pod && condTime(pod, "ContainersReady"), t0),
          podReadyLatency: ms(pod && condTime(pod, "Ready"), t0),
          podReadyToStartContainersLatency: ms(pod && condTime(pod, "PodReadyToStartContainers"), t0),
          vmiCreatedLatency: ms(vmi && created(vmi), t0),
          vmiPendingLatency: ms(phase("Pending"), t0),
          vmiSchedulingLatency: ms(phase("Scheduling"), t0),
          vmiScheduledLatency: ms(phase("Scheduled"), t0),
          vmiRunningLatency: ms(phase("Running"), t0),
          vmReadyLatency: ms(condTime(vm, "Ready"), t0),
          metricName: "vmiLatencyMeasurement",
          uuid,
          namespace: ns,
          podName: pod?.metadata.name ?? "",
          vmName: vm.metadata.name,
          vmiName: vmi?.metadata.name ?? "",
          nodeName: vmi?.status?.nodeName ?? "",
          jobName: name,
          jobIteration: Number(vm.metadata.labels?.["kube-burner.io/job-iteration"] ?? 0),
          replica: Number(vm.metadata.labels?.["kube-burner.io/replica"] ?? 1),
        });
      }
    } else continue;
    const q = quantiles(docs, fields, name, `${m.name}QuantilesMeasurement`);
    writeFileSync(join(dir, `${m.name}Measurement-${name}.json`), JSON.stringify(docs, null, 2));
    writeFileSync(join(dir, `${m.name}QuantilesMeasurement-${name}.json`), JSON.stringify(q, null, 2));
    for (const t of m.thresholds ?? []) {
      const row = q.find((x) => x.quantileName === t.conditionType);
      const limit = parseDuration(String(t.threshold)) ?? Number.POSITIVE_INFINITY;
      if (row && Number(row[t.metric as "P99"]) > limit) {
        log(
          "error",
          `❗ ${m.name} ${t.conditionType} ${t.metric} latency (${row[t.metric as "P99"]}ms) higher than configured threshold: ${t.threshold}`,
        );
        rc = 4;
      }
    }
    const ready = q.find((x) => /Ready$/.test(x.quantileName));
    if (ready)
      log(
        "info",
        `${name}: ${ready.quantileName} 50th: ${ready.P50} 99th: ${ready.P99} max: ${ready.max} avg: ${ready.avg}`,
      );
  }
  return rc;
}

async function gc(job: { name: string }): Promise<void> {
  const sel = `kube-burner.io/job=${job.name}`;
  const namespaces = await kube.list("v1", "Namespace", { labelSelector: sel });
  if (namespaces.length === 0) return;
  log("info", `Deleting ${namespaces.length} namespaces with label: ${sel}`);
  for (const n of namespaces) await kube.delete("v1", "Namespace", n.metadata.name!);
  while ((await kube.list("v1", "Namespace", { labelSelector: sel })).length > 0) await sleep(1000 / speed);
}

const dir = config.metricsEndpoints?.[0]?.indexer?.metricsDirectory ?? "collected-metrics";
mkdirSync(dir, { recursive: true });
const started = new Date();
let rc = 0;
// Before any job: a create job with `cleanup: true` deletes what earlier runs of it left
// (pkg/burner/job.go, "Cleaning up previous runs for job": gc by kube-burner.io/job=<job>).
for (const job of config.jobs ?? [])
  if ((job.jobType ?? "create") === "create" && job.cleanup === true) {
    log("info", `Cleaning up previous runs for job: ${job.name}`);
    await gc(job);
  }
for (const job of config.jobs ?? []) {
  const r = await runJob(job);
  rc = Math.max(rc, r);
  if (r === 0) rc = Math.max(rc, await measure(job, dir));
  const summary = [
    {
      timestamp: started.toISOString(),
      endTimestamp: new Date().toISOString(),
      elapsedTime: Math.round((Date.now() - started.getTime()) / 1000),
      uuid,
      metricName: "jobSummary",
      jobConfig: { name: job.name, jobIterations: job.jobIterations, namespace: job.namespace },
      version: `${VERSION}@journey`,
      passed: r === 0,
    },
  ];
  writeFileSync(join(dir, "jobSummary.json"), JSON.stringify(summary, null, 2));
  if (config.global?.gc !== false && String(config.global?.gc) !== "false") await gc(job);
}
log(rc === 0 ? "info" : "error", `👋 Exiting kube-burner ${uuid}${rc ? ` with code ${rc}` : ""}`);
process.exit(rc);
