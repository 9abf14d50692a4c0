import {
  infraIdOption,
  type NetworkCommandOptions,
  networkCommand,
  report,
} from "../aws/data-network/shell.ts";
import { dataNetworkStackName } from "../aws/tags.ts";
import type { Context } from "../lib/context.ts";
import { emit } from "../lib/output.ts";
import { renderReport } from "./aws-network-up.ts";

export async function run(cli: NetworkCommandOptions, ctx: Context): Promise<number> {
  const { opts, io } = networkCommand(cli, ctx);
  const r = await report(io, dataNetworkStackName(infraIdOption(opts.cluster)));
  if (!r) {
    emit(
      ctx,
      opts.output ?? "table",
      { stackName: dataNetworkStackName(opts.cluster), status: "ABSENT" },
      () => `no data network for ${opts.cluster} (run: llw aws network up --infra-id ${opts.cluster})\n`,
    );
    return 0;
  }
  // Drift is reported, not failed on: status says what is, and each warning names the fix.
  for (const w of r.warnings) ctx.stderr.write(`${ctx.colors.yellow("warning:")} ${w}\n`);
  emit(ctx, opts.output ?? "table", r, () => renderReport(ctx, r));
  return 0;
}
