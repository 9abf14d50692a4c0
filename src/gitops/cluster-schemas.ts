/**
 * Schemas from a live cluster: every CustomResourceDefinition of the current kube context, so
 * the tree is validated against exactly the operator versions installed there.
 */
import { Kube, type KubeOptions } from "../cluster/kube.ts";
import type { SchemaRegistry } from "./schemas.ts";

export async function addClusterCrds(
  registry: SchemaRegistry,
  opts: KubeOptions,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<number> {
  const kube = Kube.connect(opts, env, cwd);
  const crds = await kube.list("apiextensions.k8s.io/v1", "CustomResourceDefinition");
  let added = 0;
  for (const crd of crds)
    added += registry.addCrd(
      crd as Record<string, unknown>,
      `cluster ${kube.server}: CRD ${crd.metadata.name}`,
    );
  registry.sources.push(`${crds.length} CRDs from ${kube.server}`);
  return added;
}
