/**
 * Whether a VM's containerDisk boots a distribution release that is still supported. A release
 * past its end of life has its package repositories archived (Fedora moves them to
 * archives.fedoraproject.org), so a cloud-init `packages:` step fails and the guest misses the
 * tools a lab needs; it also gets no security fixes. Lint warns; `llw doctor` checks the VMs of
 * the cluster. Both evaluate against a clock the caller gives (tests set it).
 *
 * The table is dated: releases newer than it are "unknown", never assumed supported. Update it
 * (and TABLE_DATE) from the sources named per distribution.
 */

export const TABLE_DATE = "2026-08-22";

export interface DistroTable {
  /** Image repository (registry/namespace/name) whose tag names the release. */
  repository: string;
  distro: string;
  /** Where the dates come from. */
  source: string;
  /** Release (the tag up to its first "-") -> end of life, YYYY-MM-DD (end of that day, UTC). */
  endOfLife: Record<string, string>;
}

const ENDOFLIFE_DATE = "collected by endoflife.date (github.com/endoflife-date/endoflife.date, products/";

export const DISTROS: readonly DistroTable[] = [
  {
    repository: "quay.io/containerdisks/fedora",
    distro: "Fedora Linux",
    source: `Fedora release schedules (fedorapeople.org/groups/schedule/f-NN; release N is supported until 4 weeks after N+2 is released; dates after ${TABLE_DATE} are the schedule's), ${ENDOFLIFE_DATE}fedora.md @ a70eca3, ${TABLE_DATE})`,
    endOfLife: {
      "38": "2024-05-21",
      "39": "2024-11-26",
      "40": "2025-05-13",
      "41": "2025-12-15",
      "42": "2026-05-27",
      "43": "2026-12-09",
      "44": "2027-06-02",
    },
  },
  {
    repository: "quay.io/containerdisks/centos-stream",
    distro: "CentOS Stream",
    source: `centos.org (a Stream release ends with the full support phase of its RHEL major release), ${ENDOFLIFE_DATE}centos-stream.md @ a70eca3, ${TABLE_DATE})`,
    endOfLife: { "8": "2024-05-31", "9": "2027-05-31", "10": "2030-05-31" },
  },
  {
    repository: "quay.io/containerdisks/ubuntu",
    distro: "Ubuntu",
    source: `wiki.ubuntu.com/Releases (end of standard support), ${ENDOFLIFE_DATE}ubuntu.md @ a70eca3, ${TABLE_DATE})`,
    endOfLife: {
      "20.04": "2025-05-31",
      "22.04": "2027-04-01",
      "24.04": "2029-05-31",
      "25.04": "2026-01-17",
      "25.10": "2026-07-01",
      "26.04": "2031-04-30",
    },
  },
  {
    repository: "quay.io/containerdisks/debian",
    distro: "Debian",
    source: `debian.org security support (regular support, not LTS), ${ENDOFLIFE_DATE}debian.md @ a70eca3, ${TABLE_DATE})`,
    endOfLife: { "11": "2024-08-14", "12": "2026-07-11", "13": "2028-08-09" },
  },
];

export type ImageSupport =
  | { status: "supported"; distro: string; release: string; endOfLife: string; daysLeft: number }
  | { status: "ending"; distro: string; release: string; endOfLife: string; daysLeft: number }
  | { status: "end-of-life"; distro: string; release: string; endOfLife: string; daysLeft: number }
  | { status: "unknown-release"; distro: string; release: string }
  | { status: "untracked" };

/** Days before the end of life from which a release counts as ending (a workshop is planned weeks ahead). */
export const ENDING_WITHIN_DAYS = 30;

const DAY = 24 * 3600 * 1000;

/** Splits "registry/path:tag" (no digest) into repository and tag; docker.io's short names are not tracked. */
function parseImage(image: string): { repository: string; tag?: string } {
  const at = image.indexOf("@");
  const ref = at >= 0 ? image.slice(0, at) : image;
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon > slash) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref };
}

/** The support state of a containerDisk image on a given day. */
export function imageSupport(image: string, now: Date): ImageSupport {
  const { repository, tag } = parseImage(image.trim());
  const table = DISTROS.find((d) => d.repository === repository);
  if (!table) return { status: "untracked" };
  const release = (tag ?? "latest").split("-")[0]!;
  const eol = table.endOfLife[release];
  if (!eol) return { status: "unknown-release", distro: table.distro, release };
  const end = Date.parse(`${eol}T23:59:59Z`);
  const daysLeft = Math.floor((end - now.getTime()) / DAY);
  const base = { distro: table.distro, release, endOfLife: eol, daysLeft };
  if (now.getTime() > end) return { status: "end-of-life", ...base };
  if (daysLeft < ENDING_WITHIN_DAYS) return { status: "ending", ...base };
  return { status: "supported", ...base };
}

/** The releases of the image's distribution that are supported on that day, newest first. */
export function supportedReleases(image: string, now: Date): string[] {
  const table = DISTROS.find((d) => d.repository === parseImage(image.trim()).repository);
  if (!table) return [];
  return Object.entries(table.endOfLife)
    .filter(([, eol]) => Date.parse(`${eol}T23:59:59Z`) - now.getTime() >= ENDING_WITHIN_DAYS * DAY)
    .sort((a, b) => b[1].localeCompare(a[1]))
    .map(([r]) => `${table.repository}:${r}`);
}

/** One sentence for a finding or a doctor result, or undefined when there is nothing to say. */
export function describeSupport(image: string, s: ImageSupport, now: Date): string | undefined {
  const day = now.toISOString().slice(0, 10);
  const instead = () => {
    const ok = supportedReleases(image, now);
    return ok.length > 0 ? ` Use a supported release, e.g. ${ok[0]}.` : "";
  };
  switch (s.status) {
    case "end-of-life":
      return `${image}: ${s.distro} ${s.release} reached its end of life on ${s.endOfLife} (checked on ${day}): its package repositories are archived, so a cloud-init package install fails, and it gets no fixes.${instead()}`;
    case "ending":
      return `${image}: ${s.distro} ${s.release} reaches its end of life on ${s.endOfLife}, ${s.daysLeft === 0 ? "today" : `in ${s.daysLeft} day${s.daysLeft === 1 ? "" : "s"}`} (checked on ${day}).${instead()}`;
    case "unknown-release":
      return `${image}: ${s.distro} release "${s.release}" is not in llw's support table (dated ${TABLE_DATE}): its end of life is not checked; pin a numbered release`;
    default:
      return undefined;
  }
}
