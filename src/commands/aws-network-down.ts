import { type NetworkCommandOptions, networkCommand, networkDown } from "../aws/data-network/shell.ts";
import type { Context } from "../lib/context.ts";
import { emit } from "../lib/output.ts";

export async function run(cli: NetworkCommandOptions, ctx: Context): Promise<number> {
  const { opts, io } = networkCommand(cli, ctx);
  const r = await networkDown(opts, ctx, io);
  if (!r) {
    emit(
      ctx,
      opts.output ?? "table",
      { removed: [] },
      () => `no data network for ${opts.cluster}: nothing to remove\n`,
    );
    return 0;
  }
  emit(ctx, opts.output ?? "table", r, () => {
    const lines = [`removed stack ${r.stackName} and what it created:`];
    for (const x of r.removed) lines.push(`  ${x.type}  ${x.logicalId}  ${x.physicalId}`);
    if (r.detached.length)
      lines.push(`detached first (llw had attached them through EC2): ${r.detached.join(", ")}`);
    if (r.leftovers.length)
      lines.push(
        `removed resources still tagged with the stack after it was deleted: ${r.leftovers.join(", ")}`,
      );
    return `${lines.join("\n")}\n`;
  });
  return 0;
}
