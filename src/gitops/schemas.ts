/**
 * The schema registry: a JSON Schema validator for every group/version/kind the schema sources
 * describe. Three kinds of source, as upstream publishes them:
 * - Kubernetes OpenAPI v3 documents (one per group-version, `components.schemas`, kinds marked
 *   with `x-kubernetes-group-version-kind`);
 * - CustomResourceDefinitions (an `openAPIV3Schema` per served version);
 * - Swagger 2.0 documents without GVK markers (KubeVirt), where the kind of each definition comes
 *   from the API paths that create it (`POST /apis/<group>/<version>/.../<plural>`).
 * Sources are indexed cheaply up front; a validator is compiled only when a kind is first seen
 * and is then cached, because compiling every schema in these documents costs seconds.
 */

import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import standaloneCodeModule from "ajv/dist/standalone/index.js";
import { UserError } from "../lib/errors.ts";
import { readInputText } from "../lib/input.ts";
import { yamlValues } from "../lib/yaml-input.ts";
import { closeObjects, crdVersionSchema } from "../schema/transform.ts";
import { cacheKey, ValidatorCache } from "./validator-cache.ts";

// ajv's standalone module is CommonJS; under NodeNext its default export is the module object.
type StandaloneCode = (ajv: Ajv, fn: ValidateFunction) => string;
const standaloneCode = ((standaloneCodeModule as unknown as { default?: StandaloneCode }).default ??
  standaloneCodeModule) as unknown as StandaloneCode;

export interface SchemaIssue {
  /** JSON path in the object, e.g. spec.containers[0].resources. */
  path: string;
  message: string;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Where the schema of one GVK lives, before it is compiled. */
type Entry =
  | { type: "openapi"; docId: string; ref: string; source: string; digest: string }
  | { type: "crd"; load: () => Promise<Json>; version: string; source: string; digest: string };

export function gvkKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

export interface RegistryOptions {
  /** Directory for compiled validators (see validator-cache.ts); none: compile every run. */
  cacheDir?: string;
  /** Read-only validators compiled ahead (`dist/validators`), looked up after cacheDir. */
  shippedDir?: string;
  /** Keep each validator's source, for standaloneOf() (the build's precompile step). */
  emitSource?: boolean;
}

const digestOf = (text: string) => createHash("sha256").update(text).digest("hex");

export class SchemaRegistry {
  private readonly cache: ValidatorCache | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly docs = new Map<string, Json>();
  private readonly compiled = new Map<string, Promise<ValidateFunction>>();
  private ajv: Ajv | undefined;
  private readonly emitSource: boolean;
  /** Files that were read, for messages ("validated against ..."). */
  readonly sources: string[] = [];
  /** How many validators were compiled, and how many came from the cache. */
  readonly stats = { compiled: 0, cached: 0 };

  constructor(opts: RegistryOptions = {}) {
    this.cache =
      opts.cacheDir || opts.shippedDir
        ? new ValidatorCache({
            ...(opts.cacheDir ? { dir: opts.cacheDir } : {}),
            readOnly: opts.shippedDir ? [opts.shippedDir] : [],
          })
        : undefined;
    this.emitSource = (opts.emitSource ?? false) || (this.cache?.writable ?? false);
  }

  private getAjv(): Ajv {
    // Formats are not validated: Kubernetes formats (int-or-string, int32, byte...) are not JSON
    // Schema formats, and the API server does not reject most of them either.
    this.ajv ??= new Ajv({
      strict: false,
      allErrors: true,
      validateFormats: false,
      logger: false,
      inlineRefs: false,
      code: { source: this.emitSource },
    });
    return this.ajv;
  }

  has(apiVersion: string, kind: string): boolean {
    return this.entries.has(gvkKey(apiVersion, kind));
  }

  get size(): number {
    return this.entries.size;
  }

  /** Where the schema of a kind comes from (file or cluster), if known. */
  sourceOf(apiVersion: string, kind: string): string | undefined {
    return this.entries.get(gvkKey(apiVersion, kind))?.source;
  }

