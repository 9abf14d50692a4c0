/**
 * The kubelet, as kwok drives it: pod lifecycle as data, a list of stages, each a selector, a
 * delay and the status it leaves (kubernetes-sigs/kwok kustomize/stage/pod/general: pod-ready,
 * pod-complete, pod-delete). A scheduled pod starts its containers after containerStart and
 * becomes Running and Ready (the Initialized, ContainersReady, Ready and PodReadyToStartContainers
 * conditions, kubelet pkg/kubelet/status/generate.go). What a pod's program does (exit code,
 * output) is the workload's business: a test or scenario registers a run rule; without one a
 * pod keeps running, like a server.
 */
import type { Obj } from "../apiserver.ts";
import { type Ctx, setCondition } from "../context.ts";
import { cond } from "../objects.ts";

export interface RunResult {
  phase: "Succeeded" | "Failed";
  log: string;
  /** How long the program runs (simulated ms); default 1 s. */
  runMs?: number;
}

export interface RunRule {
  match: (pod: Obj) => boolean;
  run: (pod: Obj) => RunResult | undefined;
}

export interface Stage {
  name: string;
  /** Which pods this stage applies to. */
  selects: (pod: Obj) => boolean;
  delay: (ctx: Ctx, pod: Obj) => number;
  /** The status patch the stage leaves (and side effects such as logs). */
  next: (ctx: Ctx, pod: Obj) => Obj;
}

const phase = (p: Obj) => p.status?.phase;

function containerStatuses(pod: Obj, state: Obj, ready: boolean): Obj[] {
  return (pod.spec?.containers ?? []).map((c: Obj) => ({
    name: c.name,
    image: c.image,
    imageID: `${c.image}@sha256:${"0".repeat(64)}`,
    ready,
    started: ready,
    restartCount: 0,
    state,
  }));
}

export function podStages(rules: RunRule[]): Stage[] {
  const rule = (pod: Obj) => rules.findLast((r) => r.match(pod));
  return [
    {
      name: "pod-ready",
      selects: (p) => Boolean(p.spec?.nodeName) && phase(p) === "Pending" && !p.metadata.deletionTimestamp,
      delay: (ctx) => ctx.timing.containerStart,
      next: (_ctx, p) => {
        const now = new Date().toISOString();
        let c = p.status?.conditions;
        for (const t of ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"])
          c = setCondition(c, cond(t, "True", "", ""));
        return {
          phase: "Running",
          startTime: now,
          hostIP: "10.0.1.10",
          podIP: `10.128.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
          conditions: c,
          containerStatuses: containerStatuses(p, { running: { startedAt: now } }, true),
        };
      },
    },
    {
      name: "pod-complete",
      selects: (p) => phase(p) === "Running" && !p.metadata.deletionTimestamp && rule(p) !== undefined,
      delay: (_ctx, p) => rule(p)?.run(p)?.runMs ?? 1000,
      next: (ctx, p) => {
        const r = rule(p)?.run(p);
        if (!r) return {};
        ctx.api.setLog(p.metadata.namespace, p.metadata.name, r.log);
        let c = p.status?.conditions;
        for (const t of ["ContainersReady", "Ready"])
          c = setCondition(c, cond(t, "False", "PodCompleted", ""));
        const code = r.phase === "Succeeded" ? 0 : 1;
        return {
          phase: r.phase,
          conditions: c,
          containerStatuses: containerStatuses(
            p,
            {
              terminated: {
                exitCode: code,
                reason: code === 0 ? "Completed" : "Error",
                finishedAt: new Date().toISOString(),
              },
            },
            false,
          ),
        };
      },
    },
  ];
}

export interface Kubelet {
  /** Registers what a pod's program does (the last matching rule wins). */
  run(match: (pod: Obj) => boolean, run: (pod: Obj) => RunResult | undefined): void;
}

export function startKubelet(ctx: Ctx): Kubelet {
  const { api } = ctx;
  const rules: RunRule[] = [];
  const stages = podStages(rules);
  const scheduled = new Set<string>();
  api.on(["Pod"], (ev) => {
    if (ev.type === "DELETED") return;
    const pod = ev.object;
    for (const st of stages) {
      if (!st.selects(pod)) continue;
      const key = `${st.name}/${pod.metadata.namespace}/${pod.metadata.name}/${pod.metadata.uid}`;
      if (scheduled.has(key)) continue;
      scheduled.add(key);
      api.after(st.delay(ctx, pod), () => {
        scheduled.delete(key);
        const cur = api.get("v1", "Pod", pod.metadata.name, pod.metadata.namespace);
        if (!cur || cur.metadata.uid !== pod.metadata.uid || !st.selects(cur)) return;
        api.update("v1", "Pod", pod.metadata.name, pod.metadata.namespace, { status: st.next(ctx, cur) });
      });
    }
  });
  return {
    run(match, run) {
      rules.push({ match, run });
    },
  };
}
