/**
 * The one way llw talks to EC2: a client built the way the aws CLI resolves its settings, and a
 * translation of AWS SDK failures into errors that say what to do next.
 *
 * Settings, highest precedence first (same as the aws CLI):
 * - region:   --region, AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region` in ~/.aws/config
 * - profile:  --profile, AWS_PROFILE (credentials then come from that profile, incl. SSO)
 * - endpoint: an explicit option (tests), AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL
 *             (ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true)
 * - credentials: the SDK's default chain (env, SSO, shared files, process, web identity, ECS, IMDS);
 *             the environment keys are read from the environment given to the command
 * - retries:  the SDK's standard retry mode (exponential backoff with jitter, throttling-aware),
 *             with a budget of `maxAttempts` attempts per call.
 */
import { EC2Client, type EC2ClientConfig } from "@aws-sdk/client-ec2";
import { EnvironmentError, type LlwError, type Problem, UserError } from "../lib/errors.ts";

/** Default attempts per call (the first try plus retries); the aws CLI's standard mode uses 3. */
export const DEFAULT_MAX_ATTEMPTS = 5;

export interface Ec2Options {
  region?: string;
  profile?: string;
  /** An explicit endpoint URL (e.g. an EC2 emulator); wins over the environment. */
  endpoint?: string;
  /** Attempts per call, the first one included (standard retry mode). */
  maxAttempts?: number;
  /** Explicit credentials (tests); otherwise the SDK's default chain. */
  credentials?: EC2ClientConfig["credentials"];
}

export interface ResolvedAwsSettings {
  region?: string;
  profile?: string;
  endpoint?: string;
  maxAttempts: number;
}

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** Resolves region, profile and endpoint from options and the environment, validating their shape. */
export function resolveAwsSettings(opts: Ec2Options, env: NodeJS.ProcessEnv): ResolvedAwsSettings {
  const region = opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (region !== undefined && !REGION_PATTERN.test(region)) {
    throw new UserError({
      what: `"${region}" is not an AWS region name`,
      where: opts.region !== undefined ? "--region" : env.AWS_REGION ? "AWS_REGION" : "AWS_DEFAULT_REGION",
      next: "use a region code such as us-east-1 or eu-west-1 (aws ec2 describe-regions lists them)",
    });
  }
  const ignoreEnvEndpoints = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === "true";
  const endpoint =
    opts.endpoint ?? (ignoreEnvEndpoints ? undefined : (env.AWS_ENDPOINT_URL_EC2 ?? env.AWS_ENDPOINT_URL));
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new UserError({
      what: `"${endpoint}" is not an endpoint URL`,
      where: opts.endpoint !== undefined ? "--endpoint-url" : "AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL",
      next: "give a URL such as http://127.0.0.1:5000",
    });
  }
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new UserError({ what: `retry budget must be at least 1 attempt, got ${maxAttempts}` });
  }
  const profile = opts.profile ?? env.AWS_PROFILE;
  return {
    maxAttempts,
    ...(region !== undefined && { region }),
    ...(profile !== undefined && { profile }),
    ...(endpoint !== undefined && { endpoint }),
  };
}

/** Builds an EC2 client. No network traffic happens until the first call. */
export function createEc2Client(opts: Ec2Options = {}, env: NodeJS.ProcessEnv = process.env): EC2Client {
  const s = resolveAwsSettings(opts, env);
  const config: EC2ClientConfig = { retryMode: "standard", maxAttempts: s.maxAttempts };
  if (s.region) config.region = s.region;
  if (s.profile) config.profile = s.profile;
  if (s.endpoint) config.endpoint = s.endpoint;
  if (opts.credentials) config.credentials = opts.credentials;
  else if (!s.profile && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    // The chain's first link (environment keys, skipped when a profile is chosen), read from the
    // given environment so that commands run with an injected one behave like the CLI process.
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }),
    };
  }
  return new EC2Client(config);
}