  /** An OpenAPI v3 (Kubernetes) or Swagger 2.0 document. */
  addOpenApiDocument(doc: Json, source: string, digest = digestOf(JSON.stringify(doc))): number {
    const docId = `doc${this.docs.size}`;
    let added = 0;
    const defs = isObj(doc.components) && isObj(doc.components.schemas) ? doc.components.schemas : undefined;
    if (defs) {
      for (const [name, schema] of Object.entries(defs)) {
        const gvks = isObj(schema) ? schema["x-kubernetes-group-version-kind"] : undefined;
        if (!Array.isArray(gvks)) continue;
        for (const g of gvks as { group: string; version: string; kind: string }[]) {
          const apiVersion = g.group ? `${g.group}/${g.version}` : g.version;
          added += this.put(gvkKey(apiVersion, g.kind), {
            type: "openapi",
            docId,
            ref: `#/components/schemas/${name}`,
            source,
            digest,
          });
        }
      }
    } else if (isObj(doc.definitions)) {
      for (const [key, ref] of swaggerKinds(doc)) {
        added += this.put(key, { type: "openapi", docId, ref, source, digest });
      }
    }
    if (added > 0) this.docs.set(docId, doc);
    return added;
  }

  /** A CustomResourceDefinition (already parsed), one entry per served version. */
  addCrd(crd: Json, source: string, digest = digestOf(JSON.stringify(crd))): number {
    const spec = isObj(crd.spec) ? crd.spec : {};
    const group = String(spec.group ?? "");
    const kind = isObj(spec.names) ? String(spec.names.kind ?? "") : "";
    let added = 0;
    for (const v of Array.isArray(spec.versions) ? (spec.versions as Json[]) : []) {
      if (v.served === false || typeof v.name !== "string") continue;
      added += this.put(gvkKey(`${group}/${v.name}`, kind), {
        type: "crd",
        load: async () => crd,
        version: v.name,
        source,
        digest,
      });
    }
    return added;
  }

  private put(key: string, entry: Entry): number {
    // The first source wins: load the primary copy of a CRD before any alternative copy.
    if (this.entries.has(key)) return 0;
    this.entries.set(key, entry);
    return 1;
  }

  /**
   * Reads every schema file under DIR: *.json (OpenAPI v3 / Swagger 2.0) and *.yaml / *.yml
   * (CRDs). CRD files are only scanned for their group, kind and versions here; they are parsed
   * when one of their kinds is first validated. Where two files define the same kind, the one
   * named after the CRD (`<plural>.<group>.yaml`) wins.
   */
  async addDirectory(dir: string, opts: { crds?: boolean } = {}): Promise<void> {
    const files = await listFiles(dir).catch((e: NodeJS.ErrnoException) => {
      throw new UserError({
        what: `cannot read the schema directory: ${e.code === "ENOENT" ? "it does not exist" : e.message}`,
        where: dir,
        next: "pass --schemas DIR with CRD YAML and OpenAPI JSON files, or --schemas-from-cluster",
      });
    });
    const sorted = files.sort((a, b) => a.length - b.length || a.localeCompare(b));
    const before = this.sources.length;
    for (const file of sorted) {
      const shown = relative(process.cwd(), file) || file;
      if (file.endsWith(".json")) {
        const text = await readSchemaFile(file, shown);
        let doc: Json;
        try {
          doc = JSON.parse(text) as Json;
        } catch (e) {
          throw new UserError({
            what: `not valid JSON: ${(e as Error).message}`,
            where: shown,
            next: "fix or remove the file: every *.json in a schema directory is read as an OpenAPI document",
          });
        }
        if (isObj(doc) && this.addOpenApiDocument(doc, shown, digestOf(text)) > 0) this.sources.push(shown);
      } else if (/\.ya?ml$/.test(file) && opts.crds !== false) {
        const text = await readSchemaFile(file, shown);
        const head = scanCrd(text);
        if (!head) {
          // Not laid out as controller-gen writes CRDs: parse it in full (slower, same result).
          if (!/^kind:\s*CustomResourceDefinition\s*$/m.test(text)) continue;
          const crd = schemaYaml(text, shown);
          if (this.addCrd(crd, shown, digestOf(text)) > 0) this.sources.push(shown);
          continue;
        }
        let parsed: Promise<Json> | undefined;
        const load = () => {
          parsed ??= Promise.resolve(schemaYaml(text, shown));
          return parsed;
        };
        let added = 0;
        const digest = digestOf(text);
        for (const version of head.versions) {
          added += this.put(gvkKey(`${head.group}/${version}`, head.kind), {
            type: "crd",
            load,
            version,
            source: shown,
            digest,
          });
        }
        if (added > 0) this.sources.push(shown);
      }
    }
    // A folder that gives no schema would turn validation off without a word: every kind
    // unknown, every object "valid". That is a wrong path, not a choice.
    if (this.sources.length === before) {
      throw new UserError({
        what: `the schema directory holds no ${opts.crds === false ? "Kubernetes OpenAPI document" : "CRD or Kubernetes OpenAPI document"} (${files.length} file${files.length === 1 ? "" : "s"} in it), so nothing could be validated`,
        where: relative(process.cwd(), dir) || dir,
        next: "point --schemas (or LLW_CRDS_DIR) at a folder of CRD YAML and Kubernetes OpenAPI JSON files, e.g. the workshop's schemas/",
      });
    }
  }

