/**
 * kubectl 1.35 sends some typed requests (`kubectl create namespace`, `create configmap`,
 * `create secret`, `auth can-i`) as Kubernetes protobuf: the "k8s\0" magic and a runtime.Unknown envelope
 * (apiVersion, kind, raw) around the object (k8s.io/apimachinery/pkg/runtime/serializer/protobuf,
 * runtime/generated.proto). This decodes the few kinds kubectl creates that way, from the field
 * numbers of k8s.io/api/core/v1/generated.proto and apimachinery meta/v1 ObjectMeta; anything else
 * is left to the caller to refuse with 415.
 */
type Fields = Map<number, (Buffer | number)[]>;

function varint(b: Buffer, pos: number): [number, number] {
  let x = 0;
  let shift = 0;
  for (;;) {
    const byte = b[pos++]!;
    x += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [x, pos];
    shift += 7;
  }
}

function fields(b: Buffer): Fields {
  const out: Fields = new Map();
  let pos = 0;
  while (pos < b.length) {
    const [key, p1] = varint(b, pos);
    pos = p1;
    const field = Math.floor(key / 8);
    const wire = key & 7;
    let v: Buffer | number;
    if (wire === 0) [v, pos] = varint(b, pos);
    else if (wire === 2) {
      const [len, p2] = varint(b, pos);
      v = b.subarray(p2, p2 + len);
      pos = p2 + len;
    } else if (wire === 1) {
      v = b.subarray(pos, pos + 8);
      pos += 8;
    } else if (wire === 5) {
      v = b.subarray(pos, pos + 4);
      pos += 4;
    } else throw new Error(`protobuf wire type ${wire} not supported`);
    out.set(field, [...(out.get(field) ?? []), v]);
  }
  return out;
}

const str = (f: Fields, n: number) => (f.get(n)?.[0] as Buffer | undefined)?.toString("utf8");
function map(f: Fields, n: number, bytes = false): Record<string, string> | undefined {
  const entries = f.get(n) as Buffer[] | undefined;
  if (!entries) return undefined;
  return Object.fromEntries(
    entries.map((e) => {
      const kv = fields(e);
      const v = (kv.get(2)?.[0] as Buffer | undefined) ?? Buffer.alloc(0);
      return [str(kv, 1) ?? "", bytes ? v.toString("base64") : v.toString("utf8")];
    }),
  );
}

function objectMeta(b: Buffer | undefined): Record<string, unknown> {
  if (!b) return {};
  const f = fields(b);
  const m: Record<string, unknown> = {};
  for (const [k, n] of [
    ["name", 1],
    ["generateName", 2],
    ["namespace", 3],
  ] as const)
    if (str(f, n)) m[k] = str(f, n);
  const labels = map(f, 11);
  const annotations = map(f, 12);
  if (labels) m.labels = labels;
  if (annotations) m.annotations = annotations;
  return m;
}

/**
 * SelfSubjectAccessReviewSpec (`oc auth can-i`): resourceAttributes 1 (namespace 1, verb 2, group
 * 3, version 4, resource 5, subresource 6, name 7), nonResourceAttributes 2 (path 1, verb 2), from
 * the protobuf tags of k8s.io/api/authorization/v1/types.go.
 */
function reviewSpec(b: Buffer | undefined): Record<string, unknown> {
  const spec = fields(b ?? Buffer.alloc(0));
  const attrs = (n: number, names: string[]) => {
    const a = spec.get(n)?.[0] as Buffer | undefined;
    if (!a) return undefined;
    const f = fields(a);
    return Object.fromEntries(names.map((k, i) => [k, str(f, i + 1)]).filter(([, v]) => v !== undefined));
  };
  const res = attrs(1, ["namespace", "verb", "group", "version", "resource", "subresource", "name"]);
  const non = attrs(2, ["path", "verb"]);
  return { ...(res && { resourceAttributes: res }), ...(non && { nonResourceAttributes: non }) };
}

/** The JSON form of a protobuf-encoded request body, or undefined for a kind not handled here. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> | undefined {
  if (body.subarray(0, 4).toString("latin1") !== "k8s\0") return undefined;
  const env = fields(body.subarray(4));
  const tm = fields((env.get(1)?.[0] as Buffer) ?? Buffer.alloc(0));
  const apiVersion = str(tm, 1);
  const kind = str(tm, 2);
  const raw = fields((env.get(2)?.[0] as Buffer) ?? Buffer.alloc(0));
  const metadata = objectMeta(raw.get(1)?.[0] as Buffer | undefined);
  if (apiVersion === "authorization.k8s.io/v1" && kind === "SelfSubjectAccessReview")
    return { apiVersion, kind, metadata, spec: reviewSpec(raw.get(2)?.[0] as Buffer | undefined) };
  if (apiVersion !== "v1") return undefined;
  if (kind === "Namespace" || kind === "ServiceAccount") return { apiVersion, kind, metadata };
  if (kind === "ConfigMap")
    return { apiVersion, kind, metadata, ...(map(raw, 2) ? { data: map(raw, 2) } : {}) };
  if (kind === "Secret")
    return {
      apiVersion,
      kind,
      metadata,
      ...(map(raw, 2, true) ? { data: map(raw, 2, true) } : {}),
      ...(str(raw, 3) ? { type: str(raw, 3) } : {}),
    };
  return undefined;
}
