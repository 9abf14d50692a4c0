/**
 * The lab guides' layout in a real headless Chromium, on a laptop (1366 px) and a phone (400 px):
 * measured element boxes, overflow and visibility on every module page, with a screenshot of each
 * page at each width kept in test-artifacts/docs/ for a human to look at.
 */
import assert from "node:assert/strict";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../helpers/browser.ts";
import { ROOT } from "../helpers/tools.ts";
import { modulePages, servedSite } from "./site.ts";

const ARTIFACTS = join(ROOT, "test-artifacts", "docs");
const WIDTHS = [1366, 400] as const;

/** What one page measures in the browser (computed in the page, see measure()). */
interface Measured {
  pageOverflow: number;
  admonitions: { label: string; width: number; height: number; right: number }[];
  blocks: { text: string; hidden: number; toolsOverFirstLine: boolean; wrapButton: boolean }[];
  nestedSteps: string[];
}

// Runs in the page: kept as a string so the test's TypeScript needs no DOM types.
const MEASURE = `(() => {
  const vw = document.documentElement.clientWidth;
  const overlap = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const admonitions = [...document.querySelectorAll('.doc .admonitionblock')].map((adm) => {
    const cell = adm.querySelector('td.icon');
    const icon = cell.querySelector('i[title]');
    const label = icon ? getComputedStyle(icon, '::before').content.replace(/^"|"$/g, '') : (cell.textContent || '').trim();
    const r = (icon || cell).getBoundingClientRect();
    return { label, width: r.width, height: r.height, right: r.right };
  });
  const blocks = [...document.querySelectorAll('.doc .listingblock > .content, .doc .literalblock > .content')].map((box) => {
    const pre = box.querySelector('pre');
    const tools = box.querySelector('.code-tools').getBoundingClientRect();
    const first = pre.querySelector('.line');
    const rects = first ? [...first.getClientRects()] : [];
    return {
      text: (pre.textContent || '').slice(0, 60),
      hidden: pre.scrollWidth - pre.clientWidth,
      toolsOverFirstLine: rects.length > 0 && overlap(tools, rects[0]),
      wrapButton: !!box.querySelector('.wrap-button'),
    };
  });
  const nestedSteps = [...document.querySelectorAll('.doc .ulist li .olist > ol > li')].map((li) => (li.textContent || '').trim().slice(0, 60));
  return { pageOverflow: document.documentElement.scrollWidth - vw, admonitions, blocks, nestedSteps };
})()`;

