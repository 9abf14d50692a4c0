/** Writes a sysfs snapshot (sys/devices/system/{cpu,node}) for a host, as a directory or .tar.gz. */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "tar";
import { formatCpuList } from "../../src/lib/cpuset.ts";
import type { CpuRecord } from "../../src/topology/model.ts";

export interface SysfsHost {
  cpus: CpuRecord[];
  offline?: number[];
  nodeMemoryKiB?: Record<number, number>;
  /** Leave out sys/devices/system/node (missing NUMA info). */
  noNodes?: boolean;
}

export async function writeSysfsDir(host: SysfsHost, root?: string): Promise<string> {
  const dir = root ?? (await mkdtemp(join(tmpdir(), "llw-sysfs-")));
  const sys = join(dir, "sys", "devices", "system");
  const online = host.cpus.map((c) => c.cpu);
  await mkdir(join(sys, "cpu"), { recursive: true });
  await writeFile(join(sys, "cpu", "online"), `${formatCpuList(online)}\n`);
  for (const c of host.cpus) {
    const t = join(sys, "cpu", `cpu${c.cpu}`, "topology");
    await mkdir(t, { recursive: true });
    await writeFile(join(t, "core_id"), `${c.core}\n`);
    await writeFile(join(t, "physical_package_id"), `${c.socket}\n`);
    await writeFile(join(sys, "cpu", `cpu${c.cpu}`, "online"), "1\n");
  }
  for (const cpu of host.offline ?? []) {
    await mkdir(join(sys, "cpu", `cpu${cpu}`), { recursive: true });
    await writeFile(join(sys, "cpu", `cpu${cpu}`, "online"), "0\n");
  }
  if (!host.noNodes) {
    const nodes = [...new Set(host.cpus.map((c) => c.node ?? 0))];
    for (const n of nodes) {
      const nd = join(sys, "node", `node${n}`);
      await mkdir(nd, { recursive: true });
      await writeFile(
        join(nd, "cpulist"),
        `${formatCpuList(host.cpus.filter((c) => c.node === n).map((c) => c.cpu))}\n`,
      );
      const kib = host.nodeMemoryKiB?.[n];
      if (kib !== undefined)
        await writeFile(
          join(nd, "meminfo"),
          `Node ${n} MemTotal:       ${kib} kB\nNode ${n} MemFree: 1 kB\n`,
        );
    }
  }
  return dir;
}

/** A .tar.gz like must-gather's sysinfo.tgz (paths start with sys/). */
export async function writeSysfsTgz(host: SysfsHost): Promise<string> {
  const dir = await writeSysfsDir(host);
  const file = join(dir, "sysinfo.tgz");
  await create({ gzip: true, file, cwd: dir }, ["sys"]);
  return file;
}
