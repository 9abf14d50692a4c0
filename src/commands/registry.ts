/**
 * Every llw command, its options and examples, in one place. Command code is imported lazily
 * when the command runs, so `llw --help` and simple commands start fast. Options that several
 * commands share are in ./options.ts.
 */
import { UserError } from "../lib/errors.ts";
import {
  AWS_OPTIONS,
  awsOptions,
  boolOption,
  CHECK_FORCE_CONFLICT,
  INFRA_ID_OPTION,
  KUBE_OPTIONS,
  RESULT_READ_OPTIONS,
  RESULTS_OUT_DIR_OPTION,
  SRIOV_AWS_OPTIONS,
  schemasOption,
  TOPOLOGY_SOURCE_OPTIONS,
} from "./options.ts";
import { intOption, listOption, numberOption } from "./parse.ts";
import type { CommandSpec, GroupSpec } from "./types.ts";

export const GROUPS: GroupSpec[] = [
  // --- groups: add yours in your area's block below ---
  // --- bench, latency ---
  { name: "bench", summary: "Run kube-burner workloads and analyse their results (start-up latency)" },
  {
    name: "latency",
    summary: "Run and analyse jitter tests (oslat, cyclictest, hwlatdetect) on isolated CPUs",
  },
  // --- aws ---
  { name: "aws", summary: "AWS side of the workshop: metal worker MachineSets and the SR-IOV data network" },
  {
    name: "aws network",
    summary: "Deploy, inspect and remove the data network (subnets, security group, extra ENIs)",
  },
  {
    name: "topology",
    summary: "Show the CPU topology of a host: sockets, NUMA nodes, cores and SMT siblings",
  },
  { name: "profile", summary: "Plan and validate PerformanceProfiles (CPU isolation, hugepages, NUMA)" },
  { name: "tune", summary: "Apply node tuning to a cluster as one MachineConfigPool rollout" },
  {
    name: "sriov",
    summary:
      "SR-IOV on AWS: find the metal workers' dedicated interfaces and generate what works on your version",
  },
];

