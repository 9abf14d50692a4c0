/**
 * What Argo CD syncs from: a repository URL without credentials and a pinned revision. Pure:
 * the command gathers the git facts, these functions decide.
 *
 * Why pinned: an Application that auto-syncs a branch gives whoever can push to that branch
 * cluster-admin on every attendee cluster (Argo CD's application controller applies whatever the
 * branch holds). A commit cannot move; a tag moves only when someone deliberately re-tags.
 */
import { UserError } from "../lib/errors.ts";

/**
 * git's scp-like form, `[user@]host:path` (no `://`, no `/` before the colon): git reads the user
 * part up to the last `@` before the host (git-clone(1), GIT URLS), so `user:token@host:path`
 * carries a token in that part.
 */
const SCP = /^([^/]*)@([^@:/]+):(?!\/\/)(.+)$/;
/**
 * An ssh user name that is a token, not a name: GitHub's (ghp_, gho_, ghu_, ghs_, ghr_,
 * github_pat_), GitLab's (glpat-), the `x-access-token` and `oauth2` users of token URLs, or a
 * long random-looking string. ssh never authenticates with these; they are secrets all the same.
 */
export function tokenLikeUser(user: string): boolean {
  return (
    /^(gh[pousr]_|github_pat_|glpat-|x-access-token$|oauth2$)/i.test(user) ||
    /^[A-Za-z0-9_-]{32,}$/.test(user)
  );
}

/** ssh URLs in every spelling git accepts (connect.c: ssh://, git+ssh://, ssh+git://). */
const SSH = /^(?:ssh|git\+ssh|ssh\+git):\/\/(?:([^@/]*)@)?([^/:]+)(?::\d+)?\/(.+)$/i;

/**
 * `git@github.com:o/r.git` -> `https://github.com/o/r.git`: Argo CD reads public repos over HTTPS
 * without credentials. A password or token in the ssh user part is kept in the https URL, so that
 * stripCredentials removes it and says so (a plain ssh user name such as `git` is not one).
 */
export function httpsRepoUrl(remote: string): string {
  const m = (remote.includes("://") ? undefined : remote.match(SCP)) ?? remote.match(SSH);
  if (!m || (remote.includes("://") && !SSH.test(remote))) return remote;
  const [, user, host, path] = m;
  const secret = user && (user.includes(":") || tokenLikeUser(user)) ? `${user}@` : "";
  return `https://${secret}${host}/${path}`;
}

/**
 * A repository URL with its credentials removed: the user name and password (`x-access-token:
 * <token>@`), and the query and fragment (where some hosts accept `?private_token=`). Argo CD
 * gets its own credentials from a repository Secret, never from the URL, which is stored in
 * plain text in every Application and shown in its UI. An ssh URL (any spelling) or git's
 * scp-like form keeps its user name, which ssh needs and which is no secret, and loses a password.
 */
export function stripCredentials(url: string): { url: string; removed: string[] } {
  const scp = url.includes("://") ? undefined : url.match(SCP);
  if (scp) {
    const [, user = "", host, path] = scp;
    const name = user.includes(":") ? user.slice(0, user.indexOf(":")) : user;
    const removed = [
      ...(tokenLikeUser(name) ? ["user name"] : []),
      ...(name !== user ? ["password or token"] : []),
    ];
    if (removed.length === 0) return { url, removed };
    return { url: `${tokenLikeUser(name) ? "" : `${name}@`}${host}:${path}`, removed };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url, removed: [] };
  }
  const ssh = /^(ssh|git\+ssh|ssh\+git):$/i.test(u.protocol);
  const removed: string[] = [];
  const dropUser = Boolean(u.username) && (!ssh || tokenLikeUser(decodeURIComponent(u.username)));
  if (dropUser) removed.push("user name");
  if (u.password) removed.push("password or token");
  if (u.search) removed.push("query");
  if (u.hash) removed.push("fragment");
  if (removed.length === 0) return { url, removed };
  if (dropUser) u.username = "";
  u.password = "";
  u.search = "";
  u.hash = "";
  return { url: u.toString(), removed };
}

