/**
 * Chooses and reads the topology source a command was given: --lscpu FILE, --sysfs DIR|TGZ, or
 * --instance-type from the catalog. With an instance type and a real topology together, the
 * real topology wins and the instance type supplies the memory size and the profile name.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { UserError } from "../lib/errors.ts";
import { pathError } from "../lib/files.ts";
import { getInstanceType, type InstanceType, topologyOf } from "./catalog.ts";
import { buildTopology, type Topology } from "./model.ts";

export interface TopologySourceOptions {
  instanceType?: string;
  lscpu?: string;
  sysfs?: string;
}

export interface LoadedTopology {
  topology: Topology;
  instanceType?: InstanceType;
  /** Differences between the catalog entry and the real topology, worth telling the user. */
  notes: string[];
}

export const SOURCE_HINT =
  "give --instance-type (e.g. c5.metal), --lscpu FILE (`oc debug node/<node> -- chroot /host lscpu -p > FILE`) or --sysfs DIR|TGZ (must-gather's nodes/<node>/sysinfo.tgz)";

export async function loadTopology(opts: TopologySourceOptions, cwd: string): Promise<LoadedTopology> {
  if (opts.lscpu && opts.sysfs) {
    throw new UserError({
      what: "--lscpu and --sysfs both given",
      where: "--lscpu, --sysfs",
      next: "use one of them",
    });
  }
  const it = opts.instanceType ? getInstanceType(opts.instanceType) : undefined;
  let topology: Topology;
  if (opts.lscpu) {
    const file = resolve(cwd, opts.lscpu);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      throw pathError(e, "read", file, { flag: "--lscpu", shown: opts.lscpu });
    }
    const { parseLscpu } = await import("./lscpu.ts");
    topology = parseLscpu(text, opts.lscpu);
  } else if (opts.sysfs) {
    const { readSysfs } = await import("./sysfs.ts");
    topology = await readSysfs(resolve(cwd, opts.sysfs), opts.sysfs);
    topology.source = `sysfs: ${opts.sysfs}`;
  } else if (it) {
    return { topology: topologyOf(it), instanceType: it, notes: [] };
  } else {
    throw new UserError({ what: "no topology source given", next: SOURCE_HINT });
  }
  const notes: string[] = [];
  if (it) {
    if (topology.cpus.length + (topology.offlineCpus?.length ?? 0) !== it.vcpus) {
      notes.push(
        `${topology.source} has ${topology.cpus.length} online CPUs but ${it.name} has ${it.vcpus} vCPUs; planning for the real topology`,
      );
    }
    if (topology.memoryMiB === undefined) {
      // Re-build with the catalog's memory so hugepages can be sized.
      const records = topology.cores.flatMap((c) =>
        c.cpus.map((cpu) => ({ cpu, core: c.id, socket: c.socket, node: c.node })),
      );
      topology = buildTopology(records, {
        source: topology.source,
        memoryMiB: it.memoryGiB * 1024,
        ...(topology.offlineCpus ? { offlineCpus: topology.offlineCpus } : {}),
        ...(topology.onlineOnly ? { onlineOnly: true } : {}),
      });
      notes.push(`memory: ${it.memoryGiB} GiB from the ${it.name} catalog entry`);
    }
  }
  return { topology, ...(it ? { instanceType: it } : {}), notes };
}
