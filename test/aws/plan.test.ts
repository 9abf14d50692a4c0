import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { contains, formatCidr, freeBlocks, overlaps, parseCidr } from "../../src/aws/cidr.ts";
import { rootCauses, type StackEventFact } from "../../src/aws/data-network/events.ts";
import { type Inventory, planDataNetwork } from "../../src/aws/data-network/plan.ts";
import { UserError } from "../../src/lib/errors.ts";

const worker = (id: string, zone: string, extra: Partial<Inventory["workers"][0]> = {}) => ({
  instanceId: id,
  zone,
  instanceType: "c5.metal",
  foreignDeviceIndexes: [0],
  maxInterfaces: 15,
  ...extra,
});

function inventory(over: Partial<Inventory> = {}): Inventory {
  return {
    infraId: "lab-x7k2p",
    vpcId: "vpc-1",
    vpcCidrs: ["10.0.0.0/16"],
    subnets: [
      { id: "subnet-a", cidr: "10.0.0.0/19", zone: "us-east-2a" },
      { id: "subnet-b", cidr: "10.0.32.0/19", zone: "us-east-2b" },
      { id: "subnet-pub", cidr: "10.0.255.0/24", zone: "us-east-2a" },
    ],
    workers: [worker("i-0000000000000000b", "us-east-2b"), worker("i-0000000000000000a", "us-east-2a")],
    ...over,
  };
}

const opts = { interfacesPerWorker: 2, attachWith: "cloudformation" as const };

describe("planDataNetwork", () => {
  it("one subnet per zone with metal workers, from free space at the top of the VPC", () => {
    const p = planDataNetwork(inventory(), opts);
    assert.deepEqual(p.zones, [
      { slot: 1, zone: "us-east-2a", cidr: "10.0.254.0/24" },
      { slot: 2, zone: "us-east-2b", cidr: "10.0.253.0/24" },
    ]);
    assert.equal(p.parameters.AvailabilityZone3, "");
    assert.equal(p.parameters.WorkerInstanceId1, "i-0000000000000000a");
    assert.equal(p.parameters.WorkerZone2, "us-east-2b");
    assert.equal(p.parameters.InterfacesPerWorker, "2");
    assert.equal(p.parameters.AttachInterfaces, "true");
    assert.deepEqual(p.workers[0]!.deviceIndexes, [1, 2]);
  });

  it("re-running keeps every zone's slot and CIDR and every worker's slot, even when another one joins", () => {
    const first = planDataNetwork(inventory(), opts);
    const more = inventory({
      current: first.parameters,
      subnets: inventory().subnets,
      workers: [...inventory().workers, worker("i-00000000000000001", "us-east-2c")],
    });
    const second = planDataNetwork(more, opts);
    for (const k of [
      "AvailabilityZone1",
      "SubnetCidr1",
      "AvailabilityZone2",
      "SubnetCidr2",
      "WorkerInstanceId1",
      "WorkerInstanceId2",
    ]) {
      assert.equal(second.parameters[k], first.parameters[k], k);
    }
    assert.equal(second.parameters.WorkerInstanceId3, "i-00000000000000001");
    assert.equal(second.parameters.AvailabilityZone3, "us-east-2c");
  });

  it("uses --cidr where given and refuses overlaps, ranges outside the VPC and zones without metal workers, all at once", () => {
    assert.equal(
      planDataNetwork(inventory(), { ...opts, cidrs: { "us-east-2a": "10.0.128.0/24" } }).parameters
        .SubnetCidr1,
      "10.0.128.0/24",
    );
    assert.throws(
      () =>
        planDataNetwork(inventory(), {
          ...opts,
          cidrs: {
            "us-east-2a": "10.0.8.0/24",
            "us-east-2b": "192.168.0.0/24",
            "us-east-2c": "10.0.100.0/24",
          },
        }),
      (e: unknown) => {
        assert.ok(e instanceof UserError);
        const text = e.problems.map((p) => p.what).join("\n");
        assert.match(text, /10\.0\.8\.0\/24 overlaps subnet subnet-a/);
        assert.match(text, /192\.168\.0\.0\/24 is outside the VPC/);
        assert.match(text, /no metal worker runs in us-east-2c/);
        return true;
      },
    );
  });

  it("refuses: no metal workers, too many, device indexes taken by other ENIs, more interfaces than the type allows", () => {
    assert.throws(() => planDataNetwork(inventory({ workers: [] }), opts), /no running metal workers/);
    const five = ["1", "2", "3", "4", "5"].map((n) => worker(`i-0000000000000000${n}`, "us-east-2a"));
    assert.throws(() => planDataNetwork(inventory({ workers: five }), opts), /4 worker slots/);
    assert.throws(
      () =>
        planDataNetwork(
          inventory({
            workers: [worker("i-0000000000000000a", "us-east-2a", { foreignDeviceIndexes: [0, 1] })],
          }),
          opts,
        ),
      /already has other ENIs at device index 1/,
    );
    assert.throws(
      () =>
        planDataNetwork(
          inventory({ workers: [worker("i-0000000000000000a", "us-east-2a", { maxInterfaces: 2 })] }),
          opts,
        ),
      /allows 2 network interfaces/,
    );
    assert.throws(
      () => planDataNetwork(inventory(), { ...opts, interfacesPerWorker: 5 }),
      /--interfaces must be 1 to 4/,
    );
  });

  it("says what to do when the VPC has no free /24 left", () => {
    assert.throws(
      () =>
        planDataNetwork(
          inventory({
            vpcCidrs: ["10.0.0.0/23"],
            subnets: [{ id: "s", cidr: "10.0.0.0/23", zone: "us-east-2a" }],
          }),
          opts,
        ),
      /no free \/24 left in VPC vpc-1.*/,
    );
  });
});

