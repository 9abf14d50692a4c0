/**
 * Doctor checks of what the workshop itself deploys and what breaks it on a real cluster: the
 * VMs' runtime class, image and eviction strategy, the Argo CD instance, and the AWS data
 * network. Pure functions of the facts, like the checks in checks.ts.
 */
import { describeSupport, imageSupport } from "../../kubevirt/image-support.ts";
import type { KubeObject } from "../kube.ts";
import { condition } from "../olm.ts";
import type { CheckResult, Check as DoctorCheck } from "./checks.ts";
import type { ClusterFacts } from "./facts.ts";

const pass = (evidence: string): CheckResult => ({ status: "PASS", evidence });
const warn = (evidence: string, fix: string): CheckResult => ({ status: "WARN", evidence, fix });
const fail = (evidence: string, fix: string): CheckResult => ({ status: "FAIL", evidence, fix });
const skip = (evidence: string): CheckResult => ({ status: "SKIP", evidence });

const id = (o: KubeObject) => `${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

function hco(f: ClusterFacts): KubeObject | undefined {
  return f.hyperConverged.find((h) => h.metadata.name === "kubevirt-hyperconverged") ?? f.hyperConverged[0];
}

function selects(selector: Record<string, string> | undefined, n: KubeObject): boolean {
  const labels = n.metadata.labels ?? {};
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

function isWorker(n: KubeObject): boolean {
  const l = n.metadata.labels ?? {};
  return "node-role.kubernetes.io/worker" in l && !("node-role.kubernetes.io/master" in l);
}

/**
 * HyperConverged spec.defaultRuntimeClass is given to every virt-launcher pod; a RuntimeClass
 * that does not exist makes the API server reject the pod (RuntimeClass admission), so no VM
 * starts. The performance-<profile> class is created by the Node Tuning Operator with the profile.
 */
export const hcoRuntimeClassCheck: DoctorCheck = {
  id: "hco-runtime-class",
  title: "The VMs' runtime class exists",
  proves:
    "the RuntimeClass that HyperConverged spec.defaultRuntimeClass names exists (else every VM's virt-launcher pod is rejected)",
  run(f) {
    const h = hco(f);
    if (!h) return skip("no HyperConverged");
    const rc: string | undefined = h.spec?.defaultRuntimeClass;
    const classes = f.runtimeClasses.map((r) => r.metadata.name!);
    if (!rc) {
      if (f.performanceProfiles.length === 0)
        return skip("no defaultRuntimeClass and no PerformanceProfile yet (an untuned cluster)");
      const mine = f.performanceProfiles.map(
        (p) => p.status?.runtimeClass ?? `performance-${p.metadata.name}`,
      );
      return warn(
        `PerformanceProfile ${f.performanceProfiles.map((p) => p.metadata.name).join(", ")} exists but the HyperConverged sets no defaultRuntimeClass: the low-latency VM runs without the profile's runtime class, so its CRI-O annotations have no effect`,
        `apply gitops/overlays/aws/<instance type>/hyperconverged (defaultRuntimeClass: ${mine[0]})`,
      );
    }
    if (classes.includes(rc)) {
      const owner = f.performanceProfiles.find(
        (p) => (p.status?.runtimeClass ?? `performance-${p.metadata.name}`) === rc,
      );
      return pass(
        `defaultRuntimeClass ${rc} exists${owner ? ` (PerformanceProfile ${owner.metadata.name})` : ""}`,
      );
    }
    const perf = classes.filter((c) => c.startsWith("performance-"));
    const profile = rc.startsWith("performance-") ? rc.slice("performance-".length) : undefined;
    return fail(
      `HyperConverged defaultRuntimeClass ${rc} does not exist: every VM's virt-launcher pod is rejected${perf.length > 0 ? ` (existing: ${perf.join(", ")})` : " (no performance RuntimeClass exists)"}`,
      profile && !f.performanceProfiles.some((p) => p.metadata.name === profile)
        ? `apply PerformanceProfile ${profile} (its RuntimeClass comes with it: llw tune apply), or point defaultRuntimeClass at ${perf[0] ?? "an existing class"} with the overlay of your instance type (gitops/overlays/aws/<type>/hyperconverged)`
        : "wait for the Node Tuning Operator to create it (`oc get performanceprofile -o yaml` shows why not)",
    );
  },
};