/** Calls and HTTP attempts made through a client, by operation name. */
export interface CallCounter {
  /** Logical API calls (one per `client.send`, however many retries). */
  calls: Map<string, number>;
  /** HTTP requests sent, retries included. */
  attempts: Map<string, number>;
  total(): number;
  totalAttempts(): number;
}

/** Counts calls and attempts with SDK middleware (used by the benchmark and the IAM test). */
export function countCalls(client: EC2Client): CallCounter {
  const calls = new Map<string, number>();
  const attempts = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  client.middlewareStack.add(
    (next, context) => (args) => {
      bump(calls, String(context.commandName).replace(/Command$/, ""));
      return next(args);
    },
    { step: "initialize", name: "llwCountCalls" },
  );
  // The deserialize step runs inside the retry middleware: once per HTTP attempt.
  client.middlewareStack.add(
    (next, context) => (args) => {
      bump(attempts, String(context.commandName).replace(/Command$/, ""));
      return next(args);
    },
    { step: "deserialize", name: "llwCountAttempts" },
  );
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return { calls, attempts, total: () => sum(calls), totalAttempts: () => sum(attempts) };
}

/** What was being done when an AWS call failed, for the message. */
export interface AwsCallContext {
  /** EC2 API action, e.g. "DescribeInstances". */
  action: string;
  region?: string;
  endpoint?: string;
  maxAttempts?: number;
  /** Instance ids the call was about, if any. */
  instanceIds?: string[];
  /** The AWS profile in use, if one was chosen. */
  profile?: string;
  /** Command that prints the IAM policy to attach, for UnauthorizedOperation. */
  policyCommand?: string;
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  cause?: unknown;
  errors?: unknown[];
}

const NETWORK_CODES = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

const THROTTLE_CODES = new Set([
  "RequestLimitExceeded",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
]);

function networkCode(e: SdkErrorShape): string | undefined {
  for (const c of [e, e.cause as SdkErrorShape, ...((e.errors as SdkErrorShape[] | undefined) ?? [])]) {
    if (c && typeof c === "object" && c.code && NETWORK_CODES.has(c.code)) return c.code;
  }
  if (e.name === "TimeoutError" || e.name === "RequestTimeout") return "ETIMEDOUT";
  return undefined;
}

function idsIn(message: string): string[] {
  return [...message.matchAll(/\bi-[0-9a-f]+\b/g)].map((m) => m[0]);
}

/**
 * Translates an error thrown by an AWS SDK call into an LlwError (UserError or EnvironmentError)
 * that says what failed and what to do next. Errors that are not from AWS pass through unchanged.
 */
