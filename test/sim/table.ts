/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), which is what
 * `kubectl get`/`oc get` ask for: columns of the built-in kinds as kube-apiserver prints them
 * (kubernetes pkg/printers/internalversion/printers.go: nodes, pods, namespaces, events) and,
 * for custom resources, the CRD's additionalPrinterColumns read from the schemas the repository
 * ships (schemas/*.yaml), as apiextensions-apiserver's table convertor does.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { Obj, ResourceDef } from "./apiserver.ts";

const SCHEMAS = join(import.meta.dirname, "..", "..", "schemas");

interface Column {
  name: string;
  type: string;
  jsonPath?: string;
  priority?: number;
  value?: (o: Obj) => unknown;
}

export function age(ts: string | undefined): string {
  if (!ts) return "<unknown>";
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h` : `${Math.floor(h / 24)}d`;
}

/** The JSONPath subset printer columns use: .a.b, [n], [?(@.k=="v")]. */
export function jsonPath(o: unknown, path: string): unknown {
  let cur: unknown[] = [o];
  const re = /\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_]+)=="([^"]*)"\)\]/g;
  for (const m of path.matchAll(re)) {
    const next: unknown[] = [];
    for (const c of cur) {
      if (c === null || c === undefined) continue;
      if (m[1] !== undefined) next.push((c as Obj)[m[1]]);
      else if (m[2] !== undefined && Array.isArray(c)) next.push(c[Number(m[2])]);
      else if (m[3] !== undefined && Array.isArray(c))
        next.push(...c.filter((x) => String((x as Obj)?.[m[3]!]) === m[4]));
    }
    cur = next;
  }
  const vals = cur.filter((x) => x !== undefined && x !== null);
  return vals.length === 0 ? undefined : vals.length === 1 ? vals[0] : vals.join(",");
}

const cond = (o: Obj, t: string) => (o.status?.conditions ?? []).find((c: Obj) => c.type === t);

const BUILTIN: Record<string, Column[]> = {
  Node: [
    {
      name: "Status",
      type: "string",
      value: (o) =>
        `${cond(o, "Ready")?.status === "True" ? "Ready" : "NotReady"}${o.spec?.unschedulable ? ",SchedulingDisabled" : ""}`,
    },
    {
      name: "Roles",
      type: "string",
      value: (o) =>
        Object.keys(o.metadata.labels ?? {})
          .filter((k) => k.startsWith("node-role.kubernetes.io/"))
          .map((k) => k.split("/")[1])
          .sort()
          .join(",") || "<none>",
    },
    { name: "Age", type: "string", value: (o) => age(o.metadata.creationTimestamp) },
    { name: "Version", type: "string", value: (o) => o.status?.nodeInfo?.kubeletVersion ?? "" },
    {
      name: "Internal-IP",
      type: "string",
      priority: 1,
      value: (o) =>
        (o.status?.addresses ?? []).find((a: Obj) => a.type === "InternalIP")?.address ?? "<none>",
    },
    { name: "OS-Image", type: "string", priority: 1, value: (o) => o.status?.nodeInfo?.osImage ?? "" },
    {
      name: "Kernel-Version",
      type: "string",
      priority: 1,
      value: (o) => o.status?.nodeInfo?.kernelVersion ?? "",
    },
  ],
  Pod: [
    {
      name: "Ready",
      type: "string",
      value: (o) =>
        `${(o.status?.containerStatuses ?? []).filter((c: Obj) => c.ready).length}/${(o.spec?.containers ?? []).length}`,
    },
    {
      name: "Status",
      type: "string",
      value: (o) =>
        o.metadata.deletionTimestamp
          ? "Terminating"
          : (o.status?.containerStatuses?.[0]?.state?.terminated?.reason ?? o.status?.phase ?? "Pending"),
    },
    {
      name: "Restarts",
      type: "integer",
      value: (o) =>
        (o.status?.containerStatuses ?? []).reduce((n: number, c: Obj) => n + (c.restartCount ?? 0), 0),
    },
    { name: "Age", type: "string", value: (o) => age(o.metadata.creationTimestamp) },
    { name: "IP", type: "string", priority: 1, value: (o) => o.status?.podIP ?? "<none>" },
    { name: "Node", type: "string", priority: 1, value: (o) => o.spec?.nodeName ?? "<none>" },
  ],
  Namespace: [
    { name: "Status", type: "string", value: (o) => o.status?.phase ?? "Active" },
    { name: "Age", type: "string", value: (o) => age(o.metadata.creationTimestamp) },
  ],
  // No Machine CRD in schemas/: its printer columns as openshift/api declares them
  // (machine/v1beta1/types_machine.go, kubebuilder:printcolumn markers).
  Machine: [
    { name: "Phase", type: "string", value: (o) => o.status?.phase ?? "" },
    {
      name: "Type",
      type: "string",
      value: (o) => o.metadata.labels?.["machine.openshift.io/instance-type"] ?? "",
    },
    {
      name: "Region",
      type: "string",
      value: (o) => o.metadata.labels?.["machine.openshift.io/region"] ?? "",
    },
    { name: "Zone", type: "string", value: (o) => o.metadata.labels?.["machine.openshift.io/zone"] ?? "" },
    { name: "Age", type: "string", value: (o) => age(o.metadata.creationTimestamp) },
    { name: "Node", type: "string", priority: 1, value: (o) => o.status?.nodeRef?.name ?? "" },
    { name: "ProviderID", type: "string", priority: 1, value: (o) => o.spec?.providerID ?? "" },
    {
      name: "State",
      type: "string",
      priority: 1,
      value: (o) => o.metadata.annotations?.["machine.openshift.io/instance-state"] ?? "",
    },
  ],
  Event: [
    { name: "Last Seen", type: "string", value: (o) => age(o.lastTimestamp) },
    { name: "Type", type: "string", value: (o) => o.type },
    { name: "Reason", type: "string", value: (o) => o.reason },
    {
      name: "Object",
      type: "string",
      value: (o) => `${String(o.involvedObject?.kind).toLowerCase()}/${o.involvedObject?.name}`,
    },
    { name: "Message", type: "string", value: (o) => o.message },
  ],
};

