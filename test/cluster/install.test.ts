import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it, type TestContext } from "node:test";
import { stringify } from "yaml";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { ROOT, requireTool, toolPath } from "../helpers/tools.ts";
import { profile, startWorld, type World } from "./world.ts";

const OLM = "operators.coreos.com/v1alpha1";
// llw's own default intervals, in the simulator's time.
const FAST: string[] = [];
const CHILDREN = ["operator-sriov-network-operator", "instance-sriov-network-operator", "tuning"];
const SHA = "0123456789abcdef0123456789abcdef01234567";
/** A fork of the workshop a user installs from. */
const FORK = "https://github.com/me/low-latency-workshop.git";
const TOKEN = "ghp_abcDEF1234567890abcdef1234567890ABCD";

/** `llw install` in GitOps mode of a fixed repository and commit, with `flags`. */
const installPinned = (w: World, ...flags: string[]) =>
  w.llw("install", "--repo", "https://x/y.git", "--revision", SHA, ...flags, ...FAST);

/** The app of apps llw applies. */
const rootApp = (w: World) =>
  w.api.get("argoproj.io/v1alpha1", "Application", "low-latency-workshop", "openshift-gitops")!;

describe("simulated cluster: llw install (GitOps mode) on a cluster with nothing of the workshop", () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld({ scenario: "fresh-c5-metal", sim: { argo: { children: CHILDREN } } });
  });
  afterEach(() => w.stop());

  it("a clean install: operator, CSV Succeeded over several polls, app of apps, Applications followed until Synced and Healthy", async () => {
    const r = await w.llw("install", "--repo", FORK, "--revision", SHA, ...FAST);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /==> OpenShift GitOps operator/);
    assert.match(
      r.err,
      /operator openshift-gitops-operator: CSV openshift-gitops-operator\.v1\.18\.1 Succeeded/,
    );
    assert.match(r.err, /4 Applications Synced and Healthy/);
    assert.match(r.out, /Installed \(gitops\) in (\d+m)?\d+s: 4 created/);
    const root = rootApp(w);
    assert.deepEqual(root.spec.source, {
      repoURL: FORK,
      targetRevision: SHA,
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
      { op: "add", path: "/spec/source/repoURL", value: FORK },
      { op: "add", path: "/spec/source/targetRevision", value: SHA },
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
    const args = ["install", "--repo", "https://github.com/me/llw.git", "--revision", SHA, ...FAST];
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

  it("defaults --repo to the origin remote (SSH read over HTTPS) and pins the revision to the checkout's HEAD commit", async () => {
    mkdirSync(join(w.dir, "gitops"));
    const head = gitCheckout(w.dir, "git@github.com:someone/low-latency-workshop.git");
    const r = await w.llw("install", ...FAST);
    assert.equal(r.code, 0, r.err);
    const root = rootApp(w);
    assert.equal(root.spec.source.repoURL, "https://github.com/someone/low-latency-workshop.git");
    assert.equal(root.spec.source.targetRevision, head, "a commit, not the branch workshop-42");
    assert.deepEqual(
      JSON.parse(root.spec.source.kustomize.patches[0].patch).map((op: { value: string }) => op.value),
      ["https://github.com/someone/low-latency-workshop.git", head],
      "the children follow the defaulted repository and revision too",
    );
    assert.match(
      r.err,
      new RegExp(`app of apps: https://github.com/someone/low-latency-workshop.git @ commit ${head}`),
    );
    assert.match(r.err, /not on any branch of the remote yet: push it/);
  });

  it("a branch name is pinned to the commit its remote-tracking branch names; --follow-branch follows it, with a warning", async () => {
    mkdirSync(join(w.dir, "gitops"));
    const head = gitCheckout(w.dir, "https://github.com/someone/low-latency-workshop.git");
    execFileSync("git", ["update-ref", "refs/remotes/origin/lab-1", head], { cwd: w.dir });
    const r = await w.llw("install", "--revision", "lab-1", "--dry-run");
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      new RegExp(`source: https://github.com/someone/low-latency-workshop.git @ commit ${head} \\(lab-1 now`),
    );
    const unknown = await w.llw("install", "--revision", "nowhere", "--dry-run");
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /cannot pin revision "nowhere"/);
    const follow = await w.llw("install", "--revision", "nowhere", "--follow-branch", "--dry-run");
    assert.equal(follow.code, 0, follow.err);
    assert.match(follow.out, /@ branch nowhere, followed/);
    assert.match(follow.err, /whoever can push to it changes this cluster/);
  });

  it("a token in the origin URL reaches neither the terminal nor the cluster; the warning names the remedy", async () => {
    mkdirSync(join(w.dir, "gitops"));
    gitCheckout(w.dir, `https://x-access-token:${TOKEN}@github.com/someone/low-latency-workshop.git`);
    const dry = await w.llw("install", "--dry-run");
    assert.equal(dry.code, 0, dry.err);
    assert.doesNotMatch(dry.out + dry.err, new RegExp(TOKEN));
    assert.match(dry.out, /source: https:\/\/github\.com\/someone\/low-latency-workshop\.git @/);
    assert.match(dry.err, /carries credentials \(user name, password or token\); llw removed them/);
    assert.match(dry.err, /argocd\.argoproj\.io\/secret-type=repository/);
    const r = await w.llw("install", ...FAST);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out + r.err, new RegExp(TOKEN));
    const stored = JSON.stringify(w.api.list("argoproj.io/v1alpha1", "Application", "openshift-gitops"));
    assert.ok(stored.includes("https://github.com/someone/low-latency-workshop.git"));
    assert.doesNotMatch(stored, new RegExp(TOKEN), "no credential in any Application");
  });

  it("no credential from any spelling of the origin git accepts reaches the terminal (user:password, git+ssh, ssh with a token for a user, scp-like with user:token); each is warned about", async () => {
    mkdirSync(join(w.dir, "gitops"));
    gitCheckout(w.dir, "https://github.com/someone/low-latency-workshop.git");
    for (const origin of [
      `https://user:${TOKEN}@github.com/someone/low-latency-workshop.git`,
      `git+ssh://${TOKEN}@github.com/someone/low-latency-workshop.git`,
      `ssh://${TOKEN}@github.com/someone/low-latency-workshop.git`,
      `ssh://git:${TOKEN}@github.com:22/someone/low-latency-workshop.git`,
      `x-access-token:${TOKEN}@github.com:someone/low-latency-workshop.git`,
    ]) {
      execFileSync("git", ["remote", "set-url", "origin", origin], { cwd: w.dir });
      const dry = await w.llw("install", "--dry-run");
      assert.equal(dry.code, 0, dry.err);
      assert.doesNotMatch(dry.out + dry.err, new RegExp(TOKEN), origin);
      assert.match(dry.out, /source: https:\/\/github\.com\/someone\/low-latency-workshop\.git @/, origin);
      assert.match(dry.err, /the origin remote carries credentials \(.+\); llw removed them/, origin);
    }
    execFileSync("git", ["remote", "set-url", "origin", "git@github.com:someone/low-latency-workshop.git"], {
      cwd: w.dir,
    });
    const plain = await w.llw("install", "--dry-run");
    assert.doesNotMatch(plain.err, /carries credentials/, "an ssh user name such as git is no credential");
  });

  it("a CSV that fails: exit 3 with the CSV's phase, reason and message", async () => {
    w.sim.olm.catalogs["redhat-operators"]!["openshift-gitops-operator"]!.installFails =
      'install strategy failed: Deployment.apps "gitops-operator-controller-manager" is invalid';
    const r = await installPinned(w);
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
    const r = await installPinned(w, "--timeout", "5m");
    assert.equal(r.code, 3);
    assert.match(r.err, /InstallPlan install-\w{5} for openshift-gitops-operator is waiting for approval/);
    assert.match(
      r.err,
      /oc patch installplan install-\w{5} -n openshift-gitops-operator --type merge -p '\{"spec":\{"approved":true\}\}'/,
    );
    const again = await installPinned(w, "--approve");
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /approved InstallPlan install-\w{5} \(--approve\)/);
    assert.match(again.out, /3 unchanged/, "the objects of the first run were kept");
  });

  it("an unhealthy CatalogSource is named when the operator step times out", async () => {
    w.api.update(OLM, "CatalogSource", "redhat-operators", "openshift-marketplace", {
      status: { connectionState: { lastObservedState: "TRANSIENT_FAILURE" } },
    });
    const r = await installPinned(w, "--timeout", "2m");
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
        argo: {
          children: CHILDREN,
          degrade: { app: "tuning", message: "PerformanceProfile workshop-c5-metal: Degraded" },
        },
      },
    });
    const r = await installPinned(w, "--timeout", "5m");
    assert.equal(r.code, 3);
    assert.match(
      r.err,
      /Applications not Synced\/Healthy: tuning Synced\/Degraded \(PerformanceProfile workshop-c5-metal: Degraded\)/,
    );
  });

  it("a forbidden user: exit 3 with the server's reason, nothing half-done reported as done", async () => {
    w.api.forbid({ verb: "patch", resource: "subscriptions" });
    const r = await installPinned(w);
    assert.equal(r.code, 3);
    assert.match(
      r.err,
      /forbidden: subscriptions\.operators\.coreos\.com "openshift-gitops-operator" is forbidden: User "kube:admin" cannot patch/,
    );
    assert.doesNotMatch(r.out, /Installed/);
  });

  it("an unreachable API: exit 3", async () => {
    const r = await installPinned(w, "--context", "unreachable");
    assert.equal(r.code, 3);
    assert.match(r.err, /cannot reach the Kubernetes API/);
  });
});

