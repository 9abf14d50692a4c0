/**
 * Where the upstream schemas live. The workshop carries them in `schemas/` at the repository root
 * (the CustomResourceDefinitions and Kubernetes/KubeVirt OpenAPI documents, byte for byte as
 * upstream publishes them; `schemas/MANIFEST.md` names each file's source and commit), so every
 * clone can validate offline. `--schemas DIR` or LLW_CRDS_DIR point the commands at another folder
 * (e.g. the CRDs of another OpenShift release).
 *
 * A folder the user names must be usable: one that does not exist, is empty or holds no schema
 * file is an error, never "validation off" (every object would pass).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EnvironmentError, UserError } from "./errors.ts";

/** `schemas/` of this checkout (the same from src/ and from dist/). */
export const BUNDLED_SCHEMAS = fileURLToPath(new URL("../../schemas", import.meta.url));

const SCHEMA_FILE = /\.(json|ya?ml)$/;

/** Whether a folder holds a schema file (*.json, *.yaml, *.yml), looking a few levels down at most. */
function hasSchemaFiles(dir: string, depth = 3): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory() && SCHEMA_FILE.test(e.name)) return true;
    if (e.isDirectory() && depth > 0 && hasSchemaFiles(join(dir, e.name), depth - 1)) return true;
  }
  return false;
}

/** Checks a folder the user named; `where` is how they named it ("--schemas x", "LLW_CRDS_DIR=x"). */
function checkUserDir(dir: string, where: string): void {
  const next =
    "point it at a folder of CRD YAML and Kubernetes OpenAPI JSON files (e.g. the workshop's schemas/), or leave it out to use the workshop's";
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UserError({ what: "the schema directory does not exist", where, next });
  }
  if (!isDir) throw new UserError({ what: "the schema directory is a file, not a directory", where, next });
  let found: boolean;
  try {
    found = hasSchemaFiles(dir);
  } catch (e) {
    throw new EnvironmentError({
      what: `cannot read the schema directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      where,
      next: "check its permissions",
    });
  }
  if (!found)
    throw new UserError({
      what: "the schema directory holds no schema file (*.json, *.yaml), so nothing could be validated",
      where,
      next,
    });
}

/**
 * The schema directory: `explicit` (--schemas DIR, relative to cwd) if given, else $LLW_CRDS_DIR,
 * else the bundled `schemas/`. With `file`: --schemas must contain it; LLW_CRDS_DIR without it
 * falls back to the bundled copy (a folder with some CRDs of another release). Undefined only when
 * nothing is found at all (a broken installation without `schemas/`).
 */
export function findSchemaDir(
  cwd: string,
  env: NodeJS.ProcessEnv,
  file?: string,
  explicit?: string,
): string | undefined {
  if (explicit) {
    const dir = resolve(cwd, explicit);
    checkUserDir(dir, `--schemas ${explicit}`);
    if (file && !existsSync(join(dir, file)))
      throw new UserError({
        what: `the schema directory has no ${file}`,
        where: `--schemas ${explicit}`,
        next: `add the CRD file as upstream publishes it, or leave --schemas out to use the workshop's schemas/`,
      });
    return dir;
  }
  const fromEnv = env.LLW_CRDS_DIR ? resolve(cwd, env.LLW_CRDS_DIR) : undefined;
  if (fromEnv) checkUserDir(fromEnv, `LLW_CRDS_DIR=${env.LLW_CRDS_DIR}`);
  return [...(fromEnv ? [fromEnv] : []), BUNDLED_SCHEMAS].find((d) => existsSync(file ? join(d, file) : d));
}

/** The error for an installation without its schemas/ (the commands never validate nothing). */
export function noSchemas(file: string): EnvironmentError {
  return new EnvironmentError({
    what: `no ${file} to validate against: the workshop's schemas/ folder is missing`,
    where: BUNDLED_SCHEMAS,
    next: "reinstall the workshop (git clone or npm ci), or pass --schemas DIR with the upstream CRDs",
  });
}
