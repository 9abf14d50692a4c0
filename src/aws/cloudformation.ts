/**
 * The one way llw talks to CloudFormation, built exactly like the EC2 client (src/aws/ec2.ts):
 * same region, profile, credential chain and retry settings. The endpoint comes from an explicit
 * option, else AWS_ENDPOINT_URL_CLOUDFORMATION, else AWS_ENDPOINT_URL (the aws CLI's
 * service-specific endpoint variables), so one emulator can serve both services.
 */
import { CloudFormationClient, type CloudFormationClientConfig } from "@aws-sdk/client-cloudformation";
import type { LlwError, Problem } from "../lib/errors.ts";
import { type AwsCallContext, awsError, type Ec2Options, resolveAwsSettings } from "./ec2.ts";

/** The environment as resolveAwsSettings reads it, with CloudFormation's endpoint variable in EC2's place. */
function cfnEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { AWS_ENDPOINT_URL_EC2: _ec2, ...rest } = env;
  return env.AWS_ENDPOINT_URL_CLOUDFORMATION
    ? { ...rest, AWS_ENDPOINT_URL_EC2: env.AWS_ENDPOINT_URL_CLOUDFORMATION }
    : rest;
}

/** Region and endpoint the CloudFormation client uses (for messages that name them). */
export function cloudFormationSettings(opts: Ec2Options = {}, env: NodeJS.ProcessEnv = process.env) {
  return resolveAwsSettings(opts, cfnEnv(env));
}

/** Builds a CloudFormation client. No network traffic happens until the first call. */
export function createCloudFormationClient(
  opts: Ec2Options = {},
  env: NodeJS.ProcessEnv = process.env,
): CloudFormationClient {
  const s = cloudFormationSettings(opts, env);
  const config: CloudFormationClientConfig = { retryMode: "standard", maxAttempts: s.maxAttempts };
  if (s.region) config.region = s.region;
  if (s.profile) config.profile = s.profile;
  if (s.endpoint) config.endpoint = s.endpoint;
  if (opts.credentials) config.credentials = opts.credentials;
  return new CloudFormationClient(config);
}

/** Translates a CloudFormation SDK failure like awsError does for EC2, naming the CloudFormation action. */
export function cfnError(err: unknown, call: AwsCallContext): unknown {
  const mapped = awsError(err, {
    ...call,
    policyCommand: call.policyCommand ?? "cat infra/aws/iam/data-network-policy.json",
  });
  const e = mapped as LlwError;
  if (!e?.problems) return mapped;
  const fix = (s: string | undefined) =>
    s
      ?.replace(/\bec2:/g, "cloudformation:")
      .replace(/^EC2 /, "CloudFormation ")
      .replace("EC2 kept", "CloudFormation kept")
      .replace("the EC2 endpoint", "the CloudFormation endpoint")
      .replace("AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_CLOUDFORMATION");
  for (const p of e.problems as Problem[]) {
    p.what = fix(p.what)!;
    if (p.where) p.where = fix(p.where)!;
    if (p.next) p.next = fix(p.next)!;
  }
  return e;
}

/** Sends one CloudFormation command, translating failures with cfnError. */
export async function cfnCall<T>(fn: () => Promise<T>, call: AwsCallContext): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw cfnError(e, call);
  }
}

/** The AWS error name of an SDK failure (e.g. "ValidationError"), if it is one. */
export function awsErrorName(e: unknown): string | undefined {
  const x = e as { name?: string; Code?: string; $metadata?: unknown };
  return x && typeof x === "object" && x.$metadata ? (x.name ?? x.Code) : undefined;
}
