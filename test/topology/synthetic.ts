import type { CpuRecord } from "../../src/topology/model.ts";

/** Synthetic Intel-like numbering; with `interleave`, CPUs alternate between NUMA nodes. */
export function synthetic(
  sockets: number,
  nodesPerSocket: number,
  coresPerNode: number,
  threads: number,
  interleave: boolean,
): CpuRecord[] {
  const nodes = sockets * nodesPerSocket;
  const cores = nodes * coresPerNode;
  const recs: CpuRecord[] = [];
  for (let g = 0; g < cores; g++) {
    const node = interleave ? g % nodes : Math.floor(g / coresPerNode);
    const socket = Math.floor(node / nodesPerSocket);
    for (let th = 0; th < threads; th++) recs.push({ cpu: th * cores + g, core: g, socket, node });
  }
  return recs;
}
