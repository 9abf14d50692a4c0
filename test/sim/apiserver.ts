/**
 * The simulator's API machinery: a Kubernetes API server that speaks the real HTTP protocol
 * (TLS, bearer tokens, discovery, Status bodies) to the real @kubernetes/client-node and to the
 * real kubectl. What it serves follows kube-apiserver (kubernetes/kubernetes master,
 * staging/src/k8s.io/apiserver/pkg/endpoints/handlers/): discovery (/version, /api, /apis,
 * /api/v1, /apis/<group>/<version>), get/list (label and field selectors), watch (chunked JSON
 * events, resourceVersion), create (namespace must exist: plugin/pkg/admission/namespace/lifecycle),
 * replace (409 Conflict on a stale resourceVersion), delete (finalizers keep an object, with its
 * deletionTimestamp, until they are removed; a Namespace turns Terminating and takes no new
 * content), JSON merge patch, JSON patch,
 * strategic merge patch (as a merge patch: lists atomic), server-side apply
 * (application/apply-patch+yaml, field managers, conflicts, force), the status subresource (a
 * write to the main resource keeps status; a status write keeps spec; a write that changes
 * nothing keeps the resourceVersion), pods/log, pods/eviction, and 401/403/404/409/422/429 Status
 * bodies with kube-apiserver's wording.
 *
 * Controllers (test/sim/controllers/) watch the store through `on()` and act later through
 * `after()`, on the simulator's clock: nothing happens inside the write that caused it, as on a
 * real cluster. Tests may still script failures with `react()`/`forbid()`.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { reviewAccess } from "./access-review.ts";
import { applyJsonPatch, fieldLeaves, type Leaf, mergePatch, pruneOwned } from "./merge.ts";
import { decodeProtobuf } from "./protobuf.ts";
import { RESOURCES } from "./resources.ts";
import { toTable } from "./table.ts";

export interface ResourceDef {
  group: string; // "" for core
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Has a /status subresource (writes to the main resource then ignore status). */
  status?: boolean;
  /** Extra subresources listed in discovery (e.g. "log" for pods). */
  subresources?: string[];
  shortNames?: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: objects are arbitrary JSON
export type Obj = Record<string, any>;

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete";

export interface SimRequest {
  verb: Verb;
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  user: string;
  query: URLSearchParams;
  contentType?: string;
  /** The client asked for server-side printing (kubectl get). */
  table?: boolean;
  body?: Obj;
}

export interface SimResponse {
  code: number;
  body: Obj | string;
}

export type Reactor = (req: SimRequest, api: ApiServer) => SimResponse | undefined;
export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: Obj;
  /** The object before this change (MODIFIED, DELETED). */
  old?: Obj;
  def: ResourceDef;
}
export type Controller = (event: WatchEvent, api: ApiServer) => void;
/** Answers POST pods/<name>/eviction (the disruption controller installs one: PDBs, webhooks). */
export type EvictionHandler = (pod: Obj, api: ApiServer) => SimResponse;

export interface StartOptions {
  /** Port on 127.0.0.1 (0 = any free port). */
  port?: number;
  /** Simulated seconds per real second: delays given to after() are divided by it. Default 1. */
  speed?: number;
}

export interface Matcher {
  verb?: Verb | Verb[];
  resource?: string;
  subresource?: string;
  group?: string;
  namespace?: string;
  name?: string;
  user?: string;
}

interface Watcher {
  def: ResourceDef;
  namespace?: string;
  match: (o: Obj) => boolean;
  res: ServerResponse;
}

export const ADMIN_TOKEN = "sim-admin-token";

let tlsCache: { key: string; cert: string; otherCa: string } | undefined;
/**
 * A self-signed serving certificate for 127.0.0.1, made once per process with openssl: the
 * client verifies it against the kubeconfig's certificate-authority-data, as with a real cluster.
 */