  /** Compiles (or loads) the validator of a kind ahead of use; resolves when it is ready. */
  async prepare(apiVersion: string, kind: string): Promise<void> {
    const key = gvkKey(apiVersion, kind);
    const entry = this.entries.get(key);
    if (!entry || this.compiled.has(key)) return;
    const fn = this.compileCached(key, entry);
    this.compiled.set(key, fn);
    await fn;
  }

  /** Validates an object against the schema of its kind; undefined when the kind is unknown. */
  async validate(obj: Json): Promise<SchemaIssue[] | undefined> {
    const key = gvkKey(String(obj.apiVersion), String(obj.kind));
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.compileCached(key, entry);
      this.compiled.set(key, fn);
    }
    const validate = await fn;
    if (validate(obj)) return [];
    return summarize(validate.errors ?? []);
  }

  /**
   * Compiles the validator of a kind and returns it as standalone code with its cache key, for
   * the validators shipped with the build; undefined when no schema source has the kind.
   */
  async standaloneOf(apiVersion: string, kind: string): Promise<{ key: string; code: string } | undefined> {
    const gvk = gvkKey(apiVersion, kind);
    const entry = this.entries.get(gvk);
    if (!entry) return undefined;
    if (!this.emitSource) throw new Error("standaloneOf needs a registry created with emitSource: true");
    const fn = await this.compile(entry);
    return { key: keyOf(gvk, entry), code: standaloneCode(this.getAjv(), fn) };
  }

  private async compileCached(gvk: string, entry: Entry): Promise<ValidateFunction> {
    const key = keyOf(gvk, entry);
    const hit = this.cache?.load(key);
    if (hit) {
      this.stats.cached++;
      return hit;
    }
    const fn = await this.compile(entry);
    this.stats.compiled++;
    if (this.cache?.writable) this.cache.save(key, standaloneCode(this.getAjv(), fn));
    return fn;
  }

  private async compile(entry: Entry): Promise<ValidateFunction> {
    const ajv = this.getAjv();
    if (entry.type === "openapi") {
      if (!ajv.getSchema(entry.docId)) {
        const doc = this.docs.get(entry.docId)!;
        ajv.addSchema(closeObjects(doc), entry.docId);
      }
      return ajv.compile({ $ref: `${entry.docId}${entry.ref}` });
    }
    const crd = await entry.load();
    return ajv.compile(crdVersionSchema(crd, entry.version));
  }
}

const keyOf = (gvk: string, entry: Entry) =>
  cacheKey(entry.digest, gvk, entry.type === "openapi" ? entry.ref : entry.version);

/**
 * The group, kind and versions of a CRD file, without parsing its (large) schema. Returns
 * undefined for anything that is not a CRD laid out the way controller-gen and the API server
 * write them; such files are parsed in full instead.
 */