/** The warning that goes with a stripped URL: what was removed and what to do instead. */
export function credentialWarning(clean: string, removed: string[], from: string): string {
  return (
    `warning: ${from} carries credentials (${removed.join(", ")}); llw removed them, so Argo CD reads ${clean} ` +
    "and no credential reaches the cluster or this terminal. For a private repository give Argo CD its own " +
    "read-only credentials: a Secret labelled argocd.argoproj.io/secret-type=repository in openshift-gitops " +
    "(or `argocd repo add`), and rotate the token that was in the URL."
  );
}

/** What the local checkout knows about a revision name. */
export interface GitFacts {
  /** HEAD's commit, when this is a git checkout. */
  head?: string;
  /** Tags pointing at HEAD. */
  headTags?: string[];
  /** Is `name` a tag here (refs/tags/<name>)? */
  isTag?: (name: string) => boolean;
  /**
   * The commit a name stands for in the repository Argo CD reads, as far as this checkout knows:
   * a remote-tracking branch of a remote with that URL, or (for the origin) a local branch or an
   * abbreviated commit.
   */
  commitOf?: (name: string) => string | undefined;
  /** Is this commit on a branch of the remote Argo CD reads (so it can fetch it)? */
  pushed?: (commit: string) => boolean;
}

export interface PinnedRevision {
  revision: string;
  kind: "commit" | "tag" | "branch";
  /** One line for the user: what Argo CD syncs and why. */
  note: string;
  warning?: string;
}

const FULL_SHA = /^[0-9a-f]{40}$/;

/**
 * Chooses the revision Argo CD syncs: a commit or a tag, never a moving branch unless asked
 * (`--follow-branch`). Default: this checkout's HEAD commit.
 */
export function pinRevision(
  requested: string | undefined,
  git: GitFacts,
  followBranch = false,
): PinnedRevision {
  const unpushed = (c: string) =>
    git.pushed && !git.pushed(c)
      ? `commit ${c.slice(0, 12)} is not on any branch of the remote yet: push it, or Argo CD cannot fetch it`
      : undefined;
  if (requested === undefined) {
    if (!git.head)
      throw new UserError({
        what: "no revision to pin: this directory is not a git checkout",
        where: "--revision",
        next: "pass --revision <commit or tag> of the repository Argo CD reads",
      });
    const warning = unpushed(git.head);
    return {
      revision: git.head,
      kind: "commit",
      note: `commit ${git.head} (this checkout's HEAD${git.headTags?.length ? `, tag ${git.headTags.join(", ")}` : ""})`,
      ...(warning ? { warning } : {}),
    };
  }
  if (FULL_SHA.test(requested)) {
    const warning = unpushed(requested);
    return {
      revision: requested,
      kind: "commit",
      note: `commit ${requested}`,
      ...(warning ? { warning } : {}),
    };
  }
  if (git.isTag?.(requested))
    return {
      revision: requested,
      kind: "tag",
      note: `tag ${requested}${shaNote(git.commitOf?.(requested))}`,
    };
  if (followBranch)
    return {
      revision: requested,
      kind: "branch",
      note: `branch ${requested}, followed (--follow-branch)`,
      warning: `Argo CD follows branch ${requested}: whoever can push to it changes this cluster; pin a commit or tag for anything but a lab of your own`,
    };
  const commit = git.commitOf?.(requested);
  if (commit) {
    const warning = unpushed(commit);
    return {
      revision: commit,
      kind: "commit",
      note: `commit ${commit} (${requested} now; Argo CD stays there until llw install runs again)`,
      ...(warning ? { warning } : {}),
    };
  }
  throw new UserError({
    what: `cannot pin revision "${requested}": it is not a full commit id, and this checkout knows no tag, branch or commit of that name in the repository Argo CD reads`,
    where: "--revision",
    next: `pass a commit id or a tag (e.g. \`git ls-remote <repo> ${requested}\` shows the commit), or --follow-branch to let Argo CD follow the branch`,
  });
}

function shaNote(sha: string | undefined): string {
  return sha ? ` (commit ${sha})` : "";
}
