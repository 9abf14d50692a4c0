/**
 * Cluster access for every llw command that talks to Kubernetes/OpenShift.
 *
 * Connection settings come from the user's kubeconfig exactly as `oc` and `kubectl` find it:
 * `--kubeconfig`, else KUBECONFIG (a list of files, merged), else ~/.kube/config, else the
 * in-cluster service account; `--context` picks a context. Calls go through the official
 * `@kubernetes/client-node` (KubernetesObjectApi for any group/version/kind, Watch for streams,
 * CoreV1Api for pod logs). Failures are translated into errors that say what to do next.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, resolve } from "node:path";
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
} from "@kubernetes/client-node";
import { EnvironmentError, LlwError, UserError } from "../lib/errors.ts";
import { readInputTextSync } from "../lib/input.ts";
import { yamlValues } from "../lib/yaml-input.ts";

export interface KubeOptions {
  /** Path of a kubeconfig file (`--kubeconfig`); wins over KUBECONFIG. */
  kubeconfig?: string;
  /** Context to use (`--context`); default: the kubeconfig's current-context. */
  context?: string;
}

/** The field manager llw uses for server-side apply, so `oc` shows who owns what. */
export const FIELD_MANAGER = "llw";

/** Any object: apiVersion, kind, metadata and whatever the kind carries. */
export interface KubeObject extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; [k: string]: unknown } & KubernetesObject["metadata"];
  // biome-ignore lint/suspicious/noExplicitAny: kinds are open-ended (CRDs); callers narrow
  [field: string]: any;
}

/**
 * A kubeconfig with YAML aliases goes through the workshop's alias limit first: the client
 * library's parser would take whatever the file asks for.
 */
