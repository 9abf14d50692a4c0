#!/usr/bin/env node
// The workshop CLI. Runs the compiled entry point; `npm ci` builds it (prepare script).

// Checked before anything else is loaded: the compiled code uses Node 24 APIs and would fail
// with an obscure internal error on an older Node (for example the system's Node 20).
const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split(".")[0]);
if (!(major >= REQUIRED_MAJOR)) {
  process.stderr.write(
    `error: llw needs Node.js ${REQUIRED_MAJOR} or newer, but it was started with Node.js ${process.version}\n` +
      `  where: ${process.execPath}\n` +
      `  next:  run it as \`npx llw ...\` in the workshop checkout (npm ci installs Node.js ${REQUIRED_MAJOR} there), ` +
      `or install Node.js ${REQUIRED_MAJOR} LTS and put it first on PATH\n`,
  );
  process.exit(3);
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

const { main } = await import("../dist/cli.js");
process.exitCode = await main(process.argv.slice(2));