export const COMMANDS: CommandSpec[] = [
  // --- topology and profile ---
  {
    path: ["topology", "show"],
    summary: "Print the CPU map of an instance type, an lscpu capture or a sysfs snapshot",
    description:
      "Shows each NUMA node with its socket, memory and cores, every core as its SMT sibling threads " +
      "(e.g. 0,48). Use it to check the catalog against a real node before planning a profile.",
    options: TOPOLOGY_SOURCE_OPTIONS,
    output: ["table", "yaml", "json"],
    examples: [
      {
        cmd: "llw topology show --instance-type c5.metal",
        what: "the CPU map of a c5.metal from the catalog",
      },
      {
        cmd: "llw topology show --lscpu node-lscpu.txt",
        what: "the CPU map of a real node (oc debug node/<node> -- chroot /host lscpu -p > node-lscpu.txt)",
      },
      {
        cmd: "llw topology show --sysfs must-gather/nodes/worker-0/sysinfo.tgz -o json",
        what: "a must-gather snapshot, as JSON",
      },
    ],
    load: () => import("./topology-show.ts"),
  },
  {
    path: ["profile", "generate"],
    summary:
      "Plan a PerformanceProfile for a topology, choosing CPUs as the Performance Profile Creator does",
    description:
      "Prints the PerformanceProfile YAML on stdout (pipe it to `oc apply -f -`). On a terminal it also prints, " +
      "on stderr, the CPU map (reserved / isolated / offlined per NUMA node) and the reason for each choice; " +
      "--explain prints them when stderr is not a terminal, --quiet never. CPU sets, workload hints, kernel " +
      "arguments, topology policy and selectors match PPC for the same flags. Defaults: one physical core per " +
      "NUMA node reserved for housekeeping, power mode low-latency, 1G hugepages on each NUMA node (half its " +
      "memory), the worker-rt MachineConfigPool (--single-node: master), name workshop-<instance type>. " +
      "Two departures from PPC on purpose: (1) the default power mode is low-latency, so workloadHints.realTime " +
      "is true, where PPC's default mode writes realTime: false (pass --power-consumption-mode default for PPC's); " +
      "(2) with --split-reserved-cpus-across-numa on 3 or more NUMA nodes, when the count does not divide evenly, " +
      "PPC's formula can reserve more CPUs than asked; llw reserves exactly the count (one extra CPU on each of the " +
      "lowest nodes) and warns that PPC would differ. On 1 and 2 NUMA nodes (every catalog type) the sets are PPC's.",
    options: [
      ...TOPOLOGY_SOURCE_OPTIONS,
      {
        flags: "--reserved-cpu-count <n>",
        description: "CPUs for housekeeping (even with SMT on); default one core per NUMA node",
        parse: intOption("--reserved-cpu-count", 1),
      },
      {
        flags: "--offlined-cpu-count <n>",
        description: "CPUs to take offline (PPC order: unused sockets, then siblings, then any)",
        parse: intOption("--offlined-cpu-count", 0),
      },
      boolOption("--split-reserved-cpus-across-numa", "split reserved CPUs evenly across NUMA nodes"),
      boolOption("--disable-ht", "turn SMT off (kernel arg nosmt); plan with first sibling threads only"),
      {
        flags: "--power-consumption-mode <mode>",
        description:
          "workload hints: default, low-latency (realTime) or ultra-low-latency (+highPowerConsumption)",
        choices: ["default", "low-latency", "ultra-low-latency"],
      },
      boolOption(
        "--per-pod-power-management",
        "workload hint perPodPowerManagement (not with ultra-low-latency)",
      ),
      boolOption("--rt-kernel", "use the real-time kernel (kernel-rt)"),
      {
        flags: "--topology-manager-policy <policy>",
        description: "kubelet Topology Manager policy (default restricted)",
        choices: ["single-numa-node", "best-effort", "restricted"],
      },
      boolOption(
        "--user-level-networking",
        "net.userLevelNetworking (DPDK): NIC queues limited to reserved CPUs",
      ),
      { flags: "--mcp-name <name>", description: "MachineConfigPool to tune (default worker-rt)" },
      { flags: "--single-node", description: "single-node cluster: tune the master pool" },
      {
        flags: "--profile-name <name>",
        description: "profile name (default workshop-<instance type, dots as dashes>)",
      },
      { flags: "--hugepages-size <size>", description: "hugepage size (default 1G)", choices: ["1G", "2M"] },
      {
        flags: "--hugepages-per-node <n>",
        description: "hugepages per NUMA node (default: half of each node's memory; 0 for none)",
        parse: intOption("--hugepages-per-node", 0),
      },
      { flags: "--out <file>", description: "write the profile to FILE (atomically) instead of stdout" },
      { flags: "--force", description: "with --out: replace a file that was edited by hand" },
      { flags: "--check", description: "with --out: report whether FILE is up to date; exit 1 if not" },
      {
        flags: "--explain",
        description: "print the CPU map and reasons on stderr even when it is not a terminal",
      },
      { flags: "--quiet", description: "never print the CPU map and reasons" },
    ],
    conflicts: [
      {
        flags: ["--quiet", "--explain"],
        why: "--quiet never prints the CPU map and reasons, --explain always does",
      },
      {
        flags: ["--single-node", "--mcp-name"],
        why: "--single-node tunes the master pool; --mcp-name names another pool",
      },
      CHECK_FORCE_CONFLICT,
    ],
    output: ["yaml", "json"],
    examples: [
      {
        cmd: "llw profile generate --instance-type c5.metal",
        what: "the workshop profile for a c5.metal worker",
      },
      {
        cmd: "llw profile generate --instance-type c5.metal | oc apply -f -",
        what: "apply it (the CPU map and reasons go to the terminal, the YAML to oc)",
      },
      {
        cmd: "llw profile generate --lscpu node-lscpu.txt --instance-type m5.metal --reserved-cpu-count 8 --rt-kernel",
        what: "from a real node's lscpu, 8 reserved CPUs, real-time kernel",
      },
      {
        cmd: "llw profile generate --instance-type c5.metal --disable-ht --power-consumption-mode ultra-low-latency",
        what: "SMT off, C-states off",
      },
      {
        cmd: "llw profile generate --instance-type c5.metal --out gitops/overlays/aws/performance-profiles/c5.metal.yaml",
        what: "write it into the GitOps tree",
      },
    ],
    load: () => import("./profile-generate.ts"),
  },
  {
    path: ["profile", "validate"],
    summary: "Check a PerformanceProfile against the webhook's rules, the CRD schema and a host topology",
    description:
      "Reports every problem together, with file and line: the Node Tuning Operator admission webhook's rules " +
      "(same wording), the upstream CRD schema (the workshop's schemas/, or --crd), and with a topology: CPU ids " +
      "exist (CPUs a tuned node lists as offline may be in offlined), every CPU is in a set, SMT siblings are not " +
      "split between reserved and isolated, hugepages fit in each NUMA node's memory. Profiles given together " +
      "(several files or documents) are checked as the set one cluster gets, in that order: a profile with the " +
      "same nodeSelector as an earlier one is an error, as the webhook refuses it. Exit 1 if any error.",
    args: [
      {
        name: "file",
        description: "YAML files with one or more PerformanceProfiles, applied to one cluster together",
        required: true,
        variadic: true,
      },
    ],
    options: [
      ...TOPOLOGY_SOURCE_OPTIONS,
      { flags: "--crd <file>", description: "the PerformanceProfile CRD to check the schema against" },
      schemasOption("folder with the PerformanceProfile CRD"),
      {
        flags: "--allow-split-cores",
        description: "accept cores whose siblings are split between reserved and isolated",
      },
    ],
    output: ["table", "yaml", "json"],
    examples: [
      { cmd: "llw profile validate profile.yaml", what: "webhook rules and CRD schema" },
      {
        cmd: "llw profile validate profile.yaml --instance-type c5.metal",
        what: "also check the CPUs and hugepages against a c5.metal",
      },
      {
        cmd: "llw profile validate profile.yaml --lscpu node-lscpu.txt -o json",
        what: "against a real node, as JSON",
      },
      {
        cmd: "llw profile validate worker-rt.yaml worker-dpdk.yaml",
        what: "two profiles for one cluster: also checks that their nodeSelectors differ",
      },
    ],
    load: () => import("./profile-validate.ts"),
  },
  // --- gitops tree and lint ---
  {
    path: ["lint"],
    summary: "Build every kustomization of the GitOps tree with a real kustomize and validate every object",
    description:
      "Finds every kustomization under PATH (default: gitops) and builds it with oc kustomize, kubectl kustomize " +
      "or kustomize (the first on PATH; LLW_KUSTOMIZE picks one); directories of plain manifests are read as " +
      "Argo CD would. Every object is validated against its schema: built-in kinds against the Kubernetes OpenAPI " +
      "documents, custom resources against their CRDs, unknown fields rejected as kubectl does; a kind without a " +
      "schema is a warning. Then the low-latency checks: PerformanceProfiles against the instance type they " +
      "target, runtime classes with a matching profile, Guaranteed tuned pods with whole CPUs, hugepage sizes, " +
      "VM CPU and memory settings, SR-IOV resource names, Subscriptions with an OperatorGroup and a channel, " +
      "sync waves that put operators before their custom resources, and Application paths that exist; " +
      "VMs on the tuned pool with evictionStrategy None, and VM images whose release is supported on the " +
      "workshop's date (a warning past or within 30 days of its end of life). kube-burner workloads " +
      "(benchmarks/) are rendered as kube-burner renders them, then checked the same way. " +
      "Exit 1 on any error. Validators for the workshop's own tree come compiled with the build " +
      "(dist/validators); others are compiled on first use and cached in ~/.cache/llw " +
      "(LLW_CACHE_DIR to move it, LLW_NO_CACHE=1 to use neither).",
    args: [{ name: "path", description: "directory to lint (default: gitops)" }],
    options: [
      schemasOption("directory of CRD YAML and Kubernetes OpenAPI v3 / Swagger JSON files"),
      {
        flags: "--schemas-from-cluster",
        description:
          "validate custom resources against the CRDs of the current kube context (built-in kinds still from the schema directory)",
      },
      {
        flags: "--kubeconfig <file>",
        description: "kubeconfig for --schemas-from-cluster (default: KUBECONFIG, ~/.kube/config)",
      },
      { flags: "--context <name>", description: "kube context for --schemas-from-cluster" },
      {
        flags: "--repo-root <dir>",
        description: "directory Argo CD Application paths are relative to (default: the git top level)",
      },
      {
        flags: "--ocp-version <x.y>",
        description:
          "OpenShift version the tree targets, for version-dependent checks (e.g. the SR-IOV webhook rejects Amazon ENA policies before 4.22); without it they warn",
      },
      {
        flags: "--workshop-date <yyyy-mm-dd>",
        description: "the day the workshop runs, for the VM image support check (default: today)",
        parse: (v: string) => {
          if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
            throw new UserError({ what: `"${v}" is not a date like 2027-03-15`, where: "--workshop-date" });
          return v;
        },
      },
    ],
    output: ["table", "yaml", "json"],
    outputWas: { text: "table" },
    examples: [
      { cmd: "llw lint gitops", what: "lint the whole tree against the workshop's schemas/" },
      {
        cmd: "llw lint .",
        what: "lint the whole repository, the kube-burner workloads of benchmarks/ included",
      },
      {
        cmd: "llw lint . --workshop-date 2027-03-15",
        what: "check that the VM images are still supported on the day of a planned workshop",
      },
      {
        cmd: "llw lint gitops --ocp-version 4.20",
        what: "also fail on what OpenShift 4.20 rejects (an ENA SR-IOV policy)",
      },
      {
        cmd: "llw lint gitops/overlays/aws --schemas ~/crds-4.20 -o json",
        what: "lint the AWS overlays against another release's schemas, findings as JSON",
      },
      {
        cmd: "llw lint gitops --schemas-from-cluster --context attendee-01",
        what: "validate against the CRDs installed on a cluster",
      },
    ],
    load: () => import("./lint.ts"),
  },
  {
    path: ["generate"],
    summary:
      "Regenerate the generated files of the GitOps tree: PerformanceProfiles and per-instance-type overlays",
    description:
      "Writes gitops/overlays/aws/performance-profiles/<type>.yaml (one PerformanceProfile per supported EC2 metal " +
      "type, planned as `llw profile generate --instance-type <type>` does, named workshop-<type with dots as dashes>) " +
      "gitops/overlays/aws/<type>/kustomization.yaml (the base VMs sized for that profile), " +
      "gitops/overlays/aws/<type>/test-pods/ (the test pods on that profile's runtime class) and " +
      "gitops/overlays/aws/<type>/hyperconverged/ (HyperConverged with that profile's runtime class as every VM's default). " +
      "It refuses a directory without base/kustomization.yaml (not the GitOps tree). Files a user " +
      "edited are kept unless --force; --check writes nothing and exits 1 if any file is missing or out of date.",
    args: [{ name: "dir", description: "the GitOps tree (default: gitops)" }],
    options: [
      { flags: "--check", description: "write nothing; exit 1 if a generated file is missing or differs" },
      { flags: "--force", description: "overwrite generated files that were edited by hand" },
    ],
    conflicts: [CHECK_FORCE_CONFLICT],
    output: ["table", "yaml", "json"],
    examples: [
      { cmd: "llw generate", what: "regenerate the profiles and overlays in ./gitops" },
      { cmd: "llw generate --check", what: "in CI: fail if the committed files drifted from the planner" },
    ],
    load: () => import("./generate.ts"),
  },
  // --- sriov ---
  {
    path: ["sriov", "detect"],
    summary: "Find the metal workers' network interfaces (EC2 API, read-only) and classify each for SR-IOV",
    description:
      "Each worker is shown with its instance type's facts (bare metal, ENA and EFA support, maximum network " +
      "interfaces and cards) and each ENI is classified with its reason: primary (device index 0, the cluster " +
      "network, never used), usable (a dedicated ENA interface on a subnet of its own), EFA (not supported by the " +
      "operator), on the cluster's own subnet, or not on a metal instance; the cluster's detached ENIs (cluster tag " +
      "or llw:infra-id) are listed apart; free interface slots are counted. Workers come from --infra-id (the " +
      "cluster tag kubernetes.io/cluster/<infra-id>; control-plane machines are skipped) or --instance-ids, else " +
      "from the logged-in cluster (nodes' providerID); a logged-in cluster also gives the node names. AWS access " +
      "uses the SDK's default credential chain, like the aws CLI. Exits 1 when no metal worker has a usable interface.",
    options: SRIOV_AWS_OPTIONS,
    output: ["table", "yaml", "json"],
    examples: [
      {
        cmd: "llw sriov detect --infra-id demo-x7k2p --region us-east-2",
        what: "the workers of a cluster, by its tag",
      },
      { cmd: "llw sriov detect --instance-ids i-0abc1234def567890 -o json", what: "one instance, as JSON" },
      { cmd: "llw sriov detect", what: "the workers of the logged-in cluster (oc login first)" },
    ],
    load: () => import("./sriov/detect.ts"),
  },
  {
    path: ["sriov", "generate"],
    summary:
      "Generate the SR-IOV manifests that work on the cluster's OpenShift version into the GitOps tree",
    description:
      "OpenShift 4.22 and later: one SriovNetworkNodePolicy per data subnet (nicSelector.netFilter " +
      "aws/NetworkID:<subnet>, numVfs 1, deviceType netdevice or vfio-pci, the metal pool's node selector) and, for " +
      "netdevice, a host-device NetworkAttachmentDefinition per subnet and node with the resourceName annotation and " +
      "that node's ENI address (static IPAM); the operator sees only ENIs attached before its config daemon first " +
      "started, so reboot the metal workers once after attaching new ones. OpenShift " +
      "4.19-4.21, where the operator never sees ENA devices: one host-device NetworkAttachmentDefinition per " +
      "dedicated ENI, selected by MAC, with the ENI's IP and the node it lives on; the output explains the " +
      "trade-offs. Files go to gitops/overlays/aws/sriov (atomic; --force to replace edits; --check reports " +
      "drift). With a cluster (also with --infra-id or --instance-ids), the version comes from ClusterVersion and the " +
      "result is cross-checked against SriovNetworkNodeState; on 4.22+ a missing operator or node state is a warning.",
    options: [
      ...SRIOV_AWS_OPTIONS,
      {
        flags: "--ocp-version <version>",
        description: "OpenShift version, e.g. 4.19 or 4.22 (default: the cluster's)",
      },
      {
        flags: "--device-type <type>",
        description:
          "4.22+: netdevice (pods, kernel driver) or vfio-pci (DPDK in pods; vfio runs in no-IOMMU mode on AWS, so no passthrough to VMs)",
        choices: ["netdevice", "vfio-pci"],
      },
      {
        flags: "--network-kind <kind>",
        description:
          "nad (host-device NetworkAttachmentDefinitions); sriovnetwork is refused on AWS (the sriov CNI needs the parent PF an ENA device lacks)",
        choices: ["nad", "sriovnetwork"],
      },
      {
        flags: "--mcp-name <name>",
        description: "MachineConfigPool of the metal workers (default worker-rt)",
      },
      {
        flags: "--namespace <ns>",
        description: "namespace of the network attachments (default low-latency-workshop)",
      },
      { flags: "--out-dir <dir>", description: "output directory (default gitops/overlays/aws/sriov)" },
      { flags: "--force", description: "replace files edited by hand" },
      {
        flags: "--check",
        description: "write nothing; exit 1 if the files differ from what would be generated",
      },
    ],
    conflicts: [CHECK_FORCE_CONFLICT],
    output: ["table", "yaml", "json"],
    examples: [
      {
        cmd: "llw sriov generate --infra-id demo-x7k2p --region us-east-2 --ocp-version 4.22",
        what: "SriovNetworkNodePolicies selecting the ENIs by subnet (OpenShift 4.22+)",
      },
      {
        cmd: "llw sriov generate --infra-id demo-x7k2p --region us-east-2 --ocp-version 4.19",
        what: "host-device attachments per ENI by MAC (OpenShift 4.19-4.21)",
      },
      {
        cmd: "llw sriov generate --ocp-version 4.22 --device-type vfio-pci",
        what: "vfio-pci devices for DPDK in pods, workers from the logged-in cluster",
      },
      {
        cmd: "llw sriov generate --check",
        what: "fail if the generated files drifted from the AWS inventory",
      },
    ],
    load: () => import("./sriov/generate.ts"),
  },
  {
    path: ["sriov", "iam-policy"],
    summary: "Print the least-privilege IAM policy that llw sriov detect and generate need",
    description:
      "Only the read-only EC2 Describe actions the commands call; attach it to the user or role llw runs as.",
    output: ["json", "yaml"],
    examples: [
      { cmd: "llw sriov iam-policy", what: "the policy as JSON" },
      {
        cmd: "llw sriov iam-policy > llw-sriov.json && aws iam create-policy --policy-name llw-sriov --policy-document file://llw-sriov.json",
        what: "create it in IAM",
      },
    ],
    load: () => import("./sriov/iam-policy.ts"),
  },
  // --- cluster: install, tune, doctor ---
  {
    path: ["install"],
    summary: "Install the workshop's operators and configuration on a cluster, through GitOps or directly",
    description:
      "What it deploys: by default the workshop without its tuning (the SR-IOV and Virtualization operators, their " +
      "instances with the HyperConverged's default runtime class unset, the SR-IOV networks), so that Module 2 can " +
      "measure the untuned node and then apply the tuning as one rollout with llw tune apply. --with-tuning adds the " +
      "tuning layer at once (for instructors): the MachineConfigPool and PerformanceProfile of the instance type, the " +
      "HyperConverged default runtime class performance-<profile> and the tuned workloads (VMs) sized for that type. " +
      "The instance type is --instance-type or the metal workers' node.kubernetes.io/instance-type label; with " +
      "--with-tuning, no metal worker or several types is an error. " +
      "GitOps mode (default): installs the OpenShift GitOps operator, waits for its CSV and for the operator's own " +
      "Argo CD instance (then adds the workshop's health checks to it), applies the AppProject low-latency-workshop " +
      "(this repository only, the workshop's namespaces and kinds) and the app-of-apps Application, and follows every " +
      "Application until Synced and Healthy. The repository is --repo or this checkout's origin remote, with any " +
      "credentials removed (give Argo CD a repository Secret instead); the revision is pinned: a commit or tag " +
      "(--revision; default this checkout's HEAD commit; a branch name is resolved to its commit), never a moving " +
      "branch unless --follow-branch. --direct: builds the same app of apps locally with kustomize and applies it " +
      "with server-side apply in dependency order: operators, then (once each CSV Succeeded and its CRDs are " +
      "Established) their custom resources, then the node tuning as one MachineConfigPool rollout. Re-running resumes; " +
      "running twice changes nothing the second time.",
    options: [
      ...KUBE_OPTIONS,
      { flags: "--direct", description: "apply the tree with server-side apply instead of through Argo CD" },
      {
        flags: "--with-tuning",
        description:
          "also deploy the tuning (PerformanceProfile, HyperConverged runtime class, tuned VMs) for the instance type",
      },
      {
        flags: "--instance-type <type>",
        description:
          "EC2 metal type of the tuned workers (default: the metal workers' node.kubernetes.io/instance-type)",
      },
      {
        flags: "--repo <url>",
        description: "Git repository Argo CD syncs (default: the `origin` remote; credentials are removed)",
      },
      {
        flags: "--revision <rev>",
        description:
          "commit or tag Argo CD syncs; a branch is pinned to its current commit (default: this checkout's HEAD)",
      },
      {
        flags: "--follow-branch",
        description:
          "let Argo CD follow --revision as a branch instead of pinning it (whoever can push to it controls the cluster)",
      },
      {
        flags: "--path <dir>",
        description:
          "app-of-apps directory in the tree (default: gitops/bootstrap, with --with-tuning gitops/bootstrap-with-tuning)",
      },
      {
        flags: "--approve",
        description: "approve InstallPlans that wait for manual approval for the workshop's operators",
      },
      {
        flags: "--timeout <duration>",
        description: "timeout of each step (operator, CRD, Application, rollout)",
        default: "20m",
      },
      { flags: "--interval <duration>", description: "poll interval", default: "5s" },
      {
        flags: "--settle <duration>",
        description: "--direct: how long the rendered config must stay unchanged before unpausing pools",
        default: "30s",
      },
      { flags: "--dry-run", description: "print the steps without changing the cluster" },
    ],
    examples: [
      { cmd: "llw install", what: "GitOps install, without the tuning, of this checkout's HEAD commit" },
      {
        cmd: "llw install --repo https://github.com/me/low-latency-workshop.git --revision v1.2",
        what: "GitOps install of a fork at a tag",
      },
      {
        cmd: "llw install --with-tuning --instance-type m5zn.metal",
        what: "everything at once, tuning included, for m5zn.metal workers",
      },
      { cmd: "llw install --direct --context admin", what: "install without Argo CD, on another context" },
    ],
    load: () => import("./install.ts"),
  },
  {
    path: ["tune", "apply"],
    summary:
      "Apply a tuning change set (PerformanceProfile, SR-IOV policies, ...) as one MachineConfigPool rollout",
    description:
      "Pauses the pools the change set rolls, applies every object with server-side apply, waits for the new " +
      "rendered config, unpauses once and follows each pool until Updated, node by node (one reboot per node instead " +
      "of one per object). Refuses a degraded pool or a change set that fails llw lint (files, directories and " +
      "kustomizations alike are validated against their schemas: --schemas, LLW_CRDS_DIR or --schemas-from-cluster; " +
      "without schemas it refuses unless --no-lint). " +
      "--dry-run prints the plan.",
    args: [
      {
        name: "paths",
        description: "YAML files, directories or kustomizations of the change set",
        required: true,
        variadic: true,
      },
    ],
    options: [
      ...KUBE_OPTIONS,
      {
        flags: "--dry-run",
        description: "print the plan (objects, pools, expected reboots) and change nothing",
      },
      { flags: "--timeout <duration>", description: "timeout of each pool's rollout", default: "90m" },
      { flags: "--interval <duration>", description: "poll interval", default: "10s" },
      {
        flags: "--settle <duration>",
        description: "how long the rendered config must stay unchanged before unpausing",
        default: "30s",
      },
      schemasOption("schemas to lint the change set against, as llw lint"),
      {
        flags: "--schemas-from-cluster",
        description:
          "lint the custom resources against the cluster's CRDs (the operator versions installed there)",
      },
      {
        flags: "--no-lint",
        description:
          "apply without validating the change set against its schemas (the admission webhook rules still run)",
      },
    ],
    output: ["table", "json", "yaml"],
    examples: [
      {
        cmd: "llw tune apply gitops/overlays/aws/performance-profiles/machine-config-pool.yaml gitops/overlays/aws/performance-profiles/c5.metal.yaml --dry-run",
        what: "show what would roll and how many reboots",
      },
      {
        cmd: "llw tune apply gitops/overlays/aws/performance-profiles/machine-config-pool.yaml gitops/overlays/aws/performance-profiles/c5.metal.yaml gitops/overlays/aws/sriov --schemas-from-cluster",
        what: "pool, profile, hugepages and SR-IOV in one rollout, linted against the cluster's CRDs",
      },
    ],
    load: () => import("./tune-apply.ts"),
  },
  {
    path: ["doctor"],
    summary: "Check that a cluster is ready for the workshop: PASS / WARN / FAIL with evidence and fix",
    description:
      "Reads the cluster (version, platform, nodes, operators, Argo CD and its Applications, PerformanceProfile, " +
      "pools, hugepages, KVM, HyperConverged and the VMs' runtime class, VMs that could block a drain, VM image " +
      "releases, SR-IOV) and, unless --no-aws, the data network's ENIs from the AWS API (the SDK's default " +
      "credential chain; infra id and region from the cluster), and, unless --no-node-access, the isolated CPUs " +
      "and kernel arguments in effect on each tuned node through a short-lived pod (unprivileged, no host access: " +
      "/proc/cmdline and sysfs are the host kernel's in any container) in a namespace of llw's own, from an image " +
      "pinned by digest, deleted however llw ends. Exits 1 when a check fails.",
    options: [
      ...KUBE_OPTIONS,
      { flags: "--no-node-access", description: "skip the checks that start a debug pod on the nodes" },
      { flags: "--no-aws", description: "do not read AWS (the data network check is skipped)" },
      ...awsOptions("the cluster's"),
      { flags: "--list-checks", description: "list the checks, one per line, with what each proves" },
      { flags: "--timeout <duration>", description: "timeout of each debug pod", default: "3m" },
      { flags: "--interval <duration>", description: "poll interval while a debug pod runs", default: "2s" },
      {
        flags: "--debug-namespace <ns>",
        description: "namespace of llw's own for the debug pods (created if missing)",
        default: "llw-debug",
      },
      {
        flags: "--debug-image <image>",
        description:
          "image of the debug pods (default: UBI 9 minimal by digest; a tag is resolved to its digest by the cluster)",
      },
    ],
    output: ["table", "json", "yaml"],
    examples: [
      { cmd: "llw doctor", what: "check the current cluster" },
      { cmd: "llw doctor --no-node-access -o json", what: "only API checks, as JSON for a script" },
      { cmd: "llw doctor --no-aws", what: "without reading AWS (no credentials at hand)" },
      { cmd: "llw doctor --list-checks", what: "what each check proves" },
    ],
    load: () => import("./doctor.ts"),
  },
  // --- bench, latency, report ---
  {
    path: ["bench", "run"],
    summary: "Run a kube-burner workload from benchmarks/ and store the results under results/<label>/<run>/",
    description:
      "Runs kube-burner (from PATH, or --kube-burner) with a fresh UUID per run, streams its progress, and stores " +
      "its metrics with metadata (cluster version, profile, nodes, kube-burner version, variables, git revision) and " +
      "exactly what the run needed (the config, the templates and profiles it names, the variables). metadata.json " +
      'says "status": "incomplete" until kube-burner finished: a run stopped by Ctrl-C or SIGTERM stays incomplete and ' +
      "is left out of comparisons. kube-burner also queries the cluster's Prometheus with the workshop's metrics profile " +
      "(benchmarks/metrics: per-CPU time by mode, kubelet and CRI-O CPU, API server latency) for `llw bench show`'s CPU " +
      "split; the token is never stored. kube-burner exit codes: 2 timeout, 3 alert, 4 latency threshold exceeded.",
    args: [
      {
        name: "workload",
        description: "a workload under benchmarks/ (e.g. tuned-pod) or a path to a .yml",
        required: true,
      },
    ],
    options: [
      { flags: "--label <name>", description: "results label, e.g. baseline or tuned" },
      {
        flags: "--repeat <k>",
        description: "run the workload k times",
        default: 1,
        parse: intOption("--repeat", 1),
      },
      {
        flags: "--set <name=value>",
        description: "workload variable (repeatable), e.g. --set ITERATIONS=20",
        parse: listOption,
      },
      { flags: "--kube-burner <path>", description: "kube-burner executable (default: kube-burner on PATH)" },
      RESULTS_OUT_DIR_OPTION,
      { flags: "--kubeconfig <path>", description: "kubeconfig passed to kube-burner and used for metadata" },
      { flags: "--context <name>", description: "kubeconfig context" },
      { flags: "--no-metadata", description: "do not query the cluster for metadata" },
      {
        flags: "--prometheus-url <url>",
        description:
          "Prometheus for the metrics profile (default: the openshift-monitoring thanos-querier route of the cluster)",
      },
      {
        flags: "--prometheus-token <token>",
        description:
          "bearer token for it (default: PROMETHEUS_TOKEN, else a token of openshift-monitoring/prometheus-k8s from the TokenRequest API)",
      },
      { flags: "--no-prometheus", description: "collect no Prometheus metrics" },
    ],
    examples: [
      { cmd: "llw bench run baseline-pod --label baseline --repeat 3", what: "three baseline runs" },
      {
        cmd: "llw bench run tuned-pod --label tuned --set PROFILE=workshop-c5-metal --repeat 3",
        what: "three runs of the tuned pods on the performance profile's runtime class",
      },
    ],
    load: () => import("./bench-run.ts"),
  },
  {
    path: ["bench", "install"],
    summary: "Download the pinned kube-burner release for this platform and verify its checksum",
    options: [
      {
        flags: "--out-dir <dir>",
        description: "where to put the kube-burner binary",
        default: ".tools/bin",
        was: ["--dir"],
      },
      {
        flags: "--release <version>",
        description: "kube-burner release to install (default: the pinned one)",
      },
      {
        flags: "--base-url <url>",
        description:
          "https base URL of a release mirror (default: LLW_KUBE_BURNER_BASE_URL, else GitHub); the digest still comes from llw's pin or the official release",
      },
      {
        flags: "--sha256 <digest>",
        description: "the archive's SHA-256, from a source you trust, for a release llw pins no digest for",
      },
      { flags: "--force", description: "replace an existing kube-burner" },
    ],
    examples: [{ cmd: "llw bench install", what: "install the pinned kube-burner into .tools/bin" }],
    load: () => import("./bench-install.ts"),
  },
  {
    path: ["bench", "show"],
    summary:
      "Show what a kube-burner result directory holds: per condition count, min, P50, P95, P99, max, mean; CPU use and bottlenecks",
    description:
      "Figures are recomputed from the per-pod samples (nearest-rank percentiles), not taken from kube-burner's quantile files. " +
      "When the run holds the metric documents of the workshop's metrics profile (Prometheus), CPU use is split into the " +
      "PerformanceProfile's reserved and isolated CPUs and the bottleneck is named (reserved CPUs starved, kernel time on isolated CPUs).",
    args: [
      { name: "run", description: "a run directory (results/<label>/<run>) or a label", required: true },
    ],
    options: [
      {
        flags: "--profile-file <file>",
        description:
          "PerformanceProfile YAML to split CPU use into reserved and isolated (default: the profiles the run's metadata recorded)",
      },
      ...RESULT_READ_OPTIONS,
    ],
    output: ["table", "json", "yaml"],
    examples: [
      { cmd: "llw bench show results/tuned/run-1", what: "per-condition pod start-up latencies of one run" },
      {
        cmd: "llw bench show results/tuned/run-1 --profile-file gitops/overlays/aws/performance-profiles/c5.metal.yaml",
        what: "with the CPU split by a profile file, for a run recorded without cluster metadata",
      },
    ],
    load: () => import("./bench-show.ts"),
  },
  {
    path: ["bench", "compare"],
    summary:
      "Compare runs or labels (first = baseline) per condition with deltas, intervals, tests and verdicts",
    description:
      "Percentiles are recomputed from the raw samples; pods of different runs are never pooled. With repeated runs on both " +
      "sides each run is one observation (Welch's t-test, 95% t-intervals, exact Mann-Whitney p in JSON); with repeated runs on " +
      "one side, a t prediction test of the single run; with one run per side, exact order-statistic intervals and Fisher's " +
      "exact test for quantiles ('too few samples' when a run is too small for the percentile: P99 needs 368) and Welch's t " +
      "for means. p-values are Holm-adjusted across all rows. A metric is regressed/improved only if the adjusted p is below " +
      "--alpha and the change exceeds both --threshold and --min-delta (and, for jitter histograms, --min-buckets). Figures " +
      "beyond a histogram's range are bounds and not tested. Exits 1 if any metric regressed. Refuses groups " +
      "that measured different things (oslat vs cyclictest, pods vs VMs) unless --allow-different; leaves out " +
      "interrupted runs unless --include-incomplete.",
    args: [
      {
        name: "runs",
        description: "baseline then candidates: run directories or labels",
        required: true,
        variadic: true,
      },
    ],
    options: [
      {
        flags: "--threshold <pct>",
        description: "smallest relative change that counts, in percent",
        default: 5,
        parse: numberOption("--threshold", 0),
      },
      {
        flags: "--min-delta <n>",
        description: "smallest absolute change that counts (ms or us)",
        default: 1,
        parse: numberOption("--min-delta", 0),
      },
      {
        flags: "--alpha <p>",
        description: "significance level",
        default: 0.05,
        parse: numberOption("--alpha", 0, 1),
      },
      {
        flags: "--min-buckets <n>",
        description:
          "histogram-based series (jitter, 1 us buckets): smallest change that counts, in buckets (one bucket's shift is not a change)",
        default: 2,
        parse: numberOption("--min-buckets", 0),
      },
      {
        flags: "--metric <name>",
        description: "metrics to compare (repeatable): P50, P95, P99, max, mean",
        parse: listOption,
      },
      {
        flags: "--allow-different",
        description:
          "compare groups that measured different things (tools, workloads): only the series they share",
        was: ["--force"],
      },
      ...RESULT_READ_OPTIONS,
    ],
    output: ["table", "yaml", "json", "markdown"],
    examples: [
      {
        cmd: "llw bench compare baseline tuned",
        what: "compare the labels baseline and tuned under results/",
      },
      {
        cmd: "llw bench compare results/baseline results/tuned -o markdown --threshold 10",
        what: "a markdown table for a pull request",
      },
    ],
    load: () => import("./bench-compare.ts"),
  },
  {
    path: ["latency", "run"],
    summary:
      "Run oslat, cyclictest or hwlatdetect in a pod on the tuned node (or, with --baseline, an untuned one) and store its output like a run",
    description:
      "By default the pod is the tuned one: the PerformanceProfile's runtime class (performance-<name>) and the CRI-O " +
      "annotations that take its CPUs out of load balancing, CFS quota and IRQ handling, on the profile's nodes. " +
      "--baseline records the figures before tuning: the same privileged Guaranteed pod (tool, duration, CPU count) " +
      "without runtime class and annotations, on --node or a node with the --node-selector label (default " +
      "node-role.kubernetes.io/worker); it needs no PerformanceProfile. Compare: llw bench compare latency-baseline latency.",
    options: [
      {
        flags: "--tool <tool>",
        description: "jitter tool",
        choices: ["oslat", "cyclictest", "hwlatdetect"],
        default: "oslat",
      },
      { flags: "--duration <d>", description: "test duration: seconds or 30s, 5m, 1h", default: "5m" },
      {
        flags: "--cpus <n>",
        description: "isolated CPUs to request (integer, Guaranteed QoS)",
        default: 4,
        parse: intOption("--cpus", 1),
      },
      {
        flags: "--performance-profile <name>",
        description: "PerformanceProfile name (runtime class performance-<name>)",
        was: ["--profile"],
      },
      {
        flags: "--baseline",
        description:
          "before tuning: the same Guaranteed pod without the runtime class and CRI-O annotations; no PerformanceProfile needed",
      },
      {
        flags: "--node <name>",
        description: "node to run on (default: any node of the profile's pool, or of --node-selector)",
      },
      {
        flags: "--node-selector <key>",
        description:
          "node label key to select (default: the profile's nodeSelector; with --baseline node-role.kubernetes.io/worker)",
      },
      {
        flags: "--label <name>",
        description: "results label (default: latency; with --baseline latency-baseline)",
      },
      {
        flags: "--image <ref>",
        description:
          "cnf-tests image; run by digest (a tag is resolved to its digest by the cluster) (default: benchmarks/variables.yml LATENCY_IMAGE)",
      },
      {
        flags: "--max-latency <us>",
        description: "fail (exit 1) when the maximum is at or above this",
        parse: intOption("--max-latency", 1),
      },
      {
        flags: "--namespace <ns>",
        description: "namespace of llw's own for the test pod (created, labelled for privileged pods)",
        default: "llw-latency",
      },
      RESULTS_OUT_DIR_OPTION,
      { flags: "--kubeconfig <path>", description: "kubeconfig (default: KUBECONFIG or ~/.kube/config)" },
      { flags: "--context <name>", description: "kubeconfig context" },
      {
        flags: "--keep",
        description:
          "keep the pod after the test (by default it is deleted however llw ends: errors, Ctrl-C, SIGTERM)",
      },
    ],
    examples: [
      {
        cmd: "llw latency run --tool oslat --duration 5m --cpus 4 --performance-profile workshop-c5-metal",
        what: "five minutes of oslat on 4 isolated CPUs",
      },
      {
        cmd: "llw latency run --baseline --tool oslat --duration 5m --cpus 4 --node ip-10-0-1-10.us-east-2.compute.internal",
        what: "the same test before tuning (label latency-baseline), to compare with: llw bench compare latency-baseline latency",
      },
    ],
    load: () => import("./latency-run.ts"),
  },
  {
    path: ["latency", "show"],
    summary: "Show per-CPU count, min, P50, P95, P99, max, mean of cyclictest, oslat or hwlatdetect output",
    args: [{ name: "files", description: "tool output files or pod logs", required: true, variadic: true }],
    options: [
      {
        flags: "--max-latency <us>",
        description: "exit 1 when any maximum is at or above this",
        parse: intOption("--max-latency", 1),
      },
    ],
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
    description:
      "The first argument is the baseline. The file embeds its charting code and data: it opens offline.",
    args: [
      {
        name: "runs",
        description: "run directories or labels (first = baseline)",
        required: true,
        variadic: true,
      },
    ],
    options: [
      { flags: "--out <file>", description: "the HTML file to write", default: "report.html", was: ["-o"] },
      {
        flags: "--title <text>",
        description: "report title",
        default: "Low-latency workshop: test, change, re-test",
      },
      {
        flags: "--threshold <pct>",
        description: "verdict threshold in percent",
        default: 5,
        parse: numberOption("--threshold", 0),
      },
      {
        flags: "--min-buckets <n>",
        description: "jitter series: smallest change that counts, in 1 us histogram buckets",
        default: 2,
        parse: numberOption("--min-buckets", 0),
      },
      {
        flags: "--allow-different",
        description: "compare groups that measured different things (tools, workloads)",
      },
      {
        flags: "--force",
        description:
          "replace an existing file that llw did not write (a report it wrote earlier is replaced anyway); deprecated: also compares different things",
      },
      ...RESULT_READ_OPTIONS,
    ],
    examples: [
      { cmd: "llw report baseline tuned --out report.html", what: "baseline vs tuned report" },
      {
        cmd: "llw report baseline tuned latency-baseline latency --out report.html",
        what: "start-up latency and jitter, each before vs after tuning",
      },
    ],
    load: () => import("./report.ts"),
  },
  // --- aws ---
  {
    path: ["aws", "machineset"],
    summary:
      "Write a MachineSet for metal workers (and its MachineConfigPool) from one of the cluster's worker MachineSets",
    description:
      "Copies AMI, subnet, security groups, IAM instance profile, tags and user data from a worker MachineSet (from --from " +
      "or from the cluster), sets the metal instance type, the root volume, and the worker-rt role that the " +
      "PerformanceProfile selects (node-role.kubernetes.io/worker-rt), and emits the matching MachineConfigPool. " +
      "Both are checked against the upstream CRD schemas. Prints YAML (pipe to `oc apply -f -`) or writes --out-dir.",
    options: [
      {
        flags: "--instance-type <type>",
        description: "metal instance type from the catalog, e.g. c5.metal (required)",
      },
      {
        flags: "--from <file>",
        description:
          "worker MachineSet(s) as YAML (`oc get machinesets -n openshift-machine-api -o yaml`); default: read the cluster",
      },
      {
        flags: "--source <name>",
        description: "which worker MachineSet to copy (default: the first, or the one in --zone)",
      },
      { flags: "--zone <zone>", description: "copy the worker MachineSet of this availability zone" },
      {
        flags: "--replicas <n>",
        description: "number of metal workers",
        default: 1,
        parse: intOption("--replicas", 0),
      },
      {
        flags: "--root-volume <GiB>",
        description: "root volume size (VM disks and test images live there)",
        default: 250,
        parse: intOption("--root-volume", 1),
      },
      { flags: "--role <name>", description: "node role and MachineConfigPool name", default: "worker-rt" },
      {
        flags: "--imds <mode>",
        description:
          "instance metadata: optional (IMDSv1 and v2: the 4.22 SR-IOV operator reads ENIs with IMDSv1) or required (IMDSv2 only); default: as the source MachineSet",
        choices: ["optional", "required"],
      },
      {
        flags: "--out-dir <dir>",
        description:
          "write machineset-<name>.yaml and machineconfigpool-<role>.yaml here instead of printing",
        was: ["--output-dir"],
      },
      { flags: "--force", description: "overwrite files edited by hand" },
      {
        flags: "--check",
        description: "report drift of --out-dir files without writing (exit 1 on drift)",
      },
      schemasOption("folder with the MachineSet and MachineConfigPool CRDs"),
      { flags: "--kubeconfig <file>", description: "kubeconfig (default: KUBECONFIG, ~/.kube/config)" },
      { flags: "--context <name>", description: "kubeconfig context" },
    ],
    conflicts: [CHECK_FORCE_CONFLICT],
    examples: [
      {
        cmd: "llw aws machineset --instance-type c5.metal --zone us-east-2a | oc apply -f -",
        what: "one c5.metal worker in us-east-2a, from the cluster's own worker MachineSet",
      },
      {
        cmd: "llw aws machineset --instance-type m5zn.metal --from machinesets.yaml --out-dir gitops/overlays/aws/machinesets",
        what: "offline, from an exported MachineSet, into files",
      },
    ],
    load: () => import("./aws-machineset.ts"),
  },
  {
    path: ["aws", "network", "up"],
    summary:
      "Create or update the data network: a subnet per zone, a security group, extra ENIs on each metal worker",
    description:
      "Finds the cluster's VPC and metal workers by the kubernetes.io/cluster/<infra-id> tag, chooses free data subnet " +
      "CIDRs (kept on re-runs), deploys infra/aws/cloudformation/data-network.yaml as the stack <infra-id>-llw-data-network, " +
      "follows its events, and reports the ENIs. Safe to re-run. A failed create is rolled back and deleted. " +
      "--attach-with ec2 lets the stack create the ENIs and attaches them through EC2 AttachNetworkInterface instead " +
      "(for emulators and accounts where the stack may not attach).",
    options: [
      INFRA_ID_OPTION,
      {
        flags: "--interfaces <n>",
        description: "extra ENIs per metal worker, device index 1 and up (1-4)",
        default: 1,
        parse: intOption("--interfaces", 1),
      },
      {
        flags: "--attach-with <how>",
        description: "who attaches the ENIs",
        choices: ["cloudformation", "ec2"],
        default: "cloudformation",
      },
      {
        flags: "--cidr <zone=cidr>",
        description:
          "data subnet CIDR for a zone (repeatable); others are chosen free from the top of the VPC",
        parse: listOption,
      },
      {
        flags: "--instance-ids <ids>",
        description: "use only these metal workers (comma-separated or repeated)",
        parse: listOption,
        was: ["--instance"],
      },
      {
        flags: "--template <file>",
        description: "deploy this template instead of the built-in one (same parameters)",
      },
      ...AWS_OPTIONS,
    ],
    output: ["table", "json", "yaml"],
    examples: [
      {
        cmd: "llw aws network up --infra-id mycluster-x7k2p --interfaces 2",
        what: "two data interfaces on every metal worker",
      },
      {
        cmd: "llw aws network up --infra-id mycluster-x7k2p --cidr us-east-2a=10.0.200.0/24 -o json",
        what: "choose the CIDR for one zone",
      },
    ],
    load: () => import("./aws-network-up.ts"),
  },
  {
    path: ["aws", "network", "down"],
    summary: "Remove the data network: only what its stack created (ENIs llw attached are detached first)",
    options: [INFRA_ID_OPTION, ...AWS_OPTIONS],
    output: ["table", "json", "yaml"],
    examples: [
      {
        cmd: "llw aws network down --infra-id mycluster-x7k2p",
        what: "delete the stack and its subnets, security group and ENIs",
      },
    ],
    load: () => import("./aws-network-down.ts"),
  },
  {
    path: ["aws", "network", "status"],
    summary: "Show the data network stack, its subnets and where each ENI is attached",
    options: [INFRA_ID_OPTION, ...AWS_OPTIONS],
    output: ["table", "json", "yaml"],
    examples: [
      {
        cmd: "llw aws network status --infra-id mycluster-x7k2p",
        what: "stack status and the ENIs per worker",
      },
    ],
    load: () => import("./aws-network-status.ts"),
  },
];
