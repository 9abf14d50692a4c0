/**
 * The pinned kube-burner release and where its archive for a platform lives. Release archives
 * are named by kube-burner's .goreleaser.yml: kube-burner-V<version>-<os>-<arch>.tar.gz (arch
 * x86_64 for amd64), with sha256 sums of every archive in kube-burner-checksums.txt, e.g.
 * https://github.com/kube-burner/kube-burner/releases/download/v2.7.3/kube-burner-V2.7.3-linux-x86_64.tar.gz
 */
import { UserError } from "../lib/errors.ts";

export const KUBE_BURNER_VERSION = "2.7.3";
export const KUBE_BURNER_RELEASES = "https://github.com/kube-burner/kube-burner/releases/download";
export const CHECKSUMS_FILE = "kube-burner-checksums.txt";

const ARCH: Record<string, string> = { x64: "x86_64", arm64: "arm64", ppc64: "ppc64le", s390x: "s390x" };

export interface ReleaseAsset {
  version: string;
  archive: string;
  archiveUrl: string;
  checksumsUrl: string;
}

export function releaseAsset(
  platform: string,
  arch: string,
  version = KUBE_BURNER_VERSION,
  baseUrl = KUBE_BURNER_RELEASES,
): ReleaseAsset {
  const v = version.replace(/^v/i, "");
  if (platform !== "linux" && platform !== "darwin") {
    throw new UserError({
      what: `kube-burner publishes no tar.gz for ${platform}`,
      where: "this machine",
      next: "run the workshop tools from Linux or macOS (e.g. the bastion host)",
    });
  }
  const a = ARCH[arch];
  if (!a) throw new UserError({ what: `kube-burner publishes no build for ${arch}`, where: "this machine" });
  const archive = `kube-burner-V${v}-${platform}-${a}.tar.gz`;
  const base = `${baseUrl.replace(/\/$/, "")}/v${v}`;
  return { version: v, archive, archiveUrl: `${base}/${archive}`, checksumsUrl: `${base}/${CHECKSUMS_FILE}` };
}

/** The expected sha256 of `archive` from a `sha256sum`-style checksums file. */
export function expectedChecksum(checksums: string, archive: string): string | undefined {
  for (const line of checksums.split(/\r?\n/)) {
    const m = /^([0-9a-f]{64})\s+\*?(\S+)$/i.exec(line.trim());
    if (m && m[2] === archive) return m[1]!.toLowerCase();
  }
  return undefined;
}
