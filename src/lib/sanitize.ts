/**
 * Terminal safety for text llw did not write itself: names and messages from a cluster, an AWS
 * account, a file. Control characters in such text can retitle the terminal window, move the
 * cursor to paint fake output, clear the screen or hide a hyperlink (OSC 8); bidirectional
 * overrides can make text read differently from what it is. Everything llw prints goes through
 * `sanitize` (the streams of every Context do it), which shows such characters escaped as
 * `\u001b`, readable and inert. Two of llw's own sequences pass: colours (SGR, `ESC [ ... m`) and,
 * at the start of a write, the "return and clear the line" that redraws a progress line.
 *
 * The escape form is JSON's, so JSON output stays valid JSON with the same meaning; C0 controls
 * never reach here raw in JSON or YAML output (their serialisers escape them already).
 */

// llw's own colours, the progress redraw, or one unsafe character: C0 but tab and newline, DEL,
// C1, and the Unicode bidirectional embeddings, overrides and isolates. Only the SGR codes of
// llw's palette (picocolors' bold, dim, red, green, yellow, cyan and their resets: 1, 2, 22,
// 31-36, 39) count as its colours: any other (conceal 8, black 30, a background) could only come
// from outside, and could hide text, so its ESC is shown escaped like every other.
const PATTERN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /\r\x1b\[2K|\x1b\[(?:1|2|22|3[1-6]|39)m|[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escapeOne = (ch: string) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
/** The control characters of a sequence escaped, its printable characters kept: "\u001b[2K". */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const escapeAll = (seq: string) => seq.replace(/[\x00-\x1f\x7f-\x9f]/g, escapeOne);

export interface SanitizeOptions {
  /** Keep colour sequences (default false: text from outside may carry its own). */
  colors?: boolean;
  /** Keep a leading "\r ESC[2K" (a progress line redrawn by llw itself). */
  redraw?: boolean;
}

/** `text` with every unsafe character shown escaped (see above). */
export function sanitize(text: string, opts: SanitizeOptions = {}): string {
  const colors = opts.colors ?? false;
  return text.replace(PATTERN, (m, offset: number) => {
    if (m.length > 1) {
      if (m.startsWith("\r")) return opts.redraw && offset === 0 ? m : escapeAll(m);
      return colors ? m : escapeAll(m);
    }
    return escapeOne(m);
  });
}

/** What a Context's streams do to every write: llw's colours and progress redraw kept, the rest escaped. */
export function sanitizeOutput(text: string): string {
  return sanitize(text, { colors: true, redraw: true });
}
