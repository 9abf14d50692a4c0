/**
 * Reboots and MachineConfigPool rollouts for the full workshop tuning (PerformanceProfile,
 * then its hugepages, then an SR-IOV policy) on 3 metal workers of the simulated cluster
 * (test/sim), whose Machine Config Operator renders asynchronously and renders a
 * PerformanceProfile in two steps (its MachineConfig, then its KubeletConfig's), and whose nodes
 * drain and reboot one at a time. llw runs with its real defaults (10 s polls, 30 s settle) on
 * the simulator's clock (100x). Baseline, measured in the same run: applying the objects one by
 * one and waiting for the pool after each, as existing material does. Goal: 1 rollout instead of 3.
 */

import { Kube, type KubeObject } from "../src/cluster/kube.ts";
import { Progress } from "../src/cluster/progress.ts";
import { applyTuning } from "../src/cluster/tune.ts";
import { poolDone } from "../src/cluster/tune-plan.ts";
import { makeColors } from "../src/lib/color.ts";
import { profile, sriovPolicy } from "../test/cluster/world.ts";
import { defaultWorkers } from "../test/sim/cluster.ts";
import { start } from "../test/sim/index.ts";

const MCP = "machineconfiguration.openshift.io/v1";
/** A metal node's drain + reboot + rejoin: 10 to 20 minutes; 15 used for the estimate. */
const MINUTES_PER_REBOOT = 15;
const WORKERS = 3;
const SPEED = 100;

async function world() {
  const sim = await start("untuned-c5-metal", {
    speed: SPEED,
    cluster: { workers: defaultWorkers("c5.metal", WORKERS) },
  });
  return { sim, kube: Kube.connect({ kubeconfig: sim.kubeconfig }, {}) };
}

interface Outcome {
  rollouts: number;
  reboots: number;
  renders: number;
  simulatedMin: number;
  counted?: number;
}

/** Existing practice: apply, wait until the pool has rolled it out, apply the next change, wait again. */
async function oneByOne(): Promise<Outcome> {
  const { sim, kube } = await world();
  const t0 = sim.clock.now();
  for (const obj of [profile(0), profile(), sriovPolicy()] as KubeObject[]) {
    const renders = sim.stats.renders;
    await kube.apply(obj);
    // Wait for whatever this change renders (the SR-IOV policy renders nothing), then for the pool.
    const until = sim.clock.now() + 5 * 60_000;
    while (sim.stats.renders === renders && sim.clock.now() < until) await sim.clock.sleep(10_000);
    for (;;) {
      const p = await kube.get(MCP, "MachineConfigPool", "worker");
      if (p && poolDone(p) && sim.api.pendingTimers() === 0) break;
      await sim.clock.sleep(10_000);
    }
  }
  const out = { ...pick(sim.stats), simulatedMin: (sim.clock.now() - t0) / 60_000 };
  await sim.stop();
  return out;
}

async function llwTuneApply(): Promise<Outcome> {
  const { sim, kube } = await world();
  const t0 = sim.clock.now();
  const r = await applyTuning(kube, [profile(), sriovPolicy()] as KubeObject[], {
    timeoutMs: 3_600_000,
    intervalMs: 10_000,
    settleMs: 30_000,
    clock: sim.clock,
    progress: new Progress({ write: () => true }, makeColors(false), sim.clock),
  });
  const out = { ...pick(sim.stats), simulatedMin: (sim.clock.now() - t0) / 60_000, counted: r.reboots };
  await sim.stop();
  return out;
}

function pick(s: { rollouts: number; reboots: number; renders: number }) {
  return { rollouts: s.rollouts, reboots: s.reboots, renders: s.renders };
}

export default async function tuneBench(): Promise<void> {
  const base = await oneByOne();
  const ours = await llwTuneApply();
  console.log(
    `\n### tune: reboots per tuning change set (profile + hugepages + SR-IOV, ${WORKERS} metal workers, simulated cluster: two-step render, llw's default 10 s polls and 30 s settle)\n`,
  );
  console.log(
    "| strategy | renders | MCP rollouts | node reboots | est. attendee wait | ratio (reboots) | simulated min |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  const row = (name: string, x: Outcome) =>
    console.log(
      `| ${name} | ${x.renders} | ${x.rollouts} | ${x.reboots} | ${x.reboots * MINUTES_PER_REBOOT} min | ${(x.reboots / base.reboots).toFixed(2)}${x === base ? " (baseline)" : ""} | ${x.simulatedMin.toFixed(1)} |`,
    );
  row("one by one, waiting after each (baseline)", base);
  row("llw tune apply (pause, apply all, unpause once)", ours);
  console.log(
    `\nllw tune apply itself reported ${ours.counted} reboot(s). Estimate: ${MINUTES_PER_REBOOT} min per metal reboot, nodes one at a time (maxUnavailable 1); the simulated minutes use the simulator's 90 s reboot.`,
  );
  console.log("Goal: 1 rollout instead of 3.");
}
