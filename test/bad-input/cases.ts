/**
 * The bad-input generator: each command's real inputs (a c5.metal lscpu capture, a must-gather
 * style sysinfo.tgz, the tree's own PerformanceProfile, the upstream CRD, a worker MachineSet
 * export, a kubeconfig, an oslat log, a kube-burner result, the data-network template), and the
 * ways a file goes wrong in practice (cut off, binary, huge, hostile, a device, a folder, missing,
 * an I/O error), combined into command lines. test/bad-input/suite.test.ts runs every one.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getInstanceType, topologyOf } from "../../src/topology/catalog.ts";
import { ROOT, SCHEMAS_DIR } from "../helpers/tools.ts";
import { mulberry32 } from "../results/prng.ts";
import { renderOslat } from "../results/rt-fixtures.ts";
import { writeSysfsTgz } from "../topology/sysfs-fixture.ts";

/** The kinds of input llw reads; a hostile variant is made per kind. */
export type InputKind = "lscpu" | "sysfs" | "yaml" | "kubeconfig" | "log" | "json";

export interface Sample {
  name: string;
  kind: InputKind;
  /** The real input, as a file in the workspace. */
  file: string;
  /** Command lines that read it: `at` is where the (mutated) path goes. */
  commands: ((at: string) => string[])[];
}

/** A way a file goes wrong; `path` makes the bad file (or names a system path) in `dir`. */
export interface Mutation {
  id: string;
  what: string;
  path: (sample: Sample, dir: string) => string;
}

const c5 = topologyOf(getInstanceType("c5.metal"));

function lscpuP(): string {
  const recs = c5.cores.flatMap((c) =>
    c.cpus.map((cpu) => ({ cpu, core: c.id, socket: c.socket, node: c.node })),
  );
  recs.sort((a, b) => a.cpu - b.cpu);
  return `# CPU,Core,Socket,Node,,L1d,L1i,L2,L3\n${recs.map((r) => `${r.cpu},${r.core},${r.socket},${r.node},,${r.core},${r.core},${r.core},${r.socket}`).join("\n")}\n`;
}

/** A kubeconfig whose cluster nothing answers (127.0.0.1:9, the discard port). */
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:9"}
users:
- name: u
  user: {token: not-a-real-token}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`;

/** Writes the real samples into `ws` and returns them with the commands that read each. */
export async function samples(ws: string): Promise<Sample[]> {
  const put = (name: string, text: string | Buffer) => {
    writeFileSync(join(ws, name), text);
    return join(ws, name);
  };
  const profile = put(
    "profile.yaml",
    readFileSync(join(ROOT, "gitops/overlays/aws/performance-profiles/c5.metal.yaml")),
  );
  const kubeconfig = put("kubeconfig", KUBECONFIG);
  const sysfs = await writeSysfsTgz({
    cpus: c5.cores.flatMap((c) => c.cpus.map((cpu) => ({ cpu, core: c.id, socket: c.socket, node: c.node }))),
    nodeMemoryKiB: { 0: 96 * 1024 * 1024, 1: 96 * 1024 * 1024 },
  });
  copyFileSync(sysfs, join(ws, "sysinfo.tgz"));
  const rnd = mulberry32(7);
  const oslat = renderOslat(
    [1, 2, 3],
    [0, 1, 2].map(() => Array.from({ length: 32 }, (_, j) => (j < 4 ? Math.floor(1000 * rnd()) : 0))),
  );
  // A kube-burner result: results/<label>/<run>/ with metadata.json and collected metrics.
  const run = join(ws, "results", "base", "run-1");
  mkdirSync(join(run, "collected-metrics"), { recursive: true });
  const docs = Array.from({ length: 50 }, (_, i) => ({
    quantileName: undefined,
    metricName: "podLatencyMeasurement",
    jobName: "latency-pod",
    podName: `p-${i}`,
    uuid: "3c1f5a0e-8d3b-4b7e-9a57-0d2f4f0c9e11",
    timestamp: "2026-01-01T00:00:00Z",
    schedulingLatency: 5,
    initializedLatency: 100 + i,
    containersReadyLatency: 900 + i,
    podReadyLatency: 900 + i,
  }));
  const metrics = join(run, "collected-metrics", "podLatencyMeasurement-latency-pod.json");
  writeFileSync(metrics, `${JSON.stringify(docs, null, 2)}\n`);
  writeFileSync(
    join(run, "metadata.json"),
    JSON.stringify({ kind: "kube-burner", label: "base", run: "run-1", workload: "baseline-pod" }),
  );
  const prof = (at: string) => ["profile", "validate", profile, "--lscpu", at];
  return [
    {
      name: "lscpu -p",
      kind: "lscpu",
      file: put("lscpu.txt", lscpuP()),
      commands: [
        (at) => ["topology", "show", "--lscpu", at],
        (at) => ["profile", "generate", "--lscpu", at],
        prof,
      ],
    },
    {
      name: "sysinfo.tgz",
      kind: "sysfs",
      file: join(ws, "sysinfo.tgz"),
      commands: [(at) => ["topology", "show", "--sysfs", at], (at) => ["profile", "generate", "--sysfs", at]],
    },
    {
      name: "PerformanceProfile",
      kind: "yaml",
      file: profile,
      commands: [
        (at) => ["profile", "validate", at],
        (at) => ["tune", "apply", at, "--kubeconfig", kubeconfig, "--dry-run"],
      ],
    },
    {
      name: "PerformanceProfile CRD",
      kind: "yaml",
      file: put(
        "crd.yaml",
        readFileSync(join(SCHEMAS_DIR, "performanceprofiles.performance.openshift.io.yaml")),
      ),
      commands: [(at) => ["profile", "validate", profile, "--crd", at]],
    },
    {
      name: "worker MachineSets",
      kind: "yaml",
      file: put("machinesets.yaml", readFileSync(join(ROOT, "test/aws/fixtures/worker-machinesets.yaml"))),
      commands: [(at) => ["aws", "machineset", "--instance-type", "c5.metal", "--from", at]],
    },
    {
      name: "data-network CloudFormation template",
      kind: "yaml",
      file: put("data-network.yaml", readFileSync(join(ROOT, "infra/aws/cloudformation/data-network.yaml"))),
      // The template is read before AWS is asked; nothing answers at 127.0.0.1:9.
      commands: [
        (at) => [
          ...["aws", "network", "up", "--infra-id", "lab-x7k2p", "--template", at],
          ...["--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9"],
        ],
      ],
    },
    {
      name: "kubeconfig",
      kind: "kubeconfig",
      file: kubeconfig,
      commands: [(at) => ["doctor", "--kubeconfig", at, "--timeout", "1s"]],
    },
    {
      name: "oslat log",
      kind: "log",
      file: put("oslat.log", oslat),
      commands: [(at) => ["latency", "show", at]],
    },
    {
      name: "kube-burner pod latencies",
      kind: "json",
      file: metrics,
      // The mutated file replaces the real one in a copy of the run (see suite.test.ts).
      commands: [(run) => ["bench", "show", run]],
    },
  ];
}

/** Random bytes (NULs included), the same every run. */
function binary(n: number, seed: number): Buffer {
  const r = mulberry32(seed);
  return Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
}

/** Content that attacks the reader of this kind of input rather than merely being wrong. */
function hostile(kind: InputKind): string {
  switch (kind) {
    case "yaml":
    case "kubeconfig": {
      const lvl = (n: string, p: string) => `${n}: &${n} [${Array(10).fill(`*${p}`).join(",")}]`;
      return [
        "apiVersion: v1",
        "kind: Config",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        lvl("b", "a"),
        lvl("c", "b"),
        lvl("d", "c"),
        lvl("e", "d"),
        lvl("f", "e"),
        lvl("g", "f"),
        lvl("h", "g"),
        `i: [${Array(10).fill("*h").join(",")}]`,
        "",
      ].join("\n");
    }
    case "lscpu":
      // More CPUs than any host, then a terminal escape in a field.
      return `# CPU,Core,Socket,Node\n${Array.from({ length: 9000 }, (_, i) => `${i},${i},0,0`).join("\n")}\n1,\x1b]0;pwned\x07,0,0\n`;
    case "json":
      // Nesting deep enough to overflow a recursive parser's stack.
      return `${"[".repeat(200_000)}${"]".repeat(200_000)}\n`;
    case "log":
      return `${"\x1b[2J\x1b]8;;https://evil.example/\x07".repeat(1000)}${"9".repeat(1 << 20)}\n`;
    case "sysfs":
      return "";
  }
}

