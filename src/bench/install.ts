/**
 * The pinned kube-burner release, where its archive for a platform lives and which digest it must
 * have. Release archives are named by kube-burner's .goreleaser.yml:
 * kube-burner-V<version>-<os>-<arch>.tar.gz (arch x86_64 for amd64), with the sha256 of every
 * archive in kube-burner-checksums.txt beside them, e.g.
 * https://github.com/kube-burner/kube-burner/releases/download/v2.7.3/kube-burner-V2.7.3-linux-x86_64.tar.gz
 *
 * Trust: a digest pinned in llw (PINNED_SHA256, from kube-burner-digests.json, which
 * `npm run pin:kube-burner` fills from a release's kube-burner-checksums.txt) is authoritative,
 * whatever the download URL. For a release without one, the digest comes from `--sha256`, or else
 * from the checksums file of the official release on GitHub over https, never from the mirror
 * that serves the archive (a mirror that serves both could serve anything).
 */
import { UserError } from "../lib/errors.ts";
import table from "./kube-burner-digests.json" with { type: "json" };

export const KUBE_BURNER_VERSION = "2.7.3";
export const KUBE_BURNER_RELEASES = "https://github.com/kube-burner/kube-burner/releases/download";
export const CHECKSUMS_FILE = "kube-burner-checksums.txt";

/** One pinned release: the digests of its supported archives and where they were read. */
export interface PinnedRelease {
  /** The checksums file the digests were read from (the release's own, on its official site). */
  source: string;
  /** The day they were read (YYYY-MM-DD). */
  retrieved: string;
  /** How: downloaded over https, or a copy checked by hand. */
  how: string;
  /** Archive file name -> SHA-256. */
  sha256: Record<string, string>;
}

export interface DigestTable {
  $comment?: string;
  releases: Record<string, PinnedRelease>;
}

/**
 * SHA-256 of each release archive, by version and file name, from src/bench/kube-burner-digests.json,
 * which `npm run pin:kube-burner` (scripts/pin-kube-burner.ts) fills from the release's own
 * kube-burner-checksums.txt, with where and when it read them. Only digests read from that
 * published file belong there; a release or platform missing from it is verified against the
 * official checksums file at install time (see above).
 */
export const PINNED_SHA256: Record<string, Record<string, string>> = Object.fromEntries(
  Object.entries((table as DigestTable).releases).map(([v, r]) => [v, r.sha256]),
);

/**
 * The builds kube-burner publishes as tar.gz and llw installs, by Node's platform and arch: its
 * .goreleaser.yml (kube-burner/kube-burner, main) builds linux, darwin and windows (zip) for amd64,
 * arm64, ppc64le and s390x, and Go has no darwin port but amd64 and arm64 (`go tool dist list`),
 * so macOS gets two. Node names ppc64le "ppc64".
 */
export const SUPPORTED_BUILDS: Record<string, Record<string, string>> = {
  linux: { x64: "x86_64", arm64: "arm64", ppc64: "ppc64le", s390x: "s390x" },
  darwin: { x64: "x86_64", arm64: "arm64" },
};

/** The archive of `version` for one build (os and kube-burner's arch name). */
export function archiveName(version: string, os: string, arch: string): string {
  return `kube-burner-V${version}-${os}-${arch}.tar.gz`;
}

/** Every archive of `version` that llw can install (for pinning them all). */
export function supportedArchives(version: string): string[] {
  return Object.entries(SUPPORTED_BUILDS).flatMap(([os, arches]) =>
    Object.values(arches).map((a) => archiveName(version, os, a)),
  );
}

export interface ReleaseAsset {
  version: string;
  archive: string;
  archiveUrl: string;
  /** The checksums file of the same release on the official site (never a mirror's). */
  officialChecksumsUrl: string;
  /** Where the archive comes from, when not from the official releases (a mirror). */
  mirror?: string;
  /** The digest pinned in llw for this archive, if any. */
  pinned?: string;
}

/** A download base URL: https only (a plain-http download can be replaced on the way). */
export function checkBaseUrl(url: string, where: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError({
      what: `"${url}" is not a URL`,
      where,
      next: "give an https:// URL of a kube-burner release mirror",
    });
  }
  if (u.protocol !== "https:") {
    throw new UserError({
      what: `refusing to download kube-burner over ${u.protocol.replace(/:$/, "")}: only https is accepted`,
      where,
      next: "use the https:// URL of the mirror (a plain-http download can be replaced on the way)",
    });
  }
  if (u.username || u.password) {
    throw new UserError({
      what: "the download URL carries credentials",
      where,
      next: "give the mirror URL without user:password@; llw prints the URL it downloads from",
    });
  }
  return url.replace(/\/+$/, "");
}

export function releaseAsset(
  platform: string,
  arch: string,
  version = KUBE_BURNER_VERSION,
  baseUrl = KUBE_BURNER_RELEASES,
  official = KUBE_BURNER_RELEASES,
  pins: Record<string, Record<string, string>> = PINNED_SHA256,
): ReleaseAsset {
  const v = version.replace(/^v/i, "");
  if (!/^\d+\.\d+\.\d+$/.test(v)) {
    throw new UserError({
      what: `"${version}" is not a kube-burner release (e.g. ${KUBE_BURNER_VERSION})`,
      where: "--release",
    });
  }
  const builds = SUPPORTED_BUILDS[platform];
  if (!builds) {
    throw new UserError({
      what: `kube-burner publishes no tar.gz for ${platform}`,
      where: "this machine",
      next: "run the workshop tools from Linux or macOS (e.g. the bastion host)",
    });
  }
  const a = builds[arch];
  if (!a)
    throw new UserError({
      what: `kube-burner publishes no build for ${platform} on ${arch}`,
      where: "this machine",
    });
  const archive = archiveName(v, platform, a);
  const base = baseUrl.replace(/\/+$/, "");
  const pinned = pins[v]?.[archive];
  return {
    version: v,
    archive,
    archiveUrl: `${base}/v${v}/${archive}`,
    officialChecksumsUrl: `${official.replace(/\/+$/, "")}/v${v}/${CHECKSUMS_FILE}`,
    ...(base !== official.replace(/\/+$/, "") ? { mirror: base } : {}),
    ...(pinned ? { pinned } : {}),
  };
}

/** The expected sha256 of `archive` from a `sha256sum`-style checksums file. */
export function expectedChecksum(checksums: string, archive: string): string | undefined {
  for (const line of checksums.split(/\r?\n/)) {
    const m = /^([0-9a-f]{64})\s+\*?(\S+)$/i.exec(line.trim());
    if (m && m[2] === archive) return m[1]!.toLowerCase();
  }
  return undefined;
}

/** A digest given with --sha256. */
export function checkDigest(value: string): string {
  const v = value
    .trim()
    .toLowerCase()
    .replace(/^sha256:/, "");
  if (!/^[0-9a-f]{64}$/.test(v)) {
    throw new UserError({
      what: `"${value}" is not a SHA-256 digest (64 hex digits)`,
      where: "--sha256",
      next: "copy the archive's line from the release's kube-burner-checksums.txt",
    });
  }
  return v;
}
