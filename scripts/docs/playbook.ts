/**
 * Resolves the Antora playbook for a local build. Antora reads a local content source with
 * isomorphic-git, which only understands a repository whose `.git` is a directory. In a linked
 * git worktree `.git` is a file, so the local playbook points Antora at the main repository
 * instead and asks for this worktree's branch: Antora then reads that branch from its worktree on
 * disk (uncommitted edits included), exactly as it reads a plain clone.
 */
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parse, stringify } from "yaml";

export interface GitLayout {
  /** The directory Antora must open as the repository. */
  repository: string;
  /** The branch to build, or "HEAD" for the checked-out one in a plain clone. */
  branch: string;
  linkedWorktree: boolean;
}

function git(root: string, args: string[]): string {
  return execFileSync("git", ["-C", root, ...args], { encoding: "utf8" }).trim();
}

export function detectGitLayout(root: string): GitLayout {
  const dotGit = join(root, ".git");
  let isDir = false;
  try {
    isDir = statSync(dotGit).isDirectory();
  } catch {
    throw new Error(
      `${root} is not a git repository: the lab guides are built from the repository's git metadata. Run the build from a git clone.`,
    );
  }
  if (isDir) return { repository: root, branch: "HEAD", linkedWorktree: false };
  const commonDir = resolve(root, git(root, ["rev-parse", "--git-common-dir"]));
  const branch = git(root, ["rev-parse", "--abbrev-ref", "HEAD"]);
  if (branch === "HEAD") {
    throw new Error(
      `the git worktree ${root} has a detached HEAD: Antora can only read a linked worktree through its branch. Check out a branch (git switch -c docs-preview) and build again.`,
    );
  }
  return { repository: dirname(commonDir), branch, linkedWorktree: true };
}

type Playbook = {
  content: { sources: { url: string; branches?: unknown; worktrees?: unknown; start_path?: string }[] };
  ui: { bundle: { url: string } };
  output?: { dir?: string };
  runtime?: { cache_dir?: string };
};

/**
 * Returns the playbook text to build with. For a plain clone that is the playbook as written;
 * for a linked worktree, a copy whose relative paths are made absolute (it is written elsewhere)
 * and whose local content source is the main repository at this worktree's branch.
 */
export function localPlaybook(root: string, playbookText: string, layout: GitLayout): string {
  if (!layout.linkedWorktree) return playbookText;
  const pb = parse(playbookText) as Playbook;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
  for (const source of pb.content.sources) {
    if (source.url === "." || source.url === "./") {
      source.url = layout.repository;
      source.branches = layout.branch;
      source.worktrees = true;
    }
  }
  pb.ui.bundle.url = abs(pb.ui.bundle.url);
  if (pb.output?.dir) pb.output.dir = abs(pb.output.dir);
  if (pb.runtime?.cache_dir) pb.runtime.cache_dir = abs(pb.runtime.cache_dir);
  return `# Generated from antora-playbook.yml for the linked git worktree ${root}\n${stringify(pb)}`;
}