function tlsMaterial(): { key: string; cert: string; otherCa: string } {
  if (tlsCache) return tlsCache;
  const dir = mkdtempSync(join(tmpdir(), "sim-apiserver-tls-"));
  const make = (n: string) =>
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=sim-apiserver",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        join(dir, `${n}.key`),
        "-out",
        join(dir, `${n}.pem`),
      ],
      { stdio: "ignore" },
    );
  try {
    make("serving");
    make("other");
    tlsCache = {
      key: readFileSync(join(dir, "serving.key"), "utf8"),
      cert: readFileSync(join(dir, "serving.pem"), "utf8"),
      otherCa: readFileSync(join(dir, "other.pem"), "utf8"),
    };
    return tlsCache;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function gv(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

export function statusBody(code: number, reason: string, message: string, details?: Obj): Obj {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
    ...(details ? { details } : {}),
  };
}

function groupResource(def: ResourceDef): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

export function matches(m: Matcher, req: SimRequest): boolean {
  const verbs = m.verb === undefined ? undefined : Array.isArray(m.verb) ? m.verb : [m.verb];
  return (
    (!verbs || verbs.includes(req.verb)) &&
    (m.resource === undefined || m.resource === req.resource) &&
    (m.subresource === undefined || m.subresource === req.subresource) &&
    (m.group === undefined || m.group === req.group) &&
    (m.namespace === undefined || m.namespace === req.namespace) &&
    (m.name === undefined || m.name === req.name) &&
    (m.user === undefined || m.user === req.user)
  );
}

/** Label selector basics: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`. */
export function labelSelectorMatches(selector: string | null, labels: Record<string, string> = {}): boolean {
  if (!selector) return true;
  const parts = selector.match(/([^,(]+(\([^)]*\))?)/g) ?? [];
  return parts.every((raw) => {
    const p = raw.trim();
    let m = p.match(/^(\S+)\s+(in|notin)\s+\((.*)\)$/);
    if (m) {
      const vals = m[3]!.split(",").map((s) => s.trim());
      const has = m[1]! in labels && vals.includes(labels[m[1]!]!);
      return m[2] === "in" ? has : !has;
    }
    m = p.match(/^([^!=]+)(==|!=|=)(.*)$/);
    if (m) {
      const v = labels[m[1]!.trim()];
      return m[2] === "!=" ? v !== m[3]!.trim() : v === m[3]!.trim();
    }
    if (p.startsWith("!")) return !(p.slice(1) in labels);
    return p in labels;
  });
}

/** Field selectors over any dotted path: `metadata.name=x,spec.nodeName!=y`. */
export function fieldSelectorMatches(selector: string | null, obj: Obj): boolean {
  if (!selector) return true;
  return selector.split(",").every((p) => {
    const m = p.match(/^([^!=]+)(==|!=|=)(.*)$/);
    if (!m) return true;
    let cur: unknown = obj;
    for (const k of m[1]!.trim().split(".")) cur = (cur as Obj | undefined)?.[k];
    const v = cur === undefined ? "" : String(cur);
    return m[2] === "!=" ? v !== m[3] : v === m[3];
  });
}

function clone<T>(x: T): T {
  return structuredClone(x);
}

/** Equal but for resourceVersion and the managedFields timestamps. */
function sameObject(a: Obj, b: Obj): boolean {
  const strip = (o: Obj) => {
    const c = clone(o);
    delete c.metadata.resourceVersion;
    for (const f of c.metadata.managedFields ?? []) delete f.time;
    return JSON.stringify(c, Object.keys(flatKeys(c)).sort());
  };
  return strip(a) === strip(b);
}

function flatKeys(o: unknown, acc: Record<string, true> = {}): Record<string, true> {
  if (o && typeof o === "object")
    for (const [k, v] of Object.entries(o)) {
      acc[k] = true;
      flatKeys(v, acc);
    }
  return acc;
}

export class ApiServer {
  readonly url: string;
  private readonly server: Server;
  private readonly defs: ResourceDef[] = [];
  private readonly store = new Map<string, Obj>();
  private readonly logs = new Map<string, string>();
  private readonly watchers = new Set<Watcher>();
  private readonly reactors: { m: Matcher; fn: Reactor }[] = [];
  /** What forbid() refused, for SelfSubjectAccessReview to answer in the same terms. */
  private readonly forbidden: Matcher[] = [];
  private readonly controllers: { kinds?: Set<string>; fn: Controller }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private evictionHandler: EvictionHandler | undefined;
  private readonly defaulters = new Map<string, (o: Obj) => void>();
  private stopped = false;
  /** Errors thrown by controllers (a bug in the simulator): tests can assert there are none. */
  readonly errors: Error[] = [];
  /** Simulated seconds per real second. */
  speed = 1;
  private readonly users = new Map<string, string>([[ADMIN_TOKEN, "kube:admin"]]);
  private rv = 1000;
  /** Every request served, in order ("GET /api/v1/nodes"), for assertions on behaviour. */
  readonly requests: { method: string; path: string; contentType?: string; user: string }[] = [];
  gitVersion = "v1.32.5";
  /** The serving certificate (base64 PEM), which is its own CA. */
  caData = "";

  private constructor(server: Server, url: string) {
    this.server = server;
    this.url = url;
  }

  static async start(o: StartOptions = {}): Promise<ApiServer> {
    const tls = tlsMaterial();
    const server = createServer({ key: tls.key, cert: tls.cert });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port ?? 0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const api = new ApiServer(server, `https://127.0.0.1:${port}`);
    api.caData = Buffer.from(tls.cert).toString("base64");
    api.speed = o.speed ?? 1;
    server.on("request", (req, res) => {
      api.handle(req, res).catch((e: Error) => {
        if (!res.headersSent)
          api.send(res, 500, statusBody(500, "InternalError", `simulated API server: ${e.stack}`));
      });
    });
    api.addResources(RESOURCES.CORE_RESOURCES);
    return api;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ---- scripting API -------------------------------------------------------------------

  addResources(defs: ResourceDef[]): void {
    for (const d of defs) {
      if (!this.defs.some((x) => x.group === d.group && x.version === d.version && x.plural === d.plural))
        this.defs.push(d);
    }
  }

  /** Stops serving a whole API group (as if its operator/CRDs were not installed). */
  removeGroup(group: string): void {
    for (let i = this.defs.length - 1; i >= 0; i--) if (this.defs[i]!.group === group) this.defs.splice(i, 1);
  }

  /** Every resource served now. */
  resources(): ResourceDef[] {
    return [...this.defs];
  }

  resourceFor(apiVersion: string, kind: string): ResourceDef | undefined {
    const [g, v] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    return this.defs.find((d) => d.group === g && d.version === v && d.kind === kind);
  }

  /** Maps a bearer token to a user name (for forbid()). */
  addUser(token: string, name: string): void {
    this.users.set(token, name);
  }

  /** Answers matching requests with `fn` instead of the store (return undefined to pass). */
  react(m: Matcher, fn: Reactor): void {
    this.reactors.push({ m, fn });
  }

  /** Every matching request gets 403 Forbidden with the real apiserver's wording. */
  forbid(m: Matcher): void {
    this.forbidden.push(m);
    this.react(m, (req) => {
      const def = this.defs.find((d) => d.group === req.group && d.plural === req.resource);
      const gr = def ? groupResource(def) : req.resource;
      const target = req.name ? `${gr} "${req.name}"` : gr;
      const scope = req.namespace ? ` in the namespace "${req.namespace}"` : " at the cluster scope";
      const msg = `${target} is forbidden: User "${req.user}" cannot ${req.verb} resource "${req.resource}${req.subresource ? `/${req.subresource}` : ""}" in API group "${req.group}"${scope}`;
      return {
        code: 403,
        body: statusBody(403, "Forbidden", msg, { name: req.name, group: req.group, kind: req.resource }),
      };
    });
  }

  /**
   * Informer: `fn` sees every stored change (of `kinds`, or all) right after it is stored. A
   * controller reacts by scheduling its work with after(), never by writing inside the write.
   */
  on(kinds: string[] | undefined, fn: Controller): void {
    this.controllers.push({ ...(kinds ? { kinds: new Set(kinds) } : {}), fn });
  }

  /** Like on() for every kind (test scripting: answer a pod with a log, for example). */
  controller(fn: Controller): void {
    this.on(undefined, fn);
  }

  /**
   * Runs `fn` after `simulatedMs` of simulated time (real time divided by the speed). Errors are
   * kept in `errors` (a simulator bug), never thrown into the process.
   */
  after(simulatedMs: number, fn: () => void | Promise<void>): void {
    if (this.stopped) return;
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        if (this.stopped) return;
        Promise.resolve()
          .then(fn)
          .catch((e: Error) => {
            this.errors.push(e);
            if (process.env.SIM_DEBUG) console.error(e);
          });
      },
      Math.max(1, simulatedMs / this.speed),
    );
    this.timers.add(t);
  }

  /** Timers still to fire (0 = the cluster is quiet). */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Simulated time now (ms): real time scaled by the speed. */
  now(): number {
    return Date.now() * this.speed;
  }

  /** Defaulting at create (what the API server fills in: a pod's phase, a namespace's Active). */
  defaults(kind: string, fn: (o: Obj) => void): void {
    this.defaulters.set(kind, fn);
  }

  /** Answers pods/<name>/eviction with `fn` (default: the pod is deleted, as with no PDB). */
  onEviction(fn: EvictionHandler): void {
    this.evictionHandler = fn;
  }

  /** Records a core/v1 Event about `obj`, as controllers do (kubectl describe, get events show them). */
  event(obj: Obj, type: "Normal" | "Warning", reason: string, message: string, component: string): void {
    const ns = obj.metadata?.namespace ?? "default";
    const now = new Date().toISOString();
    const name = `${obj.metadata?.name}.${(this.rv + 1).toString(16)}`;
    this.seed({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: ns },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata?.name,
        ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
        uid: obj.metadata?.uid,
      },
      type,
      reason,
      message,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  }

  /** Sets a pod's log text (what `pods/<name>/log` returns). */
  setLog(namespace: string, pod: string, text: string): void {
    this.logs.set(`${namespace}/${pod}`, text);
  }

  /** Stores an object as-is (status included), bypassing reactors; returns the stored copy. */
  seed(...objs: Obj[]): void {
    for (const o of objs) this.put(o, true);
  }

  /** Reads a stored object (a copy). */
  get(apiVersion: string, kind: string, name: string, namespace?: string): Obj | undefined {
    const def = this.resourceFor(apiVersion, kind);
    if (!def) return undefined;
    const o = this.store.get(this.key(def, namespace, name));
    return o ? clone(o) : undefined;
  }

  list(apiVersion: string, kind: string, namespace?: string): Obj[] {
    const def = this.resourceFor(apiVersion, kind);
    if (!def) return [];
    return this.items(def, namespace).map(clone);
  }

  /** Merges `patch` into a stored object (status included) as a controller would; notifies watchers. */
  update(apiVersion: string, kind: string, name: string, namespace: string | undefined, patch: Obj): Obj {
    const cur = this.get(apiVersion, kind, name, namespace);
    if (!cur) throw new Error(`simulated API server: ${kind} ${namespace ?? ""}/${name} not seeded`);
    return this.put(mergePatch(cur, patch) as Obj, false);
  }

  /**
   * Deletes as a client's DELETE does: an object with finalizers (a Namespace always: its
   * "kubernetes" finalizer) only gets its deletionTimestamp and stays until they are removed
   * (apiserver pkg/registry/generic/registry/store.go, Delete and updateForGracefulDeletionAndFinalizers).
   */
  delete(apiVersion: string, kind: string, name: string, namespace?: string): void {
    const def = this.resourceFor(apiVersion, kind);
    const o = def && this.store.get(this.key(def, namespace, name));
    if (!def || !o) return;
    if (this.keepsUntilFinalized(def, o)) this.markDeleting(o);
    else this.remove(apiVersion, kind, name, namespace);
  }

  /** Immediately gone (what a controller does once it has finished with an object). */
  remove(apiVersion: string, kind: string, name: string, namespace?: string): void {
    const def = this.resourceFor(apiVersion, kind);
    const o = def && this.store.get(this.key(def, namespace, name));
    if (def && o) {
      this.store.delete(this.key(def, namespace, name));
      this.notify("DELETED", def, o);
      this.dispatch({ type: "DELETED", object: o, old: o, def });
    }
  }

  /**
   * A kubeconfig for this server: context "sim" (current), "unreachable" (a closed port) and
   * "wrong-ca" (this server, but a CA that did not sign its certificate).
   */
  writeKubeconfig(dir: string, token = ADMIN_TOKEN, file = "kubeconfig"): string {
    const path = join(dir, file);
    const cfg = {
      apiVersion: "v1",
      kind: "Config",
      "current-context": "sim",
      clusters: [
        { name: "sim", cluster: { server: this.url, "certificate-authority-data": this.caData } },
        {
          name: "unreachable",
          cluster: { server: "https://127.0.0.1:9", "certificate-authority-data": this.caData },
        },
        {
          name: "wrong-ca",
          cluster: {
            server: this.url,
            "certificate-authority-data": Buffer.from(tlsMaterial().otherCa).toString("base64"),
          },
        },
      ],
      users: [{ name: "kube:admin", user: { token } }],
      contexts: [
        { name: "sim", context: { cluster: "sim", user: "kube:admin", namespace: "default" } },
        { name: "unreachable", context: { cluster: "unreachable", user: "kube:admin" } },
        { name: "wrong-ca", context: { cluster: "wrong-ca", user: "kube:admin" } },
      ],
    };
    writeFileSync(path, toYaml(cfg));
    return path;
  }

  // ---- storage --------------------------------------------------------------------------

  private key(def: ResourceDef, namespace: string | undefined, name: string): string {
    return `${def.group}/${def.plural}/${def.namespaced ? (namespace ?? "") : ""}/${name}`;
  }

  private items(def: ResourceDef, namespace?: string): Obj[] {
    const prefix = `${def.group}/${def.plural}/${def.namespaced && namespace ? `${namespace}/` : ""}`;
    return [...this.store.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, v]) => v)
      .sort((a, b) =>
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace}/${b.metadata.name}`,
        ),
      );
  }

  private keepsUntilFinalized(def: ResourceDef, o: Obj): boolean {
    return def.kind === "Namespace" || (o.metadata.finalizers ?? []).length > 0;
  }

  /** deletionTimestamp set (once); a Namespace turns Terminating for the namespace controller. */
  private markDeleting(o: Obj): Obj {
    if (o.metadata.deletionTimestamp) return clone(o);
    const next = clone(o);
    next.metadata.deletionTimestamp = new Date().toISOString();
    next.metadata.deletionGracePeriodSeconds = 0;
    if (o.kind === "Namespace") next.status = { ...next.status, phase: "Terminating" };
    return this.put(next, false);
  }

  private put(obj: Obj, seeding: boolean): Obj {
    const def = this.resourceFor(obj.apiVersion, obj.kind);
    if (!def) throw new Error(`simulated API server: no resource for ${obj.apiVersion} ${obj.kind}`);
    const o = clone(obj);
    o.metadata ??= {};
    if (!def.namespaced) delete o.metadata.namespace;
    const key = this.key(def, o.metadata.namespace, o.metadata.name);
    const prev = this.store.get(key);
    o.metadata.uid ??= prev?.metadata.uid ?? randomUUID();
    o.metadata.creationTimestamp ??= prev?.metadata.creationTimestamp ?? new Date().toISOString();
    o.metadata.generation = prev
      ? JSON.stringify(prev.spec) === JSON.stringify(o.spec)
        ? prev.metadata.generation
        : (prev.metadata.generation ?? 1) + 1
      : (o.metadata.generation ?? 1);
    // A write that changes nothing is not stored: same resourceVersion, no watch event
    // (apiserver's GuaranteedUpdate skips an unchanged object).
    if (prev && !seeding && sameObject(prev, o)) return clone(prev);
    if (prev?.metadata.deletionTimestamp && o.kind !== "Namespace" && !(o.metadata.finalizers ?? []).length) {
      this.remove(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace);
      return clone(o);
    }
    o.metadata.resourceVersion = String(++this.rv);
    this.store.set(key, o);
    this.notify(prev ? "MODIFIED" : "ADDED", def, o);
    this.dispatch({ type: prev ? "MODIFIED" : "ADDED", object: o, ...(prev ? { old: prev } : {}), def });
    return clone(o);
  }

  private dispatch(ev: WatchEvent): void {
    for (const c of [...this.controllers]) {
      if (c.kinds && !c.kinds.has(ev.def.kind)) continue;
      try {
        c.fn({ ...ev, object: clone(ev.object), ...(ev.old ? { old: clone(ev.old) } : {}) }, this);
      } catch (e) {
        this.errors.push(e as Error);
        if (process.env.SIM_DEBUG) console.error(e);
      }
    }
  }

  private notify(type: string, def: ResourceDef, o: Obj): void {
    for (const w of this.watchers) {
      if (w.def !== def) continue;
      if (w.namespace && w.namespace !== o.metadata.namespace) continue;
      if (!w.match(o)) continue;
      w.res.write(`${JSON.stringify({ type, object: o })}\n`);
    }
  }

  // ---- HTTP -----------------------------------------------------------------------------

  private send(res: ServerResponse, code: number, body: Obj | string): void {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(code, { "content-type": typeof body === "string" ? "text/plain" : "application/json" });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const auth = req.headers.authorization ?? "";
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    const user = this.users.get(token);
    this.requests.push({
      method: req.method ?? "GET",
      path: `${path}${url.search}`,
      contentType: req.headers["content-type"],
      user: user ?? "",
    });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    if (!user) return this.send(res, 401, statusBody(401, "Unauthorized", "Unauthorized"));

    if (path === "/version") {
      const [major, minor] = this.gitVersion.slice(1).split(".");
      return this.send(res, 200, { major, minor, gitVersion: this.gitVersion, platform: "linux/amd64" });
    }
    if (path === "/api")
      return this.send(res, 200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] });
    if (path === "/apis") return this.send(res, 200, this.groupList());
    if (path === "/openapi/v3") return this.send(res, 200, this.openapiRoot());
    const oa = path.match(/^\/openapi\/v3\/(api\/v1|apis\/[^/]+\/[^/]+)$/);
    if (oa) {
      const doc = this.openapiDoc(oa[1]!);
      return doc
        ? this.send(res, 200, doc)
        : this.send(
            res,
            404,
            statusBody(404, "NotFound", "the server could not find the requested resource"),
          );
    }
    const disc = path.match(/^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/);
    if (disc) {
      const [g, v] = disc[1] ? ["", disc[1]] : [disc[2]!, disc[3]!];
      const defs = this.defs.filter((d) => d.group === g && d.version === v);
      if (defs.length === 0)
        return this.send(
          res,
          404,
          statusBody(404, "NotFound", "the server could not find the requested resource"),
        );
      return this.send(res, 200, this.resourceList(g, v, defs));
    }
    const m = path.match(
      /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/,
    );
    if (!m)
      return this.send(
        res,
        404,
        statusBody(404, "NotFound", "the server could not find the requested resource"),
      );
    const [group, version] = m[1] ? ["", m[1]] : [m[2]!, m[3]!];
    let namespace = m[4] ? decodeURIComponent(m[4]) : undefined;
    let resource = m[5]!;
    let name = m[6] ? decodeURIComponent(m[6]) : undefined;
    let subresource = m[7];
    // "/api/v1/namespaces/<name>/status" addresses the Namespace object's own subresource.
    if (namespace && group === "" && !m[6] && (m[5] === "status" || m[5] === "finalize")) {
      subresource = resource;
      resource = "namespaces";
      name = namespace;
      namespace = undefined;
    }
    const def = this.defs.find((d) => d.group === group && d.version === version && d.plural === resource);
    if (!def)
      return this.send(
        res,
        404,
        statusBody(404, "NotFound", "the server could not find the requested resource"),
      );
    const method = req.method ?? "GET";
    const watch = url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
    const verb: Verb =
      method === "GET"
        ? name
          ? "get"
          : watch
            ? "watch"
            : "list"
        : method === "POST"
          ? "create"
          : method === "PUT"
            ? "update"
            : method === "PATCH"
              ? "patch"
              : "delete";
    const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
    // Only JSON and YAML bodies: a protobuf or CBOR body gets 415, and client-go retries in JSON
    // (k8s.io/client-go/rest/request.go, unsupported media type fallback).
    const decoded = /protobuf/.test(contentType) ? decodeProtobuf(Buffer.concat(chunks)) : undefined;
    if (raw.length > 0 && /protobuf|cbor/.test(contentType) && !decoded)
      return this.send(
        res,
        415,
        statusBody(
          415,
          "UnsupportedMediaType",
          `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/apply-patch+yaml, application/merge-patch+json, application/json-patch+json, application/strategic-merge-patch+json`,
        ),
      );
    let body: Obj | undefined;
    if (raw.length > 0) {
      try {
        body = decoded
          ? (decoded as Obj)
          : contentType === "application/apply-patch+yaml" || contentType === "application/yaml"
            ? (parseYaml(raw) as Obj)
            : (JSON.parse(raw) as Obj);
      } catch (e) {
        return this.send(
          res,
          400,
          statusBody(
            400,
            "BadRequest",
            `the body of the request was in an unknown format: ${(e as Error).message}`,
          ),
        );
      }
    }
    const fr: SimRequest = {
      verb,
      group,
      version,
      resource,
      subresource,
      namespace,
      name,
      user,
      query: url.searchParams,
      contentType,
      table: /as=Table/.test(String(req.headers.accept ?? "")),
      body,
    };
    for (const r of this.reactors) {
      if (!matches(r.m, fr)) continue;
      const out = r.fn(fr, this);
      if (out) return this.send(res, out.code, out.body);
    }
    if (def.kind === "SelfSubjectAccessReview" && verb === "create") {
      const review = reviewAccess(body, user, this.forbidden);
      return this.send(res, review.code, review.body);
    }
    const out = this.serve(def, fr, res);
    if (out) this.send(res, out.code, out.body);
  }

  /**
   * OpenAPI v3 discovery, enough for kubectl to see that PATCH takes fieldValidation and so
   * validate on the server (k8s.io/kubectl/pkg/util/openapi queryParamVerifierV3): per group
   * version, each kind's PATCH operation with its x-kubernetes-group-version-kind.
   */
  private openapiRoot(): Obj {
    const paths: Obj = {};
    for (const d of this.defs) {
      const p = d.group ? `apis/${d.group}/${d.version}` : `api/${d.version}`;
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${this.defs.length}` };
    }
    return { paths };
  }

  private openapiDoc(gvPath: string): Obj | undefined {
    const defs = this.defs.filter(
      (d) => (d.group ? `apis/${d.group}/${d.version}` : `api/${d.version}`) === gvPath,
    );
    if (defs.length === 0) return undefined;
    const paths: Obj = {};
    for (const d of defs) {
      const base = `/${gvPath}${d.namespaced ? "/namespaces/{namespace}" : ""}/${d.plural}/{name}`;
      paths[base] = {
        patch: {
          "x-kubernetes-group-version-kind": { group: d.group, version: d.version, kind: d.kind },
          parameters: [
            { name: "fieldManager", in: "query", schema: { type: "string" } },
            { name: "fieldValidation", in: "query", schema: { type: "string" } },
          ],
          responses: {},
        },
      };
    }
    return { openapi: "3.0.0", info: { title: "Kubernetes", version: this.gitVersion }, paths };
  }

  private groupList(): Obj {
    const groups = new Map<string, string[]>();
    for (const d of this.defs)
      if (d.group) groups.set(d.group, [...new Set([...(groups.get(d.group) ?? []), d.version])]);
    return {
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: [...groups.entries()].map(([name, versions]) => ({
        name,
        versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
      })),
    };
  }

  private resourceList(group: string, version: string, defs: ResourceDef[]): Obj {
    const verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    const resources: Obj[] = [];
    for (const d of defs) {
      resources.push({
        name: d.plural,
        singularName: d.kind.toLowerCase(),
        namespaced: d.namespaced,
        kind: d.kind,
        verbs,
        shortNames: d.shortNames ?? [],
      });
      if (d.status)
        resources.push({
          name: `${d.plural}/status`,
          singularName: "",
          namespaced: d.namespaced,
          kind: d.kind,
          verbs: ["get", "patch", "update"],
        });
      for (const s of d.subresources ?? [])
        resources.push({
          name: `${d.plural}/${s}`,
          singularName: "",
          namespaced: d.namespaced,
          kind: d.kind,
          verbs: ["get"],
        });
    }
    return {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: group ? `${group}/${version}` : version,
      resources,
    };
  }

  private notFound(def: ResourceDef, name: string): SimResponse {
    return {
      code: 404,
      body: statusBody(404, "NotFound", `${groupResource(def)} "${name}" not found`, {
        name,
        group: def.group,
        kind: def.plural,
      }),
    };
  }

  private invalid(def: ResourceDef, name: string, why: string): SimResponse {
    return {
      code: 422,
      body: statusBody(422, "Invalid", `${def.kind} "${name}" is invalid: ${why}`, {
        name,
        group: def.group,
        kind: def.kind,
      }),
    };
  }

  private serve(def: ResourceDef, r: SimRequest, res: ServerResponse): SimResponse | undefined {
    const ns = def.namespaced ? r.namespace : undefined;
    if (r.verb === "list") {
      const items = this.items(def, ns).filter(
        (o) =>
          labelSelectorMatches(r.query.get("labelSelector"), o.metadata.labels) &&
          fieldSelectorMatches(r.query.get("fieldSelector"), o),
      );
      if (r.table) return { code: 200, body: toTable(def, items, String(this.rv)) };
      return {
        code: 200,
        body: {
          apiVersion: gv(def),
          kind: `${def.kind}List`,
          metadata: { resourceVersion: String(this.rv) },
          items,
        },
      };
    }
    if (r.verb === "watch") {
      this.startWatch(def, ns, r, res);
      return undefined;
    }
    const key = (name: string) => this.key(def, ns, name);
    if (r.subresource === "eviction" && r.verb === "create") {
      const pod = this.store.get(key(r.name ?? ""));
      if (!pod) return this.notFound(def, r.name ?? "");
      if (r.query.get("dryRun")) return { code: 201, body: statusBody(201, "", "", undefined) };
      if (this.evictionHandler) return this.evictionHandler(clone(pod), this);
      this.remove("v1", "Pod", pod.metadata.name, pod.metadata.namespace);
      return {
        code: 201,
        body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 },
      };
    }
    // NamespaceLifecycle admission: nothing is created in a namespace that does not exist
    // (kubernetes plugin/pkg/admission/namespace/lifecycle/admission.go).
    if (
      def.namespaced &&
      ns &&
      (r.verb === "create" ||
        (r.contentType === "application/apply-patch+yaml" && !this.store.has(key(r.name ?? "")))) &&
      !this.store.has(`/namespaces//${ns}`)
    )
      return {
        code: 404,
        body: statusBody(404, "NotFound", `namespaces "${ns}" not found`, { name: ns, kind: "namespaces" }),
      };
    // ... nor in one being deleted (the same admission plugin, "because it is being terminated").
    const terminating = def.namespaced && ns ? this.store.get(`/namespaces//${ns}`) : undefined;
    if (
      terminating?.metadata.deletionTimestamp &&
      (r.verb === "create" ||
        (r.contentType === "application/apply-patch+yaml" && !this.store.has(key(r.name ?? ""))))
    )
      return {
        code: 403,
        body: statusBody(
          403,
          "Forbidden",
          `${groupResource(def)} "${r.body?.metadata?.name ?? r.name ?? ""}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
          { name: r.body?.metadata?.name ?? r.name, kind: def.plural },
        ),
      };
    if (r.verb === "create") {
      const o = r.body ?? {};
      const name =
        o.metadata?.name ??
        (o.metadata?.generateName ? `${o.metadata.generateName}${randomUUID().slice(0, 5)}` : undefined);
      if (!name)
        return this.invalid(def, "", "metadata.name: Required value: name or generateName is required");
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name))
        return this.invalid(
          def,
          name,
          `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
        );
      if (this.store.has(key(name)))
        return {
          code: 409,
          body: statusBody(409, "AlreadyExists", `${groupResource(def)} "${name}" already exists`, {
            name,
            group: def.group,
            kind: def.plural,
          }),
        };
      if (ns && o.metadata?.namespace && o.metadata.namespace !== ns)
        return {
          code: 400,
          body: statusBody(
            400,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request",
          ),
        };
      const obj: Obj = {
        ...o,
        apiVersion: gv(def),
        kind: def.kind,
        metadata: { ...o.metadata, name, ...(ns ? { namespace: ns } : {}) },
      };
      if (def.status) delete obj.status;
      this.defaulters.get(def.kind)?.(obj);
      if (r.query.get("dryRun")) return { code: 201, body: obj };
      this.ownLeaves(obj, r.query.get("fieldManager") ?? "unknown", "Update", undefined);
      return { code: 201, body: this.put(obj, false) };
    }
    const name = r.name!;
    const cur = this.store.get(key(name));
    if (r.subresource === "log") {
      if (!cur) return this.notFound(def, name);
      return { code: 200, body: this.logs.get(`${ns}/${name}`) ?? "" };
    }
    if (r.verb === "get")
      return cur
        ? { code: 200, body: r.table ? toTable(def, [cur], String(this.rv)) : clone(cur) }
        : this.notFound(def, name);
    if (r.verb === "delete") {
      if (!cur) return this.notFound(def, name);
      if (this.keepsUntilFinalized(def, cur)) return { code: 200, body: this.markDeleting(cur) };
      this.store.delete(key(name));
      this.notify("DELETED", def, cur);
      this.dispatch({ type: "DELETED", object: cur, old: cur, def });
      return {
        code: 200,
        body: {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Success",
          details: { name, group: def.group, kind: def.plural },
        },
      };
    }
    const statusOnly = r.subresource === "status";
    const manager = r.query.get("fieldManager") ?? "unknown";
    let next: Obj;
    if (r.verb === "update") {
      if (!cur) return this.notFound(def, name);
      const b = r.body ?? {};
      if (b.metadata?.resourceVersion && b.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        return {
          code: 409,
          body: statusBody(
            409,
            "Conflict",
            `Operation cannot be fulfilled on ${groupResource(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          ),
        };
      }
      next = {
        ...b,
        apiVersion: gv(def),
        kind: def.kind,
        metadata: { ...b.metadata, name, ...(ns ? { namespace: ns } : {}) },
      };
    } else if (r.contentType === "application/apply-patch+yaml") {
      const applied = r.body ?? {};
      if (!manager || manager === "unknown")
        return {
          code: 400,
          body: statusBody(
            400,
            "BadRequest",
            "PATCH, application/apply-patch+yaml requires fieldManager to be set",
          ),
        };
      if (applied.kind && applied.kind !== def.kind)
        return {
          code: 400,
          body: statusBody(
            400,
            "BadRequest",
            `the kind in the body (${applied.kind}) does not match the resource (${def.kind})`,
          ),
        };
      if (!cur) {
        const obj: Obj = {
          ...applied,
          apiVersion: gv(def),
          kind: def.kind,
          metadata: { ...applied.metadata, name, ...(ns ? { namespace: ns } : {}) },
        };
        if (def.status && !statusOnly) delete obj.status;
        this.defaulters.get(def.kind)?.(obj);
        if (r.query.get("dryRun")) return { code: 201, body: obj };
        this.ownLeaves(obj, manager, "Apply", applied);
        return { code: 201, body: this.put(obj, false) };
      }
      const conflict = this.applyConflicts(cur, manager, applied, r.query.get("force") === "true");
      if (conflict)
        return {
          code: 409,
          body: statusBody(
            409,
            "Conflict",
            `Apply failed with ${conflict.length} conflict${conflict.length > 1 ? "s" : ""}: ${conflict.join("; ")}`,
          ),
        };
      const pruned = pruneOwned(
        cur,
        this.managedLeaves(cur, manager, "Apply"),
        fieldLeaves(applied),
        this.otherLeaves(cur, manager),
      );
      next = mergePatch(pruned, { ...applied, metadata: { ...applied.metadata } }, true) as Obj;
    } else {
      if (!cur) return this.notFound(def, name);
      if (r.contentType === "application/json-patch+json") {
        try {
          next = applyJsonPatch(clone(cur), r.body as unknown as { op: string; path: string }[]);
        } catch (e) {
          return this.invalid(def, name, (e as Error).message);
        }
      } else {
        next = mergePatch(clone(cur), r.body ?? {}) as Obj;
      }
    }
    if (cur && def.status) {
      if (statusOnly) next = { ...clone(cur), status: next.status };
      else if (cur.status !== undefined) next.status = clone(cur.status);
      else delete next.status;
    }
    next.apiVersion = gv(def);
    next.kind = def.kind;
    next.metadata = { ...next.metadata, name, ...(ns ? { namespace: ns } : {}) };
    if (cur) {
      next.metadata.uid = cur.metadata.uid;
      next.metadata.creationTimestamp = cur.metadata.creationTimestamp;
      next.metadata.managedFields = cur.metadata.managedFields;
    }
    if (r.query.get("dryRun")) return { code: 200, body: next };
    const isApply = r.contentType === "application/apply-patch+yaml";
    this.ownLeaves(
      next,
      manager,
      isApply ? "Apply" : "Update",
      isApply ? r.body : r.body && !Array.isArray(r.body) ? r.body : undefined,
    );
    const stored = this.put(next, false);
    return { code: cur ? 200 : 201, body: stored };
  }

  // ---- server-side apply field ownership -----------------------------------------------
  // Kept as managedFields entries whose fieldsV1 holds leaf paths ("spec.paused"); enough to
  // detect conflicts between managers and to prune fields a manager stops applying.

  private managedLeaves(o: Obj, manager: string, operation: string): Leaf[] {
    const e = (o.metadata.managedFields ?? []).find(
      (f: Obj) => f.manager === manager && f.operation === operation,
    );
    return e ? (e.fieldsV1?.["f:leaves"] ?? []) : [];
  }

  private otherLeaves(o: Obj, manager: string): Leaf[] {
    return (o.metadata.managedFields ?? [])
      .filter((f: Obj) => f.manager !== manager)
      .flatMap((f: Obj) => f.fieldsV1?.["f:leaves"] ?? []);
  }

  private applyConflicts(cur: Obj, manager: string, applied: Obj, force: boolean): string[] | undefined {
    const mine = new Map(fieldLeaves(applied).map((l) => [l.path, l.value]));
    const conflicts: string[] = [];
    for (const f of cur.metadata.managedFields ?? []) {
      if (f.manager === manager || f.operation !== "Apply") continue;
      const kept: Leaf[] = [];
      for (const l of (f.fieldsV1?.["f:leaves"] ?? []) as Leaf[]) {
        if (mine.has(l.path) && JSON.stringify(mine.get(l.path)) !== JSON.stringify(l.value)) {
          if (force) continue;
          conflicts.push(`conflict with "${f.manager}": .${l.path}`);
        }
        kept.push(l);
      }
      if (force) f.fieldsV1 = { "f:leaves": kept };
    }
    return conflicts.length > 0 ? conflicts : undefined;
  }

  private ownLeaves(o: Obj, manager: string, operation: string, body: Obj | undefined): void {
    const leaves = fieldLeaves(body ?? o).filter(
      (l) => !l.path.startsWith("metadata.managedFields") && !l.path.startsWith("metadata.resourceVersion"),
    );
    const fields = (o.metadata.managedFields ?? []).filter(
      (f: Obj) => !(f.manager === manager && f.operation === operation),
    );
    if (operation === "Update") {
      const prev = this.managedLeaves(o, manager, operation);
      const byPath = new Map([...prev, ...leaves].map((l) => [l.path, l]));
      fields.push({
        manager,
        operation,
        apiVersion: o.apiVersion,
        time: new Date().toISOString(),
        fieldsType: "FieldsV1",
        fieldsV1: { "f:leaves": [...byPath.values()] },
      });
    } else {
      fields.push({
        manager,
        operation,
        apiVersion: o.apiVersion,
        time: new Date().toISOString(),
        fieldsType: "FieldsV1",
        fieldsV1: { "f:leaves": leaves },
      });
    }
    o.metadata.managedFields = fields;
  }

  // ---- watch ------------------------------------------------------------------------------

  private startWatch(
    def: ResourceDef,
    namespace: string | undefined,
    r: SimRequest,
    res: ServerResponse,
  ): void {
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    const match = (o: Obj) =>
      labelSelectorMatches(r.query.get("labelSelector"), o.metadata.labels) &&
      fieldSelectorMatches(r.query.get("fieldSelector"), o);
    const w: Watcher = { def, namespace, match, res };
    const since = Number(r.query.get("resourceVersion") ?? "0");
    // Without a resourceVersion (or "0") the apiserver first sends the current state as ADDED.
    for (const o of this.items(def, namespace)) {
      if (match(o) && (!since || Number(o.metadata.resourceVersion) > since))
        res.write(`${JSON.stringify({ type: "ADDED", object: o })}\n`);
    }
    // WatchList (client-go's WatchListClient, on by default in kubectl 1.35): the initial state
    // ends with a BOOKMARK annotated k8s.io/initial-events-end
    // (staging/src/k8s.io/apiserver/pkg/storage/cacher, sendInitialEvents).
    if (r.query.get("sendInitialEvents") === "true")
      res.write(
        `${JSON.stringify({
          type: "BOOKMARK",
          object: {
            apiVersion: gv(def),
            kind: def.kind,
            metadata: {
              resourceVersion: String(this.rv),
              annotations: { "k8s.io/initial-events-end": "true" },
            },
          },
        })}\n`,
      );
    this.watchers.add(w);
    const timeout = Number(r.query.get("timeoutSeconds") ?? "0");
    const close = () => {
      this.watchers.delete(w);
      res.end();
    };
    if (timeout > 0) setTimeout(close, timeout * 1000).unref();
    res.on("close", () => this.watchers.delete(w));
  }
}
