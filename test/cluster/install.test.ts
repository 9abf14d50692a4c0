import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { stringify } from "yaml";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { ROOT, requireTool, toolPath } from "../helpers/tools.ts";
import { profile, startWorld, type World } from "./world.ts";

const OLM = "operators.coreos.com/v1alpha1";
// llw's own default intervals, in the simulator's time.
const FAST: string[] = [];

describe("simulated cluster: llw install (GitOps mode) on a cluster with nothing of the workshop", () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld({ scenario: "fresh-c5-metal" });
  });
  afterEach(() => w.stop());

  it("a clean install: operator, CSV Succeeded over several polls, app of apps, Applications followed until Synced and Healthy", async () => {
    const r = await w.llw(
      "install",
      "--repo",
      "https://github.com/me/low-latency-workshop.git",
      "--revision",
      "lab-1",
      ...FAST,
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /==> OpenShift GitOps operator/);
    assert.match(
      r.err,
      /operator openshift-gitops-operator: CSV openshift-gitops-operator\.v1\.18\.1 Succeeded/,
    );
    assert.match(r.err, /4 Applications Synced and Healthy/);
    assert.match(r.out, /Installed \(gitops\) in (\d+m)?\d+s: 4 created/);
    const root = w.api.get(
      "argoproj.io/v1alpha1",
      "Application",
      "low-latency-workshop",
      "openshift-gitops",
    )!;
    assert.deepEqual(root.spec.source, {
      repoURL: "https://github.com/me/low-latency-workshop.git",
      targetRevision: "lab-1",
      path: "gitops/bootstrap",
      kustomize: {
        patches: [
          {
            target: { group: "argoproj.io", kind: "Application" },
            patch: root.spec.source.kustomize?.patches?.[0]?.patch,
          },
        ],
      },
    });
    // The children follow the root: the patch sets their repository and revision to the fork's.
    assert.deepEqual(JSON.parse(root.spec.source.kustomize.patches[0].patch), [
      { op: "add", path: "/spec/source/repoURL", value: "https://github.com/me/low-latency-workshop.git" },
      { op: "add", path: "/spec/source/targetRevision", value: "lab-1" },
    ]);
    const sub = w.api.get(OLM, "Subscription", "openshift-gitops-operator", "openshift-gitops-operator")!;
    assert.equal(sub.spec.channel, "latest");
    assert.equal(
      sub.metadata.managedFields.find((f: { manager: string }) => f.manager === "llw")?.operation,
      "Apply",
      "server-side apply by llw",
    );
  });

  it("running twice changes nothing the second time", async () => {
    const args = ["install", "--repo", "https://github.com/me/llw.git", "--revision", "main", ...FAST];
    assert.equal((await w.llw(...args)).code, 0);
    const writes = w.api.requests.filter((q) => q.method !== "GET").length;
    const r = await w.llw(...args);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /0 created; 0 configured; 4 unchanged/);
    assert.equal(
      w.api.requests.filter((q) => q.method !== "GET").length,
      writes,
      "no write on the second run",
    );
  });

  it("defaults --repo and --revision from the checkout's origin remote and branch (SSH remote read over HTTPS)", async () => {
    mkdirSync(join(w.dir, "gitops"));
    const git = (...a: string[]) => execFileSync("git", a, { cwd: w.dir, stdio: "ignore" });
    git("init", "-q", "-b", "workshop-42");
    git("remote", "add", "origin", "git@github.com:someone/low-latency-workshop.git");
    const r = await w.llw("install", ...FAST);
    assert.equal(r.code, 0, r.err);
    const root = w.api.get(
      "argoproj.io/v1alpha1",
      "Application",
      "low-latency-workshop",
      "openshift-gitops",
    )!;
    assert.equal(root.spec.source.repoURL, "https://github.com/someone/low-latency-workshop.git");
    assert.equal(root.spec.source.targetRevision, "workshop-42");
    assert.deepEqual(
      JSON.parse(root.spec.source.kustomize.patches[0].patch).map((op: { value: string }) => op.value),
      ["https://github.com/someone/low-latency-workshop.git", "workshop-42"],
      "the children follow the defaulted repository and revision too",
    );
  });

  it("a CSV that fails: exit 3 with the CSV's phase, reason and message", async () => {
    w.sim.olm.catalogs["redhat-operators"]!["openshift-gitops-operator"]!.installFails =
      'install strategy failed: Deployment.apps "gitops-operator-controller-manager" is invalid';
    const r = await w.llw("install", "--repo", "https://x/y.git", ...FAST);
    assert.equal(r.code, 3);
    assert.match(
      r.err,
      /operator openshift-gitops-operator failed to install: CSV openshift-gitops-operator\.v1\.18\.1 is Failed \(InstallCheckFailed\): install strategy failed/,
    );
    assert.match(r.err, /next: +read the operator's events/);
    assert.equal(w.api.list("argoproj.io/v1alpha1", "Application").length, 0);
  });

  it("an InstallPlan needing approval stops with the command to approve it; --approve resumes and finishes", async () => {
    // An administrator's Subscription with Manual approval in the same namespace: OLM's one
    // InstallPlan for the namespace then waits for approval.
    w.api.seed(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "openshift-gitops-operator" } },
      {
        apiVersion: OLM,
        kind: "Subscription",
        metadata: { name: "admin-pinned", namespace: "openshift-gitops-operator" },
        spec: {
          name: "openshift-gitops-operator",
          channel: "latest",
          source: "redhat-operators",
          sourceNamespace: "openshift-marketplace",
          installPlanApproval: "Manual",
        },
      },
    );
    await w.sim.until(
      () => w.api.list(OLM, "InstallPlan", "openshift-gitops-operator").length > 0,
      120_000,
      "InstallPlan",
    );
    const r = await w.llw("install", "--repo", "https://x/y.git", "--timeout", "5m", ...FAST);
    assert.equal(r.code, 3, r.err);
    assert.match(r.err, /InstallPlan install-\w{5} for openshift-gitops-operator is waiting for approval/);
    assert.match(
      r.err,
      /oc patch installplan install-\w{5} -n openshift-gitops-operator --type merge -p '\{"spec":\{"approved":true\}\}'/,
    );
    const again = await w.llw("install", "--repo", "https://x/y.git", "--approve", ...FAST);
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /approved InstallPlan install-\w{5} \(--approve\)/);
    assert.match(again.out, /3 unchanged/, "the objects of the first run were kept");
  });

  it("an unhealthy CatalogSource is named when the operator step times out", async () => {
    w.api.update(OLM, "CatalogSource", "redhat-operators", "openshift-marketplace", {
      status: { connectionState: { lastObservedState: "TRANSIENT_FAILURE" } },
    });
    const r = await w.llw("install", "--repo", "https://x/y.git", "--timeout", "2m", ...FAST);
    assert.equal(r.code, 3);
    assert.match(
      r.err,
      /timed out after 2m00s waiting for operator openshift-gitops-operator: CatalogSource redhat-operators is unhealthy \(TRANSIENT_FAILURE\)/,
    );
  });

  it("an Application that stays Degraded: timeout names it with Argo CD's message", async () => {
    await w.stop();
    w = await startWorld({
      scenario: "fresh-c5-metal",
      sim: {
        argo: { degrade: { app: "tuning", message: "PerformanceProfile workshop-c5-metal: Degraded" } },
      },
    });
    const r = await w.llw("install", "--repo", "https://x/y.git", "--timeout", "5m", ...FAST);
    assert.equal(r.code, 3);
    assert.match(
      r.err,
      /Applications not Synced\/Healthy: tuning Synced\/Degraded \(PerformanceProfile workshop-c5-metal: Degraded\)/,
    );
  });

  it("a forbidden user: exit 3 with the server's reason, nothing half-done reported as done", async () => {
    w.api.forbid({ verb: "patch", resource: "subscriptions" });
    const r = await w.llw("install", "--repo", "https://x/y.git", ...FAST);
    assert.equal(r.code, 3);
    assert.match(
      r.err,
      /forbidden: subscriptions\.operators\.coreos\.com "openshift-gitops-operator" is forbidden: User "kube:admin" cannot patch/,
    );
    assert.doesNotMatch(r.out, /Installed/);
  });

  it("an unreachable API: exit 3", async () => {
    const r = await w.llw("install", "--repo", "https://x/y.git", "--context", "unreachable", ...FAST);
    assert.equal(r.code, 3);
    assert.match(r.err, /cannot reach the Kubernetes API/);
  });
});

