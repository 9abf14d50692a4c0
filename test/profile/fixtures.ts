/**
 * Topologies from the Performance Profile Creator's own unit tests
 * (openshift/cluster-node-tuning-operator pkg/performanceprofile/profilecreator/profilecreator_test.go),
 * so the expected CPU sets below are PPC's, not ours.
 */
import { buildTopology, type CpuRecord, type Topology } from "../../src/topology/model.ts";

/**
 * "16 cores, 32 threads, 2 sockets, 4 NUMA zones": core i on socket 0 has CPUs i and i+8; core
 * 8+i on socket 1 has CPUs 16+i and 24+i; NUMA nodes hold 4 cores each.
 */
export function ppcSimple(): Topology {
  const records: CpuRecord[] = [];
  for (let core = 0; core < 16; core++) {
    const socket = core < 8 ? 0 : 1;
    const base = socket === 0 ? core : 16 + (core - 8);
    const node = Math.floor(core / 4);
    for (const cpu of [base, base + 8]) records.push({ cpu, core, socket, node });
  }
  return buildTopology(records, { source: "ppc-simple" });
}

/**
 * PPC's must-gather "bare-metal" worker1: 2 sockets, 40 cores, 80 CPUs, interleaved NUMA (even
 * CPUs on node/socket 0, odd on node/socket 1), siblings N and N+40.
 */
export function ppcBareMetal(): Topology {
  const records: CpuRecord[] = [];
  for (let socket = 0; socket < 2; socket++) {
    for (let k = 0; k < 20; k++) {
      const first = 2 * k + socket;
      for (const cpu of [first, first + 40]) records.push({ cpu, core: k, socket, node: socket });
    }
  }
  return buildTopology(records, { source: "ppc-bare-metal" });
}

/** A host with SMT off: 2 sockets x 8 cores, one thread each, NUMA per socket. */
export function smtOff(): Topology {
  const records: CpuRecord[] = [];
  for (let cpu = 0; cpu < 16; cpu++)
    records.push({ cpu, core: cpu, socket: cpu < 8 ? 0 : 1, node: cpu < 8 ? 0 : 1 });
  return buildTopology(records, { source: "smt-off", memoryMiB: 64 * 1024 });
}
