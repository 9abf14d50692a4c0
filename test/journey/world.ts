/**
 * The world the journey runs the lab guides against: the fake OpenShift API server of the
 * workshop's tests (test/helpers/fake-apiserver.ts, speaking the real HTTP protocol to kubectl
 * and to llw's @kubernetes/client-node) with small simulated controllers, and the EC2 emulator
 * moto_server for AWS. It starts as an instructor-provisioned cluster before the workshop: one
 * c5.metal worker in the worker-rt pool, its EC2 instance tagged with the cluster tag, nothing of
 * the workshop installed. Each controller states what it simplifies.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
} from "@aws-sdk/client-cloudformation";
import {
  AttachNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { parseAllDocuments } from "yaml";
import { PRESENT_MARK, PROBE_MARK } from "../../src/cluster/doctor/node-probe.ts";
import { FakeApiServer, type Obj } from "../helpers/fake-apiserver.ts";
import {
  ARGO_RESOURCES,
  CNV_RESOURCES,
  cond,
  csv,
  node,
  OPENSHIFT_RESOURCES,
  pool,
  SRIOV_RESOURCES,
  seedOpenShift,
  simulateArgo,
  simulateGitopsOperator,
  simulateMco,
  simulateOlm,
  tunedCmdline,
} from "../helpers/fake-openshift.ts";
import { type Moto, startMoto } from "../helpers/moto.ts";
import { ROOT } from "../helpers/tools.ts";

export const INFRA_ID = "journey-x7k2p";
export const REGION = "us-east-2";
export const OCP = "4.20.3";
const METAL = "ip-10-0-1-10.us-east-2.compute.internal";
const AMI = "ami-12c6146b"; // one of moto's built-in images

export interface JourneyWorld {
  api: FakeApiServer;
  moto: Moto;
  kubeconfig: string;
  /** Environment for the attendee's shell: AWS pointed at the emulator. */
  env: Record<string, string>;
  /** AsciiDoc attributes a lab environment would set for this cluster. */
  attributes: Record<string, string>;
  mco: ReturnType<typeof simulateMco>;
  /** Runs before each block: what the EC2 emulator leaves undone for CloudFormation (see fillCloudFormationGaps). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** The Application names of the default install (gitops/bootstrap, built with the real kubectl). */
function bootstrapApplications(kubectl: string): string[] {
  const out = execFileSync(kubectl, ["kustomize", join(ROOT, "gitops", "bootstrap")], { encoding: "utf8" });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Obj)
    .filter((o) => o?.kind === "Application")
    .map((o) => o.metadata.name as string);
}

