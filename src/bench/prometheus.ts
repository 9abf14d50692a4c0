/**
 * How `llw bench run` gives kube-burner OpenShift's in-cluster Prometheus for the workshop's
 * metrics profile (Module 5.3): the `thanos-querier` route of `openshift-monitoring` (it queries
 * every Prometheus replica) and a short-lived token of the `prometheus-k8s` service account from
 * the TokenRequest API, as kube-burner-ocp's own metadata code does
 * (cloud-bulldozer/go-commons main, ocp-metadata/ocp-metadata.go: getBearerToken), or
 * `--prometheus-url` / `--prometheus-token` (or PROMETHEUS_TOKEN in the environment, which keeps
 * the token off the command line). The token reaches kube-burner only through its environment:
 * it is never written to the run directory or its metadata. When Prometheus cannot be found the
 * run still happens, without metrics, and says why.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Kube } from "../cluster/kube.ts";
import { kubeError } from "../cluster/kube.ts";
import { UserError } from "../lib/errors.ts";
import { writeFileAtomic } from "../lib/files.ts";

export const MONITORING_NAMESPACE = "openshift-monitoring";
export const QUERIER_ROUTE = "thanos-querier";
export const TOKEN_SERVICE_ACCOUNT = "prometheus-k8s";

export interface PrometheusOptions {
  prometheus?: boolean;
  prometheusUrl?: string;
  prometheusToken?: string;
}

export interface PrometheusAccess {
  url: string;
  token?: string;
  /** Where the URL and token came from, for the run's metadata and the terminal. */
  source: string;
}

/** The route's URL: https when it terminates TLS (thanos-querier: reencrypt), http otherwise. */
function routeUrl(route: { spec?: { host?: string; tls?: unknown } } | undefined): string | undefined {
  const host = route?.spec?.host;
  if (!host) return undefined;
  return `${route?.spec?.tls ? "https" : "http"}://${host}`;
}

async function requestToken(kube: Kube, seconds: number): Promise<string> {
  try {
    const r = await kube.core.createNamespacedServiceAccountToken({
      name: TOKEN_SERVICE_ACCOUNT,
      namespace: MONITORING_NAMESPACE,
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: seconds },
      },
    });
    const token = r.status?.token;
    if (!token) throw new Error("the TokenRequest came back without a token");
    return token;
  } catch (e) {
    throw kubeError(
      e,
      {
        verb: "request a token for",
        what: `service account ${TOKEN_SERVICE_ACCOUNT} in ${MONITORING_NAMESPACE}`,
      },
      kube.server,
    );
  }
}

/**
 * Finds Prometheus for a run; `undefined` with the reason when metrics cannot be collected.
 * `tokenSeconds` should cover the whole run (kube-burner queries Prometheus after each job).
 */
export async function findPrometheus(
  opts: PrometheusOptions,
  env: NodeJS.ProcessEnv,
  connect: () => Kube,
  tokenSeconds: number,
): Promise<{ access?: PrometheusAccess; skipped?: string }> {
  if (opts.prometheus === false) return { skipped: "--no-prometheus" };
  const given = opts.prometheusToken ?? env.PROMETHEUS_TOKEN;
  try {
    if (opts.prometheusUrl) {
      return { access: { url: opts.prometheusUrl, token: given, source: "--prometheus-url" } };
    }
    const kube = connect();
    const route = await kube.get("route.openshift.io/v1", "Route", QUERIER_ROUTE, MONITORING_NAMESPACE);
    const url = routeUrl(route as { spec?: { host?: string; tls?: unknown } });
    if (!url)
      return {
        skipped: `no ${QUERIER_ROUTE} route in ${MONITORING_NAMESPACE} (is cluster monitoring installed?)`,
      };
    const token = given ?? (await requestToken(kube, tokenSeconds));
    return {
      access: {
        url,
        token,
        source: `route ${MONITORING_NAMESPACE}/${QUERIER_ROUTE}; ${given ? "token given" : `token of ${TOKEN_SERVICE_ACCOUNT} (TokenRequest, ${tokenSeconds} s)`}`,
      },
    };
  } catch (e) {
    return { skipped: (e as Error).message };
  }
}

/** A token given with `--set` would be recorded with the run's variables: refused. */
export function refuseTokenInSets(sets: Record<string, string>): void {
  if ("PROMETHEUS_TOKEN" in sets) {
    throw new UserError({
      what: "a Prometheus token given with --set would be stored in the run's metadata",
      where: "--set PROMETHEUS_TOKEN",
      next: "use --prometheus-token, or PROMETHEUS_TOKEN in the environment",
    });
  }
}

/**
 * What a run needs for the metrics profile: the profile copied into the run directory (so the
 * run shows what was queried) and the variables the workload's metricsEndpoints use. The token
 * is returned apart: it goes into kube-burner's environment only.
 */
export async function metricsForRun(
  access: PrometheusAccess | undefined,
  benchmarksDir: string,
  runDir: string,
): Promise<{ vars: Record<string, string>; secretEnv: Record<string, string> }> {
  if (!access) return { vars: { PROMETHEUS_URL: "" }, secretEnv: {} };
  const profile = join(runDir, "metrics-profile.yml");
  await writeFileAtomic(profile, await readFile(join(benchmarksDir, "metrics", "metrics-profile.yml")));
  return {
    vars: { PROMETHEUS_URL: access.url, METRICS_PROFILE: profile },
    secretEnv: access.token ? { PROMETHEUS_TOKEN: access.token } : {},
  };
}
