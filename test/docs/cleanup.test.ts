/**
 * What the guides' delete and stop commands really do: they must delete what an earlier step created,
 * and must not be undone by Argo CD's self-heal. Objects and Applications come from the real files
 * (the MachineSet `llw aws machineset` writes, the GitOps tree built with the real kustomize).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, globSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import { main } from "../../src/cli.ts";
import { bufferContext } from "../../src/lib/context.ts";
import { ROOT, requireTool, toolPath } from "../helpers/tools.ts";
import { commandsInOrder, option, positionals, type ShellCommand } from "./commands-in-order.ts";
import { componentAttributes, pages } from "./guide.ts";

const attrs = componentAttributes();
const commands = commandsInOrder(pages(), attrs);

interface K8sObject {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

function docs(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => Boolean(o?.kind));
}

/** Does a label selector (`a=b,c`, `!d`, `e!=f`) select these labels? */
function selects(selector: string, labels: Record<string, string>): boolean {
  return selector.split(",").every((term) => {
    const t = term.trim();
    if (t.startsWith("!")) return !(t.slice(1) in labels);
    const ne = /^([^!=]+)!=(.*)$/.exec(t);
    if (ne) return labels[ne[1]!] !== ne[2];
    const eq = /^([^!=]+)==?(.*)$/.exec(t);
    if (eq) return labels[eq[1]!] === eq[2];
    return t in labels;
  });
}

/**
 * The file patterns of a command's -f: its value, or for `-f "$f"` inside `for f in <globs>; do
 * ... done`, the globs the loop walks (an attendee's shell expands them the same way).
 */
function filePatterns(c: ShellCommand): string[] {
  const value = option(c.words, "-f", "--filename");
  const v = /^\$\{?(\w+)\}?$/.exec(value ?? "");
  if (!v) return value ? [value] : [];
  for (let j = commands.indexOf(c) - 1; j >= 0; j--) {
    const w = commands[j]!;
    if (w.page !== c.page || w.words[0] === "done") break;
    if (w.words[0] === "for" && w.words[1] === v[1] && w.words[2] === "in") return w.words.slice(3);
  }
  return [];
}

const isDelete = (c: ShellCommand) => ["oc", "kubectl"].includes(c.words[0]!) && c.words[1] === "delete";