export async function startJourneyWorld(dir: string, kubectl: string): Promise<JourneyWorld> {
  const moto = await startMoto();
  const ec2 = moto.ec2(REGION);
  const clusterTag = { Key: `kubernetes.io/cluster/${INFRA_ID}`, Value: "owned" };
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!.VpcId!;
  const subnet = (
    await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc,
        CidrBlock: "10.0.0.0/20",
        AvailabilityZone: `${REGION}a`,
        TagSpecifications: [
          {
            ResourceType: "subnet",
            Tags: [clusterTag, { Key: "Name", Value: `${INFRA_ID}-subnet-private-${REGION}a` }],
          },
        ],
      }),
    )
  ).Subnet!.SubnetId!;
  const run = async (type: string, name: string) =>
    (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: AMI,
          InstanceType: type as never,
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnet,
          TagSpecifications: [{ ResourceType: "instance", Tags: [clusterTag, { Key: "Name", Value: name }] }],
        }),
      )
    ).Instances![0]!.InstanceId!;
  const metalId = await run("c5.metal", `${INFRA_ID}-worker-rt-${REGION}a-x1`);
  await run("m6i.xlarge", `${INFRA_ID}-worker-${REGION}a-y2`);

  // kubectl resolves the short names the guides use (`oc get csv`, `oc get mcp`, `vm`, `vmi`) from
  // discovery: the served resources carry OpenShift's and KubeVirt's real short names.
  for (const [kind, names] of Object.entries(shortNames()))
    for (const d of [...OPENSHIFT_RESOURCES, ...SRIOV_RESOURCES, ...CNV_RESOURCES, ...ARGO_RESOURCES])
      if (d.kind === kind) d.shortNames = names;
  const api = await FakeApiServer.start();
  seedOpenShift(api, {
    version: OCP,
    workers: [
      { name: METAL, instanceType: "c5.metal" },
      { name: "ip-10-0-1-20.us-east-2.compute.internal", instanceType: "m6i.xlarge" },
    ],
  });
  api.addResources([...SRIOV_RESOURCES, ...CNV_RESOURCES, MACHINE]);
  api.update("config.openshift.io/v1", "Infrastructure", "cluster", undefined, {
    status: { infrastructureName: INFRA_ID, platformStatus: { type: "AWS", aws: { region: REGION } } },
  });
  // The metal worker: in the worker-rt pool, its providerID naming the emulator's instance.
  const metal = node(METAL, "worker", "c5.metal", { config: "rendered-worker-rt-0" });
  api.update("v1", "Node", METAL, undefined, {
    metadata: {
      labels: { "node-role.kubernetes.io/worker-rt": "" },
      annotations: metal.metadata.annotations,
    },
    spec: { providerID: `aws:///${REGION}a/${metalId}` },
  });
  // The instructor's metal MachineSet and its Machine (what `llw aws machineset` would have written).
  const metalSet = `${INFRA_ID}-worker-rt-${REGION}a`;
  const machineLabels = {
    "machine.openshift.io/cluster-api-cluster": INFRA_ID,
    "machine.openshift.io/cluster-api-machine-role": "worker-rt",
    "machine.openshift.io/cluster-api-machine-type": "worker-rt",
    "machine.openshift.io/cluster-api-machineset": metalSet,
  };
  api.seed(
    {
      apiVersion: "machine.openshift.io/v1beta1",
      kind: "MachineSet",
      metadata: {
        name: metalSet,
        namespace: "openshift-machine-api",
        labels: { "machine.openshift.io/cluster-api-cluster": INFRA_ID },
      },
      spec: {
        replicas: 1,
        selector: { matchLabels: machineLabels },
        template: { metadata: { labels: machineLabels } },
      },
      status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 },
    },
    {
      apiVersion: "machine.openshift.io/v1beta1",
      kind: "Machine",
      metadata: { name: `${metalSet}-x1`, namespace: "openshift-machine-api", labels: machineLabels },
      spec: { providerID: `aws:///${REGION}a/${metalId}` },
      status: { phase: "Running", nodeRef: { kind: "Node", name: METAL } },
    },
  );
  api.seed(pool("worker-rt", 1, "rendered-worker-rt-0"), {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "cluster-node-tuning-operator", namespace: "openshift-cluster-node-tuning-operator" },
    spec: { replicas: 1 },
    status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 },
  });

  simulateOlm(api, {
    name: "openshift-gitops-operator",
    namespace: "openshift-gitops-operator",
    csv: "openshift-gitops-operator.v1.18.1",
    provides: ARGO_RESOURCES,
  });
  simulateGitopsOperator(api, { csv: "openshift-gitops-operator.v1.18.1" });
  const children = bootstrapApplications(kubectl);
  simulateArgo(api, children);
  argoDeploys(api, children);
  const mco = simulateMco(api, { pool: "worker-rt" });
  nodeTuning(api);
  kubelet(api);
  kubevirt(api);
  namespaces(api);

  // The attendee's AWS calls go through a proxy that first does what moto leaves undone for
  // CloudFormation (see fillCloudFormationGaps), so each call sees what AWS would show.
  const proxy = await gapFillingProxy(moto);
  const kubeconfig = api.writeKubeconfig(dir);
  return {
    api,
    moto,
    kubeconfig,
    env: { ...moto.env(REGION), AWS_ENDPOINT_URL: proxy.endpoint, AWS_DEFAULT_REGION: REGION },
    attributes: {
      "infra-id": INFRA_ID,
      "aws-region": REGION,
      "ocp-version": OCP.split(".").slice(0, 2).join("."),
    },
    mco,
    settle: () => fillCloudFormationGaps(moto),
    async stop() {
      proxy.close();
      await api.stop();
      await moto.stop();
    },
  };
}

/**
 * Short names as the upstream CRDs the repository ships declare them (schemas/, spec.names.shortNames),
 * and KubeVirt's, whose CRDs are not shipped there (kubevirt pkg/virt-operator/resource/generate/components/crds.go).
 */