/** A git checkout with one commit and an origin remote; returns the commit. */
function gitCheckout(dir: string, origin: string): string {
  const git = (...a: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...a], {
      cwd: dir,
      encoding: "utf8",
    }).trim();
  git("init", "-q", "-b", "workshop-42");
  git("remote", "add", "origin", origin);
  git("commit", "-q", "--allow-empty", "-m", "workshop");
  return git("rev-parse", "HEAD");
}

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

/**
 * The simulated cluster for the workshop's own tree: nothing installed, 2 metal workers of
 * `instanceType`, stopped after the test. Undefined (the test skipped) without kubectl.
 */
async function treeWorld(
  t: TestContext,
  instanceType: string,
): Promise<(World & { mco: World["sim"]["stats"] }) | undefined> {
  if (!requireTool(t, "kubectl", "npm run tools")) return undefined;
  const w = await startWorld({
    scenario: "fresh-c5-metal",
    workers: [
      { name: "ip-10-0-1-10.us-east-2.compute.internal", instanceType },
      { name: "ip-10-0-1-11.us-east-2.compute.internal", instanceType },
    ],
  });
  // Module 2's first step: the metal workers are labelled for the worker-rt pool the tree creates.
  for (const n of w.api.list("v1", "Node"))
    if ("node-role.kubernetes.io/worker" in (n.metadata.labels ?? {}))
      w.api.update("v1", "Node", n.metadata.name, undefined, {
        metadata: { labels: { "node-role.kubernetes.io/worker-rt": "" } },
      });
  t.after(() => w.stop());
  return { ...w, mco: w.sim.stats };
}

