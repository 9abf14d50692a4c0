/**
 * `llw topology show`: the CPU topology of an instance type, an lscpu capture or a sysfs
 * snapshot, as a CPU map (per NUMA node and socket, cores with their sibling threads) or as data.
 */
import type { Context } from "../lib/context.ts";
import { loadTopology } from "../topology/load.ts";
import { renderCpuMap } from "../topology/render.ts";

export interface TopologyShowOptions {
  instanceType?: string;
  lscpu?: string;
  sysfs?: string;
  output?: string;
}

export async function run(opts: TopologyShowOptions, ctx: Context): Promise<number> {
  const { topology, instanceType, notes } = await loadTopology(opts, ctx.cwd);
  if (opts.output === "json" || opts.output === "yaml") {
    const data = { topology, ...(instanceType ? { instanceType } : {}) };
    if (opts.output === "json") ctx.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else {
      const { stringify } = await import("yaml");
      ctx.stdout.write(stringify(data, { lineWidth: 0, aliasDuplicateObjects: false }));
    }
    return 0;
  }
  ctx.stdout.write(renderCpuMap(topology, ctx.colors));
  if (instanceType) {
    const t = instanceType;
    ctx.stdout.write(
      `\n${t.name}: ${t.cpuModel}, ${t.memoryGiB} GiB, network ${t.networkPerformance}, ENA ${t.enaSupport}, EFA ${
        t.efaSupported === null ? "see DescribeInstanceTypes" : t.efaSupported ? "yes" : "no"
      }, up to ${t.maxNetworkInterfaces} network interfaces\n`,
    );
    ctx.stdout.write(`sources:\n${t.sources.map((s) => `  - ${s}`).join("\n")}\n`);
  }
  for (const n of notes) ctx.stdout.write(`note: ${n}\n`);
  return 0;
}
