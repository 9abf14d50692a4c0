/**
 * The workshop's test pods (gitops/base/test-pods and overlays/aws/<type>/test-pods), built with
 * the real kustomize for every catalog type: they exist only while their check runs (they exit,
 * with a deadline, and nothing restarts them), need no privilege, run an image pinned by digest,
 * and the tuned one gets its type's runtime class and sizes. Argo CD never syncs them (see
 * test/cluster/app-project.test.ts); Module 2 applies and deletes them by hand.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { workloadSizes } from "../../src/gitops/generate.ts";
import { buildOne } from "../../src/gitops/kustomize.ts";
import { INSTANCE_TYPES } from "../../src/topology/catalog.ts";
import { ROOT, toolPath } from "../helpers/tools.ts";
import { kustomizeTool } from "./helpers.ts";

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests, checked field by field
type Obj = Record<string, any>;

/** What makes a pod a one-shot, unprivileged test pod; one line per defect. */
function testPodDefects(p: Obj): string[] {
  const where = `Pod ${p.metadata?.name}`;
  const out: string[] = [];
  const spec = p.spec ?? {};
  if (p.metadata?.annotations?.["openshift.io/required-scc"] !== "restricted-v2")
    out.push(`${where}: no required SCC restricted-v2 (a cluster-admin's pod gets anyuid)`);
  if (spec.restartPolicy !== "Never") out.push(`${where}: restartPolicy ${spec.restartPolicy}, not Never`);
  if (!(spec.activeDeadlineSeconds > 0)) out.push(`${where}: no activeDeadlineSeconds`);
  if (spec.automountServiceAccountToken !== false) out.push(`${where}: mounts a ServiceAccount token`);
  if (spec.serviceAccountName) out.push(`${where}: runs as ServiceAccount ${spec.serviceAccountName}`);
  for (const k of ["hostPID", "hostNetwork", "hostIPC"]) if (spec[k]) out.push(`${where}: ${k}`);
  if (spec.securityContext?.runAsNonRoot !== true) out.push(`${where}: may run as root`);
  if ((spec.volumes ?? []).some((v: Obj) => v.hostPath)) out.push(`${where}: a hostPath volume`);
  for (const c of spec.containers ?? []) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) out.push(`${where}: container ${c.name} is privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${where}: container ${c.name} may escalate`);
    if (JSON.stringify(sc.capabilities?.drop) !== '["ALL"]')
      out.push(`${where}: container ${c.name} keeps capabilities`);
    if (!/@sha256:[0-9a-f]{64}$/.test(c.image))
      out.push(`${where}: image ${c.image} is not pinned by digest`);
    if (/sleep|infinity/.test(JSON.stringify(c.command ?? [])))
      out.push(`${where}: container ${c.name} sleeps instead of exiting`);
  }
  return out;
}

describe("the workshop's test pods (real kubectl kustomize, every instance type)", () => {
  for (const type of INSTANCE_TYPES) {
    it(`${type.name}: overlays/aws/${type.name}/test-pods builds a baseline and a tuned pod that exit, unprivileged, by digest; the tuned one Guaranteed on ${type.name}'s runtime class`, async (t) => {
      const tool = kustomizeTool(t);
      if (!tool) return;
      const b = await buildOne(tool, join(ROOT, "gitops/overlays/aws", type.name, "test-pods"), {
        PATH: toolPath(),
      });
      if (!b.ok) assert.fail(b.error);
      const pods = parseAllDocuments(b.yaml).map((d) => d.toJS() as Obj);
      assert.deepEqual(pods.map((p) => `${p.kind} ${p.metadata.name}`).sort(), [
        "Pod baseline-pod",
        "Pod tuned-pod",
      ]);
      assert.deepEqual(pods.flatMap(testPodDefects), []);
      const s = workloadSizes(type);
      const tuned = pods.find((p) => p.metadata.name === "tuned-pod")!;
      assert.equal(tuned.spec.runtimeClassName, `performance-${s.profileName}`);
      const r = tuned.spec.containers[0].resources;
      assert.deepEqual(r.requests, r.limits, "Guaranteed: requests equal limits");
      assert.equal(r.limits.cpu, String(s.podCpus));
      assert.equal(r.limits["hugepages-1Gi"], `${s.podHugepagesGiB}Gi`);
    });
  }

  it("the check can fail: the former long-running privileged pod has every defect named", () => {
    const old: Obj = {
      kind: "Pod",
      metadata: { name: "tuned-pod" },
      spec: {
        serviceAccountName: "latency-tester",
        restartPolicy: "Always",
        containers: [
          {
            name: "latency",
            image: "registry.redhat.io/openshift4/cnf-tests-rhel9:v4.19",
            command: ["sleep", "infinity"],
            securityContext: { privileged: true },
          },
        ],
      },
    };
    assert.deepEqual(testPodDefects(old), [
      "Pod tuned-pod: no required SCC restricted-v2 (a cluster-admin's pod gets anyuid)",
      "Pod tuned-pod: restartPolicy Always, not Never",
      "Pod tuned-pod: no activeDeadlineSeconds",
      "Pod tuned-pod: mounts a ServiceAccount token",
      "Pod tuned-pod: runs as ServiceAccount latency-tester",
      "Pod tuned-pod: may run as root",
      "Pod tuned-pod: container latency is privileged",
      "Pod tuned-pod: container latency may escalate",
      "Pod tuned-pod: container latency keeps capabilities",
      "Pod tuned-pod: image registry.redhat.io/openshift4/cnf-tests-rhel9:v4.19 is not pinned by digest",
      "Pod tuned-pod: container latency sleeps instead of exiting",
    ]);
  });
});
