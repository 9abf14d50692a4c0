import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { main } from "../../src/cli.ts";
import { makeColors } from "../../src/lib/color.ts";
import { bufferContext, safeStream } from "../../src/lib/context.ts";
import { UserError } from "../../src/lib/errors.ts";
import { sanitize, sanitizeOutput } from "../../src/lib/sanitize.ts";

const ESC = "\x1b";
const HOSTILE = {
  title: `${ESC}]0;pwned${ESC}\\`,
  hyperlink: `${ESC}]8;;https://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\`,
  clear: `${ESC}[2J${ESC}[H`,
  up: `${ESC}[1A${ESC}[2Kall checks passed`,
  cr: "FAIL\rPASS",
  bidi: "exe.\u202etxt",
  c1: "\u009b31m",
  bell: "\x07",
};
/** llw's own sequences, which pass: the progress redraw at the start, its palette's colours. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const OWN = /^\r\x1b\[2K|\x1b\[(?:1|2|22|3[1-6]|39)m/g;
/** Any character a terminal or a reader could be fooled by. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe("terminal output is sanitised: control characters from outside are shown escaped", () => {
  it("titles, hyperlinks, cursor moves, screen clears, carriage returns, C1 and bidi overrides are escaped, visibly", () => {
    for (const [name, s] of Object.entries(HOSTILE)) {
      const out = sanitizeOutput(`name: ${s}\n`);
      assert.doesNotMatch(out.slice(0, -1), UNSAFE, `${name}: ${JSON.stringify(out)}`);
      assert.ok(out.endsWith("\n"));
    }
    assert.equal(sanitizeOutput(HOSTILE.title), "\\u001b]0;pwned\\u001b\\");
    assert.equal(sanitizeOutput(HOSTILE.cr), "FAIL\\u000dPASS");
    assert.equal(sanitizeOutput(HOSTILE.bidi), "exe.\\u202etxt");
  });

  it("llw's own colours, tabs, newlines and a progress redraw at the start of a write pass unchanged", () => {
    const own = `\r${ESC}[2K${ESC}[36m⠋${ESC}[39m install: waiting\t(3s)\n${ESC}[1mbold${ESC}[22m\n`;
    assert.equal(sanitizeOutput(own), own);
    // The redraw in the middle of a write is not llw's: escaped.
    assert.equal(sanitizeOutput(`ok\r${ESC}[2Kfake`), "ok\\u000d\\u001b[2Kfake");
    // sanitize() without options (for text from outside) drops colour sequences too.
    assert.equal(sanitize(`${ESC}[31mred${ESC}[0m`), "\\u001b[31mred\\u001b[0m");
  });

  it("colour sequences llw's palette never writes (conceal, black on black, any from a file) are escaped even with colours on; every colour llw uses passes", () => {
    for (const seq of [
      `${ESC}[8m`,
      `${ESC}[30;40m`,
      `${ESC}[0m`,
      `${ESC}[97m`,
      `${ESC}[38;5;16m`,
      `${ESC}[31;8m`,
    ])
      assert.equal(sanitizeOutput(`a${seq}hidden`), `a\\u001b${seq.slice(1)}hidden`, JSON.stringify(seq));
    const c = makeColors(true);
    const own = [c.bold, c.dim, c.red, c.green, c.yellow, c.cyan].map((f) => f("x")).join(c.bold(c.red("y")));
    assert.equal(sanitizeOutput(own), own);
  });

  it("escaping keeps JSON valid with the same meaning (C1 and bidi characters that JSON.stringify leaves raw)", () => {
    const data = { name: `a${HOSTILE.c1}b${HOSTILE.bidi}` };
    const out = sanitizeOutput(JSON.stringify(data));
    assert.doesNotMatch(out, UNSAFE);
    assert.deepEqual(JSON.parse(out), data);
  });

  it("property: no unsafe character survives, and safe text is unchanged", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        const out = sanitizeOutput(s).replace(OWN, "");
        assert.doesNotMatch(out, UNSAFE);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (s) => {
        const safe = s.replace(new RegExp(UNSAFE.source, "g"), "").replaceAll(ESC, "");
        assert.equal(sanitizeOutput(safe), safe);
      }),
    );
  });

  it("every command's streams sanitise: an error message carrying escapes reaches the terminal escaped", async () => {
    const ctx = bufferContext();
    // A topology file name is the user's, but the same path prints what comes from files and clusters.
    const code = await main(["topology", "show", "--lscpu", `missing${HOSTILE.title}.txt`], ctx);
    assert.equal(code, 2);
    assert.doesNotMatch(ctx.err(), UNSAFE);
    assert.match(ctx.err(), /missing\\u001b\]0;pwned/);
    const raw: string[] = [];
    safeStream({ write: (s: string) => raw.push(s) }).write(new UserError({ what: HOSTILE.up }).message);
    assert.deepEqual(raw, ["\\u001b[1A\\u001b[2Kall checks passed"]);
  });
});
