/**
 * The journey's checkpoints: the points that carry the workshop's story, checked on the simulated
 * cluster, the EC2 emulator and the attendee's results directory. Each returns what it saw.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DescribeNetworkInterfacesCommand, DescribeSubnetsCommand } from "@aws-sdk/client-ec2";
import { MOTO_CREDENTIALS } from "../helpers/moto.ts";
import type { Obj } from "../sim/apiserver.ts";
import { liveInstances } from "./aws.ts";
import { type JourneyWorld, REGION } from "./world.ts";

export interface Verdict {
  ok: boolean;
  detail: string;
}

const MC = "machineconfiguration.openshift.io/v1";

const runsOf = (cwd: string, label: string): string[] => {
  const d = join(cwd, "results", label);
  return existsSync(d)
    ? readdirSync(d)
        .filter((r) => existsSync(join(d, r, "metadata.json")))
        .sort()
    : [];
};

/** Before the tuning: the "before" measurements exist and no PerformanceProfile does. */
export function baselineBeforeTuning(w: JourneyWorld, cwd: string): Verdict {
  const labels = [
    "oslat-before",
    "cyclictest-before",
    "hwlatdetect-before",
    "startup-baseline",
    "vm-startup-baseline",
  ];
  const missing = labels.filter((l) => runsOf(cwd, l).length === 0);
  const profiles = w.sim.api
    .list("performance.openshift.io/v2", "PerformanceProfile")
    .map((p) => p.metadata.name);
  return {
    ok: missing.length === 0 && profiles.length === 0,
    detail: `${labels.length - missing.length}/${labels.length} baseline labels recorded${missing.length ? ` (missing ${missing.join(", ")})` : ""}; PerformanceProfiles: ${profiles.join(", ") || "none"}`,
  };
}

/** Where the simulator's log stands, to count what a change set did after it. */
export function mark(w: JourneyWorld): number {
  return w.sim.stats.log.length;
}

/**
 * After the tuning change set: each pool whose nodes the profile selects rolled out once and each of
 * their nodes rebooted once; no other pool rolled; every pool is Updated and unpaused.
 */
export function oneRollout(w: JourneyWorld, from: number): Verdict {
  const { api } = w.sim;
  const log = w.sim.stats.log.slice(from);
  const profiles = api.list("performance.openshift.io/v2", "PerformanceProfile");
  if (profiles.length === 0)
    return { ok: false, detail: "no PerformanceProfile: the change set applied nothing" };
  const tuned = api
    .list("v1", "Node")
    .filter((n) =>
      profiles.some((p) => Object.keys(p.spec.nodeSelector ?? {}).every((k) => k in n.metadata.labels)),
    );
  const problems: string[] = [];
  const seen: string[] = [];
  for (const pool of api.list(MC, "MachineConfigPool")) {
    const name = pool.metadata.name;
    const rollouts = log.filter((l) => l.startsWith(`rollout of pool ${name} `)).length;
    const mine = tuned.filter(
      (n) =>
        Object.keys(pool.spec.nodeSelector?.matchLabels ?? {}).every((k) => k in n.metadata.labels) &&
        name !== "worker",
    );
    const updated = pool.status?.conditions?.find((c: Obj) => c.type === "Updated")?.status === "True";
    if (mine.length > 0) {
      const reboots = mine.map((n) => log.filter((l) => l === `node ${n.metadata.name}: reboot`).length);
      seen.push(`pool ${name}: ${rollouts} rollout(s), reboots per node [${reboots.join(", ")}]`);
      if (rollouts !== 1) problems.push(`pool ${name} rolled out ${rollouts} times`);
      if (reboots.some((r) => r !== 1))
        problems.push(`pool ${name}: a node rebooted ${reboots.join("/")} times`);
    } else if (rollouts > 0)
      problems.push(`pool ${name}, which the profile does not select, rolled out ${rollouts} times`);
    if (!updated) problems.push(`pool ${name} is not Updated`);
    if (pool.spec?.paused) problems.push(`pool ${name} is still paused`);
  }
  if (tuned.length === 0) problems.push("no node is selected by the profile");
  return { ok: problems.length === 0, detail: problems.length ? problems.join("; ") : seen.join("; ") };
}

/** Pods of the workloads that were ever unschedulable (PodScheduled=False), recorded as it happens. */
export function watchUnschedulable(w: JourneyWorld): string[] {
  const seen: string[] = [];
  w.sim.api.on(["Pod"], (ev) => {
    const p = ev.object;
    const c = (p.status?.conditions ?? []).find((x: Obj) => x.type === "PodScheduled");
    const key = `${p.metadata.namespace}/${p.metadata.name}: ${c?.message ?? ""}`;
    if (
      c?.status === "False" &&
      !seen.some((s) => s.startsWith(`${p.metadata.namespace}/${p.metadata.name}:`))
    )
      seen.push(key);
  });
  return seen;
}

function measurements(cwd: string, label: string, run: string, file: RegExp): Obj[] {
  const dir = join(cwd, "results", label, run);
  const metrics = readdirSync(dir).find((d) => d.startsWith("collected-metrics"));
  if (!metrics) return [];
  return readdirSync(join(dir, metrics))
    .filter((f) => file.test(f))
    .flatMap((f) => JSON.parse(readFileSync(join(dir, metrics, f), "utf8")) as Obj[]);
}

/**
 * The tuned runs fit: every run of the tuned pods and VMs finished (kube-burner exit 0) with every
 * object it created started (a pod Ready, a VM Running and Ready, per kube-burner's measurements),
 * none of their pods was ever unschedulable, and the "after" jitter runs are stored.
 */
