/**
 * Validates rendered workload objects against the real upstream schemas shipped in schemas/
 * (Kubernetes OpenAPI v3 for Pods, KubeVirt's swagger for VirtualMachines) through the same
 * schema registry `llw lint` uses, strictly: unknown fields are rejected as the API server's
 * strict field validation does.
 */
import { SchemaRegistry } from "../../src/gitops/schemas.ts";
import { SCHEMAS_DIR } from "../helpers/tools.ts";

export type Validate = (obj: unknown) => Promise<string[]>;

/** A validator for any kind the OpenAPI documents in schemas/ describe. */
export async function upstreamValidator(): Promise<Validate> {
  const registry = new SchemaRegistry();
  await registry.addDirectory(SCHEMAS_DIR, { crds: false });
  return async (obj) => {
    const o = obj as Record<string, unknown>;
    const issues = await registry.validate(o);
    if (issues === undefined) return [`no upstream schema for ${String(o.apiVersion)} ${String(o.kind)}`];
    return issues.map((i) => `${i.path} ${i.message}`);
  };
}
