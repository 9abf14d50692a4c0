/**
 * Runs every benchmark in bench/ (files named *.bench.ts), or those whose name contains one of
 * the arguments: `npm run bench`, `npm run bench -- profile lint`.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = import.meta.dirname;
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(" ")}`);
  process.exit(2);
}
console.log(`# Benchmarks, ${new Date().toISOString()}, node ${process.version}`);
for (const f of files) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default: () => Promise<void> };
  await mod.default();
}
