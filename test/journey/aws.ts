/**
 * The AWS side of the journey: the EC2 emulator moto_server holding the cluster's VPC, subnets,
 * security groups and instances (the simulated nodes' providerIDs name them), the Machine API's
 * cloud (machine-api-provider-aws: RunInstances from a Machine's providerSpec, TerminateInstances),
 * and a proxy in front of moto for the attendee's `aws` and `llw` that does what moto's
 * CloudFormation leaves undone, each time saying so in the journey's output.
 */
import { createServer } from "node:http";
import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
} from "@aws-sdk/client-cloudformation";
import {
  AttachNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { parseCfnYaml } from "../../src/aws/cfn-yaml.ts";
import { MOTO_CREDENTIALS, type Moto, startMoto } from "../helpers/moto.ts";
import type { Obj } from "../sim/apiserver.ts";
import type { Instance, MachineProvider } from "../sim/controllers/machine.ts";
import type { Sim } from "../sim/index.ts";

/** One of moto's built-in images (moto/ec2/resources/amis.json). */
const AMI = "ami-12c6146b";

export interface JourneyAws {
  moto: Moto;
  ec2: EC2Client;
  /** Where the attendee's aws CLI and llw send their calls (the proxy). */
  endpoint: string;
  /** The Machine API's cloud. */
  machines: MachineProvider;
  /** What the proxy did in moto's stead, one line each, for the journey's output. */
  notes: string[];
  stop(): Promise<void>;
}

/** The cluster's network as the installer leaves it: one private subnet per zone, node and lb groups. */
export async function startAws(region: string, infra: string): Promise<JourneyAws> {
  const moto = await startMoto();
  const ec2 = moto.ec2(region);
  const cluster = { Key: `kubernetes.io/cluster/${infra}`, Value: "owned" };
  const tags = (type: string, name: string) => [
    { ResourceType: type as never, Tags: [cluster, { Key: "Name", Value: name }] },
  ];
  const vpc = (
    await ec2.send(
      new CreateVpcCommand({ CidrBlock: "10.0.0.0/16", TagSpecifications: tags("vpc", `${infra}-vpc`) }),
    )
  ).Vpc!.VpcId!;
  for (const [zone, cidr] of [
    [`${region}a`, "10.0.0.0/19"],
    [`${region}b`, "10.0.32.0/19"],
  ] as const)
    await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc,
        CidrBlock: cidr,
        AvailabilityZone: zone,
        TagSpecifications: tags("subnet", `${infra}-subnet-private-${zone}`),
      }),
    );
  for (const sg of ["node", "lb"])
    await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `${infra}-${sg}`,
        Description: `${infra} ${sg}`,
        VpcId: vpc,
        TagSpecifications: tags("security-group", `${infra}-${sg}`),
      }),
    );
  const notes: string[] = [];
  const proxy = await cloudFormationProxy(moto, region, notes);
  return {
    moto,
    ec2,
    endpoint: proxy.endpoint,
    machines: machineProvider(ec2),
    notes,
    async stop() {
      proxy.close();
      await moto.stop();
    },
  };
}

const byName = (name: string) => [{ Name: "tag:Name", Values: [name] }];

/**
 * machine-api-provider-aws (openshift/machine-api-provider-aws, pkg/actuators/machine/instances.go
 * launchInstance): RunInstances with the providerSpec's instance type, AMI, the subnet and security
 * groups its filters find, its tags plus Name = the Machine's name; Delete terminates the instance.
 */
function machineProvider(ec2: EC2Client): MachineProvider {
  return {
    async create(m: Obj): Promise<Instance> {
      const v = m.spec?.providerSpec?.value ?? {};
      const filter = (f: Obj[] | undefined) => (f ?? []).map((x) => ({ Name: x.name, Values: x.values }));
      const subnet = (await ec2.send(new DescribeSubnetsCommand({ Filters: filter(v.subnet?.filters) })))
        .Subnets?.[0];
      if (!subnet) throw new Error(`machine ${m.metadata.name}: no subnet matches its providerSpec`);
      const groups: string[] = [];
      for (const sg of v.securityGroups ?? [])
        for (const g of (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filter(sg.filters) })))
          .SecurityGroups ?? [])
          groups.push(g.GroupId!);
      const i = (
        await ec2.send(
          new RunInstancesCommand({
            ImageId: AMI,
            InstanceType: v.instanceType,
            MinCount: 1,
            MaxCount: 1,
            SubnetId: subnet.SubnetId,
            SecurityGroupIds: groups,
            TagSpecifications: [
              {
                ResourceType: "instance",
                Tags: [
                  ...(v.tags ?? []).map((t: Obj) => ({ Key: t.name, Value: t.value })),
                  { Key: "Name", Value: m.metadata.name },
                ],
              },
            ],
          }),
        )
      ).Instances![0]!;
      return { instanceId: i.InstanceId!, zone: subnet.AvailabilityZone!, privateIp: i.PrivateIpAddress! };
    },
    async delete(_m, instanceId) {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    },
  };
}

