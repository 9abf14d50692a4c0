/**
 * The Machine Config Operator (openshift/machine-config-operator, main):
 * - render controller (pkg/controller/render/render_controller.go): a MachineConfig change
 *   queues every pool whose machineConfigSelector selects it, renderDelay (5 s) later; a pool
 *   already queued is not queued again (client-go workqueue AddAfter), so changes within the
 *   window make one render and later ones another. The rendered config is named
 *   `rendered-<pool>-<md5 of the merged config>` (pkg/controller/render/hash.go): the same
 *   content gives the same name. Rendering goes on while a pool is paused; only spec changes
 *   (generation) of MachineConfigs count, never status writes.
 * - kubelet-config controller (pkg/controller/kubelet-config/helpers.go): a KubeletConfig
 *   becomes MachineConfig `99-<pool>-generated-kubelet` for each pool its
 *   machineConfigPoolSelector selects.
 * - node controller (pkg/controller/node/node_controller.go): a node belongs to the pool whose
 *   nodeSelector matches it, a custom pool winning over worker; an unpaused pool hands the target
 *   config to at most maxUnavailable (default 1) nodes at a time (getAllCandidateMachines);
 *   pool status counts and Updated/Updating/Degraded conditions (pkg/controller/node/status.go).
 * - drain controller (pkg/controller/drain/drain_controller.go): cordon, evict every pod but
 *   DaemonSet ones through the eviction API (PodDisruptionBudgets and admission webhooks apply),
 *   retry refused evictions; past DrainTimeoutDuration (1 h) a DrainFailed event, and it goes on
 *   retrying: a blocked drain never fails by itself.
 * - machine config daemon (pkg/daemon/daemon.go): Working, drain, write, reboot (node NotReady),
 *   Done on the new config; the kubelet comes back with the resources the new config gives.
 */
import { createHash } from "node:crypto";
import type { Obj } from "../apiserver.ts";
import { type Ctx, conditionOf, selects, setCondition } from "../context.ts";
import { cond, nodeResources } from "../objects.ts";
import { evict } from "./disruption.ts";

const MC = "machineconfiguration.openshift.io/v1";
const A = "machineconfiguration.openshift.io";
const DRAIN_TIMEOUT_MS = 60 * 60 * 1000;

export function isRendered(mc: Obj): boolean {
  return String(mc.metadata?.name).startsWith("rendered-");
}

/** The pool a node belongs to: a custom pool wins over worker (node_controller getPrimaryPoolForNode). */
export function primaryPool(
  ctx: Ctx,
  node: Obj,
  pools = ctx.api.list(MC, "MachineConfigPool"),
): Obj | undefined {
  const matching = pools.filter((p) => selects(p.spec?.nodeSelector, node.metadata.labels));
  const custom = matching.filter((p) => p.metadata.name !== "worker" && p.metadata.name !== "master");
  return custom[0] ?? matching.find((p) => p.metadata.name === "master") ?? matching[0];
}

export function poolNodes(ctx: Ctx, pool: Obj): Obj[] {
  const pools = ctx.api.list(MC, "MachineConfigPool");
  return ctx.api
    .list("v1", "Node")
    .filter((n) => primaryPool(ctx, n, pools)?.metadata.name === pool.metadata.name);
}

/** The rendered config a pool's MachineConfigs make (name and merged spec), or undefined if none. */
export function renderPool(ctx: Ctx, pool: Obj): { name: string; spec: Obj; sources: string[] } | undefined {
  const mcs = ctx.api
    .list(MC, "MachineConfig")
    .filter((m) => !isRendered(m) && selects(pool.spec?.machineConfigSelector, m.metadata.labels))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  if (mcs.length === 0) return undefined;
  const spec: Obj = {
    config: { ignition: { version: "3.4.0" }, storage: { files: [] }, systemd: { units: [] } },
    kernelArguments: [],
  };
  for (const m of mcs) {
    spec.kernelArguments.push(...(m.spec?.kernelArguments ?? []));
    spec.config.storage.files.push(...(m.spec?.config?.storage?.files ?? []));
    spec.config.systemd.units.push(...(m.spec?.config?.systemd?.units ?? []));
    if (m.spec?.osImageURL) spec.osImageURL = m.spec.osImageURL;
    if (m.spec?.kernelType) spec.kernelType = m.spec.kernelType;
  }
  const hash = createHash("md5").update(JSON.stringify(spec)).digest("hex");
  return { name: `rendered-${pool.metadata.name}-${hash}`, spec, sources: mcs.map((m) => m.metadata.name) };
}

