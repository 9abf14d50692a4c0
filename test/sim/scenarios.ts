/**
 * Named starting states, loaded the same way by tests, benchmarks and `npm run sim`. Each is a
 * cluster spec plus what to apply once the controllers run; the simulator then lets the cluster
 * converge (rollouts, operators, VMs) before handing it over, so a tuned cluster is tuned by the
 * same controllers a test later exercises.
 */
import type { Obj } from "./apiserver.ts";
import { type ClusterSpec, defaultWorkers, repositoryTuning, settlePool } from "./cluster.ts";
import type { Sim } from "./index.ts";

export type Operator = "gitops" | "sriov" | "cnv";

export interface Scenario {
  name: string;
  description: string;
  cluster: ClusterSpec;
  operators: Operator[];
  /** Applied once the controllers run; the cluster then converges before use. */
  setup?: (sim: Sim) => void;
  /** Applied after setup has converged (workloads on a tuned cluster), then converged again. */
  workloads?: (sim: Sim) => void;
}

const MC = "machineconfiguration.openshift.io/v1";
const WORKSHOP_NS = "low-latency-workshop";

/** Moves workers into the repository's worker-rt pool and applies its profile for their type. */
export function tune(sim: Sim, instanceType = "c5.metal", nodes?: string[]): Obj {
  const { api } = sim;
  const { profile, pool } = repositoryTuning(instanceType);
  api.seed(pool);
  const workers = api
    .list("v1", "Node")
    .filter((n) => "node-role.kubernetes.io/worker" in (n.metadata.labels ?? {}));
  for (const n of workers.filter((w) => !nodes || nodes.includes(w.metadata.name)))
    api.update("v1", "Node", n.metadata.name, undefined, {
      metadata: { labels: { "node-role.kubernetes.io/worker-rt": "" } },
    });
  // The nodes were labelled before the pool existed: they start on worker-rt's first render.
  settlePool(sim.ctx, "worker-rt");
  settlePool(sim.ctx, "worker");
  api.seed(profile);
  return profile;
}

function workshopNamespace(sim: Sim): void {
  const { api } = sim;
  if (api.get("v1", "Namespace", WORKSHOP_NS)) return;
  api.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: WORKSHOP_NS } });
}

function hyperConverged(sim: Sim, spec: Obj = {}): void {
  sim.api.seed({
    apiVersion: "hco.kubevirt.io/v1beta1",
    kind: "HyperConverged",
    metadata: { name: "kubevirt-hyperconverged", namespace: "openshift-cnv" },
    spec,
  });
}

/** A low-latency VM without its own evictionStrategy: it takes the cluster's (LiveMigrate here). */
export function pinnedVm(name = "low-latency-vm", evictionStrategy?: string): Obj {
  return {
    apiVersion: "kubevirt.io/v1",
    kind: "VirtualMachine",
    metadata: { name, namespace: WORKSHOP_NS },
    spec: {
      runStrategy: "Always",
      template: {
        metadata: { labels: { "kubevirt.io/domain": name } },
        spec: {
          ...(evictionStrategy ? { evictionStrategy } : {}),
          domain: {
            cpu: {
              cores: 4,
              sockets: 1,
              threads: 1,
              dedicatedCpuPlacement: true,
              isolateEmulatorThread: true,
              model: "host-passthrough",
            },
            memory: { guest: "4Gi", hugepages: { pageSize: "1Gi" } },
            devices: { disks: [{ name: "rootdisk", disk: { bus: "virtio" } }] },
          },
          volumes: [{ name: "rootdisk", containerDisk: { image: "quay.io/containerdisks/fedora:42" } }],
        },
      },
    },
  };
}

/**
 * One worker MachineSet per worker's zone, as the installer creates them on AWS (shape of
 * `oc get machinesets -n openshift-machine-api -o yaml`, test/aws/fixtures/worker-machinesets.yaml),
 * each with the Machine of its running worker.
 */
