/**
 * The fit check `llw bench run` and `llw latency run` make before they start anything: every
 * object a run creates must have a runtime class that exists and room on the nodes it targets.
 * `fitProblems` is pure (rendered objects and cluster facts in, problems out); `readFitFacts`
 * reads the facts.
 */
import { readFile } from "node:fs/promises";
import type { Kube, KubeObject } from "../cluster/kube.ts";
import type { Context } from "../lib/context.ts";
import { parseCpuList } from "../lib/cpuset.ts";
import { type Problem, UserError } from "../lib/errors.ts";
import { type Demand, type FitPlan, nodeFacts, planFit, podDemand, showAmount, vmDemand } from "./fit.ts";
import { renderWorkload, resolveVariables, type Workload } from "./workloads.ts";

export interface FitFacts {
  nodes: KubeObject[];
  pods: KubeObject[];
  runtimeClasses: KubeObject[];
  profiles: KubeObject[];
  /** HyperConverged spec.defaultRuntimeClass: every virt-launcher pod's runtime class. */
  vmRuntimeClass?: string;
}

export async function readFitFacts(kube: Kube): Promise<FitFacts> {
  const [nodes, pods, runtimeClasses, profiles, hcos] = await Promise.all([
    kube.list("v1", "Node"),
    kube.list("v1", "Pod"),
    kube.list("node.k8s.io/v1", "RuntimeClass"),
    kube.list("performance.openshift.io/v2", "PerformanceProfile").catch(() => []),
    kube.list("hco.kubevirt.io/v1beta1", "HyperConverged").catch(() => []),
  ]);
  const vmRuntimeClass = hcos[0]?.spec?.defaultRuntimeClass as string | undefined;
  return { nodes, pods, runtimeClasses, profiles, ...(vmRuntimeClass ? { vmRuntimeClass } : {}) };
}

export interface FitTarget {
  object: KubeObject;
  /** How many of it the run creates (jobIterations x replicas). */
  count: number;
}

export interface FitOptions {
  /** The variable that sets the count, for the suggestion (`ITERATIONS`); else the flag. */
  countHint?: (n: number) => string;
  /** Where the count comes from, for `where:`. */
  where: string;
  /** How to select another node label (default: the workload variable NODE_SELECTOR). */
  selectorHint?: string;
}

function isolatedOn(node: KubeObject, profiles: KubeObject[]): number | undefined {
  const labels = (node.metadata.labels ?? {}) as Record<string, string>;
  const p = profiles.find((x) =>
    Object.entries((x.spec?.nodeSelector ?? {}) as Record<string, string>).every(([k, v]) => labels[k] === v),
  );
  return p?.spec?.cpu?.isolated ? parseCpuList(p.spec.cpu.isolated).length : undefined;
}

function perObject(d: Demand): string {
  return Object.entries(d.requests)
    .filter(([r, v]) => r !== "pods" && v > 0)
    .map(([r, v]) => showAmount(r, v))
    .join(", ");
}

const selectorText = (s: Record<string, string>) =>
  Object.entries(s)
    .map(([k, v]) => (v === "" ? k : `${k}=${v}`))
    .join(", ") || "any node";

function describeShortfall(plan: FitPlan, o: FitOptions): Problem {
  const d = plan.demand;
  const total = Object.entries(d.requests)
    .filter(([r, v]) => r !== "pods" && v > 0)
    .map(([r, v]) => showAmount(r, v * plan.count))
    .join(", ");
  const nodes = plan.nodes
    .map(
      (n) =>
        `${n.node}: room for ${n.holds}${n.limitedBy ? ` (${showAmount(n.limitedBy, n.free[n.limitedBy] ?? 0)} free)` : ""}`,
    )
    .concat(plan.excluded.map((x) => `${x.node}: ${x.why}`))
    .join("; ");
  if (plan.nodes.length === 0) {
    return {
      what: `no node can run ${d.what}: none matches its node selector (${selectorText(plan.nodeSelector)})${plan.excluded.length ? ` and is schedulable (${nodes})` : ""}`,
      where: o.where,
      next: `label the metal worker (oc label node <node> node-role.kubernetes.io/worker-rt=) or select the label your nodes have (${o.selectorHint ?? "--set NODE_SELECTOR=<label key>"})`,
    };
  }
  return {
    what: `${plan.count} x ${d.what} (${perObject(d)} each${d.exclusiveCpus ? ", exclusive CPUs" : ""}) need ${total}; the target nodes (${selectorText(plan.nodeSelector)}) have room for ${plan.capacity}: ${nodes}`,
    where: o.where,
    next:
      plan.capacity > 0
        ? `${o.countHint ? o.countHint(plan.capacity) : `at most ${plan.capacity}`} would fit; or ask for less of what runs out per object`
        : "free the nodes (other pods and VMs hold their resources), or ask for less per object",
  };
}

