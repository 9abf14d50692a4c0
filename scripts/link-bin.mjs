// npm links the programs of a project's dependencies into node_modules/.bin, never the project's
// own (npm/cli: bin links are made for installed packages only). Link llw there too, so that
// `export PATH="$PWD/node_modules/.bin:$PATH"` after `npm ci` gives the workshop's CLI, as the
// README's quick start and the welcome page say. Runs from `prepare`; idempotent.
import { lstatSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const binDir = join(root, "node_modules", ".bin");
const link = join(binDir, "llw");
mkdirSync(binDir, { recursive: true });
try {
  lstatSync(link);
  rmSync(link);
} catch {
  // no link yet
}
symlinkSync(relative(binDir, join(root, "bin", "llw.js")), link);