/** The eviction strategy a VMI gets: its own, else the HyperConverged's, else HCO's default. */
export function vmiEvictionStrategy(f: ClusterFacts, vmi: KubeObject): { value: string; from: string } {
  if (vmi.spec?.evictionStrategy) return { value: vmi.spec.evictionStrategy, from: "its own" };
  const h = hco(f)?.spec?.evictionStrategy;
  if (h) return { value: h, from: "the HyperConverged's" };
  // HCO's default: LiveMigrate with several workers, None with one (HyperConverged CRD,
  // spec.evictionStrategy, kubevirt/hyperconverged-cluster-operator release-1.15).
  const workers = f.nodes.filter(isWorker).length;
  return { value: workers > 1 ? "LiveMigrate" : "None", from: `HCO's default with ${workers} worker(s)` };
}

/**
 * A VMI on a tuned node whose eviction strategy is not None is evacuated by live migration when
 * the node drains (KubeVirt's pod eviction webhook refuses the eviction meanwhile): with no other
 * node its runtime class may run on, the migration never finds a target and the drain, and with
 * it the MachineConfigPool rollout, waits forever.
 */
export const vmDrainCheck: DoctorCheck = {
  id: "vm-drain",
  title: "No VM on a tuned node blocks a drain",
  proves:
    "every running VM on a node a PerformanceProfile selects has evictionStrategy None (its own or the HyperConverged's), or another tuned node to live-migrate to",
  run(f) {
    if (f.performanceProfiles.length === 0) return skip("no PerformanceProfile: no tuned node");
    if (f.unreadable.some((u) => u.startsWith("VirtualMachineInstance")))
      return warn(
        `cannot list VirtualMachineInstances: ${f.unreadable.join("; ")}`,
        "run llw doctor as a cluster admin",
      );
    const tuned = new Map<string, KubeObject>();
    for (const p of f.performanceProfiles)
      for (const n of f.nodes.filter((n) => selects(p.spec?.nodeSelector, n))) tuned.set(n.metadata.name!, p);
    const on = f.virtualMachineInstances.filter((v) => tuned.has(v.status?.nodeName ?? ""));
    if (on.length === 0)
      return pass(`no running VM on the tuned node(s) ${[...tuned.keys()].join(", ") || "(none)"}`);
    const blocked: string[] = [];
    const risky: string[] = [];
    for (const vmi of on) {
      const node = vmi.status.nodeName as string;
      const es = vmiEvictionStrategy(f, vmi);
      if (es.value === "None") continue;
      const profile = tuned.get(node)!;
      const targets = f.nodes.filter(
        (n) => n.metadata.name !== node && !n.spec?.unschedulable && selects(profile.spec?.nodeSelector, n),
      );
      const migratable = condition(vmi, "LiveMigratable")?.status !== "False";
      const what = `VMI ${id(vmi)} on ${node}: evictionStrategy ${es.value} (${es.from})`;
      if (!migratable)
        blocked.push(`${what}, not live-migratable (${condition(vmi, "LiveMigratable")?.reason ?? "?"})`);
      else if (targets.length === 0)
        blocked.push(
          `${what}, and no other node of PerformanceProfile ${profile.metadata.name} to migrate to`,
        );
      else
        risky.push(
          `${what}: migrates only if ${targets.map((t) => t.metadata.name).join(" or ")} has room for its dedicated CPUs and hugepages`,
        );
    }
    const fix =
      'set evictionStrategy: None: on the VM (spec.template.spec.evictionStrategy) or for every VM with `oc patch hyperconverged kubevirt-hyperconverged -n openshift-cnv --type merge -p \'{"spec":{"evictionStrategy":"None"}}\'` (the workshop\'s tree sets both)';
    if (blocked.length > 0)
      return fail(
        `${blocked.join("; ")}: the next drain of that node (every MachineConfigPool rollout) never finishes`,
        fix,
      );
    if (risky.length > 0) return warn(risky.join("; "), fix);
    return pass(`${on.length} VM(s) on tuned nodes, all with evictionStrategy None`);
  },
};

