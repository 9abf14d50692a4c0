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
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire, enableCompileCache } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ValidateFunction } from "ajv";

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
      if (!existsSync(file)) continue;
      try {
        // ajv's own standalone output, written by save() or writeValidator().
        const fn = require(file) as ValidateFunction;
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
      writeAtomically(join(this.dir, `${key}.cjs`), code, this.dir);
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
  writeAtomically(join(dir, `${key}.cjs`), generated, dir);
}

function writeAtomically(file: string, code: string, dir: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
