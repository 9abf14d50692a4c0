/**
 * Reads a node's booted kernel command line, isolated CPUs and present CPUs with a short-lived
 * pod pinned to the node, which prints and exits. The pod needs no privilege and no host access:
 * /proc/cmdline and /sys/devices/system/cpu are the host kernel's in every container (the OCI
 * runtimes mask /proc/kcore, /proc/keys, /proc/timer_list, /sys/firmware and a few more, never
 * these: containers/common pkg/config default masked paths, runc libcontainer/specconv), so it
 * runs under OpenShift's restricted-v2 SCC, in a namespace of llw's own, from an image pinned by
 * digest, and it is deleted on every way out (errors, Ctrl-C, SIGTERM).
 */

import type { Clock } from "../clock.ts";
import type { Kube, KubeObject } from "../kube.ts";
import { withOwnPod } from "../own-pod.ts";
import type { NodeProbe } from "./facts.ts";

export const PROBE_MARK = "---llw-isolated---";
export const PRESENT_MARK = "---llw-present---";
export const DEBUG_NAMESPACE = "llw-debug";
/**
 * Red Hat's UBI 9 minimal image by digest, as openshift/run-once-duration-override pins it in its
 * Dockerfile (commit bcadb2661bd6deda3bcf7014e792141172abeb9f); it has sh and cat, all the probe
 * runs. Override with --debug-image (a tag is resolved to its digest by the cluster).
 */
export const DEBUG_IMAGE =
  "registry.access.redhat.com/ubi9/ubi-minimal@sha256:6fc28bcb6776e387d7a35a2056d9d2b985dc4e26031e98a2bd35a7137cd6fd71";

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
      // The restricted-v2 SCC, never the one admission picks first for a cluster-admin (anyuid,
      // priority 10: the image's root user, which runAsNonRoot then refuses to start). OpenShift
      // 4.14+ honours the annotation (openshift/apiserver-library-go master,
      // pkg/securitycontextconstraints/sccadmission/admission.go, RequiredSCCAnnotation).
      annotations: { "openshift.io/required-scc": "restricted-v2" },
    },
    spec: {
      nodeName: node,
      restartPolicy: "Never",
      tolerations: [{ operator: "Exists" }],
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "probe",
          image,
          command: [
            "sh",
            "-c",
            `cat /proc/cmdline; echo ${PROBE_MARK}; cat /sys/devices/system/cpu/isolated; echo ${PRESENT_MARK}; cat /sys/devices/system/cpu/present`,
          ],
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
        },
      ],
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
  /** A line for the user (stderr): what a signal or a failed delete leaves to do. */
  say: (line: string) => void;
}

export async function probeNode(kube: Kube, node: string, o: ProbeOptions): Promise<NodeProbe> {
  const pod = debugPod(node, o.namespace, o.image, o.clock.now().toString(36).slice(-5));
  const name = pod.metadata.name!;
  return withOwnPod(kube, pod, { clock: o.clock, say: o.say }, async () => {
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
  });
}