function checkKubeconfigText(text: string, file: string): void {
  if (/(^|[\s[{,:])\*[\w-]/m.test(text))
    yamlValues(text, file, "fix the kubeconfig or log in again with `oc login`");
}

/** Loads the kubeconfig the way oc/kubectl do, honouring an injected environment (for tests). */
export function loadKubeConfig(opts: KubeOptions, env: NodeJS.ProcessEnv, cwd = process.cwd()): KubeConfig {
  const kc = new KubeConfig();
  const files = opts.kubeconfig
    ? [resolve(cwd, opts.kubeconfig)]
    : (env.KUBECONFIG ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((f) => resolve(cwd, f));
  const where = opts.kubeconfig ? "--kubeconfig" : "KUBECONFIG";
  try {
    if (files.length > 0) {
      for (const f of files) {
        if (!existsSync(f)) {
          throw new UserError({
            what: `kubeconfig file ${f} does not exist`,
            where,
            next: "log in with `oc login <api url>` or point --kubeconfig/KUBECONFIG at an existing file",
          });
        }
      }
      // Within a kubeconfig's size limit, a regular file or pipe (never /dev/zero): checked
      // before the client library reads it whole.
      for (const f of files)
        checkKubeconfigText(readInputTextSync(f, "kubeconfig", { flag: where, shown: f }), f);
      kc.loadFromFile(files[0]!);
      for (const f of files.slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(f);
        kc.mergeConfig(more, true);
      }
    } else {
      const home = env.HOME ?? homedir();
      const def = resolve(home, ".kube", "config");
      if (existsSync(def)) {
        checkKubeconfigText(readInputTextSync(def, "kubeconfig", { shown: def }), def);
        kc.loadFromFile(def);
        files.push(def);
      } else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    }
  } catch (e) {
    if (e instanceof LlwError) throw e;
    throw new UserError({
      what: `cannot read the kubeconfig: ${(e as Error).message}`,
      where: files.join(delimiter) || "~/.kube/config",
      next: "fix the file or log in again with `oc login`",
    });
  }
  if (kc.getContexts().length === 0 && !kc.getCurrentCluster()) {
    throw new EnvironmentError({
      what:
        files.length > 0
          ? `the kubeconfig has no contexts, so no cluster to talk to: ${files.join(delimiter)}`
          : "no cluster configured: no kubeconfig found",
      where: files.length > 0 ? files.join(delimiter) : "KUBECONFIG and ~/.kube/config",
      next: "log in with `oc login <api url>`, or pass --kubeconfig <file> or set KUBECONFIG",
    });
  }
  if (opts.context) {
    const known = kc.getContexts().map((c) => c.name);
    if (!known.includes(opts.context)) {
      throw new UserError({
        what: `context "${opts.context}" is not in the kubeconfig`,
        where: "--context",
        next: `use one of: ${known.join(", ") || "(none)"} (see \`oc config get-contexts\`)`,
      });
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new UserError({
      what: `the current context "${kc.getCurrentContext()}" names no cluster`,
      where: "kubeconfig",
      next: "choose a context with --context, or `oc config use-context <name>`",
    });
  }
  return kc;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** What was being done when a call failed; it ends up in the error message. */
interface Action {
  verb: string;
  what: string;
}

function describe(apiVersion: string, kind: string, name?: string, namespace?: string): string {
  const ns = namespace ? ` in namespace ${namespace}` : "";
  return `${kind}${name ? ` ${name}` : "s"} (${apiVersion})${ns}`;
}

/**
 * A small facade over client-node: get/list/apply/patch/delete any kind by apiVersion+kind,
 * pod create + log, and watch. Every method maps failures through `kubeError`.
 */
export class Kube {
  readonly kc: KubeConfig;
  readonly objects: KubernetesObjectApi;
  readonly core: CoreV1Api;
  readonly server: string;

  constructor(kc: KubeConfig) {
    this.kc = kc;
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.server = kc.getCurrentCluster()?.server ?? "(unknown server)";
  }

  static connect(opts: KubeOptions, env: NodeJS.ProcessEnv, cwd?: string): Kube {
    return new Kube(loadKubeConfig(opts, env, cwd));
  }

  private fail(e: unknown, action: Action): never {
    throw kubeError(e, action, this.server);
  }

  /** Reads one object; undefined when it does not exist (or its kind is not served). */
  async get<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    try {
      const spec = { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } };
      return plain(await this.objects.read(spec)) as T;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      this.fail(e, { verb: "get", what: describe(apiVersion, kind, name, namespace) });
    }
  }

  /** Lists objects of a kind (all namespaces unless one is given); [] when the kind is not served. */
  async list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    opts: ListOptions = {},
  ): Promise<T[]> {
    try {
      const res = await this.objects.list(
        apiVersion,
        kind,
        opts.namespace,
        undefined,
        undefined,
        undefined,
        opts.fieldSelector,
        opts.labelSelector,
      );
      return (plain(res) as { items?: T[] }).items?.map((i) => ({ ...i, apiVersion, kind })) ?? [];
    } catch (e) {
      if (isNotFound(e)) return [];
      this.fail(e, { verb: "list", what: describe(apiVersion, kind, undefined, opts.namespace) });
    }
  }

  /** Server-side apply (field manager "llw", forced: llw owns what it applies). */
  async apply<T extends KubeObject = KubeObject>(
    obj: KubeObject,
    opts: { dryRun?: boolean } = {},
  ): Promise<T> {
    const clean = withoutServerFields(obj);
    try {
      return plain(
        await this.objects.patch(
          clean,
          undefined,
          opts.dryRun ? "All" : undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        ),
      ) as T;
    } catch (e) {
      this.fail(e, {
        verb: "apply",
        what: describe(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace),
      });
    }
  }

  /** JSON merge patch (RFC 7386) of one object, e.g. `{spec: {paused: true}}`. */
  async mergePatch<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    name: string,
    patch: Record<string, unknown>,
    namespace?: string,
  ): Promise<T> {
    const { metadata, ...rest } = patch as { metadata?: Record<string, unknown> };
    const spec = {
      ...rest,
      apiVersion,
      kind,
      metadata: { ...metadata, name, ...(namespace ? { namespace } : {}) },
    };
    try {
      return plain(
        await this.objects.patch(
          spec,
          undefined,
          undefined,
          FIELD_MANAGER,
          undefined,
          PatchStrategy.MergePatch,
        ),
      ) as T;
    } catch (e) {
      this.fail(e, { verb: "patch", what: describe(apiVersion, kind, name, namespace) });
    }
  }

  async create<T extends KubeObject = KubeObject>(obj: KubeObject): Promise<T> {
    try {
      return plain(await this.objects.create(obj, undefined, undefined, FIELD_MANAGER)) as T;
    } catch (e) {
      this.fail(e, {
        verb: "create",
        what: describe(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace),
      });
    }
  }

  /** Deletes an object; returns false when it was already gone. */
  async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<boolean> {
    try {
      await this.objects.delete({
        apiVersion,
        kind,
        metadata: { name, ...(namespace ? { namespace } : {}) },
      });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      this.fail(e, { verb: "delete", what: describe(apiVersion, kind, name, namespace) });
    }
  }

  /** The text log of a pod's container. */
  async podLog(namespace: string, name: string, container?: string): Promise<string> {
    try {
      return await this.core.readNamespacedPodLog({ namespace, name, ...(container ? { container } : {}) });
    } catch (e) {
      this.fail(e, { verb: "read the log of", what: `pod ${name} in namespace ${namespace}` });
    }
  }

  /** The server's version (`/version`): gitVersion etc. */
  async version(): Promise<{ gitVersion: string; major: string; minor: string }> {
    try {
      const { VersionApi } = await import("@kubernetes/client-node");
      const v = await this.kc.makeApiClient(VersionApi).getCode();
      return { gitVersion: v.gitVersion, major: v.major, minor: v.minor };
    } catch (e) {
      this.fail(e, { verb: "read", what: "the server version" });
    }
  }

  /**
   * Watches a collection path (e.g. `/api/v1/namespaces/x/pods`); resolves with an abort handle.
   * `onEvent` receives ADDED/MODIFIED/DELETED/BOOKMARK/ERROR; `onDone` once when the stream ends.
   */
  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, obj: KubeObject) => void,
    onDone: (err?: Error) => void,
  ): Promise<{ abort: () => void }> {
    const w = new Watch(this.kc);
    const controller = await w.watch(path, query, onEvent, (err: unknown) => {
      if (!err || (err as Error).name === "AbortError") onDone();
      else onDone(kubeError(err, { verb: "watch", what: path }, this.server));
    });
    return { abort: () => controller.abort() };
  }
}

