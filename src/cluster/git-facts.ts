/**
 * What this checkout knows about the repository Argo CD will read: its remotes, HEAD, tags and
 * remote-tracking branches. Read with plain git commands (argument lists, never a shell); every
 * failure means "not known", never an error, so a tarball without .git still installs with
 * --revision <commit>.
 */
import { execFileSync } from "node:child_process";
import { type GitFacts, httpsRepoUrl, stripCredentials } from "./repo-source.ts";

export function git(cwd: string, args: string[]): string | undefined {
  try {
    return (
      execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

/** The form two URLs of one repository share: https, no credentials, no .git, no trailing slash. */
export function sameRepoKey(url: string): string {
  return stripCredentials(httpsRepoUrl(url))
    .url.replace(/\/+$/, "")
    .replace(/\.git$/, "")
    .toLowerCase();
}

/** Remotes of the checkout whose URL names `repo`. */
function remotesFor(root: string, repo: string): string[] {
  const names = git(root, ["remote"])?.split("\n") ?? [];
  const key = sameRepoKey(repo);
  return names.filter((n) => {
    const url = git(root, ["remote", "get-url", n]);
    return url !== undefined && sameRepoKey(url) === key;
  });
}

export function gitFacts(root: string | undefined, repo: string): GitFacts {
  if (!root || !git(root, ["rev-parse", "--is-inside-work-tree"])) return {};
  const remotes = remotesFor(root, repo);
  const verify = (ref: string) => git(root, ["rev-parse", "-q", "--verify", `${ref}^{commit}`]);
  return {
    head: verify("HEAD"),
    headTags: git(root, ["tag", "--points-at", "HEAD"])?.split("\n") ?? [],
    isTag: (name) => /^[\w./-]+$/.test(name) && verify(`refs/tags/${name}`) !== undefined,
    commitOf: (name) => {
      if (!/^[\w./-]+$/.test(name) || name.startsWith("-")) return undefined;
      for (const r of remotes) {
        const c = verify(`refs/remotes/${r}/${name}`);
        if (c) return c;
      }
      // An abbreviated commit names the same object in every clone.
      if (/^[0-9a-f]{7,39}$/.test(name)) return verify(name);
      return remotes.includes("origin") ? verify(`refs/heads/${name}`) : undefined;
    },
    ...(remotes.length > 0
      ? {
          pushed: (commit: string) =>
            (git(root, ["branch", "-r", "--contains", commit]) ?? "")
              .split("\n")
              .map((l) => l.trim())
              .some((b) => remotes.some((r) => b.startsWith(`${r}/`))),
        }
      : {}),
  };
}
