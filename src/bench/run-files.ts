/**
 * What a kube-burner run needs from disk, and nothing else: the workload's config and the files
 * it names (each job's object templates, the metrics and alert profiles of its metrics
 * endpoints). `llw bench run` stores exactly these with the run, so a result stays reproducible
 * after edits, and a workload file in a big folder (or in the working directory the results go
 * to) never copies that folder.
 */
import { lstat, readFile, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { parse } from "yaml";
import { UserError } from "../lib/errors.ts";
import type { Workload } from "./workloads.ts";

/** A file the run needs: where it is, and where it goes in the run's copy (relative to the config). */
export interface NeededFile {
  source: string;
  rel: string;
}

interface ConfigShape {
  jobs?: { objects?: { objectTemplate?: unknown }[] }[];
  metricsEndpoints?: { metrics?: unknown[]; alerts?: unknown[] }[];
}

/**
 * The files a config names, as written. Template actions are set aside first (`{{ ... }}` -> a
 * placeholder), so any config kube-burner reads is read, whatever template functions it uses.
 */
export function referencedFiles(configText: string, where: string): string[] {
  let cfg: ConfigShape;
  // The workshop's metrics profile is named through METRICS_PROFILE: llw's own file, which `bench
  // run` writes into each run itself (src/bench/prometheus.ts), so it is not the workload's to carry.
  const own = configText.replace(/"\{\{\s*\.METRICS_PROFILE\s*\}\}"/g, '""');
  try {
    cfg = (parse(own.replace(/\{\{.*?\}\}/gs, "0"), { maxAliasCount: 100 }) ?? {}) as ConfigShape;
  } catch (e) {
    throw new UserError({
      what: `the workload config is not YAML once its {{ }} actions are set aside: ${(e as Error).message.split("\n")[0]}`,
      where,
      next: "check it with kube-burner's own `kube-burner check-alerts`/`init --dry-run`, or fix the YAML",
    });
  }
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === "string" && v !== "" && !/^https?:\/\//.test(v) && !out.includes(v)) out.push(v);
  };
  for (const job of cfg.jobs ?? []) for (const o of job?.objects ?? []) add(o?.objectTemplate);
  for (const ep of cfg.metricsEndpoints ?? [])
    for (const f of [...(ep?.metrics ?? []), ...(ep?.alerts ?? [])]) add(f);
  return out;
}

/**
 * The config and every file it names, each a regular file inside the config's folder (kube-burner
 * reads them relative to it). A file outside that folder, a link to one, a templated name or a
 * missing file is refused before anything runs.
 */
export async function neededFiles(w: Workload): Promise<NeededFile[]> {
  const dir = await realpath(w.dir);
  const text = await readFile(w.config, "utf8");
  const files: NeededFile[] = [{ source: w.config, rel: relative(w.dir, w.config) }];
  for (const name of referencedFiles(text, w.config)) {
    const where = `${w.config}: ${name}`;
    if (name.includes("{{") || isAbsolute(name))
      throw new UserError({
        what: `the workload names ${name.includes("{{") ? "a templated file name" : "a file by an absolute path"}: ${name}`,
        where,
        next: "put the file beside the workload and name it by a path relative to the config, so the run can keep a copy",
      });
    const source = join(w.dir, name);
    const st = await lstat(source).catch(() => undefined);
    const real = st ? await realpath(source).catch(() => undefined) : undefined;
    if (!st || !real)
      throw new UserError({ what: `the workload names a file that does not exist: ${name}`, where });
    if (
      !st.isFile() ||
      !(real === dir || real.startsWith(`${dir}${sep}`)) ||
      relative(w.dir, source).startsWith("..")
    )
      throw new UserError({
        what: `the workload names ${st.isFile() ? "a file outside its folder" : "something that is not a regular file"}: ${name}`,
        where,
        next: "keep object templates and profiles as regular files in the workload's folder",
      });
    files.push({ source, rel: relative(w.dir, source) });
  }
  return files;
}
