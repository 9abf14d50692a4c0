import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { TestContext } from "node:test";

export const ROOT = join(import.meta.dirname, "..", "..");
/** The upstream CRDs and OpenAPI documents the repository ships (provenance in schemas/MANIFEST.md). */
export const SCHEMAS_DIR = join(ROOT, "schemas");

/** PATH with the repository's .tools/bin first (where scripts/install-tools.sh puts kubectl). */
export function toolPath(env: NodeJS.ProcessEnv = process.env): string {
  return `${join(ROOT, ".tools", "bin")}:${env.PATH ?? ""}`;
}

export function which(tool: string): string | undefined {
  try {
    return (
      execFileSync("sh", ["-c", `command -v ${tool}`], {
        encoding: "utf8",
        env: { ...process.env, PATH: toolPath() },
      }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/**
 * Real tools are used where they exist. Under CI (CI=true) a missing tool fails the test,
 * because .ci/run installs it; elsewhere the test is skipped with a message saying what to install.
 * Returns the tool's path, or undefined after marking the test skipped.
 */
export function requireTool(t: TestContext, tool: string, install: string): string | undefined {
  const path = which(tool);
  if (path) return path;
  if (process.env.CI) throw new Error(`${tool} is required in CI but not installed (${install})`);
  t.skip(`${tool} is not installed: ${install}`);
  return undefined;
}
