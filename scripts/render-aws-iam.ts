// Writes the IAM policies of src/aws/iam.ts into infra/aws/iam/ (a test keeps them identical).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DATA_NETWORK_POLICY, LLW_READ_POLICY } from "../src/aws/iam.ts";

const dir = join(import.meta.dirname, "..", "infra", "aws", "iam");
for (const [name, doc] of [
  ["llw-read-policy.json", LLW_READ_POLICY],
  ["data-network-policy.json", DATA_NETWORK_POLICY],
] as const) {
  writeFileSync(join(dir, name), `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`wrote ${join(dir, name)}`);
}
