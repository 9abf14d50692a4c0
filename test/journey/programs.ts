/**
 * What the programs of the pods the guides start print, in the simulated cluster (its kubelet runs
 * a pod's program through these rules):
 * - the jitter pods of `llw latency run` (label llw.workshop/tool): oslat and cyclictest are the
 *   real rt-tests of this machine, each run recorded for 2 seconds when the journey starts (one
 *   recording for the untuned pods, another for the tuned ones: no simulation tunes a kernel, so
 *   the two differ only as two runs of one machine do). hwlatdetect needs the kernel's hwlat tracer,
 *   which this machine lacks: its output is built from the print statements of rt-tests'
 *   hwlatdetect.py (/usr/sbin/hwlatdetect) and says no gap was found;
 * - the probe pods of `llw doctor` (label app.kubernetes.io/name=llw-doctor, node-probe.ts): /proc/cmdline
 *   and the isolated CPUs of the node as it booted its current rendered MachineConfig (the
 *   PerformanceProfile's arguments once that config carries the profile's MachineConfig).
 * The pod runs for its test duration (LATENCY_TEST_RUNTIME) in simulated time.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { PRESENT_MARK, PROBE_MARK } from "../../src/cluster/doctor/node-probe.ts";
import { formatCpuList, parseCpuList } from "../../src/lib/cpuset.ts";
import type { Obj } from "../sim/apiserver.ts";
import { tunedCmdline } from "../sim/fixtures.ts";
import type { Sim } from "../sim/index.ts";

const run = promisify(execFile);
type Tool = "oslat" | "cyclictest";

export interface Jitter {
  recordings: Record<Tool, string[]>;
}

export interface Programs {
  /** Jitter pods run, per tool and mode ("oslat baseline", "oslat tuned"). */
  ran: string[];
  notes: string[];
}

const CYCLICTEST = [
  "--priority",
  "95",
  "--histogram",
  "30",
  "--interval",
  "1000",
  "--mlockall",
  "--quiet",
  "-D",
  "2",
  "-t",
  "1",
];
const OSLAT = ["-D", "2", "-c", "0"];

/** Two 2-second recordings of each tool, one after the other (they would disturb each other). */
export async function recordJitter(): Promise<Jitter> {
  const recordings: Record<Tool, string[]> = { oslat: [], cyclictest: [] };
  for (let i = 0; i < 2; i++) {
    recordings.oslat.push((await run("oslat", OSLAT, { timeout: 60_000 })).stdout);
    recordings.cyclictest.push((await run("cyclictest", CYCLICTEST, { timeout: 60_000 })).stdout);
  }
  return { recordings };
}

function hwlatdetect(pod: Obj): string {
  const env = Object.fromEntries(
    ((pod.spec?.containers?.[0]?.env ?? []) as Obj[]).map((e) => [e.name, e.value]),
  );
  return `hwlatdetect:  test duration ${env.LATENCY_TEST_RUNTIME ?? 300} seconds
   detector: tracer
   parameters:
        CPU list:          ${env.LATENCY_TEST_CPUS ?? "None"}
        Latency threshold: 10us
        Sample window:     1000000us
        Sample width:      500000us
     Non-sampling period:  500000us
        Output File:       None

Starting test
test finished
Max Latency: Below threshold
Samples recorded: 0
Samples exceeding threshold: 0
`;
}