/**
 * The simulated cluster's nodes as EC2 instances (the installer's masters and workers), each
 * node's and Machine's providerID pointing at its instance.
 */
export async function registerNodes(aws: JourneyAws, sim: Sim, infra: string): Promise<void> {
  for (const n of sim.api.list("v1", "Node")) {
    const ip = (n.status?.addresses ?? []).find((a: Obj) => a.type === "InternalIP")?.address;
    const zone = n.metadata.labels["topology.kubernetes.io/zone"];
    const subnet = (
      await aws.ec2.send(new DescribeSubnetsCommand({ Filters: byName(`${infra}-subnet-private-${zone}`) }))
    ).Subnets![0]!;
    const role = "node-role.kubernetes.io/master" in n.metadata.labels ? "master" : "worker";
    const id = (
      await aws.ec2.send(
        new RunInstancesCommand({
          ImageId: AMI,
          InstanceType: n.metadata.labels["node.kubernetes.io/instance-type"],
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnet.SubnetId,
          PrivateIpAddress: ip,
          TagSpecifications: [
            {
              ResourceType: "instance",
              Tags: [
                { Key: `kubernetes.io/cluster/${infra}`, Value: "owned" },
                { Key: "Name", Value: `${infra}-${role}-${n.metadata.name.split(".")[0]}` },
              ],
            },
          ],
        }),
      )
    ).Instances![0]!.InstanceId!;
    const providerID = `aws:///${zone}/${id}`;
    sim.api.update("v1", "Node", n.metadata.name, undefined, { spec: { providerID } });
    const machine = n.metadata.annotations?.["machine.openshift.io/machine"]?.split("/")[1];
    if (machine)
      sim.api.update("machine.openshift.io/v1beta1", "Machine", machine, "openshift-machine-api", {
        spec: { providerID },
        status: { providerStatus: { instanceId: id, instanceState: "running" } },
      });
  }
}

/** Instances of the cluster not terminated, by Name tag. */
export async function liveInstances(ec2: EC2Client, infra: string): Promise<Obj[]> {
  const r = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [{ Name: `tag:kubernetes.io/cluster/${infra}`, Values: ["owned"] }],
    }),
  );
  return (r.Reservations ?? [])
    .flatMap((x) => x.Instances ?? [])
    .filter((i) => i.State?.Name !== "terminated" && i.State?.Name !== "shutting-down") as Obj[];
}

type Cfn = Record<string, unknown>;

/** CloudFormation's condition functions over the stack's parameters (Fn::Equals/Not/And/Or, Condition, Ref). */
function evaluate(v: unknown, params: Record<string, string>, conditions: Cfn): unknown {
  if (typeof v !== "object" || v === null) return v;
  const o = v as Cfn;
  if ("Ref" in o) return params[String(o.Ref)] ?? o.Ref;
  if ("Condition" in o) return evaluate(conditions[String(o.Condition)], params, conditions);
  const args = (k: string) => (o[k] as unknown[]).map((x) => evaluate(x, params, conditions));
  if ("Fn::Equals" in o) {
    const [a, b] = args("Fn::Equals");
    return String(a) === String(b);
  }
  if ("Fn::Not" in o) return !args("Fn::Not")[0];
  if ("Fn::And" in o) return args("Fn::And").every(Boolean);
  if ("Fn::Or" in o) return args("Fn::Or").some(Boolean);
  return v;
}

/**
 * moto 5 has no CloudFormation model for AWS::EC2::NetworkInterfaceAttachment (moto
 * cloudformation/parsing.py parse_resource: "not supported by moto's CloudFormation
 * implementation", the resource is skipped) and does not delete a stack's network interfaces
 * with the stack. AWS does both: the attachment resource attaches NetworkInterfaceId to
 * InstanceId at DeviceIndex, with DeleteOnTermination as given (AWS CloudFormation Template
 * Reference, AWS::EC2::NetworkInterfaceAttachment), and deleting a stack deletes every resource it
 * created, dependents first (AWS CloudFormation User Guide, "Delete a stack"). This proxy does
 * exactly that around CreateStack, UpdateStack and DeleteStack, from the stack's own template,
 * parameters and resources, and forwards everything else to moto unchanged.
 */
