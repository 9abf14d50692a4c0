// Part of `npm run build`: compiles the validators of the workshop's GitOps tree into
// dist/validators, so the first `llw lint` after an install does not compile them.
// Against the schemas lint uses by default (LLW_CRDS_DIR, else the workshop's schemas/); without
// them there is nothing to compile against: lint then compiles on first use, and this says so.
import { join } from "node:path";
import { precompileValidators } from "../src/gitops/precompile.ts";
import { SHIPPED_VALIDATORS } from "../src/gitops/validator-cache.ts";
import { findSchemaDir } from "../src/lib/schema-dir.ts";

const root = join(import.meta.dirname, "..");
const schemas = findSchemaDir(process.cwd(), process.env);
if (!schemas) {
  console.log("precompile-validators: no schema directory (LLW_CRDS_DIR or schemas/); skipped");
} else {
  const t0 = performance.now();
  const r = await precompileValidators({ tree: join(root, "gitops"), schemas, out: SHIPPED_VALIDATORS });
  const ms = Math.round(performance.now() - t0);
  console.log(
    `precompile-validators: ${r.written.length} validators for the gitops tree in ${ms} ms -> dist/validators` +
      (r.unknown.length ? ` (no schema: ${r.unknown.join(", ")})` : ""),
  );
}
