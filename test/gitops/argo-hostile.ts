/** Runs the Argo CD check on one Application with a hostile include pattern (for a hang-guarded worker). */
import { checkArgo, globWork } from "../../src/gitops/checks/argocd.ts";

export function checkInclude(repo: string, include: string): { messages: string[]; steps: number } {
  const app = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: "hostile", namespace: "openshift-gitops" },
    spec: {
      project: "default",
      destination: { server: "https://kubernetes.default.svc" },
      source: { repoURL: "https://example.com/r.git", path: "apps", directory: { include } },
    },
  };
  globWork.steps = 0;
  const findings = checkArgo([{ obj: app, unit: "bootstrap", file: "app.yaml" }], {
    repoRoot: repo,
    root: repo,
    unitsByDir: new Map(),
  });
  return { messages: findings.map((f) => f.message), steps: globWork.steps };
}