/** Images the VMs boot from: containerDisks of running VMIs and of VM templates. */
function vmImages(f: ClusterFacts): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (image: string, who: string) => out.set(image, [...(out.get(image) ?? []), who]);
  for (const vm of f.virtualMachines)
    for (const v of vm.spec?.template?.spec?.volumes ?? [])
      if (v.containerDisk?.image) add(v.containerDisk.image, `VM ${id(vm)}`);
  for (const vmi of f.virtualMachineInstances)
    for (const v of vmi.spec?.volumes ?? [])
      if (v.containerDisk?.image && !f.virtualMachines.some((vm) => id(vm) === id(vmi)))
        add(v.containerDisk.image, `VMI ${id(vmi)}`);
  return out;
}

export const vmImageCheck: DoctorCheck = {
  id: "vm-images",
  title: "VM images are supported releases",
  proves:
    "every VM's containerDisk is a distribution release still supported today (llw's dated table: Fedora, CentOS Stream, Ubuntu, Debian), so the guest can install the lab's tools",
  run(f) {
    const images = vmImages(f);
    if (images.size === 0) return skip("no VM");
    const failed: string[] = [];
    const warned: string[] = [];
    const ok: string[] = [];
    for (const [image, who] of images) {
      const s = imageSupport(image, f.now);
      const text = describeSupport(image, s, f.now);
      const line = `${text ?? image} (${who.join(", ")})`;
      if (s.status === "end-of-life") failed.push(line);
      else if (text) warned.push(line);
      else
        ok.push(
          `${image}${s.status === "supported" ? ` (supported until ${s.endOfLife})` : " (not a tracked distribution)"}`,
        );
    }
    const fix =
      "boot a supported release: the workshop's VMs use quay.io/containerdisks/centos-stream:10 (gitops/base); `llw lint . --workshop-date <day>` checks a planned date";
    if (failed.length > 0) return fail(failed.join("; "), fix);
    if (warned.length > 0) return warn(warned.join("; "), fix);
    return pass(ok.join(", "));
  },
};

const GITOPS_NS = "openshift-gitops";
const CONTROLLER_SA = "openshift-gitops-argocd-application-controller";

/**
 * The Argo CD instance the workshop syncs with is the operator's default one, with what the
 * operator gives it (redhat-developer/gitops-operator, master, controllers/argocd/argocd.go
 * NewCR: server route enabled, Dex with OpenShift OAuth, RBAC policy
 * "g, system:cluster-admins, role:admin"), plus the workshop's cluster-admin binding for the
 * application controller (gitops/operators/openshift-gitops-operator/instance): without it the
 * controller cannot apply PerformanceProfiles or MachineConfigPools.
 */
export const argoInstanceCheck: DoctorCheck = {
  id: "argocd-instance",
  title: "Argo CD instance has its route, login and RBAC",
  proves:
    "ArgoCD openshift-gitops has an admitted route, OpenShift login (Dex), RBAC giving cluster-admins role:admin, and its application controller a cluster-admin binding",
  run(f) {
    const gitopsSub = f.subscriptions.some((s) => s.spec?.name === "openshift-gitops-operator");
    const argo = f.argoCds.find((a) => a.metadata.name === GITOPS_NS && a.metadata.namespace === GITOPS_NS);
    if (!argo && !gitopsSub) return skip("OpenShift GitOps not installed (installed with --direct)");
    if (f.unreadable.some((u) => /^(ArgoCD|Route|ClusterRoleBinding)/.test(u)))
      return warn(`cannot read: ${f.unreadable.join("; ")}`, "run llw doctor as a cluster admin");
    if (!argo)
      return fail(
        `no ArgoCD ${GITOPS_NS}/${GITOPS_NS}: the operator creates its default instance once its CSV succeeds`,
        "check the operator (`oc get csv -n openshift-gitops-operator`); `llw install` waits for the instance before it configures it",
      );
    const problems: string[] = [];
    if (argo.spec?.server?.route?.enabled !== true)
      problems.push("spec.server.route.enabled is not true (no console URL)");
    const route = f.routes.find((r) => r.metadata.name === `${GITOPS_NS}-server`);
    const admitted = route?.status?.ingress?.some((i: KubeObject["status"]) =>
      i.conditions?.some(
        (c: { type: string; status: string }) => c.type === "Admitted" && c.status === "True",
      ),
    );
    if (!route) problems.push(`no Route ${GITOPS_NS}/${GITOPS_NS}-server`);
    else if (!admitted) problems.push(`Route ${GITOPS_NS}-server is not admitted by the router`);
    if (argo.spec?.sso?.provider !== "dex" || argo.spec?.sso?.dex?.openShiftOAuth !== true)
      problems.push("no OpenShift login (spec.sso: dex with openShiftOAuth)");
    const policy: string = argo.spec?.rbac?.policy ?? "";
    if (!/^\s*g,\s*(system:)?cluster-admins,\s*role:admin\s*$/m.test(policy))
      problems.push("RBAC does not give cluster-admins role:admin (spec.rbac.policy)");
    const bound = f.clusterRoleBindings.some(
      (b) =>
        b.roleRef?.name === "cluster-admin" &&
        (b.subjects ?? []).some(
          (s: { kind: string; name: string; namespace?: string }) =>
            s.kind === "ServiceAccount" && s.name === CONTROLLER_SA && s.namespace === GITOPS_NS,
        ),
    );
    if (!bound)
      problems.push(
        `ServiceAccount ${GITOPS_NS}/${CONTROLLER_SA} has no cluster-admin binding: it cannot apply the tuning`,
      );
    if (problems.length > 0)
      return fail(
        problems.join("; "),
        "let the operator create its default instance and patch it rather than create it (`llw install` does), and apply gitops/operators/openshift-gitops-operator/instance",
      );
    return pass(
      `route ${route!.spec?.host ?? route!.metadata.name}, OpenShift login, cluster-admins role:admin, controller bound to cluster-admin`,
    );
  },
};

