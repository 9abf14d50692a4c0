/**
 * What a CloudFormation update of the data-network stack will do, worked out before it runs: the
 * template is evaluated for the old and the new parameters (Conditions, Ref, Fn::If, Fn::Sub,
 * Fn::GetAtt, AWS::NoValue, the intrinsics the template uses), and each resource present in both
 * is compared on the properties whose change makes CloudFormation replace it (the registry
 * schemas' createOnlyProperties, see resource-facts.ts). A replaced resource replaces whatever
 * refers to it in such a property. Pure.
 */
import { RESOURCE_FACTS } from "./resource-facts.ts";

type Template = {
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>;
};

const NO_VALUE = Symbol("AWS::NoValue");

function conditionValues(tpl: Template, params: Record<string, string>): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const scalar = (x: unknown): unknown => {
    const r = (x as { Ref?: string })?.Ref;
    return r !== undefined ? (params[r] ?? "") : x;
  };
  const evaluate = (x: unknown): boolean => {
    const o = x as Record<string, unknown[]> & { Condition?: string };
    if (o.Condition !== undefined) return value(o.Condition);
    if (o["Fn::Equals"]) return scalar(o["Fn::Equals"][0]) === scalar(o["Fn::Equals"][1]);
    if (o["Fn::Not"]) return !evaluate(o["Fn::Not"][0]);
    if (o["Fn::And"]) return o["Fn::And"].every(evaluate);
    if (o["Fn::Or"]) return o["Fn::Or"].some(evaluate);
    throw new Error(`cannot evaluate condition ${JSON.stringify(x)}`);
  };
  const value = (name: string): boolean => {
    if (!out.has(name)) {
      const body = tpl.Conditions?.[name];
      if (body === undefined) throw new Error(`unknown condition ${name}`);
      out.set(name, evaluate(body));
    }
    return out.get(name)!;
  };
  for (const name of Object.keys(tpl.Conditions ?? {})) value(name);
  return out;
}

/** One resource as CloudFormation would see it: properties resolved, references to resources kept as `<ref:Id>`. */
export interface ResolvedResource {
  type: string;
  properties: Record<string, unknown>;
}

/** The resources a template creates for these parameters, with their properties resolved. */
export function resolveTemplate(
  template: Record<string, unknown>,
  params: Record<string, string>,
): Map<string, ResolvedResource> {
  const tpl = template as Template;
  const conds = conditionValues(tpl, params);
  const resolve = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(resolve).filter((v) => v !== NO_VALUE);
    if (x === null || typeof x !== "object") return x;
    const o = x as Record<string, unknown>;
    if ("Ref" in o) {
      const r = o.Ref as string;
      if (r === "AWS::NoValue") return NO_VALUE;
      if (r in tpl.Resources) return `<ref:${r}>`;
      return params[r] ?? "";
    }
    if ("Fn::If" in o) {
      const [c, a, b] = o["Fn::If"] as [string, unknown, unknown];
      return resolve(conds.get(c) ? a : b);
    }
    if ("Fn::Sub" in o) {
      return (o["Fn::Sub"] as string).replace(/\$\{([^}]+)\}/g, (_, n: string) =>
        n in tpl.Resources ? `<ref:${n}>` : (params[n] ?? ""),
      );
    }
    if ("Fn::GetAtt" in o) {
      const [id, attr] = o["Fn::GetAtt"] as [string, string];
      return `<ref:${id}.${attr}>`;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      const r = resolve(v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  };
  const resources = new Map<string, ResolvedResource>();
  for (const [id, r] of Object.entries(tpl.Resources)) {
    if (r.Condition !== undefined && !conds.get(r.Condition)) continue;
    resources.set(id, { type: r.Type, properties: resolve(r.Properties ?? {}) as Record<string, unknown> });
  }
  return resources;
}

export interface StackChanges {
  added: string[];
  removed: string[];
  /** Present before and after with a create-only property changed: CloudFormation replaces them. */
  replaced: { logicalId: string; type: string; because: string[] }[];
  /** Present before and after with only updatable properties changed. */
  updated: string[];
}

/** What an update from `before` to `after` parameters does to each resource. */
export function stackChanges(
  template: Record<string, unknown>,
  before: Record<string, string>,
  after: Record<string, string>,
): StackChanges {
  const old = resolveTemplate(template, before);
  const now = resolveTemplate(template, after);
  const replaced = new Map<string, string[]>();
  const updated: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [id, r] of now) {
      const was = old.get(id);
      if (!was || replaced.has(id)) continue;
      const createOnly = RESOURCE_FACTS[r.type]?.createOnly ?? [];
      const because = createOnly.filter((p) => {
        if (!same(was.properties[p], r.properties[p])) return true;
        // A property referring to a replaced resource gets the replacement's new id.
        const text = JSON.stringify(r.properties[p] ?? "");
        return [...replaced.keys()].some((x) => text.includes(`<ref:${x}>`) || text.includes(`<ref:${x}.`));
      });
      if (because.length > 0) {
        replaced.set(id, because);
        changed = true;
      }
    }
  }
  for (const [id, r] of now) {
    const was = old.get(id);
    if (was && !replaced.has(id) && !same(was.properties, r.properties)) updated.push(id);
  }
  return {
    added: [...now.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    replaced: [...replaced].map(([logicalId, because]) => ({
      logicalId,
      type: now.get(logicalId)!.type,
      because,
    })),
    updated,
  };
}