export function podPrograms(sim: Sim, jitter: Jitter): Programs {
  const { api } = sim;
  const programs: Programs = { ran: [], notes: [] };
  const used = new Map<string, number>();
  sim.kubelet.run(
    (p) => Boolean(p.metadata.labels?.["llw.workshop/tool"]),
    (p) => {
      const tool = p.metadata.labels["llw.workshop/tool"] as string;
      const mode = p.metadata.labels["llw.workshop/mode"] === "baseline" ? "baseline" : "tuned";
      const seconds = Number(
        (p.spec?.containers?.[0]?.env ?? []).find((e: Obj) => e.name === "LATENCY_TEST_RUNTIME")?.value ??
          300,
      );
      let log: string;
      if (tool === "oslat" || tool === "cyclictest") {
        const k = `${tool} ${mode}`;
        const i = used.get(k) ?? (mode === "baseline" ? 0 : 1);
        used.set(k, i);
        log = jitter.recordings[tool][i]!;
        if (!programs.ran.includes(k)) {
          programs.ran.push(k);
          programs.notes.push(
            `${p.metadata.name}: the real ${tool} of this machine, recorded for 2 s (${mode})`,
          );
        }
      } else {
        log = hwlatdetect(p);
        if (!programs.ran.includes(`${tool} ${mode}`)) {
          programs.ran.push(`${tool} ${mode}`);
          programs.notes.push(
            `${p.metadata.name}: hwlatdetect's output format, no gap (no hwlat tracer on this machine)`,
          );
        }
      }
      return { phase: "Succeeded", log, runMs: seconds * 1000 };
    },
  );
  sim.kubelet.run(
    (p) => p.metadata.labels?.["app.kubernetes.io/name"] === "llw-doctor",
    (p) => {
      const node = api.get("v1", "Node", p.spec?.nodeName ?? "");
      // The profile whose kernel arguments the node's current rendered config carries.
      const config = node?.metadata.annotations?.["machineconfiguration.openshift.io/currentConfig"] ?? "";
      const args: string[] =
        api.get("machineconfiguration.openshift.io/v1", "MachineConfig", config)?.spec?.kernelArguments ?? [];
      const profile = api
        .list("performance.openshift.io/v2", "PerformanceProfile")
        .find((x) => args.includes(`rcu_nocbs=${x.spec?.cpu?.isolated}`));
      const cpus = Number(node?.status?.capacity?.cpu ?? 96);
      const cmdline = profile
        ? tunedCmdline(profile, cpus)
        : "BOOT_IMAGE=(hd0,gpt3)/boot/ostree/rhcos-0a1b/vmlinuz-5.14.0-427.50.1.el9_4.x86_64 ostree=/ostree/boot.1/rhcos/0a1b/0 ignition.platform.id=aws console=ttyS0,115200n8 root=UUID=0a1b2c3d rw rootflags=prjquota boot=UUID=0a1b2c3d";
      const isolated = profile ? String(profile.spec?.cpu?.isolated ?? "") : "";
      return {
        phase: "Succeeded",
        log: `${cmdline}\n${PROBE_MARK}\n${isolated}\n${PRESENT_MARK}\n0-${cpus - 1}\n`,
        runMs: 2000,
      };
    },
  );
  // The workshop's test pods (gitops/base/test-pods): they print the CPUs the kubelet's static CPU
  // manager gave them and exit. A Guaranteed pod with integer CPUs on a tuned node gets whole cores
  // from the profile's isolated CPUs (a sibling is CPU + half the CPU count on the catalog's
  // metal types); any other pod runs on the shared pool (every CPU minus those held exclusively).
  sim.kubelet.run(
    (p) =>
      p.metadata.namespace === "low-latency-workshop" &&
      p.metadata.labels?.["app.kubernetes.io/part-of"] === "low-latency-workshop" &&
      p.spec?.restartPolicy === "Never" &&
      !p.metadata.labels?.["kubevirt.io"],
    (p) => {
      const node = api.get("v1", "Node", p.spec?.nodeName ?? "");
      const total = Number(node?.status?.capacity?.cpu ?? 96);
      const all = Array.from({ length: total }, (_, i) => i);
      const profile = api
        .list("performance.openshift.io/v2", "PerformanceProfile")
        .find((x) =>
          Object.entries(x.spec?.nodeSelector ?? {}).every(([k, v]) => node?.metadata.labels?.[k] === v),
        );
      const res = p.spec?.containers?.[0]?.resources ?? {};
      const cpus = Number(res.limits?.cpu);
      const guaranteed =
        Number.isInteger(cpus) && res.requests?.cpu === res.limits?.cpu && Boolean(p.spec?.runtimeClassName);
      let list = all;
      if (profile && guaranteed) {
        const isolated = new Set(parseCpuList(String(profile.spec.cpu.isolated)));
        const cores = [...isolated].filter((c) => c < total / 2 && isolated.has(c + total / 2));
        list = cores.slice(0, cpus / 2).flatMap((c) => [c, c + total / 2]);
      }
      const shown = formatCpuList(list);
      return {
        phase: "Succeeded",
        log: `Cpus_allowed_list: ${shown}\ncpuset.cpus.effective: ${shown}\n`,
        runMs: 1000,
      };
    },
  );
  return programs;
}