function shortNames(): Record<string, string[]> {
  const out: Record<string, string[]> = {
    VirtualMachine: ["vm", "vms"],
    VirtualMachineInstance: ["vmi", "vmis"],
  };
  for (const f of readdirSync(join(ROOT, "schemas")).filter((x) => x.endsWith(".yaml"))) {
    for (const d of parseAllDocuments(readFileSync(join(ROOT, "schemas", f), "utf8"))) {
      const o = d.toJS() as Obj | null;
      const n = o?.kind === "CustomResourceDefinition" ? o.spec?.names : undefined;
      if (n?.shortNames) out[n.kind] = n.shortNames;
    }
  }
  return out;
}

async function gapFillingProxy(moto: Moto): Promise<{ endpoint: string; close(): void }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    await fillCloudFormationGaps(moto).catch(() => undefined);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === "string" && k !== "host") headers[k] = v;
    const up = await fetch(`${moto.endpoint}${req.url}`, {
      method: req.method ?? "GET",
      headers,
      ...(chunks.length > 0 && { body: Buffer.concat(chunks) }),
    });
    res.writeHead(up.status, { "content-type": up.headers.get("content-type") ?? "text/xml" });
    res.end(Buffer.from(await up.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * moto 5 emulates CloudFormation but skips AWS::EC2::NetworkInterfaceAttachment and, on stack
 * deletion, leaves the stack's ENIs (test/aws/network.test.ts shows both). AWS performs both: the
 * attachment resource attaches the ENI at its DeviceIndex, and deleting a stack deletes every
 * resource it created (AWS CloudFormation user guide, "Deleting a stack"). This does what AWS would
 * have done, from the stack's own parameters and resources.
 */
async function fillCloudFormationGaps(moto: Moto): Promise<void> {
  const cfn = new CloudFormationClient({
    region: REGION,
    endpoint: moto.endpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  const ec2 = moto.ec2(REGION);
  const name = `${INFRA_ID}-llw-data-network`;
  const stack = (await cfn.send(new DescribeStacksCommand({})).catch(() => ({ Stacks: [] }))).Stacks?.find(
    (x) => x.StackName === name && x.StackStatus !== "DELETE_COMPLETE",
  );
  const enis =
    (
      await ec2.send(
        new DescribeNetworkInterfacesCommand({
          Filters: [{ Name: "tag:llw:role", Values: ["data-interface"] }],
        }),
      )
    ).NetworkInterfaces ?? [];
  if (!stack) {
    for (const e of enis.filter((x) =>
      x.TagSet?.some((t) => t.Key === "llw:infra-id" && t.Value === INFRA_ID),
    )) {
      if (e.Attachment?.AttachmentId)
        await ec2.send(
          new DetachNetworkInterfaceCommand({ AttachmentId: e.Attachment.AttachmentId, Force: true }),
        );
      await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: e.NetworkInterfaceId }));
    }
    return;
  }
  const param = (k: string) => stack.Parameters?.find((x) => x.ParameterKey === k)?.ParameterValue ?? "";
  if (param("AttachInterfaces") !== "true") return;
  const resources =
    (await cfn.send(new ListStackResourcesCommand({ StackName: name }))).StackResourceSummaries ?? [];
  for (const r of resources) {
    const m = /^Worker(\d)Interface(\d)$/.exec(r.LogicalResourceId ?? "");
    if (!m || !r.PhysicalResourceId) continue;
    const instance = param(`WorkerInstanceId${m[1]}`);
    const eni = enis.find((e) => e.NetworkInterfaceId === r.PhysicalResourceId);
    if (!instance || !eni || eni.Attachment?.InstanceId) continue;
    await ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eni.NetworkInterfaceId,
        InstanceId: instance,
        DeviceIndex: Number(m[2]),
      }),
    );
  }
}

const MACHINE = {
  group: "machine.openshift.io",
  version: "v1beta1",
  kind: "Machine",
  plural: "machines",
  namespaced: true,
  status: true,
};

const OWNED = "journey.low-latency.io/deployed-by-argo";
const CORE = ["Pod", "ConfigMap", "Secret", "ServiceAccount", "Service", "Event"].map((kind) => ({
  group: "",
  version: "v1",
  kind,
  namespaced: true,
}));
const ALL_DEFS = [...CORE, ...OPENSHIFT_RESOURCES, ...SRIOV_RESOURCES, ...CNV_RESOURCES];
const apiVersionOf = (d: { group: string; version: string }) =>
  d.group ? `${d.group}/${d.version}` : d.version;

