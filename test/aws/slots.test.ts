/**
 * Stable slots over a cluster's life: workers added, removed, replaced by the machine API and
 * re-added, each step planned from the previous stack's parameters, and each update checked for
 * what CloudFormation would replace (the registry schemas' create-only properties, evaluated on the
 * real template by src/aws/data-network/changes.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { resolveTemplate, stackChanges } from "../../src/aws/data-network/changes.ts";
import { type Inventory, planDataNetwork, type WorkerFact } from "../../src/aws/data-network/plan.ts";
import { dataNetworkTemplate } from "../../src/aws/data-network/template.ts";
import { withoutWorkers } from "../../src/aws/data-network/up.ts";

const TEMPLATE = dataNetworkTemplate();

const worker = (id: string, zone: string): WorkerFact => ({
  instanceId: id,
  zone,
  instanceType: "c5.metal",
  foreignDeviceIndexes: [0],
  maxInterfaces: 15,
});

const A = worker("i-0000000000000000a", "us-east-2a");
const B = worker("i-0000000000000000b", "us-east-2b");
const C = worker("i-0000000000000000c", "us-east-2a");
/** The machine API's replacement of B: a new instance in B's zone. */
const B2 = worker("i-00000000000000b02", "us-east-2b");

function inventory(workers: WorkerFact[], current?: Record<string, string>): Inventory {
  return {
    infraId: "lab-x7k2p",
    vpcId: "vpc-1",
    vpcCidrs: ["10.0.0.0/16"],
    subnets: [
      { id: "subnet-a", cidr: "10.0.0.0/19", zone: "us-east-2a" },
      { id: "subnet-b", cidr: "10.0.32.0/19", zone: "us-east-2b" },
      { id: "subnet-c", cidr: "10.0.64.0/19", zone: "us-east-2c" },
    ],
    workers,
    ...(current && { current }),
  };
}

const plan = (workers: WorkerFact[], current?: Record<string, string>, interfaces = 2) =>
  planDataNetwork(inventory(workers, current), {
    interfacesPerWorker: interfaces,
    attachWith: "cloudformation",
  }).parameters;

/** The ENIs of an instance in a resolved template: logical id -> subnet and device index. */
function enisOf(params: Record<string, string>, instanceId: string) {
  const res = resolveTemplate(TEMPLATE, params);
  const out: Record<string, { subnet: unknown; deviceIndex: unknown }> = {};
  for (const [id, r] of res) {
    if (r.type !== "AWS::EC2::NetworkInterfaceAttachment" || r.properties.InstanceId !== instanceId) continue;
    const eni = String(r.properties.NetworkInterfaceId).replace(/^<ref:|>$/g, "");
    out[`${id.replace(/Attachment$/, "")} ${eni}`] = {
      subnet: res.get(eni)!.properties.SubnetId,
      deviceIndex: r.properties.DeviceIndex,
    };
  }
  return out;
}

