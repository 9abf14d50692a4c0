/**
 * `llw bench install`: downloads the pinned kube-burner for this platform over https, checks the
 * archive's SHA-256 against a digest it trusts (src/bench/install.ts says which), takes the
 * kube-burner binary out of the archive in memory and writes it with the one file-writing path.
 * Nothing is written unless the digest matches.
 */
import { createHash } from "node:crypto";
import type { Agent } from "node:https";
import { arch as osArch, platform as osPlatform } from "node:os";
import { join, resolve } from "node:path";
import {
  checkBaseUrl,
  checkDigest,
  expectedChecksum,
  KUBE_BURNER_RELEASES,
  PINNED_SHA256,
  type ReleaseAsset,
  releaseAsset,
} from "../bench/install.ts";
import type { Context } from "../lib/context.ts";
import { EnvironmentError, UserError } from "../lib/errors.ts";
import { checkOutputFile, shownPath, writeFileAtomic } from "../lib/files.ts";
import { sanitize } from "../lib/sanitize.ts";

export interface BenchInstallOptions {
  outDir?: string;
  release?: string;
  baseUrl?: string;
  /** The archive's digest, from a source the user trusts (for a release llw pins none for). */
  sha256?: string;
  force?: boolean;
  /** For tests: the platform to install for. */
  platform?: string;
  arch?: string;
  /** For tests: the official release site, its TLS agent, and the pinned digests. */
  officialUrl?: string;
  agent?: Agent;
  pins?: Record<string, Record<string, string>>;
}

/** Larger than any kube-burner archive (about 30 MiB) or binary (about 90 MiB). */
const MAX_ARCHIVE = 256 * 1024 * 1024;
const MAX_BINARY = 512 * 1024 * 1024;

const NETWORK_NEXT =
  "check the network or proxy (HTTPS_PROXY with NODE_USE_ENV_PROXY=1), or pass --base-url for a mirror";

/**
 * GETs an https URL into memory, following redirects to https URLs only, within `max` bytes.
 * `offline` is what to do when the host cannot be reached at all.
 */
export async function download(
  url: string,
  what: string,
  agent: Agent | undefined,
  max = MAX_ARCHIVE,
  offline = NETWORK_NEXT,
): Promise<Buffer> {
  const { get } = await import("node:https");
  let current = url;
  for (let hops = 0; hops < 5; hops++) {
    const res = await new Promise<import("node:http").IncomingMessage>((ok, fail) => {
      get(current, agent ? { agent } : {}, ok).on("error", fail);
    }).catch((e: Error & { code?: string }) => {
      throw new EnvironmentError({
        what: `cannot download ${what}: ${e.code ?? e.message}`,
        where: current,
        next: offline,
      });
    });
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      const next = new URL(res.headers.location, current);
      if (next.protocol !== "https:") {
        throw new EnvironmentError({
          what: `the download of ${what} was redirected to ${next.protocol.replace(/:$/, "")}, which llw refuses`,
          where: current,
          next: "use a mirror that serves over https throughout",
        });
      }
      current = next.href;
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new EnvironmentError({
        what: `cannot download ${what}: HTTP ${status}`,
        where: current,
        next:
          status === 404
            ? "check --release: that release or platform may not exist"
            : "try again later or use --base-url",
      });
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const c of res as AsyncIterable<Buffer>) {
      total += c.length;
      if (total > max) {
        res.destroy();
        throw new EnvironmentError({
          what: `${what} is larger than ${max >> 20} MiB: not a kube-burner release`,
          where: current,
          next: "check --base-url",
        });
      }
      chunks.push(c);
    }
    return Buffer.concat(chunks, total);
  }
  throw new EnvironmentError({ what: `too many redirects downloading ${what}`, where: url });
}

/** The kube-burner binary inside a release archive, read in memory (nothing is unpacked to disk). */
async function binaryFrom(archive: Buffer, asset: ReleaseAsset): Promise<Buffer> {
  const { Parser } = await import("tar");
  const found: Buffer[] = [];
  let size = 0;
  let tooBig = false;
  const parser = new Parser({
    onReadEntry: (entry) => {
      if (entry.type !== "File" || entry.path.replace(/^\.\//, "") !== "kube-burner" || found.length > 0) {
        entry.resume();
        return;
      }
      entry.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_BINARY) tooBig = true;
        else found.push(c);
      });
    },
  });
  await new Promise<void>((ok, fail) => {
    parser.on("end", ok);
    parser.on("error", fail);
    parser.end(archive);
  }).catch((e: Error) => {
    throw new EnvironmentError({
      what: `${asset.archive} is not a readable tar.gz: ${e.message}`,
      where: asset.archiveUrl,
    });
  });
  if (found.length === 0 || tooBig) {
    throw new EnvironmentError({
      what: tooBig
        ? `the kube-burner in ${asset.archive} is larger than ${MAX_BINARY >> 20} MiB`
        : `${asset.archive} holds no kube-burner binary`,
      where: asset.archiveUrl,
    });
  }
  return Buffer.concat(found);
}