const crdColumns = new Map<string, Column[] | undefined>();

function columnsOf(def: ResourceDef): Column[] {
  if (BUILTIN[def.kind]) return BUILTIN[def.kind]!;
  const key = `${def.plural}.${def.group}`;
  if (!crdColumns.has(key)) {
    const file = join(SCHEMAS, `${key}.yaml`);
    let cols: Column[] | undefined;
    if (def.group && existsSync(file)) {
      const crd = parseYaml(readFileSync(file, "utf8")) as Obj;
      const v = (crd.spec?.versions ?? []).find((x: Obj) => x.name === def.version);
      cols = (v?.additionalPrinterColumns ?? crd.spec?.additionalPrinterColumns)?.map((c: Obj) => ({
        name: c.name,
        type: c.type,
        jsonPath: c.jsonPath ?? c.JSONPath,
        priority: c.priority ?? 0,
      }));
    }
    crdColumns.set(key, cols);
  }
  const cols = crdColumns.get(key);
  if (!cols) return [{ name: "Age", type: "string", value: (o) => age(o.metadata.creationTimestamp) }];
  const hasAge = cols.some((c) => c.jsonPath === ".metadata.creationTimestamp");
  return [
    ...cols,
    ...(hasAge ? [] : [{ name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }]),
  ];
}

/** A meta.k8s.io/v1 Table of `items`. */
export function toTable(def: ResourceDef, items: Obj[], resourceVersion: string): Obj {
  const cols = columnsOf(def);
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: [
      {
        name: "Name",
        type: "string",
        format: "name",
        description: "Name must be unique within a namespace.",
        priority: 0,
      },
      ...cols.map((c) => ({
        name: c.name,
        type: c.type === "date" ? "date" : c.type,
        format: "",
        description: "",
        priority: c.priority ?? 0,
      })),
    ],
    rows: items.map((o) => ({
      cells: [
        o.metadata.name,
        ...cols.map((c) => {
          const v = c.value ? c.value(o) : jsonPath(o, c.jsonPath ?? "");
          if (c.type === "date" && typeof v === "string") return age(v);
          return v ?? (c.type === "integer" || c.type === "number" ? null : "");
        }),
      ],
      object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata },
    })),
  };
}
