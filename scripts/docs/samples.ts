/**
 * The "Sample output" blocks of the lab guides are real output: this script runs the llw commands
 * below (in-process, as a non-interactive terminal would see them) and writes what they print into
 * content/modules/ROOT/examples/samples/. `npm run docs:samples` regenerates them (also the
 * emulated-AWS and fake-cluster samples; `--no-emulator` skips those); `--check` reports drift of
 * the command samples without writing; `--record-rt` re-records the rt-tests runs (RECORDED_RUNS).
 * The docs tests compare every sample with what its generator makes today (test/docs/samples.test.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";

const ROOT = join(import.meta.dirname, "..", "..");
export const SAMPLES = join(ROOT, "content", "modules", "ROOT", "examples", "samples");

export interface Sample {
  file: string;
  /** llw arguments. */
  args: string[];
  /** Exit code the command must end with. */
  exit?: number;
  /** Run in the samples directory (so file arguments print as the attendee would see them). */
  inSamples?: boolean;
  /** Keep only stdout (e.g. YAML that a block shows as YAML). */
  stdoutOnly?: boolean;
  /**
   * Run in a fresh temporary directory (as an attendee's working directory) and keep files the
   * command writes there as samples too: path relative to that directory -> sample file name.
   */
  writes?: Record<string, string>;
  /** Extra environment (e.g. which kustomize lint uses, so the sample names the same one everywhere). */
  env?: Record<string, string>;
  /** A repository tool the command needs (the tests skip the sample locally when it is missing). */
  tool?: string;
}

/** The kubectl `npm run tools` installs: lint samples name it, wherever the sample is made. */
export const TOOLS_KUBECTL = join(ROOT, ".tools", "bin", "kubectl");

export const SAMPLE_COMMANDS: Sample[] = [
  { file: "topology-show-c5.metal.txt", args: ["topology", "show", "--instance-type", "c5.metal"] },
  {
    file: "profile-generate-c5.metal.txt",
    args: [
      "profile",
      "generate",
      "--instance-type",
      "c5.metal",
      "--profile-name",
      "workshop-c5-metal",
      "--mcp-name",
      "worker-rt",
      "--explain",
    ],
  },
  {
    file: "profile-validate-c5.metal.txt",
    args: [
      "profile",
      "validate",
      "gitops/overlays/aws/performance-profiles/c5.metal.yaml",
      "--instance-type",
      "c5.metal",
    ],
  },
  { file: "generate-check.txt", args: ["generate", "--check"] },
  // cyclictest.json: a real `cyclictest --json` capture (see its cmdline field).
  { file: "latency-show-cyclictest.txt", args: ["latency", "show", "cyclictest.json"], inSamples: true },
  { file: "sriov-iam-policy.json", args: ["sriov", "iam-policy"] },
  { file: "doctor-list-checks.txt", args: ["doctor", "--list-checks"] },
  {
    // Module 4.3's step as the attendee runs it, from a worker MachineSet as `oc get machinesets -n
    // openshift-machine-api -o yaml` prints it (the aws tests' fixture) instead of the cluster.
    file: "aws-machineset-output-dir.txt",
    args: [
      "aws",
      "machineset",
      "--instance-type",
      "c5.metal",
      "--role",
      "worker-rt",
      "--out-dir",
      "metal-workers",
      "--from",
      join(ROOT, "test", "aws", "fixtures", "worker-machinesets.yaml"),
    ],
    writes: {
      "metal-workers/machineset-lab-x7k2p-worker-rt-us-east-2a.yaml": "aws-machineset-c5.metal.yaml",
    },
  },
  // Needs the real kustomize of `npm run tools` (a few seconds).
  {
    file: "lint-gitops.txt",
    args: ["lint", "gitops"],
    env: { LLW_KUSTOMIZE: TOOLS_KUBECTL },
    tool: TOOLS_KUBECTL,
  },
];

/** Runs one sample command; the text is what a terminal shows: stderr (map, reasons) then stdout. */
export async function runSample(sample: Sample): Promise<string> {
  return (await sampleOutputs(sample)).get(sample.file)!;
}

