/**
 * Makes upstream schemas as strict as the API server. Kubernetes rejects (kubectl's default
 * --validate=strict) or silently drops fields a schema does not declare, but the published
 * OpenAPI documents leave objects open; so every object schema with declared properties is
 * closed (additionalProperties: false) unless it says x-kubernetes-preserve-unknown-fields.
 * Inputs are not modified.
 */
type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

const EMBEDDED_FIELDS = {
  apiVersion: { type: "string" },
  kind: { type: "string" },
  metadata: { type: "object" },
};

function close(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(close);
  if (!isObj(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    // Descriptions are most of the bytes and ajv ignores them.
    if (k === "description" && typeof v === "string") continue;
    out[k] = k === "enum" || k === "default" || k === "example" ? v : close(v);
  }
  if (isObj(out.properties) && out.additionalProperties === undefined) {
    if (out["x-kubernetes-embedded-resource"] === true) {
      out.properties = { ...EMBEDDED_FIELDS, ...out.properties };
    }
    if (out["x-kubernetes-preserve-unknown-fields"] !== true) out.additionalProperties = false;
  }
  return out;
}

/** A closed copy of an OpenAPI v3 / Swagger 2.0 document. */
export function closeObjects(doc: Json): Json {
  return close(doc) as Json;
}

/**
 * Identical subschemas, hoisted into $defs and referenced. CRDs inline every type where it is
 * used (an ApplicationSet repeats the Application template in each generator, about a megabyte),
 * and a validator compiled from them would repeat that code each time; with shared definitions
 * each distinct subschema is compiled once.
 */
function hoist(root: Json): Json {
  const defs: Record<string, Json> = {};
  const names = new Map<string, string>();
  const visit = (node: unknown): unknown => {
    if (!isObj(node)) return node;
    const out: Json = { ...node };
    for (const k of ["properties", "patternProperties"]) {
      if (isObj(out[k])) {
        out[k] = Object.fromEntries(Object.entries(out[k] as Json).map(([n, v]) => [n, visit(v)]));
      }
    }
    if (Array.isArray(out.items)) out.items = out.items.map(visit);
    else if (isObj(out.items)) out.items = visit(out.items);
    if (isObj(out.additionalProperties)) out.additionalProperties = visit(out.additionalProperties);
    for (const k of ["allOf", "anyOf", "oneOf"])
      if (Array.isArray(out[k])) out[k] = (out[k] as unknown[]).map(visit);
    if (isObj(out.not)) out.not = visit(out.not);
    const key = JSON.stringify(out);
    if (key.length < 256) return out;
    let name = names.get(key);
    if (!name) {
      name = `s${names.size}`;
      names.set(key, name);
      defs[name] = out;
    }
    return { $ref: `#/$defs/${name}` };
  };
  const top = visit(root);
  return { ...(isObj(top) && !("$ref" in top) ? top : { allOf: [top] }), $defs: defs };
}

/** The closed openAPIV3Schema of one version of a CRD. */
export function crdVersionSchema(crd: Json, version: string): Json {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const versions = Array.isArray(spec.versions) ? (spec.versions as Json[]) : [];
  const v = versions.find((x) => x.name === version);
  const schema = isObj(v?.schema) ? v.schema.openAPIV3Schema : undefined;
  // A version without a schema accepts anything (apiextensions v1 requires one, so this is rare).
  if (!isObj(schema)) return {};
  const closed = close(schema) as Json;
  // apiVersion, kind and metadata are accepted on every custom resource, whether its schema
  // lists them or not (some CRDs declare only spec). metadata is ObjectMeta, validated by the API
  // server itself; CRDs may only restrict name.
  if (isObj(closed.properties)) {
    const declared: Json = isObj(closed.properties.metadata) ? closed.properties.metadata : {};
    const { additionalProperties: _, ...metadata }: Json = { type: "object", ...declared };
    closed.properties = { ...EMBEDDED_FIELDS, ...closed.properties, metadata };
  }
  return hoist(closed);
}