describe("data network over a cluster's life (planner + CloudFormation replacement rules)", () => {
  it("removing the first of two workers empties its slot: the other keeps its slot, subnet, ENIs and device indexes, and nothing is replaced", () => {
    const first = plan([A, B]);
    assert.equal(first.WorkerInstanceId1, A.instanceId);
    assert.equal(first.WorkerInstanceId2, B.instanceId);
    const second = plan([B], first);
    assert.equal(second.WorkerInstanceId1, "", "slot 1 stays empty");
    assert.equal(second.WorkerInstanceId2, B.instanceId);
    assert.equal(second.AvailabilityZone2, first.AvailabilityZone2);
    assert.equal(second.SubnetCidr2, first.SubnetCidr2);
    assert.deepEqual(enisOf(second, B.instanceId), enisOf(first, B.instanceId));
    const changes = stackChanges(TEMPLATE, first, second);
    assert.deepEqual(changes.replaced, []);
    assert.deepEqual(changes.added, []);
    assert.ok(changes.removed.includes("DataSubnet1") && changes.removed.includes("Worker1Interface1"));
    assert.ok(!changes.removed.some((id) => id.startsWith("Worker2") || id === "DataSubnet2"));
    assert.ok(
      !changes.updated.some((id) => id.startsWith("Worker2") || id === "DataSubnet2"),
      changes.updated.join(),
    );
  });

  it("a replacement Machine in the same zone takes over the old instance's slot: its ENIs are kept (re-attached), only the attachments are replaced, and CloudFormation deletes those first", () => {
    const first = plan([A, B]);
    const second = plan([A, B2], first);
    assert.equal(second.WorkerInstanceId2, B2.instanceId);
    const changes = stackChanges(TEMPLATE, first, second);
    assert.deepEqual(
      changes.replaced.map((r) => [r.logicalId, r.type, r.because]),
      [
        ["Worker2Interface1Attachment", "AWS::EC2::NetworkInterfaceAttachment", ["InstanceId"]],
        ["Worker2Interface2Attachment", "AWS::EC2::NetworkInterfaceAttachment", ["InstanceId"]],
      ],
    );
    assert.ok(
      changes.updated.includes("Worker2Interface1"),
      "the ENI's description and name tag follow the new instance",
    );
    assert.deepEqual(changes.added, []);
    assert.deepEqual(changes.removed, []);
  });

  it("adding a worker, then re-adding a removed one, only adds resources", () => {
    const one = plan([A]);
    const two = plan([A, B], one);
    assert.deepEqual(stackChanges(TEMPLATE, one, two).replaced, []);
    const three = plan([B], two);
    const four = plan([A, B], three);
    assert.equal(four.WorkerInstanceId2, B.instanceId);
    const c = stackChanges(TEMPLATE, three, four);
    assert.deepEqual([c.replaced, c.removed], [[], []]);
    assert.ok(c.added.includes("Worker1Interface1"));
    const five = plan([A, B, C], four);
    const d = stackChanges(TEMPLATE, four, five);
    assert.deepEqual([d.replaced, d.removed], [[], []]);
    assert.equal(five.WorkerZone3, "us-east-2a", "C shares zone a's subnet");
  });

  it("a new zone never gets the range of a zone being removed in the same update (CloudFormation creates before it deletes)", () => {
    const first = plan([A, B]);
    const moved = plan([B, worker("i-0000000000000000d", "us-east-2c")], first);
    assert.equal(moved.AvailabilityZone1, "", "zone a's slot falls empty");
    assert.equal(moved.AvailabilityZone3, "us-east-2c");
    assert.notEqual(moved.SubnetCidr3, first.SubnetCidr1, "the subnet being deleted still holds its range");
    assert.equal(moved.AvailabilityZone2, first.AvailabilityZone2);
    assert.deepEqual(stackChanges(TEMPLATE, first, moved).replaced, []);
  });

  it("property: any sequence of adds, removals and machine replacements keeps every surviving worker's slot and never replaces a subnet, ENI or rule", () => {
    const zones = ["us-east-2a", "us-east-2b", "us-east-2c"];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("add", "remove", "replace"), fc.nat(20), fc.nat(2)), {
          minLength: 1,
          maxLength: 12,
        }),
        (steps) => {
          let next = 1;
          const newWorker = (zone: string) => worker(`i-${(next++).toString(16).padStart(17, "0")}`, zone);
          const workers = [newWorker(zones[0]!)];
          let params = plan(workers);
          for (const [op, pick, zi] of steps) {
            const before = [...workers];
            if (op === "add" && workers.length < 4) workers.push(newWorker(zones[zi]!));
            else if (op === "remove" && workers.length > 1) workers.splice(pick % workers.length, 1);
            else if (op === "replace") {
              const i = pick % workers.length;
              workers[i] = newWorker(workers[i]!.zone);
            }
            const nextParams = plan(workers, params);
            for (const w of before.filter((x) => workers.includes(x))) {
              const slot = (p: Record<string, string>) =>
                Object.entries(p).find(
                  ([k, v]) => k.startsWith("WorkerInstanceId") && v === w.instanceId,
                )?.[0];
              assert.equal(slot(nextParams), slot(params), `${w.instanceId} moved`);
            }
            const c = stackChanges(TEMPLATE, params, nextParams);
            const bad = c.replaced.filter((r) => r.type !== "AWS::EC2::NetworkInterfaceAttachment");
            assert.deepEqual(bad, [], `${op}: ${JSON.stringify(c.replaced)}`);
            params = nextParams;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("an ENI deleted by hand is recreated in two updates: emptying its worker's slot deletes the slot's resources, restoring it creates them again; nothing else changes", () => {
    const params = plan([A, B]);
    const empty = withoutWorkers(params, new Set([2]));
    const down = stackChanges(TEMPLATE, params, empty);
    assert.deepEqual(down.removed.sort(), [
      "Worker2Interface1",
      "Worker2Interface1Attachment",
      "Worker2Interface2",
      "Worker2Interface2Attachment",
    ]);
    assert.deepEqual([down.added, down.replaced], [[], []]);
    const back = stackChanges(TEMPLATE, empty, params);
    assert.deepEqual(back.added.sort(), down.removed);
    assert.deepEqual([back.removed, back.replaced], [[], []]);
  });

  it("the replacement check can fail: moving a worker to another slot replaces its ENIs and attachments", () => {
    const first = plan([A, B]);
    const moved = { ...first };
    moved.WorkerInstanceId1 = B.instanceId;
    moved.WorkerZone1 = B.zone;
    moved.WorkerInstanceId2 = "";
    moved.WorkerZone2 = "";
    const c = stackChanges(TEMPLATE, first, moved);
    assert.ok(
      c.replaced.some((r) => r.logicalId === "Worker1Interface1" && r.because.includes("SubnetId")),
      JSON.stringify(c.replaced),
    );
  });
});
