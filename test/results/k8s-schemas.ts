/**
 * Validates rendered objects against the real upstream schemas in ../shared/crds: Kubernetes
 * OpenAPI v3 (core/v1 Pod) and KubeVirt's swagger (VirtualMachine), strictly (unknown fields
 * rejected, as the API server's strict field validation does).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import AjvModule from "ajv";
import { SHARED } from "../helpers/tools.ts";

const Ajv = AjvModule.default ?? (AjvModule as unknown as typeof AjvModule.default);

function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== "object" || schema === null) return schema;
  const s = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    out[k] =
      k === "properties"
        ? Object.fromEntries(Object.entries(v as object).map(([p, ps]) => [p, strict(ps)]))
        : strict(v);
  }
  if (s.properties && s.additionalProperties === undefined && !s["x-kubernetes-preserve-unknown-fields"])
    out.additionalProperties = false;
  // Quantities and int-or-string are strings or numbers on the wire.
  if (s.format === "int-or-string" || s["x-kubernetes-int-or-string"])
    return { anyOf: [{ type: "string" }, { type: "integer" }] };
  return out;
}

export type Validate = (obj: unknown) => string[];

function make(schemas: Record<string, unknown>, root: string): Validate {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const id = "urn:llw:schemas";
  ajv.addSchema({ $id: id, definitions: strict(schemas) as object });
  const fn = ajv.compile({ $ref: `${id}#/definitions/${root}` });
  return (obj) => {
    if (fn(obj)) return [];
    return (fn.errors ?? []).map(
      (e) =>
        `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${e.params.additionalProperty})` : ""}`,
    );
  };
}

export function podValidator(): Validate {
  const doc = JSON.parse(
    readFileSync(join(SHARED, "crds", "kubernetes-openapi-v3", "api__v1_openapi.json"), "utf8"),
  );
  const text = JSON.stringify(doc.components.schemas).replaceAll(
    "#/components/schemas/",
    "urn:llw:schemas#/definitions/",
  );
  return make(JSON.parse(text), "io.k8s.api.core.v1.Pod");
}

export function virtualMachineValidator(): Validate {
  const doc = JSON.parse(readFileSync(join(SHARED, "crds", "kubevirt-openapi-swagger.json"), "utf8"));
  const text = JSON.stringify(doc.definitions).replaceAll("#/definitions/", "urn:llw:schemas#/definitions/");
  return make(JSON.parse(text), "v1.VirtualMachine");
}
