/**
 * A stack whose resource fails to create, end to end through `llw aws network up`: EC2 discovery
 * runs against the EC2 emulator (moto_server); CloudFormation is a fake endpoint speaking the real
 * query protocol (test/aws/fake-cloudformation.ts), because moto fails resources inside CreateStack
 * and writes no CREATE_FAILED events. What the user reads on stderr must name the failing
 * resource and CloudFormation's reason, not the knock-on cancellations.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { MOTO_REGION, type Moto, useMoto } from "../helpers/moto.ts";
import { createSubnet, createVpc, runWorker, useMotoCredentials } from "./emulated-cluster.ts";
import { fakeCloudFormation, type ScriptStep } from "./fake-cloudformation.ts";

useMotoCredentials();

const INFRA = "lab-f4il5";
const STACK = `${INFRA}-llw-data-network`;

/** The emptied emulator with one c5.metal worker of the cluster. */
async function oneMetalWorker(m: Moto): Promise<void> {
  await m.reset();
  const ec2 = m.ec2();
  const subnet = await createSubnet(ec2, await createVpc(ec2), "10.0.0.0/19", "us-east-1a");
  await runWorker(ec2, { infra: INFRA, subnetId: subnet.SubnetId! });
}

/** `llw aws network up` with CloudFormation's calls going to `cfnEndpoint` and EC2's to the emulator. */
async function upAgainst(m: Moto, cfnEndpoint: string, ...flags: string[]) {
  const ctx = bufferContext({
    env: {
      AWS_REGION: MOTO_REGION,
      AWS_ENDPOINT_URL: m.endpoint,
      AWS_ENDPOINT_URL_CLOUDFORMATION: cfnEndpoint,
    },
  });
  const code = await main(["aws", "network", "up", "--infra-id", INFRA, ...flags], ctx);
  return { code, err: ctx.err() };
}

const CLASH =
  "Resource handler returned message: \"The CIDR '10.0.255.0/24' conflicts with another subnet (Service: Ec2, Status Code: 400, Request ID: 5f2c)\" (HandlerErrorCode: AlreadyExists)";

/** What real CloudFormation reports for a CIDR clash with OnFailure=DELETE (the order of its DescribeStackEvents). */
const started = [
  {
    logicalId: STACK,
    type: "AWS::CloudFormation::Stack",
    status: "CREATE_IN_PROGRESS",
    reason: "User Initiated",
  },
  { logicalId: "DataSecurityGroup", type: "AWS::EC2::SecurityGroup", status: "CREATE_IN_PROGRESS" },
  { logicalId: "DataRouteTable", type: "AWS::EC2::RouteTable", status: "CREATE_IN_PROGRESS" },
  { logicalId: "DataSubnet1", type: "AWS::EC2::Subnet", status: "CREATE_IN_PROGRESS" },
  { logicalId: "DataSubnet1", type: "AWS::EC2::Subnet", status: "CREATE_FAILED", reason: CLASH },
  {
    logicalId: "DataRouteTable",
    type: "AWS::EC2::RouteTable",
    status: "CREATE_FAILED",
    reason: "Resource creation cancelled",
  },
  {
    logicalId: "DataSecurityGroup",
    type: "AWS::EC2::SecurityGroup",
    status: "CREATE_FAILED",
    reason: "Resource creation cancelled",
  },
  {
    logicalId: STACK,
    type: "AWS::CloudFormation::Stack",
    status: "DELETE_IN_PROGRESS",
    reason:
      "The following resource(s) failed to create: [DataSubnet1, DataRouteTable, DataSecurityGroup]. Delete requested by user.",
  },
];
const SCRIPT: ScriptStep[] = [
  { status: "DELETE_IN_PROGRESS", events: started },
  {
    status: "DELETE_COMPLETE",
    events: [
      ...started,
      { logicalId: "DataSecurityGroup", type: "AWS::EC2::SecurityGroup", status: "DELETE_COMPLETE" },
      { logicalId: "DataRouteTable", type: "AWS::EC2::RouteTable", status: "DELETE_COMPLETE" },
      { logicalId: "DataSubnet1", type: "AWS::EC2::Subnet", status: "DELETE_COMPLETE" },
      { logicalId: STACK, type: "AWS::CloudFormation::Stack", status: "DELETE_COMPLETE" },
    ],
  },
];

/** An update that adds a second interface per worker, whose attachment EC2 refuses; CloudFormation rolls back. */
const UPDATE_REFUSED =
  'Resource handler returned message: "Interface count 16 exceeds the limit for c5.metal (Service: Ec2, Status Code: 400, Request ID: 77aa)" (HandlerErrorCode: ServiceLimitExceeded)';
