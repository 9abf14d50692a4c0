/**
 * `llw aws machineset`: a MachineSet for metal workers (and its MachineConfigPool), derived from
 * one of the cluster's worker MachineSets, read from a file or from the cluster.
 */
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import {
  awsWorkerMachineSets,
  chooseSource,
  MACHINE_API,
  MACHINE_API_NAMESPACE,
  type Obj,
  planMetalMachineSet,
} from "../aws/machineset/plan.ts";
import type { Context } from "../lib/context.ts";
import { UserError } from "../lib/errors.ts";
import { checkOutputDir, withGeneratedHeader, writeGeneratedFiles } from "../lib/files.ts";
import { readInputText } from "../lib/input.ts";
import { toYaml } from "../lib/output.ts";
import { withoutHome } from "../lib/path-error.ts";
import { findSchemaDir, noSchemas } from "../lib/schema-dir.ts";
import { yamlValues } from "../lib/yaml-input.ts";
import { getInstanceType } from "../topology/catalog.ts";

export interface MachineSetCommandOptions {
  instanceType?: string;
  from?: string;
  source?: string;
  zone?: string;
  replicas?: number;
  rootVolume?: number;
  role?: string;
  outDir?: string;
  imds?: "optional" | "required";
  force?: boolean;
  check?: boolean;
  kubeconfig?: string;
  context?: string;
  /** A folder with the MachineSet and MachineConfigPool CRDs (default: LLW_CRDS_DIR, else schemas/). */
  schemas?: string;
}

const CRDS = {
  MachineSet: "machinesets.machine.openshift.io.yaml",
  MachineConfigPool: "machineconfigpools.machineconfiguration.openshift.io.yaml",
} as const;

/** The upstream CRDs: --schemas, $LLW_CRDS_DIR, or the workshop's bundled schemas/; never none. */
function crdDir(cwd: string, env: NodeJS.ProcessEnv, schemas?: string): string {
  const dir = findSchemaDir(cwd, env, CRDS.MachineSet, schemas);
  if (!dir) throw noSchemas(CRDS.MachineSet);
  return dir;
}

/** The catalog's instance type; this command has no --lscpu/--sysfs, so its hint is its own. */
function catalogType(name: string) {
  try {
    return getInstanceType(name);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError({
      what: e.problems[0]!.what,
      where: "--instance-type",
      next: "choose one of the catalog's metal types (the workshop's PerformanceProfiles and data network are planned for them), e.g. --instance-type c5.metal",
    });
  }
}

const EXPORT_HINT =
  "export the cluster's MachineSets with `oc get machinesets -n openshift-machine-api -o yaml > machinesets.yaml` and pass that file, or leave --from out to read them from the cluster";

/** The MachineSets of a --from file: bounded in size, aliases limited, YAML errors with their line. */
async function readMachineSets(file: string, shown: string): Promise<Obj[]> {
  let text: string;
  try {
    text = await readInputText(file, "manifest", { flag: "--from", shown });
  } catch (e) {
    if (e instanceof UserError)
      throw new UserError(
        e.problems.map((p) => ({
          ...p,
          what: /no such file/.test(p.what) ? "no such file" : p.what,
          next: EXPORT_HINT,
        })),
      );
    throw e;
  }
  const where = `--from ${shown}`;
  return yamlValues(
    text,
    where,
    "export it again with `oc get machinesets -n openshift-machine-api -o yaml`",
  ).filter((o): o is Obj => Boolean(o));
}

async function machineSetsFromCluster(opts: MachineSetCommandOptions, ctx: Context): Promise<Obj[]> {
  const { Kube } = await import("../cluster/kube.ts");
  const kube = Kube.connect(
    {
      ...(opts.kubeconfig && { kubeconfig: opts.kubeconfig }),
      ...(opts.context && { context: opts.context }),
    },
    ctx.env,
    ctx.cwd,
  );
  return (await kube.list(MACHINE_API, "MachineSet", { namespace: MACHINE_API_NAMESPACE })) as Obj[];
}

