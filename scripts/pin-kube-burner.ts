/**
 * Pins a kube-burner release for `llw bench install`: reads the release's own
 * kube-burner-checksums.txt (goreleaser's `checksum` file, `<sha256>  <file>` per archive) and
 * writes the SHA-256 of every archive llw can install (src/bench/install.ts, SUPPORTED_BUILDS)
 * into src/bench/kube-burner-digests.json, with where and when it read them.
 *
 *   npm run pin:kube-burner -- [--release 2.7.3]
 *       downloads https://github.com/kube-burner/kube-burner/releases/download/v2.7.3/kube-burner-checksums.txt
 *   npm run pin:kube-burner -- --release 2.7.3 --from kube-burner-checksums.txt
 *       reads a copy downloaded and checked by hand (e.g. against the release page)
 *
 * Options for other sources and for tests: --url URL (https only), --table FILE. Nothing is
 * written unless the file is well formed and lists every supported archive; a release already
 * pinned with other digests is refused unless --force (a published release's digests do not change).
 * Exit 0 pinned, 2 bad input, 3 the download failed.
 */
import { readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  CHECKSUMS_FILE,
  type DigestTable,
  KUBE_BURNER_RELEASES,
  KUBE_BURNER_VERSION,
  supportedArchives,
} from "../src/bench/install.ts";
import { download } from "../src/commands/bench-install.ts";
import { LlwError, UserError } from "../src/lib/errors.ts";
import { writeFileAtomicSync } from "../src/lib/write-file.ts";

const TABLE = join(import.meta.dirname, "..", "src", "bench", "kube-burner-digests.json");

/** Archive name -> digest, from a checksums file; every non-empty line must be `<sha256>  <file>`. */
export function parseChecksums(text: string, where: string): Map<string, string> {
  const digests = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const m = /^([0-9a-fA-F]{64}) [ *]?(\S+)$/.exec(line);
    if (!m) {
      throw new UserError({
        what: `line ${i + 1} is not "<sha256>  <file name>": ${JSON.stringify(line.slice(0, 120))}`,
        where,
        next: "use the release's kube-burner-checksums.txt exactly as published",
      });
    }
    const [, digest, file] = m as unknown as [string, string, string];
    const earlier = digests.get(file);
    if (earlier !== undefined && earlier !== digest.toLowerCase()) {
      throw new UserError({ what: `${file} is listed twice with different digests`, where });
    }
    digests.set(file, digest.toLowerCase());
  }
  return digests;
}

function usage(message: string): UserError {
  return new UserError({
    what: message,
    where: "pin-kube-burner",
    next: "npm run pin:kube-burner -- [--release X.Y.Z] [--from FILE | --url https://...] [--force]",
  });
}

export async function pin(argv: string[], now = new Date()): Promise<string> {
  const { values } = parseArgs({
    args: argv,
    options: {
      release: { type: "string", default: KUBE_BURNER_VERSION },
      from: { type: "string" },
      url: { type: "string" },
      table: { type: "string", default: TABLE },
      force: { type: "boolean", default: false },
    },
    strict: true,
  });
  const version = values.release.replace(/^v/i, "");
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw usage(`"${values.release}" is not a release like 2.7.3`);
  if (values.from && values.url) throw usage("--from and --url name two sources: give one");
  const official = `${KUBE_BURNER_RELEASES}/v${version}/${CHECKSUMS_FILE}`;
  const url = values.url ?? official;
  let text: string;
  let how: string;
  let where: string;
  if (values.from) {
    where = values.from;
    try {
      text = readFileSync(values.from, "utf8");
    } catch (e) {
      throw new UserError({
        what: `cannot read ${values.from}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        where: "--from",
      });
    }
    how = `a copy checked by hand (${basename(values.from)})`;
  } else {
    where = url;
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw usage(`"${url}" is not a URL`);
    }
    if (protocol !== "https:")
      throw new UserError({
        what: `refusing to read digests over ${protocol.replace(/:$/, "")}: only https is accepted`,
        where: "--url",
        next: "give the https:// URL of the release's kube-burner-checksums.txt",
      });
    text = (
      await download(
        url,
        "the release checksums",
        undefined,
        1 << 20,
        "check the network or proxy (HTTPS_PROXY with NODE_USE_ENV_PROXY=1), or download the file where you can, check it by hand and pass --from FILE",
      )
    ).toString("utf8");
    how = "downloaded over https";
  }
  const digests = parseChecksums(text, where);
  const wanted = supportedArchives(version);
  const missing = wanted.filter((a) => !digests.has(a));
  if (missing.length > 0) {
    throw new UserError({
      what: `the checksums list no ${missing.join(", ")}${missing.length === wanted.length ? ` (is this the checksums file of release ${version}?)` : ""}`,
      where,
      next: "pin from the release's own kube-burner-checksums.txt, which lists every archive llw installs",
    });
  }
  const tablePath = resolve(values.table);
  const current = JSON.parse(readFileSync(tablePath, "utf8")) as DigestTable;
  const sha256 = Object.fromEntries(wanted.map((a) => [a, digests.get(a)!]));
  const before = current.releases[version]?.sha256;
  if (before && !values.force) {
    const changed = wanted.filter((a) => before[a] !== undefined && before[a] !== sha256[a]);
    if (changed.length > 0)
      throw new UserError({
        what: `release ${version} is pinned already with other digests for ${changed.join(", ")}`,
        where: tablePath,
        next: "a published release's digests do not change: check where this file came from; --force replaces the pin",
      });
  }
  current.releases[version] = {
    source: values.from ? official : url,
    retrieved: now.toISOString().slice(0, 10),
    how,
    sha256,
  };
  current.releases = Object.fromEntries(
    Object.entries(current.releases).sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true })),
  );
  writeFileAtomicSync(tablePath, `${JSON.stringify(current, null, 2)}\n`);
  return `pinned kube-burner ${version}: ${wanted.length} archives (${how}) in ${tablePath}`;
}

if (import.meta.main) {
  try {
    console.log(await pin(process.argv.slice(2)));
  } catch (e) {
    if (e instanceof LlwError) {
      for (const p of e.problems)
        process.stderr.write(
          `error: ${p.what}\n${p.where ? `  where: ${p.where}\n` : ""}${p.next ? `  next:  ${p.next}\n` : ""}`,
        );
      process.exitCode = e.exitCode;
    } else if ((e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      process.exitCode = 2;
    } else throw e;
  }
}