/** client-node returns class instances for built-in kinds (Dates etc.); llw works with plain JSON. */
function plain(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x));
}

/** Fields the server owns; sending them in an apply is rejected or causes conflicts. */
export function withoutServerFields(obj: KubeObject): KubeObject {
  const { metadata, status: _status, ...rest } = obj;
  const {
    resourceVersion: _rv,
    uid: _uid,
    creationTimestamp: _ct,
    managedFields: _mf,
    generation: _g,
    ...meta
  } = metadata as Record<string, unknown>;
  return { ...rest, metadata: meta } as KubeObject;
}

export function statusCode(e: unknown): number | undefined {
  if (e instanceof ApiException) return e.code;
  const code = (e as { statusCode?: unknown; code?: unknown })?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** The Kubernetes Status message carried by an API error, if any. */
export function statusMessage(e: unknown): string | undefined {
  if (!(e instanceof ApiException)) return undefined;
  const body = e.body as unknown;
  try {
    const s = (typeof body === "string" ? JSON.parse(body) : body) as { message?: string };
    return s?.message;
  } catch {
    return typeof body === "string" && body.length > 0 ? body.slice(0, 300) : undefined;
  }
}

function isNotFound(e: unknown): boolean {
  if (statusCode(e) === 404) return true;
  return e instanceof Error && /Unrecognized API version and kind/.test(e.message);
}

/** The error code deep in a fetch failure (`fetch failed` -> cause -> ECONNREFUSED). */
function networkCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

const TLS_CODES =
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|EPROTO|HOSTNAME_MISMATCH|ALTNAME/;

/** Maps any failure of a cluster call to an error saying what happened and what to do next. */
export function kubeError(e: unknown, action: Action, server: string): LlwError | Error {
  if ((e as LlwError)?.problems) return e as LlwError;
  const doing = `${action.verb} ${action.what}`;
  const code = statusCode(e);
  const msg = statusMessage(e);
  if (code === 401) {
    return new EnvironmentError({
      what: `the cluster at ${server} rejected the credentials (401 Unauthorized) while trying to ${doing}`,
      where: "kubeconfig user",
      next: "your token has probably expired: log in again with `oc login` (or check --context)",
    });
  }
  if (
    code === 403 &&
    msg &&
    /error looking up service account ([^:]+): serviceaccount "[^"]+" not found/.test(msg)
  ) {
    // Not a permission problem: the namespace is new and its ServiceAccount not created yet.
    return new EnvironmentError({
      what: `the cluster refused to ${doing}: ${msg}`,
      where: server,
      next: "the cluster creates a namespace's default ServiceAccount a moment after the namespace: wait a few seconds and re-run (`oc get sa -n <namespace>` shows when it exists)",
    });
  }
  if (code === 403) {
    return new EnvironmentError({
      what: `forbidden: ${msg ?? `you may not ${doing}`}`,
      where: server,
      next: "run as a user with cluster-admin (the workshop installs operators), or ask an administrator for access; `oc auth can-i --list` shows your rights",
    });
  }
  if (code === 404) {
    return new EnvironmentError({
      what: `the cluster does not serve ${action.what}${msg ? `: ${msg}` : ""}`,
      where: server,
      next: "install the operator that provides this API first (`llw install`), or check the cluster version",
    });
  }
  if (e instanceof Error && /Unrecognized API version and kind/.test(e.message)) {
    return new EnvironmentError({
      what: `the cluster does not serve ${action.what}`,
      where: server,
      next: "install the operator that provides this API first (`llw install`)",
    });
  }
  if (code === 422 || code === 400) {
    return new UserError({
      what: `the cluster refused to ${doing}: ${msg ?? "invalid object"}`,
      where: action.what,
      next: "fix the object (run `llw lint` on the tree) and retry",
    });
  }
  if (code === 409) {
    return new EnvironmentError({
      what: `conflict while trying to ${doing}: ${msg ?? "the object changed"}`,
      where: server,
      next: "another controller or user changed the object; re-run the command",
    });
  }
  if (code !== undefined) {
    return new EnvironmentError({
      what: `the cluster answered ${code} while trying to ${doing}${msg ? `: ${msg}` : ""}`,
      where: server,
      next: "check the cluster's health (`oc get clusteroperators`) and retry",
    });
  }
  const net = networkCode(e);
  if (net === "ENOTFOUND" || net === "EAI_AGAIN") {
    return new EnvironmentError({
      what: `cannot resolve the API server's host name (${server})`,
      where: "kubeconfig cluster server",
      next: "check the URL with `oc whoami --show-server`, your DNS/VPN, or choose another --context",
    });
  }
  if (net && TLS_CODES.test(net)) {
    return new EnvironmentError({
      what: `TLS verification of ${server} failed (${net})`,
      where: "kubeconfig cluster certificate-authority",
      next: "log in again with `oc login` to refresh the CA, or fix certificate-authority-data in the kubeconfig",
    });
  }
  if (
    net &&
    /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_SOCKET/.test(
      net,
    )
  ) {
    return new EnvironmentError({
      what: `cannot reach the Kubernetes API at ${server} (${net}) while trying to ${doing}`,
      where: "kubeconfig cluster server",
      next: "check that the cluster is running and reachable (`oc whoami --show-server`), or choose another --context / KUBECONFIG",
    });
  }
  if (e instanceof Error && /fetch failed|socket|network/i.test(e.message)) {
    return new EnvironmentError({
      what: `cannot reach the Kubernetes API at ${server}: ${e.message}`,
      where: "kubeconfig cluster server",
      next: "check that the cluster is reachable (`oc whoami --show-server`)",
    });
  }
  if (e instanceof Error && /HTTP protocol is not allowed/.test(e.message)) {
    // @kubernetes/client-node refuses plain http unless the kubeconfig skips TLS verification.
    return new EnvironmentError({
      what: `the kubeconfig's API server is plain http (${server}), which the Kubernetes client refuses`,
      where: "kubeconfig cluster server",
      next: "use the cluster's https:// API URL (`oc whoami --show-server` on a logged-in machine), or log in again with `oc login`",
    });
  }
  if (
    e instanceof SyntaxError ||
    (e instanceof Error && /^Failed to fetch resource metadata/.test(e.message))
  ) {
    // A server that answers, but not as the Kubernetes API does: a web page, a proxy's login
    // form, a discovery document without resources (client-node then fails inside itself).
    return new EnvironmentError({
      what: `the server at ${server} does not answer as a Kubernetes API server while trying to ${doing}`,
      where: "kubeconfig cluster server",
      next: "check the URL with `oc whoami --show-server` (the API is usually https://api.<cluster>:6443), or choose another --context / KUBECONFIG",
    });
  }
  return e instanceof Error ? e : new Error(String(e));
}
