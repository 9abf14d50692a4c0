/**
 * What a report may show of where things are and what they hold: a report is shared, and its
 * runs' metadata came from files, possibly from another machine. Paths under the working
 * directory become relative, any user's home folder becomes `~`, and credentials (by their shape,
 * whatever their value) are replaced by what they are.
 */
/** Where a report may say where things are without naming the machine's folders. */
export interface PathContext {
  cwd: string;
  home?: string;
}

/**
 * Any user's home folder, as a run made on another machine (a bastion host) records it:
 * /home/<user>, /Users/<user> (macOS), /var/home/<user> (Fedora CoreOS, Silverblue), /root.
 */
const BEFORE = String.raw`(?<![\w.~/-])`;
const AFTER = String.raw`(?=/|$|[\s"'<>:;,)])`;
const ANY_HOME = new RegExp(
  String.raw`${BEFORE}(?:/(?:var/)?home/|/Users/)[^/\s"'<>]+|${BEFORE}/root${AFTER}`,
  "g",
);

/** `path` as a whole path in text (not /srv/root for /root), and anything under it. */
function wholePath(path: string): RegExp {
  const escaped = path.replace(/\/+$/, "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`${BEFORE}${escaped}${AFTER}`, "g");
}

/** Credentials by their shape, whatever their value (a report is shared; its metadata came from files). */
const CREDENTIALS: [RegExp, string][] = [
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, "an AWS access key id"],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g, "a GitHub token"],
  [/\bglpat-[A-Za-z0-9_-]{20,}/g, "a GitLab token"],
  [/sha256~[A-Za-z0-9_-]{20,}/g, "an OpenShift token"],
  [/\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/g, "a bearer token"],
];
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/:@"'<>]+(?::[^\s/@"'<>]*)?@/gi;

/**
 * Strings with the working directory or a home folder in them made relative, and credentials
 * replaced by what they are (deeply): the report names no folder of any machine and carries no
 * secret, whatever the runs' metadata holds.
 */
export function redactPaths(value: unknown, paths: PathContext): unknown {
  if (typeof value === "string") {
    let v = value;
    for (const [from, to] of [
      [paths.cwd, "."],
      [paths.home, "~"],
    ] as const) {
      if (from && from !== "/") v = v.replace(wholePath(from), to);
    }
    v = v.replace(ANY_HOME, "~").replace(URL_CREDENTIALS, "$1<credentials removed>@");
    for (const [re, what] of CREDENTIALS) v = v.replace(re, `<${what}, removed>`);
    return v;
  }
  if (Array.isArray(value)) return value.map((v) => redactPaths(v, paths));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactPaths(v, paths)]));
  return value;
}