/**
 * Argo CD deploying the tree, simplified: when the root Application appears, the Operators the
 * default install brings (SR-IOV, OpenShift Virtualization) are Succeeded and the HyperConverged
 * is Available; deleting the root Application deletes its children and what they deployed (the
 * resources-finalizer cascade of argoproj/argo-cd, docs/user-guide/app_deletion.md).
 */
function argoDeploys(api: FakeApiServer, children: string[]): void {
  const APP = "argoproj.io/v1alpha1";
  const mark = (o: Obj): Obj => ({
    ...o,
    metadata: { ...o.metadata, labels: { ...o.metadata.labels, [OWNED]: "true" } },
  });
  api.controller((ev) => {
    const o = ev.object;
    if (o.kind !== "Application" || children.includes(o.metadata.name)) return;
    if (ev.type === "ADDED") {
      for (const [pkg, ns, name] of [
        ["sriov-network-operator", "openshift-sriov-network-operator", "sriov-network-operator.v4.20.0"],
        ["kubevirt-hyperconverged", "openshift-cnv", "kubevirt-hyperconverged-operator.v4.20.2"],
      ] as const) {
        if (api.get("operators.coreos.com/v1alpha1", "ClusterServiceVersion", name, ns)) continue;
        api.seed(
          mark({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }),
          mark({
            apiVersion: "operators.coreos.com/v1alpha1",
            kind: "Subscription",
            metadata: { name: pkg, namespace: ns },
            spec: {
              name: pkg,
              channel: "stable",
              source: "redhat-operators",
              sourceNamespace: "openshift-marketplace",
            },
            status: { currentCSV: name, installedCSV: name, state: "AtLatestKnown" },
          }),
          mark(csv(name, ns, "Succeeded")),
        );
      }
      if (!api.get("hco.kubevirt.io/v1beta1", "HyperConverged", "kubevirt-hyperconverged", "openshift-cnv")) {
        api.seed(
          mark({
            apiVersion: "hco.kubevirt.io/v1beta1",
            kind: "HyperConverged",
            metadata: { name: "kubevirt-hyperconverged", namespace: "openshift-cnv" },
            spec: {},
            status: { conditions: [cond("Available", "True"), cond("Degraded", "False")] },
          }),
        );
      }
      for (const n of api.list("v1", "Node")) {
        if (!/metal$/.test(n.metadata.labels?.["node.kubernetes.io/instance-type"] ?? "")) continue;
        api.update("v1", "Node", n.metadata.name, undefined, {
          status: {
            capacity: { "devices.kubevirt.io/kvm": "1k" },
            allocatable: { "devices.kubevirt.io/kvm": "1k" },
          },
        });
      }
    }
    if (ev.type === "DELETED") {
      for (const c of children) api.remove(APP, "Application", c, o.metadata.namespace);
      for (const def of ALL_DEFS) {
        for (const x of api.list(apiVersionOf(def), def.kind)) {
          if (x.metadata.labels?.[OWNED])
            api.remove(x.apiVersion, x.kind, x.metadata.name, x.metadata.namespace);
        }
      }
    }
  });
}

/**
 * The Node Tuning Operator, simplified: a PerformanceProfile becomes Available with its
 * RuntimeClass performance-<name> (carrying the profile's node selector), and the nodes it
 * selects offer its 1G hugepages (cluster-node-tuning-operator, pkg/performanceprofile/controller).
 */
function nodeTuning(api: FakeApiServer): void {
  api.controller((ev) => {
    const p = ev.object;
    if (p.kind !== "PerformanceProfile") return;
    if (ev.type === "DELETED") {
      api.remove("node.k8s.io/v1", "RuntimeClass", `performance-${p.metadata.name}`);
      return;
    }
    if (p.status?.runtimeClass) return;
    const name = p.metadata.name as string;
    api.update(p.apiVersion, p.kind, name, undefined, {
      status: {
        conditions: [
          cond("Available", "True", "AsExpected"),
          cond("Progressing", "False"),
          cond("Degraded", "False"),
        ],
        runtimeClass: `performance-${name}`,
        tuned: `openshift-cluster-node-tuning-operator/openshift-node-performance-${name}`,
      },
    });
    if (!api.get("node.k8s.io/v1", "RuntimeClass", `performance-${name}`))
      api.seed({
        apiVersion: "node.k8s.io/v1",
        kind: "RuntimeClass",
        metadata: { name: `performance-${name}` },
        handler: "high-performance",
        scheduling: { nodeSelector: { ...p.spec.nodeSelector } },
      });
    const gi = ((p.spec.hugepages?.pages ?? []) as { size: string; count: number }[])
      .filter((x) => x.size === "1G")
      .reduce((n, x) => n + x.count, 0);
    const role = Object.keys(p.spec.nodeSelector ?? {})[0] ?? "";
    for (const n of api.list("v1", "Node")) {
      if (!(role in (n.metadata.labels ?? {}))) continue;
      api.update("v1", "Node", n.metadata.name, undefined, {
        status: { capacity: { "hugepages-1Gi": `${gi}Gi` }, allocatable: { "hugepages-1Gi": `${gi}Gi` } },
      });
    }
  });
}

