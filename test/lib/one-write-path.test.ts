import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers/tools.ts";

/** File-system calls that create or replace files or folders; only src/lib/write-file.ts may use them. */
const WRITERS = [
  "writeFile",
  "writeFileSync",
  "appendFile",
  "appendFileSync",
  "rename",
  "renameSync",
  "mkdir",
  "mkdirSync",
  "createWriteStream",
  "copyFile",
  "copyFileSync",
  "cp",
  "cpSync",
  "symlink",
  "symlinkSync",
  "link",
  "linkSync",
  "truncate",
  "truncateSync",
  "chmod",
  "chmodSync",
];
/** Where a direct call is still allowed, and why. */
const ALLOWED: Record<string, string[]> = {
  "src/lib/write-file.ts": WRITERS,
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

describe("every command writes files through the one checked path (src/lib/write-file.ts)", () => {
  it("no other file under src/ imports a writing call from node:fs or node:fs/promises, nor unpacks archives onto disk", () => {
    const offences: string[] = [];
    for (const file of sources(join(ROOT, "src"))) {
      const rel = relative(ROOT, file);
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"node:fs(?:\/promises)?"/g)) {
        const names = m[1]!.split(",").map((n) =>
          n
            .trim()
            .split(/\s+as\s+/)[0]!
            .replace(/^type\s+/, ""),
        );
        for (const n of names.filter((x) => WRITERS.includes(x))) {
          if (!(ALLOWED[rel] ?? []).includes(n)) offences.push(`${rel}: ${n}`);
        }
      }
      if (
        /import\s+(\*\s+as\s+)?\w+\s+from\s*"(node:)?fs(\/promises)?"/.test(text) ||
        /from\s*"fs(\/promises)?"/.test(text)
      )
        offences.push(`${rel}: imports the whole fs module`);
      if (/\btar\.(x|extract)\(/.test(text)) offences.push(`${rel}: unpacks an archive onto disk`);
    }
    assert.deepEqual(offences, []);
  });
});
