/**
 * An in-process fake Kubernetes API server for tests. No kube-apiserver can run here, so this
 * speaks the real HTTP protocol to the real @kubernetes/client-node: discovery (/version, /api,
 * /apis, /api/v1, /apis/<group>/<version>), get/list (label and field selectors,
 * resourceVersion), watch (chunked JSON event stream), create, replace, delete, JSON merge patch,
 * JSON patch, strategic merge patch (treated as a merge patch), server-side apply (field
 * managers, conflicts, force), the status subresource, pods/log, and Status error bodies
 * (401, 403, 404, 409, 422).
 *
 * Tests script the cluster with reactors (answer a request differently: forbid, fail), with
 * controllers (run after every write, like operators do) and with per-read hooks (advance a
 * rollout one step each time someone polls). Seeds and simulated operators live in
 * fake-openshift.ts.
 *
 * Usage:
 *   const api = await FakeApiServer.start();
 *   api.addResources(OPENSHIFT_RESOURCES); api.seed(obj);
 *   const kubeconfig = api.writeKubeconfig(dir);   // context "fake"
 *   ...
 *   await api.stop();
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
import { applyJsonPatch, fieldLeaves, type Leaf, mergePatch, pruneOwned } from "../sim/merge.ts";

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

export interface FakeRequest {
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
  body?: Obj;
}

export interface FakeResponse {
  code: number;
  body: Obj | string;
}

export type Reactor = (req: FakeRequest, api: FakeApiServer) => FakeResponse | undefined;
export type Controller = (
  event: { type: "ADDED" | "MODIFIED" | "DELETED"; object: Obj; def: ResourceDef },
  api: FakeApiServer,
) => void;
export type ReadHook = (req: FakeRequest, api: FakeApiServer) => void;

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

export const ADMIN_TOKEN = "fake-admin-token";

let tlsCache: { key: string; cert: string; otherCa: string } | undefined;
/**
 * A self-signed serving certificate for 127.0.0.1, made once per process with openssl: the
 * client verifies it against the kubeconfig's certificate-authority-data, as with a real cluster.
 */
