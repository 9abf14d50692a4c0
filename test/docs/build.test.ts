import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { ROOT } from "../helpers/tools.ts";
import { pages } from "./guide.ts";
import { buildSite, htmlFiles } from "./site.ts";

describe("lab guides: the Antora build", () => {
  let site: ReturnType<typeof buildSite>;
  before(() => {
    site = buildSite();
  });
  after(() => rmSync(site.dir, { recursive: true, force: true }));

  it("builds offline with the workshop's UI and no warning at all", () => {
    assert.equal(site.status, 0, site.output);
    assert.doesNotMatch(site.output, /\b(WARN|ERROR|FATAL)\b/, site.output);
  });

  it("publishes one HTML page per AsciiDoc page, the start page and the UI assets", () => {
    const files = htmlFiles(site.dir);
    for (const p of pages()) {
      assert.ok(
        files.includes(`modules/${p.name.replace(/\.adoc$/, ".html")}`),
        `${p.name} was not published`,
      );
    }
    assert.ok(files.includes("index.html"), "no site start page");
    for (const asset of ["_/css/site.css", "_/js/site.js", "_/img/favicon.svg"]) {
      assert.ok(existsSync(join(site.dir, asset)), `${asset} missing from the site`);
    }
    const welcome = readFileSync(join(site.dir, "modules", "00-welcome.html"), "utf8");
    assert.match(welcome, /<nav class="nav"/, "the page has no navigation");
    assert.match(welcome, /_\/css\/site\.css/);
  });
});

describe("lab guides: the Showroom playbook", () => {
  it("builds the same component and start page as the offline playbook, with Showroom's UI bundle", () => {
    const offline = parse(readFileSync(join(ROOT, "antora-playbook.yml"), "utf8"));
    const showroom = parse(readFileSync(join(ROOT, "antora-playbook-showroom.yml"), "utf8"));
    assert.deepEqual(showroom.content, offline.content);
    assert.equal(showroom.site.start_page, offline.site.start_page);
    assert.match(showroom.ui.bundle.url, /^https:\/\/github\.com\/rhpds\/.*ui-bundle\.zip$/);
    assert.equal(showroom.runtime.log.failure_level, "warn");
    assert.equal(showroom.asciidoc.attributes["attribute-missing"], "warn");
  });
});

/**
 * The build must fail on any warning. Each case copies the component, the UI and the playbook into a
 * fresh git repository (as a clone would be), breaks one thing, and runs the real Antora CLI.
 */
describe("lab guides: the build fails on warnings (in a plain clone)", () => {
  const antora = join(ROOT, "node_modules", "@antora", "cli", "bin", "antora");

  function buildBroken(breakage: string): { status: number | null; output: string } {
    const repo = mkdtempSync(join(tmpdir(), "llw-docs-repo-"));
    try {
      for (const entry of ["content", "docs-ui", "antora-playbook.yml", "gitops", "benchmarks", "infra"]) {
        if (existsSync(join(ROOT, entry)))
          cpSync(join(ROOT, entry), join(repo, entry), { recursive: true, verbatimSymlinks: true });
      }
      if (breakage)
        appendFileSync(
          join(repo, "content", "modules", "ROOT", "pages", "06-conclusion.adoc"),
          `\n${breakage}\n`,
        );
      const git = (...args: string[]) =>
        spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
          cwd: repo,
          encoding: "utf8",
        });
      git("init", "-q", "-b", "main");
      git("add", "-A");
      git("commit", "-q", "-m", "guides");
      const r = spawnSync(process.execPath, [antora, "--to-dir", join(repo, "site"), "antora-playbook.yml"], {
        cwd: repo,
        encoding: "utf8",
      });
      return { status: r.status, output: `${r.stdout}${r.stderr}` };
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  }

  it("the unmodified guides build from a plain clone", () => {
    const r = buildBroken("");
    assert.equal(r.status, 0, r.output);
  });

  it("a broken cross reference fails the build", () => {
    const r = buildBroken("See xref:no-such-page.adoc[the missing page].");
    assert.notEqual(r.status, 0);
    assert.match(r.output, /target of xref not found: no-such-page\.adoc/);
  });

  it("a missing include fails the build", () => {
    const r = buildBroken("include::example$no-such-file.yaml[]");
    assert.notEqual(r.status, 0);
    assert.match(r.output, /target of include not found: example\$no-such-file\.yaml/);
  });

  it("an unknown attribute fails the build", () => {
    const r = buildBroken("Your token is {no-such-attribute}.");
    assert.notEqual(r.status, 0);
    assert.match(r.output, /skipping reference to missing attribute: no-such-attribute/);
  });
});