export function scanCrd(text: string): { group: string; kind: string; versions: string[] } | undefined {
  if (!/^kind:\s*CustomResourceDefinition\s*$/m.test(text)) return undefined;
  const group = /^ {2}group:\s*(\S+)\s*$/m.exec(text)?.[1];
  const namesAt = text.search(/^ {2}names:\s*$/m);
  const kind = namesAt < 0 ? undefined : /^ {4}kind:\s*(\S+)\s*$/m.exec(text.slice(namesAt))?.[1];
  const versionsAt = text.search(/^ {2}versions:\s*$/m);
  if (!group || !kind || versionsAt < 0) return undefined;
  const rest = text.slice(versionsAt).split("\n").slice(1);
  // List items sit at "  - " (controller-gen) or "    - " (OLM, kubebuilder with yq): take the
  // indent of the first item; a version's name is a key of the item itself.
  const item = /^( *)- /.exec(rest[0] ?? "")?.[1];
  if (item === undefined) return undefined;
  const nameRe = new RegExp(`^(?:${item}- |${item}  )name:\\s*(\\S+)\\s*$`);
  const versions: string[] = [];
  for (const line of rest) {
    if (/^ {0,2}[A-Za-z]/.test(line)) break;
    const m = nameRe.exec(line);
    if (m) versions.push(unquote(m[1]!));
  }
  return versions.length > 0 ? { group: unquote(group), kind: unquote(kind), versions } : undefined;
}

const unquote = (s: string) => s.replace(/^["']|["']$/g, "");

/** GVK -> definition ref for a Swagger 2.0 document, from the POST operations of its paths. */
function swaggerKinds(doc: Json): [string, string][] {
  const out: [string, string][] = [];
  const paths = isObj(doc.paths) ? doc.paths : {};
  for (const [path, ops] of Object.entries(paths)) {
    const m = /^\/apis\/([^/]+)\/([^/]+)\/(?:namespaces\/\{namespace\}\/)?([^/{}]+)$/.exec(path);
    if (!m || !isObj(ops) || !isObj(ops.post)) continue;
    const params = Array.isArray(ops.post.parameters) ? (ops.post.parameters as Json[]) : [];
    const body = params.find((p) => p.in === "body");
    const ref = isObj(body?.schema) ? body.schema.$ref : undefined;
    if (typeof ref !== "string" || !ref.startsWith("#/definitions/")) continue;
    const kind = ref.split(".").at(-1)!;
    out.push([gvkKey(`${m[1]}/${m[2]}`, kind), ref]);
  }
  return out;
}

/** A schema file within its size limit; only regular files (a FIFO would hang). */
function readSchemaFile(file: string, shown: string): Promise<string> {
  return readInputText(file, "schema", { shown }, { regularOnly: true });
}

/** One YAML document of a schema file, aliases limited. */
function schemaYaml(text: string, shown: string): Json {
  const [doc] = yamlValues(text, shown);
  return doc as Json;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}

/** JSON path a reviewer reads: spec.containers[0].name (ajv gives /spec/containers/0/name). */
export function jsonPath(pointer: string, extra?: string): string {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
  if (extra !== undefined) parts.push(extra);
  let out = "";
  for (const p of parts) {
    if (/^\d+$/.test(p)) out += `[${p}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

/**
 * Turns ajv's errors into one message per problem. oneOf/anyOf failures produce an error per
 * branch; those are folded into one "must be one of the allowed types" at that path.
 */
export function summarize(errors: ErrorObject[]): SchemaIssue[] {
  const seen = new Set<string>();
  const out: SchemaIssue[] = [];
  const composite = new Set(
    errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf").map((e) => e.instancePath),
  );
  for (const e of errors) {
    if (composite.has(e.instancePath) && e.keyword !== "oneOf" && e.keyword !== "anyOf") continue;
    let issue: SchemaIssue;
    if (e.keyword === "additionalProperties") {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      issue = { path: jsonPath(e.instancePath, extra), message: `unknown field "${extra}"` };
    } else if (e.keyword === "required") {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      issue = { path: jsonPath(e.instancePath, missing), message: `required field "${missing}" is missing` };
    } else if (e.keyword === "enum") {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      issue = {
        path: jsonPath(e.instancePath),
        message: `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`,
      };
    } else if (e.keyword === "oneOf" || e.keyword === "anyOf") {
      issue = { path: jsonPath(e.instancePath), message: "has a type or shape the schema does not allow" };
    } else {
      issue = { path: jsonPath(e.instancePath), message: e.message ?? e.keyword };
    }
    const key = `${issue.path}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}
