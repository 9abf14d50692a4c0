/**
 * A validating scanner for kube-burner's per-pod documents: a JSON array of objects, of which
 * only the numeric `*Latency` fields and a few names are needed. Building every document as
 * an object (JSON.parse) costs several times the file size in memory for 500,000 pods; this
 * scanner walks the bytes once, keeps only the numbers, and still rejects anything that is not
 * JSON, reporting the byte offset so the caller can name the line and column.
 */

export class JsonScanError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

export interface ScannedLatencies {
  /** Number of documents (array elements). */
  documents: number;
  /** Samples per `*Latency` field, in document order. */
  samples: Map<string, number[]>;
  /** Documents where a `*Latency` field was present but null. */
  nulls: Map<string, number>;
  /** Values of selected string fields (e.g. jobName), with how many documents carried each. */
  strings: Map<string, Map<string, number>>;
  /** Smallest and largest value of selected string fields (RFC 3339 timestamps sort as text). */
  ranges: Map<string, { min: string; max: string }>;
  /** Every other top-level key seen, with its count: kept so unknown fields are visible, never fatal. */
  otherKeys: Map<string, number>;
  /** True when the whole file is the literal `null` (Go encodes an empty slice as null). */
  isNull: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LATENCY = "Latency";
/** Key cache bounds: entries per hash bucket, and distinct keys kept (real files have a few dozen). */
const KEY_BUCKET = 4;
const KEY_CACHE = 4096;

/** The characters allowed after a backslash besides u: " \\ / b f n r t. */
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Position of the end of a JSON number starting at `p`, or -1 if it is not a valid number. */
function numberEnd(buf: Uint8Array, p: number): number {
  const n = buf.length;
  if (buf[p] === 0x2d) p++;
  if (p >= n) return -1;
  if (buf[p] === 0x30) p++;
  else if (buf[p]! >= 0x31 && buf[p]! <= 0x39) {
    while (p < n && buf[p]! >= 0x30 && buf[p]! <= 0x39) p++;
  } else return -1;
  if (p < n && buf[p] === 0x2e) {
    p++;
    const s = p;
    while (p < n && buf[p]! >= 0x30 && buf[p]! <= 0x39) p++;
    if (p === s) return -1;
  }
  if (p < n && (buf[p] === 0x65 || buf[p] === 0x45)) {
    p++;
    if (p < n && (buf[p] === 0x2b || buf[p] === 0x2d)) p++;
    const s = p;
    while (p < n && buf[p]! >= 0x30 && buf[p]! <= 0x39) p++;
    if (p === s) return -1;
  }
  return p;
}

/** A position in a JSON byte buffer with the steps every reader here needs. */
class Cursor {
  readonly buf: Buffer;
  readonly n: number;
  p = 0;
  constructor(buf: Buffer) {
    this.buf = buf;
    this.n = buf.length;
    // A UTF-8 byte order mark is tolerated.
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) this.p = 3;
  }
  fail(what: string, at = this.p): never {
    throw new JsonScanError(
      at >= this.n ? `unexpected end of file (truncated?) ${what}` : what,
      Math.min(at, this.n),
    );
  }
  ws(): void {
    const { buf, n } = this;
    let p = this.p;
    while (p < n && isWs(buf[p]!)) p++;
    this.p = p;
  }
  /**
   * p at the opening quote; returns the index of the closing quote. Validates as JSON.parse
   * does: no raw control characters (U+0000-U+001F must be escaped), and only the escapes
   * \" \\ \/ \b \f \n \r \t and \u followed by four hex digits.
   */
  stringEnd(): number {
    const { buf, n } = this;
    let p = this.p + 1;
    while (p < n) {
      const c = buf[p]!;
      if (c === QUOTE) return p;
      if (c < 0x20) this.fail(`raw control character U+${c.toString(16).padStart(4, "0")} in a string`, p);
      if (c === BACKSLASH) {
        if (p + 1 >= n) break;
        const e = buf[p + 1]!;
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            if (p + k >= n) return this.fail("inside a \\u escape", n);
            if (!isHex(buf[p + k]!)) this.fail("invalid \\u escape: four hex digits expected", p);
          }
          p += 6;
          continue;
        }
        if (!SIMPLE_ESCAPES.has(e)) this.fail(`invalid escape "\\${String.fromCharCode(e)}" in a string`, p);
        p += 2;
        continue;
      }
      p++;
    }
    return this.fail("inside a string", n);
  }
  literal(word: string): void {
    for (let i = 0; i < word.length; i++) {
      if (this.buf[this.p + i] !== word.charCodeAt(i))
        this.fail(`invalid literal, expected "${word}"`, this.p + i);
    }
    this.p += word.length;
  }
  skipValue(depth: number): void {
    if (depth > 512) this.fail("nesting too deep");
    this.ws();
    const buf = this.buf;
    if (this.p >= this.n) this.fail("where a value was expected");
    const c = buf[this.p]!;
    if (c === QUOTE) {
      this.p = this.stringEnd() + 1;
    } else if (c === 0x7b) {
      this.p++;
      this.ws();
      if (buf[this.p] === 0x7d) {
        this.p++;
        return;
      }
      for (;;) {
        this.ws();
        if (buf[this.p] !== QUOTE) this.fail("expected a quoted key");
        this.p = this.stringEnd() + 1;
        this.ws();
        if (buf[this.p] !== 0x3a) this.fail('expected ":" after a key');
        this.p++;
        this.skipValue(depth + 1);
        this.ws();
        if (buf[this.p] === 0x2c) this.p++;
        else if (buf[this.p] === 0x7d) {
          this.p++;
          return;
        } else this.fail('expected "," or "}" in an object');
      }
    } else if (c === 0x5b) {
      this.p++;
      this.ws();
      if (buf[this.p] === 0x5d) {
        this.p++;
        return;
      }
      for (;;) {
        this.skipValue(depth + 1);
        this.ws();
        if (buf[this.p] === 0x2c) this.p++;
        else if (buf[this.p] === 0x5d) {
          this.p++;
          return;
        } else this.fail('expected "," or "]" in an array');
      }
    } else if (c === 0x74) this.literal("true");
    else if (c === 0x66) this.literal("false");
    else if (c === 0x6e) this.literal("null");
    else {
      const e = numberEnd(buf, this.p);
      if (e < 0) this.fail(`unexpected character "${String.fromCharCode(c)}"`);
      this.p = e;
    }
  }
  end(): void {
    this.ws();
    if (this.p < this.n) this.fail("unexpected content after the end of the JSON value");
  }
}

