/**
 * Where the upstream schemas live. The workshop carries them in `schemas/` at the repository root
 * (the CustomResourceDefinitions and Kubernetes/KubeVirt OpenAPI documents, byte for byte as
 * upstream publishes them; `schemas/MANIFEST.md` names each file's source and commit), so every
 * clone can validate offline. LLW_CRDS_DIR points the commands at another folder (e.g. the CRDs of
 * another OpenShift release).
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "./errors.ts";

/** `schemas/` of this checkout (the same from src/ and from dist/). */
export const BUNDLED_SCHEMAS = fileURLToPath(new URL("../../schemas", import.meta.url));

/**
 * $LLW_CRDS_DIR (relative to cwd), else the bundled `schemas/`: the first that contains `file`
 * when one is given. Undefined when none does. A LLW_CRDS_DIR that does not exist is an error,
 * not a silent fallback: the user asked for other schemas.
 */
export function findSchemaDir(cwd: string, env: NodeJS.ProcessEnv, file?: string): string | undefined {
  const fromEnv = env.LLW_CRDS_DIR ? resolve(cwd, env.LLW_CRDS_DIR) : undefined;
  if (fromEnv && !existsSync(fromEnv))
    throw new UserError({
      what: "the schema directory does not exist",
      where: `LLW_CRDS_DIR=${env.LLW_CRDS_DIR}`,
      next: "point it at a folder of CRD YAML and Kubernetes OpenAPI JSON files, or unset it to use the workshop's schemas/",
    });
  return [...(fromEnv ? [fromEnv] : []), BUNDLED_SCHEMAS].find((d) => existsSync(file ? join(d, file) : d));
}