/** Every sample one command produces: what it prints, and the files it writes (`writes`). */
export async function sampleOutputs(sample: Sample): Promise<Map<string, string>> {
  const temp = sample.writes ? mkdtempSync(join(tmpdir(), "llw-sample-")) : undefined;
  try {
    const ctx = bufferContext({
      cwd: temp ?? (sample.inSamples ? SAMPLES : ROOT),
      env: { ...process.env, ...sample.env, NO_COLOR: "1" },
    });
    const args = sample.args;
    const code = await main(args, ctx);
    if (code !== (sample.exit ?? 0)) {
      throw new Error(`llw ${args.join(" ")} exited ${code}:\n${ctx.err()}`);
    }
    const text = `${sample.stdoutOnly ? "" : ctx.err()}${ctx.out()}`;
    const out = new Map([[sample.file, tidy(temp ? text.replaceAll(`${temp}/`, "") : text)]]);
    for (const [path, file] of Object.entries(sample.writes ?? {})) {
      out.set(file, readFileSync(join(temp!, path), "utf8"));
    }
    return out;
  } finally {
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
}

/** Terminal text as a sample: repository paths relative, no trailing blanks, one final newline. */
function tidy(text: string): string {
  return text
    .replaceAll(`${ROOT}/`, "")
    .replace(/[ \t]+$/gm, "")
    .replace(/\n*$/, "\n");
}

/**
 * Output of real rt-tests runs on the machine that made the samples (an ordinary, untuned virtual
 * machine: the guides say so). Timings differ on every run, so `npm run docs:samples --record-rt`
 * re-records them on purpose only; the tests re-run each command briefly and compare the shape.
 * cyclictest.json (the input of the `llw latency show` sample) carries its command line inside.
 */
export const RECORDED_RUNS: { file: string; command: string[] }[] = [
  {
    // Module 3.2's in-guest command, 10 s instead of 60 s.
    file: "cyclictest-quiet.txt",
    command: [
      "cyclictest",
      "--mlockall",
      "--priority",
      "95",
      "--interval",
      "1000",
      "--duration",
      "10",
    ].concat(["--threads", "1", "--affinity", "1", "--quiet"]),
  },
  {
    // As the cnf-tests runner invokes it: 30 one-microsecond buckets.
    file: "cyclictest-histogram.txt",
    command: [
      "cyclictest",
      "--mlockall",
      "--priority",
      "95",
      "--interval",
      "1000",
      "--histogram",
      "30",
    ].concat(["--duration", "5", "--threads", "2", "--affinity", "0,1", "--quiet"]),
  },
];

/** Runs one recorded command for real (with another --duration, for the tests' shape check). */
export function recordRun(command: string[], duration?: string): string {
  const args = command.slice(1);
  if (duration) args[args.indexOf("--duration") + 1] = duration;
  const r = spawnSync(command[0]!, args, { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${command.join(" ")} exited ${r.status}: ${r.stderr || r.error}`);
  return r.stdout;
}

/** The files the emulated-AWS and fake-cluster generators below write. */
export const EMULATOR_FILES = [
  "sriov-detect.txt",
  "sriov-generate-420.txt",
  "sriov-420-nad.yaml",
  "sriov-generate-422.txt",
  "sriov-422-policy.yaml",
  "sriov-422-nad.yaml",
];
export const FAKE_CLUSTER_FILES = ["doctor-fake-cluster.txt"];
/** Inputs recorded once, with their provenance inside (cyclictest.json: its cmdline field). */
export const RECORDED_INPUTS = ["cyclictest.json"];

/**
 * What differs between two runs of the emulator: the IDs it draws (VPC, subnets, ENIs, instances,
 * security groups), MAC and IP addresses, file digests, the widths of columns holding them, and
 * the order of blocks (one per instance) and of rows (one per subnet) that follows the random IDs.
 */
export function normaliseIds(text: string): string {
  const normalised = text
    .replace(/\b(vpc|subnet|eni|i|sg|rtb|igw|ami)-[0-9a-f]{8,17}\b/g, "$1-<id>")
    .replace(/aws\/NetworkID:[0-9a-f]+/g, "aws/NetworkID:<id>")
    .replace(/\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b/g, "<mac>")
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(\/\d+)?\b/g, "<ip>")
    .replace(/digest=[0-9a-f]+/g, "digest=<digest>")
    .replace(/[ \t]+/g, " ");
  return normalised
    .split(/\n\n+/)
    .map((block) => block.split("\n").sort().join("\n"))
    .sort()
    .join("\n\n");
}

/**
 * What differs between two bench sample runs: run UUIDs (random per `llw bench run`), the stand-in
 * Prometheus's port and the simulated cluster's TokenRequest lifetime wording stays the same.
 */
export function normaliseUuids(text: string): string {
  return text
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, "<uuid>")
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>");
}

/** How a regenerated sample is compared with the kept one. */
export function normaliserFor(file: string): (text: string) => string {
  if (EMULATOR_FILES.includes(file)) return normaliseIds;
  if (BENCH_FILES.includes(file)) return normaliseUuids;
  return (text) => text;
}

/**
 * SR-IOV samples come from the EC2 emulator world the sriov tests build (moto_server: a VPC, data
 * subnets, metal workers with dedicated, EFA, shared-subnet and detached ENIs), so they show every
 * classification. IDs are random per run: the tests compare them after normaliseIds.
 */
export async function emulatorSamples(): Promise<Map<string, string>> {
  const { markEfa, startMoto, startProxy } = await import("../../test/helpers/moto.ts");
  const { buildWorld, INFRA_ID } = await import("../../test/sriov/fixture.ts");
  const out = new Map<string, string>();
  const moto = await startMoto();
  const cwd = mkdtempSync(join(tmpdir(), "llw-samples-"));
  try {
    await moto.reset();
    const world = await buildWorld(moto.ec2());
    const proxy = await startProxy(moto.endpoint, { rewrite: markEfa(new Set([world.efaEni])) });
    const env = { ...moto.env(), AWS_ENDPOINT_URL: proxy.endpoint, NO_COLOR: "1" };
    const run = async (args: string[]) => {
      const ctx = bufferContext({ cwd, env });
      const code = await main(args, ctx);
      if (code !== 0) throw new Error(`llw ${args.join(" ")} exited ${code}:\n${ctx.err()}`);
      return `${ctx.err()}${ctx.out()}`.replace(/[ \t]+$/gm, "").replace(/\n*$/, "\n");
    };
    out.set("sriov-detect.txt", await run(["sriov", "detect", "--infra-id", INFRA_ID]));
    const sriovDir = join(cwd, "gitops", "overlays", "aws", "sriov");
    for (const version of ["4.20", "4.22"]) {
      rmSync(join(cwd, "gitops"), { recursive: true, force: true });
      const v = version.replace(".", "");
      out.set(
        `sriov-generate-${v}.txt`,
        await run(["sriov", "generate", "--infra-id", INFRA_ID, "--ocp-version", version]),
      );
      const files = readdirSync(sriovDir).sort();
      const nad = files.find((f) => f.startsWith("network-attachment-definition-"));
      const policy = files.find((f) => f.startsWith("sriov-network-node-policy-"));
      if (nad) out.set(`sriov-${v}-nad.yaml`, readFileSync(join(sriovDir, nad), "utf8"));
      if (policy) out.set(`sriov-${v}-policy.yaml`, readFileSync(join(sriovDir, policy), "utf8"));
    }
    await proxy.close();
  } finally {
    await moto.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
  return out;
}

/** The files benchSamples writes. */
export const BENCH_FILES = [
  "bench-run-baseline.txt",
  "bench-show.txt",
  "bench-compare.txt",
  "report.txt",
  "bench-show-cpu-starved.txt",
];

/** The token the simulated cluster issues and the stand-in Prometheus accepts (never printed). */
const SAMPLE_TOKEN = "sha256~sample-token";

/**
 * Module 5.2's loop and 5.3's CPU split with the tests' stand-in kube-burner (test/results/bin/
 * kube-burner: not the real tool; it writes kube-burner's real local-indexer output format with
 * synthetic latencies and queries Prometheus with the run's metrics profile as kube-burner does),
 * against the simulated cluster (test/sim, scenario tuned-c5-metal: the repository's
 * workshop-c5-metal profile on two c5.metal workers) with OpenShift monitoring added and a
 * stand-in thanos-querier (test/results/fake-prometheus.ts), in a scratch directory with a fixed
 * clock. Run UUIDs and the stand-in's port are random: the tests compare after normaliseUuids.
 */
export async function benchSamples(): Promise<Map<string, string>> {
  const { start } = await import("../../test/sim/index.ts");
  const { startFakePrometheus } = await import("../../test/results/fake-prometheus.ts");
  const { addMonitoring } = await import("../../test/results/sim-monitoring.ts");
  const cwd = mkdtempSync(join(tmpdir(), "llw-samples-bench-"));
  const sim = await start("tuned-c5-metal", { speed: 100 });
  const workers = sim.api
    .list("v1", "Node")
    .filter((n) => "node-role.kubernetes.io/worker-rt" in (n.metadata.labels ?? {}))
    .map((n) => n.metadata.name as string);
  // The tuned node under pod creation: busy reserved CPUs, one isolated CPU with kernel time
  // (a Burstable pod's process on it), or, after the fix, headroom.
  const scenario = (reserved: number[], busy: number, kernel: boolean) => ({
    nodes: workers.map((node, i) => ({
      node,
      cpus: 96,
      reserved,
      reservedBusy: i === 0 ? busy : 0.2,
      kernel: (i === 0 && kernel ? { 17: { system: 0.04 } } : {}) as Record<number, { system?: number }>,
      kubeletCpus: i === 0 ? 1.9 : 0.3,
      crioCpus: i === 0 ? 1.4 : 0.2,
    })),
    apiP99: { POST: 0.42, GET: 0.06 },
    notExported: ["node_softnet_processed_total"],
  });
  // The workloads' namespaces already exist from an earlier run, with their default
  // ServiceAccount: otherwise whether `bench run` waits for it depends on the simulator's timing.
  for (const ns of ["llw-baseline-pod", "llw-tuned-pod"])
    sim.api.seed(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: ns } },
    );
  let prom = await startFakePrometheus(SAMPLE_TOKEN, scenario([0, 24, 48, 72], 0.38, false));
  addMonitoring(sim, { host: prom.url.replace("http://", ""), token: SAMPLE_TOKEN });
  let t = Date.parse("2026-11-27T10:00:00Z");
  const out = new Map<string, string>();
  const run = async (file: string, args: string[], env: Record<string, string> = {}, exits = [0]) => {
    const ctx = bufferContext({
      cwd,
      env: {
        PATH: `${join(ROOT, "test", "results", "bin")}:${process.env.PATH}`,
        HOME: cwd,
        NO_COLOR: "1",
        KUBECONFIG: sim.kubeconfig,
        FAKE_JOB_SECONDS: "120",
        ...env,
      },
      now: () => {
        t += 1000;
        return new Date(t);
      },
    });
    const code = await main(args, ctx);
    if (!exits.includes(code)) throw new Error(`llw ${args.join(" ")} exited ${code}:\n${ctx.err()}`);
    out.set(file, tidy(`${ctx.err()}${ctx.out()}`.replaceAll(`${cwd}/`, "")));
  };
  const latest = (label: string) =>
    `results/${label}/${readdirSync(join(cwd, "results", label))
      .sort()
      .at(-1)!}`;
  try {
    // As the guide runs them (modules 2 and 5): 20 pods per run on the tuned pool.
    const node = ["--set", "ITERATIONS=20", "--set", "NODE_SELECTOR=node-role.kubernetes.io/worker-rt"];
    await run("bench-run-baseline.txt", [
      "bench",
      "run",
      "baseline-pod",
      "--label",
      "startup-baseline",
      "--repeat",
      "3",
      ...node,
    ]);
    // The stand-in's tuned pods start 3% later: fewer housekeeping CPUs for the kubelet and CRI-O.
    await run(
      "bench-run-tuned.txt",
      [
        "bench",
        "run",
        "tuned-pod",
        "--label",
        "startup-tuned",
        "--repeat",
        "3",
        ...node,
        "--set",
        "PROFILE=workshop-c5-metal",
      ],
      { FAKE_READY_MS: "2060" },
    );
    out.delete("bench-run-tuned.txt"); // the same shape as the baseline's, which the guide shows
    await run("bench-show.txt", ["bench", "show", latest("startup-tuned")]);
    await run("bench-compare.txt", ["bench", "compare", "startup-baseline", "startup-tuned"], {}, [0, 1]);
    await run("report.txt", ["report", "startup-baseline", "startup-tuned", "--out", "report.html"]);
    // Module 5.3's before: a profile that reserved one core only (CPUs 0 and 48), as the runs'
    // metadata records it; the kubelet and CRI-O share those two CPUs with everything else.
    sim.api.update("performance.openshift.io/v2", "PerformanceProfile", "workshop-c5-metal", undefined, {
      spec: { cpu: { reserved: "0,48", isolated: "1-47,49-95" } },
    });
    await prom.stop();
    prom = await startFakePrometheus(SAMPLE_TOKEN, scenario([0, 48], 0.93, true));
    sim.api.update("route.openshift.io/v1", "Route", "thanos-querier", "openshift-monitoring", {
      spec: { host: prom.url.replace("http://", "") },
    });
    await run(
      "bench-run-starved.txt",
      ["bench", "run", "tuned-pod", "--label", "one-core-reserved", ...node],
      {
        FAKE_READY_MS: "2900",
      },
    );
    out.delete("bench-run-starved.txt");
    // The after is bench-show.txt: startup-tuned ran on the workshop's profile (a whole core per NUMA node).
    await run("bench-show-cpu-starved.txt", ["bench", "show", latest("one-core-reserved")]);
  } finally {
    await prom.stop();
    await sim.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
  return out;
}

/**
 * `llw doctor` against the simulated OpenShift cluster the cluster tests use (test/sim: it speaks
 * the real Kubernetes HTTP protocol to the real client), in its tuned-c5-metal scenario: the
 * repository's worker-rt pool and c5.metal profile rolled out by the simulated Machine Config
 * Operator, each node booted with the kernel arguments the Node Tuning Operator writes for that
 * profile.
 */
export async function fakeClusterSamples(): Promise<Map<string, string>> {
  const { startWorld } = await import("../../test/cluster/world.ts");
  const { debugPods, installWorkshop, tunedCmdline } = await import("../../test/sim/fixtures.ts");
  const { PRESENT_MARK, PROBE_MARK } = await import("../../src/cluster/doctor/node-probe.ts");
  const w = await startWorld({ scenario: "tuned-c5-metal" });
  try {
    await installWorkshop(w.sim);
    const profile = w.api.get("performance.openshift.io/v2", "PerformanceProfile", "workshop-c5-metal")!;
    // The debug namespace exists from an earlier run, with its default ServiceAccount: otherwise
    // whether doctor says it waits for it depends on the simulator's timing.
    w.api.seed(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "llw-debug" } },
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "llw-debug" } },
    );
    debugPods(w.sim, "llw-debug", () => ({
      phase: "Succeeded",
      // balanceIsolated is left true (managed_irq only): the kernel's isolated list is empty.
      log: `${tunedCmdline(profile, 96)}\n${PROBE_MARK}\n\n${PRESENT_MARK}\n0-95\n`,
    }));
    // No AWS behind the simulated cluster: the data network check says it was not read.
    const r = await w.llw("doctor", "--no-aws");
    if (r.code !== 0) throw new Error(`llw doctor exited ${r.code}:\n${r.err}`);
    return new Map([
      ["doctor-fake-cluster.txt", `${r.err}${r.out}`.replace(/[ \t]+$/gm, "").replace(/\n*$/, "\n")],
    ]);
  } finally {
    await w.stop();
  }
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  let drift = 0;
  for (const sample of SAMPLE_COMMANDS) {
    for (const [file, text] of await sampleOutputs(sample)) {
      const path = join(SAMPLES, file);
      let old = "";
      try {
        old = readFileSync(path, "utf8");
      } catch {}
      if (old === text) continue;
      drift++;
      if (check) process.stderr.write(`samples: ${file} is out of date (npm run docs:samples)\n`);
      else {
        writeFileSync(path, text);
        process.stdout.write(`samples: wrote ${file}\n`);
      }
    }
  }
  if (!check && process.argv.includes("--record-rt")) {
    for (const run of RECORDED_RUNS) {
      writeFileSync(join(SAMPLES, run.file), recordRun(run.command));
      process.stdout.write(`samples: recorded ${run.file} (${run.command.join(" ")})\n`);
    }
  }
  if (!check && !process.argv.includes("--no-emulator")) {
    const generated = [
      ...(await emulatorSamples()),
      ...(await benchSamples()),
      ...(await fakeClusterSamples()),
    ];
    for (const [file, text] of generated) {
      const path = join(SAMPLES, file);
      const old = readFileSync(path, { encoding: "utf8", flag: "a+" });
      // Fresh random IDs alone are no change: keep the file (and the diff) as it was.
      const same = normaliserFor(file);
      if (same(old) === same(text)) continue;
      writeFileSync(path, text);
      process.stdout.write(
        `samples: wrote ${file} (emulated AWS, stand-in kube-burner or simulated cluster)\n`,
      );
    }
  }
  process.exitCode = check && drift ? 1 : 0;
}