/** A small GitOps tree shaped like the workshop's: app of apps with waves, kustomizations. */
function writeTree(dir: string): void {
  const put = (path: string, docs: unknown[]) => {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), docs.map((d) => stringify(d)).join("---\n"));
  };
  const kust = (path: string, resources: string[]) =>
    put(`${path}/kustomization.yaml`, [
      { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources },
    ]);
  const app = (name: string, wave: number, path: string) => ({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: {
      name,
      namespace: "openshift-gitops",
      annotations: { "argocd.argoproj.io/sync-wave": String(wave) },
    },
    spec: {
      project: "default",
      destination: { server: "https://kubernetes.default.svc" },
      source: { repoURL: "https://x/y.git", targetRevision: "main", path },
    },
  });
  put("gitops/bootstrap/apps.yaml", [
    app("operator-sriov", 0, "gitops/operators/sriov/operator"),
    app("instance-sriov", 1, "gitops/operators/sriov/instance"),
    app("tuning", 2, "gitops/tuning"),
  ]);
  kust("gitops/bootstrap", ["apps.yaml"]);
  const ns = "openshift-sriov-network-operator";
  put("gitops/operators/sriov/operator/objects.yaml", [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
    {
      apiVersion: "operators.coreos.com/v1alpha1",
      kind: "Subscription",
      metadata: { name: "sriov-network-operator", namespace: ns },
      spec: {
        name: "sriov-network-operator",
        channel: "stable",
        source: "redhat-operators",
        sourceNamespace: "openshift-marketplace",
      },
    },
    {
      apiVersion: "operators.coreos.com/v1",
      kind: "OperatorGroup",
      metadata: { name: "sriov-network-operators", namespace: ns },
      spec: { targetNamespaces: [ns] },
    },
  ]);
  kust("gitops/operators/sriov/operator", ["objects.yaml"]);
  put("gitops/operators/sriov/instance/config.yaml", [
    {
      apiVersion: "sriovnetwork.openshift.io/v1",
      kind: "SriovOperatorConfig",
      metadata: { name: "default", namespace: ns },
      spec: { enableInjector: true, enableOperatorWebhook: true },
    },
  ]);
  kust("gitops/operators/sriov/instance", ["config.yaml"]);
  put("gitops/tuning/profile.yaml", [profile()]);
  kust("gitops/tuning", ["profile.yaml"]);
}

