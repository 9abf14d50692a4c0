/**
 * Reboots and MachineConfigPool rollouts for the full workshop tuning (PerformanceProfile,
 * then its hugepages, then an SR-IOV policy) on 3 metal workers, counted in the fake API server
 * scenario whose simulated Machine Config Operator starts a rollout whenever a rendered config
 * changes on an unpaused pool. Baseline, measured in the same run: applying the objects one by
 * one and waiting for the pool after each, as existing material does. Goal: 1 rollout instead of 3.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testClock } from "../src/cluster/clock.ts";
import { Kube, type KubeObject } from "../src/cluster/kube.ts";
import { Progress } from "../src/cluster/progress.ts";
import { applyTuning } from "../src/cluster/tune.ts";
import { poolDone } from "../src/cluster/tune-plan.ts";
import { makeColors } from "../src/lib/color.ts";
import { profile, sriovPolicy } from "../test/cluster/world.ts";
import { FakeApiServer } from "../test/helpers/fake-apiserver.ts";
import { SRIOV_RESOURCES, seedOpenShift, simulateMco } from "../test/helpers/fake-openshift.ts";

const MCP = "machineconfiguration.openshift.io/v1";
/** A metal node's drain + reboot + rejoin: 10 to 20 minutes; 15 used for the estimate. */
const MINUTES_PER_REBOOT = 15;
const WORKERS = 3;

async function world() {
  const api = await FakeApiServer.start();
  seedOpenShift(api, {
    workers: Array.from({ length: WORKERS }, (_, i) => ({
      name: `ip-10-0-1-${10 + i}.us-east-2.compute.internal`,
      instanceType: "c5.metal",
    })),
  });
  api.addResources(SRIOV_RESOURCES);
  const mco = simulateMco(api);
  const kube = Kube.connect(
    { kubeconfig: api.writeKubeconfig(mkdtempSync(join(tmpdir(), "llw-bench-"))) },
    {},
  );
  return { api, mco, kube };
}

/** Existing practice: apply, wait for the pool, apply the next change, wait again. */
async function oneByOne(): Promise<{ rollouts: number; reboots: number; ms: number }> {
  const { api, mco, kube } = await world();
  const t0 = performance.now();
  for (const obj of [profile(0), profile(), sriovPolicy()] as KubeObject[]) {
    await kube.apply(obj);
    for (let i = 0; i < 1000; i++) {
      const p = await kube.get(MCP, "MachineConfigPool", "worker");
      if (p && poolDone(p)) break;
    }
  }
  const ms = performance.now() - t0;
  await api.stop();
  return { rollouts: mco.rollouts, reboots: mco.reboots, ms };
}

async function llwTuneApply(): Promise<{ rollouts: number; reboots: number; ms: number; counted: number }> {
  const { api, mco, kube } = await world();
  const clock = testClock();
  const t0 = performance.now();
  const r = await applyTuning(kube, [profile(), sriovPolicy()] as KubeObject[], {
    timeoutMs: 3_600_000,
    intervalMs: 10_000,
    settleMs: 30_000,
    clock,
    progress: new Progress({ write: () => true }, makeColors(false), clock),
  });
  const ms = performance.now() - t0;
  await api.stop();
  return { rollouts: mco.rollouts, reboots: mco.reboots, ms, counted: r.reboots };
}

export default async function tuneBench(): Promise<void> {
  const base = await oneByOne();
  const ours = await llwTuneApply();
  console.log(
    `\n### tune: reboots per tuning change set (profile + hugepages + SR-IOV, ${WORKERS} metal workers, fake API server)\n`,
  );
  console.log(
    "| strategy | MCP rollouts | node reboots | est. attendee wait | ratio (reboots) | fake-server wall ms |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  const row = (name: string, x: { rollouts: number; reboots: number; ms: number }) =>
    console.log(
      `| ${name} | ${x.rollouts} | ${x.reboots} | ${x.reboots * MINUTES_PER_REBOOT} min | ${(x.reboots / base.reboots).toFixed(2)}${x === base ? " (baseline)" : ""} | ${x.ms.toFixed(0)} |`,
    );
  row("one by one, waiting after each (baseline)", base);
  row("llw tune apply (pause, apply all, unpause once)", ours);
  console.log(
    `\nllw tune apply itself reported ${ours.counted} reboot(s). Estimate: ${MINUTES_PER_REBOOT} min per metal reboot, nodes one at a time (maxUnavailable 1).`,
  );
  console.log("Goal: 1 rollout instead of 3.");
}
