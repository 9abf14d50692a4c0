/** `llw sriov iam-policy`: prints the least-privilege IAM policy the SR-IOV commands need. */
import { SRIOV_POLICY } from "../../aws/iam.ts";
import type { Context } from "../../lib/context.ts";
import { toJson, toYaml } from "../../lib/output.ts";

export async function run(opts: { output?: string }, ctx: Context): Promise<number> {
  ctx.stdout.write(opts.output === "yaml" ? toYaml(SRIOV_POLICY) : toJson(SRIOV_POLICY));
  return 0;
}
