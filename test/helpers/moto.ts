/**
 * A real EC2 API emulator for tests: moto_server on a free loopback port, one per test file.
 *
 *   const moto = useMoto();                  // inside describe(): starts it before, stops it after
 *   it("...", async (t) => {
 *     const m = moto(t); if (!m) return;     // skipped (or failed under CI=true) without moto_server
 *     await m.reset();
 *     const ec2 = m.ec2();                   // an EC2Client pointed at the emulator
 *   });
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { after, before, type TestContext } from "node:test";
import { EC2Client } from "@aws-sdk/client-ec2";
import { requireTool, which } from "./tools.ts";

export const MOTO_INSTALL_HINT = "pip install 'moto[server]>=5' (provides moto_server)";

/** Credentials moto accepts; never real ones. */
export const MOTO_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;
export const MOTO_REGION = "us-east-1";

export interface Moto {
  endpoint: string;
  port: number;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
  /** An EC2 client for the emulator (fast retries are not configured: the SDK defaults apply). */
  ec2(region?: string): EC2Client;
  /** Environment variables that point the CLI (or the aws CLI) at the emulator. */
  env(region?: string): Record<string, string>;
}

/** A port the kernel says is free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

async function waitReady(endpoint: string, child: ChildProcess, log: () => string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}:\n${log()}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms:\n${log()}`);
}

/** Starts moto_server on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<Moto> {
  const bin = which("moto_server");
  if (!bin) throw new Error(`moto_server is not installed: ${MOTO_INSTALL_HINT}`);
  let lastError: unknown;
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    let output = "";
    // A small shell keeps moto_server tied to this process: when our end of its stdin closes
    // (stop(), or this process dying however it dies), `cat` returns and moto_server is killed.
    const child = spawn(
      "sh",
      [
        "-c",
        '"$0" -H 127.0.0.1 -p "$1" & m=$!; cat >/dev/null; kill "$m" 2>/dev/null; wait "$m"',
        bin,
        String(port),
      ],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    child.stdout?.on("data", (d) => (output = (output + d).slice(-4000)));
    child.stderr?.on("data", (d) => (output = (output + d).slice(-4000)));
    const killOnExit = () => child.stdin?.end();
    process.once("exit", killOnExit);
    try {
      await waitReady(endpoint, child, () => output);
    } catch (e) {
      lastError = e;
      child.stdin?.end();
      process.off("exit", killOnExit);
      continue; // e.g. the port was taken between freePort() and bind: try another
    }
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    return {
      endpoint,
      port,
      async reset() {
        const r = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
        await r.arrayBuffer();
        if (!r.ok) throw new Error(`moto reset failed: HTTP ${r.status}`);
      },
      async stop() {
        process.off("exit", killOnExit);
        if (child.exitCode === null) {
          child.stdin?.end();
          const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
          await exited;
          clearTimeout(timer);
        }
      },
      ec2(region = MOTO_REGION) {
        return new EC2Client({ region, endpoint, credentials: { ...MOTO_CREDENTIALS } });
      },
      env(region = MOTO_REGION) {
        return {
          AWS_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
          AWS_REGION: region,
        };
      },
    };
  }
  throw lastError;
}

/**
 * Starts one moto_server for the enclosing describe() block and stops it afterwards. Returns a
 * function each test calls with its TestContext: it gives the running emulator, or marks the test
 * skipped (fails it under CI=true) when moto_server is not installed.
 */
export function useMoto(): (t: TestContext) => Moto | undefined {
  let moto: Moto | undefined;
  before(async () => {
    if (which("moto_server")) moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });
  return (t) => {
    if (moto) return moto;
    requireTool(t, "moto_server", MOTO_INSTALL_HINT);
    return undefined;
  };
}

export interface LoopbackProxy {
  endpoint: string;
  /** Requests answered with RequestLimitExceeded so far. */
  throttled(): number;
  /** Requests passed through to the emulator so far. */
  passed(): number;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** Answer this many requests with RequestLimitExceeded before passing any through. */
  throttle?: number;
  /** Rewrite a passed-through response body (to add what the emulator cannot report). */
  rewrite?: (body: string, request: { action: string | null; body: string }) => string;
}

/**
 * A loopback HTTP proxy in front of the emulator. With `throttle` it answers the first requests
 * the way EC2 does when an account exceeds its request rate (HTTP 503, RequestLimitExceeded in
 * the EC2 query-protocol error document), then passes every later request through. With
 * `rewrite` it edits responses, for the few fields moto does not model.
 */
export async function startProxy(target: string, opts: ProxyOptions = {}): Promise<LoopbackProxy> {
  const { createServer: createHttpServer } = await import("node:http");
  let throttled = 0;
  let passed = 0;
  const server = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (throttled < (opts.throttle ?? 0)) {
      throttled++;
      res.writeHead(503, { "content-type": "text/xml;charset=UTF-8" });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code>` +
          `<Message>Request limit exceeded.</Message></Error></Errors><RequestID>llw-test-${throttled}</RequestID></Response>`,
      );
      return;
    }
    passed++;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === "string" && k !== "host") headers[k] = v;
    const reqBody = Buffer.concat(chunks);
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method ?? "GET",
      headers,
      ...(chunks.length > 0 && { body: reqBody }),
    });
    let body = Buffer.from(await upstream.arrayBuffer());
    if (opts.rewrite) {
      const text = reqBody.toString("utf8");
      const action = new URLSearchParams(text).get("Action");
      body = Buffer.from(opts.rewrite(body.toString("utf8"), { action, body: text }));
    }
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "text/xml" });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  const port = addr && typeof addr === "object" ? addr.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    throttled: () => throttled,
    passed: () => passed,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A proxy that throttles the first `throttleCount` requests, then passes everything through. */
export function startThrottlingProxy(target: string, throttleCount: number): Promise<LoopbackProxy> {
  return startProxy(target, { throttle: throttleCount });
}

/**
 * moto records every ENI as interfaceType "interface" (it ignores InterfaceType=efa). This
 * rewrites DescribeNetworkInterfaces answers so the given ENIs read as EC2 reports EFA ones.
 */
export function markEfa(eniIds: Set<string>): ProxyOptions["rewrite"] {
  return (body, req) => {
    if (req.action !== "DescribeNetworkInterfaces") return body;
    // moto writes an item's fields in alphabetical order: interfaceType comes before networkInterfaceId.
    return body.replace(
      /<interfaceType>interface<\/interfaceType>((?:(?!<interfaceType>)[\s\S])*?<networkInterfaceId>(eni-[0-9a-f]+)<\/networkInterfaceId>)/g,
      (all, rest: string, id: string) => (eniIds.has(id) ? `<interfaceType>efa</interfaceType>${rest}` : all),
    );
  };
}

/**
 * Every type moto knows reports ENA support (as every type sold today does). This rewrites
 * DescribeInstanceTypes answers so the given types read `<enaSupport>unsupported</enaSupport>`,
 * to check that such a type's interfaces are never offered.
 */
export function markEnaUnsupported(types: Set<string>): ProxyOptions["rewrite"] {
  return (body, req) => {
    if (req.action !== "DescribeInstanceTypes") return body;
    // Each described type starts with its <instanceType>; its enaSupport follows before the next one.
    return body
      .split(/(?=<instanceType>)/)
      .map((part) => {
        const name = /^<instanceType>([^<]+)<\/instanceType>/.exec(part)?.[1];
        return name && types.has(name)
          ? part.replace(/<enaSupport>[^<]*<\/enaSupport>/, "<enaSupport>unsupported</enaSupport>")
          : part;
      })
      .join("");
  };
}
