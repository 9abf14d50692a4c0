import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { utimesSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers/tools.ts";

describe("npm run docs:serve", () => {
  // A hang guard only (the build is slow on a loaded machine), not a speed assertion.
  it("serves the built site on localhost and rebuilds when a page or an included manifest changes", {
    timeout: 300_000,
  }, async () => {
    const child = spawn(
      process.execPath,
      [join(ROOT, "scripts", "docs", "main.ts"), "serve", "--port", "0"],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    const waitFor = (re: RegExp) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m) {
            child.stdout.off("data", onData);
            resolve(m);
          }
        };
        const onData = (d: Buffer) => {
          out += d;
          check();
        };
        child.stdout.on("data", onData);
        child.once("exit", (code) => reject(new Error(`docs:serve exited ${code}:\n${out}`)));
        check();
      });
    child.stderr.on("data", (d) => {
      out += d;
    });
    try {
      const [, url] = await waitFor(/serving .* at (http:\/\/127\.0\.0\.1:\d+)\//);
      const page = await fetch(`${url}/modules/00-welcome.html`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Welcome to the/);
      const missing = await fetch(`${url}/modules/no-such-page.html`);
      assert.equal(missing.status, 404);
      await missing.arrayBuffer();

      const now = new Date();
      utimesSync(join(ROOT, "content", "antora.yml"), now, now); // a change without changing anything
      await waitFor(/change detected, rebuilding/);
      await waitFor(/rebuilt; reload the page/);
      assert.equal((await fetch(`${url}/modules/00-welcome.html`)).status, 200);

      // A manifest the guides include from the GitOps tree (through content/'s links) counts too.
      out = "";
      const later = new Date(Date.now() + 1000);
      utimesSync(join(ROOT, "gitops", "base", "test-pods", "tuned-pod.yaml"), later, later);
      await waitFor(/change detected, rebuilding/);
      await waitFor(/rebuilt; reload the page/);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
