/**
 * An on-disk cache of compiled validators. Compiling a large CRD schema (ArgoCD, ApplicationSet)
 * takes most of a second, every run; ajv can emit a compiled validator as standalone code, which
 * loads in milliseconds. Entries are keyed by a digest of the schema source, the kind, the
 * transform version and ajv's version, so a changed schema file or a new llw never reuses a stale
 * validator. The cache is an optimisation only: any failure to read or write it is ignored.
 *
 * Two places hold entries: the user's cache directory (written on every miss) and the validators
 * that `npm run build` compiles for the workshop's own tree into `dist/validators` (read only), so
 * that the first lint after an install does not compile them either.
 *
 * A cached validator is code that llw runs, so nothing is loaded on trust: each `<key>.cjs` is
 * written with `<key>.cjs.sha256`, the digest of its content; before loading, the file and its
 * folder must belong to the user (or root) and be writable by nobody else, and the content read
 * must match the digest. That very content is compiled (not the file read again), so a file
 * dropped into the cache, one changed after it was written, or a cache folder others can write
 * to is never run: the validator is compiled from the schema instead.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readFileSync, type Stats } from "node:fs";
import { createRequire, enableCompileCache, Module } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ValidateFunction } from "ajv";
import { writeFileAtomicSync } from "../lib/write-file.ts";

/** Bump when the schema transform or the compile options change. */
const FORMAT = "llw-validators-1";
const require = createRequire(import.meta.url);
const AJV_VERSION = (require("ajv/package.json") as { version: string }).version;

/** $LLW_CACHE_DIR, else $XDG_CACHE_HOME/llw, else $HOME/.cache/llw; LLW_NO_CACHE=1 turns it off. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.LLW_NO_CACHE === "1") return undefined;
  if (env.LLW_CACHE_DIR) return env.LLW_CACHE_DIR;
  // Only from the given environment (commands get it injected): no HOME, no cache.
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, ".cache") : undefined);
  return base ? join(base, "llw") : undefined;
}

/** Validators compiled by `npm run build` (scripts/precompile-validators.ts), beside the build. */
export const SHIPPED_VALIDATORS = fileURLToPath(new URL("../../dist/validators", import.meta.url));

/** The shipped validators, unless LLW_NO_CACHE=1 (which measures and debugs a cold compile). */
export function shippedValidatorDir(env: NodeJS.ProcessEnv): string | undefined {
  return env.LLW_NO_CACHE === "1" ? undefined : SHIPPED_VALIDATORS;
}

export function cacheKey(...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of [FORMAT, AJV_VERSION, ...parts]) h.update(p).update("\0");
  return h.digest("hex").slice(0, 32);
}

export interface ValidatorCacheOptions {
  /** Where misses are written: `<dir>/validators`, with V8's compile cache in `<dir>/v8`. */
  dir?: string;
  /** Read-only directories of `<key>.cjs` files, looked up after `dir` (the shipped validators). */
  readOnly?: string[];
}

export class ValidatorCache {
  private readonly dir: string | undefined;
  private readonly readOnly: string[];
  constructor(opts: ValidatorCacheOptions) {
    this.dir = opts.dir ? join(opts.dir, "validators") : undefined;
    this.readOnly = (opts.readOnly ?? []).filter((d) => existsSync(d));
    if (!opts.dir) return;
    // Validators are large generated modules: V8's compile cache (Node 22+) keeps their bytecode
    // too, so a warm run neither compiles schemas nor re-parses the generated code.
    try {
      enableCompileCache?.(join(opts.dir, "v8"));
    } catch {
      // an optimisation only
    }
  }

  get writable(): boolean {
    return this.dir !== undefined;
  }

  load(key: string): ValidateFunction | undefined {
    for (const dir of [...(this.dir ? [this.dir] : []), ...this.readOnly]) {
      const file = join(dir, `${key}.cjs`);
      const code = readVerified(file);
      if (code === undefined) continue;
      try {
        // ajv's own standalone output, written by save() or writeValidator(), checked above.
        const fn = compileCommonJs(code, file) as ValidateFunction;
        if (typeof fn === "function") return fn;
      } catch {
        // a damaged entry: compile instead
      }
    }
    return undefined;
  }

  save(key: string, generated: string): void {
    if (!this.dir) return;
    // Absolute paths, so the module loads from a cache directory outside node_modules' reach.
    const code = generated.replace(
      /require\("(ajv\/dist\/[^"]+)"\)/g,
      (_, m: string) => `require(${JSON.stringify(require.resolve(m))})`,
    );
    try {
      writeEntry(this.dir, key, code, 0o600);
    } catch {
      // an optimisation only: a read-only or full disk just means compiling next time too
    }
  }
}

/**
 * Writes a validator for the shipped directory: ajv's runtime stays a bare `require("ajv/...")`,
 * resolved from wherever the package is installed.
 */
export function writeValidator(dir: string, key: string, generated: string): void {
  writeEntry(dir, key, generated, 0o644);
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The code first, then its digest: an entry without a matching digest is never loaded. */
function writeEntry(dir: string, key: string, code: string, mode: number): void {
  const file = join(dir, `${key}.cjs`);
  writeFileAtomicSync(file, code, mode);
  writeFileAtomicSync(`${file}.sha256`, `${sha256(code)}\n`, mode);
}

/** Owned by this user or root, and writable by no one else (group only if it is the user's own). */
function trustworthy(st: Stats): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true; // Windows: no owners to compare
  if (st.uid !== uid && st.uid !== 0) return false;
  if (st.mode & 0o002) return false;
  return !(st.mode & 0o020) || st.gid === process.getgid?.();
}

/** The content of a cache entry if its folder, file and digest check out; undefined otherwise. */
function readVerified(file: string): string | undefined {
  try {
    const dirSt = lstatSync(dirname(file));
    const st = lstatSync(file);
    const sumSt = lstatSync(`${file}.sha256`);
    if (!dirSt.isDirectory() || !st.isFile() || !sumSt.isFile()) return undefined;
    if (![dirSt, st, sumSt].every(trustworthy)) return undefined;
    const want = readFileSync(`${file}.sha256`, "utf8").trim();
    const code = readFileSync(file, "utf8");
    return sha256(code) === want ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Runs CommonJS source as the module at `file` (its requires resolve from there), with V8's compile cache. */
function compileCommonJs(code: string, file: string): unknown {
  const M = Module as unknown as {
    new (
      id: string,
    ): { filename: string; paths: string[]; exports: unknown; _compile(c: string, f: string): void };
    _nodeModulePaths(dir: string): string[];
  };
  const m = new M(file);
  m.filename = file;
  m.paths = M._nodeModulePaths(dirname(file));
  m._compile(code, file);
  return m.exports;
}
