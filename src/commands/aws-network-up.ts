import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { generatedBy, regenerateOptions, staleAttachments } from "../aws/data-network/attachments.ts";
import { makeIo, type NetworkReport } from "../aws/data-network/shell.ts";
import { networkUp, type UpOptions } from "../aws/data-network/up.ts";
import type { Context } from "../lib/context.ts";
import { LlwError } from "../lib/errors.ts";
import { emit, renderTable } from "../lib/output.ts";
import { DEFAULT_OUT_DIR, run as generateAttachments } from "./sriov/generate.ts";

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

/**
 * The generated SR-IOV attachments in this checkout that name an instance the data network no
 * longer uses: regenerated with the command they recorded when llw can (files as llw wrote them,
 * that command re-runnable); otherwise a warning with the command to run.
 */
async function refreshStaleAttachments(
  opts: UpOptions,
  ctx: Context,
  liveInstances: Set<string>,
): Promise<void> {
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
  const named = stale.map((s) => `${s.file} names ${s.instanceId}`).join("; ");
  const recorded = generatedBy(files.find((f) => f.file.endsWith("kustomization.yaml"))?.text);
  const how = recorded ?? "llw sriov generate";
  const warn = (why: string): void => {
    ctx.stderr.write(
      `${ctx.colors.yellow("warning:")} ${named}, which no longer carries the data network` +
        `${why ? ` (${why})` : ""}: regenerate the attachments (${how}) and apply them\n`,
    );
  };
  const plan = recorded ? regenerateOptions(recorded, opts.cluster) : { reason: "" };
  if ("reason" in plan) return warn(plan.reason);
  try {
    // Its table goes to stderr: stdout stays this command's own report (-o json stays JSON).
    await generateAttachments(
      {
        ...plan.options,
        ...(opts.region !== undefined && { region: opts.region }),
        ...(opts.profile !== undefined && { profile: opts.profile }),
        ...(opts.endpointUrl !== undefined && { endpointUrl: opts.endpointUrl }),
        ...(opts.ec2 !== undefined && { ec2: opts.ec2 }),
        ...(opts.credentials !== undefined && { credentials: opts.credentials }),
        cluster: false,
      },
      { ...ctx, stdout: ctx.stderr, interactive: false },
    );
  } catch (e) {
    // A hand-edited file is kept (llw never overwrites it without --force); the network is up.
    if (!(e instanceof LlwError)) throw e;
    return warn(e.problems.map((p) => p.what).join("; "));
  }
  ctx.stderr.write(
    `regenerated ${DEFAULT_OUT_DIR} for the replaced workers (${how}): commit and push it so Argo CD applies it\n`,
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
  await refreshStaleAttachments(opts, ctx, new Set(result.report.interfaces.map((i) => i.instanceId)));
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
