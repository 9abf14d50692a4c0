/**
 * Reads a node's booted kernel command line and isolated CPUs the way `oc debug node/<name>`
 * does: a short-lived privileged pod pinned to the node with the host filesystem at /host,
 * which prints and exits. The pod is always deleted afterwards.
 */
import type { Clock } from "../clock.ts";
import type { Kube, KubeObject } from "../kube.ts";
import type { NodeProbe } from "./facts.ts";

export const PROBE_MARK = "---llw-isolated---";
export const PRESENT_MARK = "---llw-present---";

export function debugPod(node: string, namespace: string, image: string, suffix: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `llw-doctor-${node.split(".")[0]!.slice(0, 40)}-${suffix}`
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, "-"),
      namespace,
      labels: { "app.kubernetes.io/name": "llw-doctor", "app.kubernetes.io/managed-by": "llw" },
      annotations: { "debug.openshift.io/source-resource": `/v1, Resource=nodes/${node}` },
    },
    spec: {
      nodeName: node,
      hostPID: true,
      hostNetwork: true,
      restartPolicy: "Never",
      tolerations: [{ operator: "Exists" }],
      priorityClassName: "openshift-user-critical",
      containers: [
        {
          name: "container-00",
          image,
          command: [
            "chroot",
            "/host",
            "sh",
            "-c",
            `cat /proc/cmdline; echo ${PROBE_MARK}; cat /sys/devices/system/cpu/isolated; echo ${PRESENT_MARK}; cat /sys/devices/system/cpu/present`,
          ],
          securityContext: { privileged: true, runAsUser: 0 },
          resources: { requests: { cpu: "10m", memory: "16Mi" } },
          volumeMounts: [{ name: "host", mountPath: "/host", readOnly: true }],
        },
      ],
      volumes: [{ name: "host", hostPath: { path: "/", type: "Directory" } }],
    },
  };
}

/** Splits the probe's output into the command line, the isolated and the present CPU lists. */
export function parseProbeOutput(node: string, log: string): NodeProbe {
  const i = log.indexOf(PROBE_MARK);
  if (i < 0) return { node, error: `unexpected output: ${log.slice(0, 120).trim() || "(empty)"}` };
  const rest = log.slice(i + PROBE_MARK.length);
  const j = rest.indexOf(PRESENT_MARK);
  return {
    node,
    cmdline: log.slice(0, i).trim(),
    isolated: (j < 0 ? rest : rest.slice(0, j)).trim(),
    ...(j < 0 ? {} : { present: rest.slice(j + PRESENT_MARK.length).trim() }),
  };
}

export interface ProbeOptions {
  namespace: string;
  image: string;
  timeoutMs: number;
  intervalMs: number;
  clock: Clock;
}

export async function probeNode(kube: Kube, node: string, o: ProbeOptions): Promise<NodeProbe> {
  const pod = debugPod(node, o.namespace, o.image, o.clock.now().toString(36).slice(-5));
  const name = pod.metadata.name!;
  await kube.create(pod);
  try {
    const start = o.clock.now();
    for (;;) {
      const p = await kube.get("v1", "Pod", name, o.namespace);
      const phase: string | undefined = p?.status?.phase;
      if (phase === "Succeeded") return parseProbeOutput(node, await kube.podLog(o.namespace, name));
      if (phase === "Failed") {
        const log = await kube.podLog(o.namespace, name).catch(() => "");
        return { node, error: `debug pod failed${log ? `: ${log.trim().slice(0, 200)}` : ""}` };
      }
      if (o.clock.now() - start >= o.timeoutMs) {
        const waiting = p?.status?.containerStatuses?.[0]?.state?.waiting;
        return {
          node,
          error: `debug pod still ${phase ?? "unscheduled"}${waiting ? ` (${waiting.reason}: ${waiting.message ?? ""})` : ""} after ${Math.round(o.timeoutMs / 1000)}s`,
        };
      }
      await o.clock.sleep(o.intervalMs);
    }
  } finally {
    await kube.delete("v1", "Pod", name, o.namespace).catch(() => false);
  }
}
