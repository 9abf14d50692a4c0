/**
 * Technical statements of the lab guides checked against their sources: statements that were wrong
 * must not come back, and the corrected model must stay on the page with its source named.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PAGES, pages } from "./guide.ts";

const text = (name: string) => readFileSync(join(PAGES, name), "utf8").replace(/\s+/g, " ");
const all = pages()
  .map((p) => p.lines.join(" "))
  .join(" ")
  .replace(/\s+/g, " ");

describe("lab guides: technical statements match their sources", () => {
  it("module 2 follows Red Hat's CPU partitioning table: shared pods run on the isolated CPUs no Guaranteed pod holds, reserved CPUs run housekeeping", () => {
    const page = text("02-core-tuning.adoc");
    // openshift/openshift-docs modules/cnf-cpu-infra-container.adoc: "Burstable and best-effort pods:
    // Runs on any CPU except where low latency workload is running".
    assert.doesNotMatch(page, /every non-guaranteed pod/i);
    assert.doesNotMatch(page, /Burstable pod never lands on isolated CPUs/i);
    assert.match(page, /openshift\/openshift-docs.{0,20}modules\/cnf-cpu-infra-container\.adoc/);
    assert.match(page, /\| Burstable and BestEffort pods.*\| Any CPU that no latency-sensitive pod holds/);
    assert.match(page, /strict-cpu-reservation/);
    assert.match(page, /at least one whole core per NUMA node/);
  });

  it("module 4 does not claim the data network carries the cluster tag (the template leaves it out on purpose)", () => {
    const template = readFileSync(
      join(import.meta.dirname, "../../infra/aws/cloudformation/data-network.yaml"),
      "utf8",
    );
    assert.doesNotMatch(template, /Key: kubernetes\.io\/cluster/);
    const page = text("04-aws-tuning.adoc");
    assert.doesNotMatch(page, /taggable resource carries the cluster tag/);
    assert.match(page, /deliberately \*not\* the cluster tag/);
  });

  it("no guide looks for EFA device IDs where EFA cannot appear (/sys/class/net lists network interfaces only)", () => {
    const page = readFileSync(join(PAGES, "04-aws-tuning.adoc"), "utf8");
    for (const block of page.split(/^----$/m).filter((_, i) => i % 2 === 1)) {
      if (/\/sys\/class\/net/.test(block)) assert.doesNotMatch(block, /vendor|device\)/);
    }
    assert.match(page, /\/sys\/bus\/pci\/devices/);
  });

  it("no guide names a percentile that no tool reports (P99.99) or expects a verdict on a one-run maximum", () => {
    assert.doesNotMatch(all, /P99\.9/);
    // One run per side: `llw bench compare` gives a run's maximum no verdict, "not tested" (README,
    // "Test, change, re-test"; src/results/compare.ts).
    assert.doesNotMatch(text("05-validation.adoc"), /the maximum and the P99 \*improved\*/);
    assert.match(text("05-validation.adoc"), /`max` rows say \*not tested\*/);
  });

  it("a metal instance's cost is stated where one is created and on the welcome page", () => {
    assert.match(text("00-welcome.adoc"), /WARNING:.*metal.*per hour/i);
    assert.match(text("04-aws-tuning.adoc"), /WARNING:.*metal.*per hour/i);
  });
});