/**
 * Problems that stop a run before it starts: a runtime class that does not exist (the pods would
 * be rejected), or more objects than the target nodes hold (they would stay Pending until the
 * timeout). Objects of kinds other than Pod and VirtualMachine are not checked.
 */
export function fitProblems(
  targets: FitTarget[],
  facts: FitFacts,
  o: FitOptions,
): { problems: Problem[]; plans: FitPlan[] } {
  const problems: Problem[] = [];
  const plans: FitPlan[] = [];
  const nodes = facts.nodes.map((n) => nodeFacts(n, facts.pods, isolatedOn(n, facts.profiles)));
  for (const t of targets) {
    const kind = t.object.kind;
    if (kind !== "Pod" && kind !== "VirtualMachine") continue;
    const demand = kind === "Pod" ? podDemand(t.object) : vmDemand(t.object, facts.vmRuntimeClass);
    let rcSelector: Record<string, string> = {};
    if (demand.runtimeClassName) {
      const rc = facts.runtimeClasses.find((r) => r.metadata.name === demand.runtimeClassName);
      if (!rc) {
        const names = facts.profiles.map((p) => p.metadata.name);
        problems.push({
          what: `runtime class ${demand.runtimeClassName} does not exist, so every ${kind === "Pod" ? "pod" : "virt-launcher pod"} of ${demand.what} would be rejected`,
          where: o.where,
          next: names.length
            ? `the cluster's PerformanceProfiles are ${names.join(", ")} (runtime class performance-<name>): --set PROFILE=${names[0]}`
            : "apply the tuning first (llw tune apply ... in Module 2): the PerformanceProfile creates the runtime class",
        });
        continue;
      }
      rcSelector = (rc.scheduling?.nodeSelector ?? {}) as Record<string, string>;
    }
    const plan = planFit(demand, t.count, nodes, rcSelector);
    plans.push(plan);
    if (!plan.fits) problems.push(describeShortfall(plan, o));
  }
  return { problems, plans };
}

/** The variable a config's `jobIterations` reads (`{{.ITERATIONS}}`), for suggesting a count. */
export function countVariable(configText: string): string | undefined {
  return /jobIterations:\s*"?\{\{-?\s*\.(\w+)\s*-?\}\}/.exec(configText)?.[1];
}

/**
 * Before kube-burner starts: the PerformanceProfile the tuned workloads use defaults to the
 * cluster's only one, and every object must have its runtime class and room on its target
 * nodes (exit 2 with what would fit). Without a readable cluster the check is skipped, said so.
 */
export async function checkWorkloadFits(
  w: Workload,
  sets: Record<string, string>,
  kube: Kube | undefined,
  ctx: Context,
): Promise<void> {
  const skip = (why: string): void => {
    ctx.stderr.write(
      `${ctx.colors.yellow(`warning: not checked whether ${w.name} fits the cluster: ${why}`)}\n`,
    );
  };
  if (!kube) return skip("no cluster access");
  let facts: FitFacts;
  try {
    facts = await readFitFacts(kube);
  } catch (e) {
    return skip((e as Error).message.split("\n")[0]!);
  }
  if ("PROFILE" in w.variables && sets.PROFILE === undefined && facts.profiles.length === 1) {
    sets.PROFILE = facts.profiles[0]!.metadata.name!;
    ctx.stderr.write(`PROFILE=${sets.PROFILE} (the cluster's only PerformanceProfile)\n`);
  }
  let rendered: Awaited<ReturnType<typeof renderWorkload>>;
  try {
    rendered = await renderWorkload(w, resolveVariables(w, sets));
  } catch (e) {
    return skip((e as Error).message);
  }
  const countVar = countVariable(await readFile(w.config, "utf8"));
  const { problems } = fitProblems(
    rendered.objects.map((o) => ({ object: o.object as never, count: o.count })),
    facts,
    {
      where: countVar ? `${w.name}: ${countVar}=${resolveVariables(w, sets)[countVar]}` : w.config,
      ...(countVar ? { countHint: (n: number) => `--set ${countVar}=${n}` } : {}),
    },
  );
  if (problems.length > 0) throw new UserError(problems);
}