/**
 * Finds where a JSON text stops being valid: called after JSON.parse failed, whose messages do
 * not always carry a position. Returns undefined if the text is valid after all.
 */
export function findJsonError(buf: Buffer): JsonScanError | undefined {
  const c = new Cursor(buf);
  try {
    c.skipValue(0);
    c.end();
    return undefined;
  } catch (e) {
    if (e instanceof JsonScanError) return e;
    throw e;
  }
}

export interface ScanOptions {
  /** Fields whose distinct values are counted (jobName, nodeName, uuid: a few distinct values each). */
  strings?: readonly string[];
  /** Fields whose smallest and largest string value are kept (timestamps: one per document). */
  ranges?: readonly string[];
  /** Which numeric fields are samples (default: names ending in "Latency"). */
  isSample?: (key: string) => boolean;
}

export function scanLatencyDocuments(
  buf: Buffer,
  options: readonly string[] | ScanOptions = {},
): ScannedLatencies {
  const opts: ScanOptions = Array.isArray(options) ? { strings: options } : (options as ScanOptions);
  const stringFields = opts.strings ?? [];
  const rangeFields = new Set(opts.ranges ?? []);
  const isSample = opts.isSample ?? ((k: string) => k.endsWith(LATENCY));
  const sampleKeys = new Map<string, boolean>();
  const out: ScannedLatencies = {
    documents: 0,
    samples: new Map(),
    nulls: new Map(),
    strings: new Map(stringFields.map((f) => [f, new Map()])),
    ranges: new Map(),
    otherKeys: new Map(),
    isNull: false,
  };
  const c = new Cursor(buf);
  const n = buf.length;
  // Keys repeat in every document; decoding each distinct byte sequence once saves most of the
  // work. The cache is keyed by a hash of every byte of the key (FNV-1a), and both a bucket and
  // the whole cache have a size cap: a file crafted with thousands of keys that share a hash (or
  // just thousands of distinct keys) costs at most KEY_BUCKET comparisons per key, never a scan of
  // every key seen so far, so the scan stays linear in the file size.
  const keyCache = new Map<number, { bytes: Buffer; key: string }[]>();
  let cached = 0;
  const decodeKey = (s: number, e: number): string => {
    const raw = buf.toString("utf8", s - 1, e + 1);
    return raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };
  const keyAt = (s: number, e: number): string => {
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const len = e - s;
    let bucket = keyCache.get(h);
    if (bucket) {
      for (const k of bucket)
        if (k.bytes.length === len && buf.compare(k.bytes, 0, len, s, e) === 0) return k.key;
    }
    const key = decodeKey(s, e);
    if ((bucket?.length ?? 0) < KEY_BUCKET && cached < KEY_CACHE) {
      if (!bucket) {
        bucket = [];
        keyCache.set(h, bucket);
      }
      bucket.push({ bytes: Buffer.from(buf.subarray(s, e)), key });
      cached++;
    }
    return key;
  };
  const count = (m: Map<string, number>, k: string): void => {
    m.set(k, (m.get(k) ?? 0) + 1);
  };
  const document = (): void => {
    if (buf[c.p] !== 0x7b) c.fail(`document ${out.documents + 1} is not an object`);
    c.p++;
    c.ws();
    if (buf[c.p] === 0x7d) {
      c.p++;
      return;
    }
    for (;;) {
      c.ws();
      if (buf[c.p] !== QUOTE) c.fail("expected a quoted key");
      const ks = c.p + 1;
      const ke = c.stringEnd();
      c.p = ke + 1;
      const key = keyAt(ks, ke);
      c.ws();
      if (buf[c.p] !== 0x3a) c.fail('expected ":" after a key');
      c.p++;
      c.ws();
      const p = c.p;
      const ch = buf[p];
      let isLatency = sampleKeys.get(key);
      if (isLatency === undefined) {
        isLatency = isSample(key);
        if (sampleKeys.size < KEY_CACHE) sampleKeys.set(key, isLatency);
      }
      if (isLatency && ch !== undefined && (ch === 0x2d || (ch >= 0x30 && ch <= 0x39))) {
        const e = numberEnd(buf, p);
        if (e < 0) c.fail("invalid number");
        let v = 0;
        let simple = e - p <= 15;
        let i = p;
        const neg = ch === 0x2d;
        if (neg) i++;
        for (; simple && i < e; i++) {
          const d = buf[i]! - 0x30;
          if (d < 0 || d > 9) simple = false;
          else v = v * 10 + d;
        }
        if (!simple) v = Number(buf.toString("latin1", p, e));
        else if (neg) v = -v;
        let arr = out.samples.get(key);
        if (!arr) {
          arr = [];
          out.samples.set(key, arr);
        }
        arr.push(v);
        c.p = e;
      } else if (isLatency && ch === 0x6e) {
        c.literal("null");
        count(out.nulls, key);
      } else if (ch === QUOTE && (out.strings.has(key) || rangeFields.has(key))) {
        const e = c.stringEnd();
        const raw = buf.toString("utf8", p, e + 1);
        const v = raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (out.strings.has(key)) count(out.strings.get(key)!, v);
        if (rangeFields.has(key)) {
          const r = out.ranges.get(key);
          if (!r) out.ranges.set(key, { min: v, max: v });
          else if (v < r.min) r.min = v;
          else if (v > r.max) r.max = v;
        }
        c.p = e + 1;
      } else {
        count(out.otherKeys, key);
        c.skipValue(1);
      }
      c.ws();
      if (buf[c.p] === 0x2c) c.p++;
      else if (buf[c.p] === 0x7d) {
        c.p++;
        return;
      } else c.fail('expected "," or "}" in a document');
    }
  };

  c.ws();
  if (c.p >= n) return out;
  if (buf[c.p] === 0x6e) {
    c.literal("null");
    out.isNull = true;
  } else {
    if (buf[c.p] !== 0x5b) c.fail("expected a JSON array of documents");
    c.p++;
    c.ws();
    if (buf[c.p] === 0x5d) c.p++;
    else
      for (;;) {
        c.ws();
        if (c.p >= n) c.fail("where a document was expected");
        document();
        out.documents++;
        c.ws();
        if (buf[c.p] === 0x2c) c.p++;
        else if (buf[c.p] === 0x5d) {
          c.p++;
          break;
        } else c.fail('expected "," or "]" between documents');
      }
  }
  c.end();
  return out;
}

/** 1-based line and column of a byte offset, for error messages. */
export function lineColumn(buf: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < buf.length; i++) {
    if (buf[i] === 0x0a) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}