function workerMachineSets(sim: Sim): void {
  const { api } = sim;
  const infra = api.get("config.openshift.io/v1", "Infrastructure", "cluster")!.status.infrastructureName;
  const MAPI = "machine.openshift.io/v1beta1";
  for (const n of api
    .list("v1", "Node")
    .filter((x) => "node-role.kubernetes.io/worker" in x.metadata.labels)) {
    const zone = n.metadata.labels["topology.kubernetes.io/zone"];
    const name = `${infra}-worker-${zone}`;
    const labels = {
      "machine.openshift.io/cluster-api-cluster": infra,
      "machine.openshift.io/cluster-api-machine-role": "worker",
      "machine.openshift.io/cluster-api-machine-type": "worker",
      "machine.openshift.io/cluster-api-machineset": name,
    };
    const spec = {
      lifecycleHooks: {},
      metadata: {},
      providerSpec: {
        value: {
          apiVersion: "machine.openshift.io/v1beta1",
          kind: "AWSMachineProviderConfig",
          ami: { id: "ami-0a1b2c3d4e5f67890" },
          blockDevices: [
            { ebs: { encrypted: true, iops: 0, kmsKey: { arn: "" }, volumeSize: 120, volumeType: "gp3" } },
          ],
          credentialsSecret: { name: "aws-cloud-credentials" },
          deviceIndex: 0,
          iamInstanceProfile: { id: `${infra}-worker-profile` },
          instanceType: n.metadata.labels["node.kubernetes.io/instance-type"],
          metadata: { creationTimestamp: null },
          metadataServiceOptions: {},
          placement: { availabilityZone: zone, region: zone.slice(0, -1) },
          securityGroups: [
            { filters: [{ name: "tag:Name", values: [`${infra}-node`] }] },
            { filters: [{ name: "tag:Name", values: [`${infra}-lb`] }] },
          ],
          subnet: { filters: [{ name: "tag:Name", values: [`${infra}-subnet-private-${zone}`] }] },
          tags: [{ name: `kubernetes.io/cluster/${infra}`, value: "owned" }],
          userDataSecret: { name: "worker-user-data" },
        },
      },
    };
    const machine = `${name}-${n.metadata.uid.slice(0, 5)}`;
    api.seed({
      apiVersion: MAPI,
      kind: "MachineSet",
      metadata: {
        name,
        namespace: "openshift-machine-api",
        labels: { "machine.openshift.io/cluster-api-cluster": infra },
      },
      spec: {
        replicas: 1,
        selector: {
          matchLabels: {
            "machine.openshift.io/cluster-api-cluster": infra,
            "machine.openshift.io/cluster-api-machineset": name,
          },
        },
        template: { metadata: { labels }, spec },
      },
    });
    api.seed({
      apiVersion: MAPI,
      kind: "Machine",
      metadata: {
        name: machine,
        namespace: "openshift-machine-api",
        labels: {
          ...labels,
          "machine.openshift.io/instance-type": spec.providerSpec.value.instanceType,
          "machine.openshift.io/region": zone.slice(0, -1),
          "machine.openshift.io/zone": zone,
        },
        annotations: { "machine.openshift.io/instance-state": "running" },
        finalizers: ["machine.machine.openshift.io"],
        ownerReferences: [
          {
            apiVersion: MAPI,
            kind: "MachineSet",
            name,
            uid: api.get(MAPI, "MachineSet", name, "openshift-machine-api")!.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: { ...spec, providerID: n.spec.providerID },
      status: {
        phase: "Running",
        nodeRef: { kind: "Node", name: n.metadata.name, uid: n.metadata.uid },
        providerStatus: { instanceId: n.spec.providerID.split("/").pop(), instanceState: "running" },
      },
    });
    api.update("v1", "Node", n.metadata.name, undefined, {
      metadata: { annotations: { "machine.openshift.io/machine": `openshift-machine-api/${machine}` } },
    });
  }
}

const ALL: Operator[] = ["gitops", "sriov", "cnv"];
const VERSIONS: Record<string, string> = {
  "4.19": "4.19.10",
  "4.20": "4.20.6",
  "4.21": "4.21.2",
  "4.22": "4.22.0",
};

export const SCENARIOS: Scenario[] = [
  {
    name: "fresh-c5-metal",
    description:
      "OpenShift 4.19 on AWS, 3 masters and 2 c5.metal workers, nothing of the workshop installed (start of Module 1)",
    cluster: { version: VERSIONS["4.19"]!, workers: defaultWorkers() },
    operators: [],
  },
  {
    name: "fresh-no-metal",
    description:
      "OpenShift 4.20 on AWS as the installer leaves it: 3 masters, 2 m6i.xlarge workers from one worker MachineSet per zone, no metal worker, nothing of the workshop installed (the self-paced start of the workshop)",
    cluster: {
      version: VERSIONS["4.20"]!,
      workers: [
        { name: "ip-10-0-16-20.us-east-2.compute.internal", instanceType: "m6i.xlarge", zone: "us-east-2a" },
        { name: "ip-10-0-48-21.us-east-2.compute.internal", instanceType: "m6i.xlarge", zone: "us-east-2b" },
      ],
    },
    operators: [],
    setup: workerMachineSets,
  },
  {
    name: "untuned-c5-metal",
    description:
      "the workshop's operators installed (GitOps, SR-IOV, Virtualization), 2 c5.metal workers in the worker pool, no PerformanceProfile",
    cluster: { version: VERSIONS["4.19"]!, workers: defaultWorkers() },
    operators: ALL,
    setup: (sim) => hyperConverged(sim),
  },
  {
    name: "tuned-c5-metal",
    description:
      "untuned-c5-metal after Module 2: both workers in worker-rt, the repository's workshop-c5-metal profile rolled out (hugepages, reserved CPUs, RuntimeClass)",
    cluster: { version: VERSIONS["4.19"]!, workers: defaultWorkers() },
    operators: ALL,
    setup: (sim) => {
      hyperConverged(sim, { defaultRuntimeClass: "performance-workshop-c5-metal" });
      tune(sim);
      workshopNamespace(sim);
    },
  },
  {
    name: "degraded-pool",
    description:
      "untuned-c5-metal whose worker pool is Degraded: one node reports an unexpected on-disk state",
    cluster: { version: VERSIONS["4.19"]!, workers: defaultWorkers() },
    operators: ALL,
    setup: (sim) => {
      const { api } = sim;
      const n = defaultWorkers()[1]!.name;
      const pool = api.get(MC, "MachineConfigPool", "worker")!;
      api.update("v1", "Node", n, undefined, {
        metadata: {
          annotations: {
            "machineconfiguration.openshift.io/state": "Degraded",
            "machineconfiguration.openshift.io/reason": `unexpected on-disk state validating against ${pool.spec.configuration.name}: content mismatch for file "/etc/kubernetes/kubelet.conf"`,
          },
        },
      });
    },
  },
  {
    name: "drain-blocked-by-vm",
    description:
      "one c5.metal worker tuned in worker-rt running a low-latency VM that takes the cluster's LiveMigrate eviction strategy: the VM can only run on that node, so any rollout of worker-rt never finishes its drain",
    cluster: { version: VERSIONS["4.19"]!, workers: defaultWorkers() },
    operators: ALL,
    setup: (sim) => {
      hyperConverged(sim, { defaultRuntimeClass: "performance-workshop-c5-metal" });
      tune(sim, "c5.metal", [defaultWorkers()[0]!.name]);
      workshopNamespace(sim);
    },
    workloads: (sim) => sim.api.seed(pinnedVm()),
  },
  {
    name: "drain-blocked-by-pdb",
    description:
      "tuned-c5-metal with one worker in worker-rt running a single-replica app whose PodDisruptionBudget allows no disruption: the drain of any worker-rt rollout is refused",
    cluster: { version: VERSIONS["4.19"]!, workers: defaultWorkers() },
    operators: ALL,
    setup: (sim) => {
      hyperConverged(sim);
      tune(sim, "c5.metal", [defaultWorkers()[0]!.name]);
      workshopNamespace(sim);
    },
    workloads: (sim) => {
      sim.api.seed(
        {
          apiVersion: "policy/v1",
          kind: "PodDisruptionBudget",
          metadata: { name: "latency-probe", namespace: WORKSHOP_NS },
          spec: { minAvailable: 1, selector: { matchLabels: { app: "latency-probe" } } },
        },
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "latency-probe-0", namespace: WORKSHOP_NS, labels: { app: "latency-probe" } },
          spec: {
            serviceAccountName: "default",
            nodeSelector: { "node-role.kubernetes.io/worker-rt": "" },
            containers: [
              {
                name: "probe",
                image: "registry.access.redhat.com/ubi9/ubi-minimal",
                resources: { requests: { cpu: "1", memory: "256Mi" }, limits: { cpu: "1", memory: "256Mi" } },
              },
            ],
          },
          status: { phase: "Pending" },
        },
      );
    },
  },
  ...Object.entries(VERSIONS).map(([minor, version]) => ({
    name: `ocp-${minor}`,
    description: `untuned-c5-metal on OpenShift ${version} (Kubernetes ${({ "4.19": "1.32", "4.20": "1.33", "4.21": "1.34", "4.22": "1.35" } as Record<string, string>)[minor]}${minor === "4.22" ? "; the SR-IOV operator sees the extra ENA interfaces" : "; the SR-IOV operator sees no ENA interface"})`,
    cluster: { version, workers: defaultWorkers() },
    operators: ALL,
    setup: (sim: Sim) => hyperConverged(sim),
  })),
];

export function scenario(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown scenario "${name}"; known: ${SCENARIOS.map((x) => x.name).join(", ")}`);
  return s;
}
