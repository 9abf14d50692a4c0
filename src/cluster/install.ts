/**
 * The steps of `llw install`: apply objects idempotently, wait for operators (with OLM's own
 * reasons when they fail or wait for approval), wait for CRDs, follow Argo CD Applications.
 * Each step has its own timeout; everything re-runs safely (unchanged objects are not written).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { stringify } from "yaml";
import { writeFileAtomicSync } from "../lib/write-file.ts";
import type { KustomizePatch } from "./app-of-apps.ts";
import type { Clock } from "./clock.ts";
import { type CrdWait, crdServes, type OperatorWait, planDirectInstall, syncWave } from "./install-plan.ts";
import type { Kube, KubeObject } from "./kube.ts";
import { type LoadedObject, loadManifests } from "./manifests.ts";
import { assessOperator, OLM, subscriptionCsvName, subscriptionPlanName } from "./olm.ts";
import type { Progress } from "./progress.ts";
import { applyTuning } from "./tune.ts";
import { changeAction } from "./tune-plan.ts";
import { waitFor } from "./wait.ts";

export interface StepOptions {
  kube: Kube;
  clock: Clock;
  progress: Progress;
  timeoutMs: number;
  intervalMs: number;
  approve: boolean;
  /** Settle time before unpausing pools in the tuning step. */
  settleMs: number;
}

export interface InstallReport {
  created: number;
  configured: number;
  unchanged: number;
  operators: string[];
  reboots: number;
  rollouts: number;
}

export function emptyReport(): InstallReport {
  return { created: 0, configured: 0, unchanged: 0, operators: [], reboots: 0, rollouts: 0 };
}

function label(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
}

/** Server-side applies each object that differs from the cluster; unchanged ones are not written. */
export async function applyObjects(objs: KubeObject[], s: StepOptions, r: InstallReport): Promise<void> {
  for (const o of objs) {
    const live = await s.kube.get(o.apiVersion, o.kind, o.metadata.name!, o.metadata.namespace);
    const action = changeAction(o, live);
    if (action === "unchanged") {
      r.unchanged++;
      s.progress.info(`${label(o)} unchanged`);
      continue;
    }
    await s.kube.apply(o);
    if (action === "create") r.created++;
    else r.configured++;
    s.progress.ok(`${label(o)} ${action === "create" ? "created" : "configured"}`);
  }
}

/** Waits for each operator's CSV to succeed; approves waiting InstallPlans with --approve. */
export async function waitOperators(ops: OperatorWait[], s: StepOptions, r: InstallReport): Promise<void> {
  for (const op of ops) {
    const approved = new Set<string>();
    const obs = await waitFor({
      what: `operator ${op.pkg}`,
      timeoutMs: s.timeoutMs,
      intervalMs: s.intervalMs,
      clock: s.clock,
      progress: s.progress,
      poll: async () => {
        const sub = await s.kube.get(OLM, "Subscription", op.subscription, op.namespace);
        const planName = subscriptionPlanName(sub);
        const csvName = subscriptionCsvName(sub);
        const [installPlan, csv, catalogSource] = await Promise.all([
          planName ? s.kube.get(OLM, "InstallPlan", planName, op.namespace) : undefined,
          csvName ? s.kube.get(OLM, "ClusterServiceVersion", csvName, op.namespace) : undefined,
          sub?.spec?.source
            ? s.kube.get(
                OLM,
                "CatalogSource",
                sub.spec.source,
                sub.spec.sourceNamespace ?? "openshift-marketplace",
              )
            : undefined,
        ]);
        const a = assessOperator({
          pkg: op.pkg,
          namespace: op.namespace,
          subscription: sub,
          installPlan,
          csv,
          catalogSource,
        });
        if (a.approval && s.approve && !approved.has(a.approval)) {
          await s.kube.mergePatch(OLM, "InstallPlan", a.approval, { spec: { approved: true } }, op.namespace);
          approved.add(a.approval);
          s.progress.info(`approved InstallPlan ${a.approval} (--approve)`);
        }
        // Without --approve an InstallPlan waiting for a person will not move: stop now and say so.
        if (a.approval && !s.approve) return { ...a, failed: a.blocker! };
        return a;
      },
    });
    r.operators.push(op.pkg);
    s.progress.ok(`operator ${op.pkg}: ${obs.status}`);
  }
}

