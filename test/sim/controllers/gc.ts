/**
 * kube-controller-manager's deletion controllers (kubernetes/kubernetes master):
 * - namespace controller (pkg/controller/namespace/deletion/namespaced_resources_deleter.go): a
 *   Namespace with a deletionTimestamp is Terminating; each pass deletes every namespaced object
 *   in it (objects with finalizers stay until their owners remove them) and, once nothing is
 *   left, removes the namespace's "kubernetes" finalizer: the Namespace is gone. Until then the
 *   NamespaceLifecycle admission refuses new content (apiserver.ts).
 * - garbage collector (pkg/controller/garbagecollector/garbagecollector.go, background cascading
 *   deletion): once an owner is gone, every object whose ownerReferences name its uid is deleted
 *   (and, through its own deletion, its dependents).
 */
import type { Obj } from "../apiserver.ts";
import type { Ctx } from "../context.ts";

const apiVersionOf = (d: { group: string; version: string }) =>
  d.group ? `${d.group}/${d.version}` : d.version;

export function startGc(ctx: Ctx): void {
  const { api, timing } = ctx;
  const passing = new Set<string>();

  function namespacePass(ns: string): void {
    passing.delete(ns);
    const cur = api.get("v1", "Namespace", ns);
    if (!cur?.metadata.deletionTimestamp) return;
    let left = 0;
    for (const def of api.resources().filter((d) => d.namespaced)) {
      for (const o of api.list(apiVersionOf(def), def.kind, ns)) {
        left++;
        api.delete(o.apiVersion, o.kind, o.metadata.name, ns);
      }
    }
    if (left === 0) api.remove("v1", "Namespace", ns);
    else schedule(ns);
  }
  const schedule = (ns: string) => {
    if (passing.has(ns)) return;
    passing.add(ns);
    api.after(timing.gc, () => namespacePass(ns));
  };

  api.on(undefined, (ev) => {
    const o = ev.object;
    if (o.kind === "Namespace" && ev.type !== "DELETED" && o.metadata.deletionTimestamp)
      schedule(o.metadata.name);
    if (ev.type !== "DELETED" || !o.metadata.uid) return;
    const uid = o.metadata.uid as string;
    api.after(timing.gc, () => {
      for (const def of api.resources()) {
        for (const d of api.list(apiVersionOf(def), def.kind)) {
          if ((d.metadata.ownerReferences ?? []).some((r: Obj) => r.uid === uid))
            api.delete(d.apiVersion, d.kind, d.metadata.name, d.metadata.namespace);
        }
      }
    });
  });
}
