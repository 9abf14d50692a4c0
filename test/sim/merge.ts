/**
 * JSON merge patch (RFC 7386), JSON patch (RFC 6902, the common operations) and the field
 * bookkeeping the simulated API server uses for server-side apply. Lists are atomic, as for most
 * CRD fields (strategic merge keys are not modelled).
 */
// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON
type J = any;

function isObj(x: unknown): x is Record<string, J> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** RFC 7386: null deletes, objects merge, everything else replaces. `keepNulls` is for apply. */
export function mergePatch(target: J, patch: J, keepNulls = false): J {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Record<string, J> = isObj(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null && !keepNulls) delete out[k];
    else out[k] = mergePatch(out[k], v, keepNulls);
  }
  return out;
}

function pointer(path: string): string[] {
  return path
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** RFC 6902 add/remove/replace/test. */
export function applyJsonPatch(doc: J, ops: { op: string; path: string; value?: J }[]): J {
  if (!Array.isArray(ops)) throw new Error("a JSON patch must be a list of operations");
  for (const op of ops) {
    const parts = pointer(op.path);
    const last = parts.pop()!;
    let parent = doc;
    for (const p of parts) {
      parent = parent?.[Array.isArray(parent) ? Number(p) : p];
      if (parent === undefined) throw new Error(`JSON patch path ${op.path} does not exist`);
    }
    const idx = Array.isArray(parent) ? (last === "-" ? parent.length : Number(last)) : last;
    if (op.op === "add") {
      if (Array.isArray(parent)) parent.splice(idx as number, 0, op.value);
      else parent[idx] = op.value;
    } else if (op.op === "replace") {
      if (!(idx in parent)) throw new Error(`JSON patch replace: ${op.path} does not exist`);
      parent[idx] = op.value;
    } else if (op.op === "remove") {
      if (!(idx in parent)) throw new Error(`JSON patch remove: ${op.path} does not exist`);
      if (Array.isArray(parent)) parent.splice(idx as number, 1);
      else delete parent[idx];
    } else if (op.op === "test") {
      if (JSON.stringify(parent[idx]) !== JSON.stringify(op.value))
        throw new Error(`JSON patch test failed at ${op.path}`);
    } else {
      throw new Error(`JSON patch operation ${op.op} is not supported by the simulated API server`);
    }
  }
  return doc;
}

export interface Leaf {
  path: string;
  value: J;
}

/** The leaf fields of an object as dotted paths (lists are leaves), minus identity fields. */
export function fieldLeaves(o: J, prefix = ""): Leaf[] {
  const out: Leaf[] = [];
  if (!isObj(o)) return out;
  for (const [k, v] of Object.entries(o)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (!prefix && (k === "apiVersion" || k === "kind")) continue;
    if (path === "metadata.name" || path === "metadata.namespace") continue;
    if (isObj(v) && Object.keys(v).length > 0) out.push(...fieldLeaves(v, path));
    else out.push({ path, value: v });
  }
  return out;
}

function deletePath(o: J, path: string): void {
  const parts = path.split(".");
  const last = parts.pop()!;
  let cur = o;
  const chain: [J, string][] = [];
  for (const p of parts) {
    if (!isObj(cur[p])) return;
    chain.push([cur, p]);
    cur = cur[p];
  }
  delete cur[last];
  // drop objects left empty by the removal
  for (let i = chain.length - 1; i >= 0; i--) {
    const [parent, key] = chain[i]!;
    if (isObj(parent[key]) && Object.keys(parent[key]).length === 0) delete parent[key];
    else break;
  }
}

/**
 * Server-side apply removes the fields a manager applied before and no longer applies, unless
 * another manager also owns them.
 */
export function pruneOwned(cur: J, previouslyApplied: Leaf[], nowApplied: Leaf[], ownedByOthers: Leaf[]): J {
  const keep = new Set([...nowApplied, ...ownedByOthers].map((l) => l.path));
  const out = structuredClone(cur);
  for (const l of previouslyApplied) if (!keep.has(l.path)) deletePath(out, l.path);
  return out;
}
