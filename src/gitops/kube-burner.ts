/**
 * kube-burner workloads inside a linted tree. Their object templates are Go templates, not
 * manifests: `{{.Iteration}}` in a name, a template value in a typed field, an `{{if}}` that
 * makes the file YAML only once rendered. Lint renders each template the way kube-burner does
 * and validates what kube-burner would create, with the same schemas and checks as the GitOps
 * tree (a "tuned" pod that is Burstable is an error here too).
 *
 * How kube-burner renders (kube-burner/kube-burner, main, pkg/config/config.go
 * ParseWithUserdata and pkg/burner/executor.go buildTemplateData): the config file is a Go
 * template over the environment variables plus UUID; each object template is a Go template over
 * the job's built-ins (JobName, Iteration counted from 0, Replica counted from 1, UUID, RunID)
 * overlaid with the object's inputVars; both with `missingkey=error` and sprig's functions
 * (pkg/util/template.go RenderTemplate). Template paths are relative to the config file.
 * The workshop's workloads take their environment from `variables.yml` (common and per-workload
 * defaults), beside the workload's folder or in it; those defaults are what lint renders with.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { renderTemplate, templateVariables } from "../bench/template.ts";
import { UserError } from "../lib/errors.ts";
import { isObj, type Json } from "./model.ts";

/** A kube-burner config: a top-level `jobs:` list whose objects name an objectTemplate. */
export function isKubeBurnerConfig(text: string): boolean {
  return /^jobs:\s*$/m.test(text) && /^\s*-?\s*objectTemplate:/m.test(text) && !/^kind:/m.test(text);
}

/** A Go template (kube-burner object template or config), not a plain manifest. */
export function isGoTemplate(text: string): boolean {
  return /\{\{.*\}\}/.test(text);
}

/**
 * The object template files a config names, as absolute paths, read without rendering (the
 * paths are plain strings in the workshop's configs; a templated path is left out).
 */
export function templateFiles(configFile: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*-?\s*objectTemplate:\s*["']?([^"'\s#]+)["']?\s*(?:#.*)?$/gm)) {
    if (!m[1]!.includes("{{")) out.push(resolve(dirname(configFile), m[1]!));
  }
  return out;
}

export interface RenderedTemplateObject {
  obj: Json;
  /** Absolute path of the object template it came from. */
  template: string;
}

export interface WorkloadProblem {
  severity: "error" | "warning";
  /** Absolute path of the file the problem is in. */
  file: string;
  message: string;
}

/** The environment the workshop gives a workload: variables.yml defaults (common, then its own). */
async function workloadEnvironment(
  configFile: string,
): Promise<{ vars: Record<string, string>; from?: string }> {
  const name = basename(configFile).replace(/\.ya?ml$/, "");
  for (const dir of [dirname(configFile), dirname(dirname(configFile))]) {
    const file = join(dir, "variables.yml");
    if (!existsSync(file)) continue;
    const data = parse(await readFile(file, "utf8"), { merge: true }) as unknown;
    if (!isObj(data)) return { vars: {}, from: file };
    const vars: Record<string, string> = {};
    const take = (section: unknown) => {
      if (!isObj(section)) return;
      for (const [k, v] of Object.entries(section))
        vars[k] = isObj(v) && v.default !== undefined ? String(v.default) : String(v ?? "");
    };
    take(data.common);
    take(isObj(data.workloads) ? data.workloads[name] : undefined);
    return { vars, from: file };
  }
  return { vars: {} };
}

/** What a UserError from the renderer says, in one line. */
function why(e: unknown): string {
  if (e instanceof UserError) return e.problems.map((p) => p.what).join("; ");
  return (e as Error).message;
}

/**
 * Renders a kube-burner config with the workshop's variables, then every object template of its
 * create jobs for the first iteration and replica, and parses what kube-burner would create.
 * Problems (unset variables, constructs llw cannot render, YAML that only breaks once
 * rendered) are returned, never thrown.
 */
export async function renderKubeBurnerWorkload(
  configFile: string,
): Promise<{ objects: RenderedTemplateObject[]; problems: WorkloadProblem[]; variablesFrom?: string }> {
  const problems: WorkloadProblem[] = [];
  const objects: RenderedTemplateObject[] = [];
  const env = await workloadEnvironment(configFile);
  const from = env.from ? { variablesFrom: env.from } : {};
  const uuid = "00000000-0000-0000-0000-000000000000";
  const configText = await readFile(configFile, "utf8");
  const unset = templateVariables(configText).filter((v) => v !== "UUID" && !(v in env.vars));
  if (unset.length > 0) {
    // With variables.yml the workshop declares every variable (llw bench run fails on the others);
    // without it they may come from the environment kube-burner runs in.
    problems.push({
      severity: env.from ? "error" : "warning",
      file: configFile,
      message: env.from
        ? `variables without a default in ${basename(env.from)}: ${unset.join(", ")} (kube-burner stops on a missing key)`
        : `not checked: no variables.yml beside the workload gives ${unset.join(", ")}`,
    });
    return { objects, problems, ...from };
  }
  let config: unknown;
  try {
    config = parse(renderTemplate(configText, { UUID: uuid, ...env.vars }, configFile));
  } catch (e) {
    problems.push({
      severity: "warning",
      file: configFile,
      message: `not checked: llw cannot render this config as kube-burner would: ${why(e)}`,
    });
    return { objects, problems, ...from };
  }
  const jobs = isObj(config) && Array.isArray(config.jobs) ? config.jobs : [];
  for (const job of jobs) {
    if (!isObj(job) || (job.jobType ?? "create") !== "create" || !Array.isArray(job.objects)) continue;
    for (const o of job.objects) {
      if (!isObj(o) || typeof o.objectTemplate !== "string") continue;
      const template = resolve(dirname(configFile), o.objectTemplate);
      if (!existsSync(template)) {
        problems.push({
          severity: "error",
          file: configFile,
          message: `job ${String(job.name)}: objectTemplate ${o.objectTemplate} does not exist`,
        });
        continue;
      }
      // kube-burner copies inputVars over the built-ins (buildTemplateData).
      const data = {
        JobName: job.name,
        Iteration: 0,
        Replica: 1,
        UUID: uuid,
        RunID: "",
        ...(isObj(o.inputVars) ? o.inputVars : {}),
      };
      const source = await readFile(template, "utf8");
      const missing = templateVariables(source).filter((v) => !(v in data));
      if (missing.length > 0) {
        problems.push({
          severity: "error",
          file: template,
          message: `kube-burner job ${String(job.name)} gives no ${missing.join(", ")} (neither an inputVar nor a built-in): kube-burner stops on a missing key`,
        });
        continue;
      }
      let text: string;
      try {
        text = renderTemplate(source, data, template);
      } catch (e) {
        problems.push({
          severity: "warning",
          file: template,
          message: `not checked: llw cannot render it as kube-burner would for job ${String(job.name)}: ${why(e)}`,
        });
        continue;
      }
      for (const doc of parseAllDocuments(text)) {
        if (doc.errors.length > 0) {
          problems.push({
            severity: "error",
            file: template,
            message: `rendered for job ${String(job.name)} (iteration 0, replica 1) it is not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`,
          });
          break;
        }
        const obj = doc.toJS() as unknown;
        if (isObj(obj)) objects.push({ obj, template });
      }
    }
  }
  return { objects, problems, ...from };
}