const HWLAT = (cpus: string) => `hwlatdetect:  test duration 2 seconds
   detector: tracer
   parameters:
        CPU list:          ${cpus}
        Latency threshold: 10us
        Sample window:     1000000us
        Sample width:      500000us
     Non-sampling period:  500000us
        Output File:       None

Starting test
test finished
Max Latency: 12us
Samples recorded: 1
Samples exceeding threshold: 1
SMIs during run: 0
ts: 1764273600.123456789, inner:12, outer:11
`;

/**
 * The output of a jitter pod: the real oslat and cyclictest of this machine, run for 2 seconds, once
 * per tool. No simulation tunes a kernel, so "before" and "after" get the same recording, and a
 * comparison of them must find no significant change.
 */
const recorded = new Map<string, string>();
function jitterLog(pod: Obj): string {
  const tool = String(pod.metadata.name).split("-")[0]!;
  if (!recorded.has(tool)) recorded.set(tool, recordJitter(pod, tool));
  return recorded.get(tool)!;
}
function recordJitter(pod: Obj, tool: string): string {
  const image = pod.spec.containers?.[0] ?? {};
  const env = Object.fromEntries(
    ((image.env ?? []) as { name: string; value: string }[]).map((e) => [e.name, e.value]),
  );
  const opt = { encoding: "utf8" as const, timeout: 30_000 };
  if (tool === "oslat") return execFileSync("oslat", ["-D", "2", "-c", "0"], opt);
  if (tool === "cyclictest")
    return execFileSync(
      "cyclictest",
      [
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
      ],
      opt,
    );
  // hwlatdetect needs the kernel's hwlat tracer, which this machine lacks: its output is built from
  // the print statements of rt-tests' hwlatdetect.py.
  return HWLAT(env.LATENCY_TEST_CPUS ?? "2-3");
}

/**
 * The kubelet, simplified. A pod is scheduled on the metal worker (or the node its spec names);
 * short-lived pods (the jitter pods of llw-latency, the debug pods of llw doctor) run to
 * completion with their output as log; every other pod runs and is Ready, with the QoS class the
 * kubelet computes (Guaranteed when every container's requests equal its limits for cpu and memory:
 * kubernetes pkg/apis/core/helper/qos).
 */
function kubelet(api: FakeApiServer): void {
  const qos = (pod: Obj): string => {
    const cs = (pod.spec.containers ?? []) as Obj[];
    const guaranteed = cs.every((c) =>
      ["cpu", "memory"].every(
        (r) =>
          c.resources?.limits?.[r] !== undefined &&
          (c.resources?.requests?.[r] ?? c.resources.limits[r]) === c.resources.limits[r],
      ),
    );
    if (guaranteed) return "Guaranteed";
    return cs.some((c) => c.resources?.requests || c.resources?.limits) ? "Burstable" : "BestEffort";
  };
  api.controller((ev) => {
    const pod = ev.object;
    if (pod.kind !== "Pod" || ev.type !== "ADDED") return;
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name;
    const nodeName = pod.spec.nodeName ?? METAL;
    const finishes = ns === "llw-latency" || pod.metadata.annotations?.["debug.openshift.io/source-resource"];
    if (finishes) {
      let log: string;
      let ok = true;
      try {
        if (ns === "llw-latency") log = jitterLog(pod);
        else {
          const profile = api.list("performance.openshift.io/v2", "PerformanceProfile")[0];
          log = profile
            ? `${tunedCmdline(profile)}\n${PROBE_MARK}\n${profile.spec.cpu.isolated}\n${PRESENT_MARK}\n0-95\n`
            : `BOOT_IMAGE=/ostree/rhcos root=UUID=0\n${PROBE_MARK}\n\n${PRESENT_MARK}\n0-95\n`;
        }
      } catch (e) {
        log = String((e as Error).message);
        ok = false;
      }
      api.setLog(ns, name, log);
      api.update("v1", "Pod", name, ns, {
        spec: { nodeName },
        status: {
          phase: ok ? "Succeeded" : "Failed",
          qosClass: qos(pod),
          containerStatuses: [
            {
              name: pod.spec.containers?.[0]?.name ?? "main",
              ready: false,
              state: { terminated: { exitCode: ok ? 0 : 1, reason: ok ? "Completed" : "Error" } },
            },
          ],
        },
      });
      return;
    }
    // Conditions carry the generation they were observed at, as the kubelet writes them since pod
    // generation tracking (kubernetes KEP-5067); kubectl wait ignores conditions of an older generation.
    const generation = api.update("v1", "Pod", name, ns, { spec: { nodeName } }).metadata.generation;
    api.update("v1", "Pod", name, ns, {
      status: {
        phase: "Running",
        qosClass: qos(pod),
        observedGeneration: generation,
        conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((t) => ({
          ...cond(t, "True"),
          observedGeneration: generation,
        })),
      },
    });
  });
}