/** Waits until a CRD serving each group/version/kind is Established. */
export async function waitCrds(crds: CrdWait[], s: StepOptions): Promise<void> {
  for (const w of crds) {
    await waitFor({
      what: `CRD for ${w.kind} (${w.group}/${w.version})`,
      timeoutMs: s.timeoutMs,
      intervalMs: s.intervalMs,
      clock: s.clock,
      progress: s.progress,
      poll: async () => {
        const crds = await s.kube.list("apiextensions.k8s.io/v1", "CustomResourceDefinition");
        const found = crds.map((c) => ({ c, ...crdServes(c, w) })).find((x) => x.matches);
        if (found?.established) return { done: true, status: `${found.c.metadata.name} Established` };
        return {
          done: false,
          status: found ? `${found.c.metadata.name} not yet Established` : "not created yet",
          blocker: {
            what: `no Established CRD serves ${w.kind} ${w.group}/${w.version}${w.provider ? ` (provided by ${w.provider})` : ""}`,
            next: w.provider
              ? `check the ${w.provider} operator installed (\`oc get csv -A | grep ${w.provider}\`)`
              : "install the operator that provides this API",
          },
        };
      },
    });
    s.progress.ok(`CRD for ${w.kind} Established`);
  }
}

/** Runs the direct-install steps for one group of objects (one sync wave). */
export async function runDirectSteps(objects: KubeObject[], s: StepOptions, r: InstallReport): Promise<void> {
  for (const step of planDirectInstall(objects)) {
    s.progress.phase(step.title);
    if (step.type === "apply") await applyObjects(step.objects, s, r);
    else if (step.type === "operators") await waitOperators(step.operators, s, r);
    else if (step.type === "crds") await waitCrds(step.crds, s);
    else {
      const t = await applyTuning(s.kube, step.objects, {
        timeoutMs: s.timeoutMs,
        intervalMs: s.intervalMs,
        settleMs: s.settleMs,
        clock: s.clock,
        progress: s.progress,
      });
      r.reboots += t.reboots;
      r.rollouts += t.rollouts;
      for (const a of t.applied) {
        if (a.action === "create") r.created++;
        else if (a.action === "update") r.configured++;
        else r.unchanged++;
      }
    }
  }
}

export interface WaveSource {
  wave: number;
  name: string;
  objects: LoadedObject[];
}

/** Glob of Argo CD's directory.include: `{a.yaml,b.yaml}` or `*.yaml`. */
function includeMatcher(include: string | undefined): (f: string) => boolean {
  if (!include) return () => true;
  const alts = include.replace(/^\{|\}$/g, "").split(",");
  const res = alts.map(
    (a) =>
      new RegExp(
        `^${a
          .replace(/[.+^$()|[\]\\]/g, "\\$&")
          .replace(/\*/g, "[^/]*")
          .replace(/\?/g, ".")}$`,
      ),
  );
  return (f) => res.some((re) => re.test(f));
}

/** Patches the root Application adds to the app-of-apps kustomization. */
export interface AppOfAppsRender {
  patches: KustomizePatch[];
}

/**
 * Builds the app-of-apps directory with the root's patches, as Argo CD does (it appends them to
 * the kustomization and builds): here a throw-away kustomization outside the checkout refers to
 * the directory by a relative path (kustomize refuses absolute ones), so the checkout is never
 * written to.
 */
