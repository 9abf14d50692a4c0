import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../helpers/browser.ts";
import { ROOT } from "../helpers/tools.ts";
import { htmlFiles, isRedirect, modulePages, servedSite } from "./site.ts";

const ARTIFACTS = join(ROOT, "test-artifacts", "docs");

describe("lab guides in a real headless Chromium", () => {
  let browser: Browser | undefined;
  const site = servedSite(() => browser?.close());
  let context: BrowserContext;
  /** Requests that left the local server: the site must work offline. */
  const external: string[] = [];
  /** Failed requests and HTTP errors seen while browsing. */
  const failures: string[] = [];
  const pageErrors: string[] = [];

  async function launch(t: TestContext): Promise<boolean> {
    if (browser) return true;
    browser = await launchChromium(t);
    if (!browser) return false;
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: site.url });
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(site.url)) return route.continue();
      external.push(url);
      return route.abort();
    });
    return true;
  }

  async function open(path: string): Promise<Page> {
    const page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(`${path}: ${e.message}`));
    page.on("requestfailed", (r) => {
      if (r.url().startsWith(site.url)) failures.push(`${path}: ${r.url()} (${r.failure()?.errorText})`);
    });
    page.on("response", (r) => {
      if (r.status() >= 400) failures.push(`${path}: ${r.url()} -> HTTP ${r.status()}`);
    });
    const response = await page.goto(`${site.url}/${path}`, { waitUntil: "load" });
    assert.equal(response?.status(), 200, `${path} did not load`);
    return page;
  }

  it("navigation reaches every page of the site from the start page", async (t) => {
    if (!(await launch(t))) return;
    const all = htmlFiles(site.dir).filter((f) => !isRedirect(site.dir, f));
    const start = await open("index.html"); // Antora's start page redirects to the welcome page
    await start.waitForURL(/00-welcome\.html$/);
    const first = new URL(start.url()).pathname.slice(1);
    await start.close();
    const seen = new Set<string>([first]);
    const queue = [first];
    while (queue.length) {
      const path = queue.shift()!;
      const page = await open(path);
      const hrefs = await page.$$eval(".nav a.nav-link", (as) =>
        as.map((a) => (a as unknown as { href: string }).href),
      );
      await page.close();
      for (const href of hrefs) {
        const target = new URL(href).pathname.slice(1);
        if (!seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      }
    }
    assert.deepEqual([...seen].sort(), all);
  });

  it("no page has a broken link, a broken anchor, a missing image, a script error or a network request", async (t) => {
    if (!(await launch(t))) return;
    const problems: string[] = [];
    const ids = new Map<string, Set<string>>();
    const idsOf = (path: string): Set<string> => {
      let set = ids.get(path);
      if (!set) {
        const html = readFileSync(join(site.dir, path), "utf8");
        set = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
        ids.set(path, set);
      }
      return set;
    };
    let links = 0;
    for (const path of htmlFiles(site.dir).filter((f) => !isRedirect(site.dir, f))) {
      const page = await open(path);
      const images = await page.$$eval("img", (imgs) =>
        imgs.map((i) => {
          const img = i as unknown as { src: string; naturalWidth: number };
          return { src: img.src, ok: img.naturalWidth > 0 };
        }),
      );
      for (const img of images) if (!img.ok) problems.push(`${path}: image ${img.src} did not load`);
      const hrefs = await page.$$eval("a[href]", (as) =>
        as.map((a) => (a as unknown as { href: string }).href),
      );
      await page.close();
      for (const href of hrefs) {
        const url = new URL(href);
        if (!href.startsWith(site.url)) {
          if (!/^(https?|mailto):$/.test(url.protocol)) problems.push(`${path}: odd link ${href}`);
          continue;
        }
        links++;
        const target = url.pathname.slice(1) || "index.html";
        let exists = false;
        try {
          exists = statSync(join(site.dir, target)).isFile();
        } catch {}
        if (!exists) {
          problems.push(`${path}: broken link ${href}`);
          continue;
        }
        const hash = decodeURIComponent(url.hash.slice(1));
        if (hash && target.endsWith(".html") && !idsOf(target).has(hash)) {
          problems.push(`${path}: link ${href} points at a missing anchor`);
        }
      }
    }
    assert.ok(links > 50, `only ${links} internal links checked`);
    assert.deepEqual(problems, []);
    assert.deepEqual(failures, []);
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(external, [], "the site fetched something from the network");
  });

  it("on every page, every code block has a copy button, and each command block's button copies exactly its text", async (t) => {
    if (!(await launch(t))) return;
    let commands = 0;
    const problems: string[] = [];
    for (const path of modulePages(site.dir)) {
      const page = await open(path);
      const blocks = await page.locator(".doc .listingblock").count();
      const buttons = await page.locator(".doc .listingblock .copy-button").count();
      if (buttons !== blocks) problems.push(`${path}: ${blocks} code blocks, ${buttons} copy buttons`);
      const runnable = page.locator(".doc .listingblock.execute, .doc .listingblock.guest");
      for (let i = 0; i < (await runnable.count()); i++) {
        const block = runnable.nth(i);
        const expected = ((await block.locator("pre").textContent()) ?? "").replace(/\n+$/, "");
        await block.locator(".copy-button").click();
        await block.locator(".copy-button.is-copied").waitFor();
        const clipboard = await page.evaluate("navigator.clipboard.readText()");
        if (clipboard !== expected)
          problems.push(`${path}: block ${i + 1} copied ${JSON.stringify(clipboard)}`);
        if ((await block.locator(".content").getAttribute("data-copied")) !== expected)
          problems.push(`${path}: block ${i + 1} has no data-copied marker`);
        commands++;
      }
      await page.close();
    }
    assert.ok(commands >= 40, `only ${commands} command blocks clicked`);
    assert.deepEqual(problems, []);
  });

  it("a copied command is the command as the attendee runs it (attributes filled in)", async (t) => {
    if (!(await launch(t))) return;
    const page = await open("modules/02-core-tuning.html");
    const block = page.locator(".doc .listingblock.execute", { hasText: "llw profile validate" }).first();
    const button = block.locator(".copy-button");
    await button.click();
    await block.locator(".copy-button.is-copied").waitFor();
    assert.equal(await button.textContent(), "Copied!");
    const clipboard = String(await page.evaluate("navigator.clipboard.readText()"));
    assert.match(
      clipboard,
      /^llw profile validate gitops\/overlays\/aws\/performance-profiles\/c5\.metal\.yaml /,
    );
    assert.doesNotMatch(clipboard, /\{instance-type\}/);
    await page.close();
  });

  it("admonitions are styled and the layout works on a phone (navigation behind a toggle)", async (t) => {
    if (!(await launch(t))) return;
    const page = await open("modules/01-low-latency-intro.html");
    const border = await page
      .locator(".admonitionblock.note > table")
      .first()
      .evaluate(
        (el) =>
          (
            globalThis as unknown as { getComputedStyle(e: unknown): { borderLeftWidth: string } }
          ).getComputedStyle(el).borderLeftWidth,
      );
    assert.equal(border, "4px");
    await page.setViewportSize({ width: 390, height: 844 });
    // Hidden off-screen to the left (after the slide-out transition), behind the toggle button.
    await page.waitForFunction(
      "(() => { const r = document.querySelector('#nav').getBoundingClientRect(); return r.x + r.width <= 0 })()",
      undefined,
      { timeout: 5000 },
    );
    assert.equal(await page.isVisible(".nav-toggle"), true);
    await page.click(".nav-toggle");
    await page.waitForFunction(
      "(() => { const r = document.querySelector('#nav').getBoundingClientRect(); return r.x >= 0 && r.width > 0 })()",
    );
    assert.equal(await page.getAttribute(".nav-toggle", "aria-expanded"), "true");
    await page.close();
  });

  it("keeps screenshots of the welcome page and a module page as test artefacts", async (t) => {
    if (!(await launch(t))) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const [path, file] of [
      ["modules/00-welcome.html", "welcome.png"],
      ["modules/02-core-tuning.html", "module-2-core-tuning.png"],
    ] as const) {
      const page = await open(path);
      const out = join(ARTIFACTS, file);
      await page.screenshot({ path: out, fullPage: false });
      await page.close();
      assert.ok(statSync(out).size > 10_000, `${file} looks empty`);
    }
  });
});