describe("simulated cluster: llw install --direct (real kustomize)", () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld({ scenario: "fresh-c5-metal" });
    writeTree(w.dir);
  });
  afterEach(() => w.stop());

  it("applies operators, waits for the CSV and the CRDs, then the CRs, then the tuning as one rollout; a second run changes nothing", async (t) => {
    if (!requireTool(t, "kubectl", "npm run tools")) return;
    const mco = w.sim.stats;
    process.env.PATH = toolPath();
    const r = await w.llw("install", "--direct", ...FAST);
    assert.equal(r.code, 0, r.err);
    const order = r.err;
    const idx = (re: RegExp) => order.search(re);
    assert.ok(
      idx(/Subscription openshift-sriov-network-operator\/sriov-network-operator created/) <
        idx(/operator sriov-network-operator: CSV .* Succeeded/),
      order,
    );
    assert.ok(
      idx(/operator sriov-network-operator: CSV/) < idx(/CRD for SriovOperatorConfig Established/),
      order,
    );
    // The running SR-IOV operator creates its own `default` SriovOperatorConfig: llw's is applied
    // over it (here unchanged: the tree's settings are the operator's defaults).
    const config =
      /SriovOperatorConfig openshift-sriov-network-operator\/default (created|configured|unchanged)/;
    assert.ok(idx(/CRD for SriovOperatorConfig Established/) < idx(config), order);
    assert.ok(idx(config) < idx(/PerformanceProfile workshop-c5-metal created/), order);
    assert.equal(mco.rollouts, 1);
    assert.match(r.out, /Installed \(direct\).*1 rollout, 2 reboots/);
    const again = await w.llw("install", "--direct", ...FAST);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /0 created; 0 configured; \d+ unchanged.*0 rollouts, 0 reboots/);
    assert.equal(mco.rollouts, 1);
  });

  it("--dry-run prints the waves and steps without a cluster", async (t) => {
    if (!requireTool(t, "kubectl", "npm run tools")) return;
    process.env.PATH = toolPath();
    const r = await w.llw("install", "--direct", "--dry-run", "--context", "unreachable");
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /wave 0: operator-sriov\n {2}apply namespaces, operator subscriptions and other built-in objects \(3\)/,
    );
    assert.match(
      r.out,
      /wave 1: instance-sriov\n {2}wait for CRDs established \(1\): SriovOperatorConfig\.sriovnetwork\.openshift\.io/,
    );
    assert.match(r.out, /wave 2: tuning\n {2}apply node tuning as one MachineConfigPool rollout \(1\)/);
  });
});

