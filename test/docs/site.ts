/** Builds the lab guides with the real Antora and the real playbook, into a directory of the test's own. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before } from "node:test";
import { type StaticServer, serveStatic } from "../../scripts/docs/static-server.ts";
import { ROOT } from "../helpers/tools.ts";

export interface Build {
  dir: string;
  status: number | null;
  output: string;
}

/** `npm run docs` with the output redirected to a fresh temp directory (so test files can run in parallel). */
export function buildSite(dir = mkdtempSync(join(tmpdir(), "llw-docs-site-"))): Build {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, "scripts", "docs", "main.ts"), "build", "--to-dir", dir],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    },
  );
  return { dir, status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Antora's redirect pages (the site and component start pages) hold only a meta refresh. */
export function isRedirect(dir: string, file: string): boolean {
  return /<meta http-equiv="refresh"/i.test(readFileSync(join(dir, file), "utf8"));
}

/** Every HTML page of a built site, as site-relative paths ("modules/00-welcome.html"). */
export function htmlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".html")) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * The site, built and served on a local port, for the tests of the describe block this is called
 * in (`dir` and `url` are set once its tests start). After them `closeFirst` runs (the browser that
 * reads the site), then the server stops and the build is removed.
 */
export function servedSite(closeFirst: () => Promise<unknown> | undefined = () => undefined): {
  dir: string;
  url: string;
} {
  const site = { dir: "", url: "" };
  let server: StaticServer | undefined;
  before(async () => {
    const build = buildSite();
    site.dir = build.dir;
    assert.equal(build.status, 0, build.output);
    server = await serveStatic(build.dir);
    site.url = server.url;
  });
  after(async () => {
    await closeFirst();
    await server?.close();
    rmSync(site.dir, { recursive: true, force: true });
  });
  return site;
}

/** The module pages of a built site (not Antora's redirects). */
export const modulePages = (dir: string): string[] =>
  htmlFiles(dir).filter((f) => f.startsWith("modules/") && !isRedirect(dir, f));
