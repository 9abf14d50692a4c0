import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cfnError, createCloudFormationClient } from "../../src/aws/cloudformation.ts";
import { EnvironmentError, UserError } from "../../src/lib/errors.ts";

async function endpointOf(env: NodeJS.ProcessEnv, endpoint?: string): Promise<string | undefined> {
  const c = createCloudFormationClient({ region: "us-east-1", ...(endpoint && { endpoint }) }, env);
  const e = await c.config.endpoint?.();
  return e ? `${e.protocol}//${e.hostname}:${e.port}` : undefined;
}

describe("CloudFormation client factory (same settings as the EC2 one)", () => {
  it("takes the endpoint from the option, then AWS_ENDPOINT_URL_CLOUDFORMATION, then AWS_ENDPOINT_URL, never EC2's variable", async () => {
    assert.equal(
      await endpointOf({ AWS_ENDPOINT_URL: "http://127.0.0.1:1" }, "http://127.0.0.1:2"),
      "http://127.0.0.1:2",
    );
    assert.equal(
      await endpointOf({
        AWS_ENDPOINT_URL: "http://127.0.0.1:1",
        AWS_ENDPOINT_URL_CLOUDFORMATION: "http://127.0.0.1:3",
      }),
      "http://127.0.0.1:3",
    );
    assert.equal(
      await endpointOf({
        AWS_ENDPOINT_URL: "http://127.0.0.1:1",
        AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:4",
      }),
      "http://127.0.0.1:1",
    );
  });

  it("rejects a malformed region like the EC2 factory does", () => {
    assert.throws(() => createCloudFormationClient({ region: "Mars" }, {}), UserError);
  });

  it("translates AWS errors naming CloudFormation, not EC2", () => {
    const throttled = Object.assign(new Error("Rate exceeded"), {
      name: "Throttling",
      $metadata: { httpStatusCode: 400, attempts: 5 },
    });
    const e = cfnError(throttled, { action: "DescribeStackEvents", region: "us-east-1" }) as EnvironmentError;
    assert.ok(e instanceof EnvironmentError);
    assert.match(e.problems[0]!.what, /^CloudFormation kept throttling DescribeStackEvents/);
    assert.equal(e.problems[0]!.where, "cloudformation:DescribeStackEvents in us-east-1");
    const denied = Object.assign(new Error("no"), {
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
    });
    const d = cfnError(denied, { action: "CreateStack" }) as EnvironmentError;
    assert.match(d.problems[0]!.what, /not allowed to call cloudformation:CreateStack/);
    assert.match(d.problems[0]!.next!, /infra\/aws\/iam\/data-network-policy\.json/);
  });
});