/** Writes the rendered MachineConfig and points the pool at it; true if the pool's target changed. */
export function render(ctx: Ctx, poolName: string): boolean {
  const pool = ctx.api.get(MC, "MachineConfigPool", poolName);
  if (!pool) return false;
  const r = renderPool(ctx, pool);
  if (!r) return false;
  if (!ctx.api.get(MC, "MachineConfig", r.name))
    ctx.api.seed({
      apiVersion: MC,
      kind: "MachineConfig",
      metadata: {
        name: r.name,
        annotations: { [`${A}/generated-by-controller-version`]: "sim" },
        ownerReferences: [
          {
            apiVersion: MC,
            kind: "MachineConfigPool",
            name: poolName,
            uid: pool.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: r.spec,
    });
  if (pool.spec?.configuration?.name === r.name) return false;
  ctx.api.update(MC, "MachineConfigPool", poolName, undefined, {
    spec: {
      configuration: {
        name: r.name,
        source: r.sources.map((name) => ({ apiVersion: MC, kind: "MachineConfig", name })),
      },
    },
  });
  ctx.stats.renders++;
  ctx.stats.log.push(`render ${r.name} (pool ${poolName})`);
  return true;
}

/** Node resources a rendered config gives the kubelet (hugepages, reserved CPUs of a PerformanceProfile). */
function resourcesFor(ctx: Ctx, node: Obj, config: string): { capacity: Obj; allocatable: Obj } {
  const mc = ctx.api.get(MC, "MachineConfig", config);
  const args: string[] = mc?.spec?.kernelArguments ?? [];
  let huge1 = 0;
  let huge2 = 0;
  for (let i = 0; i < args.length; i++) {
    const m = args[i]!.match(/^hugepagesz=(1G|2M)$/);
    const n = args[i + 1]?.match(/^hugepages=(\d+)$/);
    if (m && n && m[1] === "1G") huge1 += Number(n[1]);
    else if (m && n) huge2 += Number(n[1]);
  }
  for (const u of mc?.spec?.config?.systemd?.units ?? []) {
    const m = String(u.name).match(/^hugepages-allocation-(1048576|2048)kB-NUMA\d+\.service$/);
    const n = String(u.contents ?? "").match(/NR_PAGES=(\d+)/);
    if (m && n && m[1] === "1048576") huge1 += Number(n[1]);
    else if (m && n) huge2 += Number(n[1]);
  }
  let reserved: number | undefined;
  for (const f of mc?.spec?.config?.storage?.files ?? []) {
    if (f.path !== "/etc/kubernetes/kubelet.conf") continue;
    const conf = JSON.parse(decodeURIComponent(String(f.contents?.source ?? "").replace(/^data:,/, "")));
    if (conf.reservedSystemCPUs) reserved = countCpus(conf.reservedSystemCPUs);
  }
  const type = node.metadata.labels?.["node.kubernetes.io/instance-type"];
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(node.status?.capacity ?? {})) if (k.includes("/")) extra[k] = String(v);
  const tuned = reserved !== undefined || huge1 > 0 || huge2 > 0;
  return nodeResources(
    type,
    tuned ? { reservedCpus: reserved ?? 0, hugepages1Gi: huge1, hugepages2Mi: huge2 } : undefined,
    extra,
  );
}

function countCpus(list: string): number {
  return String(list)
    .split(",")
    .filter(Boolean)
    .reduce((n, r) => {
      const [a, b] = r.split("-").map(Number);
      return n + (b === undefined ? 1 : b - a! + 1);
    }, 0);
}

export function startMco(ctx: Ctx): void {
  const { api, timing } = ctx;
  const queuedRender = new Set<string>();
  const queuedSync = new Set<string>();
  const working = new Set<string>();
  const enqueueRender = (pool: string) => {
    if (queuedRender.has(pool)) return;
    queuedRender.add(pool);
    api.after(timing.render, () => {
      queuedRender.delete(pool);
      render(ctx, pool);
    });
  };
  const enqueueSync = (pool: string) => {
    if (queuedSync.has(pool)) return;
    queuedSync.add(pool);
    api.after(Math.min(500, timing.nodeSync), () => {
      queuedSync.delete(pool);
      syncPool(pool);
    });
  };
  const syncAll = () => {
    for (const p of api.list(MC, "MachineConfigPool")) enqueueSync(p.metadata.name);
  };

  api.on(["MachineConfig"], (ev) => {
    if (isRendered(ev.object)) return;
    if (ev.type === "MODIFIED" && ev.old?.metadata.generation === ev.object.metadata.generation) return;
    for (const p of api.list(MC, "MachineConfigPool"))
      if (
        selects(p.spec?.machineConfigSelector, ev.object.metadata.labels) ||
        selects(p.spec?.machineConfigSelector, ev.old?.metadata?.labels)
      )
        enqueueRender(p.metadata.name);
  });
  api.on(["MachineConfigPool"], (ev) => {
    if (ev.type === "DELETED") return;
    const selChanged =
      ev.type === "ADDED" ||
      JSON.stringify(ev.old?.spec?.machineConfigSelector) !==
        JSON.stringify(ev.object.spec?.machineConfigSelector);
    if (selChanged) enqueueRender(ev.object.metadata.name);
    if (ev.type === "ADDED" || JSON.stringify(ev.old?.spec) !== JSON.stringify(ev.object.spec)) syncAll();
  });
  api.on(["KubeletConfig"], (ev) => {
    if (ev.type === "MODIFIED" && ev.old?.metadata.generation === ev.object.metadata.generation) return;
    api.after(timing.kubeletConfig, () => kubeletConfigToMachineConfig(ev.object, ev.type === "DELETED"));
  });
  api.on(["Node"], (ev) => {
    if (ev.type === "DELETED") return syncAll();
    const a = ev.object.metadata.annotations ?? {};
    if (
      a[`${A}/desiredConfig`] &&
      a[`${A}/desiredConfig`] !== a[`${A}/currentConfig`] &&
      a[`${A}/state`] === "Done"
    )
      startUpdate(ev.object.metadata.name);
    const o = ev.old?.metadata;
    if (
      !o ||
      JSON.stringify(o.annotations) !== JSON.stringify(a) ||
      JSON.stringify(o.labels) !== JSON.stringify(ev.object.metadata.labels) ||
      Boolean(ev.old?.spec?.unschedulable) !== Boolean(ev.object.spec?.unschedulable) ||
      conditionOf(ev.old, "Ready")?.status !== conditionOf(ev.object, "Ready")?.status
    )
      syncAll();
  });

  function kubeletConfigToMachineConfig(kc: Obj, deleted: boolean): void {
    for (const p of api.list(MC, "MachineConfigPool")) {
      if (!selects(kc.spec?.machineConfigPoolSelector, p.metadata.labels)) continue;
      const name = `99-${p.metadata.name}-generated-kubelet`;
      if (deleted) {
        api.remove(MC, "MachineConfig", name);
        continue;
      }
      const conf = {
        kind: "KubeletConfiguration",
        apiVersion: "kubelet.config.k8s.io/v1beta1",
        ...kc.spec?.kubeletConfig,
      };
      const obj = {
        apiVersion: MC,
        kind: "MachineConfig",
        metadata: {
          name,
          labels: { [`${A}/role`]: p.metadata.name },
          ownerReferences: [
            { apiVersion: MC, kind: "KubeletConfig", name: kc.metadata.name, uid: kc.metadata.uid },
          ],
        },
        spec: {
          config: {
            ignition: { version: "3.4.0" },
            storage: {
              files: [
                {
                  path: "/etc/kubernetes/kubelet.conf",
                  mode: 420,
                  overwrite: true,
                  contents: { source: `data:,${encodeURIComponent(JSON.stringify(conf))}` },
                },
              ],
            },
          },
        },
      };
      const cur = api.get(MC, "MachineConfig", name);
      if (!cur) api.seed(obj);
      else if (JSON.stringify(cur.spec) !== JSON.stringify(obj.spec))
        api.update(MC, "MachineConfig", name, undefined, { spec: obj.spec });
      api.update(MC, "KubeletConfig", kc.metadata.name, undefined, {
        status: { conditions: [cond("Success", "True", "", "Success")] },
      });
    }
  }

  function syncPool(name: string): void {
    const pool = api.get(MC, "MachineConfigPool", name);
    if (!pool) return;
    const target: string = pool.spec?.configuration?.name ?? "";
    let nodes = poolNodes(ctx, pool);
    const ann = (n: Obj, k: string) => n.metadata.annotations?.[`${A}/${k}`] ?? "";
    const ready = (n: Obj) => conditionOf(n, "Ready")?.status === "True";
    if (!pool.spec?.paused && target) {
      const unavailable = nodes.filter(
        (n) =>
          ann(n, "desiredConfig") !== ann(n, "currentConfig") ||
          ann(n, "state") !== "Done" ||
          n.spec?.unschedulable ||
          !ready(n),
      );
      const maxUnavailable = Number(pool.spec?.maxUnavailable ?? 1) || 1;
      let capacity = maxUnavailable - unavailable.length;
      for (const n of nodes) {
        if (capacity <= 0) break;
        if (ann(n, "desiredConfig") === target || ann(n, "state") === "Degraded") continue;
        api.update("v1", "Node", n.metadata.name, undefined, {
          metadata: { annotations: { [`${A}/desiredConfig`]: target } },
        });
        capacity--;
      }
      nodes = poolNodes(ctx, pool);
    }
    const updated = nodes.filter(
      (n) =>
        ann(n, "currentConfig") === target &&
        ann(n, "desiredConfig") === target &&
        ann(n, "state") === "Done",
    );
    const readyN = updated.filter((n) => ready(n) && !n.spec?.unschedulable);
    const degraded = nodes.filter((n) => ann(n, "state") === "Degraded");
    const unavailable = nodes.filter(
      (n) =>
        ann(n, "desiredConfig") !== ann(n, "currentConfig") ||
        ann(n, "state") === "Working" ||
        n.spec?.unschedulable ||
        !ready(n),
    );
    const allUpdated = updated.length === nodes.length && degraded.length === 0;
    const updating =
      !allUpdated &&
      !pool.spec?.paused &&
      degraded.length === 0 &&
      nodes.some((n) => ann(n, "desiredConfig") === target && ann(n, "currentConfig") !== target);
    const wasUpdating = conditionOf(pool, "Updating")?.status === "True";
    if (updating && !wasUpdating) {
      ctx.stats.rollouts++;
      ctx.stats.log.push(`rollout of pool ${name} to ${target}`);
    }
    let conditions = pool.status?.conditions ?? [];
    conditions = setCondition(
      conditions,
      allUpdated
        ? cond("Updated", "True", "", `All nodes are updated with MachineConfig ${target}`)
        : cond("Updated", "False", "", ""),
    );
    conditions = setCondition(
      conditions,
      updating
        ? cond("Updating", "True", "", `All nodes are updating to MachineConfig ${target}`)
        : cond("Updating", "False", "", ""),
    );
    const bad = degraded[0];
    const degradedMsg = bad ? `Node ${bad.metadata.name} is reporting: "${ann(bad, "reason")}"` : "";
    conditions = setCondition(
      conditions,
      cond(
        "NodeDegraded",
        bad ? "True" : "False",
        bad ? "1 nodes are reporting degraded status on sync" : "",
        degradedMsg,
      ),
    );
    conditions = setCondition(conditions, cond("Degraded", bad ? "True" : "False", "", degradedMsg));
    conditions = setCondition(conditions, cond("RenderDegraded", "False", "", ""));
    api.update(MC, "MachineConfigPool", name, undefined, {
      status: {
        observedGeneration: pool.metadata.generation,
        machineCount: nodes.length,
        updatedMachineCount: updated.length,
        readyMachineCount: readyN.length,
        unavailableMachineCount: unavailable.length,
        degradedMachineCount: degraded.length,
        ...(allUpdated && target ? { configuration: pool.spec.configuration } : {}),
        conditions,
      },
    });
  }

  /** The machine config daemon on one node: drain, write, reboot, Done. */
  function startUpdate(nodeName: string): void {
    if (working.has(nodeName)) return;
    working.add(nodeName);
    const n = api.get("v1", "Node", nodeName)!;
    const desired: string = n.metadata.annotations[`${A}/desiredConfig`];
    api.update("v1", "Node", nodeName, undefined, {
      metadata: { annotations: { [`${A}/state`]: "Working", [`${A}/desiredDrain`]: `drain-${desired}` } },
    });
    ctx.stats.log.push(`node ${nodeName}: updating to ${desired}`);
    drainNode(ctx, nodeName, () => {
      api.update("v1", "Node", nodeName, undefined, {
        metadata: { annotations: { [`${A}/lastAppliedDrain`]: `drain-${desired}` } },
      });
      ctx.stats.reboots++;
      ctx.stats.log.push(`node ${nodeName}: reboot`);
      const down = api.get("v1", "Node", nodeName)!;
      api.update("v1", "Node", nodeName, undefined, {
        status: {
          conditions: setCondition(
            down.status?.conditions,
            cond("Ready", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."),
          ),
        },
      });
      api.after(timing.reboot, () => {
        const cur = api.get("v1", "Node", nodeName);
        if (!cur) return;
        const res = resourcesFor(ctx, cur, desired);
        api.update("v1", "Node", nodeName, undefined, {
          metadata: {
            annotations: {
              [`${A}/currentConfig`]: desired,
              [`${A}/state`]: "Done",
              [`${A}/reason`]: "",
              [`${A}/desiredDrain`]: `uncordon-${desired}`,
              [`${A}/lastAppliedDrain`]: `uncordon-${desired}`,
            },
          },
          spec: { unschedulable: null },
          status: {
            ...res,
            conditions: setCondition(
              cur.status?.conditions,
              cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ),
          },
        });
        working.delete(nodeName);
        ctx.stats.log.push(`node ${nodeName}: Done on ${desired}`);
        // The node may already have been handed a newer config while it rebooted.
        const after = api.get("v1", "Node", nodeName)!;
        if (after.metadata.annotations[`${A}/desiredConfig`] !== desired) startUpdate(nodeName);
      });
    });
  }
}

/**
 * Cordons a node and evicts its pods (all but DaemonSet pods and those already gone) through the
 * eviction API, retrying refused evictions every drainRetry; calls `done` once the node is empty.
 * Shared by the MCO drain controller and the SR-IOV config daemon (both use kubectl's drain helper).
 */
export function drainNode(
  ctx: Ctx,
  nodeName: string,
  done: () => void,
  who = "machine-config-controller",
): void {
  const { api, timing } = ctx;
  const started = api.now();
  let warned = false;
  ctx.stats.drains++;
  api.update("v1", "Node", nodeName, undefined, { spec: { unschedulable: true } });
  const attempt = () => {
    const pods = api
      .list("v1", "Pod")
      .filter(
        (p) =>
          p.spec?.nodeName === nodeName &&
          !["Succeeded", "Failed"].includes(p.status?.phase) &&
          !(p.metadata.ownerReferences ?? []).some((o: Obj) => o.kind === "DaemonSet"),
      );
    let refused = 0;
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) {
        refused++;
        continue;
      }
      const r = evict(ctx, p);
      if (r.code === 429 || r.code >= 500) {
        refused++;
        ctx.stats.evictionsRefused++;
        const msg = typeof r.body === "string" ? r.body : r.body.message;
        ctx.stats.log.push(
          `drain ${nodeName}: eviction of ${p.metadata.namespace}/${p.metadata.name} refused: ${msg}`,
        );
      }
    }
    if (refused === 0 && pods.length === 0) return done();
    if (!warned && api.now() - started > DRAIN_TIMEOUT_MS) {
      warned = true;
      const node = api.get("v1", "Node", nodeName);
      if (node)
        api.event(
          node,
          "Warning",
          "DrainFailed",
          `node ${nodeName}: drain exceeded timeout: 1h0m0s. Will continue to retry.`,
          who,
        );
    }
    api.after(refused > 0 ? timing.drainRetry : Math.max(200, timing.podTermination / 4), attempt);
  };
  attempt();
}
