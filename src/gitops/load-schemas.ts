/**
 * The schema registry `llw lint` and `llw tune apply` validate with: compiled validators from the
 * user's cache and from the build (unless LLW_NO_CACHE=1), the CRDs of a live cluster when asked
 * (client-node is loaded only then), and the documents of a schema directory. With the cluster's
 * CRDs, the directory gives only the built-in kinds: the cluster is the truth for custom resources.
 */
import type { KubeOptions } from "../cluster/kube.ts";
import { SchemaRegistry } from "./schemas.ts";
import { defaultCacheDir, shippedValidatorDir } from "./validator-cache.ts";

export async function loadSchemas(o: {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** A directory of CRD YAML and OpenAPI JSON files. */
  dir?: string | undefined;
  /** The CRDs of this cluster instead of the directory's. */
  fromCluster?: KubeOptions | undefined;
}): Promise<SchemaRegistry> {
  const cacheDir = defaultCacheDir(o.env);
  const shippedDir = shippedValidatorDir(o.env);
  const registry = new SchemaRegistry({
    ...(cacheDir ? { cacheDir } : {}),
    ...(shippedDir ? { shippedDir } : {}),
  });
  if (o.fromCluster) {
    const { addClusterCrds } = await import("./cluster-schemas.ts");
    await addClusterCrds(registry, o.fromCluster, o.env, o.cwd);
  }
  if (o.dir) await registry.addDirectory(o.dir, { crds: !o.fromCluster });
  return registry;
}
