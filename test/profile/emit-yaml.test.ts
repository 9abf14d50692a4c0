import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { emitPlainYaml } from "../../src/profile/emit-yaml.ts";
import { planProfile } from "../../src/profile/plan.ts";
import { INSTANCE_TYPES, topologyOf } from "../../src/topology/catalog.ts";
import { buildTopology } from "../../src/topology/model.ts";
import { synthetic } from "../topology/synthetic.ts";

const yamlLib = (d: unknown) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false });

describe("the small YAML writer used by profile generate", () => {
  it("is byte-identical to the yaml package for every catalog profile and PPC option mix", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...INSTANCE_TYPES),
        fc.record({
          disableHt: fc.boolean(),
          rtKernel: fc.boolean(),
          powerConsumptionMode: fc.constantFrom("low-latency" as const, "ultra-low-latency" as const),
          offlinedCpuCount: fc.integer({ min: 0, max: 8 }),
          singleNode: fc.boolean(),
          userLevelNetworking: fc.boolean(),
          hugepagesPerNode: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
        }),
        (t, o) => {
          const opts = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
          const { profile } = planProfile(topologyOf(t), { instanceType: t.name, ...opts });
          const mine = emitPlainYaml(profile as unknown as Record<string, unknown>);
          assert.equal(mine, yamlLib(profile));
        },
      ),
      { numRuns: 150 },
    );
  });
  it('is byte-identical on random topologies (single reserved CPU lists like "0" get quoted)', () => {
    for (const [s, n, c, th] of [
      [1, 1, 2, 1],
      [2, 2, 3, 2],
      [1, 2, 1, 2],
    ] as const) {
      const topo = buildTopology(synthetic(s, n, c, th, false), { source: "x" });
      const { profile } = planProfile(topo, { reservedCpuCount: 1, disableHt: true });
      assert.equal(emitPlainYaml(profile as unknown as Record<string, unknown>), yamlLib(profile));
    }
  });
  it("quotes strings YAML would read as numbers, booleans or null, and round-trips", () => {
    const data = {
      a: "0",
      b: "",
      c: "true",
      d: "1.5",
      e: "0,24",
      f: { "node-role.kubernetes.io/x": "" },
      g: [1, true],
    };
    const text = emitPlainYaml(data)!;
    assert.equal(text, yamlLib(data));
    assert.deepEqual(parse(text), data);
  });
  it("declines what it does not handle, so the caller uses the yaml package", () => {
    assert.equal(emitPlainYaml({ a: "has space" }), undefined);
    assert.equal(emitPlainYaml({ a: "x: y" }), undefined);
    assert.equal(emitPlainYaml({ a: [] }), undefined);
    assert.equal(emitPlainYaml({ a: null }), undefined);
    assert.equal(emitPlainYaml({ a: 1.5 }), undefined);
  });
});