describe("lab guides' layout in a real headless Chromium at 1366 px and 400 px", () => {
  let browser: Browser | undefined;
  const site = servedSite(() => browser?.close());
  const measured = new Map<string, Measured>();

  async function launch(t: TestContext): Promise<boolean> {
    browser ??= await launchChromium(t);
    return browser !== undefined;
  }

  const contexts = new Map<number, BrowserContext>();
  async function open(path: string, width: number): Promise<Page> {
    let context = contexts.get(width);
    if (!context) {
      context = await browser!.newContext({ viewport: { width, height: 900 } });
      contexts.set(width, context);
    }
    const page = await context.newPage();
    const response = await page.goto(`${site.url}/${path}`, { waitUntil: "load" });
    assert.equal(response?.status(), 200, `${path} did not load`);
    return page;
  }

  /** Measures every module page at both widths once, keeping a screenshot of its first screen. */
  async function measureAll(): Promise<Map<string, Measured>> {
    if (measured.size) return measured;
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const width of WIDTHS) {
      for (const path of modulePages(site.dir)) {
        const page = await open(path, width);
        measured.set(`${path}@${width}`, (await page.evaluate(MEASURE)) as Measured);
        const shot = join(ARTIFACTS, `${path.replace(/^modules\/|\.html$/g, "")}-${width}.png`);
        await page.screenshot({ path: shot });
        assert.ok(statSync(shot).size > 10_000, `${shot} looks empty`);
        await page.close();
      }
    }
    return measured;
  }

  it("no page is wider than the window (inline code wraps instead of widening a phone's page)", async (t) => {
    if (!(await launch(t))) return;
    const problems = [...(await measureAll())]
      .filter(([, m]) => m.pageOverflow > 0)
      .map(([k, m]) => `${k}: ${m.pageOverflow} px wider than the window`);
    assert.deepEqual(problems, []);
  });

  it("every NOTE, TIP, IMPORTANT and WARNING shows its label, inside the window", async (t) => {
    if (!(await launch(t))) return;
    let seen = 0;
    const problems: string[] = [];
    for (const [k, m] of await measureAll()) {
      const vw = Number(k.split("@")[1]);
      for (const a of m.admonitions) {
        seen++;
        if (!/^(Note|Tip|Important|Warning|Caution)$/i.test(a.label))
          problems.push(`${k}: admonition label ${JSON.stringify(a.label)}`);
        if (a.width < 20 || a.height < 8 || a.right > vw)
          problems.push(`${k}: admonition label ${a.label} box ${a.width}x${a.height}, right ${a.right}`);
      }
    }
    assert.ok(seen >= 10, `only ${seen} admonitions measured`);
    assert.deepEqual(problems, []);
  });

  it("no code or output block hides text sideways, and no Copy button covers a first line", async (t) => {
    if (!(await launch(t))) return;
    let blocks = 0;
    let wide = 0;
    const problems: string[] = [];
    for (const [k, m] of await measureAll()) {
      for (const b of m.blocks) {
        blocks++;
        if (b.wrapButton) wide++;
        if (b.hidden > 1) problems.push(`${k}: ${b.hidden} px hidden in ${JSON.stringify(b.text)}`);
        if (b.toolsOverFirstLine) problems.push(`${k}: the Copy button covers ${JSON.stringify(b.text)}`);
      }
    }
    assert.ok(blocks > 150, `only ${blocks} blocks measured`);
    assert.ok(wide > 10, `only ${wide} blocks are wider than their column: the check saw no wide output`);
    assert.deepEqual(problems, []);
  });

  it("the columns the text points at are inside the visible block: bench compare's verdict, sriov detect's role and reason", async (t) => {
    if (!(await launch(t))) return;
    for (const width of WIDTHS) {
      for (const [path, words] of [
        ["modules/05-validation.html", ["verdict", "no significant change", "p (Holm)"]],
        ["modules/03-virtualization.html", ["role", "usable", "primary interface (device index 0)"]],
      ] as const) {
        const page = await open(path, width);
        for (const word of words) {
          const inside = await page.evaluate(`(() => {
            const word = ${JSON.stringify(word)};
            for (const pre of document.querySelectorAll('.doc .listingblock.output pre')) {
              const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
              for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const at = n.textContent.indexOf(word);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(n, at);
                range.setEnd(n, at + word.length);
                const box = pre.getBoundingClientRect();
                return [...range.getClientRects()].every((r) => r.left >= box.left && r.right <= box.right + 0.5 && r.width > 0);
              }
            }
            return null;
          })()`);
          assert.equal(
            inside,
            true,
            `${path} at ${width} px: "${word}" is not fully visible in its output block`,
          );
        }
        await page.close();
      }
    }
  });

  it("'No wrap' turns a wide output block into aligned columns that scroll, and back; copying is unchanged", async (t) => {
    if (!(await launch(t))) return;
    const page = await open("modules/05-validation.html", 1366);
    const block = page.locator(".doc .listingblock.output", { hasText: "95% CI baseline" }).first();
    const pre = block.locator("pre");
    const text = await pre.textContent();
    const lines = async () =>
      pre.evaluate((el) => {
        const e = el as unknown as { scrollWidth: number; clientWidth: number; getClientRects(): unknown[] };
        return { hidden: e.scrollWidth - e.clientWidth };
      });
    assert.ok((await lines()).hidden <= 1, "wrapped by default");
    await block.locator(".wrap-button").click();
    assert.equal(await block.locator(".wrap-button").getAttribute("aria-pressed"), "true");
    assert.ok((await lines()).hidden > 50, "unwrapped, the columns scroll sideways");
    assert.equal(await pre.textContent(), text);
    await block.locator(".wrap-button").click();
    assert.ok((await lines()).hidden <= 1, "wrapped again");
    await page.close();
  });

  it("numbered steps after a bulleted list are steps of the page, not nested in the last bullet", async (t) => {
    if (!(await launch(t))) return;
    const problems = [...(await measureAll())].flatMap(([k, m]) =>
      m.nestedSteps.map((s) => `${k}: step nested in a bullet: ${JSON.stringify(s)}`),
    );
    assert.deepEqual(problems, []);
  });
});
