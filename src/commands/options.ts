/**
 * Options that several commands of the registry (./registry.ts) share: one spec each, so the
 * same flag says the same thing and keeps its earlier spellings in every command that takes it.
 */
import { UserError } from "../lib/errors.ts";
import { intOption, listOption } from "./parse.ts";
import type { CommandSpec, OptionSpec } from "./types.ts";

/** PPC-style booleans: `--rt-kernel`, `--rt-kernel=true` and `--rt-kernel=false` all work. */
export function boolOption(flags: string, description: string): OptionSpec {
  return {
    flags: `${flags} [bool]`,
    description,
    parse: (v: string) => {
      if (/^(true|1|yes)$/i.test(v)) return true;
      if (/^(false|0|no)$/i.test(v)) return false;
      throw new UserError({ what: `expected true or false, got "${v}"`, where: flags });
    },
  };
}

/** `--check` writes nothing, so every command that has both refuses them together. */
export const CHECK_FORCE_CONFLICT: NonNullable<CommandSpec["conflicts"]>[number] = {
  flags: ["--check", "--force"],
  why: "--check writes nothing, so --force (overwrite) has nothing to do",
};

/**
 * The schema folder: `holds` says what the command reads from it; the default is the same for
 * every command (src/lib/schema-dir.ts).
 */
export const schemasOption = (holds: string): OptionSpec => ({
  flags: "--schemas <dir>",
  description: `${holds} (default: $LLW_CRDS_DIR, else the workshop's schemas/)`,
});

// --- topology and profile ---
export const TOPOLOGY_SOURCE_OPTIONS: OptionSpec[] = [
  {
    flags: "--instance-type <type>",
    description: "EC2 metal instance type from the built-in catalog, e.g. c5.metal",
  },
  {
    flags: "--lscpu <file>",
    description:
      "lscpu -p (or -e, -J -e) output of the node: oc debug node/<node> -- chroot /host lscpu -p > FILE",
  },
  {
    flags: "--sysfs <path>",
    description:
      "sysfs snapshot: a directory or .tar.gz with sys/devices/system (must-gather's nodes/<node>/sysinfo.tgz)",
  },
];

// --- cluster ---
/** Cluster access as with oc/kubectl: KUBECONFIG and the current context unless overridden. */
export const KUBE_OPTIONS: OptionSpec[] = [
  { flags: "--kubeconfig <file>", description: "kubeconfig file (default: KUBECONFIG, then ~/.kube/config)" },
  { flags: "--context <name>", description: "kubeconfig context to use (default: the current context)" },
];

// --- bench, latency, report ---
/** Where `bench run` and `latency run` store their runs. */
export const RESULTS_OUT_DIR_OPTION: OptionSpec = {
  flags: "--out-dir <dir>",
  description: "results directory: each run goes in <dir>/<label>/<run>",
  default: "results",
  was: ["--results"],
};

/** How `bench show`, `bench compare` and `report` read result directories. */
export const RESULT_READ_OPTIONS: OptionSpec[] = [
  {
    flags: "--include-incomplete",
    description: "keep runs whose metadata says they were interrupted before kube-burner finished",
  },
  {
    flags: "--mixed-runs",
    description: "read files of several kube-burner runs (UUIDs) found in one directory together",
  },
];

// --- aws ---
/** AWS access as with the aws CLI; `region` is where the region comes from by default. */
export const awsOptions = (region: string): OptionSpec[] => [
  { flags: "--region <code>", description: `AWS region (default: ${region})` },
  { flags: "--profile <name>", description: "AWS profile (default: AWS_PROFILE)" },
  {
    flags: "--endpoint-url <url>",
    description: "AWS endpoint, e.g. an emulator (default: AWS_ENDPOINT_URL)",
  },
];

export const AWS_OPTIONS = awsOptions("AWS_REGION or the profile's region");

/** The data network commands (`aws network ...`) find everything by the cluster's infrastructure id. */
export const INFRA_ID_OPTION: OptionSpec = {
  flags: "--infra-id <id>",
  description: "the cluster's infrastructure id (required)",
  was: ["--cluster"],
};

// --- sriov ---
export const SRIOV_AWS_OPTIONS: OptionSpec[] = [
  {
    flags: "--region <region>",
    description: "AWS region (default: AWS_REGION, the profile's, or the cluster's)",
  },
  { flags: "--profile <name>", description: "AWS profile from ~/.aws/config (default: AWS_PROFILE)" },
  {
    flags: "--endpoint-url <url>",
    description: "EC2 endpoint (default: AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL, else AWS)",
  },
  {
    flags: "--max-attempts <n>",
    description: "attempts per AWS call, retries included (standard retry mode; default 5)",
    parse: intOption("--max-attempts", 1),
  },
  {
    flags: "--infra-id <id>",
    description: "find workers by the cluster tag kubernetes.io/cluster/<infra-id>",
  },
  {
    flags: "--instance-ids <ids>",
    description: "find workers by instance id (comma-separated or repeated)",
    parse: listOption,
  },
  {
    flags: "--kubeconfig <file>",
    description: "kubeconfig of the cluster (default: KUBECONFIG, ~/.kube/config)",
  },
  { flags: "--context <name>", description: "kubeconfig context" },
  { flags: "--no-cluster", description: "do not ask the cluster; use AWS only" },
];