/**
 * KubeVirt, simplified: a VirtualMachine with runStrategy Always gets a Running
 * VirtualMachineInstance and a virt-launcher pod (label vm.kubevirt.io/name, the HyperConverged's
 * defaultRuntimeClass, Guaranteed when dedicatedCpuPlacement asks for it) and the condition Ready;
 * Halted removes both (kubevirt pkg/virt-controller/watch/vm.go). `virtctl stop` sets Halted.
 */
function kubevirt(api: FakeApiServer): void {
  const KV = "kubevirt.io/v1";
  api.controller((ev) => {
    const vm = ev.object;
    if (vm.kind !== "VirtualMachine" || ev.type === "DELETED") return;
    const ns = vm.metadata.namespace;
    const name = vm.metadata.name;
    const running = (vm.spec.runStrategy ?? (vm.spec.running ? "Always" : "Halted")) !== "Halted";
    const launcher = `virt-launcher-${name}-abcde`;
    const status = vm.status?.printableStatus;
    if (running && status !== "Running") {
      const hco = api.get(
        "hco.kubevirt.io/v1beta1",
        "HyperConverged",
        "kubevirt-hyperconverged",
        "openshift-cnv",
      );
      const dedicated = vm.spec.template?.spec?.domain?.cpu?.dedicatedCpuPlacement === true;
      api.seed(
        {
          apiVersion: KV,
          kind: "VirtualMachineInstance",
          metadata: { name, namespace: ns },
          status: { phase: "Running", nodeName: METAL },
        },
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            name: launcher,
            namespace: ns,
            labels: { "vm.kubevirt.io/name": name, "kubevirt.io": "virt-launcher" },
          },
          spec: {
            nodeName: METAL,
            ...(hco?.spec?.defaultRuntimeClass ? { runtimeClassName: hco.spec.defaultRuntimeClass } : {}),
            containers: [{ name: "compute", image: "virt-launcher" }],
          },
          status: {
            phase: "Running",
            qosClass: dedicated ? "Guaranteed" : "Burstable",
            conditions: [cond("Ready", "True")],
          },
        },
      );
      api.update(KV, "VirtualMachine", name, ns, {
        status: {
          printableStatus: "Running",
          ready: true,
          observedGeneration: vm.metadata.generation,
          conditions: [{ ...cond("Ready", "True"), observedGeneration: vm.metadata.generation }],
        },
      });
    } else if (!running && status !== "Stopped") {
      api.remove(KV, "VirtualMachineInstance", name, ns);
      api.remove("v1", "Pod", launcher, ns);
      api.update(KV, "VirtualMachine", name, ns, {
        status: { printableStatus: "Stopped", ready: false, conditions: [cond("Ready", "False")] },
      });
    }
  });
}

/** Deleting a namespace deletes what is in it (kubernetes namespace controller, simplified: at once). */
function namespaces(api: FakeApiServer): void {
  api.controller((ev) => {
    if (ev.object.kind !== "Namespace" || ev.type !== "DELETED") return;
    const ns = ev.object.metadata.name;
    for (const def of ALL_DEFS.filter((d) => d.namespaced)) {
      for (const x of api.list(apiVersionOf(def), def.kind, ns))
        api.remove(x.apiVersion, x.kind, x.metadata.name, ns);
    }
  });
}