async function validate(objs: Obj[], ctx: Context, schemas?: string): Promise<void> {
  const dir = crdDir(ctx.cwd, ctx.env, schemas);
  const { readCrd, validateAgainstCrd } = await import("../schema/crd.ts");
  const problems = objs.flatMap((o) =>
    validateAgainstCrd(o, readCrd(join(dir, CRDS[o.kind as keyof typeof CRDS]))).map((f) => ({
      what: `generated ${o.kind} fails the upstream schema: ${f.message}`,
      where: `${o.kind} ${o.metadata.name} ${f.path}`,
      next: "the source MachineSet has a field the schema rejects; fix it there, or report this",
    })),
  );
  if (problems.length > 0) throw new UserError(problems);
}

export async function run(opts: MachineSetCommandOptions, ctx: Context): Promise<number> {
  if (!opts.instanceType) {
    throw new UserError({
      what: "--instance-type is required",
      where: "--instance-type",
      next: "e.g. --instance-type c5.metal",
    });
  }
  if (!opts.outDir && (opts.check || opts.force)) {
    const flag = opts.check ? "--check" : "--force";
    throw new UserError({
      what: `${flag} applies to files written with --out-dir; without it the YAML goes to stdout`,
      where: flag,
      next: `add --out-dir DIR, or drop ${flag}`,
    });
  }
  // Where the files go is checked before the cluster or any file is read.
  if (opts.outDir)
    await checkOutputDir(resolve(ctx.cwd, opts.outDir), { flag: "--out-dir", shown: opts.outDir });
  const type = catalogType(opts.instanceType);
  crdDir(ctx.cwd, ctx.env, opts.schemas);
  const where = opts.from ? resolve(ctx.cwd, opts.from) : "the cluster (namespace openshift-machine-api)";
  const objects = opts.from
    ? await readMachineSets(where, opts.from)
    : await machineSetsFromCluster(opts, ctx);
  const source = chooseSource(
    awsWorkerMachineSets(objects),
    { ...(opts.source && { name: opts.source }), ...(opts.zone && { zone: opts.zone }) },
    where,
  );
  const plan = planMetalMachineSet(
    source,
    {
      instanceType: type.name,
      role: opts.role ?? "worker-rt",
      replicas: opts.replicas ?? 1,
      rootVolumeGiB: opts.rootVolume ?? 250,
      ...(opts.imds && { imds: opts.imds }),
    },
    opts.from ?? "MachineSet",
  );
  await validate([plan.machineSet, plan.machineConfigPool], ctx, opts.schemas);
  for (const w of plan.warnings) ctx.stderr.write(`${ctx.colors.yellow("warning:")} ${w}\n`);
  ctx.stderr.write(
    `from ${plan.source}: ${plan.machineSet.metadata.name} (${type.name}, ${plan.zone}, ${opts.replicas ?? 1} replica${(opts.replicas ?? 1) === 1 ? "" : "s"}) and MachineConfigPool ${plan.machineConfigPool.metadata.name}\n`,
  );
  if (!opts.outDir) {
    ctx.stdout.write(`${toYaml(plan.machineSet)}---\n${toYaml(plan.machineConfigPool)}`);
    return 0;
  }
  const how = [
    withoutHome(
      `llw aws machineset --instance-type ${type.name} --from <worker MachineSet> --out-dir ${opts.outDir}`,
      ctx.env.HOME,
    ),
  ];
  const dir = resolve(ctx.cwd, opts.outDir);
  const files = [
    {
      path: join(dir, `machineset-${plan.machineSet.metadata.name}.yaml`),
      content: withGeneratedHeader(toYaml(plan.machineSet), how),
    },
    {
      path: join(dir, `machineconfigpool-${plan.machineConfigPool.metadata.name}.yaml`),
      content: withGeneratedHeader(toYaml(plan.machineConfigPool), how),
    },
  ];
  // The names come from the --from file: checked by the planner, and the paths checked here too.
  for (const f of files) {
    const rel = relative(dir, f.path);
    if (rel.startsWith("..") || isAbsolute(rel) || dirname(rel) !== ".") {
      throw new UserError({
        what: `refusing to write ${f.path}: it is not a file directly inside ${dir}`,
        where: "--out-dir",
        next: "check the MachineSet's name, zone and infra id in the --from file",
      });
    }
  }
  const results = await writeGeneratedFiles(files, {
    ...(opts.force && { force: true }),
    ...(opts.check && { check: true }),
    cwd: ctx.cwd,
  });
  for (const r of results) ctx.stdout.write(`${r.action}  ${r.path}\n`);
  return opts.check && results.some((r) => r.action !== "unchanged") ? 1 : 0;
}
