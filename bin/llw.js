#!/bin/sh
":" //; f=$0; case $f in */*) ;; *) f=./$f ;; esac; while [ -L "$f" ]; do l=$(readlink "$f"); case $l in /*) f=$l ;; *) f=${f%/*}/$l ;; esac; done
":" //; n=${f%/*}/../node_modules/node/bin/node; [ -x "$n" ] || n=node; exec "$n" "$f" "$@"
// The workshop CLI. Run as a program (./bin/llw.js, `llw` on PATH through a symbolic link to this
// file, `npx llw`), the two lines above are a shell script: they follow the links to this file and
// start the workshop's own Node 24 on it (node_modules/node, from the npm package `node`, which
// `npm ci` installs), whatever Node comes first on PATH; `node` from PATH only if it is missing.
// Run by Node (`node bin/llw.js`), they are two string statements with comments.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import module from "node:module";

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split(".")[0]);
if (!(major >= REQUIRED_MAJOR)) {
  // Started with an older Node (`node bin/llw.js` with Node 20 first on PATH): run again on the
  // workshop's Node 24 when it is installed, before loading anything that needs it.
  const workshopNode = new URL("../node_modules/node/bin/node", import.meta.url);
  if (existsSync(workshopNode)) {
    const r = spawnSync(
      workshopNode.pathname,
      [new URL(import.meta.url).pathname, ...process.argv.slice(2)],
      {
        stdio: "inherit",
      },
    );
    if (r.signal) process.kill(process.pid, r.signal);
    process.exit(r.status ?? 70);
  }
  process.stderr.write(
    `error: llw needs Node.js ${REQUIRED_MAJOR} or newer, but it was started with Node.js ${process.version}\n` +
      `  where: ${process.execPath}\n` +
      `  next:  run \`npm ci\` in the workshop checkout (it installs Node.js ${REQUIRED_MAJOR} for llw), ` +
      `or install Node.js ${REQUIRED_MAJOR} LTS and put it first on PATH\n`,
  );
  process.exit(3);
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  // The version alone needs none of the CLI: answer before loading it.
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}

// `llw ... | head` closes the pipe before llw is done writing: stop quietly, as other tools do.
// Any other failure to write the output (`> /dev/full`: ENOSPC, EIO) is the environment's: exit 3.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  process.stderr.write(
    `error: cannot write the output (${e.code ?? e.message})\n  where: standard output\n  next:  write to a file system with free space, or to the terminal\n`,
  );
  process.exit(3);
});

// V8 keeps the compiled code of llw's modules between runs (in the user's temp folder): start-up
// does not parse them again.
module.enableCompileCache?.();
const { main } = await import("../dist/cli.js");
process.exitCode = await main(args);
