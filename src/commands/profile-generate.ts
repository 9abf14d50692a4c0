/**
 * `llw profile generate`: reads a topology (catalog, lscpu or sysfs), plans the
 * PerformanceProfile, prints it as YAML (or JSON) on stdout so it can be piped to `oc apply -f -`,
 * and on a terminal prints the CPU map and the reasons on stderr. With --out it writes the file
 * instead (atomically, never over a hand edit without --force; --check reports drift).
 */
import { resolve } from "node:path";
import { colorEnabled, makeColors } from "../lib/color.ts";
import type { Context } from "../lib/context.ts";
import { ChecksFailed, UserError } from "../lib/errors.ts";
import type { FileAction } from "../lib/files.ts";
import { emitPlainYaml } from "../profile/emit-yaml.ts";
import type { PlanOptions, ProfilePlan } from "../profile/plan.ts";
import { planProfile } from "../profile/plan.ts";
import { loadTopology } from "../topology/load.ts";
import type { Topology } from "../topology/model.ts";
import { renderCpuMap } from "../topology/render.ts";

/** The planner's options plus where the topology comes from and how the result is written. */
export interface ProfileGenerateOptions extends PlanOptions {
  lscpu?: string;
  sysfs?: string;
  out?: string;
  force?: boolean;
  check?: boolean;
  explain?: boolean;
  quiet?: boolean;
  output?: string;
}

/** The command line that reproduces this plan, for the file header. */
function commandLine(opts: ProfileGenerateOptions): string {
  const flags: string[] = [];
  const skip = new Set(["out", "force", "check", "explain", "quiet", "output"]);
  for (const [k, v] of Object.entries(opts)) {
    if (skip.has(k) || v === undefined || v === false) continue;
    const flag = `--${k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`;
    flags.push(v === true ? flag : `${flag} ${String(v)}`);
  }
  return `llw profile generate ${flags.join(" ")}`.trim();
}

export function explainPlan(
  topology: Topology,
  plan: ProfilePlan,
  notes: string[],
  colors: ReturnType<typeof makeColors>,
): string {
  const lines = [renderCpuMap(topology, colors, plan.cpus)];
  lines.push(colors.bold(`Why (${plan.profile.metadata.name}):`));
  for (const r of plan.reasons) lines.push(`  - ${r.text}`);
  for (const n of notes) lines.push(`  - ${n}`);
  for (const w of plan.warnings) lines.push(`  ${colors.yellow("warning:")} ${w}`);
  return `${lines.join("\n")}\n`;
}

export async function run(opts: ProfileGenerateOptions, ctx: Context): Promise<number> {
  if (!opts.out && (opts.check || opts.force)) {
    const flags = [...(opts.check ? ["--check"] : []), ...(opts.force ? ["--force"] : [])].join(" and ");
    throw new UserError({
      what: `${flags} only ${opts.check && opts.force ? "apply" : "applies"} to a file written with --out`,
      where: flags.replace(" and ", ", "),
      next: "add --out FILE (e.g. --out gitops/overlays/aws/performance-profiles/c5.metal.yaml), or drop the flag to print the profile on stdout",
    });
  }
  // Where the file goes is checked before any work: a device, a FIFO or /proc is refused at once.
  if (opts.out) {
    const { checkOutputFile } = await import("../lib/write-file.ts");
    await checkOutputFile(resolve(ctx.cwd, opts.out), { flag: "--out", shown: opts.out });
  }
  const { topology, instanceType, notes } = await loadTopology(opts, ctx.cwd);
  const planOpts: PlanOptions = {};
  for (const k of [
    "profileName",
    "reservedCpuCount",
    "offlinedCpuCount",
    "splitReservedCpusAcrossNuma",
    "disableHt",
    "powerConsumptionMode",
    "perPodPowerManagement",
    "rtKernel",
    "topologyManagerPolicy",
    "userLevelNetworking",
    "mcpName",
    "singleNode",
    "hugepagesSize",
    "hugepagesPerNode",
  ] as const) {
    if (opts[k] !== undefined) (planOpts as Record<string, unknown>)[k] = opts[k];
  }
  if (instanceType) planOpts.instanceType = instanceType.name;
  const plan = planProfile(topology, planOpts);

  const stderrTTY = Boolean(ctx.stderr.isTTY);
  if ((opts.explain || stderrTTY) && !opts.quiet) {
    const colors = makeColors(colorEnabled(ctx.env, stderrTTY));
    ctx.stderr.write(explainPlan(topology, plan, notes, colors));
  } else {
    for (const w of plan.warnings) ctx.stderr.write(`warning: ${w}\n`);
  }

  // The small writer first: loading the yaml package would double this command's start-up time.
  const body =
    opts.output === "json"
      ? `${JSON.stringify(plan.profile, null, 2)}\n`
      : (emitPlainYaml(plan.profile as unknown as Record<string, unknown>) ??
        (await import("yaml")).stringify(plan.profile, { lineWidth: 0, aliasDuplicateObjects: false }));
  if (!opts.out) {
    ctx.stdout.write(body);
    return 0;
  }
  const { checkWord, withGeneratedHeader, withGeneratedJson, writeGeneratedFiles } = await import(
    "../lib/files.ts"
  );
  const path = resolve(ctx.cwd, opts.out);
  // Recorded in the file, which travels: the user's home is written as ~.
  const { withoutHome } = await import("../lib/path-error.ts");
  const home = ctx.env.HOME;
  const how = [
    withoutHome(
      `regenerate: ${commandLine(opts)}${opts.output === "json" ? " -o json" : ""} --out ${opts.out}`,
      home,
    ),
    withoutHome(`topology: ${topology.source}`, home),
  ];
  // JSON has no comments: the same mark goes into an annotation, so the file can be regenerated.
  const content =
    opts.output === "json"
      ? withGeneratedJson(plan.profile as unknown as Record<string, unknown>, how)
      : withGeneratedHeader(body, how);
  const [result] = await writeGeneratedFiles([{ path, content }], {
    force: opts.force ?? false,
    check: opts.check ?? false,
    cwd: ctx.cwd,
    flag: "--out",
  });
  const verb = opts.check
    ? checkWord
    : (a: FileAction) =>
        ({ create: "created", update: "updated", unchanged: "unchanged", conflict: "conflict" })[a];
  ctx.stdout.write(`${verb(result!.action)}: ${opts.out}\n`);
  if (opts.check && result!.action !== "unchanged") {
    throw new ChecksFailed(
      `${opts.out} differs from the generated profile`,
      `re-run without --check to write it`,
    );
  }
  return 0;
}
