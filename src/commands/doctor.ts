/**
 * `llw doctor`: is this cluster ready for the workshop? One table of checks with evidence and fix.
 */
import { type Clock, realClock } from "../cluster/clock.ts";
import { gatherDataNetwork } from "../cluster/doctor/aws-facts.ts";
import { CHECKS, type CheckOutcome, profileNodes, runChecks } from "../cluster/doctor/checks.ts";
import { gatherFacts, type NodeProbe } from "../cluster/doctor/facts.ts";
import { DEBUG_IMAGE, DEBUG_NAMESPACE, probeNode } from "../cluster/doctor/node-probe.ts";
import { pinImage } from "../cluster/image-digest.ts";
import { Kube } from "../cluster/kube.ts";
import { ensureNamespaceReady } from "../cluster/namespace.ts";
import type { Context } from "../lib/context.ts";
import { UserError } from "../lib/errors.ts";
import { isDns1123Label } from "../lib/k8s-names.ts";
import { emit, renderTable } from "../lib/output.ts";
import { durationOption } from "./tune-apply.ts";

export interface DoctorOptions {
  kubeconfig?: string;
  context?: string;
  /** false with --no-node-access. */
  nodeAccess?: boolean;
  listChecks?: boolean;
  timeout?: string;
  interval?: string;
  debugImage?: string;
  debugNamespace?: string;
  output?: string;
  clock?: Clock;
  /** false with --no-aws: the data network check is skipped. */
  aws?: boolean;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

export async function run(opts: DoctorOptions, ctx: Context): Promise<number> {
  const format = opts.output ?? "table";
  if (opts.listChecks) {
    const list = CHECKS.map((c) => ({ id: c.id, proves: c.proves }));
    emit(ctx, format, list, () => list.map((c) => `${c.id}: ${c.proves}\n`).join(""));
    return 0;
  }
  const clock = opts.clock ?? ctx.clock ?? realClock;
  const timeoutMs = durationOption("--timeout", opts.timeout, "3m");
  const kube = Kube.connect({ kubeconfig: opts.kubeconfig, context: opts.context }, ctx.env, ctx.cwd);
  const facts = await gatherFacts(kube, ctx.now());
  if (opts.aws !== false) {
    facts.dataNetwork = await gatherDataNetwork(
      facts,
      {
        ...(opts.region ? { region: opts.region } : {}),
        ...(opts.profile ? { profile: opts.profile } : {}),
        ...(opts.endpointUrl ? { endpointUrl: opts.endpointUrl } : {}),
      },
      ctx,
    );
  }
  if (opts.nodeAccess !== false) {
    const nodes = [
      ...new Set(
        facts.performanceProfiles.flatMap((p) => profileNodes(p, facts.nodes).map((n) => n.metadata.name!)),
      ),
    ];
    const probes: NodeProbe[] = [];
    const namespace = opts.debugNamespace ?? DEBUG_NAMESPACE;
    let image = DEBUG_IMAGE;
    if (nodes.length > 0) {
      checkNamespaceName(namespace);
      // A namespace of llw's own for the debug pods, never `default` or the workshop's.
      await ensureNamespaceReady(kube, namespace, {
        clock,
        say: (line) => ctx.stderr.write(`${line}\n`),
        labels: { "app.kubernetes.io/managed-by": "llw" },
      });
      if (opts.debugImage) image = (await pinImage(kube, opts.debugImage, namespace, "--debug-image")).image;
    }
    for (const node of nodes) {
      if (ctx.stderr.isTTY) ctx.stderr.write(`reading kernel arguments of ${node} through a debug pod...\n`);
      try {
        probes.push(
          await probeNode(kube, node, {
            namespace,
            image,
            timeoutMs,
            intervalMs: durationOption("--interval", opts.interval, "2s"),
            clock,
            say: (line) => ctx.stderr.write(`${line}\n`),
          }),
        );
      } catch (e) {
        probes.push({ node, error: (e as Error).message });
      }
    }
    facts.probes = probes;
  }
  const results = runChecks(facts);
  const failed = results.filter((r) => r.status === "FAIL").length;
  const warned = results.filter((r) => r.status === "WARN").length;
  emit(
    ctx,
    format,
    {
      results,
      summary: { fail: failed, warn: warned, pass: results.filter((r) => r.status === "PASS").length },
    },
    () => human(ctx, results, failed, warned),
  );
  return failed > 0 ? 1 : 0;
}

function human(ctx: Context, results: CheckOutcome[], failed: number, warned: number): string {
  const c = ctx.colors;
  const paint = (s: string) =>
    s === "PASS" ? c.green(s) : s === "WARN" ? c.yellow(s) : s === "FAIL" ? c.red(s) : c.dim(s);
  const rows = results.map((r) => [paint(r.status), r.id, r.evidence, r.fix ?? ""]);
  const verdict =
    failed > 0
      ? c.red(`${failed} check(s) failed`)
      : warned > 0
        ? c.yellow(`ready, with ${warned} warning(s)`)
        : c.green("ready for the workshop");
  return `${renderTable(ctx, ["STATUS", "CHECK", "EVIDENCE", "FIX"], rows)}\n${verdict}\n`;
}

function checkNamespaceName(ns: string): void {
  if (!isDns1123Label(ns))
    throw new UserError({
      what: `${JSON.stringify(ns)} is not a namespace name (a DNS label)`,
      where: "--debug-namespace",
    });
}