export function awsError(err: unknown, call: AwsCallContext): unknown {
  if (err === null || typeof err !== "object") return err;
  if ((err as LlwError).problems) return err;
  const e = err as SdkErrorShape;
  const name = e.name ?? e.code ?? e.Code ?? "";
  const message = e.message ?? "";
  const where = `ec2:${call.action}${call.region ? ` in ${call.region}` : ""}${call.endpoint ? ` at ${call.endpoint}` : ""}`;
  const fail = (p: Problem, kind: "user" | "env") =>
    kind === "user" ? new UserError(p) : new EnvironmentError(p);

  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) {
    if (call.profile) {
      return fail(
        {
          what: `no credentials for the AWS profile "${call.profile}": it is not in ~/.aws/config or ~/.aws/credentials, or it has none`,
          where: "--profile / AWS_PROFILE",
          next: "check the name with `aws configure list-profiles`; for SSO run `aws sso login --profile <name>`; or create it with `aws configure --profile <name>`",
        },
        "env",
      );
    }
    return fail(
      {
        what: "no AWS credentials found (environment, SSO, shared files, container and instance roles were all tried)",
        where,
        next: "run `aws configure` or `aws sso login --profile <name>` and pass --profile <name>, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
      },
      "env",
    );
  }
  if (/Region is missing/i.test(message)) {
    return fail(
      {
        what: "no AWS region is configured",
        where: "--region / AWS_REGION / the profile's region",
        next: "pass --region <code> (e.g. --region us-east-1) or export AWS_REGION",
      },
      "user",
    );
  }
  if (/Invalid region/i.test(message)) {
    return fail(
      {
        what: `invalid AWS region: ${message}`,
        where: "--region",
        next: "use a region code such as us-east-1",
      },
      "user",
    );
  }
  if (name === "UnauthorizedOperation" || name === "AccessDenied" || name === "AccessDeniedException") {
    return fail(
      {
        what: `the AWS identity in use is not allowed to call ec2:${call.action}`,
        where,
        next: `attach the least-privilege policy printed by \`${call.policyCommand ?? "llw sriov iam-policy"}\` to the user or role, or use --profile with one that has it`,
      },
      "env",
    );
  }
  if (
    ["AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"].includes(
      name,
    )
  ) {
    return fail(
      {
        what: `AWS rejected the credentials (${name}): ${message}`,
        where,
        next: "check that the access key is active and belongs to this account; with SSO run `aws sso login` again",
      },
      "env",
    );
  }
  if (name === "ExpiredToken" || name === "ExpiredTokenException" || name === "RequestExpired") {
    return fail(
      {
        what: "the AWS session credentials have expired",
        where,
        next: "refresh them (`aws sso login --profile <name>`, or get new temporary credentials) and run again",
      },
      "env",
    );
  }
  if (name === "OptInRequired") {
    return fail(
      {
        what: `the account is not subscribed to EC2 in ${call.region ?? "this region"} (OptInRequired)`,
        where,
        next: "enable the region for the account, or choose another with --region",
      },
      "env",
    );
  }
  if (name === "InvalidInstanceID.NotFound" || name === "InvalidInstanceID.Malformed") {
    const ids = idsIn(message);
    const shown = ids.length > 0 ? ids.join(", ") : (call.instanceIds ?? []).join(", ");
    return fail(
      {
        what:
          name === "InvalidInstanceID.Malformed"
            ? `malformed instance id${shown ? `: ${shown}` : ""} (${message})`
            : `no such instance${ids.length === 1 ? "" : "s"} in ${call.region ?? "this region"}: ${shown || message}`,
        where: "--instance-ids",
        next: "check the ids with `aws ec2 describe-instances`, and that --region is the cluster's region",
      },
      "user",
    );
  }
  if (THROTTLE_CODES.has(name)) {
    const attempts = e.$metadata?.attempts ?? call.maxAttempts;
    return fail(
      {
        what: `EC2 kept throttling ${call.action} (${name}) after ${attempts ?? "all"} attempt${attempts === 1 ? "" : "s"}, the whole retry budget`,
        where,
        next: "wait a minute and run again; raise the budget with --max-attempts; check for other tools making many EC2 calls in this account and region",
      },
      "env",
    );
  }
  const net = networkCode(e);
  if (net) {
    return fail(
      {
        what: `cannot reach the EC2 endpoint (${net})${call.endpoint ? `: ${call.endpoint}` : ""}`,
        where,
        next: call.endpoint
          ? "check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EC2 (or --endpoint-url) and that the endpoint is running"
          : `check the region name (${call.region ?? "unset"}), the network and any proxy (HTTPS_PROXY)`,
      },
      "env",
    );
  }
  // Any other AWS service error (they carry $metadata); anything else is not ours to translate.
  const status = e.$metadata?.httpStatusCode;
  if (e.$metadata) {
    return fail(
      {
        what: `EC2 ${call.action} failed: ${name || `HTTP ${status}`}${message ? `: ${message}` : ""}`,
        where,
        next:
          status !== undefined && status >= 500
            ? "AWS had an internal error; run again in a minute"
            : "see the AWS error above",
      },
      "env",
    );
  }
  return err;
}

/** The region a client will use (from options, environment or the profile), or undefined. */
export async function clientRegion(client: EC2Client): Promise<string | undefined> {
  try {
    return await client.config.region();
  } catch {
    return undefined;
  }
}

/** Sends one EC2 command, translating failures with awsError. */
export async function ec2Call<T>(fn: () => Promise<T>, call: AwsCallContext): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw awsError(e, call);
  }
}
