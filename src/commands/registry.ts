/**
 * Every llw command, its options and examples, in one place. Command code is imported lazily
 * when the command runs, so `llw --help` and simple commands start fast.
 */
import { UserError } from "../lib/errors.ts";
import { intOption, listOption } from "./parse.ts";
import type { CommandSpec, GroupSpec } from "./types.ts";

function numberOption(flag: string, min: number, max = Number.POSITIVE_INFINITY): (v: string) => number {
  return (v: string) => {
    const n = Number(v.replace(/%$/, ""));
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new UserError({ what: `"${v}" is not a number between ${min} and ${max}`, where: flag });
    }
    return n;
  };
}

export const GROUPS: GroupSpec[] = [
  // --- groups: add yours in your area's block below ---
  // --- bench, latency (issue 6) ---
  { name: "bench", summary: "Run kube-burner workloads and analyse their results (start-up latency)" },
  { name: "latency", summary: "Run and analyse jitter tests (oslat, cyclictest, hwlatdetect) on isolated CPUs" },
];

export const COMMANDS: CommandSpec[] = [
  // --- topology and profile (issue 2) ---
  // --- gitops tree and lint (issue 3) ---
  // --- sriov (issue 4) ---
  // --- cluster: install, tune, doctor (issue 5) ---
  // --- bench, latency, report (issue 6) ---
  {
    path: ["bench", "run"],
    summary: "Run a kube-burner workload from benchmarks/ and store the results under results/<label>/<run>/",
    description:
      "Runs kube-burner (from PATH, or --kube-burner) with a fresh UUID per run, streams its progress, and stores " +
      "its metrics with metadata (cluster version, profile, nodes, kube-burner version, variables, git revision). " +
      "kube-burner exit codes: 2 timeout, 3 alert, 4 latency threshold exceeded.",
    args: [{ name: "workload", description: "a workload under benchmarks/ (e.g. tuned-pod) or a path to a .yml", required: true }],
    options: [
      { flags: "--label <name>", description: "results label, e.g. baseline or tuned" },
      { flags: "--repeat <k>", description: "run the workload k times", default: 1, parse: intOption("--repeat", 1) },
      { flags: "--set <name=value>", description: "workload variable (repeatable), e.g. --set ITERATIONS=20", parse: listOption },
      { flags: "--kube-burner <path>", description: "kube-burner executable (default: kube-burner on PATH)" },
      { flags: "--results <dir>", description: "results directory", default: "results" },
      { flags: "--kubeconfig <path>", description: "kubeconfig passed to kube-burner and used for metadata" },
      { flags: "--context <name>", description: "kubeconfig context" },
      { flags: "--no-metadata", description: "do not query the cluster for metadata" },
    ],
    examples: [
      { cmd: "llw bench run baseline-pod --label baseline --repeat 3", what: "three baseline runs" },
      {
        cmd: "llw bench run tuned-pod --label tuned --set PROFILE=workshop-m5-metal --repeat 3",
        what: "three runs of the tuned pods on the performance profile's runtime class",
      },
    ],
    load: () => import("./bench-run.ts"),
  },
  {
    path: ["bench", "install"],
    summary: "Download the pinned kube-burner release for this platform and verify its checksum",
    options: [
      { flags: "--dir <path>", description: "where to put the kube-burner binary", default: ".tools/bin" },
      { flags: "--version <v>", description: "kube-burner version (default: the pinned one)" },
      { flags: "--base-url <url>", description: "release download base URL (mirrors)" },
      { flags: "--force", description: "replace an existing kube-burner" },
    ],
    examples: [{ cmd: "llw bench install", what: "install the pinned kube-burner into .tools/bin" }],
    load: () => import("./bench-install.ts"),
  },
  {
    path: ["bench", "show"],
    summary: "Show what a kube-burner result directory holds: per condition count, min, P50, P95, P99, max, mean",
    description: "Figures are recomputed from the per-pod samples (nearest-rank percentiles), not taken from kube-burner's quantile files.",
    args: [{ name: "run", description: "a run directory (results/<label>/<run>) or a label", required: true }],
    output: ["table", "json", "yaml"],
    examples: [{ cmd: "llw bench show results/tuned/run-1", what: "per-condition pod start-up latencies of one run" }],
    load: () => import("./bench-show.ts"),
  },
  {
    path: ["bench", "compare"],
    summary: "Compare runs or labels (first = baseline) per condition with deltas, intervals, tests and verdicts",
    description:
      "Percentiles are recomputed from the raw samples. With repeated runs on both sides each run is one observation " +
      "(exact Mann-Whitney test, 95% t-intervals); with single runs, distribution-free quantile intervals and a z-test " +
      "on means. A metric is regressed/improved only if the evidence is significant and the change exceeds both " +
      "--threshold and --min-delta. Exits 1 if any metric regressed.",
    args: [{ name: "runs", description: "baseline then candidates: run directories or labels", required: true, variadic: true }],
    options: [
      { flags: "--threshold <pct>", description: "smallest relative change that counts, in percent", default: 5, parse: numberOption("--threshold", 0) },
      { flags: "--min-delta <n>", description: "smallest absolute change that counts (ms or us)", default: 1, parse: numberOption("--min-delta", 0) },
      { flags: "--alpha <p>", description: "significance level", default: 0.05, parse: numberOption("--alpha", 0, 1) },
      { flags: "--metric <name>", description: "metrics to compare (repeatable): P50, P95, P99, max, mean", parse: listOption },
    ],
    output: ["table", "markdown", "json"],
    examples: [
      { cmd: "llw bench compare baseline tuned", what: "compare the labels baseline and tuned under results/" },
      { cmd: "llw bench compare results/baseline results/tuned -o markdown --threshold 10", what: "a markdown table for a pull request" },
    ],
    load: () => import("./bench-compare.ts"),
  },
  {
    path: ["latency", "run"],
    summary: "Run oslat, cyclictest or hwlatdetect in a pod on the tuned node and store its output like a run",
    options: [
      { flags: "--tool <tool>", description: "jitter tool", choices: ["oslat", "cyclictest", "hwlatdetect"], default: "oslat" },
      { flags: "--duration <d>", description: "test duration: seconds or 30s, 5m, 1h", default: "5m" },
      { flags: "--cpus <n>", description: "isolated CPUs to request (integer, Guaranteed QoS)", default: 4, parse: intOption("--cpus", 1) },
      { flags: "--profile <name>", description: "PerformanceProfile name (runtime class performance-<name>)" },
      { flags: "--node <name>", description: "node to run on (default: any node of the profile's pool)" },
      { flags: "--label <name>", description: "results label", default: "latency" },
      { flags: "--image <ref>", description: "cnf-tests image", default: "registry.redhat.io/openshift4/cnf-tests-rhel9:v4.19" },
      { flags: "--max-latency <us>", description: "fail (exit 1) when the maximum is at or above this", parse: intOption("--max-latency", 1) },
      { flags: "--namespace <ns>", description: "namespace for the test pod", default: "llw-latency" },
      { flags: "--results <dir>", description: "results directory", default: "results" },
      { flags: "--kubeconfig <path>", description: "kubeconfig (default: KUBECONFIG or ~/.kube/config)" },
      { flags: "--context <name>", description: "kubeconfig context" },
      { flags: "--keep", description: "keep the pod after the test" },
    ],
    examples: [
      { cmd: "llw latency run --tool oslat --duration 5m --cpus 4 --profile workshop-m5-metal", what: "five minutes of oslat on 4 isolated CPUs" },
    ],
    load: () => import("./latency-run.ts"),
  },
  {
    path: ["latency", "show"],
    summary: "Show per-CPU count, min, P50, P95, P99, max, mean of cyclictest, oslat or hwlatdetect output",
    args: [{ name: "files", description: "tool output files or pod logs", required: true, variadic: true }],
    options: [{ flags: "--max-latency <us>", description: "exit 1 when any maximum is at or above this", parse: intOption("--max-latency", 1) }],
    output: ["table", "json", "yaml"],
    examples: [
      { cmd: "llw latency show results/latency/run-1/oslat.log", what: "per-CPU jitter from an oslat log" },
      { cmd: "llw latency show cyclictest.json --max-latency 20", what: "fail if any CPU saw 20 us or more" },
    ],
    load: () => import("./latency-show.ts"),
  },
  {
    path: ["report"],
    summary: "Write one self-contained HTML report (charts, metadata, verdicts) for runs or labels",
    description: "The first argument is the baseline. The file embeds its charting code and data: it opens offline.",
    args: [{ name: "runs", description: "run directories or labels (first = baseline)", required: true, variadic: true }],
    options: [
      { flags: "-o, --out <file>", description: "the HTML file to write", default: "report.html" },
      { flags: "--title <text>", description: "report title", default: "Low-latency workshop: test, change, re-test" },
      { flags: "--threshold <pct>", description: "verdict threshold in percent", default: 5, parse: numberOption("--threshold", 0) },
      { flags: "--force", description: "overwrite an existing file" },
    ],
    examples: [{ cmd: "llw report baseline tuned -o report.html", what: "baseline vs tuned report" }],
    load: () => import("./report.ts"),
  },
  // --- aws (issue 8) ---
];