describe("CIDR arithmetic", () => {
  it("parses and formats round-trip, rejecting host bits and bad octets", () => {
    assert.equal(formatCidr(parseCidr("10.0.255.0/24")!), "10.0.255.0/24");
    assert.equal(parseCidr("10.0.255.1/24"), undefined);
    assert.equal(parseCidr("10.0.256.0/24"), undefined);
    assert.equal(parseCidr("10.0.0.0"), undefined);
  });

  it("property: free blocks lie inside the VPC and overlap nothing used", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }),
        fc.integer({ min: 20, max: 28 }),
        (thirdOctets, prefix) => {
          const vpc = [parseCidr("10.1.0.0/16")!];
          const used = thirdOctets.map((o) => parseCidr(`10.1.${o}.0/24`)!);
          let n = 0;
          for (const b of freeBlocks(vpc, used, prefix)) {
            assert.ok(contains(vpc[0]!, b));
            assert.ok(!used.some((u) => overlaps(u, b)));
            if (++n > 20) break;
          }
        },
      ),
    );
  });
});

describe("stack failure analysis (events shaped as CloudFormation's DescribeStackEvents returns them)", () => {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s));
  const ev = (
    s: number,
    logicalId: string,
    resourceType: string,
    status: string,
    reason?: string,
  ): StackEventFact => ({
    eventId: `${logicalId}-${s}`,
    timestamp: t(s),
    logicalId,
    resourceType,
    status,
    ...(reason && { reason }),
  });
  const STACK = "lab-x7k2p-llw-data-network";

  it("names the resource that failed and why, not the ones cancelled because of it", () => {
    const events = [
      ev(9, STACK, "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE"),
      ev(
        6,
        STACK,
        "AWS::CloudFormation::Stack",
        "ROLLBACK_IN_PROGRESS",
        "The following resource(s) failed to create: [DataSubnet1, DataRouteTable]. Rollback requested by user.",
      ),
      ev(5, "DataRouteTable", "AWS::EC2::RouteTable", "CREATE_FAILED", "Resource creation cancelled"),
      ev(
        4,
        "DataSubnet1",
        "AWS::EC2::Subnet",
        "CREATE_FAILED",
        "Resource handler returned message: \"The CIDR '10.0.8.0/24' conflicts with another subnet (Service: Ec2, Status Code: 400)\"",
      ),
      ev(2, "DataSubnet1", "AWS::EC2::Subnet", "CREATE_IN_PROGRESS"),
      ev(1, STACK, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated"),
    ];
    assert.deepEqual(rootCauses(events, STACK), [
      {
        logicalId: "DataSubnet1",
        resourceType: "AWS::EC2::Subnet",
        status: "CREATE_FAILED",
        reason:
          "Resource handler returned message: \"The CIDR '10.0.8.0/24' conflicts with another subnet (Service: Ec2, Status Code: 400)\"",
      },
    ]);
  });

  it("falls back to the stack's own failure when no resource failed (e.g. a parameter rule)", () => {
    const events = [
      ev(2, STACK, "AWS::CloudFormation::Stack", "CREATE_FAILED", "Parameter validation failed"),
    ];
    assert.equal(rootCauses(events, STACK)[0]!.reason, "Parameter validation failed");
  });
});
