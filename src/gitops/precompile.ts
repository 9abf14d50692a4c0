/**
 * Compiles, ahead of time, the validators the workshop's own GitOps tree needs, so that the first
 * `llw lint` after an install loads them instead of compiling them (compiling the 18 schemas of
 * the tree costs more than building all of it). `npm run build` runs this into `dist/validators`;
 * `llw lint` looks there after the user's cache. Entries carry the same keys as the cache (schema
 * file digest, kind, transform and ajv versions): a different schema directory simply misses.
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { yamlToJs } from "../lib/yaml-input.ts";
import { discover, KUSTOMIZATION_FILES, readTreeText } from "./discover.ts";
import { SchemaRegistry } from "./schemas.ts";
import { writeValidator } from "./validator-cache.ts";

/** Every apiVersion/kind an object of the tree has, and the kinds its generators create (Kustomize's, llw sriov generate's). */
export async function treeKinds(tree: string): Promise<{ apiVersion: string; kind: string }[]> {
  const { units, yamlFiles } = await discover(tree);
  const kustomizations = units.flatMap((u) =>
    u.type !== "kustomization" && u.type !== "component"
      ? []
      : KUSTOMIZATION_FILES.map((f) => join(u.dir, f)).filter((f) => existsSync(f)),
  );
  const found = new Map<string, { apiVersion: string; kind: string }>();
  const add = (apiVersion: unknown, kind: unknown) => {
    if (typeof apiVersion === "string" && typeof kind === "string") {
      found.set(`${apiVersion}/${kind}`, { apiVersion, kind });
    }
  };
  for (const file of [...yamlFiles, ...kustomizations]) {
    const text = await readTreeText(file);
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) continue;
      const o = yamlToJs(doc, file) as Record<string, unknown> | null;
      if (!o || typeof o !== "object") continue;
      if (o.kind === "Kustomization" || o.kind === "Component") {
        if (Array.isArray(o.secretGenerator)) add("v1", "Secret");
        if (Array.isArray(o.configMapGenerator)) add("v1", "ConfigMap");
        continue;
      }
      add(o.apiVersion, o.kind);
    }
  }
  // What `llw sriov generate` writes in place of the SR-IOV placeholder (which holds no policy):
  // compiled too, so the first lint after generating does not compile them.
  for (const kind of ["SriovNetworkNodePolicy", "SriovNetwork"]) add("sriovnetwork.openshift.io/v1", kind);
  add("k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition");
  return [...found.values()].sort((a, b) =>
    `${a.apiVersion}/${a.kind}`.localeCompare(`${b.apiVersion}/${b.kind}`),
  );
}

export interface PrecompileResult {
  /** apiVersion/kind of each validator written. */
  written: string[];
  /** Kinds of the tree that no schema source describes (lint warns about them). */
  unknown: string[];
}

/** Replaces OUT with one standalone validator per kind of TREE that SCHEMAS describes. */
export async function precompileValidators(opts: {
  tree: string;
  schemas: string;
  out: string;
}): Promise<PrecompileResult> {
  const registry = new SchemaRegistry({ emitSource: true });
  await registry.addDirectory(opts.schemas);
  await rm(opts.out, { recursive: true, force: true });
  const result: PrecompileResult = { written: [], unknown: [] };
  for (const { apiVersion, kind } of await treeKinds(opts.tree)) {
    const v = await registry.standaloneOf(apiVersion, kind);
    if (!v) {
      result.unknown.push(`${apiVersion}/${kind}`);
      continue;
    }
    writeValidator(opts.out, v.key, v.code);
    result.written.push(`${apiVersion}/${kind}`);
  }
  return result;
}