const updating = [
  {
    logicalId: STACK,
    type: "AWS::CloudFormation::Stack",
    status: "UPDATE_IN_PROGRESS",
    reason: "User Initiated",
  },
  { logicalId: "Worker1Interface2", type: "AWS::EC2::NetworkInterface", status: "CREATE_IN_PROGRESS" },
  { logicalId: "Worker1Interface2", type: "AWS::EC2::NetworkInterface", status: "CREATE_COMPLETE" },
  {
    logicalId: "Worker1Interface2Attachment",
    type: "AWS::EC2::NetworkInterfaceAttachment",
    status: "CREATE_IN_PROGRESS",
  },
  {
    logicalId: "Worker1Interface2Attachment",
    type: "AWS::EC2::NetworkInterfaceAttachment",
    status: "CREATE_FAILED",
    reason: UPDATE_REFUSED,
  },
  {
    logicalId: STACK,
    type: "AWS::CloudFormation::Stack",
    status: "UPDATE_ROLLBACK_IN_PROGRESS",
    reason: "The following resource(s) failed to create: [Worker1Interface2Attachment]. ",
  },
];
const UPDATE_SCRIPT: ScriptStep[] = [
  { status: "UPDATE_ROLLBACK_IN_PROGRESS", events: updating },
  {
    status: "UPDATE_ROLLBACK_COMPLETE",
    events: [
      ...updating,
      {
        logicalId: STACK,
        type: "AWS::CloudFormation::Stack",
        status: "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
      },
      { logicalId: "Worker1Interface2", type: "AWS::EC2::NetworkInterface", status: "DELETE_COMPLETE" },
      { logicalId: STACK, type: "AWS::CloudFormation::Stack", status: "UPDATE_ROLLBACK_COMPLETE" },
    ],
  },
];

describe("llw aws network up: a resource fails to create or update (fake CloudFormation endpoint speaking the real query protocol; EC2 emulator for discovery)", () => {
  const moto = useMoto();

  it("names the failing resource and CloudFormation's reason from the stack events, says the stack was rolled back and deleted, exits 3", async (t) => {
    const m = moto(t);
    if (!m) return;
    await oneMetalWorker(m);
    const cfn = await fakeCloudFormation(STACK, SCRIPT);
    try {
      const { code, err } = await upAgainst(m, cfn.endpoint);
      assert.equal(code, 3, err);
      assert.ok(cfn.calls.includes("CreateStack"), cfn.calls.join(" "));
      // Progress: every event is shown once, as it arrives.
      assert.equal(err.match(/DataSubnet1 {2}AWS::EC2::Subnet {2}CREATE_FAILED/g)?.length, 1, err);
      assert.match(err, /DELETE_COMPLETE/);
      // The failure report: the root cause, with CloudFormation's own words, and what happened after.
      assert.match(err, /creating stack lab-f4il5-llw-data-network failed \(DELETE_COMPLETE\)/);
      assert.match(
        err,
        /DataSubnet1 \(AWS::EC2::Subnet\) CREATE_FAILED: Resource handler returned message: "The CIDR '10\.0\.255\.0\/24' conflicts with another subnet/,
      );
      assert.doesNotMatch(
        err,
        /DataRouteTable \(AWS::EC2::RouteTable\) CREATE_FAILED/,
        "knock-on cancellations are not causes",
      );
      assert.match(err, /rolled back and deleted: nothing was left behind/);
      assert.match(err, /pick another --cidr/);
      // The stack was already deleted by CloudFormation (OnFailure=DELETE): llw did not delete it again.
      assert.ok(!cfn.calls.includes("DeleteStack"), cfn.calls.join(" "));
    } finally {
      await cfn.close();
    }
  });

  it("an update that fails is rolled back: the failing resource and reason are named, and the stack is said to be as before (not deleted), exits 3", async (t) => {
    const m = moto(t);
    if (!m) return;
    await oneMetalWorker(m);
    const cfn = await fakeCloudFormation(STACK, UPDATE_SCRIPT, {
      InterfacesPerWorker: "1",
      AttachInterfaces: "true",
    });
    try {
      const { code, err } = await upAgainst(m, cfn.endpoint, "--interfaces", "2");
      assert.equal(code, 3, err);
      assert.ok(cfn.calls.includes("UpdateStack") && !cfn.calls.includes("CreateStack"), cfn.calls.join(" "));
      assert.match(err, /updating stack lab-f4il5-llw-data-network failed \(UPDATE_ROLLBACK_COMPLETE\)/);
      assert.match(
        err,
        /Worker1Interface2Attachment \(AWS::EC2::NetworkInterfaceAttachment\) CREATE_FAILED: Resource handler returned message: "Interface count 16 exceeds the limit/,
      );
      assert.match(err, /the update was rolled back: the stack is as it was before/);
      assert.ok(!cfn.calls.includes("DeleteStack"), "a failed update never deletes the stack");
    } finally {
      await cfn.close();
    }
  });
});
