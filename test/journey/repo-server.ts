/**
 * Argo CD's repo server for the journey's simulated cluster: an Application's source rendered
 * from the attendee's repository as Argo CD renders it (argoproj/argo-cd master,
 * reposerver/repository/repository.go GenerateManifests): targetRevision resolved to a commit,
 * that commit checked out; a path with a kustomization is built with kustomize (here the real
 * kubectl's), with spec.source.kustomize.patches added to the kustomization first
 * (util/kustomize/kustomize.go); any other path is a directory of manifests, filtered by
 * spec.source.directory.include. Only file:// repositories: the journey has no network.
 */
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments, stringify } from "yaml";
import type { Obj } from "../sim/apiserver.ts";
import type { RenderedSource, RepoServer } from "../sim/controllers/argo-sync.ts";

const run = promisify(execFile);

/** Argo CD's directory.include: `{a.yaml,b.yaml}` or a glob with `*` and `?`. */
function includes(pattern: string | undefined): (f: string) => boolean {
  if (!pattern) return () => true;
  const res = pattern
    .replace(/^\{|\}$/g, "")
    .split(",")
    .map(
      (a) =>
        new RegExp(
          `^${a
            .replace(/[.+^$()|[\]\\]/g, "\\$&")
            .replace(/\*/g, "[^/]*")
            .replace(/\?/g, ".")}$`,
        ),
    );
  return (f) => res.some((re) => re.test(f));
}

function documents(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .flatMap((o) => (o?.kind?.endsWith("List") && Array.isArray(o.items) ? o.items : [o]))
    .filter((o): o is Obj => Boolean(o?.kind));
}

export function repoServer(workDir: string, kubectl: string): RepoServer {
  const checkouts = new Map<string, Promise<string>>();
  const checkout = (repo: string, sha: string): Promise<string> => {
    const key = `${repo}@${sha}`;
    let p = checkouts.get(key);
    if (!p) {
      const dir = join(workDir, `checkout-${sha.slice(0, 12)}-${checkouts.size}`);
      mkdirSync(dir, { recursive: true });
      p = run("sh", ["-c", 'git -C "$0" archive "$1" | tar -x -C "$2"', repo, sha, dir]).then(() => dir);
      checkouts.set(key, p);
    }
    return p;
  };
  return async (app: Obj): Promise<RenderedSource> => {
    const src = app.spec?.source ?? app.spec?.sources?.[0] ?? {};
    const url = String(src.repoURL ?? "");
    if (!url.startsWith("file://"))
      throw new Error(
        `rpc error: repository not accessible: ${url} (the journey's repo server reads file:// only)`,
      );
    const repo = url.slice("file://".length);
    const { stdout } = await run("git", [
      "-C",
      repo,
      "rev-parse",
      "--verify",
      `${src.targetRevision ?? "HEAD"}^{commit}`,
    ]).catch(() => {
      throw new Error(`unable to resolve '${src.targetRevision}' to a commit SHA`);
    });
    const revision = stdout.trim();
    const root = await checkout(repo, revision);
    const dir = join(root, src.path ?? ".");
    if (!existsSync(dir)) throw new Error(`${src.path}: app path does not exist`);
    const kustomized = ["kustomization.yaml", "kustomization.yml", "Kustomization"].some((f) =>
      existsSync(join(dir, f)),
    );
    if (kustomized) {
      let target = dir;
      let tmp: string | undefined;
      const patches = src.kustomize?.patches ?? [];
      if (patches.length > 0) {
        tmp = mkdtempSync(join(root, ".argocd-kustomize-"));
        writeFileSync(
          join(tmp, "kustomization.yaml"),
          stringify({
            apiVersion: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            resources: [relative(tmp, dir)],
            patches,
          }),
        );
        target = tmp;
      }
      try {
        const out = await run(kubectl, ["kustomize", target], { maxBuffer: 64 * 1024 * 1024 });
        return { revision, objects: documents(out.stdout) };
      } catch (e) {
        throw new Error(
          `kustomize build ${src.path} failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`,
        );
      } finally {
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
    }
    const match = includes(src.directory?.include);
    const objects = readdirSync(dir)
      .filter((f) => /\.(ya?ml|json)$/.test(f) && match(f))
      .sort()
      .flatMap((f) => documents(readFileSync(join(dir, f), "utf8")));
    return { revision, objects };
  };
}
