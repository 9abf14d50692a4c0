/**
 * `llw install`: GitOps (default) or direct installation of the workshop onto a cluster.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Clock, formatDuration, realClock } from "../cluster/clock.ts";
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
import { childSourcePatch, httpsRepoUrl, planDirectInstall } from "../cluster/install-plan.ts";
import { Kube, type KubeObject } from "../cluster/kube.ts";
import { loadManifests } from "../cluster/manifests.ts";
import { Progress } from "../cluster/progress.ts";
import type { Context } from "../lib/context.ts";
import { UserError } from "../lib/errors.ts";
import { durationOption } from "./tune-apply.ts";

export interface InstallOptions {
  kubeconfig?: string;
  context?: string;
  direct?: boolean;
  repo?: string;
  revision?: string;
  path?: string;
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
const ROOT_APP = "low-latency-workshop";

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

/**
 * The app of apps, pointing Argo CD at the repository and revision. Its Kustomize patch points
 * every child Application at the same repository and revision, so a fork deploys itself.
 */
export function rootApplication(
  repo: string,
  revision: string,
  path: string,
  template?: KubeObject,
): KubeObject {
  const base: KubeObject = template ?? {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: ROOT_APP, namespace: "openshift-gitops" },
    spec: {
      project: "default",
      destination: { server: "https://kubernetes.default.svc", namespace: "openshift-gitops" },
      source: {},
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        retry: { limit: 20, backoff: { duration: "15s", factor: 2, maxDuration: "5m" } },
      },
    },
  };
  const source = base.spec.source ?? {};
  const kustomize = source.kustomize ?? {};
  return {
    ...base,
    spec: {
      ...base.spec,
      source: {
        ...source,
        repoURL: repo,
        targetRevision: revision,
        path,
        kustomize: {
          ...kustomize,
          patches: [...(kustomize.patches ?? []), childSourcePatch(repo, revision)],
        },
      },
    },
  };
}

function git(cwd: string, args: string[]): string | undefined {
  try {
    return (
      execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

export async function run(opts: InstallOptions, ctx: Context): Promise<number> {
  const clock = opts.clock ?? ctx.clock ?? realClock;
  const timeoutMs = durationOption("--timeout", opts.timeout, "20m");
  const intervalMs = durationOption("--interval", opts.interval, "5s");
  const settleMs = durationOption("--settle", opts.settle, "30s");
  const root = findRepoRoot(ctx.cwd);
  const appsDir = opts.path ?? "gitops/bootstrap";
  const progress = new Progress(ctx.stderr, ctx.colors, clock);
  const report = emptyReport();

  if (opts.direct) {
    if (!root)
      throw new UserError({
        what: "no GitOps tree found (no gitops/ directory here or above)",
        where: ctx.cwd,
        next: "run llw install --direct from a checkout of the workshop repository",
      });
    const waves = await loadTreeByWave(root, appsDir, ctx.env);
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
      return 0;
    }
    const kube = Kube.connect({ kubeconfig: opts.kubeconfig, context: opts.context }, ctx.env, ctx.cwd);
    const s: StepOptions = {
      kube,
      clock,
      progress,
      timeoutMs,
      intervalMs,
      approve: Boolean(opts.approve),
      settleMs,
    };
    for (const w of waves) {
      progress.phase(`wave ${w.wave}: ${w.name}`);
      await runDirectSteps(
        w.objects.map((o) => o.object),
        s,
        report,
      );
    }
    printReport(ctx, report, progress.elapsed(), "direct");
    return 0;
  }

  // GitOps mode.
  const originUrl = root ? git(root, ["remote", "get-url", "origin"]) : undefined;
  const repo = opts.repo ?? (originUrl ? httpsRepoUrl(originUrl) : undefined);
  const revision =
    opts.revision ??
    (root
      ? (git(root, ["symbolic-ref", "--short", "-q", "HEAD"]) ?? git(root, ["rev-parse", "HEAD"]))
      : undefined) ??
    "main";
  if (!repo) {
    throw new UserError({
      what: "no repository for Argo CD to sync: this checkout has no `origin` remote",
      where: "--repo",
      next: "pass --repo <https url of your fork> (and --revision <branch>)",
    });
  }
  const operatorObjs =
    root && (await exists(join(root, GITOPS_OPERATOR_DIR)))
      ? (await loadManifests([GITOPS_OPERATOR_DIR], root, ctx.env)).map((l) => l.object)
      : gitopsOperatorObjects();
  const instanceObjs =
    root && (await exists(join(root, GITOPS_INSTANCE_DIR)))
      ? (await loadManifests([GITOPS_INSTANCE_DIR], root, ctx.env)).map((l) => l.object)
      : [];
  const template =
    root && (await exists(join(root, appsDir, "root", "application.yaml")))
      ? (await loadManifests([join(appsDir, "root", "application.yaml")], root, ctx.env))[0]?.object
      : undefined;
  const app = rootApplication(repo, revision, appsDir, template);
  if (opts.dryRun) {
    ctx.stdout.write(`1. apply ${operatorObjs.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}\n`);
    ctx.stdout.write(
      "2. wait for operator openshift-gitops-operator (CSV Succeeded) and the Application CRD\n",
    );
    if (instanceObjs.length > 0)
      ctx.stdout.write(`3. apply ${instanceObjs.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}\n`);
    ctx.stdout.write(
      `4. apply Application ${app.metadata.namespace}/${app.metadata.name}: ${repo} @ ${revision}, path ${appsDir} (its child Applications patched to the same repository and revision)\n`,
    );
    ctx.stdout.write("5. follow every Application until Synced and Healthy\n");
    return 0;
  }
  const kube = Kube.connect({ kubeconfig: opts.kubeconfig, context: opts.context }, ctx.env, ctx.cwd);
  const s: StepOptions = {
    kube,
    clock,
    progress,
    timeoutMs,
    intervalMs,
    approve: Boolean(opts.approve),
    settleMs,
  };
  progress.phase("OpenShift GitOps operator");
  await applyObjects(operatorObjs, s, report);
  const subs = operatorObjs.filter((o) => o.kind === "Subscription");
  await waitOperators(
    subs.map((o) => ({
      pkg: o.spec?.name ?? o.metadata.name!,
      namespace: o.metadata.namespace!,
      subscription: o.metadata.name!,
    })),
    s,
    report,
  );
  await waitCrds(
    [
      {
        group: "argoproj.io",
        version: "v1alpha1",
        kind: "Application",
        provider: "openshift-gitops-operator",
      },
      ...(instanceObjs.some((o) => o.kind === "ArgoCD")
        ? [
            {
              group: "argoproj.io",
              version: "v1beta1",
              kind: "ArgoCD",
              provider: "openshift-gitops-operator",
            },
          ]
        : []),
    ],
    s,
  );
  if (instanceObjs.length > 0) {
    progress.phase("Argo CD instance");
    await applyObjects(instanceObjs, s, report);
  }
  progress.phase(`app of apps: ${repo} @ ${revision} (${appsDir})`);
  await applyObjects([app], s, report);
  progress.phase("Argo CD syncing the workshop");
  const apps = await followApplications(app.metadata.namespace ?? "openshift-gitops", app.metadata.name!, s);
  progress.ok(`${apps} Applications Synced and Healthy`);
  printReport(ctx, report, progress.elapsed(), "gitops");
  return 0;
}

async function exists(p: string): Promise<boolean> {
  return existsSync(p);
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
