/**
 * Argo CD's application controller syncing what a repo server renders (argoproj/argo-cd master):
 * given a `RepoServer` (the manifests of an Application's source at a resolved revision), each
 * Application is compared with the cluster and, with spec.syncPolicy.automated, synced
 * (controller/appcontroller.go, controller/sync.go, gitops-engine/pkg/sync/sync_context.go):
 * - resources are applied wave by wave (annotation argocd.argoproj.io/sync-wave, default 0;
 *   Namespaces first in a wave), and the next wave starts only once every resource of the
 *   previous one is healthy (argo-health.ts); namespaced resources without a namespace go to
 *   spec.destination.namespace, created first with syncOptions CreateNamespace=true;
 * - a resource whose kind the cluster does not serve fails the sync ("the server could not find
 *   the requested resource"; SkipDryRunOnMissingResource=true only skips the dry run): with
 *   spec.syncPolicy.retry the sync is retried after backoff.duration x factor^n, at most
 *   maxDuration, up to limit times;
 * - each resource carries the tracking annotation argocd.argoproj.io/tracking-id
 *   "<app>:<group>/<kind>:<namespace>/<name>" (util/argo/resource_tracking.go, the default method);
 *   a change to one re-compares its Application; with selfHeal a drifted or deleted resource is
 *   synced again, without it the Application only turns OutOfSync; with prune a tracked resource
 *   no longer rendered is deleted;
 * - status: sync.status Synced/OutOfSync with sync.revision, health.status the worst of the
 *   resources', resources[], operationState.phase Running/Succeeded/Failed with its message;
 * - deleting an Application that has the resources-finalizer.argocd.argoproj.io finalizer deletes
 *   every resource it tracks and removes the finalizer once they are gone (controller/appcontroller.go
 *   finalizeApplicationDeletion).
 * Simplified: applying is a merge of the rendered object into the live one (server-side apply with
 * force, without removing fields Argo CD applied earlier), and Git is read when something changes,
 * not every 3 minutes.
 */
import { parseDuration } from "../../../src/cluster/clock.ts";
import type { Obj } from "../apiserver.ts";
import type { Ctx } from "../context.ts";
import { mergePatch } from "../merge.ts";
import { resourceHealth, worst } from "./argo-health.ts";

const APP = "argoproj.io/v1alpha1";
const FINALIZER = "resources-finalizer.argocd.argoproj.io";
const TRACKING = "argocd.argoproj.io/tracking-id";

export interface RenderedSource {
  revision: string;
  objects: Obj[];
}
/** Argo CD's repo server: an Application's source, rendered (throws with the render error). */
export type RepoServer = (app: Obj) => Promise<RenderedSource>;

const groupOf = (o: Obj) => (String(o.apiVersion).includes("/") ? String(o.apiVersion).split("/")[0] : "");
const trackingId = (app: string, o: Obj) =>
  `${app}:${groupOf(o)}/${o.kind}:${o.metadata.namespace ?? ""}/${o.metadata.name}`;
const wave = (o: Obj) => Number(o.metadata?.annotations?.["argocd.argoproj.io/sync-wave"] ?? 0) || 0;

const withoutStatus = (o: Obj): Obj => {
  const { status: _s, ...body } = o;
  return body;
};

/** Every field of `want` is in `have` with the same value (lists compared whole). */
function contains(have: unknown, want: unknown): boolean {
  if (want === null || typeof want !== "object" || Array.isArray(want))
    return JSON.stringify(have) === JSON.stringify(want);
  if (have === null || typeof have !== "object") return false;
  return Object.entries(want as Obj).every(([k, v]) => contains((have as Obj)[k], v));
}

interface AppState {
  wave?: number;
  retries: number;
  retryAt: number;
}

