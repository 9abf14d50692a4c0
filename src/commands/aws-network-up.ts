import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { generatedBy, staleAttachments } from "../aws/data-network/attachments.ts";
import { makeIo, type NetworkReport } from "../aws/data-network/shell.ts";
import { networkUp, type UpOptions } from "../aws/data-network/up.ts";
import type { Context } from "../lib/context.ts";
import { emit, renderTable } from "../lib/output.ts";
import { DEFAULT_OUT_DIR } from "./sriov/generate.ts";

export function renderReport(ctx: Context, r: NetworkReport): string {
  const subnets = r.subnets.map((s) => `${s.subnetId} (${s.zone}, ${s.cidr})`).join(", ");
  const head = `stack ${r.stackName}: ${r.status}\ndata subnets: ${subnets || "none"}\nsecurity group: ${r.securityGroupId ?? "none"}\nENIs attached by: ${r.attachWith === "ec2" ? "llw (EC2 AttachNetworkInterface)" : "the stack"}\n\n`;
  return (
    head +
    renderTable(
      ctx,
      ["ENI", "INSTANCE", "DEVICE", "SUBNET", "IP", "STATE", "ATTACHMENT"],
      r.interfaces.map((i) => [
        i.networkInterfaceId,
        i.instanceId,
        i.deviceIndex,
        i.subnetId,
        i.privateIpAddress,
        i.state,
        i.attachment,
      ]),
    )
  );
}

/** The generated SR-IOV attachments in this checkout that name an instance the data network no longer uses. */
async function warnStaleAttachments(ctx: Context, liveInstances: Set<string>): Promise<void> {
  const dir = resolve(ctx.cwd, DEFAULT_OUT_DIR);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".yaml"));
  } catch {
    return;
  }
  const files = await Promise.all(
    names.map(async (n) => ({ file: join(DEFAULT_OUT_DIR, n), text: await readFile(join(dir, n), "utf8") })),
  );
  const stale = staleAttachments(files, liveInstances);
  if (stale.length === 0) return;
  const how =
    generatedBy(files.find((f) => f.file.endsWith("kustomization.yaml"))?.text) ?? "llw sriov generate";
  ctx.stderr.write(
    `${ctx.colors.yellow("warning:")} ${stale.map((s) => `${s.file} names ${s.instanceId}`).join("; ")}, ` +
      `which no longer carries the data network: regenerate the attachments (${how}) and apply them\n`,
  );
}

/** The command line's --infra-id and --instance-ids, under the names the data-network code uses. */
export type UpCommandOptions = Omit<UpOptions, "cluster" | "instance"> & {
  infraId: string;
  instanceIds?: string[];
  output?: string;
};

export async function run(cli: UpCommandOptions, ctx: Context): Promise<number> {
  const { infraId, instanceIds, ...rest } = cli;
  const opts = { ...rest, cluster: infraId, ...(instanceIds ? { instance: instanceIds } : {}) };
  const io = makeIo(opts, ctx);
  const result = await networkUp(opts, ctx, io);
  await warnStaleAttachments(ctx, new Set(result.report.interfaces.map((i) => i.instanceId)));
  if (result.recreated.length > 0)
    ctx.stderr.write(
      `recreated the data ENIs of the workers whose ENIs were missing (${result.recreated.join(", ")})\n`,
    );
  ctx.stderr.write(
    `stack ${result.action}${result.attached.length ? `; attached ${result.attached.length} ENI${result.attached.length === 1 ? "" : "s"} through EC2` : ""}\n`,
  );
  emit(
    ctx,
    opts.output ?? "table",
    { action: result.action, attached: result.attached, recreated: result.recreated, ...result.report },
    () => renderReport(ctx, result.report),
  );
  return 0;
}
