import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
} from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { runSample, SAMPLE_COMMANDS, SAMPLES, sampleOutputs } from "../../scripts/docs/samples.ts";
import { ROOT, requireTool } from "../helpers/tools.ts";
import {
  componentAttributes,
  delimitedBlocks,
  EXAMPLES,
  includePath,
  includes,
  PAGES,
  pages,
  pastedManifest,
  sourceBlocks,
  substitute,
} from "./guide.ts";

const attrs = componentAttributes();
const allPages = pages();
const sourceCount = allPages.flatMap(sourceBlocks).length;

describe("lab guides: sources", () => {
  it("has the welcome page, five modules and the conclusion, each in the navigation", () => {
    const names = allPages.map((p) => p.name);
    assert.deepEqual(names, [
      "00-welcome.adoc",
      "01-low-latency-intro.adoc",
      "02-core-tuning.adoc",
      "03-virtualization.adoc",
      "04-aws-tuning.adoc",
      "05-validation.adoc",
      "06-conclusion.adoc",
    ]);
    const nav = readFileSync(join(PAGES, "..", "nav.adoc"), "utf8");
    for (const n of names) assert.match(nav, new RegExp(`^\\* xref:${n.replace(".", "\\.")}\\[`, "m"));
  });

  it("every module states its learning objectives and duration, and has troubleshooting and clean-up", () => {
    for (const p of allPages.filter((p) => /^0[1-5]-/.test(p.name))) {
      const text = p.lines.join("\n");
      assert.match(text, /^\.Learning objectives$/m, `${p.name}: no learning objectives`);
      assert.match(text, /^\.Duration\n\d+ minutes/m, `${p.name}: no duration`);
      assert.match(text, /^== Troubleshooting$/m, `${p.name}: no troubleshooting`);
      assert.match(text, /^== Clean-up$/m, `${p.name}: no clean-up`);
    }
  });

  it("every attribute a page uses has a default in antora.yml (or is built in)", () => {
    const builtIn = new Set(["nbsp", "zwsp", "empty", "sp", "amp", "lt", "gt", "startsb", "endsb", "vbar"]);
    const problems: string[] = [];
    for (const p of allPages) {
      const local = new Set<string>();
      p.lines.forEach((line, i) => {
        const def = /^:([A-Za-z0-9_][A-Za-z0-9_-]*):/.exec(line);
        if (def) local.add(def[1]!);
        for (const m of line.matchAll(/(?<!\\)\{([A-Za-z0-9_][A-Za-z0-9_-]*)\}/g)) {
          const name = m[1]!;
          if (!(name in attrs) && !local.has(name) && !builtIn.has(name)) {
            problems.push(`${p.name}:${i + 1}: {${name}}`);
          }
        }
      });
    }
    assert.deepEqual(problems, []);
  });

  it("every attribute antora.yml defines is used by a page (no stale defaults)", () => {
    const text = allPages.map((p) => p.lines.join("\n")).join("\n");
    const unused = Object.keys(attrs).filter((name) => !text.includes(`{${name}}`));
    assert.deepEqual(unused, []);
  });

  it("attributes that belong together agree with each other and with the repository (override them together)", () => {
    const a = (n: string) => attrs[n] ?? assert.fail(`antora.yml has no ${n}`);
    assert.equal(a("profile-name"), `workshop-${a("instance-type").replaceAll(".", "-")}`);
    assert.equal(a("runtime-class"), `performance-${a("profile-name")}`);
    assert.equal(a("console-url"), `https://console-openshift-console.${a("cluster-domain")}`);
    assert.equal(a("api-url"), `https://api.${a("cluster-domain").replace(/^apps\./, "")}:6443`);
    assert.equal(a("mcp-name"), a("node-role"), "llw aws machineset --role names the pool after the role");
    const profileFile = join(
      ROOT,
      "gitops",
      "overlays",
      "aws",
      "performance-profiles",
      `${a("instance-type")}.yaml`,
    );
    assert.ok(existsSync(profileFile), `no profile for ${a("instance-type")} in the GitOps tree`);
    const profile = parseAllDocuments(readFileSync(profileFile, "utf8"))[0]!.toJS() as {
      metadata: { name: string };
      spec: { machineConfigPoolSelector: Record<string, string>; nodeSelector: Record<string, string> };
    };
    assert.equal(profile.metadata.name, a("profile-name"));
    assert.equal(
      profile.spec.machineConfigPoolSelector["machineconfiguration.openshift.io/role"],
      a("mcp-name"),
    );
    assert.ok(`node-role.kubernetes.io/${a("node-role")}` in profile.spec.nodeSelector);
    const root = parseAllDocuments(
      readFileSync(join(ROOT, "gitops", "bootstrap", "root", "application.yaml"), "utf8"),
    )[0]!.toJS() as { spec: { source: { repoURL: string; targetRevision: string } } };
    // The root Application in Git holds placeholders that `llw install --repo --revision` replaces:
    // every install the guides show passes the guide's repository and revision.
    assert.match(root.spec.source.repoURL, /set-by-llw-install/);
    const installs = allPages.flatMap((p) => p.lines).filter((l) => /^llw install\b/.test(l.trim()));
    assert.ok(installs.length > 0, "no llw install in the guides");
    for (const l of installs) assert.match(l, /--repo \{git-repo-url\} --revision \{git-revision\}/, l);
  });

  it("commands for a VM's console are not run in the terminal: role=guest, titled where they run", () => {
    const guest = allPages.flatMap(sourceBlocks).filter((b) => b.attrlist.includes("role=guest"));
    assert.ok(guest.length >= 1, "the in-guest cyclictest block is not marked role=guest");
    for (const b of guest) {
      assert.doesNotMatch(b.attrlist, /role=execute/, `${b.page}:${b.line}`);
      const page = allPages.find((p) => p.name === b.page)!;
      const title = page.lines.slice(Math.max(0, b.line - 4), b.line - 1).find((l) => /^\.[^.\s]/.test(l));
      assert.match(title ?? "", /console/i, `${b.page}:${b.line}: say where the commands run`);
    }
  });

  it("every command block is marked for execution, and substitutes the attributes it uses", () => {
    const problems: string[] = [];
    for (const b of allPages.flatMap(sourceBlocks)) {
      if (b.lang !== "bash") continue;
      // role=execute: Showroom runs it in the attendee's terminal; role=guest: typed in a VM's console.
      if (!/role=(execute|guest)\b/.test(b.attrlist)) problems.push(`${b.page}:${b.line}: not role=execute`);
      const uses = b.body.some((l) =>
        [...l.matchAll(/(?<!\\)\{([A-Za-z0-9_-]+)\}/g)].some((m) => m[1]! in attrs),
      );
      if (uses && !b.attrlist.includes('subs="attributes"')) {
        problems.push(`${b.page}:${b.line}: uses attributes without subs="attributes"`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("every include resolves to a real file inside the repository", () => {
    const found = allPages.flatMap(includes);
    assert.ok(found.length >= 8, `only ${found.length} includes`);
    const problems: string[] = [];
    for (const inc of found) {
      const file = includePath(substitute(inc.target, attrs));
      if (!existsSync(file) || !statSync(file).isFile()) {
        problems.push(`${inc.page}:${inc.line}: ${inc.target} -> ${relative(ROOT, file)} does not exist`);
        continue;
      }
      const real = realpathSync(file);
      if (relative(ROOT, real).startsWith(".."))
        problems.push(`${inc.page}:${inc.line}: ${inc.target} leaves the repository`);
    }
    assert.deepEqual(problems, []);
  });

  it("files outside content/ reach the guides through relative links into the repository", () => {
    for (const name of readdirSync(EXAMPLES)) {
      const path = join(EXAMPLES, name);
      if (!lstatSync(path).isSymbolicLink()) continue;
      const target = readlinkSync(path);
      assert.ok(
        !target.startsWith("/"),
        `${name} -> ${target} must be relative (it has to work in any clone)`,
      );
      assert.equal(
        resolve(EXAMPLES, target),
        join(ROOT, name),
        `${name} should point at the repository's ${name}/`,
      );
    }
  });

  it("manifests are included from the repository, never pasted", () => {
    const pasted = allPages
      .flatMap(sourceBlocks)
      .filter((b) => ["yaml", "yml", "json"].includes(b.lang))
      .filter((b) => b.body.some((l) => l.trim() !== "" && !l.startsWith("include::")))
      .map((b) => `${b.page}:${b.line}`);
    assert.deepEqual(pasted, []);
  });

  it("no block of any kind pastes a manifest or writes one with a heredoc (include it instead)", () => {
    const blocks = allPages.flatMap(delimitedBlocks);
    assert.ok(blocks.length >= sourceCount, "delimitedBlocks misses source blocks");
    const pasted = blocks
      .map((b) => ({ b, why: pastedManifest(b.body) }))
      .filter(({ why }) => why)
      .map(({ b, why }) => `${b.page}:${b.line}: ${why}`);
    assert.deepEqual(pasted, []);
  });

  it("the pasted-manifest check can fail: text, bash and heredoc manifests are caught", () => {
    assert.equal(
      pastedManifest(["apiVersion: v1", "kind: Pod", "metadata:", "  name: x"]),
      "a YAML manifest",
    );
    assert.equal(pastedManifest(["oc apply -f - <<EOF", "apiVersion: v1", "EOF"]), "a heredoc");
    assert.equal(pastedManifest(['{"apiVersion": "v1", "kind": "Pod"}']), "a JSON manifest");
    assert.equal(pastedManifest(["include::example$gitops/base/tuned-pod.yaml[]"]), undefined);
    assert.equal(pastedManifest(["oc get pods -o yaml"]), undefined);
  });

  it("every YAML and JSON block parses", () => {
    let checked = 0;
    const problems: string[] = [];
    for (const block of allPages.flatMap(sourceBlocks)) {
      if (!["yaml", "yml", "json"].includes(block.lang)) continue;
      const text = block.body
        .map((l) => {
          const m = /^include::([^[]+)\[(.*)\]\s*$/.exec(l);
          return m ? readFileSync(includePath(substitute(m[1]!, attrs)), "utf8") : l;
        })
        .join("\n");
      checked++;
      try {
        if (block.lang === "json") JSON.parse(text);
        else {
          const errors = parseAllDocuments(text).flatMap((d) => ("errors" in d ? d.errors : []));
          if (errors.length) throw new Error(errors.map((e) => e.message).join("; "));
        }
      } catch (e) {
        problems.push(`${block.page}:${block.line}: ${(e as Error).message}`);
      }
    }
    assert.ok(checked >= 5, `only ${checked} YAML/JSON blocks`);
    assert.deepEqual(problems, []);
  });

  it("module 3 says which runtime class the VM's pod gets, as the app of apps deploys the HyperConverged (real kustomize)", (t) => {
    const kubectl = requireTool(t, "kubectl", "npm run tools");
    if (!kubectl) return;
    // What the VM's HyperConverged is after Module 2: the tuning change set applies the instance
    // type's HyperConverged overlay (the default install leaves its runtime class unset).
    const tuning = allPages
      .find((p) => p.name === "02-core-tuning.adoc")!
      .lines.find((l) => /^llw tune apply (?!.*--dry-run)/.test(l))!;
    assert.ok(tuning, "no tuning change set in module 2");
    const overlay = tuning.split(" ").find((w) => /\/hyperconverged$/.test(w));
    assert.ok(overlay, "module 2's tuning change set does not set the HyperConverged's runtime class");
    const app = { spec: { source: { path: substitute(overlay, attrs) } } };
    const built = execFileSync(kubectl, ["kustomize", join(ROOT, app.spec.source.path)], {
      encoding: "utf8",
    });
    const hc = parseAllDocuments(built)
      .map((d) => d.toJS() as { kind?: string; spec?: { defaultRuntimeClass?: string } })
      .find((o) => o.kind === "HyperConverged");
    assert.ok(hc, `${app.spec.source.path} deploys no HyperConverged`);
    const page = allPages.find((p) => p.name === "03-virtualization.adoc")!.lines.join("\n");
    const shown = includes(allPages.find((p) => p.name === "03-virtualization.adoc")!).map((i) =>
      substitute(i.target, attrs),
    );
    assert.ok(
      shown.some((target) => target.startsWith(`example$${app.spec.source.path}`)),
      `show what ${app.spec.source.path} deploys`,
    );
    assert.match(page, /defaultRuntimeClass/);
    const value = hc.spec?.defaultRuntimeClass;
    if (value) {
      assert.equal(
        value,
        attrs["runtime-class"],
        "the HyperConverged names another runtime class than the guide",
      );
      assert.doesNotMatch(page, /does not set `spec\.defaultRuntimeClass`/);
    } else {
      assert.match(
        page,
        /does not set `spec\.defaultRuntimeClass`/,
        "the guide must say the VM's pod gets no runtime class",
      );
      assert.doesNotMatch(page, /same runtime class/);
    }
  });

  it("the c5.metal CPU map picture shows the CPU sets the planner chooses", async () => {
    const svg = readFileSync(join(EXAMPLES, "..", "assets", "images", "c5-metal-cpu-map.svg"), "utf8");
    const plan = await runSample(SAMPLE_COMMANDS.find((s) => s.file === "profile-generate-c5.metal.txt")!);
    const reserved = /reserved: (\S+)/.exec(plan)?.[1];
    const isolated = /isolated: (\S+)/.exec(plan)?.[1];
    assert.ok(reserved && isolated, "the plan has no CPU sets");
    assert.match(svg, new RegExp(`reserved \\(housekeeping\\): ${reserved}\\b`));
    assert.match(svg, new RegExp(`isolated: ${isolated}<`));
  });

  describe("sample outputs are what the llw commands print today (npm run docs:samples regenerates them)", () => {
    for (const sample of SAMPLE_COMMANDS) {
      it(`llw ${sample.args.slice(0, 3).join(" ")} -> ${sample.file}`, async (t) => {
        if (sample.tool && !existsSync(sample.tool)) {
          if (process.env.CI) throw new Error(`${sample.tool} is required in CI (npm run tools)`);
          t.skip(`${relative(ROOT, sample.tool)} is missing: npm run tools`);
          return;
        }
        for (const [file, expected] of await sampleOutputs(sample)) {
          const actual = readFileSync(join(SAMPLES, file), "utf8");
          assert.equal(actual, expected, `${file} is out of date: run npm run docs:samples`);
        }
      });
    }
  });
});
