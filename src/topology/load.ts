/**
 * Chooses and reads the topology source a command was given: --lscpu FILE, --sysfs DIR|TGZ, or
 * --instance-type from the catalog. With an instance type and a real topology together, the
 * real topology wins and the instance type supplies the memory size and the profile name.
 */
import { resolve } from "node:path";
import { UserError } from "../lib/errors.ts";
import { readInputText } from "../lib/input.ts";
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
    const text = await readInputText(file, "lscpu", { flag: "--lscpu", shown: opts.lscpu });
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
    const flag = opts.lscpu ? `--lscpu ${opts.lscpu}` : `--sysfs ${opts.sysfs}`;
    const note = checkAgainstCatalog(topology, it, flag);
    if (note) notes.push(note);
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

/**
 * A real topology given with --instance-type must be a node of that type: one that contradicts
 * it (another socket count, another CPU count, other memory) is an error, not a silent merge of
 * two machines. Fewer online CPUs with every core present is a node with SMT off or siblings
 * offline, and only noted. Sub-NUMA clustering can show more NUMA nodes: not a contradiction.
 */
export function checkAgainstCatalog(topology: Topology, it: InstanceType, flag: string): string | undefined {
  const online = topology.cpus.length;
  const total = online + (topology.offlineCpus?.length ?? 0);
  const cores = topology.cores.length;
  const has = `${topology.sockets.length} socket${topology.sockets.length === 1 ? "" : "s"}, ${cores} cores and ${online} online CPUs${topology.onlineOnly ? "" : ` (${total} in all)`}`;
  const want = `${it.sockets} sockets, ${it.cores} cores and ${it.vcpus} vCPUs`;
  const problems: string[] = [];
  if (topology.sockets.length !== it.sockets) problems.push("socket count");
  if (topology.onlineOnly) {
    if (online > it.vcpus) problems.push("CPU count");
    else if (online < it.vcpus && cores !== it.cores) problems.push("core count");
  } else if (total !== it.vcpus) problems.push("CPU count");
  if (topology.memoryMiB !== undefined) {
    const ratio = topology.memoryMiB / (it.memoryGiB * 1024);
    // A node reports less than its nominal memory (firmware and kernel reservations), never much less.
    if (ratio < 0.8 || ratio > 1.05)
      problems.push(`memory (${Math.round(topology.memoryMiB / 1024)} GiB vs ${it.memoryGiB} GiB)`);
  }
  if (problems.length > 0) {
    throw new UserError({
      what: `${flag.split(" ")[0]} contradicts --instance-type ${it.name} (${problems.join(", ")}): it has ${has}; a ${it.name} has ${want}`,
      where: `${flag}, --instance-type ${it.name}`,
      next: `check that the capture comes from a ${it.name} node; if CPUs are offline there, capture with \`lscpu -e=CPU,NODE,SOCKET,CORE,ONLINE\` (it lists offline CPUs too); or leave out --instance-type to plan for the capture alone`,
    });
  }
  if (online < it.vcpus)
    return `${topology.source} has ${online} online CPUs but ${it.name} has ${it.vcpus} vCPUs; planning for the real topology (SMT off, or siblings offline)`;
  return undefined;
}
