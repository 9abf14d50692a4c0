/**
 * The journey's checkpoints: the points that carry the workshop's story, checked on the
 * simulated cluster, the EC2 emulator and the results directory. Each returns what it saw.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeNetworkInterfacesCommand, DescribeSubnetsCommand } from "@aws-sdk/client-ec2";
import { parse } from "yaml";
import { parseCpuList } from "../../src/lib/cpuset.ts";
import { ROOT } from "../helpers/tools.ts";
import { INFRA_ID, type JourneyWorld, REGION } from "./world.ts";

export interface Verdict {
  ok: boolean;
  detail: string;
}

const runsOf = (cwd: string, label: string): string[] => {
  const d = join(cwd, "results", label);
  return existsSync(d) ? readdirSync(d).filter((r) => existsSync(join(d, r, "metadata.json"))) : [];
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
  const profiles = w.api
    .list("performance.openshift.io/v2", "PerformanceProfile")
    .map((p) => p.metadata.name);
  return {
    ok: missing.length === 0 && profiles.length === 0,
    detail: `${labels.length - missing.length}/${labels.length} baseline labels recorded${missing.length ? ` (missing ${missing.join(", ")})` : ""}; PerformanceProfiles: ${profiles.join(", ") || "none"}`,
  };
}

/** After the tuning change set: the pool rolled out once, each of its nodes rebooted once. */
export function oneRollout(w: JourneyWorld, before: { rollouts: number; reboots: number }): Verdict {
  const nodes = w.api
    .list("v1", "Node")
    .filter((n) => "node-role.kubernetes.io/worker-rt" in (n.metadata.labels ?? {}))
    .map((n) => n.metadata.name as string);
  const rollouts = w.mco.rollouts - before.rollouts;
  const reboots = nodes.map((n) => w.mco.log.filter((l) => l === `reboot ${n}`).length);
  const pool = w.api.get("machineconfiguration.openshift.io/v1", "MachineConfigPool", "worker-rt");
  const updated =
    pool?.status?.conditions?.find((c: { type: string }) => c.type === "Updated")?.status === "True";
  return {
    ok: rollouts === 1 && reboots.every((r) => r === 1) && updated && !pool?.spec?.paused,
    detail: `pool worker-rt: ${rollouts} rollout(s), reboots per node [${reboots.join(", ")}], Updated=${updated}, paused=${Boolean(pool?.spec?.paused)}`,
  };
}

/**
 * The tuned runs fit the tuned node: each ran to completion (results stored), and what each run
 * asked for at once (pods x whole CPUs, VMs x (vCPUs + the emulator thread), 1Gi hugepages) fits
 * the profile's isolated CPUs and the node's hugepages, so no pod or VM of it would stay Pending.
 */
export function tunedFits(w: JourneyWorld, cwd: string): Verdict {
  const profile = w.api.list("performance.openshift.io/v2", "PerformanceProfile")[0];
  if (!profile) return { ok: false, detail: "no PerformanceProfile: nothing was tuned" };
  const isolated = parseCpuList(profile.spec.cpu.isolated).length;
  const node = w.api
    .list("v1", "Node")
    .find((n) => "node-role.kubernetes.io/worker-rt" in (n.metadata.labels ?? {}));
  const hugepages = Number.parseInt(node?.status?.allocatable?.["hugepages-1Gi"] ?? "0", 10);
  const vars = parse(readFileSync(join(ROOT, "benchmarks", "variables.yml"), "utf8")) as {
    workloads: Record<string, Record<string, { default: string }>>;
  };
  const problems: string[] = [];
  const seen: string[] = [];
  for (const [label, workload] of [
    ["startup-tuned", "tuned-pod"],
    ["vm-startup-tuned", "tuned-vm"],
  ] as const) {
    const runs = runsOf(cwd, label);
    if (runs.length === 0) problems.push(`${label}: no run stored`);
    for (const run of runs) {
      const meta = JSON.parse(readFileSync(join(cwd, "results", label, run, "metadata.json"), "utf8"));
      const v = {
        ...Object.fromEntries(Object.entries(vars.workloads[workload]!).map(([k, x]) => [k, x.default])),
        ...(meta.variables ?? {}),
      };
      const n = Number(v.ITERATIONS);
      const cpus = workload === "tuned-pod" ? n * Number(v.CPU) : n * (Number(v.VM_CORES) + 1);
      const gi =
        workload === "tuned-pod" ? n * Number(v.HUGEPAGES_GI ?? 0) : n * Number.parseInt(v.VM_MEMORY, 10);
      seen.push(`${label}/${run}: ${cpus} CPUs, ${gi}Gi hugepages`);
      if (cpus > isolated)
        problems.push(`${label}/${run}: ${cpus} exclusive CPUs asked, ${isolated} isolated`);
      if (gi > hugepages)
        problems.push(`${label}/${run}: ${gi} x 1Gi hugepages asked, ${hugepages} on the node`);
    }
  }
  for (const label of ["oslat-after", "cyclictest-after", "hwlatdetect-after"])
    if (runsOf(cwd, label).length === 0) problems.push(`${label}: no run stored`);
  const pending = w.api
    .list("v1", "Pod")
    .filter((p) => p.status?.phase === "Pending")
    .map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
  if (pending.length) problems.push(`Pending pods: ${pending.join(", ")}`);
  return {
    ok: problems.length === 0,
    detail: problems.length
      ? problems.join("; ")
      : `${seen.length} tuned runs fit ${isolated} isolated CPUs and ${hugepages} x 1Gi`,
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

/** After the clean-up: nothing of the workshop in the cluster or in AWS. */
export async function clean(w: JourneyWorld): Promise<Verdict> {
  const left: string[] = [];
  const has = (apiVersion: string, kind: string, ns?: string, names?: string[]) => {
    for (const o of w.api.list(apiVersion, kind, ns))
      if (!names || names.includes(o.metadata.name)) left.push(`${kind} ${o.metadata.name}`);
  };
  has("v1", "Namespace", undefined, ["low-latency-workshop", "llw-latency"]);
  has("performance.openshift.io/v2", "PerformanceProfile");
  has("argoproj.io/v1alpha1", "Application");
  has("k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition");
  has("sriovnetwork.openshift.io/v1", "SriovNetworkNodePolicy");
  has("kubevirt.io/v1", "VirtualMachine");
  has("hco.kubevirt.io/v1beta1", "HyperConverged");
  const ec2 = w.moto.ec2(REGION);
  const tag = [{ Name: "tag:llw:infra-id", Values: [INFRA_ID] }];
  const enis =
    (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: tag }))).NetworkInterfaces ?? [];
  const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: tag }))).Subnets ?? [];
  for (const e of enis) left.push(`ENI ${e.NetworkInterfaceId}`);
  for (const s of subnets) left.push(`subnet ${s.SubnetId}`);
  return {
    ok: left.length === 0,
    detail: left.length
      ? `left: ${left.join(", ")}`
      : "nothing of the workshop left in the cluster or in AWS",
  };
}
