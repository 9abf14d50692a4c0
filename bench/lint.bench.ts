/**
 * `llw lint` over the whole GitOps tree against its floor: the sum of bare kustomize builds of
 * the same kustomizations (one `kubectl kustomize DIR` process each, one after another), measured
 * in the same run. Goal: lint within 1.3x of that floor.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discover } from "../src/gitops/discover.ts";
import { findKustomize } from "../src/gitops/kustomize.ts";
import { SHIPPED_VALIDATORS } from "../src/gitops/validator-cache.ts";
import { report, summarize, time, timeCommand } from "./lib.ts";

const ROOT = join(import.meta.dirname, "..");
const TREE = join(ROOT, "gitops");
const SCHEMAS = join(ROOT, "schemas");
const REPS = Number(process.env.BENCH_REPS ?? 5);

export default async function lintBench(): Promise<void> {
  const env = { ...process.env, PATH: `${join(ROOT, ".tools", "bin")}:${process.env.PATH}` };
  const tool = findKustomize(env);
  const { units } = await discover(TREE);
  const dirs = units.filter((u) => u.type === "kustomization").map((u) => u.dir);

  // Floor: every build on its own, sequentially; one sample = the sum over all kustomizations.
  const sums: number[] = [];
  for (let rep = 0; rep < REPS + 1; rep++) {
    let sum = 0;
    for (const d of dirs) {
      const t0 = performance.now();
      const r = spawnSync(tool.path, [...tool.args, d], { stdio: ["ignore", "ignore", "pipe"], env });
      if (r.status !== 0) throw new Error(`kustomize build ${d} failed: ${r.stderr}`);
      sum += performance.now() - t0;
    }
    if (rep > 0) sums.push(sum); // the first pass warms the page cache
  }
  const floor = summarize(`sum of ${dirs.length} bare \`${tool.name} kustomize\` builds`, sums);

  const node = join(ROOT, "node_modules", ".bin", "node");
  const args = [join(ROOT, "bin", "llw.js"), "lint", TREE, "--schemas", SCHEMAS];
  const cacheDir = mkdtempSync(join(tmpdir(), "llw-bench-cache-"));
  const lint = await timeCommand(
    `llw lint gitops (CLI process: ${units.length} units built, validated, checked; warm validator cache)`,
    REPS,
    node,
    args,
    { ...env, LLW_CACHE_DIR: cacheDir },
  );
  // The first run after an install: an empty user cache (a new one each time), the validators
  // that `npm run build` compiled for this tree in dist/validators.
  const shipped = existsSync(SHIPPED_VALIDATORS) ? readdirSync(SHIPPED_VALIDATORS).length : 0;
  if (shipped === 0) console.log("note: dist/validators is empty; run `npm run build` first");
  const first = await time(
    `llw lint gitops, first run after install (empty user cache; ${shipped} validators from npm run build)`,
    REPS,
    () => {
      const fresh = mkdtempSync(join(tmpdir(), "llw-bench-first-"));
      const r = spawnSync(node, args, {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...env, LLW_CACHE_DIR: fresh },
      });
      rmSync(fresh, { recursive: true, force: true });
      if (r.status !== 0) throw new Error(`llw lint exited ${r.status}: ${r.stderr}`);
    },
  );
  const cold = await timeCommand(
    "llw lint gitops, every validator compiled (LLW_NO_CACHE=1: no user cache, no shipped validators)",
    REPS,
    node,
    args,
    { ...env, LLW_NO_CACHE: "1" },
  );
  rmSync(cacheDir, { recursive: true, force: true });
  report(
    "lint: llw lint vs bare kustomize builds",
    floor,
    [lint, first, cold],
    "llw lint within 1.3x of the sum of bare builds",
  );
  console.log(
    `\nkustomizations: ${dirs.length}; units incl. components and manifest directories: ${units.length}`,
  );
}
