/**
 * A stand-in for OpenShift's thanos-querier for the tests and the guide's samples: not Prometheus.
 * It speaks the Prometheus HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/:
 * GET /api/v1/query_range and /api/v1/query, {"status":"success","data":{"resultType":"matrix"|
 * "vector","result":[{"metric":{...},"values":[[<unix s>,"<value>"],...]}]}}), checks the bearer
 * token as the route's kube-rbac-proxy does (401 otherwise), and answers the queries of the
 * workshop's metrics profile (benchmarks/metrics/metrics-profile.yml) from a scenario: a tuned
 * node whose reserved CPUs are this busy, these isolated CPUs with kernel time, a master node.
 * Any other query is refused (400 bad_data), so a changed profile shows up here.
 */
import { createServer, type Server } from "node:http";

export interface NodeScenario {
  node: string;
  cpus: number;
  reserved: number[];
  /** Busy share (0..1) of each reserved CPU at the busiest point; it ramps up and down over the job. */
  reservedBusy: number;
  /** Busy share of the other CPUs (the isolated ones, and all CPUs of a node without a profile). */
  otherBusy?: number;
  /** Kernel time on isolated CPUs: cpu -> {system, irq, softirq} shares. */
  kernel?: Record<number, { system?: number; irq?: number; softirq?: number }>;
  kubeletCpus?: number;
  crioCpus?: number;
}

export interface PrometheusScenario {
  nodes: NodeScenario[];
  /** API server P99 (seconds) per verb at the peak. */
  apiP99?: Record<string, number>;
  /** Metric families the cluster does not export (their queries return no series). */
  notExported?: string[];
}

/** A peak in the middle of the job: 0 at the edges, 1 at the centre (what pod creation looks like). */
function shape(t: number, start: number, end: number): number {
  if (end <= start) return 1;
  const x = (t - start) / (end - start);
  return Math.max(0.15, 1 - Math.abs(2 * x - 1) ** 2);
}

type Series = { metric: Record<string, string>; at: (t: number) => number };

function seriesFor(query: string, s: PrometheusScenario, start: number, end: number): Series[] | undefined {
  const absent = (family: string) => s.notExported?.includes(family);
  const w = (t: number) => shape(t, start, end);
  if (query.includes('node_cpu_seconds_total{mode!="idle"}')) {
    if (absent("node_cpu_seconds_total")) return [];
    return s.nodes.flatMap((n) =>
      Array.from({ length: n.cpus }, (_, cpu) => {
        const reserved = n.reserved.includes(cpu);
        const busy = reserved ? n.reservedBusy : (n.otherBusy ?? 0.01);
        const k = n.kernel?.[cpu] ?? {};
        const modes: Record<string, (t: number) => number> = {
          user: (t) => busy * (reserved ? 0.6 * w(t) : 0.8),
          system: (t) => (reserved ? busy * 0.35 * w(t) : busy * 0.2) + (k.system ?? 0),
          softirq: (t) => (reserved ? busy * 0.05 * w(t) : 0) + (k.softirq ?? 0),
          irq: () => k.irq ?? 0,
          iowait: () => 0.001,
        };
        return Object.entries(modes).map(([mode, at]) => ({
          metric: { instance: n.node, cpu: String(cpu), mode },
          at,
        }));
      }).flat(),
    );
  }
  if (query.startsWith("count by (instance) (node_cpu_seconds_total")) {
    return s.nodes.map((n) => ({ metric: { instance: n.node }, at: () => n.cpus }));
  }
  if (query.includes('job="kubelet"'))
    return s.nodes.map((n) => ({ metric: { node: n.node }, at: (t) => (n.kubeletCpus ?? 0.2) * w(t) }));
  if (query.includes('job="crio"'))
    return s.nodes.map((n) => ({ metric: { node: n.node }, at: (t) => (n.crioCpus ?? 0.1) * w(t) }));
  if (query.includes("node_schedstat_waiting_seconds_total")) {
    if (absent("node_schedstat_waiting_seconds_total")) return [];
    return s.nodes.flatMap((n) =>
      n.reserved.map((cpu) => ({
        metric: { instance: n.node, cpu: String(cpu) },
        at: (t) => Math.max(0, n.reservedBusy - 0.6) * w(t),
      })),
    );
  }
  if (query.includes("node_softnet_processed_total")) {
    if (absent("node_softnet_processed_total")) return [];
    return s.nodes.flatMap((n) =>
      n.reserved.map((cpu) => ({ metric: { instance: n.node, cpu: String(cpu) }, at: () => 150 })),
    );
  }
  if (query.includes("apiserver_request_duration_seconds_bucket"))
    return Object.entries(s.apiP99 ?? { POST: 0.05, GET: 0.02 }).map(([verb, p]) => ({
      metric: { verb },
      at: (t) => p * w(t),
    }));
  if (query.includes("apiserver_request_total"))
    return ["POST", "GET", "PATCH"].map((verb) => ({ metric: { verb }, at: (t) => 20 * w(t) }));
  return undefined;
}

export interface FakePrometheus {
  url: string;
  /** Every query asked, with whether its token was accepted. */
  queries: { path: string; query: string; authorized: boolean }[];
  stop(): Promise<void>;
}

export async function startFakePrometheus(
  token: string,
  scenario: PrometheusScenario,
): Promise<FakePrometheus> {
  const queries: FakePrometheus["queries"] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const authorized = req.headers.authorization === `Bearer ${token}`;
    const query = url.searchParams.get("query") ?? "";
    queries.push({ path: url.pathname, query, authorized });
    if (!authorized) {
      res.writeHead(401, { "content-type": "text/plain" });
      res.end("Unauthorized\n");
      return;
    }
    const range = url.pathname === "/api/v1/query_range";
    if (!range && url.pathname !== "/api/v1/query")
      return send(404, { status: "error", errorType: "not_found", error: "not found" });
    const end = Number(url.searchParams.get(range ? "end" : "time") ?? Date.now() / 1000);
    const start = range ? Number(url.searchParams.get("start")) : end;
    const step = range ? Number.parseFloat(url.searchParams.get("step") ?? "30") : 1;
    const series = seriesFor(query, scenario, start, end);
    if (!series)
      return send(400, {
        status: "error",
        errorType: "bad_data",
        error: `query not in the simulation: ${query}`,
      });
    const fmt = (v: number) => String(Math.round(v * 1e6) / 1e6);
    if (!range) {
      return send(200, {
        status: "success",
        data: {
          resultType: "vector",
          result: series.map((x) => ({ metric: x.metric, value: [end, fmt(x.at(end))] })),
        },
      });
    }
    const times: number[] = [];
    for (let t = start; t <= end + 1e-9; t += step) times.push(t);
    return send(200, {
      status: "success",
      data: {
        resultType: "matrix",
        result: series
          .map((x) => ({ metric: x.metric, values: times.map((t) => [t, fmt(x.at(t))]) }))
          // "> 0" in the profile's queries drops zero samples.
          .map((x) =>
            query.includes("> 0") ? { ...x, values: x.values.filter((v) => Number(v[1]) > 0) } : x,
          )
          .filter((x) => x.values.length),
      },
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
