/**
 * Validates objects against a CustomResourceDefinition's openAPIV3Schema, as the API server
 * would: the schema of the object's version, unknown fields rejected (kubectl's default strict
 * field validation) except where the schema preserves them, OpenAPI formats (int32, int64...)
 * accepted. Loads ajv lazily-by-module: import this file only where schema checks are needed.
 */
import AjvModule from "ajv";
import { UserError } from "../lib/errors.ts";
import { readInputTextSync } from "../lib/input.ts";
import type { PathLabel } from "../lib/path-error.ts";
import { yamlValues } from "../lib/yaml-input.ts";
import { crdVersionSchema } from "./transform.ts";

// ajv is CommonJS; under NodeNext its default export is the module object.
const Ajv = AjvModule.default ?? (AjvModule as unknown as typeof AjvModule.default);

export interface SchemaFinding {
  /** JSON path of the offending value, e.g. spec.cpu.reserved. */
  path: string;
  message: string;
}

export interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  deprecated?: boolean;
  schema?: { openAPIV3Schema?: Record<string, unknown> };
}

export interface Crd {
  metadata: { name: string };
  spec: { group: string; names: { kind: string; plural: string }; scope?: string; versions: CrdVersion[] };
  /** Where it was read from, for messages. */
  file?: string;
}

/** Reads a CRD from a YAML (or JSON) file, within the schema size limit. Throws UserError if it is not a CRD. */
export function readCrd(file: string, label: PathLabel = {}): Crd {
  const text = readInputTextSync(file, "schema", label);
  const where = label.flag ? `${label.flag} ${label.shown ?? file}` : (label.shown ?? file);
  const crd = yamlValues(text, where).find(
    (d) => (d as { kind?: string } | null)?.kind === "CustomResourceDefinition",
  ) as Crd | undefined;
  if (!crd?.spec?.versions) {
    throw new UserError({ what: "not a CustomResourceDefinition (apiextensions.k8s.io/v1)", where: file });
  }
  return { ...crd, file };
}

const OPENAPI_FORMATS = [
  "int32",
  "int64",
  "float",
  "double",
  "byte",
  "binary",
  "password",
  "date",
  "date-time",
];

export type CrdValidator = (obj: unknown) => SchemaFinding[];

const cache = new WeakMap<Crd, Map<string, CrdValidator>>();

/** Compiles the validator for one version of a CRD (cached per CRD object and version). */
export function compileCrdValidator(crd: Crd, version: string): CrdValidator {
  const perCrd = cache.get(crd) ?? new Map<string, CrdValidator>();
  cache.set(crd, perCrd);
  const hit = perCrd.get(version);
  if (hit) return hit;
  const v = crd.spec.versions.find((x) => x.name === version);
  if (!v) {
    throw new UserError({
      what: `${crd.spec.names.kind} has no version ${version}; it serves ${crd.spec.versions.map((x) => x.name).join(", ")}`,
      where: crd.file ?? crd.metadata.name,
    });
  }
  const schema = v.schema?.openAPIV3Schema;
  if (!schema) return () => [];
  // strict off: x-kubernetes-* keywords are not JSON Schema keywords.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  for (const f of OPENAPI_FORMATS) ajv.addFormat(f, true);
  const validate = ajv.compile(crdVersionSchema(crd as unknown as Record<string, unknown>, version));
  const fn: CrdValidator = (obj) => {
    if (validate(obj)) return [];
    return (validate.errors ?? []).map((e) => {
      const path = e.instancePath
        .replace(/^\//, "")
        .replace(/\/(\d+)(?=\/|$)/g, "[$1]")
        .replaceAll("/", ".");
      const extra = (e.params as { additionalProperty?: string }).additionalProperty;
      if (extra) return { path: path ? `${path}.${extra}` : extra, message: `unknown field "${extra}"` };
      const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
      const message = allowed
        ? `${e.message}: ${allowed.map((a) => JSON.stringify(a)).join(", ")}`
        : (e.message ?? "invalid");
      return { path: path || "(root)", message };
    });
  };
  perCrd.set(version, fn);
  return fn;
}

/**
 * Validates an object against a CRD: its apiVersion must name the CRD's group and a served
 * version, its kind the CRD's kind. Returns every finding.
 */
export function validateAgainstCrd(obj: unknown, crd: Crd): SchemaFinding[] {
  const o = (obj ?? {}) as { apiVersion?: unknown; kind?: unknown };
  const [group, version] = String(o.apiVersion ?? "").split("/");
  if (group !== crd.spec.group || !version) {
    return [
      {
        path: "apiVersion",
        message: `expected ${crd.spec.group}/<version>, found "${String(o.apiVersion)}"`,
      },
    ];
  }
  if (o.kind !== crd.spec.names.kind) {
    return [{ path: "kind", message: `expected ${crd.spec.names.kind}, found "${String(o.kind)}"` }];
  }
  const v = crd.spec.versions.find((x) => x.name === version);
  if (!v || v.served === false) {
    return [
      {
        path: "apiVersion",
        message: `${crd.spec.group} does not serve version ${version}; served: ${crd.spec.versions
          .filter((x) => x.served !== false)
          .map((x) => x.name)
          .join(", ")}`,
      },
    ];
  }
  return compileCrdValidator(crd, version)(obj);
}
