/**
 * Argo CD (OpenShift GitOps), reduced to what llw follows: an Application syncs in steps,
 * OutOfSync/Missing -> Synced/Progressing -> Synced/Healthy (argoproj/argo-cd master,
 * controller/appcontroller.go; health from gitops-engine pkg/health), one step per argoSync. The
 * simulator cannot render the Git repository, so the app of apps' children are data: the root
 * Application (any Application not itself a child) creates `children` with its source. A child
 * named in `degrade` stops at Degraded with that message, as a failing resource makes it. Given a
 * repo server that renders Applications' sources, Applications instead sync what it renders
 * (argo-sync.ts).
 */
import type { Obj } from "../apiserver.ts";
import type { Ctx } from "../context.ts";
import { type RepoServer, startArgoSync } from "./argo-sync.ts";

const APP = "argoproj.io/v1alpha1";

export interface ArgoOptions {
  children: string[];
  degrade?: { app: string; message: string };
  /** A repo server: Applications then sync what it renders (argo-sync.ts) instead of `children`. */
  repo?: RepoServer;
}

export function startArgo(ctx: Ctx, o: ArgoOptions): void {
  if (o.repo) {
    startArgoSync(ctx, o.repo);
    return;
  }
  const { api, timing } = ctx;
  const step = (name: string, ns: string) => {
    const a = api.get(APP, "Application", name, ns);
    if (!a) return;
    const s = `${a.status?.sync?.status}/${a.status?.health?.status}`;
    let next: Obj | undefined;
    if (s === "undefined/undefined" || s === "OutOfSync/Missing")
      next = {
        sync: { status: "Synced", revision: "0123456789abcdef0123456789abcdef01234567" },
        health: { status: "Progressing" },
      };
    else if (s === "Synced/Progressing")
      next =
        o.degrade?.app === name
          ? { health: { status: "Degraded", message: o.degrade.message } }
          : { health: { status: "Healthy" } };
    if (!next) return;
    api.update(APP, "Application", name, ns, { status: next });
    api.after(timing.argoSync, () => step(name, ns));
  };
  api.on(["Application"], (ev) => {
    if (ev.type !== "ADDED") return;
    const a = ev.object;
    const ns = a.metadata.namespace;
    if (!a.status?.sync)
      api.update(APP, "Application", a.metadata.name, ns, {
        status: { sync: { status: "OutOfSync" }, health: { status: "Missing" } },
      });
    api.after(timing.argoSync, () => step(a.metadata.name, ns));
    if (o.children.includes(a.metadata.name)) return;
    api.after(timing.argoSync, () => {
      for (const c of o.children)
        if (!api.get(APP, "Application", c, ns))
          api.seed({
            apiVersion: APP,
            kind: "Application",
            metadata: { name: c, namespace: ns },
            spec: { project: "default", source: a.spec?.source },
          });
    });
  });
}