async function buildAppOfApps(
  root: string,
  appsDir: string,
  render: AppOfAppsRender,
  env: NodeJS.ProcessEnv,
): Promise<LoadedObject[]> {
  const dir = mkdtempSync(join(tmpdir(), "llw-app-of-apps-"));
  try {
    const abs = resolve(root, appsDir);
    writeFileAtomicSync(
      join(dir, "kustomization.yaml"),
      stringify({
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: [relative(dir, abs)],
        patches: render.patches,
      }),
    );
    const objs = await loadManifests([dir], root, env);
    return objs.map((o) => ({ ...o, source: appsDir }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Reads the tree as Argo CD would: the app-of-apps directory's Applications (built with the
 * root's patches when given), each source path built locally, grouped by sync
 * wave. A directory holding no Application is one wave by itself.
 */
export async function loadTreeByWave(
  root: string,
  appsDir: string,
  env: NodeJS.ProcessEnv,
  render?: AppOfAppsRender,
): Promise<WaveSource[]> {
  const top =
    render && render.patches.length > 0
      ? await buildAppOfApps(root, appsDir, render, env)
      : await loadManifests([appsDir], root, env);
  const apps = top.filter(
    (l) => l.object.kind === "Application" && l.object.apiVersion.startsWith("argoproj.io/"),
  );
  if (apps.length === 0) return [{ wave: 0, name: appsDir, objects: top }];
  const sources: WaveSource[] = [];
  for (const a of apps) {
    const src = a.object.spec?.source ?? a.object.spec?.sources?.[0];
    const path: string | undefined = src?.path;
    if (!path) continue;
    let objects = await loadManifests([path], root, env);
    const match = includeMatcher(src.directory?.include);
    if (src.directory?.include) objects = objects.filter((o) => match(o.source.split("/").at(-1) ?? ""));
    const ns: string | undefined = a.object.spec?.destination?.namespace;
    // Argo CD puts namespaced objects without a namespace into the destination namespace.
    if (ns)
      for (const o of objects)
        if (!o.object.metadata.namespace && o.object.kind !== "Namespace") o.object.metadata.namespace = ns;
    // syncOptions CreateNamespace=true: Argo CD creates the destination namespace first.
    const createNs = (a.object.spec?.syncPolicy?.syncOptions ?? []).includes("CreateNamespace=true");
    if (
      ns &&
      createNs &&
      !objects.some((o) => o.object.kind === "Namespace" && o.object.metadata.name === ns)
    ) {
      objects.unshift({
        object: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
        source: `${a.source} (CreateNamespace=true)`,
      });
    }
    sources.push({ wave: syncWave(a.object), name: a.object.metadata.name!, objects });
  }
  // One group per wave, as Argo CD syncs a wave together: the tuning of several Applications in
  // one wave (profile, SR-IOV policies) then becomes one paused rollout instead of one each.
  const byWave = new Map<number, WaveSource>();
  for (const src of sources.sort((x, y) => x.wave - y.wave || x.name.localeCompare(y.name))) {
    const w = byWave.get(src.wave);
    if (w) {
      w.name = `${w.name}, ${src.name}`;
      w.objects.push(...src.objects);
    } else byWave.set(src.wave, { ...src, objects: [...src.objects] });
  }
  return [...byWave.values()];
}

/** The repository root: the nearest directory upwards holding gitops/. */
export function findRepoRoot(cwd: string): string | undefined {
  let d = cwd;
  for (;;) {
    if (existsSync(join(d, "gitops"))) return d;
    const up = join(d, "..");
    if (up === d) return undefined;
    d = up;
  }
}

/** Follows the Applications in a namespace until every one is Synced and Healthy. */
export async function followApplications(namespace: string, root: string, s: StepOptions): Promise<number> {
  let count = 0;
  await waitFor({
    what: "Argo CD Applications",
    timeoutMs: s.timeoutMs,
    intervalMs: s.intervalMs,
    clock: s.clock,
    progress: s.progress,
    poll: async () => {
      const apps = await s.kube.list("argoproj.io/v1alpha1", "Application", { namespace });
      count = apps.length;
      const state = (a: KubeObject) =>
        `${a.status?.sync?.status ?? "Unknown"}/${a.status?.health?.status ?? "Unknown"}`;
      const ready = apps.filter((a) => state(a) === "Synced/Healthy");
      const rootApp = apps.find((a) => a.metadata.name === root);
      const pending = apps.filter((a) => state(a) !== "Synced/Healthy");
      const why = pending.map((a) => {
        const op = a.status?.operationState;
        const cond = (a.status?.conditions ?? []).find((c: { type: string }) => /Error|Warning/.test(c.type));
        const msg =
          a.status?.health?.message ??
          (op?.phase && op.phase !== "Succeeded" ? `${op.phase}: ${op.message}` : undefined) ??
          cond?.message;
        return `${a.metadata.name} ${state(a)}${msg ? ` (${msg})` : ""}`;
      });
      return {
        done: Boolean(rootApp) && pending.length === 0,
        status: `${ready.length}/${apps.length} Synced and Healthy${
          pending[0]
            ? `; waiting for ${pending
                .map((a) => a.metadata.name)
                .slice(0, 3)
                .join(", ")}`
            : ""
        }`,
        ...(why.length > 0
          ? {
              blocker: {
                what: `Applications not Synced/Healthy: ${why.join("; ")}`,
                where: `namespace ${namespace}`,
                next: "open the Argo CD console (route openshift-gitops-server in openshift-gitops) or `oc describe application <name> -n openshift-gitops`; re-run llw install to keep following",
              },
            }
          : {}),
      };
    },
  });
  return count;
}
