/**
 * The real headless Chromium the tests drive: Debian's chromium through playwright-core, with
 * the flags it needs in a container (no sandbox, no GPU) and none of its own network traffic.
 */
import type { TestContext } from "node:test";
import type { Browser } from "playwright-core";
import { requireTool } from "./tools.ts";

/** Starts Chromium; undefined when it is not installed (the test is then skipped, or fails under CI). */
export async function launchChromium(t: TestContext): Promise<Browser | undefined> {
  const executablePath = requireTool(t, "chromium", "apt-get install -y chromium");
  if (!executablePath) return undefined;
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}
