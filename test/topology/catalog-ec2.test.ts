/**
 * Cross-checks the catalog against DescribeInstanceTypes as served by the EC2 emulator
 * (moto_server), whose instance-type data is a copy of the real EC2 API's answers. moto does not
 * know i3.metal, so that entry is checked only for internal consistency.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type _InstanceType, DescribeInstanceTypesCommand, type InstanceTypeInfo } from "@aws-sdk/client-ec2";
import { INSTANCE_TYPES } from "../../src/topology/catalog.ts";
import { MOTO_INSTALL_HINT, type Moto, startMoto } from "../helpers/moto.ts";
import { requireTool } from "../helpers/tools.ts";

describe("catalog vs the EC2 API's DescribeInstanceTypes (EC2 emulator: moto_server)", () => {
  let moto: Moto | undefined;
  const api = new Map<string, InstanceTypeInfo>();
  before(async () => {
    if (!process.env.CI && !(await import("../helpers/tools.ts")).which("moto_server")) return;
    moto = await startMoto();
    for (const t of INSTANCE_TYPES) {
      try {
        const r = await moto
          .ec2()
          .send(new DescribeInstanceTypesCommand({ InstanceTypes: [t.name as _InstanceType] }));
        for (const i of r.InstanceTypes ?? []) api.set(i.InstanceType!, i);
      } catch {
        // unknown to the emulator (i3.metal): checked below
      }
    }
  });
  after(async () => moto?.stop());

  for (const t of INSTANCE_TYPES) {
    it(`${t.name}: vCPUs, cores, threads, memory, network, ENA, EFA and interfaces match the API`, (tc) => {
      if (!requireTool(tc, "moto_server", MOTO_INSTALL_HINT)) return;
      assert.equal(t.cores * t.threadsPerCore, t.vcpus);
      assert.equal(t.cores % t.sockets, 0);
      const info = api.get(t.name);
      if (!info) {
        assert.equal(t.name, "i3.metal", `${t.name} is unknown to the EC2 emulator`);
        tc.diagnostic("i3.metal is not in moto's data; only internal consistency checked");
        return;
      }
      assert.equal(info.BareMetal, true);
      assert.equal(info.VCpuInfo?.DefaultVCpus, t.vcpus);
      assert.equal(info.VCpuInfo?.DefaultCores, t.cores);
      assert.equal(info.VCpuInfo?.DefaultThreadsPerCore, t.threadsPerCore);
      assert.equal(info.MemoryInfo?.SizeInMiB, t.memoryGiB * 1024);
      assert.equal(info.NetworkInfo?.NetworkPerformance, t.networkPerformance);
      assert.equal(info.NetworkInfo?.EnaSupport, t.enaSupport);
      assert.equal(info.NetworkInfo?.MaximumNetworkInterfaces, t.maxNetworkInterfaces);
      if (t.efaSupported !== null) assert.equal(info.NetworkInfo?.EfaSupported ?? false, t.efaSupported);
      else tc.diagnostic(`EfaSupported per the API: ${info.NetworkInfo?.EfaSupported}`);
    });
  }
});
