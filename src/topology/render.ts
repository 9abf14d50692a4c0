/**
 * The human CPU map: per NUMA node (and its socket), every physical core with its SMT sibling
 * threads, optionally marked reserved / isolated / offlined. Used by `llw topology show` and, on
 * a terminal, by `llw profile generate`.
 */

import type { Colors } from "../lib/color.ts";
import { formatCpuList } from "../lib/cpuset.ts";
import { describeTopology, type Topology } from "./model.ts";

export interface CpuRoles {
  reserved: number[];
  isolated: number[];
  offlined: number[];
}

type Role = "reserved" | "isolated" | "offlined" | "none";
const MARK: Record<Role, string> = { reserved: "R", isolated: "I", offlined: "O", none: "-" };

function gib(mib: number): string {
  const g = mib / 1024;
  return `${Number.isInteger(g) ? g : g.toFixed(1)} GiB`;
}

export function renderCpuMap(t: Topology, c: Colors, roles?: CpuRoles, width = 100): string {
  const role = new Map<number, Role>();
  if (roles) {
    for (const x of roles.reserved) role.set(x, "reserved");
    for (const x of roles.isolated) role.set(x, "isolated");
    for (const x of roles.offlined) role.set(x, "offlined");
  }
  const paint = (r: Role, s: string) =>
    r === "reserved" ? c.yellow(s) : r === "isolated" ? c.green(s) : r === "offlined" ? c.dim(s) : c.dim(s);
  const lines: string[] = [`${c.bold(t.source)}: ${describeTopology(t)}`];
  if (t.offlineCpus) lines.push(`offline now: ${formatCpuList(t.offlineCpus)}`);
  const labelWidth = Math.max(...t.cores.map((k) => k.cpus.join(",").length));
  const markWidth = t.threadsPerCore;
  const cell = labelWidth + (roles ? markWidth + 3 : 2);
  const perRow = Math.max(1, Math.floor((width - 2) / cell));
  for (const n of t.numaNodes) {
    const sockets = [...new Set(n.cores.map((k) => k.socket))];
    const facts = [
      `socket ${sockets.join(",")}`,
      `${n.cores.length} cores`,
      `CPUs ${formatCpuList(n.cpus)}`,
      ...(n.memoryMiB !== undefined ? [gib(n.memoryMiB)] : []),
    ];
    lines.push("", `${c.bold(`NUMA node ${n.id}`)}  ${facts.join("  ")}`);
    for (let i = 0; i < n.cores.length; i += perRow) {
      const row = n.cores.slice(i, i + perRow).map((k) => {
        const rs = k.cpus.map((x) => role.get(x) ?? "none");
        const r: Role = rs[0]!;
        const label = k.cpus.join(",").padEnd(labelWidth);
        if (!roles) return `${label}  `;
        // A core whose threads have different roles shows each thread's mark.
        const mark = rs.every((x) => x === rs[0]) ? MARK[r] : rs.map((x) => MARK[x]).join("");
        return paint(r, `${mark.padEnd(markWidth)} ${label}  `);
      });
      lines.push(`  ${row.join("").trimEnd()}`);
    }
  }
  if (roles) {
    lines.push(
      "",
      `${c.yellow("R")} reserved ${formatCpuList(roles.reserved)}   ${c.green("I")} isolated ${formatCpuList(roles.isolated)}${
        roles.offlined.length ? `   ${c.dim("O")} offlined ${formatCpuList(roles.offlined)}` : ""
      }${role.size < t.cpus.length ? `   - in no set (e.g. taken offline by nosmt)` : ""}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
