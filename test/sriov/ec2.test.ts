import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DescribeInstancesCommand, DescribeRegionsCommand } from "@aws-sdk/client-ec2";
import { awsError, countCalls, createEc2Client, ec2Call, resolveAwsSettings } from "../../src/aws/ec2.ts";
import { EnvironmentError, UserError } from "../../src/lib/errors.ts";
import { freePort, MOTO_CREDENTIALS, startThrottlingProxy, useMoto } from "../helpers/moto.ts";

describe("EC2 settings", () => {
  it("takes the region from --region, then AWS_REGION, then AWS_DEFAULT_REGION", () => {
    assert.equal(
      resolveAwsSettings({ region: "eu-west-1" }, { AWS_REGION: "us-east-1" }).region,
      "eu-west-1",
    );
    assert.equal(
      resolveAwsSettings({}, { AWS_REGION: "us-east-2", AWS_DEFAULT_REGION: "us-west-1" }).region,
      "us-east-2",
    );
    assert.equal(resolveAwsSettings({}, { AWS_DEFAULT_REGION: "us-west-1" }).region, "us-west-1");
    assert.equal(resolveAwsSettings({}, {}).region, undefined);
  });

  it("prefers AWS_ENDPOINT_URL_EC2 over AWS_ENDPOINT_URL, and an explicit endpoint over both", () => {
    const env = { AWS_ENDPOINT_URL: "http://a:1", AWS_ENDPOINT_URL_EC2: "http://b:2" };
    assert.equal(resolveAwsSettings({}, env).endpoint, "http://b:2");
    assert.equal(resolveAwsSettings({}, { AWS_ENDPOINT_URL: "http://a:1" }).endpoint, "http://a:1");
    assert.equal(resolveAwsSettings({ endpoint: "http://c:3" }, env).endpoint, "http://c:3");
    assert.equal(
      resolveAwsSettings({}, { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true" }).endpoint,
      undefined,
    );
  });

  it("rejects a malformed region or endpoint as bad input, naming where it came from", () => {
    assert.throws(
      () => resolveAwsSettings({ region: "us_east_1" }, {}),
      (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.equal(e.problems[0]!.where, "--region");
        return true;
      },
    );
    assert.throws(() => resolveAwsSettings({}, { AWS_ENDPOINT_URL: "localhost:5000" }), UserError);
    assert.throws(() => resolveAwsSettings({ maxAttempts: 0 }, {}), UserError);
  });

  it("passes non-AWS errors through untouched (a bug stays a bug)", () => {
    const bug = new TypeError("x is undefined");
    assert.equal(awsError(bug, { action: "DescribeInstances" }), bug);
  });
});

describe("EC2 client against the EC2 emulator (moto_server)", () => {
  const moto = useMoto();

  it("calls the emulator through the endpoint option and counts calls and attempts", async (t) => {
    const m = moto(t);
    if (!m) return;
    const client = createEc2Client({
      endpoint: m.endpoint,
      region: "us-east-1",
      credentials: MOTO_CREDENTIALS,
    });
    const counter = countCalls(client);
    const out = await client.send(new DescribeRegionsCommand({}));
    assert.ok((out.Regions ?? []).some((r) => r.RegionName === "eu-west-1"));
    assert.equal(counter.calls.get("DescribeRegions"), 1);
    assert.equal(counter.totalAttempts(), 1);
  });

  it("reads the endpoint from AWS_ENDPOINT_URL_EC2 in the given environment", async (t) => {
    const m = moto(t);
    if (!m) return;
    const client = createEc2Client(
      { region: "us-east-1", credentials: MOTO_CREDENTIALS },
      { AWS_ENDPOINT_URL_EC2: m.endpoint },
    );
    const out = await client.send(new DescribeInstancesCommand({}));
    assert.deepEqual(out.Reservations, []);
  });

  it("maps an unknown instance id to bad input naming the id and the region", async (t) => {
    const m = moto(t);
    if (!m) return;
    const client = createEc2Client({
      endpoint: m.endpoint,
      region: "us-east-1",
      credentials: MOTO_CREDENTIALS,
    });
    await assert.rejects(
      ec2Call(() => client.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })), {
        action: "DescribeInstances",
        region: "us-east-1",
      }),
      (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        assert.match(e.problems[0]!.what, /no such instance in us-east-1: i-0123456789abcdef0/);
        assert.match(e.problems[0]!.next!, /--region/);
        return true;
      },
    );
  });

  it("retries RequestLimitExceeded from a throttling proxy and then succeeds", async (t) => {
    const m = moto(t);
    if (!m) return;
    const proxy = await startThrottlingProxy(m.endpoint, 2);
    t.after(() => proxy.close());
    const client = createEc2Client({
      endpoint: proxy.endpoint,
      region: "us-east-1",
      credentials: MOTO_CREDENTIALS,
    });
    const counter = countCalls(client);
    await client.send(new DescribeInstancesCommand({}));
    assert.equal(proxy.throttled(), 2);
    assert.equal(proxy.passed(), 1);
    assert.equal(counter.total(), 1);
    assert.equal(counter.totalAttempts(), 3);
  });

  it("gives a clear environment error when throttling outlasts the retry budget", async (t) => {
    const m = moto(t);
    if (!m) return;
    const proxy = await startThrottlingProxy(m.endpoint, 100);
    t.after(() => proxy.close());
    const client = createEc2Client({
      endpoint: proxy.endpoint,
      region: "us-east-1",
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 2,
    });
    await assert.rejects(
      ec2Call(() => client.send(new DescribeInstancesCommand({})), {
        action: "DescribeInstances",
        region: "us-east-1",
        maxAttempts: 2,
      }),
      (e: unknown) => {
        assert.ok(e instanceof EnvironmentError, String(e));
        assert.match(
          e.problems[0]!.what,
          /kept throttling DescribeInstances \(RequestLimitExceeded\) after 2 attempts/,
        );
        assert.match(e.problems[0]!.next!, /--max-attempts/);
        return true;
      },
    );
    assert.equal(proxy.throttled(), 2);
  });
});

describe("EC2 client faults without the emulator", () => {
  it("maps an endpoint nobody listens on to an environment error naming the endpoint", async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const client = createEc2Client({
      endpoint,
      region: "us-east-1",
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 1,
    });
    await assert.rejects(
      ec2Call(() => client.send(new DescribeInstancesCommand({})), { action: "DescribeInstances", endpoint }),
      (e: unknown) => {
        assert.ok(e instanceof EnvironmentError, String(e));
        assert.match(e.problems[0]!.what, /cannot reach the EC2 endpoint \(ECONNREFUSED\)/);
        assert.match(e.problems[0]!.next!, /AWS_ENDPOINT_URL/);
        return true;
      },
    );
  });
});