/** `llw install --direct` of the workshop's own tree, with `flags`. */
const installDirect = (w: World, ...flags: string[]) =>
  llwInRepo(w, "install", "--direct", ...flags, ...FAST);

async function llwInRepo(w: World, ...args: string[]) {
  const ctx = bufferContext({
    cwd: ROOT,
    env: { PATH: toolPath(), HOME: w.dir, KUBECONFIG: w.kubeconfig },
    clock: w.sim.clock,
  });
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

const HCO = [
  "hco.kubevirt.io/v1beta1",
  "HyperConverged",
  "kubevirt-hyperconverged",
  "openshift-cnv",
] as const;

describe("simulated cluster: llw install --direct of the workshop's own GitOps tree", () => {
  it("without --with-tuning: operators, their instances and the SR-IOV networks; no profile, no rollout, no runtime class anywhere; the next step named", async (t) => {
    const w = await treeWorld(t, "c5.metal");
    if (!w) return;
    const r = await installDirect(w);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Installed \(direct\).*0 rollouts, 0 reboots/);
    assert.ok(w.api.get(...HCO), "the HyperConverged exists");
    assert.equal(
      w.api.get(...HCO)!.spec.defaultRuntimeClass,
      undefined,
      "no VM needs a runtime class that does not exist",
    );
    assert.deepEqual(w.api.list("performance.openshift.io/v2", "PerformanceProfile"), []);
    assert.equal(
      w.api.get("machineconfiguration.openshift.io/v1", "MachineConfigPool", "worker-rt"),
      undefined,
    );
    assert.deepEqual(w.api.list("kubevirt.io/v1", "VirtualMachine", "low-latency-workshop"), []);
    assert.equal(w.mco.rollouts, 0);
    assert.match(
      r.err,
      /next: .*\n {2}llw tune apply gitops\/overlays\/aws\/performance-profiles\/machine-config-pool\.yaml gitops\/overlays\/aws\/performance-profiles\/c5\.metal\.yaml gitops\/overlays\/aws\/c5\.metal\/hyperconverged/,
    );
  });

  it("--with-tuning --instance-type m5zn.metal on 2 workers labelled worker-rt: the m5zn.metal profile, its runtime class and the HyperConverged default, the tuning rolled out once (1 rollout, 2 reboots)", async (t) => {
    const w = await treeWorld(t, "m5zn.metal");
    if (!w) return;
    const r = await installDirect(w, "--with-tuning", "--instance-type", "m5zn.metal");
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /==> wave 2: sriov-networks, tuning/);
    const profiles = w.api
      .list("performance.openshift.io/v2", "PerformanceProfile")
      .map((p) => p.metadata.name);
    assert.deepEqual(profiles, ["workshop-m5zn-metal"]);
    assert.ok(w.api.get("node.k8s.io/v1", "RuntimeClass", "performance-workshop-m5zn-metal"));
    assert.equal(w.api.get(...HCO)!.spec.defaultRuntimeClass, "performance-workshop-m5zn-metal");
    assert.match(r.err, /==> node tuning as one MachineConfigPool rollout/);
    assert.equal(
      w.api.get("machineconfiguration.openshift.io/v1", "MachineConfigPool", "worker-rt")?.spec.paused,
      false,
      "the new pool is left unpaused",
    );
    assert.ok(w.api.list("kubevirt.io/v1", "VirtualMachine", "low-latency-workshop").length > 0);
    assert.equal(w.mco.rollouts, 1, w.mco.log.join("\n"));
    assert.equal(w.mco.reboots, 2, w.mco.log.join("\n"));
    assert.match(r.out, /1 rollout, 2 reboots/);
  });

  it("--with-tuning reads the instance type from the metal workers, and refuses a type they do not have before touching the cluster", async (t) => {
    const w = await treeWorld(t, "c7i.metal-24xl");
    if (!w) return;
    const wrong = await installDirect(w, "--with-tuning", "--instance-type", "m5zn.metal");
    assert.equal(wrong.code, 2);
    assert.match(
      wrong.err,
      /--instance-type m5zn\.metal does not match the cluster's metal workers: c7i\.metal-24xl/,
    );
    assert.equal(w.api.requests.filter((q) => q.method !== "GET").length, 0, "nothing written");
    const dry = await llwInRepo(w, "install", "--direct", "--with-tuning", "--dry-run");
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.err, /instance type: c7i\.metal-24xl \(from the metal workers/);
    assert.match(dry.out, /PerformanceProfile\/workshop-c7i-metal-24xl/);
  });
});

