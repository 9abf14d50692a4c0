/**
 * One polling loop for everything llw waits on (a CSV, a CRD, a pool rollout, an Application),
 * with a per-step timeout and the cluster's own reason when it fails or times out.
 */
import { EnvironmentError, type Problem } from "../lib/errors.ts";
import type { Clock } from "./clock.ts";
import { formatDuration } from "./clock.ts";
import type { Progress } from "./progress.ts";

export interface Observation {
  /** The thing is ready: stop waiting. */
  done: boolean;
  /** The thing failed for good: stop and report this. */
  failed?: Problem;
  /** Its state in a few words ("Installing", "2/3 nodes updated"). */
  status: string;
  /** Why it is not ready yet, reported if the wait times out. */
  blocker?: Problem;
}

export interface WaitOptions {
  /** What is awaited, e.g. "CSV of sriov-network-operator". */
  what: string;
  timeoutMs: number;
  intervalMs: number;
  clock: Clock;
  progress: Progress;
  poll: () => Promise<Observation>;
}

/** Polls until done; throws EnvironmentError with the failure or the last blocker on timeout. */
export async function waitFor(o: WaitOptions): Promise<Observation> {
  const start = o.clock.now();
  o.progress.step(o.what);
  for (;;) {
    let obs: Observation;
    try {
      obs = await o.poll();
    } catch (e) {
      o.progress.end();
      throw e;
    }
    o.progress.update(obs.status);
    if (obs.done) return obs;
    if (obs.failed) {
      o.progress.fail(`${o.what}: ${obs.status}`);
      throw new EnvironmentError(obs.failed);
    }
    if (o.clock.now() - start >= o.timeoutMs) {
      o.progress.fail(`${o.what}: still ${obs.status} after ${formatDuration(o.timeoutMs)}`);
      const b = obs.blocker;
      throw new EnvironmentError({
        what: `timed out after ${formatDuration(o.timeoutMs)} waiting for ${o.what}${b ? `: ${b.what}` : ` (last state: ${obs.status})`}`,
        ...(b?.where ? { where: b.where } : {}),
        next:
          b?.next ??
          "check the cluster (`oc get events -A --sort-by=.lastTimestamp`), then re-run: llw resumes where it stopped; raise --timeout if the cluster is just slow",
      });
    }
    await o.clock.sleep(o.intervalMs);
  }
}
