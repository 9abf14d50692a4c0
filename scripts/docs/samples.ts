/**
 * The "Sample output" blocks of the lab guides are real output: this script runs the llw commands
 * below (in-process, as a non-interactive terminal would see them) and writes what they print into
 * content/modules/ROOT/examples/samples/. `npm run docs:samples` regenerates them; `--check` reports
 * drift without writing (the docs tests run it).
 */
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
      "--output-dir",
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
 * SR-IOV samples come from the EC2 emulator world the sriov tests build (moto_server: a VPC, data
 * subnets, metal workers with dedicated, EFA, shared-subnet and detached ENIs), so they show every
 * classification. IDs are random per run, so these are only regenerated, never compared.
 */
async function emulatorSamples(): Promise<Map<string, string>> {
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

/**
 * `llw doctor` against the in-process fake API server the cluster tests use (it speaks the real
 * Kubernetes HTTP protocol to the real client), seeded as a fully installed and tuned cluster.
 */
async function fakeClusterSamples(): Promise<Map<string, string>> {
  const { startWorld } = await import("../../test/cluster/world.ts");
  const { seedWorkshopInstalled, simulatePods, TUNED_CMDLINE } = await import(
    "../../test/helpers/fake-openshift.ts"
  );
  const { PROBE_MARK } = await import("../../src/cluster/doctor/node-probe.ts");
  const w = await startWorld({ sriov: false });
  try {
    seedWorkshopInstalled(w.api);
    simulatePods(w.api, { namespace: "default" }, () => ({
      phase: "Succeeded",
      log: `${TUNED_CMDLINE}\n${PROBE_MARK}\n2-47,50-95\n`,
    }));
    const r = await w.llw("doctor", "--interval", "0s");
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
  if (!check && !process.argv.includes("--no-emulator")) {
    for (const [file, text] of [...(await emulatorSamples()), ...(await fakeClusterSamples())]) {
      writeFileSync(join(SAMPLES, file), text);
      process.stdout.write(`samples: wrote ${file} (emulated AWS or cluster)\n`);
    }
  }
  process.exitCode = check && drift ? 1 : 0;
}