export function tunedFits(w: JourneyWorld, cwd: string, unschedulable: string[]): Verdict {
  const problems: string[] = [];
  const seen: string[] = [];
  for (const [label, file, ready] of [
    ["startup-tuned", /^podLatencyMeasurement-/, "podReadyLatency"],
    ["vm-startup-tuned", /^vmiLatencyMeasurement-/, "vmiRunningLatency"],
  ] as const) {
    const runs = runsOf(cwd, label);
    if (runs.length === 0) problems.push(`${label}: no run stored`);
    for (const run of runs) {
      const meta = JSON.parse(readFileSync(join(cwd, "results", label, run, "metadata.json"), "utf8"));
      const want = Number(meta.variables?.ITERATIONS);
      const docs = measurements(cwd, label, run, file);
      const started = docs.filter((d) => Number(d[ready]) > 0).length;
      seen.push(`${label}/${run}: ${started}/${want}`);
      if (meta.exitCode !== 0)
        problems.push(`${label}/${run}: kube-burner exit ${meta.exitCode} (${meta.exitMeaning})`);
      if (started !== want) problems.push(`${label}/${run}: ${started} of ${want} started`);
    }
  }
  for (const label of ["oslat-after", "cyclictest-after", "hwlatdetect-after"])
    if (runsOf(cwd, label).length === 0) problems.push(`${label}: no run stored`);
  const tunedPods = unschedulable.filter((u) => /^llw-tuned-|^llw-latency\//.test(u));
  if (tunedPods.length) problems.push(`unschedulable: ${tunedPods.slice(0, 3).join("; ")}`);
  const pending = w.sim.api
    .list("v1", "Pod")
    .filter((p) => p.status?.phase === "Pending")
    .map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
  if (pending.length) problems.push(`Pending pods: ${pending.join(", ")}`);
  return {
    ok: problems.length === 0,
    detail: problems.length ? problems.join("; ") : `every tuned object started: ${seen.join(", ")}`,
  };
}

/** Every `llw bench compare` printed its summary and verdicts. */
export function compared(outputs: { command: string; output: string }[]): Verdict {
  const compares = outputs.filter((o) => /llw bench compare /.test(o.command));
  const counts = compares.map((o) => (o.output.match(/\d+ regressed, \d+ improved/g) ?? []).length);
  const expected = compares.map((o) => (o.command.match(/llw bench compare /g) ?? []).length);
  const verdictRows = compares.map(
    (o) =>
      (o.output.match(/(improved|regressed|no significant change|too few samples|not tested)\s*$/gm) ?? [])
        .length,
  );
  const ok =
    compares.length > 0 && counts.every((c, i) => c === expected[i]) && verdictRows.every((r) => r > 0);
  return {
    ok,
    detail: `${compares.length} compare block(s): summaries ${counts.join("/")} of ${expected.join("/")}, verdict rows ${verdictRows.join("/")}`,
  };
}

/**
 * After the clean-up: nothing the guides created is left in the cluster or in AWS. What the
 * conclusion keeps on purpose stays out of the count: the OpenShift GitOps operator and the
 * worker-rt MachineConfigPool.
 */
export async function clean(w: JourneyWorld): Promise<Verdict> {
  const { api } = w.sim;
  const left: string[] = [];
  const has = (apiVersion: string, kind: string, pick: (o: Obj) => boolean = () => true) => {
    for (const o of api.list(apiVersion, kind).filter(pick))
      left.push(`${kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`);
  };
  has(
    "v1",
    "Namespace",
    (n) =>
      ["low-latency-workshop", "llw-latency", "openshift-cnv", "openshift-sriov-network-operator"].includes(
        n.metadata.name,
      ) || n.metadata.name.startsWith("llw-"),
  );
  has("performance.openshift.io/v2", "PerformanceProfile");
  has("argoproj.io/v1alpha1", "Application");
  has("k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition");
  has("sriovnetwork.openshift.io/v1", "SriovNetworkNodePolicy");
  has("kubevirt.io/v1", "VirtualMachine");
  has("hco.kubevirt.io/v1beta1", "HyperConverged");
  has("operators.coreos.com/v1alpha1", "Subscription", (s) => s.spec?.name !== "openshift-gitops-operator");
  has("machine.openshift.io/v1beta1", "MachineSet", (m) =>
    /metal/.test(m.spec?.template?.spec?.providerSpec?.value?.instanceType ?? ""),
  );
  has("machine.openshift.io/v1beta1", "Machine", (m) =>
    /metal/.test(m.spec?.providerSpec?.value?.instanceType ?? ""),
  );
  has("v1", "Node", (n) => /metal/.test(n.metadata.labels?.["node.kubernetes.io/instance-type"] ?? ""));
  const ec2 = w.aws.ec2;
  const tag = [{ Name: "tag:llw:infra-id", Values: [w.infra] }];
  for (const e of (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: tag })))
    .NetworkInterfaces ?? [])
    left.push(`ENI ${e.NetworkInterfaceId}`);
  for (const s of (await ec2.send(new DescribeSubnetsCommand({ Filters: tag }))).Subnets ?? [])
    left.push(`subnet ${s.SubnetId}`);
  for (const i of await liveInstances(ec2, w.infra))
    if (/metal/.test(String(i.InstanceType))) left.push(`instance ${i.InstanceId} (${i.InstanceType})`);
  const cfn = new CloudFormationClient({
    region: REGION,
    endpoint: w.aws.moto.endpoint,
    credentials: { ...MOTO_CREDENTIALS },
  });
  for (const s of (await cfn.send(new DescribeStacksCommand({}))).Stacks ?? [])
    if (s.StackStatus !== "DELETE_COMPLETE") left.push(`stack ${s.StackName} (${s.StackStatus})`);
  return {
    ok: left.length === 0,
    detail: left.length
      ? `left: ${left.join(", ")}`
      : "nothing of the workshop left in the cluster or in AWS",
  };
}
