/**
 * `llw aws machineset`: a MachineSet for metal workers (and its MachineConfigPool), derived from
 * one of the cluster's worker MachineSets, read from a file or from the cluster.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
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
import { withGeneratedHeader, writeGeneratedFiles } from "../lib/files.ts";
import { toYaml } from "../lib/output.ts";
import { findSchemaDir } from "../lib/schema-dir.ts";
import { getInstanceType } from "../topology/catalog.ts";

export interface MachineSetCommandOptions {
  instanceType?: string;
  from?: string;
  source?: string;
  zone?: string;
  replicas?: number;
  rootVolume?: number;
  role?: string;
  outputDir?: string;
  imds?: "optional" | "required";
  force?: boolean;
  check?: boolean;
  kubeconfig?: string;
  context?: string;
}

const CRDS = {
  MachineSet: "machinesets.machine.openshift.io.yaml",
  MachineConfigPool: "machineconfigpools.machineconfiguration.openshift.io.yaml",
} as const;

/** The upstream CRDs: $LLW_CRDS_DIR, or the workshop's bundled schemas/. */
function crdDir(cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  return findSchemaDir(cwd, env, CRDS.MachineSet);
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

function readMachineSets(file: string): Obj[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError({
      what:
        code === "ENOENT"
          ? "no such file"
          : code === "EISDIR"
            ? "is a directory, not a MachineSet file"
            : `cannot read it: ${(e as Error).message}`,
      where: `--from ${file}`,
      next: "export the cluster's MachineSets with `oc get machinesets -n openshift-machine-api -o yaml > machinesets.yaml` and pass that file, or leave --from out to read them from the cluster",
    });
  }
  const docs = parseAllDocuments(text);
  const out: Obj[] = [];
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    if (d.errors.length > 0) {
      const e = d.errors[0]!;
      throw new UserError({
        what: `not valid YAML: ${e.message.split("\n")[0]}`,
        where: `${file}${e.linePos ? `:${e.linePos[0].line}` : ""}`,
        next: "export it again with `oc get machinesets -n openshift-machine-api -o yaml`",
      });
    }
    const o = d.toJS();
    if (o) out.push(o as Obj);
  }
  return out;
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

async function validate(objs: Obj[], ctx: Context): Promise<void> {
  const dir = crdDir(ctx.cwd, ctx.env);
  if (!dir) {
    ctx.stderr.write(
      "note: schema check skipped: upstream CRDs not found (set LLW_CRDS_DIR to a folder with them)\n",
    );
    return;
  }
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
  const type = catalogType(opts.instanceType);
  const where = opts.from ? resolve(ctx.cwd, opts.from) : "the cluster (namespace openshift-machine-api)";
  const objects = opts.from ? readMachineSets(where) : await machineSetsFromCluster(opts, ctx);
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
  await validate([plan.machineSet, plan.machineConfigPool], ctx);
  for (const w of plan.warnings) ctx.stderr.write(`${ctx.colors.yellow("warning:")} ${w}\n`);
  ctx.stderr.write(
    `from ${plan.source}: ${plan.machineSet.metadata.name} (${type.name}, ${plan.zone}, ${opts.replicas ?? 1} replica${(opts.replicas ?? 1) === 1 ? "" : "s"}) and MachineConfigPool ${plan.machineConfigPool.metadata.name}\n`,
  );
  if (!opts.outputDir) {
    ctx.stdout.write(`${toYaml(plan.machineSet)}---\n${toYaml(plan.machineConfigPool)}`);
    return 0;
  }
  const how = [
    `llw aws machineset --instance-type ${type.name} --from <worker MachineSet> --output-dir ${opts.outputDir}`,
  ];
  const dir = resolve(ctx.cwd, opts.outputDir);
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
        where: "--output-dir",
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