describe("lab guides: clean-up deletes the metal MachineSet that module 4.3 wrote", () => {
  it("the delete command selects exactly the MachineSet `llw aws machineset` writes (run in a scratch directory)", async () => {
    const write = commands.find(
      (c) => c.words[0] === "llw" && c.words[1] === "aws" && c.words[2] === "machineset",
    );
    assert.ok(write, "no llw aws machineset step in the guides");
    const cwd = mkdtempSync(join(tmpdir(), "llw-docs-machineset-"));
    try {
      // The attendee's command, with the recorded worker MachineSet instead of a live cluster.
      const args = [
        ...write.words.slice(1),
        "--from",
        join(ROOT, "test", "aws", "fixtures", "worker-machinesets.yaml"),
      ];
      const ctx = bufferContext({ cwd, env: { NO_COLOR: "1" } });
      assert.equal(await main(args, ctx), 0, ctx.err());
      const outDir = option(write.words, "--out-dir");
      assert.ok(
        outDir,
        `${write.page}:${write.line}: the MachineSet must be written to a file the clean-up can name`,
      );
      const written = readdirSync(join(cwd, outDir)).flatMap((f) =>
        docs(readFileSync(join(cwd, outDir, f), "utf8")),
      );
      const machineSets = written.filter((o) => o.kind === "MachineSet");
      assert.equal(machineSets.length, 1);

      const deletes = commands.filter(
        (c) =>
          isDelete(c) &&
          (/^machinesets?(\.machine\.openshift\.io)?$/.test(c.words[2] ?? "") ||
            filePatterns(c).some((f) => /machineset/.test(f))),
      );
      assert.ok(deletes.length >= 1, "no clean-up command deletes the metal MachineSet");
      for (const d of deletes) {
        const where = `${d.page}:${d.line}: ${d.words.join(" ")}`;
        const files = filePatterns(d);
        const selector = option(d.words, "-l", "--selector");
        let deleted: K8sObject[];
        if (files.length > 0) {
          const matches = files.flatMap((f) => globSync(f, { cwd }));
          assert.ok(matches.length > 0, `${where}: matches no file the earlier step wrote`);
          deleted = matches.flatMap((f) => docs(readFileSync(join(cwd, f), "utf8")));
        } else if (selector) {
          deleted = machineSets.filter((m) => selects(selector, m.metadata.labels ?? {}));
        } else {
          const names = positionals(d.words, 3);
          deleted = machineSets.filter((m) => names.includes(m.metadata.name));
        }
        assert.deepEqual(
          deleted.map((o) => `${o.kind}/${o.metadata.name}`),
          machineSets.map((o) => `${o.kind}/${o.metadata.name}`),
          `${where}: deletes something else than the MachineSet written in module 4.3`,
        );
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("the selector check can fail: a role label selector matches nothing on the MachineSet's own labels", () => {
    const ms = parse(
      readFileSync(join(ROOT, "content/modules/ROOT/examples/samples/aws-machineset-c5.metal.yaml"), "utf8"),
    ) as K8sObject;
    assert.equal(selects(`node-role.kubernetes.io/${attrs["node-role"]}`, ms.metadata.labels ?? {}), false);
    assert.equal(
      selects(`machine.openshift.io/cluster-api-cluster=lab-x7k2p`, ms.metadata.labels ?? {}),
      true,
    );
  });
});

// --- Argo CD ------------------------------------------------------------------------------------

interface App {
  name: string;
  /** Syncs the Applications of gitops/bootstrap (the root of the app of apps). */
  root: boolean;
  git: K8sObject;
  live: K8sObject;
  objects: K8sObject[];
}

/** JSON merge patch (RFC 7386), as `oc patch --type merge` applies it. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === "object" && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const selfHeals = (app: K8sObject) =>
  Boolean((app.spec?.syncPolicy as { automated?: { selfHeal?: boolean } } | undefined)?.automated?.selfHeal);

let built: App[] | undefined;

/** The app of apps from the repository (built once; each caller gets its own copy to patch). */
function loadApps(kubectl: string): App[] {
  built ??= buildApps(kubectl);
  return structuredClone(built);
}

/** Builds the app of apps from the repository: the root, its Applications, and what each deploys. */
function buildApps(kubectl: string): App[] {
  const rootFile = join(ROOT, "gitops", "bootstrap", "root", "application.yaml");
  const root = docs(readFileSync(rootFile, "utf8"))[0]!;
  const build = (dir: string) =>
    docs(
      execFileSync(kubectl, ["kustomize", join(ROOT, dir)], {
        encoding: "utf8",
        env: { ...process.env, PATH: toolPath() },
        maxBuffer: 64 * 1024 * 1024,
      }),
    );
  // Everything at once (llw install --with-tuning): the path on which Argo CD also manages the tuning
  // and the workloads, so every hands-on change is checked against it.
  const rootPath = (root.spec as { source: { path: string } }).source.path.replace(
    /bootstrap$/,
    "bootstrap-with-tuning",
  );
  const children = build(rootPath).filter((o) => o.kind === "Application");
  const apps: App[] = [{ name: root.metadata.name, root: true, git: root, live: root, objects: children }];
  for (const child of children) {
    const source = child.spec?.source as { path: string; directory?: { include?: string } };
    const dir = join(ROOT, source.path);
    let objects: K8sObject[];
    if (existsSync(join(dir, "kustomization.yaml"))) objects = build(source.path);
    else {
      const include = source.directory?.include?.replace(/^\{|\}$/g, "").split(",") ?? ["*.yaml"];
      objects = include
        .flatMap((g) => globSync(g, { cwd: dir }))
        .flatMap((f) => docs(readFileSync(join(dir, f), "utf8")));
    }
    apps.push({ name: child.metadata.name, root: false, git: child, live: child, objects });
  }
  return apps;
}

const RESOURCE_KINDS: Record<string, string> = {
  po: "Pod",
  pod: "Pod",
  pods: "Pod",
  vm: "VirtualMachine",
  vms: "VirtualMachine",
  virtualmachine: "VirtualMachine",
  virtualmachines: "VirtualMachine",
  vmi: "VirtualMachineInstance",
  vmis: "VirtualMachineInstance",
  virtualmachineinstance: "VirtualMachineInstance",
  virtualmachineinstances: "VirtualMachineInstance",
  performanceprofile: "PerformanceProfile",
  performanceprofiles: "PerformanceProfile",
  mcp: "MachineConfigPool",
  machineconfigpool: "MachineConfigPool",
  machineconfigpools: "MachineConfigPool",
  secret: "Secret",
  secrets: "Secret",
  "network-attachment-definitions": "NetworkAttachmentDefinition",
  "net-attach-def": "NetworkAttachmentDefinition",
  sriovnetworknodepolicy: "SriovNetworkNodePolicy",
  sriovnetworknodepolicies: "SriovNetworkNodePolicy",
};

/**
 * Walks the guides' commands in order against the app of apps and returns every command that
 * deletes or stops an object whose Application would restore it (automatic sync with self-heal).
 * `oc patch applications.argoproj.io` changes an Application's live sync policy; the root, while it
 * self-heals, puts its children's Git spec back (so the root must be paused first).
 */
export function undoneByArgo(cmds: ShellCommand[], apps: App[]): string[] {
  const root = apps.find((a) => a.root)!;
  const problems: string[] = [];
  const healing = (app: App) => selfHeals(app.root || !selfHeals(root.live) ? app.live : app.git);
  for (const c of cmds) {
    const [prog, verb, resource] = c.words;
    const where = `${c.page}:${c.line}: ${c.words.join(" ")}`;
    if (prog === "oc" && verb === "patch" && /^app(lication)?s?(\.argoproj\.io)?$/.test(resource ?? "")) {
      const name = positionals(c.words, 3)[0];
      const app = apps.find((a) => a.name === name);
      if (!app) {
        problems.push(`${where}: no Application ${name} in the app of apps`);
        continue;
      }
      if (!app.root && selfHeals(root.live)) continue; // the root restores it at once
      assert.equal(option(c.words, "--type"), "merge", `${where}: use --type merge (a JSON merge patch)`);
      app.live = mergePatch(app.live, JSON.parse(option(c.words, "-p", "--patch") ?? "null")) as K8sObject;
      continue;
    }
    let target: { kind: string; name: string } | undefined;
    if (prog === "virtctl" && (verb === "stop" || verb === "pause")) {
      target = { kind: "VirtualMachine", name: positionals(c.words, 2)[0]! };
    } else if ((prog === "oc" || prog === "kubectl") && verb === "delete") {
      const [first, second] = positionals(c.words, 2);
      if (first?.includes("/")) {
        const [r, n] = first.split("/");
        target = { kind: RESOURCE_KINDS[r!.toLowerCase()] ?? r!, name: n! };
      } else if (first && second) {
        target = { kind: RESOURCE_KINDS[first.toLowerCase().split(".")[0]!] ?? first, name: second };
      }
    }
    if (!target) continue;
    for (const app of apps) {
      if (!app.objects.some((o) => o.kind === target.kind && o.metadata.name === target.name)) continue;
      if (healing(app)) {
        problems.push(
          `${where}: ${target.kind} ${target.name} belongs to the self-healing Application ${app.name}`,
        );
      }
    }
  }
  return problems;
}

describe("lab guides: Argo CD does not undo the hands-on and clean-up steps (app of apps built with the real kustomize)", () => {
  it("every delete or stop of an object Argo CD manages comes after automatic sync is off for its Application and the root", (t) => {
    const kubectl = requireTool(t, "kubectl", "npm run tools");
    if (!kubectl) return;
    const apps = loadApps(kubectl);
    const workloads = apps.find((a) =>
      a.objects.some((o) => o.kind === "VirtualMachine" && o.metadata.name === "low-latency-vm"),
    );
    assert.ok(
      workloads && selfHeals(workloads.git),
      "the VM is expected to belong to a self-healing Application",
    );
    assert.deepEqual(undoneByArgo(commands, apps), []);
  });

  it("the check can fail: a stop without pausing, or pausing the child before the root, is undone", (t) => {
    const kubectl = requireTool(t, "kubectl", "npm run tools");
    if (!kubectl) return;
    const cmd = (line: string): ShellCommand => ({ page: "x", line: 1, words: line.split(" ") });
    const pause = (app: string) =>
      cmd(
        `oc patch applications.argoproj.io ${app} -n openshift-gitops --type merge -p {"spec":{"syncPolicy":{"automated":null}}}`,
      );
    const stop = cmd("virtctl stop low-latency-vm -n low-latency-workshop");
    assert.equal(undoneByArgo([stop], loadApps(kubectl)).length, 1);
    assert.equal(
      undoneByArgo([pause("workloads"), pause("low-latency-workshop"), stop], loadApps(kubectl)).length,
      1,
    );
    assert.deepEqual(
      undoneByArgo([pause("low-latency-workshop"), pause("workloads"), stop], loadApps(kubectl)),
      [],
    );
    const del = cmd("oc delete vm low-latency-vm -n low-latency-workshop");
    assert.equal(undoneByArgo([del], loadApps(kubectl)).length, 1);
    // The test pods are not Argo CD's: deleting one is never undone.
    const pod = cmd("oc delete pod tuned-pod -n low-latency-workshop");
    assert.deepEqual(undoneByArgo([pod], loadApps(kubectl)), []);
  });
});
