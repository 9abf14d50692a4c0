/**
 * `llw sriov detect`: finds the metal workers' network interfaces from the EC2 API (read-only)
 * and says, for each one, whether it can serve as a dedicated SR-IOV device on AWS, and why.
 */
import type { Context } from "../../lib/context.ts";
import { ChecksFailed } from "../../lib/errors.ts";
import { emit, renderTable } from "../../lib/output.ts";
import type { Detection, EniClassification, NodeReport } from "../../sriov/classify.ts";
import { detect, type SriovAwsOptions } from "../../sriov/shell.ts";

export interface SriovDetectOptions extends SriovAwsOptions {
  output?: string;
}

function nodeTitle(n: NodeReport): string {
  const name = n.nodeName ?? n.privateDnsName ?? n.instanceId;
  const slots =
    n.maximumNetworkInterfaces !== undefined
      ? `, ${n.attachedInterfaces} of ${n.maximumNetworkInterfaces} interfaces attached, ${n.freeSlots} free`
      : "";
  return `${name} (${n.instanceId}, ${n.instanceType}${n.metal ? ", metal" : ", not metal"}, ${n.state}${slots})`;
}

/** One line with the type's facts: what makes its interfaces usable or not. */
export function typeLine(n: NodeReport): string {
  const f = n.typeFacts;
  if (!f) return `${n.instanceType}: not described by EC2`;
  const efa = f.efaSupported
    ? `EFA supported${f.maximumEfaInterfaces !== undefined ? ` (up to ${f.maximumEfaInterfaces} EFA interface(s))` : ""}`
    : "EFA not supported";
  return [
    `${n.instanceType}: ${f.bareMetal ? "bare metal" : "virtualized (not bare metal)"}`,
    `ENA ${f.enaSupport}`,
    efa,
    `up to ${f.maximumNetworkInterfaces} network interfaces on ${f.maximumNetworkCards} network card(s)`,
    ...(f.networkPerformance !== undefined ? [f.networkPerformance] : []),
  ].join("; ");
}

export function renderDetection(ctx: Context, det: Detection): string {
  const c = ctx.colors;
  const roleColor = (r: string) =>
    r === "usable" ? c.green(r) : r === "primary" ? c.dim(r) : r === "detached" ? c.yellow(r) : c.red(r);
  // One table layout for a worker's interfaces and the detached ones (which have no slot).
  const head = (slots: boolean) => [
    "ENI",
    ...(slots ? ["dev", "card"] : []),
    "MAC",
    "subnet",
    "type",
    "role",
    "reason",
  ];
  const row = (i: EniClassification, slots: boolean) => [
    i.networkInterfaceId,
    ...(slots ? [i.deviceIndex ?? "-", i.networkCardIndex ?? "-"] : []),
    i.macAddress,
    i.subnetId,
    i.interfaceType,
    roleColor(i.role),
    i.reason,
  ];
  const parts: string[] = [];
  for (const n of det.nodes) {
    parts.push(`${c.bold(nodeTitle(n))}\n`);
    parts.push(`  type: ${typeLine(n)}\n`);
    for (const note of n.notes) parts.push(`  note: ${note}\n`);
    if (n.interfaces.length > 0) {
      parts.push(
        renderTable(
          ctx,
          head(true),
          n.interfaces.map((i) => row(i, true)),
        ),
      );
    }
    parts.push("\n");
  }
  if (det.detached.length > 0) {
    parts.push(
      `${c.bold(`Detached interfaces of ${det.infraIds.join(", ")} (cluster tag or llw:infra-id)`)}\n`,
    );
    parts.push(
      renderTable(
        ctx,
        head(false),
        det.detached.map((i) => row(i, false)),
      ),
    );
    parts.push("\n");
  }
  if (det.infraIds.length === 0) {
    parts.push(
      "Detached interfaces were not looked for: the instances carry no kubernetes.io/cluster/<infra-id> tag (pass --infra-id).\n\n",
    );
  }
  if (det.dataSubnets.length > 0) {
    parts.push(`${c.bold("Data subnets (one SriovNetworkNodePolicy each on OpenShift 4.22+)")}\n`);
    parts.push(
      renderTable(
        ctx,
        ["subnet", "name", "CIDR", "zone", "netFilter", "interfaces"],
        det.dataSubnets.map((d) => [
          d.subnetId,
          d.name ?? "-",
          d.cidrBlock ?? "-",
          d.availabilityZone ?? "-",
          d.netFilter,
          d.interfaces.length,
        ]),
      ),
    );
    parts.push("\n");
  }
  const t = det.totals;
  parts.push(
    `${t.nodes} instance(s), ${t.metalNodes} metal; ${c.green(`${t.usable} usable dedicated interface(s)`)}, ${t.efa} EFA, ${t.detached} detached.\n`,
  );
  for (const a of det.advice) parts.push(`${c.yellow("next:")} ${a}\n`);
  return parts.join("");
}

export async function run(opts: SriovDetectOptions, ctx: Context): Promise<number> {
  const { detection, inventory } = await detect(opts, ctx);
  const format = opts.output ?? "table";
  emit(ctx, format, { source: inventory.source, ...detection }, () => renderDetection(ctx, detection));
  // The report is printed either way; a fleet with nothing to dedicate fails the check (exit 1).
  if (detection.totals.metalNodes === 0) {
    throw new ChecksFailed(
      `no metal workers among the ${detection.totals.nodes} instance(s) found in ${detection.region}`,
      detection.advice[0],
    );
  }
  if (detection.totals.usable === 0) {
    throw new ChecksFailed(
      `no usable dedicated interface on the ${detection.totals.metalNodes} metal worker(s)`,
      detection.advice.join("; "),
    );
  }
  return 0;
}
