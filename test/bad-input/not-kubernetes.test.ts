/**
 * A kubeconfig whose server is not a Kubernetes API (a web page, a proxy) or is plain http: the
 * environment's failure (exit 3) with what to check, never a crash (exit 70) or a list of failed
 * checks (exit 1). Real servers on 127.0.0.1 (https with a throw-away certificate, and http),
 * talked to by the real @kubernetes/client-node.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { requireTool } from "../helpers/tools.ts";

const PAGE = "<html><body>Welcome to the intranet</body></html>";

function kubeconfig(dir: string, name: string, server: string, insecure: boolean): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ${server}
${insecure ? "    insecure-skip-tls-verify: true\n" : ""}users:
- name: u
  user: {token: not-a-secret}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`,
  );
  return file;
}

describe("a kubeconfig that leads to something other than a Kubernetes API is exit 3 (real servers, real client)", () => {
  let https: Server | undefined;
  let http: HttpServer;
  const dir = mkdtempSync(join(tmpdir(), "llw-notkube-"));
  const page = (_q: unknown, r: import("node:http").ServerResponse) => {
    r.writeHead(200, { "content-type": "text/html" });
    r.end(PAGE);
  };

  before(async () => {
    http = createHttpServer(page);
    await new Promise<void>((ok) => http.listen(0, "127.0.0.1", ok));
    try {
      execFileSync(
        "openssl",
        [
          ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
          ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
        ],
        { stdio: "ignore" },
      );
      https = createServer(
        { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
        page,
      );
      await new Promise<void>((ok) => https!.listen(0, "127.0.0.1", ok));
    } catch {
      https = undefined;
    }
  });
  after(() => {
    http.close();
    https?.close();
  });

  it("doctor against an https web page: exit 3, 'does not answer as a Kubernetes API server', not exit 70 or failed checks", async (t) => {
    if (!requireTool(t, "openssl", "apt-get install openssl") || !https) return;
    const port = (https.address() as AddressInfo).port;
    const kc = kubeconfig(dir, "page.yaml", `https://127.0.0.1:${port}`, true);
    const ctx = bufferContext({ env: {} });
    const code = await main(["doctor", "--kubeconfig", kc, "--no-aws"], ctx);
    assert.equal(code, 3, ctx.err());
    assert.match(ctx.err(), /does not answer as a Kubernetes API server/);
    assert.match(ctx.err(), /where: kubeconfig cluster server/);
    assert.doesNotMatch(ctx.err(), /internal error|bug in llw/);
  });

  it("doctor with a plain http:// API server: exit 3 naming the http URL and the https remedy", async () => {
    const port = (http.address() as AddressInfo).port;
    const kc = kubeconfig(dir, "http.yaml", `http://127.0.0.1:${port}`, false);
    const ctx = bufferContext({ env: {} });
    const code = await main(["doctor", "--kubeconfig", kc, "--no-aws"], ctx);
    assert.equal(code, 3, ctx.err());
    assert.match(ctx.err(), /plain http \(http:\/\/127\.0\.0\.1:\d+\)/);
    assert.match(ctx.err(), /https:\/\//);
  });
});