describe("simulated cluster: llw install (GitOps mode) of the workshop's own tree", () => {
  const TREE_CHILDREN = [
    "operator-sriov-network-operator",
    "operator-kubevirt-hyperconverged",
    "instance-sriov-network-operator",
    "instance-kubevirt-hyperconverged",
    "sriov-networks",
  ];
  /** Stopped after the test; undefined (the test skipped) without kubectl. */
  async function gitopsWorld(t: TestContext, o: { namespaceFirst?: boolean } = {}) {
    if (!requireTool(t, "kubectl", "npm run tools")) return undefined;
    const w = await startWorld({ scenario: "fresh-c5-metal", sim: { argo: { children: TREE_CHILDREN } } });
    t.after(() => w.stop());
    if (o.namespaceFirst)
      w.api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "openshift-gitops" } });
    return w;
  }
  const install = (w: World) => llwInRepo(w, "install", "--repo", FORK, "--revision", SHA, ...FAST);

  for (const namespaceFirst of [false, true]) {
    it(`waits for the operator's own Argo CD instance, then adds the health checks to it (namespace openshift-gitops ${namespaceFirst ? "already there" : "created late by the operator"})`, async (t) => {
      const w = await gitopsWorld(t, { namespaceFirst });
      if (!w) return;
      const r = await install(w);
      assert.equal(r.code, 0, r.err);
      const argocd = w.api.get("argoproj.io/v1beta1", "ArgoCD", "openshift-gitops", "openshift-gitops")!;
      assert.equal(argocd.spec.server?.route?.enabled, true, "the operator's route survives");
      assert.equal(argocd.spec.sso?.dex?.openShiftOAuth, true, "the OpenShift login survives");
      assert.match(argocd.spec.rbac?.policy ?? "", /role:admin/, "the RBAC policy survives");
      assert.deepEqual(
        argocd.spec.resourceHealthChecks.map((c: { kind: string }) => c.kind),
        ["Application", "PerformanceProfile", "MachineConfigPool"],
      );
      assert.match(r.err, /Argo CD instance openshift-gitops\/openshift-gitops created by the operator/);
    });
  }

  it("applies the AppProject with only this repository, and every Application uses it", async (t) => {
    const w = await gitopsWorld(t);
    if (!w) return;
    const r = await install(w);
    assert.equal(r.code, 0, r.err);
    const project = w.api.get(
      "argoproj.io/v1alpha1",
      "AppProject",
      "low-latency-workshop",
      "openshift-gitops",
    )!;
    assert.deepEqual(project.spec.sourceRepos, [FORK]);
    const root = rootApp(w);
    assert.equal(root.spec.project, "low-latency-workshop");
    assert.equal(root.spec.source.targetRevision, SHA);
    assert.equal(root.spec.source.kustomize.components, undefined, "no tuning unless asked");
  });
});