function tlsMaterial(): { key: string; cert: string; otherCa: string } {
  if (tlsCache) return tlsCache;
  const dir = mkdtempSync(join(tmpdir(), "fake-apiserver-tls-"));
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
        "/CN=fake-apiserver",
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

export function matches(m: Matcher, req: FakeRequest): boolean {
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

export class FakeApiServer {
  readonly url: string;
  private readonly server: Server;
  private readonly defs: ResourceDef[] = [];
  private readonly store = new Map<string, Obj>();
  private readonly logs = new Map<string, string>();
  private readonly watchers = new Set<Watcher>();
  private readonly reactors: { m: Matcher; fn: Reactor }[] = [];
  private readonly readHooks: { m: Matcher; fn: ReadHook }[] = [];
  private readonly controllers: Controller[] = [];
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

  static async start(): Promise<FakeApiServer> {
    const tls = tlsMaterial();
    const server = createServer({ key: tls.key, cert: tls.cert });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    const api = new FakeApiServer(server, `https://127.0.0.1:${port}`);
    api.caData = Buffer.from(tls.cert).toString("base64");
    server.on("request", (req, res) => {
      api.handle(req, res).catch((e: Error) => {
        if (!res.headersSent)
          api.send(res, 500, statusBody(500, "InternalError", `fake API server: ${e.stack}`));
      });
    });
    api.addResources([
      { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false, status: true },
      {
        group: "",
        version: "v1",
        kind: "Pod",
        plural: "pods",
        namespaced: true,
        status: true,
        subresources: ["log"],
      },
      { group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false, status: true },
      { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
      { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true },
      { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
      { group: "", version: "v1", kind: "Service", plural: "services", namespaced: true, status: true },
      { group: "", version: "v1", kind: "Event", plural: "events", namespaced: true },
    ]);
    return api;
  }

  async stop(): Promise<void> {
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

  /** Runs after every stored change, like an operator reconciling (may write through the API object). */
  controller(fn: Controller): void {
    this.controllers.push(fn);
  }

  /** Runs before each matching read (get/list), e.g. to advance a rollout one step per poll. */
  onRead(m: Matcher, fn: ReadHook): void {
    this.readHooks.push({ m, fn });
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
    if (!cur) throw new Error(`fake API server: ${kind} ${namespace ?? ""}/${name} not seeded`);
    return this.put(mergePatch(cur, patch) as Obj, false);
  }

  remove(apiVersion: string, kind: string, name: string, namespace?: string): void {
    const def = this.resourceFor(apiVersion, kind);
    const o = def && this.store.get(this.key(def, namespace, name));
    if (def && o) {
      this.store.delete(this.key(def, namespace, name));
      this.notify("DELETED", def, o);
    }
  }

  /**
   * A kubeconfig for this server: context "fake" (current), "unreachable" (a closed port) and
   * "wrong-ca" (this server, but a CA that did not sign its certificate).
   */
  writeKubeconfig(dir: string, token = ADMIN_TOKEN, file = "kubeconfig"): string {
    const path = join(dir, file);
    const cfg = {
      apiVersion: "v1",
      kind: "Config",
      "current-context": "fake",
      clusters: [
        { name: "fake", cluster: { server: this.url, "certificate-authority-data": this.caData } },
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
      users: [{ name: "fake-user", user: { token } }],
      contexts: [
        { name: "fake", context: { cluster: "fake", user: "fake-user", namespace: "default" } },
        { name: "unreachable", context: { cluster: "unreachable", user: "fake-user" } },
        { name: "wrong-ca", context: { cluster: "wrong-ca", user: "fake-user" } },
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

  private put(obj: Obj, seeding: boolean): Obj {
    const def = this.resourceFor(obj.apiVersion, obj.kind);
    if (!def) throw new Error(`fake API server: no resource for ${obj.apiVersion} ${obj.kind}`);
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
    o.metadata.resourceVersion = String(++this.rv);
    this.store.set(key, o);
    this.notify(prev ? "MODIFIED" : "ADDED", def, o);
    if (!seeding || prev)
      for (const c of [...this.controllers])
        c({ type: prev ? "MODIFIED" : "ADDED", object: clone(o), def }, this);
    return clone(o);
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
    if (
      namespace &&
      group === "" &&
      !m[6] &&
      !this.defs.some((d) => d.group === "" && d.plural === m[5] && d.namespaced)
    ) {
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
    let body: Obj | undefined;
    if (raw.length > 0) {
      try {
        body =
          contentType === "application/apply-patch+yaml" ? (parseYaml(raw) as Obj) : (JSON.parse(raw) as Obj);
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
    const fr: FakeRequest = {
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
      body,
    };
    for (const r of this.reactors) {
      if (!matches(r.m, fr)) continue;
      const out = r.fn(fr, this);
      if (out) return this.send(res, out.code, out.body);
    }
    if (verb === "get" || verb === "list")
      for (const h of this.readHooks) if (matches(h.m, fr)) h.fn(fr, this);
    const out = this.serve(def, fr, res);
    if (out) this.send(res, out.code, out.body);
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

  private notFound(def: ResourceDef, name: string): FakeResponse {
    return {
      code: 404,
      body: statusBody(404, "NotFound", `${groupResource(def)} "${name}" not found`, {
        name,
        group: def.group,
        kind: def.plural,
      }),
    };
  }

  private invalid(def: ResourceDef, name: string, why: string): FakeResponse {
    return {
      code: 422,
      body: statusBody(422, "Invalid", `${def.kind} "${name}" is invalid: ${why}`, {
        name,
        group: def.group,
        kind: def.kind,
      }),
    };
  }

  private serve(def: ResourceDef, r: FakeRequest, res: ServerResponse): FakeResponse | undefined {
    const ns = def.namespaced ? r.namespace : undefined;
    if (r.verb === "list") {
      const items = this.items(def, ns).filter(
        (o) =>
          labelSelectorMatches(r.query.get("labelSelector"), o.metadata.labels) &&
          fieldSelectorMatches(r.query.get("fieldSelector"), o),
      );
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
    if (r.verb === "get") return cur ? { code: 200, body: clone(cur) } : this.notFound(def, name);
    if (r.verb === "delete") {
      if (!cur) return this.notFound(def, name);
      this.store.delete(key(name));
      this.notify("DELETED", def, cur);
      for (const c of [...this.controllers]) c({ type: "DELETED", object: clone(cur), def }, this);
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
    r: FakeRequest,
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
