/**
 * `npm run docs`: builds the lab guides offline into build/site with the UI in docs-ui/, and fails
 * on any warning (the playbook sets the log failure level to warn).
 * `npm run docs:serve`: builds, serves build/site on localhost, and rebuilds on every change under
 * content/, docs-ui/, the included gitops/, benchmarks/ and infra/ trees, or the playbook.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { detectGitLayout, localPlaybook } from "./playbook.ts";
import { serveStatic } from "./static-server.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const PLAYBOOK = join(ROOT, "antora-playbook.yml");
const SITE = join(ROOT, "build", "site");

function playbookPath(): string {
  const layout = detectGitLayout(ROOT);
  if (!layout.linkedWorktree) return PLAYBOOK;
  const dir = join(ROOT, ".cache", "antora");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `antora-playbook.local.${process.pid}.yml`);
  writeFileSync(file, localPlaybook(ROOT, readFileSync(PLAYBOOK, "utf8"), layout));
  return file;
}

/** Runs the Antora CLI; resolves to its exit code. */
export function build(extraArgs: string[] = []): Promise<number> {
  let playbook: string;
  try {
    playbook = playbookPath();
  } catch (e) {
    process.stderr.write(`docs: ${(e as Error).message}\n`);
    return Promise.resolve(2);
  }
  const antora = join(ROOT, "node_modules", "@antora", "cli", "bin", "antora");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [antora, "--stacktrace", ...extraArgs, playbook], {
      cwd: ROOT,
      stdio: "inherit",
    });
    child.on("close", (code) => {
      if (playbook !== PLAYBOOK) rmSync(playbook, { force: true });
      resolve(code ?? 1);
    });
  });
}

async function serve(port: number): Promise<void> {
  let code = await build();
  if (code !== 0)
    process.stderr.write("docs: the first build failed; fix the warnings above (serving anyway)\n");
  const server = await serveStatic(SITE, port);
  process.stdout.write(`docs: serving ${SITE} at ${server.url}/ (rebuilds on change; Ctrl+C stops)\n`);
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  const rebuild = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    do {
      again = false;
      process.stdout.write("docs: change detected, rebuilding...\n");
      code = await build();
      process.stdout.write(code === 0 ? "docs: rebuilt; reload the page\n" : "docs: rebuild failed\n");
    } while (again);
    running = false;
  };
  // The guides include files from gitops/, benchmarks/ and infra/ through links, which a recursive
  // watch of content/ does not follow: watch those trees too.
  for (const dir of ["content", "docs-ui", "gitops", "benchmarks", "infra"]) {
    watch(join(ROOT, dir), { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(rebuild, 300);
    });
  }
  watch(PLAYBOOK, () => {
    clearTimeout(timer);
    timer = setTimeout(rebuild, 300);
  });
}

const [command = "build", ...rest] = process.argv.slice(2);
if (command === "build") {
  process.exitCode = await build(rest);
} else if (command === "serve") {
  const i = rest.indexOf("--port");
  const port = i >= 0 ? Number(rest[i + 1]) : Number(process.env.PORT ?? 8080);
  await serve(port);
} else {
  process.stderr.write(`docs: unknown command "${command}" (use build or serve)\n`);
  process.exitCode = 2;
}
