/**
 * `llw install`: GitOps (default) or direct installation of the workshop onto a cluster.
 *
 * By default the workshop without its tuning (operators, their instances, the SR-IOV networks):
 * Module 2 measures the untuned node, then applies the tuning with `llw tune apply`.
 * `--with-tuning` adds the tuning layer for the instance type (`--instance-type`, else the metal
 * workers' type). In GitOps mode the repository carries no credentials, the revision is pinned
 * (a commit or tag) and every Application uses the workshop's AppProject.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  APP_OF_APPS,
  APP_OF_APPS_WITH_TUNING,
  type AppOfApps,
  instanceTypeParts,
  instanceTypePatches,
  ROOT_DIR,
  rootApplication,
  workshopProject,
} from "../cluster/app-of-apps.ts";
import { applyGitopsInstance } from "../cluster/argocd-instance.ts";
import { type Clock, formatDuration, realClock } from "../cluster/clock.ts";
import { git, gitFacts } from "../cluster/git-facts.ts";
import {
  applyObjects,
  emptyReport,
  findRepoRoot,
  followApplications,
  type InstallReport,
  loadTreeByWave,
  runDirectSteps,
  type StepOptions,
  waitCrds,
  waitOperators,
} from "../cluster/install.ts";
import { planDirectInstall } from "../cluster/install-plan.ts";
import { chooseInstanceType, type InstanceTypeChoice } from "../cluster/instance-type.ts";
import { Kube, type KubeObject } from "../cluster/kube.ts";
import { loadManifests } from "../cluster/manifests.ts";
import { Progress } from "../cluster/progress.ts";
import { credentialWarning, httpsRepoUrl, pinRevision, stripCredentials } from "../cluster/repo-source.ts";
import type { Context } from "../lib/context.ts";
import { EnvironmentError, LlwError, UserError } from "../lib/errors.ts";
import { durationOption } from "./tune-apply.ts";

export interface InstallOptions {
  kubeconfig?: string;
  context?: string;
  direct?: boolean;
  repo?: string;
  revision?: string;
  followBranch?: boolean;
  path?: string;
  instanceType?: string;
  withTuning?: boolean;
  approve?: boolean;
  timeout?: string;
  interval?: string;
  settle?: string;
  dryRun?: boolean;
  clock?: Clock;
}

const GITOPS_NS = "openshift-gitops-operator";
const GITOPS_OPERATOR_DIR = "gitops/operators/openshift-gitops-operator/operator/overlays/latest";
const GITOPS_INSTANCE_DIR = "gitops/operators/openshift-gitops-operator/instance";

/** The OpenShift GitOps operator (DOMAIN: AllNamespaces OperatorGroup, channel latest), used when no tree is at hand. */
export function gitopsOperatorObjects(): KubeObject[] {
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: GITOPS_NS, labels: { "openshift.io/cluster-monitoring": "true" } },
    },
    {
      apiVersion: "operators.coreos.com/v1",
      kind: "OperatorGroup",
      metadata: { name: GITOPS_NS, namespace: GITOPS_NS },
      spec: {},
    },
    {
      apiVersion: "operators.coreos.com/v1alpha1",
      kind: "Subscription",
      metadata: { name: "openshift-gitops-operator", namespace: GITOPS_NS },
      spec: {
        name: "openshift-gitops-operator",
        channel: "latest",
        installPlanApproval: "Automatic",
        source: "redhat-operators",
        sourceNamespace: "openshift-marketplace",
      },
    },
  ];
}

async function loadIfExists(
  root: string | undefined,
  path: string,
  env: NodeJS.ProcessEnv,
): Promise<KubeObject[]> {
  if (!root || !existsSync(join(root, path))) return [];
  return (await loadManifests([path], root, env)).map((l) => l.object);
}

/** The instance type: needed with the tuning; otherwise read for the next-step hint, never fatal. */
async function instanceType(
  opts: InstallOptions,
  connect: () => Kube,
  readCluster: boolean,
): Promise<InstanceTypeChoice> {
  const required = Boolean(opts.withTuning);
  if (!readCluster && (opts.instanceType || !required))
    return chooseInstanceType(undefined, opts.instanceType, false);
  let nodes: KubeObject[];
  try {
    nodes = await connect().list("v1", "Node");
  } catch (e) {
    if (!required && !opts.instanceType) return { note: `not read (${(e as Error).message.split("\n")[0]})` };
    if (e instanceof LlwError && required && !opts.instanceType)
      throw new EnvironmentError([
        ...e.problems,
        {
          what: "the tuning needs the metal workers' instance type, read from the cluster's nodes",
          where: "--instance-type",
          next: "pass --instance-type <type> to plan without reading the cluster",
        },
      ]);
    throw e;
  }
  return chooseInstanceType(nodes, opts.instanceType, required);
}