async function cloudFormationProxy(
  moto: Moto,
  region: string,
  notes: string[],
): Promise<{ endpoint: string; close(): void }> {
  const cfn = new CloudFormationClient({
    region,
    endpoint: moto.endpoint,
    credentials: { ...MOTO_CREDENTIALS },
  });
  const ec2 = moto.ec2(region);
  const stackEnis = async (stack: string) =>
    ((await cfn.send(new ListStackResourcesCommand({ StackName: stack }))).StackResourceSummaries ?? [])
      .filter((r) => r.ResourceType === "AWS::EC2::NetworkInterface" && r.PhysicalResourceId)
      .map((r) => ({ logical: r.LogicalResourceId!, id: r.PhysicalResourceId! }));

  async function attach(stack: string): Promise<void> {
    const s = (await cfn.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0];
    if (!s) return;
    const template = parseCfnYaml(
      (await cfn.send(new GetTemplateCommand({ StackName: stack }))).TemplateBody ?? "{}",
      stack,
    ) as { Parameters?: Cfn; Conditions?: Cfn; Resources?: Record<string, Obj> };
    const params: Record<string, string> = {};
    for (const [k, p] of Object.entries(template.Parameters ?? {}))
      params[k] = String((p as Obj).Default ?? "");
    for (const p of s.Parameters ?? []) params[p.ParameterKey!] = p.ParameterValue ?? "";
    const conditions = template.Conditions ?? {};
    const enis = await stackEnis(stack);
    const wanted = new Map<string, { instance: string; index: number; deleteOnTermination: boolean }>();
    for (const [logical, r] of Object.entries(template.Resources ?? {})) {
      if (r.Type !== "AWS::EC2::NetworkInterfaceAttachment") continue;
      if (r.Condition && !evaluate({ Condition: r.Condition }, params, conditions)) continue;
      const eni = enis.find((e) => e.logical === (r.Properties?.NetworkInterfaceId as Obj)?.Ref)?.id;
      const instance = String(evaluate(r.Properties?.InstanceId, params, conditions));
      if (!eni) throw new Error(`${stack} ${logical}: its network interface is not in the stack`);
      wanted.set(eni, {
        instance,
        index: Number(r.Properties?.DeviceIndex),
        deleteOnTermination: r.Properties?.DeleteOnTermination !== false,
      });
    }
    const live =
      (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: enis.map((e) => e.id) })))
        .NetworkInterfaces ?? [];
    for (const e of live) {
      const want = wanted.get(e.NetworkInterfaceId!);
      const at = e.Attachment;
      if (at?.InstanceId && (!want || want.instance !== at.InstanceId || want.index !== at.DeviceIndex)) {
        await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: at.AttachmentId, Force: true }));
        notes.push(
          `${stack}: detached ${e.NetworkInterfaceId} from ${at.InstanceId} (its attachment left the stack)`,
        );
      }
      if (want && (at?.InstanceId !== want.instance || at?.DeviceIndex !== want.index)) {
        await ec2.send(
          new AttachNetworkInterfaceCommand({
            NetworkInterfaceId: e.NetworkInterfaceId,
            InstanceId: want.instance,
            DeviceIndex: want.index,
          }),
        );
        notes.push(
          `${stack}: attached ${e.NetworkInterfaceId} to ${want.instance} at device index ${want.index}`,
        );
      }
    }
  }

  async function deleteEnis(stack: string): Promise<void> {
    const enis = await stackEnis(stack).catch(() => []);
    if (enis.length === 0) return;
    const live =
      (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: enis.map((e) => e.id) })))
        .NetworkInterfaces ?? [];
    for (const e of live) {
      if (e.Attachment?.AttachmentId)
        await ec2.send(
          new DetachNetworkInterfaceCommand({ AttachmentId: e.Attachment.AttachmentId, Force: true }),
        );
      await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: e.NetworkInterfaceId }));
      notes.push(`${stack}: deleted its network interface ${e.NetworkInterfaceId} with the stack`);
    }
  }

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const form = /x-www-form-urlencoded/.test(String(req.headers["content-type"]))
      ? new URLSearchParams(body.toString("utf8"))
      : undefined;
    const action = form?.get("Action") ?? "";
    const stack = form?.get("StackName") ?? "";
    try {
      if (action === "DeleteStack") await deleteEnis(stack);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === "string" && k !== "host") headers[k] = v;
      const up = await fetch(`${moto.endpoint}${req.url}`, {
        method: req.method ?? "GET",
        headers,
        ...(body.length > 0 && { body }),
      });
      const answer = Buffer.from(await up.arrayBuffer());
      if (up.ok && (action === "CreateStack" || action === "UpdateStack")) await attach(stack);
      res.writeHead(up.status, { "content-type": up.headers.get("content-type") ?? "text/xml" });
      res.end(answer);
    } catch (e) {
      notes.push(`proxy error on ${action || req.url}: ${(e as Error).message}`);
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String((e as Error).message));
    }
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

export { CreateTagsCommand };
