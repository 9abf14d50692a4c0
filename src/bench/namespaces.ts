/**
 * The namespaces a kube-burner workload creates pods in, made ready before kube-burner starts.
 * A namespace's `default` ServiceAccount appears a moment after the namespace, and until then the
 * API server refuses pods (403 "serviceaccount default not found"); kube-burner would count those
 * refusals as failed creations. llw creates each job namespace (labelled as kube-burner labels the
 * namespaces it creates, so its garbage collection still removes them) and waits for the account.
 */
import { realClock } from "../cluster/clock.ts";
import { ensureNamespaceReady } from "../cluster/namespace.ts";
import type { Context } from "../lib/context.ts";
import { EnvironmentError } from "../lib/errors.ts";
import { renderWorkload, type Workload } from "./workloads.ts";

interface Job {
  name: string;
  jobType?: string;
  namespace?: string;
  namespacedIterations?: boolean;
}

/** Job namespaces of create jobs that use one fixed namespace (namespacedIterations: false). */
export async function jobNamespaces(
  w: Workload,
  vars: Record<string, string>,
  uuid: string,
): Promise<{ job: string; namespace: string }[]> {
  const { config } = await renderWorkload(w, vars, { uuid });
  return ((config.jobs ?? []) as Job[])
    .filter((j) => (j.jobType ?? "create") === "create" && j.namespace && j.namespacedIterations === false)
    .map((j) => ({ job: j.name, namespace: j.namespace! }));
}

export async function prepareJobNamespaces(
  o: { kubeconfig?: string; context?: string },
  ctx: Context,
  w: Workload,
  vars: Record<string, string>,
  uuid: string,
): Promise<void> {
  const { Kube } = await import("../cluster/kube.ts");
  let kube: InstanceType<typeof Kube>;
  try {
    kube = Kube.connect({ kubeconfig: o.kubeconfig, context: o.context }, ctx.env, ctx.cwd);
  } catch {
    return; // no kubeconfig: kube-burner reports that itself
  }
  for (const { job, namespace } of await jobNamespaces(w, vars, uuid)) {
    try {
      await ensureNamespaceReady(kube, namespace, {
        // kube-burner 2.7.3's keys (pkg/config/types.go KubeBurnerLabelJob/UUID): its garbage
        // collection and a job's `cleanup` delete the namespaces labelled kube-burner.io/job=<job>
        // (pkg/burner/job.go gc); under another key the namespace and its pods outlive the run,
        // and the next run's pods already exist.
        labels: { "kube-burner.io/job": job, "kube-burner.io/uuid": uuid },
        clock: ctx.clock ?? realClock,
        say: (line) => ctx.stderr.write(`${line}\n`),
      });
    } catch (e) {
      if (!(e instanceof EnvironmentError)) throw e;
      ctx.stderr.write(`warning: could not prepare namespace ${namespace}: ${e.message}\n`);
    }
  }
}
