/**
 * The checks of `llw doctor`. Each is a small pure function of the cluster facts it needs and
 * returns PASS / WARN / FAIL (or SKIP when it cannot apply) with the evidence it saw and, when
 * not passing, the fix. To add a check, add an entry to CHECKS.
 */
import { formatCpuList, parseCpuList } from "../../lib/cpuset.ts";
import type { KubeObject } from "../kube.ts";
import { condition } from "../olm.ts";
import { selectorMatches } from "../tune-plan.ts";
import type { ClusterFacts } from "./facts.ts";
import { expectedSysfsIsolated, missingKernelArgs, nodeCpus } from "./kernel-args.ts";
import {
  argoInstanceCheck,
  dataNetworkCheck,
  hcoRuntimeClassCheck,
  vmDrainCheck,
  vmImageCheck,
} from "./workshop-checks.ts";

export { expectedKernelArgs } from "./kernel-args.ts";

export type Status = "PASS" | "WARN" | "FAIL" | "SKIP";

export interface CheckResult {
  status: Status;
  evidence: string;
  fix?: string;
}

export interface Check {
  id: string;
  title: string;
  /** What a PASS proves, for --list-checks. */
  proves: string;
  run(f: ClusterFacts): CheckResult;
}

/** Oldest supported and newest tested OpenShift minor versions. */
export const SUPPORTED = { min: [4, 19], maxTested: [4, 22] } as const;

export const OPERATORS = [
  { pkg: "sriov-network-operator", namespace: "openshift-sriov-network-operator", required: true },
  { pkg: "kubevirt-hyperconverged", namespace: "openshift-cnv", required: true },
  { pkg: "openshift-gitops-operator", namespace: "openshift-gitops-operator", required: false },
];

const pass = (evidence: string): CheckResult => ({ status: "PASS", evidence });
const warn = (evidence: string, fix: string): CheckResult => ({ status: "WARN", evidence, fix });
const fail = (evidence: string, fix: string): CheckResult => ({ status: "FAIL", evidence, fix });
const skip = (evidence: string): CheckResult => ({ status: "SKIP", evidence });

export function openshiftVersion(f: ClusterFacts): [number, number, string] | undefined {
  const v: string | undefined =
    f.clusterVersion?.status?.history?.find((h: { state: string }) => h.state === "Completed")?.version ??
    f.clusterVersion?.status?.desired?.version;
  const m = v?.match(/^(\d+)\.(\d+)/);
  return m ? [Number(m[1]), Number(m[2]), v!] : undefined;
}

const cmp = (a: readonly (number | string)[], b: readonly number[]) =>
  (Number(a[0]) - b[0]!) * 1000 + (Number(a[1]) - b[1]!);

function isWorker(n: KubeObject): boolean {
  const l = n.metadata.labels ?? {};
  return (
    "node-role.kubernetes.io/worker" in l &&
    !("node-role.kubernetes.io/master" in l) &&
    !("node-role.kubernetes.io/control-plane" in l)
  );
}

function instanceType(n: KubeObject): string {
  return (
    n.metadata.labels?.["node.kubernetes.io/instance-type"] ??
    n.metadata.labels?.["beta.kubernetes.io/instance-type"] ??
    "unknown"
  );
}

export function isMetal(type: string): boolean {
  return /\.metal(-|$)/.test(type);
}