describe("simulated cluster: llw install --direct of the workshop's own GitOps tree", () => {
  it("installs every wave of gitops/bootstrap on 2 metal workers labelled worker-rt: both operators, their CRs, the tuning as one rollout (2 reboots), the workloads", async (t) => {
    if (!requireTool(t, "kubectl", "npm run tools")) return;
    if (!existsSync(join(ROOT, "gitops", "bootstrap"))) return t.skip("no gitops/bootstrap in this checkout");
    const w = await startWorld({ scenario: "fresh-c5-metal" });
    t.after(() => w.stop());
    // Module 2's first step: the metal workers join the worker-rt pool the tree creates.
    for (const n of w.api.list("v1", "Node"))
      if ("node-role.kubernetes.io/worker" in (n.metadata.labels ?? {}))
        w.api.update("v1", "Node", n.metadata.name, undefined, {
          metadata: { labels: { "node-role.kubernetes.io/worker-rt": "" } },
        });
    const ctx = bufferContext({
      cwd: ROOT,
      env: { PATH: toolPath(), HOME: w.dir, KUBECONFIG: w.kubeconfig },
      clock: w.sim.clock,
    });
    const code = await main(["install", "--direct", ...FAST], ctx);
    assert.equal(code, 0, ctx.err());
    assert.match(ctx.err(), /==> wave 2: sriov-networks, tuning/);
    assert.match(ctx.out(), /Installed \(direct\)/);
    assert.ok(
      w.api.get("hco.kubevirt.io/v1beta1", "HyperConverged", "kubevirt-hyperconverged", "openshift-cnv"),
    );
    assert.ok(w.api.get("performance.openshift.io/v2", "PerformanceProfile", "workshop-c5-metal"));
    assert.equal(
      w.api.get("machineconfiguration.openshift.io/v1", "MachineConfigPool", "worker-rt")?.spec.paused,
      false,
      "the new pool is left unpaused",
    );
    assert.ok(w.api.list("kubevirt.io/v1", "VirtualMachine", "low-latency-workshop").length > 0);
    assert.equal(w.sim.stats.rollouts, 1, w.sim.stats.log.join("\n"));
    assert.equal(w.sim.stats.reboots, 2, w.sim.stats.log.join("\n"));
    assert.match(ctx.out(), /1 rollout, 2 reboots/);
  });
});