export async function run(opts: InstallOptions, ctx: Context): Promise<number> {
  const clock = opts.clock ?? ctx.clock ?? realClock;
  const timeoutMs = durationOption("--timeout", opts.timeout, "20m");
  const intervalMs = durationOption("--interval", opts.interval, "5s");
  const settleMs = durationOption("--settle", opts.settle, "30s");
  if (opts.followBranch && opts.direct)
    throw new UserError({
      what: "--follow-branch is about what Argo CD syncs; --direct installs without Argo CD",
      where: "--follow-branch --direct",
    });
  const root = findRepoRoot(ctx.cwd);
  const appsDir = opts.path ?? (opts.withTuning ? APP_OF_APPS_WITH_TUNING : APP_OF_APPS);
  const progress = new Progress(ctx.stderr, ctx.colors, clock);
  const report = emptyReport();
  let kube: Kube | undefined;
  const connect = () => {
    kube ??= Kube.connect({ kubeconfig: opts.kubeconfig, context: opts.context }, ctx.env, ctx.cwd);
    return kube;
  };
  const type = await instanceType(
    opts,
    connect,
    !opts.dryRun || Boolean(opts.withTuning && !opts.instanceType),
  );
  const withTuning = Boolean(opts.withTuning);
  const steps = (): StepOptions => ({
    kube: connect(),
    clock,
    progress,
    timeoutMs,
    intervalMs,
    approve: Boolean(opts.approve),
    settleMs,
  });

  if (opts.direct) {
    if (!root)
      throw new UserError({
        what: "no GitOps tree found (no gitops/ directory here or above)",
        where: ctx.cwd,
        next: "run llw install --direct from a checkout of the workshop repository",
      });
    const waves = await loadTreeByWave(root, appsDir, ctx.env, {
      patches: withTuning ? instanceTypePatches(type.instanceType!) : [],
    });
    ctx.stderr.write(`instance type: ${type.note}\n`);
    if (opts.dryRun) {
      for (const w of waves) {
        ctx.stdout.write(`wave ${w.wave}: ${w.name}\n`);
        for (const st of planDirectInstall(w.objects.map((o) => o.object))) {
          const n =
            "objects" in st ? st.objects.length : "operators" in st ? st.operators.length : st.crds.length;
          const what =
            "objects" in st
              ? st.objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")
              : "operators" in st
                ? st.operators.map((o) => o.pkg).join(", ")
                : st.crds.map((c) => `${c.kind}.${c.group}`).join(", ");
          ctx.stdout.write(
            `  ${st.type === "apply" || st.type === "tuning" ? "apply" : "wait for"} ${st.title} (${n}): ${what}\n`,
          );
        }
      }
      printNext(ctx, withTuning, type);
      return 0;
    }
    const s = steps();
    for (const w of waves) {
      progress.phase(`wave ${w.wave}: ${w.name}`);
      await runDirectSteps(
        w.objects.map((o) => o.object),
        s,
        report,
      );
    }
    printReport(ctx, report, progress.elapsed(), "direct");
    printNext(ctx, withTuning, type);
    return 0;
  }

  // GitOps mode: what Argo CD reads, without credentials, at a pinned revision.
  const origin = root ? git(root, ["remote", "get-url", "origin"]) : undefined;
  const rawRepo = opts.repo ?? (origin ? httpsRepoUrl(origin) : undefined);
  if (!rawRepo) {
    throw new UserError({
      what: "no repository for Argo CD to sync: this checkout has no `origin` remote",
      where: "--repo",
      next: "pass --repo <https url of your fork> and --revision <commit or tag>",
    });
  }
  const clean = stripCredentials(rawRepo);
  if (clean.removed.length > 0)
    ctx.stderr.write(
      `${ctx.colors.yellow(credentialWarning(clean.url, clean.removed, opts.repo ? "--repo" : "the origin remote"))}\n`,
    );
  const repo = clean.url;
  const pinned = pinRevision(opts.revision, gitFacts(root, repo), Boolean(opts.followBranch));
  if (pinned.warning) ctx.stderr.write(`${ctx.colors.yellow(`warning: ${pinned.warning}`)}\n`);
  const source: AppOfApps = {
    repo,
    revision: pinned.revision,
    path: appsDir,
    withTuning,
    ...(type.instanceType ? { instanceType: type.instanceType } : {}),
  };
  const operatorObjs =
    root && existsSync(join(root, GITOPS_OPERATOR_DIR))
      ? await loadIfExists(root, GITOPS_OPERATOR_DIR, ctx.env)
      : gitopsOperatorObjects();
  const instanceObjs = await loadIfExists(root, GITOPS_INSTANCE_DIR, ctx.env);
  const rootObjs = await loadIfExists(root, opts.path ? join(opts.path, "root") : ROOT_DIR, ctx.env);
  const rootTemplate = rootObjs.find((o) => o.kind === "Application");
  const projectTemplate = rootObjs.find((o) => o.kind === "AppProject");
  const app = rootApplication(source, rootTemplate);
  const project = projectTemplate ? workshopProject(repo, projectTemplate) : undefined;
  const names = (objs: KubeObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).join(", ");
  if (opts.dryRun) {
    ctx.stdout.write(`source: ${repo} @ ${pinned.note}\n`);
    ctx.stdout.write(`instance type: ${type.note}\n`);
    ctx.stdout.write(
      `tuning: ${withTuning ? `included (${instanceTypeParts(type.instanceType!).profile}, ${appsDir})` : "not included: Module 2 applies it with llw tune apply (or pass --with-tuning)"}\n`,
    );
    ctx.stdout.write(`1. apply ${names(operatorObjs)}\n`);
    ctx.stdout.write("2. wait for operator openshift-gitops-operator (CSV Succeeded) and the Argo CD CRDs\n");
    ctx.stdout.write(
      `3. wait for the operator's Argo CD instance openshift-gitops${instanceObjs.length > 0 ? `, then apply ${names(instanceObjs)}` : ""}\n`,
    );
    if (project)
      ctx.stdout.write(
        `4. apply AppProject ${project.metadata.name}: repository ${repo} only, the workshop's namespaces and kinds\n`,
      );
    ctx.stdout.write(
      `5. apply Application ${app.metadata.namespace}/${app.metadata.name}: ${repo} @ ${pinned.revision}, path ${appsDir} (its child Applications patched to the same repository and revision)\n`,
    );
    ctx.stdout.write("6. follow every Application until Synced and Healthy\n");
    printNext(ctx, withTuning, type);
    return 0;
  }
  const s = steps();
  progress.phase("OpenShift GitOps operator");
  await applyObjects(operatorObjs, s, report);
  await waitOperators(
    operatorObjs
      .filter((o) => o.kind === "Subscription")
      .map((o) => ({
        pkg: o.spec?.name ?? o.metadata.name!,
        namespace: o.metadata.namespace!,
        subscription: o.metadata.name!,
      })),
    s,
    report,
  );
  const argo = (version: string, kind: string) => ({
    group: "argoproj.io",
    version,
    kind,
    provider: "openshift-gitops-operator",
  });
  await waitCrds(
    [
      argo("v1alpha1", "Application"),
      ...(project ? [argo("v1alpha1", "AppProject")] : []),
      argo("v1beta1", "ArgoCD"),
    ],
    s,
  );
  progress.phase("Argo CD instance");
  await applyGitopsInstance(instanceObjs, s, report);
  progress.phase(`app of apps: ${repo} @ ${pinned.note} (${appsDir})`);
  await applyObjects(project ? [project, app] : [app], s, report);
  progress.phase("Argo CD syncing the workshop");
  const apps = await followApplications(app.metadata.namespace ?? "openshift-gitops", app.metadata.name!, s);
  progress.ok(`${apps} Applications Synced and Healthy`);
  printReport(ctx, report, progress.elapsed(), "gitops");
  printNext(ctx, withTuning, type);
  return 0;
}

/** What comes next: without the tuning, the one command of Module 2 that applies it. */
function printNext(ctx: Context, withTuning: boolean, type: InstanceTypeChoice): void {
  if (withTuning) return;
  const t = type.instanceType ?? "<instance type>";
  ctx.stderr.write(
    `next: measure the untuned node (Module 2), then apply the tuning as one rollout:\n  llw tune apply gitops/overlays/aws/performance-profiles/machine-config-pool.yaml gitops/overlays/aws/performance-profiles/${t}.yaml gitops/overlays/aws/${t}/hyperconverged\n`,
  );
}

function printReport(ctx: Context, r: InstallReport, elapsedMs: number, mode: string): void {
  const parts = [`${r.created} created`, `${r.configured} configured`, `${r.unchanged} unchanged`];
  if (r.operators.length > 0) parts.push(`operators ready: ${r.operators.join(", ")}`);
  if (mode === "direct")
    parts.push(
      `${r.rollouts} rollout${r.rollouts === 1 ? "" : "s"}, ${r.reboots} reboot${r.reboots === 1 ? "" : "s"}`,
    );
  ctx.stdout.write(`Installed (${mode}) in ${formatDuration(elapsedMs)}: ${parts.join("; ")}.\n`);
}