export function startArgoSync(ctx: Ctx, repo: RepoServer): void {
  const { api, timing } = ctx;
  const states = new Map<string, AppState>();
  const queued = new Set<string>();
  const running = new Set<string>();

  const schedule = (ns: string, name: string, delay = timing.argoSync) => {
    const key = `${ns}/${name}`;
    if (queued.has(key)) return;
    queued.add(key);
    api.after(delay, async () => {
      queued.delete(key);
      if (running.has(key)) return schedule(ns, name, delay);
      running.add(key);
      try {
        await reconcile(ns, name);
      } finally {
        running.delete(key);
      }
    });
  };

  const live = (o: Obj) => api.get(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace);

  function desiredOf(app: Obj, objects: Obj[]): Obj[] {
    const dest = app.spec?.destination?.namespace;
    const out = objects.map((o) => {
      const x = structuredClone(o);
      const def = api.resourceFor(x.apiVersion, x.kind);
      if (dest && !x.metadata.namespace && def?.namespaced !== false && x.kind !== "Namespace")
        x.metadata.namespace = dest;
      x.metadata.annotations = { ...x.metadata.annotations, [TRACKING]: trackingId(app.metadata.name, x) };
      return x;
    });
    const options: string[] = app.spec?.syncPolicy?.syncOptions ?? [];
    if (
      dest &&
      options.includes("CreateNamespace=true") &&
      !out.some((o) => o.kind === "Namespace" && o.metadata.name === dest)
    )
      out.unshift({ apiVersion: "v1", kind: "Namespace", metadata: { name: dest, annotations: {} } });
    return out;
  }

  function applyOne(o: Obj): string | undefined {
    const def = api.resourceFor(o.apiVersion, o.kind);
    if (!def)
      return `the server could not find the requested resource (${o.kind}.${groupOf(o)} ${o.metadata.name})`;
    const ns = o.metadata.namespace;
    if (def.namespaced) {
      const n = api.get("v1", "Namespace", ns);
      if (!n) return `namespaces "${ns}" not found`;
      if (n.metadata.deletionTimestamp)
        return `unable to create new content in namespace ${ns} because it is being terminated`;
    }
    const cur = live(o);
    const body = withoutStatus(o);
    if (!cur) api.seed(def.kind === "Namespace" ? { ...body, status: { phase: "Active" } } : body);
    else if (!contains(cur, body))
      api.update(o.apiVersion, o.kind, o.metadata.name, ns, mergePatch(structuredClone(cur), body) as Obj);
    return undefined;
  }

  async function finalize(app: Obj): Promise<void> {
    const tracked: Obj[] = app.status?.resources ?? [];
    let left = 0;
    for (const r of tracked) {
      const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
      if (!api.resourceFor(apiVersion, r.kind)) continue;
      if (!api.get(apiVersion, r.kind, r.name, r.namespace)) continue;
      left++;
      api.delete(apiVersion, r.kind, r.name, r.namespace);
    }
    if (left > 0) return schedule(app.metadata.namespace, app.metadata.name);
    api.update(APP, "Application", app.metadata.name, app.metadata.namespace, {
      metadata: { finalizers: (app.metadata.finalizers ?? []).filter((f: string) => f !== FINALIZER) },
    });
  }

  async function reconcile(ns: string, name: string): Promise<void> {
    const app = api.get(APP, "Application", name, ns);
    if (!app) return;
    const key = `${ns}/${name}`;
    if (app.metadata.deletionTimestamp) {
      if ((app.metadata.finalizers ?? []).includes(FINALIZER)) await finalize(app);
      return;
    }
    let rendered: RenderedSource;
    try {
      rendered = await repo(app);
    } catch (e) {
      api.update(APP, "Application", name, ns, {
        status: {
          sync: { status: "Unknown" },
          health: { status: "Unknown" },
          conditions: [{ type: "ComparisonError", message: (e as Error).message }],
        },
      });
      return;
    }
    const desired = desiredOf(app, rendered.objects);
    const state = states.get(key) ?? { retries: 0, retryAt: 0 };
    states.set(key, state);
    const auto = app.spec?.syncPolicy?.automated;
    const drifted = desired.filter((o) => {
      const cur = live(o);
      return !cur || !contains(cur, withoutStatus(o));
    });
    const lastSynced = app.status?.operationState?.syncResult?.revision;
    const wantSync =
      auto &&
      (state.wave !== undefined ||
        (drifted.length > 0 && (auto.selfHeal || lastSynced !== rendered.revision)));
    let operation = app.status?.operationState;
    if (wantSync && api.now() >= state.retryAt) {
      const waves = [...new Set(desired.map(wave))].sort((a, b) => a - b);
      const from = state.wave ?? waves[0]!;
      let failed: string | undefined;
      let waiting: string | undefined;
      for (const w of waves.filter((x) => x >= from)) {
        const batch = desired
          .filter((o) => wave(o) === w)
          .sort((a, b) => Number(b.kind === "Namespace") - Number(a.kind === "Namespace"));
        for (const o of batch) failed ??= applyOne(o);
        if (failed) break;
        const unhealthy = batch.find((o) => {
          const cur = live(o);
          const h = cur ? resourceHealth(api, cur) : { status: "Missing" };
          return h && h.status !== "Healthy";
        });
        if (unhealthy && w !== waves.at(-1)) {
          state.wave = w;
          waiting = `waiting for healthy state of ${groupOf(unhealthy)}/${unhealthy.kind}/${unhealthy.metadata.name}`;
          break;
        }
      }
      const retry = app.spec?.syncPolicy?.retry;
      if (failed) {
        state.wave = undefined;
        state.retries++;
        const b = retry?.backoff ?? {};
        const base = parseDuration(String(b.duration ?? "5s")) ?? 5000;
        const max = parseDuration(String(b.maxDuration ?? "3m")) ?? 180_000;
        const delay = Math.min(base * Number(b.factor ?? 2) ** (state.retries - 1), max);
        const canRetry = retry && state.retries <= Number(retry.limit ?? 5);
        state.retryAt = canRetry ? api.now() + delay : Number.POSITIVE_INFINITY;
        operation = {
          phase: canRetry ? "Running" : "Failed",
          message: `one or more objects failed to apply, reason: ${failed}${canRetry ? ` (retried ${state.retries} times)` : ""}`,
          retryCount: state.retries,
        };
        if (canRetry) schedule(ns, name, delay);
      } else if (waiting) {
        operation = { phase: "Running", message: waiting, syncResult: { revision: rendered.revision } };
      } else {
        state.wave = undefined;
        state.retries = 0;
        operation = {
          phase: "Succeeded",
          message: "successfully synced (all tasks run)",
          syncResult: { revision: rendered.revision },
        };
      }
    }
    // Prune: what this Application tracked and no longer renders.
    const keep = new Set(desired.map((o) => trackingId(name, o)));
    for (const r of app.status?.resources ?? []) {
      const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
      const o = { apiVersion, kind: r.kind, metadata: { name: r.name, namespace: r.namespace } };
      if (keep.has(trackingId(name, o)) || !auto?.prune || !api.resourceFor(apiVersion, r.kind)) continue;
      api.delete(apiVersion, r.kind, r.name, r.namespace);
    }
    let health = "Healthy";
    const resources = desired.map((o) => {
      const cur = live(o);
      const h = cur ? resourceHealth(api, cur) : { status: "Missing" };
      if (h) health = worst(health, h.status);
      const [group, version] = String(o.apiVersion).includes("/")
        ? String(o.apiVersion).split("/")
        : ["", o.apiVersion];
      return {
        group,
        version,
        kind: o.kind,
        ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
        name: o.metadata.name,
        status: cur && contains(cur, withoutStatus(o)) ? "Synced" : "OutOfSync",
        ...(h ? { health: { status: h.status, ...(h.message ? { message: h.message } : {}) } } : {}),
      };
    });
    const synced = resources.every((r) => r.status === "Synced");
    const message = resources.find((r) => r.health?.status === health && health !== "Healthy")?.health
      ?.message;
    api.update(APP, "Application", name, ns, {
      status: {
        sync: { status: synced ? "Synced" : "OutOfSync", revision: rendered.revision },
        health: { status: health, ...(message ? { message } : {}) },
        resources,
        conditions: null,
        ...(operation ? { operationState: operation } : {}),
      },
    });
    if (state.wave !== undefined || health !== "Healthy" || (!synced && auto)) schedule(ns, name);
  }

  api.on(undefined, (ev) => {
    const o = ev.object;
    if (o.kind === "Application" && groupOf(o) === "argoproj.io") {
      if (ev.type === "DELETED") {
        states.delete(`${o.metadata.namespace}/${o.metadata.name}`);
        return;
      }
      const specChanged = JSON.stringify(ev.old?.spec) !== JSON.stringify(o.spec);
      if (
        ev.type === "ADDED" ||
        specChanged ||
        o.metadata.deletionTimestamp !== ev.old?.metadata?.deletionTimestamp
      )
        schedule(o.metadata.namespace, o.metadata.name);
    }
    // A change to a tracked resource re-compares its Application (and, with selfHeal, syncs it).
    const owner = String(
      o.metadata?.annotations?.[TRACKING] ?? ev.old?.metadata?.annotations?.[TRACKING] ?? "",
    ).split(":")[0];
    if (owner)
      for (const a of api.list(APP, "Application"))
        if (a.metadata.name === owner) schedule(a.metadata.namespace, owner);
  });
}
