import { makeIo, type NetworkReport } from "../aws/data-network/shell.ts";
import { networkUp, type UpOptions } from "../aws/data-network/up.ts";
import type { Context } from "../lib/context.ts";
import { emit, renderTable } from "../lib/output.ts";

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

export async function run(opts: UpOptions & { output?: string }, ctx: Context): Promise<number> {
  const io = makeIo(opts, ctx);
  const result = await networkUp(opts, ctx, io);
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
