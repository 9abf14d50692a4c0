/**
 * Applies a tuning change set as one rollout: pause the pools it rolls, apply everything,
 * wait for the Machine Config Operator to render the new config, unpause once, then follow
 * each pool node by node until Updated. Resumable: a pool llw paused (annotated) and left
 * paused by an interrupted run is picked up and unpaused by the next run.
 */
import { EnvironmentError } from "../lib/errors.ts";
import type { Clock } from "./clock.ts";
import { formatDuration } from "./clock.ts";
import { type DrainBlocker, drainBlockers, drainInProgress } from "./drain.ts";
import type { Kube, KubeObject } from "./kube.ts";
import type { Progress } from "./progress.ts";
import {
  diffRollout,
  MCP,
  type NodeRollout,
  nodeRollout,
  PAUSED_BY,
  type PoolState,
  planTuning,
  poolDone,
  poolState,
  selectorMatches,
  type TuningPlan,
} from "./tune-plan.ts";
import { waitFor } from "./wait.ts";

export interface TuneOptions {
  dryRun?: boolean;
  /** Per pool rollout. */
  timeoutMs: number;
  intervalMs: number;
  /** How long the rendered config must stay the same before unpausing. */
  settleMs: number;
  /**
   * How long the same object may keep a node's drain from finishing before llw stops and names
   * it (the MCO itself retries for ever). Default 10 minutes.
   */
  drainBlockedMs?: number;
  clock: Clock;
  progress: Progress;
}

export interface PoolResult {
  name: string;
  machineCount: number;
  reboots: number;
  rolledOut: boolean;
  config: string;
}

export interface TuneResult {
  plan: TuningPlan;
  pools: PoolResult[];
  reboots: number;
  rollouts: number;
  elapsedMs: number;
  applied: { kind: string; name: string; action: string }[];
}

/** Reads what planning needs and plans (no writes). */
export async function readAndPlan(kube: Kube, objects: KubeObject[]): Promise<TuningPlan> {
  const [pools, nodes] = await Promise.all([kube.list(MCP, "MachineConfigPool"), kube.list("v1", "Node")]);
  const liveByKey = new Map<string, KubeObject | undefined>();
  await Promise.all(
    objects.map(async (o) => {
      liveByKey.set(keyOf(o), await kube.get(o.apiVersion, o.kind, o.metadata.name!, o.metadata.namespace));
    }),
  );
  const plan = planTuning(objects, (o) => liveByKey.get(keyOf(o)), pools, nodes);
  // Pools an interrupted run left paused are resumed too.
  for (const p of pools) {
    const st = poolState(p);
    if (st.pausedByLlw && !plan.pools.some((x) => x.name === st.name)) {
      plan.pools.push(st);
      plan.notes.push(
        `MachineConfigPool ${st.name} was left paused by an earlier llw run: it is unpaused and followed now`,
      );
    }
  }
  return plan;
}

