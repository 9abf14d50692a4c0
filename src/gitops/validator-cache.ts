/**
 * An on-disk cache of compiled validators. Compiling a large CRD schema (ArgoCD, ApplicationSet)
 * takes most of a second, every run; ajv can emit a compiled validator as standalone code, which
 * loads in milliseconds. Entries are keyed by a digest of the schema source, the kind, the
 * transform version and ajv's version, so a changed schema file or a new llw never reuses a stale
 * validator. The cache is an optimisation only: any failure to read or write it is ignored.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire, enableCompileCache } from "node:module";
import { join } from "node:path";
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

export function cacheKey(...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of [FORMAT, AJV_VERSION, ...parts]) h.update(p).update("\0");
  return h.digest("hex").slice(0, 32);
}

export class ValidatorCache {
  private readonly dir: string;
  constructor(dir: string) {
    this.dir = join(dir, "validators");
    // Validators are large generated modules: V8's compile cache (Node 22+) keeps their bytecode
    // too, so a warm run neither compiles schemas nor re-parses the generated code.
    try {
      enableCompileCache?.(join(dir, "v8"));
    } catch {
      // an optimisation only
    }
  }

  load(key: string): ValidateFunction | undefined {
    const file = join(this.dir, `${key}.cjs`);
    if (!existsSync(file)) return undefined;
    try {
      // ajv's own standalone output, written by save(); it requires ajv's runtime by absolute path.
      const fn = require(file) as ValidateFunction;
      return typeof fn === "function" ? fn : undefined;
    } catch {
      return undefined;
    }
  }

  save(key: string, generated: string): void {
    // Absolute paths, so the module loads from a cache directory outside node_modules' reach.
    const code = generated.replace(
      /require\("(ajv\/dist\/[^"]+)"\)/g,
      (_, m: string) => `require(${JSON.stringify(require.resolve(m))})`,
    );
    const file = join(this.dir, `${key}.cjs`);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, code);
      renameSync(tmp, file);
    } catch {
      rmSync(tmp, { force: true });
    }
  }
}