/** Mutations every input gets; `id`s are the README exit-code table's cases. */
export const MUTATIONS: Mutation[] = [
  {
    id: "truncated",
    what: "cut off in the middle of a line",
    path: (s, dir) => {
      const b = readFileSync(s.file);
      writeFileSync(join(dir, "truncated"), b.subarray(0, Math.floor(b.length / 2)));
      return join(dir, "truncated");
    },
  },
  {
    id: "binary",
    what: "binary content",
    path: (_s, dir) => {
      writeFileSync(join(dir, "binary"), binary(8192, 3));
      return join(dir, "binary");
    },
  },
  {
    id: "huge",
    what: "100 MiB (sparse)",
    path: (_s, dir) => {
      writeFileSync(join(dir, "huge"), "");
      execFileSync("truncate", ["-s", "100M", join(dir, "huge")]);
      return join(dir, "huge");
    },
  },
  {
    id: "hostile",
    what: "hostile content for its kind (alias bomb, 9000 CPUs, 200000-deep JSON, terminal escapes)",
    path: (s, dir) => {
      if (s.kind === "sysfs") {
        // An archive whose entry is a link to /dev/zero where a file belongs.
        mkdirSync(join(dir, "sys/devices/system/cpu/cpu0/topology"), { recursive: true });
        symlinkSync("/dev/zero", join(dir, "sys/devices/system/cpu/cpu0/topology/core_id"));
        execFileSync("tar", ["-czf", join(dir, "hostile.tgz"), "-C", dir, "sys"]);
        return join(dir, "hostile.tgz");
      }
      writeFileSync(join(dir, "hostile"), hostile(s.kind));
      return join(dir, "hostile");
    },
  },
  { id: "device", what: "a character device (/dev/zero)", path: () => "/dev/zero" },
  {
    id: "device-link",
    what: "a symbolic link to /dev/zero",
    path: (_s, dir) => {
      symlinkSync("/dev/zero", join(dir, "zero-link"));
      return join(dir, "zero-link");
    },
  },
  {
    id: "directory",
    what: "a directory",
    path: (_s, dir) => {
      mkdirSync(join(dir, "a-directory"));
      return join(dir, "a-directory");
    },
  },
  { id: "missing", what: "a path that does not exist", path: (_s, dir) => join(dir, "no-such-file") },
  { id: "eio", what: "a file whose read fails with EIO (/proc/self/mem)", path: () => "/proc/self/mem" },
];

/**
 * Output targets that must never be replaced: each command that writes a file is pointed at one,
 * with --force. `check` says what must still hold afterwards.
 */
export interface OutputCase {
  id: string;
  what: string;
  make: (dir: string) => { target: string; check: () => string | undefined } | undefined;
}