function keyOf(o: KubeObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

export async function applyTuning(
  kube: Kube,
  objects: KubeObject[],
  o: TuneOptions,
  plan?: TuningPlan,
): Promise<TuneResult> {
  const p = o.progress;
  const started = o.clock.now();
  plan ??= await readAndPlan(kube, objects);
  if (plan.refusals.length > 0) {
    throw new EnvironmentError(
      plan.refusals.map((what) => ({
        what: `refusing to apply tuning: ${what}`,
        where: "MachineConfigPool",
        next: "look at the degraded node (`oc describe mcp`, `oc get nodes`, the node's machineconfiguration.openshift.io/reason annotation), fix it, then re-run",
      })),
    );
  }
  const applied: TuneResult["applied"] = [];
  const result = (pools: PoolResult[]): TuneResult => ({
    plan,
    pools,
    reboots: pools.reduce((n, x) => n + x.reboots, 0),
    rollouts: pools.filter((x) => x.rolledOut).length,
    elapsedMs: o.clock.now() - started,
    applied,
  });
  if (o.dryRun) return result([]);
  for (const n of plan.notes) p.info(`note: ${n}`);

  // Pools still rolling out an earlier change: let them finish so that this change is one rollout.
  for (const ps of plan.pools.filter((x) => x.updating && !x.paused)) {
    p.phase(`waiting for MachineConfigPool ${ps.name} to finish an earlier rollout`);
    await followPool(kube, ps, o);
  }

  const before = new Map<string, string>();
  /** Pools this run paused (or created paused): the ones a failure must unpause. */
  const pausedNow = new Set<string>();
  try {
    p.phase(`pausing ${plan.pools.map((x) => x.name).join(", ") || "no pool"}`);
    for (const c of plan.poolObjects) {
      const paused = plan.pools.some((x) => x.name === c.object.metadata.name);
      const obj =
        c.action === "create" && paused
          ? {
              ...c.object,
              metadata: {
                ...c.object.metadata,
                annotations: { ...c.object.metadata.annotations, [PAUSED_BY]: "llw" },
              },
              spec: { ...c.object.spec, paused: true },
            }
          : c.object;
      if (c.action !== "unchanged") await kube.apply(obj);
      if (c.action === "create" && paused) pausedNow.add(c.object.metadata.name!);
      applied.push({ kind: "MachineConfigPool", name: c.object.metadata.name!, action: c.action });
      if (c.action !== "unchanged")
        p.ok(
          `MachineConfigPool ${c.object.metadata.name} ${c.action === "create" ? "created" : "updated"}${c.action === "create" && paused ? " (paused)" : ""}`,
        );
    }
    for (const ps of plan.pools) {
      const pool = await kube.mergePatch(MCP, "MachineConfigPool", ps.name, {
        metadata: { annotations: { [PAUSED_BY]: "llw" } },
        spec: { paused: true },
      });
      pausedNow.add(ps.name);
      before.set(ps.name, pool.spec?.configuration?.name ?? "");
      p.ok(
        `MachineConfigPool ${ps.name} paused (${ps.machineCount} node${ps.machineCount === 1 ? "" : "s"})`,
      );
    }

    p.phase("applying the change set (server-side apply)");
    // SR-IOV policies last, once the Machine Config Operator has rendered the other changes: on
    // OpenShift the SR-IOV operator pauses a pool to drain a node and unpauses it when done, but it
    // leaves alone a pool whose rendered config is not yet rolled out (spec != status). Applied
    // first, it could unpause the pool under us and start a rollout before the change set is complete.
    const sriovLast = (c: (typeof plan.changes)[number]) => c.object.kind === "SriovNetworkNodePolicy";
    const first = plan.changes.filter((c) => !sriovLast(c));
    const last = plan.changes.filter(sriovLast);
    const apply = async (c: (typeof plan.changes)[number]) => {
      const label = `${c.object.kind} ${c.object.metadata.namespace ? `${c.object.metadata.namespace}/` : ""}${c.object.metadata.name}`;
      if (c.action === "unchanged") {
        applied.push({ kind: c.object.kind, name: c.object.metadata.name!, action: c.action });
        p.info(`${label} unchanged`);
        return;
      }
      await kube.apply(c.object);
      applied.push({ kind: c.object.kind, name: c.object.metadata.name!, action: c.action });
      p.ok(
        `${label} ${c.action === "create" ? "created" : "configured"}${c.rolls.length > 0 ? ` (rolls ${c.rolls.join(", ")})` : ""}`,
      );
    };
    for (const c of first) await apply(c);
    if (last.some((c) => c.action !== "unchanged")) {
      const rendered = new Set(first.filter((c) => c.action !== "unchanged").flatMap((c) => c.rolls));
      for (const pool of plan.pools.filter((x) => rendered.has(x.name)))
        await waitForRender(kube, pool.name, before.get(pool.name) ?? "", o);
    }
    for (const c of last) await apply(c);
  } catch (e) {
    // A rejected object (422, a webhook, RBAC) must not leave the pools paused for nothing: a
    // paused pool also holds back certificate rotation and upgrades. Each pool goes back to how
    // it was before this run; what was already applied then rolls out as usual.
    await restorePools(kube, plan, pausedNow, applied, p);
    throw e;
  }

  // Every pool is unpaused before any is followed: a failure from here on (a timeout waiting for
  // the render, the API going away) must not leave a pool llw paused holding back its nodes.
  const initial = new Map<string, NodeRollout[]>();
  try {
    for (const ps of plan.pools) {
      const rendered = await waitForRender(kube, ps.name, before.get(ps.name) ?? "", o);
      initial.set(ps.name, await poolNodes(kube, ps.name));
      await kube.mergePatch(MCP, "MachineConfigPool", ps.name, {
        metadata: { annotations: { [PAUSED_BY]: null } },
        spec: { paused: false },
      });
      pausedNow.delete(ps.name);
      p.ok(`MachineConfigPool ${ps.name} unpaused (target ${rendered})`);
    }
  } catch (e) {
    await restorePools(
      kube,
      { ...plan, pools: plan.pools.filter((x) => pausedNow.has(x.name)) },
      pausedNow,
      applied,
      p,
    );
    throw e;
  }
  const pools: PoolResult[] = [];
  for (const ps of plan.pools) {
    p.phase(`rolling out MachineConfigPool ${ps.name}: one drain and reboot per node`);
    pools.push(await followPool(kube, ps, o, initial.get(ps.name)));
  }
  return result(pools);
}

/**
 * After a failed apply: unpauses every pool this run paused (a pool someone else had paused
 * stays paused, without llw's annotation), and says what was applied before the failure.
 */
async function restorePools(
  kube: Kube,
  plan: TuningPlan,
  pausedNow: Set<string>,
  applied: TuneResult["applied"],
  p: Progress,
): Promise<void> {
  const written = applied.filter((x) => x.action !== "unchanged" && x.kind !== "MachineConfigPool");
  for (const ps of plan.pools.filter((x) => pausedNow.has(x.name) || x.pausedByLlw)) {
    const keepPaused = ps.paused && !ps.pausedByLlw;
    try {
      // No read first: when the failure was the API answering reads, the patch may still go through.
      await kube.mergePatch(MCP, "MachineConfigPool", ps.name, {
        metadata: { annotations: { [PAUSED_BY]: null } },
        spec: { paused: keepPaused },
      });
      p.fail(
        keepPaused
          ? `the change set failed: MachineConfigPool ${ps.name} left paused, as it was before`
          : `the change set failed: MachineConfigPool ${ps.name} unpaused${
              written.length > 0
                ? ` (it now rolls out what was applied: ${written.map((x) => `${x.kind} ${x.name}`).join(", ")})`
                : " (nothing of the change set was applied)"
            }`,
      );
    } catch {
      p.fail(
        `the change set failed and MachineConfigPool ${ps.name} could not be unpaused: re-run llw tune apply once the cause is fixed (it resumes the paused pool), or \`oc patch mcp ${ps.name} --type merge -p '{"spec":{"paused":false}}'\``,
      );
    }
  }
}

/** Waits until the pool's rendered config has changed and stayed the same for the settle time. */
async function waitForRender(kube: Kube, pool: string, before: string, o: TuneOptions): Promise<string> {
  let last = before;
  let since = o.clock.now();
  const start = o.clock.now();
  // Without any new render within a few settle periods, the change needs no new config (nothing to roll).
  const giveUpMs = Math.max(o.settleMs * 4, o.intervalMs);
  const obs = await waitFor({
    what: `new rendered config for ${pool}`,
    timeoutMs: o.timeoutMs,
    intervalMs: o.intervalMs,
    clock: o.clock,
    progress: o.progress,
    poll: async () => {
      const p = await kube.get(MCP, "MachineConfigPool", pool);
      const name: string = p?.spec?.configuration?.name ?? "";
      if (name !== last) {
        last = name;
        since = o.clock.now();
      }
      const stable = o.clock.now() - since >= o.settleMs;
      if (name !== before && stable) return { done: true, status: `rendered ${name}` };
      if (name === before && o.clock.now() - start >= giveUpMs)
        return { done: true, status: `no new render (still ${name})` };
      return {
        done: false,
        status:
          name === before ? `waiting for the MCO to render (current ${name})` : `rendered ${name}, settling`,
      };
    },
  });
  return obs.status.replace(/^rendered /, "");
}

async function poolNodes(kube: Kube, pool: string): Promise<NodeRollout[]> {
  const p = await kube.get(MCP, "MachineConfigPool", pool);
  return (await kube.list("v1", "Node"))
    .filter((n) => selectorMatches(p?.spec?.nodeSelector, n.metadata.labels))
    .map(nodeRollout);
}

/**
 * Follows a pool until Updated: nodes updated of total, each node's reboot. Reboots are the
 * nodes seen starting an update, or (if a poll missed that) whose current config changed.
 */
export async function followPool(
  kube: Kube,
  ps: PoolState,
  o: TuneOptions,
  initial?: NodeRollout[],
): Promise<PoolResult> {
  let prev: NodeRollout[] | undefined = initial;
  let reboots = 0;
  let rolledOut = false;
  let config = "";
  let total = ps.machineCount;
  const blocked = new Map<string, { since: number; key: string }>();
  await waitFor({
    what: `MachineConfigPool ${ps.name}`,
    timeoutMs: o.timeoutMs,
    intervalMs: o.intervalMs,
    clock: o.clock,
    progress: o.progress,
    poll: async () => {
      const pool = await kube.get(MCP, "MachineConfigPool", ps.name);
      if (!pool) {
        return {
          done: false,
          status: "pool not found",
          failed: { what: `MachineConfigPool ${ps.name} disappeared`, next: "check `oc get mcp`" },
        };
      }
      const liveNodes = (await kube.list("v1", "Node")).filter((n) =>
        selectorMatches(pool.spec?.nodeSelector, n.metadata.labels),
      );
      const nodes = liveNodes.map(nodeRollout);
      const target: string = pool.spec?.configuration?.name ?? "";
      config = target;
      if (prev) {
        for (const e of diffRollout(prev, nodes)) {
          if (e.kind === "rebooting") {
            reboots++;
            rolledOut = true;
            o.progress.info(`node ${e.node}: ${e.detail}`);
          } else if (e.kind === "updated") {
            o.progress.ok(`node ${e.node} updated, ${e.detail}`);
          } else {
            o.progress.fail(`node ${e.node} degraded: ${e.detail}`);
          }
        }
      }
      prev = nodes;
      await watchDrains(kube, liveNodes, o, blocked);
      const st = poolState(pool);
      total = st.machineCount;
      if (st.updating) rolledOut = true;
      const status = `${st.updated}/${st.machineCount} nodes updated${st.updating ? ", updating" : ""}`;
      if (st.degraded) {
        const bad = nodes.find((n) => n.state === "Degraded");
        return {
          done: false,
          status: "Degraded",
          failed: {
            what: `MachineConfigPool ${ps.name} is degraded: ${st.degradedReason ?? ""}${bad ? ` (node ${bad.name}: ${bad.reason ?? "no reason"})` : ""}`,
            where: `MachineConfigPool ${ps.name}`,
            next: "fix the node (`oc describe node`, `oc logs -n openshift-machine-config-operator <machine-config-daemon pod>`), then re-run",
          },
        };
      }
      // A pool no node has joined yet has nothing to roll out.
      if (nodes.length === 0 && st.machineCount === 0)
        return { done: true, status: "no node in the pool yet" };
      return {
        done: poolDone(pool) && nodes.every((n) => n.currentConfig === target && n.state === "Done"),
        status,
      };
    },
  });
  if (initial && prev) {
    const changed = prev.filter(
      (n) => initial.find((i) => i.name === n.name)?.currentConfig !== n.currentConfig,
    ).length;
    reboots = Math.max(reboots, changed);
  }
  o.progress.ok(
    `MachineConfigPool ${ps.name} Updated: ${total}/${total} nodes on ${config}, ${reboots} reboot${reboots === 1 ? "" : "s"}`,
  );
  return { name: ps.name, machineCount: total, reboots, rolledOut, config };
}

/**
 * Names what keeps a node's drain from finishing once the same blockers have held it for
 * drainBlockedMs: the MCO would retry for ever, and a timeout an hour later says nothing useful.
 */
async function watchDrains(
  kube: Kube,
  nodes: KubeObject[],
  o: TuneOptions,
  blocked: Map<string, { since: number; key: string }>,
): Promise<void> {
  const draining = nodes.filter(drainInProgress);
  for (const name of blocked.keys())
    if (!draining.some((n) => n.metadata.name === name)) blocked.delete(name);
  if (draining.length === 0) return;
  const [pods, pdbs, vmis, hcos, workers] = await Promise.all([
    kube.list("v1", "Pod"),
    kube.list("policy/v1", "PodDisruptionBudget"),
    kube.list("kubevirt.io/v1", "VirtualMachineInstance"),
    kube.list("hco.kubevirt.io/v1beta1", "HyperConverged"),
    kube.list("v1", "Node", { labelSelector: "node-role.kubernetes.io/worker" }),
  ]);
  // HyperConverged's default: LiveMigrate on a cluster with more than one worker (DOMAIN: HCO).
  const clusterDefault = hcos[0]?.spec?.evictionStrategy ?? (workers.length > 1 ? "LiveMigrate" : "None");
  const limit = o.drainBlockedMs ?? 10 * 60_000;
  for (const n of draining) {
    const name = n.metadata.name!;
    const found = drainBlockers(name, pods, pdbs, vmis, clusterDefault);
    if (found.length === 0) {
      blocked.delete(name);
      continue;
    }
    const key = found.map((b) => `${b.kind}/${b.namespace}/${b.name}`).join(",");
    const seen = blocked.get(name);
    if (!seen || seen.key !== key) {
      blocked.set(name, { since: o.clock.now(), key });
      o.progress.info(`node ${name}: drain waiting on ${found.map(label).join(", ")}`);
      continue;
    }
    if (o.clock.now() - seen.since < limit) continue;
    o.progress.fail(`node ${name}: drain blocked for ${formatDuration(o.clock.now() - seen.since)}`);
    throw new EnvironmentError(
      found.map((b) => ({
        what: `the drain of node ${name} is blocked by ${label(b)}: it ${b.what}`,
        where: label(b),
        next: `${b.fix}; the Machine Config Operator keeps retrying the drain, and the rollout goes on once it can (re-run llw tune apply to follow it)`,
      })),
    );
  }
}

function label(b: DrainBlocker): string {
  return `${b.kind} ${b.namespace}/${b.name}`;
}
