/**
 * Which EC2 metal type the workshop is installed for: given (`--instance-type`) or read from the
 * metal workers' `node.kubernetes.io/instance-type` label (set by the AWS cloud provider from the
 * instance's type). Pure: nodes in, a decision out. The type selects the PerformanceProfile,
 * the workload overlay and the HyperConverged default runtime class together, so guessing is
 * never right: several types or none is an error when the type is needed.
 */
import { UserError } from "../lib/errors.ts";
import { getInstanceType, INSTANCE_TYPES } from "../topology/catalog.ts";
import type { KubeObject } from "./kube.ts";

export const INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type";

/** EC2 bare-metal types are named `<family>.metal` or `<family>.metal-<size>` (c7i.metal-24xl). */
export function isMetalType(t: string): boolean {
  return /\.metal(-[a-z0-9]+)?$/.test(t);
}

/** Metal workers by instance type: type -> node names. */
export function metalWorkers(nodes: KubeObject[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of nodes) {
    const t = (n.metadata.labels as Record<string, string> | undefined)?.[INSTANCE_TYPE_LABEL];
    if (!t || !isMetalType(t)) continue;
    out.set(t, [...(out.get(t) ?? []), n.metadata.name ?? "?"]);
  }
  return out;
}

export interface InstanceTypeChoice {
  instanceType?: string;
  /** How it was chosen, for the user. */
  note: string;
}

const known = () => INSTANCE_TYPES.map((t) => t.name).join(", ");
const list = (m: Map<string, string[]>) =>
  [...m]
    .map(
      ([t, names]) =>
        `${t} (${names.length}: ${names.slice(0, 3).join(", ")}${names.length > 3 ? ", ..." : ""})`,
    )
    .join("; ");

/**
 * `requested` wins when it is a catalog type that the cluster's metal workers (if any) have;
 * otherwise the one type of the metal workers. `required`: the caller needs a type (the tuning).
 */
export function chooseInstanceType(
  nodes: KubeObject[] | undefined,
  requested: string | undefined,
  required: boolean,
): InstanceTypeChoice {
  const workers = nodes ? metalWorkers(nodes) : new Map<string, string[]>();
  if (requested !== undefined) {
    const t = getInstanceType(requested).name;
    if (workers.size > 0 && !workers.has(t)) {
      throw new UserError({
        what: `--instance-type ${t} does not match the cluster's metal workers: ${list(workers)}`,
        where: "--instance-type",
        next: `the ${t} profile names CPUs and memory those nodes do not have; use --instance-type ${[...workers.keys()][0]} or add ${t} workers first (llw aws machineset)`,
      });
    }
    return {
      instanceType: t,
      note:
        nodes === undefined
          ? `${t} (--instance-type; cluster not read)`
          : workers.size > 0
            ? `${t} (--instance-type, matches the metal workers)`
            : `${t} (--instance-type; no metal worker yet)`,
    };
  }
  if (workers.size === 1) {
    const [t, names] = [...workers][0]!;
    if (!INSTANCE_TYPES.some((x) => x.name === t)) {
      throw new UserError({
        what: `the metal workers are ${t}, which the workshop's catalog does not know (it knows ${known()})`,
        where: `node ${names[0]}`,
        next: "use a catalog type for the metal workers, or plan a profile from the node itself: llw profile generate --lscpu FILE",
      });
    }
    return { instanceType: t, note: `${t} (from the metal workers: ${names.join(", ")})` };
  }
  if (!required) {
    return {
      note:
        workers.size === 0
          ? "no metal worker yet (the tuning in Module 2 needs one)"
          : `metal workers of several types (${list(workers)}); the tuning will need --instance-type`,
    };
  }
  throw new UserError({
    what:
      workers.size === 0
        ? nodes === undefined
          ? "no instance type: the cluster was not read"
          : `no metal worker on the cluster: no node has a ${INSTANCE_TYPE_LABEL} label of a .metal type`
        : `the metal workers have several instance types: ${list(workers)}`,
    where: "--instance-type",
    next:
      workers.size === 0
        ? `create a metal worker first (llw aws machineset) or pass --instance-type (one of ${known()})`
        : "pass --instance-type with the type the workshop should tune",
  });
}