function instanceIdOf(n: KubeObject): string | undefined {
  return /\/(i-[0-9a-f]+)$/.exec(n.spec?.providerID ?? "")?.[1];
}

/** The data network's ENIs (Module 4's stack) are attached where the stack wants them: metal workers of this cluster. */
export const dataNetworkCheck: DoctorCheck = {
  id: "data-network",
  title: "Data network ENIs attached to the metal workers",
  proves:
    "every ENI of the data network stack (<infra id>-llw-data-network) is attached at its device index to an instance that is a metal worker of this cluster",
  run(f) {
    const d = f.dataNetwork;
    if (!d) return skip("AWS not read (--no-aws)");
    if ("error" in d)
      return warn(`could not read AWS: ${d.error}`, d.next ?? "pass --region/--profile, or --no-aws");
    if ("missing" in d)
      return skip(`no data network stack ${d.stackName} (Module 4 creates it: llw aws network up)`);
    if (d.interfaces.length === 0)
      return fail(`stack ${d.stackName} (${d.status}) has no ENI`, "llw aws network up");
    const workers = new Map<string, KubeObject>();
    for (const n of f.nodes.filter(isWorker)) {
      const i = instanceIdOf(n);
      if (i) workers.set(i, n);
    }
    const bad: string[] = [];
    const good: string[] = [];
    for (const e of d.interfaces) {
      const node = workers.get(e.instanceId);
      const type = node?.metadata.labels?.["node.kubernetes.io/instance-type"] ?? "";
      if (e.state !== "attached")
        bad.push(
          `${e.networkInterfaceId}: ${e.state} (${e.attachment}), wanted on ${e.instanceId} at ${e.deviceIndex}`,
        );
      else if (!node)
        bad.push(
          `${e.networkInterfaceId}: attached to ${e.instanceId}, which is not a worker node of this cluster`,
        );
      else if (!/\.metal(-|$)/.test(type))
        bad.push(
          `${e.networkInterfaceId}: attached to ${node.metadata.name}, a ${type || "non-metal"} worker`,
        );
      else
        good.push(
          `${e.networkInterfaceId} -> ${node.metadata.name} (${e.instanceId}) device ${e.deviceIndex}`,
        );
    }
    if (bad.length > 0)
      return fail(
        bad.join("; "),
        "`llw aws network status` shows the drift; `llw aws network up` (re-run) attaches them again",
      );
    return pass(`stack ${d.stackName}: ${good.join(", ")}`);
  },
};

export const WORKSHOP_CHECKS: DoctorCheck[] = [
  hcoRuntimeClassCheck,
  vmDrainCheck,
  vmImageCheck,
  argoInstanceCheck,
  dataNetworkCheck,
];
