/** The readers run on hostile input inside a hang-guarded worker (test/helpers/hang-guard.ts). */
import { UserError } from "../../src/lib/errors.ts";
import { scanLatencyDocuments } from "../../src/results/json-scan.ts";
import { parseJitterOutput } from "../../src/results/rt-tests.ts";

/** "read" or "refused" (bad input); anything else thrown is a bug and fails the test. */
export function readJitter(text: string): "read" | "refused" {
  try {
    parseJitterOutput(text, "hostile.log");
    return "read";
  } catch (e) {
    if (e instanceof UserError) return "refused";
    throw e;
  }
}

/** How many distinct keys, other than latencies, the JSON scanner counted. */
export function scanOtherKeys(text: string): number {
  return scanLatencyDocuments(Buffer.from(text)).otherKeys.size;
}