/** The digest the archive must have, and where it comes from (said to the user). */
async function trustedDigest(
  asset: ReleaseAsset,
  opts: BenchInstallOptions,
  agent: Agent | undefined,
): Promise<{ digest: string; from: string }> {
  if (asset.pinned) {
    if (opts.sha256 && checkDigest(opts.sha256) !== asset.pinned) {
      throw new UserError({
        what: `--sha256 differs from the digest llw pins for ${asset.archive} (${asset.pinned})`,
        where: "--sha256",
        next: "drop --sha256: the pinned digest is used",
      });
    }
    return { digest: asset.pinned, from: "the digest pinned in llw" };
  }
  if (opts.sha256) return { digest: checkDigest(opts.sha256), from: "--sha256" };
  // A mirror does not help here: the checksums come from the official release, or from --sha256.
  const sums = await download(
    asset.officialChecksumsUrl,
    "the release checksums",
    agent,
    1 << 20,
    `check the network or proxy (HTTPS_PROXY with NODE_USE_ENV_PROXY=1); without access to ${new URL(asset.officialChecksumsUrl).host}, pass --sha256 with the archive's digest from the release's kube-burner-checksums.txt, checked by hand`,
  );
  const want = expectedChecksum(sums.toString("utf8"), asset.archive);
  if (!want) {
    throw new EnvironmentError({
      what: `the official release checksums list no ${asset.archive}`,
      where: asset.officialChecksumsUrl,
      next: "the release may lack this platform; try another --release",
    });
  }
  return { digest: want, from: `the official release's ${asset.officialChecksumsUrl}` };
}

export async function run(opts: BenchInstallOptions, ctx: Context): Promise<number> {
  const official = opts.officialUrl ?? KUBE_BURNER_RELEASES;
  const fromFlag = opts.baseUrl !== undefined;
  const base = opts.baseUrl ?? ctx.env.LLW_KUBE_BURNER_BASE_URL;
  const baseUrl = base ? checkBaseUrl(base, fromFlag ? "--base-url" : "LLW_KUBE_BURNER_BASE_URL") : official;
  const asset = releaseAsset(
    opts.platform ?? osPlatform(),
    opts.arch ?? osArch(),
    opts.release,
    baseUrl,
    official,
    opts.pins ?? PINNED_SHA256,
  );
  const dir = resolve(ctx.cwd, opts.outDir ?? ".tools/bin");
  const target = join(dir, "kube-burner");
  const shown = shownPath(ctx.cwd, target);
  const checked = await checkOutputFile(target, { flag: "--out-dir", shown });
  if (checked.existing && !opts.force) {
    throw new UserError({
      what: "kube-burner is already installed",
      where: shown,
      next: "add --force to replace it",
    });
  }
  if (asset.mirror) {
    // Loud: a mirror decides what is downloaded; only the digest decides what is installed.
    ctx.stderr.write(
      `${ctx.colors.yellow("warning:")} downloading kube-burner from ${sanitize(asset.mirror)} (${fromFlag ? "--base-url" : "LLW_KUBE_BURNER_BASE_URL"}), not from ${official}\n`,
    );
  }
  const { digest, from } = await trustedDigest(asset, opts, opts.agent);
  if (!asset.pinned && !opts.sha256) {
    ctx.stderr.write(`note: llw pins no digest for ${asset.archive}; checking it against ${from}\n`);
  }
  ctx.stderr.write(`downloading ${sanitize(asset.archiveUrl)}\n`);
  const archive = await download(asset.archiveUrl, asset.archive, opts.agent);
  const got = createHash("sha256").update(archive).digest("hex");
  if (got !== digest) {
    throw new EnvironmentError({
      what: `checksum mismatch for ${asset.archive}: expected ${digest} (${from}), got ${got}`,
      where: asset.archiveUrl,
      next: "the download is corrupt or was tampered with; nothing was installed. Try again or use another mirror",
    });
  }
  const binary = await binaryFrom(archive, asset);
  await writeFileAtomic(target, binary, { flag: "--out-dir", shown }, { mode: 0o755, checked });
  ctx.stdout.write(
    `installed kube-burner ${asset.version} (sha256 ${got.slice(0, 16)}…, from ${from}) at ${shown}\n`,
  );
  return 0;
}
