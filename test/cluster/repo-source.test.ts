/**
 * What Argo CD syncs from: credentials never leave the machine, the revision is pinned, and the
 * instance type is the metal workers' own or refused. Pure planners, tested directly.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseInstanceType } from "../../src/cluster/instance-type.ts";
import type { KubeObject } from "../../src/cluster/kube.ts";
import { httpsRepoUrl, pinRevision, stripCredentials } from "../../src/cluster/repo-source.ts";
import { LlwError } from "../../src/lib/errors.ts";
import { INSTANCE_TYPES } from "../../src/topology/catalog.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const TOKEN = "ghp_abcDEF1234567890abcdef1234567890ABCD";

function refused(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LlwError, String(e));
    assert.equal(e.exitCode, 2);
    assert.match(e.problems.map((p) => `${p.what} | ${p.where} | ${p.next}`).join("\n"), re);
    return true;
  });
}

describe("repository URLs", () => {
  it("httpsRepoUrl turns SSH remotes into HTTPS", () => {
    assert.equal(httpsRepoUrl("git@github.com:o/r.git"), "https://github.com/o/r.git");
    assert.equal(
      httpsRepoUrl("ssh://git@gitlab.example.com:2222/o/r.git"),
      "https://gitlab.example.com/o/r.git",
    );
    assert.equal(httpsRepoUrl("https://github.com/o/r.git"), "https://github.com/o/r.git");
  });

  it("stripCredentials removes a token, a user name and password, and a query, and says what it removed", () => {
    assert.deepEqual(stripCredentials(`https://x-access-token:${TOKEN}@github.com/o/r.git`), {
      url: "https://github.com/o/r.git",
      removed: ["user name", "password or token"],
    });
    assert.deepEqual(stripCredentials(`https://${TOKEN}@github.com/o/r.git`), {
      url: "https://github.com/o/r.git",
      removed: ["user name"],
    });
    assert.deepEqual(stripCredentials(`https://gitlab.example.com/o/r.git?private_token=${TOKEN}`), {
      url: "https://gitlab.example.com/o/r.git",
      removed: ["query"],
    });
    assert.equal(
      stripCredentials(httpsRepoUrl(`ssh://me:${TOKEN}@host.example.com/o/r.git`)).url,
      "https://host.example.com/o/r.git",
    );
  });

  it("every spelling git accepts loses its password or token, and says so: git+ssh and ssh+git, ssh with a token for a user, scp-like user:token@; an ssh user name such as git stays", () => {
    const cases: [string, string, string[]][] = [
      [`git+ssh://${TOKEN}@github.com/o/r.git`, "git+ssh://github.com/o/r.git", ["user name"]],
      [
        `ssh+git://git:${TOKEN}@github.com/o/r.git`,
        "ssh+git://git@github.com/o/r.git",
        ["password or token"],
      ],
      [`ssh://x-access-token@github.com/o/r.git`, "ssh://github.com/o/r.git", ["user name"]],
      [`me:${TOKEN}@github.com:o/r.git`, "me@github.com:o/r.git", ["password or token"]],
      [`${TOKEN}@github.com:o/r.git`, "github.com:o/r.git", ["user name"]],
      ["git@github.com:o/r.git", "git@github.com:o/r.git", []],
      ["ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git", []],
    ];
    for (const [given, url, removed] of cases)
      assert.deepEqual(stripCredentials(given), { url, removed }, given);
    // As an origin remote, each becomes the https URL Argo CD reads, the credential removed and named.
    for (const [given, , removed] of cases) {
      const r = stripCredentials(httpsRepoUrl(given));
      assert.equal(r.url, "https://github.com/o/r.git", given);
      assert.ok(!r.url.includes(TOKEN));
      if (removed.length > 0) assert.ok(r.removed.length > 0, `${given}: the warning names what was removed`);
    }
  });

  it("a clean URL is left exactly as it is", () => {
    for (const u of ["https://github.com/o/r.git", "https://git.example.com:8443/a/b", "/srv/git/r.git"])
      assert.deepEqual(stripCredentials(u), { url: u, removed: [] });
  });
});

describe("pinning the revision", () => {
  const facts = {
    head: SHA,
    headTags: [],
    isTag: (n: string) => n === "v1.2",
    commitOf: (n: string) => (n === "main" ? "f".repeat(40) : undefined),
    pushed: () => true,
  };

  it("defaults to this checkout's HEAD commit", () => {
    assert.deepEqual(pinRevision(undefined, facts), {
      revision: SHA,
      kind: "commit",
      note: `commit ${SHA} (this checkout's HEAD)`,
    });
  });

  it("keeps a full commit id and a tag; resolves a branch to the commit it names now", () => {
    assert.equal(pinRevision(SHA, facts).revision, SHA);
    assert.deepEqual(pinRevision("v1.2", facts), { revision: "v1.2", kind: "tag", note: "tag v1.2" });
    const b = pinRevision("main", facts);
    assert.equal(b.revision, "f".repeat(40));
    assert.equal(b.kind, "commit");
    assert.match(b.note, /main now/);
  });

  it("follows a branch only when asked, with a warning", () => {
    const r = pinRevision("lab-1", facts, true);
    assert.equal(r.revision, "lab-1");
    assert.equal(r.kind, "branch");
    assert.match(r.warning!, /whoever can push to it changes this cluster/);
  });

  it("refuses a name it cannot pin (exit 2) and a checkout-less default", () => {
    refused(() => pinRevision("lab-1", facts), /cannot pin revision "lab-1".*--follow-branch/s);
    refused(() => pinRevision(undefined, {}), /not a git checkout.*--revision <commit or tag>/s);
  });

  it("warns when the commit is not on the remote yet", () => {
    assert.match(
      pinRevision(undefined, { ...facts, pushed: () => false }).warning!,
      /not on any branch of the remote/,
    );
  });
});

describe("choosing the instance type", () => {
  const node = (name: string, type: string): KubeObject => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "node.kubernetes.io/instance-type": type } },
  });
  const masters = [node("m0", "m6i.xlarge"), node("m1", "m6i.xlarge")];

  for (const t of INSTANCE_TYPES.map((x) => x.name)) {
    it(`${t}: detected from the metal workers, and accepted when given`, () => {
      const nodes = [...masters, node("w0", t), node("w1", t)];
      assert.equal(chooseInstanceType(nodes, undefined, true).instanceType, t);
      assert.equal(chooseInstanceType(nodes, t, true).instanceType, t);
    });
  }

  it("refuses several metal types and none when the type is needed; says so when it is not", () => {
    const two = [...masters, node("w0", "c5.metal"), node("w1", "m5zn.metal")];
    refused(
      () => chooseInstanceType(two, undefined, true),
      /several instance types: c5\.metal .*m5zn\.metal/,
    );
    refused(
      () => chooseInstanceType(masters, undefined, true),
      /no metal worker on the cluster.*llw aws machineset/s,
    );
    assert.equal(chooseInstanceType(masters, undefined, false).instanceType, undefined);
    assert.match(chooseInstanceType(two, undefined, false).note, /several types/);
  });

  it("refuses a type the metal workers do not have, and one the catalog does not know", () => {
    refused(
      () => chooseInstanceType([...masters, node("w0", "c5.metal")], "m5zn.metal", true),
      /does not match the cluster's metal workers: c5\.metal/,
    );
    refused(() => chooseInstanceType(masters, "x9.metal", true), /unknown instance type "x9\.metal"/);
    refused(() => chooseInstanceType([node("w0", "x9.metal")], undefined, true), /catalog does not know/);
  });

  it("accepts a catalog type with no metal worker yet", () => {
    assert.equal(chooseInstanceType(masters, "m5zn.metal", true).instanceType, "m5zn.metal");
  });
});
