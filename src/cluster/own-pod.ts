/**
 * A pod llw creates for one job (doctor's node probe, latency run's jitter pod) and must not
 * leave behind: created, then deleted on every way out, Ctrl-C and SIGTERM included
 * (lib/signals.ts withCleanup). A delete the API server refuses for a moment (a timeout, 429,
 * 5xx on a busy control plane) is tried again; one that still fails is said, with the command
 * that deletes the pod by hand, instead of leaving it silently.
 */
import { withCleanup } from "../lib/signals.ts";
import type { Clock } from "./clock.ts";
import type { Kube, KubeObject } from "./kube.ts";

export interface OwnPodOptions {
  clock: Clock;
  /** A line for the user (stderr). */
  say: (line: string) => void;
  /** Keep the pod (latency run --keep). */
  keep?: boolean;
}

/** Tries that a delete gets, a second apart, then a second more each time. */
const DELETE_TRIES = 4;

export async function deleteOwnPod(kube: Kube, pod: KubeObject, o: OwnPodOptions): Promise<void> {
  const { name, namespace } = pod.metadata;
  for (let i = 1; ; i++) {
    try {
      await kube.delete("v1", "Pod", name!, namespace);
      return;
    } catch (e) {
      if (i >= DELETE_TRIES) {
        o.say(
          `warning: could not delete pod ${namespace}/${name} (${(e as Error).message.split("\n")[0]}); delete it with: oc delete pod -n ${namespace} ${name}`,
        );
        return;
      }
      await o.clock.sleep(1000 * i);
    }
  }
}

/**
 * Creates `pod`, runs `work`, and deletes the pod however `work` ends (unless `keep`). A signal
 * during the create waits for it, so a pod the API server creates after Ctrl-C is deleted too.
 */
export async function withOwnPod<T>(
  kube: Kube,
  pod: KubeObject,
  o: OwnPodOptions,
  work: () => Promise<T>,
): Promise<T> {
  let created: Promise<unknown> | undefined;
  return withCleanup(
    async () => {
      if (o.keep || !created) return;
      // A create the API server refused made no pod; one that answered, or is still on its way, did.
      if (
        await created.then(
          () => true,
          () => false,
        )
      )
        await deleteOwnPod(kube, pod, o);
    },
    async () => {
      created = kube.create(pod);
      await created;
      return work();
    },
    (signal) =>
      o.say(
        `${signal}: ${o.keep ? "leaving" : "deleting"} pod ${pod.metadata.namespace}/${pod.metadata.name} before stopping`,
      ),
  );
}
