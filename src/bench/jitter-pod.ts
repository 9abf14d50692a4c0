/**
 * The jitter pod `llw latency run` starts, built as data. The kube-burner template of the tool
 * (benchmarks/<tool>/templates/pod.yml) is rendered with inert placeholders for every string a
 * user or the cluster supplies, and only numbers; the real node selector, image, runtime class,
 * name and namespace are then set on the parsed object. Nothing a user typed is ever part of the
 * YAML text, so a node-selector "key" such as `x: ""\n  hostPID: true` cannot add fields to the
 * pod; and each of those values is checked against the Kubernetes grammar first (exit 2).
 */
import type { KubeObject } from "../cluster/kube.ts";
import { UserError } from "../lib/errors.ts";
import { checkLabel, isDns1123Label, isDns1123Subdomain } from "../lib/k8s-names.ts";
import { renderWorkload, resolveVariables, type Workload } from "./workloads.ts";

export interface JitterPodInput {
  tool: string;
  cpus: number;
  seconds: number;
  maxLatency?: number;
  /** Node label key to select (the profile's, or --node-selector). */
  selectorKey: string;
  /** A node name (--node): selects kubernetes.io/hostname instead. */
  node?: string;
  /** The pod's image, already pinned by digest. */
  image: string;
  /** The PerformanceProfile; none for a baseline pod. */
  profile?: string;
  name: string;
  namespace: string;
}

const PLACEHOLDER = {
  NODE_SELECTOR: "llw.invalid/placeholder",
  LATENCY_IMAGE: "placeholder.invalid/image:set-as-data",
  PROFILE: "placeholder",
};

/** Checks every string that ends up in the pod; exit 2 with the flag that carried it. */
export function checkJitterInput(
  i: Pick<JitterPodInput, "selectorKey" | "node" | "profile" | "namespace">,
): void {
  checkLabel(i.selectorKey, undefined, "--node-selector");
  if (i.node !== undefined && !isDns1123Subdomain(i.node))
    throw new UserError({
      what: `${JSON.stringify(i.node)} is not a node name (a DNS subdomain)`,
      where: "--node",
    });
  if (i.profile !== undefined && !isDns1123Subdomain(i.profile))
    throw new UserError({
      what: `${JSON.stringify(i.profile)} is not a PerformanceProfile name`,
      where: "--performance-profile",
    });
  if (!isDns1123Label(i.namespace))
    throw new UserError({
      what: `${JSON.stringify(i.namespace)} is not a namespace name (a DNS label)`,
      where: "--namespace",
    });
}

/** CRI-O annotations of the tuned pod (cpu-load-balancing, cpu-quota, irq-load-balancing). */
const CRIO_ANNOTATION = /\.crio\.io$/;

/**
 * The untuned twin of a jitter pod: the same container, command, CPUs and QoS (Guaranteed),
 * without the performance runtime class and the CRI-O annotations that only a tuned node honours.
 */
export function untune(pod: KubeObject): void {
  delete pod.spec.runtimeClassName;
  const annotations = (pod.metadata.annotations ?? {}) as Record<string, string>;
  for (const k of Object.keys(annotations)) if (CRIO_ANNOTATION.test(k)) delete annotations[k];
  if (Object.keys(annotations).length === 0) delete pod.metadata.annotations;
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), "llw.workshop/mode": "baseline" };
}

export async function jitterPod(w: Workload, i: JitterPodInput): Promise<KubeObject> {
  checkJitterInput(i);
  const vars = resolveVariables(w, {
    ...PLACEHOLDER,
    LATENCY_TEST_CPUS: String(i.cpus),
    LATENCY_TEST_RUNTIME: String(i.seconds),
    ...(i.maxLatency ? { MAXIMUM_LATENCY: String(i.maxLatency) } : {}),
  });
  const { objects } = await renderWorkload(w, vars);
  const pod = structuredClone(objects[0]!.object) as KubeObject;
  pod.metadata = { ...pod.metadata, name: i.name, namespace: i.namespace };
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), "app.kubernetes.io/managed-by": "llw" };
  // One node by its name: the scheduler's node affinity on metadata.name, as the DaemonSet
  // controller pins its pods (the hostname label need not equal the node name).
  if (i.node) {
    delete pod.spec.nodeSelector;
    pod.spec.affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [i.node] }] }],
        },
      },
    };
  } else pod.spec.nodeSelector = { [i.selectorKey]: "" };
  for (const c of pod.spec.containers ?? []) c.image = i.image;
  if (i.profile) pod.spec.runtimeClassName = `performance-${i.profile}`;
  else untune(pod);
  return pod;
}
