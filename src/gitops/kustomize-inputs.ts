/**
 * What a kustomization makes kustomize read, checked before kustomize runs. kustomize expands
 * YAML aliases with no limit (a 400-byte "billion laughs" file took a kubectl kustomize build to
 * 24 GB of memory) and blocks for ever on a FIFO, so every local file a build would read is first
 * read by llw itself: within the manifest size limit, a regular file (no FIFO, no device), and,
 * for YAML, with the alias limit every other YAML input of llw has (src/lib/yaml-input.ts). A
 * kustomization with a problem is not given to kustomize; the problem names the file.
 *
 * The fields that name files follow kustomize's Kustomization type
 * (kubernetes-sigs/kustomize, api/types/kustomization.go, as vendored by kubernetes/kubernetes
 * master): resources, bases and components (files, or directories holding a kustomization),
 * crds, configurations, generators, transformers, validators, patchesStrategicMerge, patches and
 * patchesJson6902 (`path`), replacements (`path`), openapi (`path`), and the ConfigMap and Secret
 * generators' files and envs (read as data, not YAML). Remote resources (URLs) are kustomize's.
 */
import { stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import type { Problem } from "../lib/errors.ts";
import { formatBytes, INPUT_LIMITS } from "../lib/input.ts";
import { yamlToJs } from "../lib/yaml-input.ts";
import { KUSTOMIZATION_FILES, readTreeText } from "./discover.ts";

type Json = Record<string, unknown>;

/** A file kustomize would read and what is wrong with it. */
export interface InputProblem {
  /** Absolute path. */
  file: string;
  what: string;
}

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
const paths = (v: unknown): string[] =>
  Array.isArray(v) ? v.flatMap((p) => (isObj(p) && typeof p.path === "string" ? [p.path] : [])) : [];

/** A URL or a go-getter address (github.com/..., git@...): fetched by kustomize, not read here. */
function isRemote(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) || /^(git@|github\.com\/|gitlab\.com\/)/.test(ref);
}

/** Inline content (a patch or a generator written in the kustomization itself), not a path. */
const isInline = (ref: string) => ref.includes("\n");

/** `key=path` in a generator's files list names `path`. */
const generatorFile = (entry: string) => entry.slice(entry.indexOf("=") + 1);

interface Refs {
  /** Files or directories (resources, bases, components). */
  either: string[];
  /** YAML files. */
  yaml: string[];
  /** Files read as data (generators' files and envs). */
  data: string[];
}

function references(k: Json): Refs {
  const generators = [...(Array.isArray(k.configMapGenerator) ? k.configMapGenerator : [])].concat(
    Array.isArray(k.secretGenerator) ? k.secretGenerator : [],
  );
  const data = generators.flatMap((g) =>
    isObj(g)
      ? [
          ...strings(g.files).map(generatorFile),
          ...strings(g.envs),
          ...(typeof g.env === "string" ? [g.env] : []),
        ]
      : [],
  );
  const openapi = isObj(k.openapi) && typeof k.openapi.path === "string" ? [k.openapi.path] : [];
  return {
    either: [...strings(k.resources), ...strings(k.bases), ...strings(k.components)],
    yaml: [
      ...strings(k.crds),
      ...strings(k.configurations),
      ...strings(k.generators),
      ...strings(k.transformers),
      ...strings(k.validators),
      ...strings(k.patchesStrategicMerge),
      ...paths(k.patches),
      ...paths(k.patchesJson6902),
      ...paths(k.replacements),
      ...openapi,
    ],
    data,
  };
}

/**
 * Problems with the files `dir`'s kustomization makes kustomize read (its own file included),
 * following directories it names; none means kustomize may build it. `checked` is shared between
 * calls, so a file several kustomizations read is read once.
 */
export async function kustomizationInputProblems(
  dir: string,
  shownFrom: string,
  checked: Map<string, InputProblem[]> = new Map(),
): Promise<InputProblem[]> {
  const shown = (p: string) => relative(shownFrom, p) || p;
  const visit = async (file: string, kind: "yaml" | "data"): Promise<InputProblem[]> => {
    const known = checked.get(file);
    if (known) return known;
    checked.set(file, []); // a cycle ends here; kustomize reports it
    const found: InputProblem[] = [];
    // A file that does not exist is kustomize's to report, in its own words.
    if (!(await stat(file).catch(() => undefined))) return found;
    try {
      if (kind === "data") {
        const st = await stat(file);
        if (!st.isFile()) found.push({ file, what: `${shown(file)} is not a regular file` });
        else if (st.size > INPUT_LIMITS.manifest.bytes)
          found.push({
            file,
            what: `${shown(file)} is ${formatBytes(st.size)}, more than the ${formatBytes(INPUT_LIMITS.manifest.bytes)} limit for a ${INPUT_LIMITS.manifest.what}`,
          });
      } else {
        // Syntax errors are kustomize's to report; aliases are expanded here, within the limit.
        const values = parseAllDocuments(await readTreeText(file))
          .filter((d) => d.errors.length === 0)
          .map((d, i) => yamlToJs(d, shown(file), i));
        if (KUSTOMIZATION_FILES.some((k) => file.endsWith(`/${k}`))) {
          const k = values.find(isObj) ?? {};
          const base = resolve(file, "..");
          const refs = references(k);
          const local = (r: string) => !isInline(r) && !isRemote(r);
          const at = (r: string) => (isAbsolute(r) ? r : join(base, r));
          for (const r of refs.either.filter(local)) found.push(...(await visitEither(at(r))));
          for (const r of refs.yaml.filter(local)) found.push(...(await visit(at(r), "yaml")));
          for (const r of refs.data.filter(local)) found.push(...(await visit(at(r), "data")));
        }
      }
    } catch (e) {
      const err = e as { problems?: Problem[]; code?: string };
      if (err.problems) found.push(...err.problems.map((p) => ({ file, what: p.what })));
      else if (err.code !== "ENOENT" && err.code !== "ENOTDIR") throw e;
    }
    checked.set(file, found);
    return found;
  };
  const visitEither = async (path: string): Promise<InputProblem[]> => {
    const st = await stat(path).catch(() => undefined);
    if (!st?.isDirectory()) return visit(path, "yaml");
    for (const k of KUSTOMIZATION_FILES) {
      const f = join(path, k);
      if (await stat(f).catch(() => undefined)) return visit(f, "yaml");
    }
    return []; // a directory without a kustomization: kustomize says so
  };
  return visitEither(dir);
}
