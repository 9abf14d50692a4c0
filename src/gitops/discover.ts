/**
 * Finds what there is to lint under a directory: every kustomization (a directory with a
 * kustomization.yaml, kustomization.yml or Kustomization file), every Kustomize Component (which
 * cannot build alone), every directory of plain manifests outside any kustomization (the
 * way Argo CD syncs a directory without a kustomization file), and every kube-burner workload
 * (a config whose object templates are Go templates: rendered before they are checked).
 */
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { readInputText } from "../lib/input.ts";
import { yamlToJs } from "../lib/yaml-input.ts";
import { isGoTemplate, isKubeBurnerConfig, templateFiles } from "./kube-burner.ts";

export const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
const SKIP_DIRS = new Set(["node_modules", ".git", ".tools", "dist"]);

export type Unit =
  | { type: "kustomization"; dir: string }
  | { type: "component"; dir: string }
  | { type: "manifests"; dir: string; files: string[] }
  /** A kube-burner config and the object templates it names. */
  | { type: "kube-burner"; dir: string; config: string; templates: string[] }
  /** Go templates no kube-burner config under the linted path uses: they cannot be checked alone. */
  | { type: "templates"; dir: string; files: string[] };

export interface Discovery {
  units: Unit[];
  /** Every YAML file under the root, for finding the file an object came from. */
  yamlFiles: string[];
}

export async function discover(root: string): Promise<Discovery> {
  const units: Unit[] = [];
  const yamlFiles: string[] = [];
  const templates: { dir: string; file: string }[] = [];
  const walk = async (dir: string, insideKustomization: boolean): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    const names = new Set(entries.map((e) => e.name));
    const kfile = KUSTOMIZATION_FILES.find((f) => names.has(f));
    const yamls = entries
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && !KUSTOMIZATION_FILES.includes(e.name))
      .map((e) => join(dir, e.name))
      .sort();
    if (kfile) {
      yamlFiles.push(...yamls);
      const text = await readTreeText(join(dir, kfile));
      const component = /^kind:\s*Component\s*$/m.test(text);
      units.push({ type: component ? "component" : "kustomization", dir });
    } else if (!insideKustomization && yamls.length > 0) {
      const manifests: string[] = [];
      for (const f of yamls) {
        const text = await readTreeText(f);
        if (isKubeBurnerConfig(text)) {
          units.push({ type: "kube-burner", dir, config: f, templates: templateFiles(f, text) });
        } else if (isGoTemplate(text)) {
          templates.push({ dir, file: f });
        } else {
          yamlFiles.push(f);
          if (looksLikeManifest(text)) manifests.push(f);
        }
      }
      if (manifests.length > 0) units.push({ type: "manifests", dir, files: manifests });
    } else {
      yamlFiles.push(...yamls);
    }
    const subdirs = entries
      .filter((e) => e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith("."))
      .map((e) => e.name)
      .sort();
    for (const s of subdirs) await walk(join(dir, s), insideKustomization || kfile !== undefined);
  };
  await walk(root, false);
  // Templates a workload under the root renders are checked with it; the others are listed.
  const used = new Set(units.flatMap((u) => (u.type === "kube-burner" ? u.templates : [])));
  const orphans = new Map<string, string[]>();
  for (const t of templates)
    if (!used.has(t.file)) orphans.set(t.dir, [...(orphans.get(t.dir) ?? []), t.file]);
  for (const [dir, files] of orphans) units.push({ type: "templates", dir, files });
  return { units, yamlFiles };
}

/** A YAML file with at least one document that has apiVersion and kind (or is unparsable). */
function looksLikeManifest(text: string): boolean {
  return /^apiVersion:/m.test(text) && /^kind:/m.test(text);
}

export interface SourceObject {
  file: string;
  kind: string;
  name: string;
}

/** kind/name -> files defining it, for pointing a finding at the file a reader edits. */
export async function indexSources(files: string[]): Promise<Map<string, string[]>> {
  const index = new Map<string, string[]>();
  await Promise.all(
    files.map(async (file) => {
      const text = await readTreeText(file);
      for (const doc of parseAllDocuments(text)) {
        if (doc.errors.length > 0) continue;
        let o: { kind?: unknown; metadata?: { name?: unknown } } | null;
        try {
          o = yamlToJs(doc, file) as typeof o;
        } catch {
          continue; // too many aliases: lint reports the file itself
        }
        if (!o || typeof o.kind !== "string" || typeof o.metadata?.name !== "string") continue;
        const key = `${o.kind}/${o.metadata.name}`;
        index.set(key, [...(index.get(key) ?? []), file]);
      }
    }),
  );
  return index;
}

/** A file of the tree, within the manifest size limit; only regular files (a FIFO would hang). */
export function readTreeText(file: string): Promise<string> {
  return readInputText(
    file,
    "manifest",
    { shown: relative(process.cwd(), file) || file },
    { regularOnly: true },
  );
}