/** Kubernetes quantity ("16Gi", "2048Mi", "500m", "4") in base units. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === "number") return q;
  const m = String(q).match(/^([0-9.]+)([a-zA-Z]*)$/);
  if (!m) return Number.NaN;
  const mult: Record<string, number> = {
    "": 1,
    m: 1e-3,
    k: 1e3,
    K: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(m[1]) * (mult[m[2]!] ?? Number.NaN);
}

const PAGE_BYTES: Record<string, number> = { "1G": 2 ** 30, "2M": 2 ** 21 };
const PAGE_RESOURCE: Record<string, string> = { "1G": "hugepages-1Gi", "2M": "hugepages-2Mi" };

export function profileNodes(p: KubeObject, nodes: KubeObject[]): KubeObject[] {
  return nodes.filter((n) => selectorMatches({ matchLabels: p.spec?.nodeSelector ?? {} }, n.metadata.labels));
}

function csvFor(f: ClusterFacts, pkg: string, namespace: string): { sub?: KubeObject; csv?: KubeObject } {
  const sub =
    f.subscriptions.find((s) => s.spec?.name === pkg && s.metadata.namespace === namespace) ??
    f.subscriptions.find((s) => s.spec?.name === pkg);
  const name: string | undefined = sub?.status?.installedCSV ?? sub?.status?.currentCSV;
  const csv =
    f.csvs.find((c) => c.metadata.name === name && c.metadata.namespace === sub?.metadata.namespace) ??
    f.csvs.find(
      (c) => c.metadata.namespace === namespace && c.metadata.name?.startsWith(pkg.replace(/-operator$/, "")),
    );
  return { ...(sub ? { sub } : {}), ...(csv ? { csv } : {}) };
}

function operatorCheck(pkg: string, namespace: string, required: boolean): Check {
  return {
    id: `operator-${pkg}`,
    title: `Operator ${pkg} installed`,
    proves: `the ${pkg} Subscription exists in ${namespace} and its CSV reached phase Succeeded`,
    run(f) {
      const { sub, csv } = csvFor(f, pkg, namespace);
      const install = "run `llw install` (or `llw install --direct`)";
      if (!sub && !csv)
        return required
          ? fail(`no Subscription for ${pkg}`, install)
          : warn(`no Subscription for ${pkg} (needed for GitOps mode only)`, install);
      const phase: string = csv?.status?.phase ?? "no CSV yet";
      if (phase === "Succeeded")
        return pass(`CSV ${csv!.metadata.name} Succeeded in ${csv!.metadata.namespace}`);
      const msg = csv?.status?.message ? `: ${csv.status.message}` : "";
      return fail(
        `CSV ${csv?.metadata.name ?? sub?.status?.currentCSV ?? "?"} ${phase}${msg}`,
        `inspect \`oc get csv,installplan,subscription -n ${namespace}\`; \`llw install\` reports the reason`,
      );
    },
  };
}

function sriovCheck(f: ClusterFacts): CheckResult {
  const v = openshiftVersion(f);
  if (v && cmp(v, [4, 22]) < 0) {
    // 4.19-4.21: the SR-IOV operator has no AWS support, ENA interfaces are consumed as host-device networks.
    const hostDevice = f.networkAttachments.filter((n) =>
      /"type"\s*:\s*"host-device"/.test(n.spec?.config ?? ""),
    );
    if (hostDevice.length === 0) {
      return fail(
        `OpenShift ${v[2]}: the SR-IOV operator cannot see ENA devices before 4.22, and no host-device NetworkAttachmentDefinition exists`,
        "generate them with `llw sriov generate` and apply the SR-IOV overlay (gitops/overlays/aws/sriov)",
      );
    }
    return pass(
      `OpenShift ${v[2]}: host-device networks ${hostDevice.map((n) => `${n.metadata.namespace}/${n.metadata.name}`).join(", ")}`,
    );
  }
  if (f.sriovNodeStates.length === 0)
    return fail(
      "no SriovNetworkNodeState: the SR-IOV operator is not running",
      "install the SR-IOV Network Operator (`llw install`)",
    );
  const notSynced = f.sriovNodeStates.filter((s) => s.status?.syncStatus !== "Succeeded");
  if (notSynced.length > 0) {
    return fail(
      `node states not synced: ${notSynced.map((s) => `${s.metadata.name}=${s.status?.syncStatus ?? "unknown"}${s.status?.lastSyncError ? ` (${s.status.lastSyncError})` : ""}`).join(", ")}`,
      "check the sriov-config-daemon pods in openshift-sriov-network-operator",
    );
  }
  const missing: string[] = [];
  for (const pol of f.sriovPolicies) {
    const res = `openshift.io/${pol.spec?.resourceName}`;
    const nodes = f.nodes.filter((n) =>
      selectorMatches({ matchLabels: pol.spec?.nodeSelector ?? {} }, n.metadata.labels),
    );
    for (const n of nodes)
      if (parseQuantity(n.status?.allocatable?.[res]) < 1) missing.push(`${n.metadata.name} has no ${res}`);
  }
  if (missing.length > 0)
    return fail(
      missing.join("; "),
      "check the policy's nicSelector.netFilter matches the extra ENI's subnet (`llw sriov detect`)",
    );
  return pass(
    `${f.sriovNodeStates.length} node state(s) synced; ${f.sriovPolicies.length} policy resource(s) allocatable`,
  );
}

export const CHECKS: Check[] = [
  {
    id: "openshift-version",
    title: "OpenShift version supported",
    proves: `the cluster runs OpenShift ${SUPPORTED.min.join(".")} or newer (tested up to ${SUPPORTED.maxTested.join(".")})`,
    run(f) {
      const v = openshiftVersion(f);
      if (!v)
        return fail(
          "no ClusterVersion: is this OpenShift?",
          "the workshop needs OpenShift 4.19+ (ClusterVersion config.openshift.io/v1 named version)",
        );
      if (cmp(v, SUPPORTED.min) < 0)
        return fail(`OpenShift ${v[2]}`, `upgrade to ${SUPPORTED.min.join(".")} or newer`);
      if (cmp(v, SUPPORTED.maxTested) > 0)
        return warn(
          `OpenShift ${v[2]} is newer than tested (${SUPPORTED.maxTested.join(".")})`,
          "it probably works; report any difference",
        );
      return pass(`OpenShift ${v[2]}`);
    },
  },
  {
    id: "platform-aws",
    title: "Platform is AWS",
    proves:
      "Infrastructure/cluster reports platform AWS (the workshop's networking and instance checks assume it)",
    run(f) {
      const p: string | undefined =
        f.infrastructure?.status?.platformStatus?.type ?? f.infrastructure?.status?.platform;
      if (!p) return fail("no Infrastructure/cluster object", "run against an OpenShift cluster");
      const region = f.infrastructure?.status?.platformStatus?.aws?.region;
      return p === "AWS"
        ? pass(`AWS${region ? ` (${region})` : ""}`)
        : fail(`platform ${p}`, "the workshop targets OpenShift on AWS with EC2 metal workers");
    },
  },
  {
    id: "metal-workers",
    title: "Workers are EC2 metal instances",
    proves:
      "at least one worker is a *.metal instance (needed for isolated CPUs without a hypervisor, KVM and SR-IOV)",
    run(f) {
      const workers = f.nodes.filter(isWorker);
      if (workers.length === 0) return fail("no worker nodes", "add metal workers: `llw aws machineset`");
      const metal = workers.filter((n) => isMetal(instanceType(n)));
      const types = [...new Set(workers.map(instanceType))].join(", ");
      if (metal.length === 0)
        return fail(
          `no metal worker (types: ${types})`,
          "add a metal MachineSet: `llw aws machineset --instance-type c5.metal`",
        );
      if (metal.length < workers.length)
        return warn(
          `${metal.length}/${workers.length} workers are metal (${types})`,
          "only metal workers get the low-latency profile; that is fine if intended",
        );
      return pass(`${metal.length} metal worker(s): ${types}`);
    },
  },
  ...OPERATORS.map((o) => operatorCheck(o.pkg, o.namespace, o.required)),
  {
    id: "argocd-applications",
    title: "Argo CD Applications synced and healthy",
    proves: "every Argo CD Application is Synced and Healthy (GitOps mode)",
    run(f) {
      if (f.applications.length === 0)
        return warn(
          "no Argo CD Application (installed with --direct, or GitOps not installed)",
          "`llw install` installs the app of apps",
        );
      const bad = f.applications.filter(
        (a) => a.status?.sync?.status !== "Synced" || a.status?.health?.status !== "Healthy",
      );
      if (bad.length > 0) {
        return fail(
          bad
            .map(
              (a) =>
                `${a.metadata.name}: ${a.status?.sync?.status ?? "Unknown"}/${a.status?.health?.status ?? "Unknown"}${a.status?.health?.message ? ` (${a.status.health.message})` : ""}`,
            )
            .join("; "),
          "open the Argo CD console or `oc get applications -n openshift-gitops -o wide`; fix the failing resource and sync",
        );
      }
      return pass(`${f.applications.length} Application(s) Synced and Healthy`);
    },
  },
  argoInstanceCheck,
  {
    id: "performance-profile",
    title: "PerformanceProfile available, RuntimeClass present",
    proves:
      "a PerformanceProfile exists with Available=True and Degraded=False, and its RuntimeClass performance-<name> exists",
    run(f) {
      if (f.performanceProfiles.length === 0)
        return fail("no PerformanceProfile", "generate one (`llw generate`) and apply it (`llw tune apply`)");
      const problems: string[] = [];
      const ok: string[] = [];
      for (const p of f.performanceProfiles) {
        const name = p.metadata.name!;
        const rc = p.status?.runtimeClass ?? `performance-${name}`;
        const avail = condition(p, "Available");
        const degraded = condition(p, "Degraded");
        if (avail?.status !== "True") problems.push(`${name}: Available=${avail?.status ?? "missing"}`);
        if (degraded?.status === "True")
          problems.push(`${name}: Degraded (${degraded.message || degraded.reason})`);
        if (!f.runtimeClasses.some((r) => r.metadata.name === rc))
          problems.push(`${name}: RuntimeClass ${rc} missing`);
        else ok.push(`${name} (RuntimeClass ${rc})`);
      }
      if (problems.length > 0)
        return fail(
          problems.join("; "),
          "`oc describe performanceprofile`; the Node Tuning Operator's logs give the cause",
        );
      return pass(`available: ${ok.join(", ")}`);
    },
  },
  {
    id: "machineconfigpool-updated",
    title: "MachineConfigPools updated",
    proves:
      "every MachineConfigPool is Updated, not Degraded and not paused (the tuning is in effect on every node)",
    run(f) {
      if (f.pools.length === 0) return fail("no MachineConfigPool", "run against an OpenShift cluster");
      const bad: string[] = [];
      let warnOnly = true;
      for (const p of f.pools) {
        const name = p.metadata.name;
        if (condition(p, "Degraded")?.status === "True") {
          bad.push(`${name} Degraded: ${condition(p, "Degraded")?.message}`);
          warnOnly = false;
        } else if (condition(p, "Updated")?.status !== "True") {
          bad.push(`${name} updating ${p.status?.updatedMachineCount ?? 0}/${p.status?.machineCount ?? 0}`);
          warnOnly = false;
        }
        if (p.spec?.paused) bad.push(`${name} paused`);
      }
      if (bad.length === 0)
        return pass(
          f.pools
            .map((p) => `${p.metadata.name} ${p.status?.updatedMachineCount}/${p.status?.machineCount}`)
            .join(", "),
        );
      const fix =
        "wait for the rollout (`oc get mcp -w`); a paused pool is unpaused by `llw tune apply`; a degraded one needs the node's machineconfiguration.openshift.io/reason";
      return warnOnly ? warn(bad.join("; "), fix) : fail(bad.join("; "), fix);
    },
  },
  {
    id: "hugepages",
    title: "Hugepages allocatable as the profile asks",
    proves:
      "each node a PerformanceProfile selects reports allocatable hugepages equal to the profile's pages",
    run(f) {
      const withPages = f.performanceProfiles.filter((p) => (p.spec?.hugepages?.pages ?? []).length > 0);
      if (withPages.length === 0) return skip("no PerformanceProfile asks for hugepages");
      const bad: string[] = [];
      const good: string[] = [];
      for (const p of withPages) {
        const want = new Map<string, number>();
        for (const pg of p.spec.hugepages.pages as { size: string; count: number }[])
          want.set(pg.size, (want.get(pg.size) ?? 0) + pg.count);
        const nodes = profileNodes(p, f.nodes);
        if (nodes.length === 0) bad.push(`${p.metadata.name} selects no node`);
        for (const n of nodes) {
          for (const [size, count] of want) {
            const have =
              parseQuantity(n.status?.allocatable?.[PAGE_RESOURCE[size] ?? ""]) / (PAGE_BYTES[size] ?? 1);
            if (have !== count) bad.push(`${n.metadata.name}: ${have} x ${size}, profile asks ${count}`);
            else good.push(`${n.metadata.name}: ${count} x ${size}`);
          }
        }
      }
      if (bad.length > 0)
        return fail(
          bad.join("; "),
          "wait for the pool rollout; if it is done, check the node's memory per NUMA node can hold the pages",
        );
      return pass(good.join(", "));
    },
  },
  {
    id: "kvm",
    title: "KVM available for VMs",
    proves:
      "metal workers advertise devices.kubevirt.io/kvm (hardware virtualisation exposed to OpenShift Virtualization)",
    run(f) {
      const metal = f.nodes.filter((n) => isWorker(n) && isMetal(instanceType(n)));
      if (metal.length === 0) return skip("no metal worker");
      const kvm = metal.filter((n) => parseQuantity(n.status?.allocatable?.["devices.kubevirt.io/kvm"]) > 0);
      if (kvm.length === 0)
        return fail(
          `no metal worker advertises devices.kubevirt.io/kvm (${metal.length} checked)`,
          "install OpenShift Virtualization and create the HyperConverged (`llw install`); only metal instances expose KVM",
        );
      if (kvm.length < metal.length)
        return warn(
          `${kvm.length}/${metal.length} metal workers advertise KVM`,
          "check virt-handler pods on the others",
        );
      return pass(`${kvm.length} metal worker(s) with devices.kubevirt.io/kvm`);
    },
  },
  {
    id: "hyperconverged",
    title: "OpenShift Virtualization available",
    proves: "the HyperConverged kubevirt-hyperconverged in openshift-cnv is Available and not Degraded",
    run(f) {
      const hco =
        f.hyperConverged.find((h) => h.metadata.name === "kubevirt-hyperconverged") ?? f.hyperConverged[0];
      if (!hco) return fail("no HyperConverged", "install OpenShift Virtualization (`llw install`)");
      const a = condition(hco, "Available");
      const d = condition(hco, "Degraded");
      if (a?.status !== "True" || d?.status === "True")
        return fail(
          `Available=${a?.status ?? "missing"}${d?.status === "True" ? `, Degraded: ${d.message}` : ""}`,
          "`oc get hyperconverged -n openshift-cnv -o yaml` shows which component is not ready",
        );
      return pass(`${hco.metadata.namespace}/${hco.metadata.name} Available`);
    },
  },
  hcoRuntimeClassCheck,
  vmDrainCheck,
  vmImageCheck,
  {
    id: "sriov",
    title: "SR-IOV networks usable",
    proves:
      "on 4.22+: SR-IOV node states synced and every policy's resource allocatable on its nodes; on 4.19-4.21: host-device networks for the extra ENIs exist",
    run: sriovCheck,
  },
  dataNetworkCheck,
  {
    id: "node-cpus",
    title: "Isolated/reserved CPUs and kernel arguments in effect",
    proves:
      "on each node a PerformanceProfile selects, read through a debug pod: the booted kernel command line carries the profile's CPU isolation (rcu_nocbs, nohz_full, systemd.cpu_affinity on every CPU not isolated), default_hugepagesz and hugepagesz/hugepages for each page size not pinned to a NUMA node, and the extra arguments; with balanceIsolated false, the kernel's isolated CPUs",
    run(f) {
      if (!f.probes) return skip("node access skipped (--no-node-access)");
      if (f.performanceProfiles.length === 0) return skip("no PerformanceProfile");
      const bad: string[] = [];
      const good: string[] = [];
      for (const p of f.performanceProfiles) {
        for (const n of profileNodes(p, f.nodes)) {
          const probe = f.probes.find((x) => x.node === n.metadata.name);
          if (!probe || probe.error || probe.cmdline === undefined) {
            bad.push(`${n.metadata.name}: could not read (${probe?.error ?? "not probed"})`);
            continue;
          }
          const missing = missingKernelArgs(p, probe.cmdline, nodeCpus(n, probe.present));
          const sysfs = expectedSysfsIsolated(p);
          const seen = probe.isolated?.trim() ? formatCpuList(parseCpuList(probe.isolated.trim())) : "";
          if (missing.length > 0) bad.push(`${n.metadata.name}: missing ${missing.join(" ")}`);
          else if (sysfs !== undefined && seen !== sysfs)
            bad.push(
              `${n.metadata.name}: /sys/devices/system/cpu/isolated is "${seen}", profile isolates ${sysfs}`,
            );
          else
            good.push(
              `${n.metadata.name}: isolated ${p.spec?.cpu?.isolated}, reserved ${p.spec?.cpu?.reserved}`,
            );
        }
      }
      if (bad.length > 0)
        return fail(
          bad.join("; "),
          "the node has not rebooted into the profile yet: wait for the pool (`llw tune apply` follows it), or check the Tuned profile status (`oc get profiles.tuned.openshift.io -A`)",
        );
      if (good.length === 0) return skip("no node selected by a PerformanceProfile");
      return pass(good.join("; "));
    },
  },
];

export interface CheckOutcome extends CheckResult {
  id: string;
  title: string;
}

/** Runs every check; a check that throws is a FAIL naming the bug, not a crash of the report. */
export function runChecks(f: ClusterFacts, checks: Check[] = CHECKS): CheckOutcome[] {
  return checks.map((c) => {
    try {
      return { id: c.id, title: c.title, ...c.run(f) };
    } catch (e) {
      return {
        id: c.id,
        title: c.title,
        status: "FAIL" as const,
        evidence: `the check crashed: ${(e as Error).message}`,
        fix: "this is a bug in llw; please report it",
      };
    }
  });
}
