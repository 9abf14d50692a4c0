/**
 * Secrets stay home: every file llw writes (generated profiles and MachineSets, the GitOps tree's
 * generated files, bench results and their metadata, the HTML report) is scanned for the
 * credentials and tokens of the environment it ran in, for credential-shaped strings, and for the
 * user's absolute home path. The commands run as a user would: their home holds the kubeconfig
 * (with a token) and the inputs, named with absolute paths; AWS credentials and a GitHub token
 * are in the environment.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { before, describe, it } from "node:test";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { getInstanceType, topologyOf } from "../../src/topology/catalog.ts";
import { ROOT } from "../helpers/tools.ts";

const FAKE_KUBE_BURNER = join(ROOT, "test", "results", "bin");
const rand = (n: number, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") =>
  Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join("");

/** Credential-shaped strings, whatever their value. */
const SHAPES: [string, RegExp][] = [
  ["an AWS access key id", /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ["a GitHub token", /\bgh[pousr]_[A-Za-z0-9]{30,}/],
  ["an OpenShift token", /sha256~[A-Za-z0-9_-]{20,}/],
  ["a bearer token", /\bBearer\s+[A-Za-z0-9._~+/-]{16,}/],
  ["credentials in a URL", /[a-z][a-z0-9+.-]*:\/\/[^\s/:@"']+:[^\s/@"']+@/i],
  ["a private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe("no output llw writes carries a credential, a token or the user's home path", () => {
  let home: string;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const secrets: Record<string, string> = {};
  const runs: { args: string[]; code: number; err: string }[] = [];

  async function llw(...args: string[]): Promise<void> {
    const ctx = bufferContext({ cwd: work, env });
    const code = await main(args, ctx);
    runs.push({ args, code, err: ctx.err() });
  }

  before(async () => {
    home = mkdtempSync(join(tmpdir(), "llw-home-"));
    work = join(home, "work");
    mkdirSync(join(home, ".kube"), { recursive: true });
    mkdirSync(join(home, "captures"));
    mkdirSync(work);
    secrets.awsKeyId = `AKIA${rand(16)}`;
    secrets.awsSecret = rand(40, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789/+");
    secrets.awsSession = rand(120, "abcdefghijklmnopqrstuvwxyz0123456789");
    secrets.clusterToken = `sha256~${rand(43, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-")}`;
    secrets.githubToken = `ghp_${rand(36, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789")}`;
    writeFileSync(
      join(home, ".kube", "config"),
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://api.lab.example.com:6443"}}]
users: [{name: u, user: {token: "${secrets.clusterToken}"}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
`,
    );
    const c5 = topologyOf(getInstanceType("c5.metal"));
    const recs = c5.cores.flatMap((c) =>
      c.cpus.map((cpu) => ({ cpu, core: c.id, socket: c.socket, node: c.node })),
    );
    recs.sort((a, b) => a.cpu - b.cpu);
    writeFileSync(
      join(home, "captures", "node.txt"),
      `# CPU,Core,Socket,Node\n${recs.map((r) => `${r.cpu},${r.core},${r.socket},${r.node}`).join("\n")}\n`,
    );
    cpSync(
      join(ROOT, "test/aws/fixtures/worker-machinesets.yaml"),
      join(home, "captures", "machinesets.yaml"),
    );
    cpSync(join(ROOT, "gitops"), join(work, "gitops"), { recursive: true });
    env = {
      HOME: home,
      PATH: `${FAKE_KUBE_BURNER}:${process.env.PATH}`,
      KUBECONFIG: join(home, ".kube", "config"),
      AWS_ACCESS_KEY_ID: secrets.awsKeyId,
      AWS_SECRET_ACCESS_KEY: secrets.awsSecret,
      AWS_SESSION_TOKEN: secrets.awsSession,
      GITHUB_TOKEN: secrets.githubToken,
      LLW_CACHE_DIR: join(home, ".cache", "llw"),
    };
    // Paths typed absolute, as a user pastes them.
    const cap = (f: string) => join(home, "captures", f);
    await llw(
      "profile",
      "generate",
      "--lscpu",
      cap("node.txt"),
      "--instance-type",
      "c5.metal",
      "--out",
      join(work, "pp.yaml"),
    );
    await llw(
      "profile",
      "generate",
      "--lscpu",
      cap("node.txt"),
      "--instance-type",
      "c5.metal",
      "-o",
      "json",
      "--out",
      join(work, "pp.json"),
    );
    await llw(
      "aws",
      "machineset",
      "--instance-type",
      "c5.metal",
      "--from",
      cap("machinesets.yaml"),
      "--out-dir",
      join(work, "machinesets"),
    );
    await llw("generate", join(work, "gitops"), "--force");
    await llw(
      "bench",
      "run",
      "tuned-pod",
      "--label",
      "tuned",
      "--no-metadata",
      "--kubeconfig",
      join(home, ".kube", "config"),
      "--out-dir",
      join(work, "results"),
      "--set",
      "ITERATIONS=5",
    );
    await llw(
      "bench",
      "run",
      "baseline-pod",
      "--label",
      "baseline",
      "--no-metadata",
      "--out-dir",
      join(work, "results"),
      "--set",
      "ITERATIONS=5",
    );
    await llw(
      "report",
      join(work, "results", "baseline"),
      join(work, "results", "tuned"),
      "-o",
      join(work, "report.html"),
    );
  });

  it("every command of the scan ran (each writes what is scanned)", () => {
    for (const r of runs) assert.equal(r.code, 0, `llw ${r.args.join(" ")}: ${r.err}`);
  });

  it("no written file holds a planted secret, a credential-shaped string or the absolute home path", () => {
    const findings: string[] = [];
    const files = filesUnder(work).filter(
      (f) => !f.startsWith(join(work, "gitops")) || /generated/.test(readFileSync(f, "utf8").slice(0, 200)),
    );
    assert.ok(files.length > 10, `only ${files.length} files written`);
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      const rel = relative(work, f);
      for (const [name, value] of Object.entries(secrets))
        if (text.includes(value)) findings.push(`${rel}: the ${name}`);
      for (const [name, re] of SHAPES)
        if (re.test(text)) findings.push(`${rel}: ${name} (${re.exec(text)![0].slice(0, 40)})`);
      if (text.includes(home)) {
        const at = text.indexOf(home);
        findings.push(
          `${rel}: the home path (${JSON.stringify(text.slice(Math.max(0, at - 40), at + home.length + 30))})`,
        );
      }
    }
    assert.deepEqual(findings, []);
  });
});
