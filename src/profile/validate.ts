/**
 * Offline validation of a PerformanceProfile: the rules the Node Tuning Operator's admission
 * webhook enforces (pkg/apis/performanceprofile/v2/performanceprofile_validation.go, with its
 * wording), and checks against a host topology that the webhook cannot make (CPU ids exist,
 * every CPU is in a set, siblings are not split, hugepages fit). Schema validity against the
 * CRD is checked separately (src/schema/crd.ts). Pure: returns every finding.
 */
import { intersectCpus, parseCpuList } from "../lib/cpuset.ts";
import { LlwError } from "../lib/errors.ts";
import type { Topology } from "../topology/model.ts";
import { validateAgainstTopology } from "./validate-topology.ts";

export interface Finding {
  severity: "error" | "warning";
  /** JSON path in the object, e.g. spec.cpu.isolated. */
  path: string;
  message: string;
  /** Which rules found it: the admission webhook's, or checks against the host topology. */
  source: "webhook" | "topology";
}

export interface ValidateOptions {
  /** Allow a core's SMT siblings to be split between reserved and isolated. */
  allowSplitCores?: boolean;
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** x86 (every workshop instance type): the webhook's x86 lists. */
const X86_HUGEPAGE_SIZES = ["2M", "1G"];
const TOPOLOGY_POLICIES = ["none", "best-effort", "restricted", "single-numa-node"];

/** Go's %v of an []int, as the webhook prints overlaps: [0 1 2]. */
const goInts = (xs: number[]) => `[${xs.join(" ")}]`;

export function validateProfile(obj: unknown, topology?: Topology, opts: ValidateOptions = {}): Finding[] {
  const out: Finding[] = [];
  const err = (path: string, message: string) =>
    out.push({ severity: "error", path, message, source: "webhook" });
  const warn = (path: string, message: string) =>
    out.push({ severity: "warning", path, message, source: "webhook" });
  const topoErr = (path: string, message: string) =>
    out.push({ severity: "error", path, message, source: "topology" });
  const topoWarn = (path: string, message: string) =>
    out.push({ severity: "warning", path, message, source: "topology" });
  if (!isObj(obj)) {
    err("", "not a YAML/JSON object");
    return out;
  }
  if (obj.apiVersion !== "performance.openshift.io/v2" || obj.kind !== "PerformanceProfile") {
    const msg = `expected apiVersion performance.openshift.io/v2 and kind PerformanceProfile, found ${String(obj.apiVersion)} ${String(obj.kind)}`;
    if (obj.kind === "PerformanceProfile") warn("apiVersion", `${msg} (v1 and v1alpha1 are deprecated)`);
    else err("kind", msg);
  }
  if (!isObj(obj.metadata) || typeof obj.metadata.name !== "string" || obj.metadata.name === "") {
    err("metadata.name", "metadata.name is required");
  }
  const spec = isObj(obj.spec) ? obj.spec : undefined;
  if (!spec) {
    err("spec", "spec is required");
    return out;
  }
  const sets = validateCpus(spec, err);
  validateSelectors(spec, err);
  const pages = validateHugepages(spec, err);
  if (spec.kernelPageSize !== undefined && spec.kernelPageSize !== "4k") {
    err("spec.kernelPageSize", "KernelPageSize should be equal to one of: 4k");
  }
  const numa = isObj(spec.numa) ? spec.numa : undefined;
  if (numa?.topologyPolicy !== undefined && !TOPOLOGY_POLICIES.includes(String(numa.topologyPolicy))) {
    err("spec.numa.topologyPolicy", "unrecognized value for topologyPolicy");
  }
  validateNet(spec, err);
  validateHints(spec, err);
  validateHardwareTuning(spec, err);
  if (topology && sets) validateAgainstTopology(spec, sets, pages, topology, opts, topoErr, topoWarn);
  return out.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
}

export type Emit = (path: string, message: string) => void;
export type CpuSetsByName = Map<string, number[]>;

function validateCpus(spec: Obj, err: Emit): CpuSetsByName | undefined {
  const cpu = spec.cpu;
  if (!isObj(cpu)) {
    err("spec.cpu", "cpu section required");
    return undefined;
  }
  if (cpu.isolated === undefined || cpu.isolated === null) err("spec.cpu.isolated", "isolated CPUs required");
  if (cpu.reserved === undefined || cpu.reserved === null) err("spec.cpu.reserved", "reserved CPUs required");
  const sets: CpuSetsByName = new Map();
  for (const name of ["reserved", "isolated", "offlined", "shared"]) {
    const v = cpu[name];
    if (v === undefined || v === null) continue;
    try {
      sets.set(name, parseCpuList(String(v)));
    } catch (e) {
      err(`spec.cpu.${name}`, e instanceof LlwError ? e.problems[0]!.what : String(e));
    }
  }
  if (cpu.reserved == null || cpu.isolated == null || !sets.has("reserved") || !sets.has("isolated")) {
    return sets;
  }
  if (sets.get("reserved")!.length === 0) err("spec.cpu.reserved", "reserved CPUs can not be empty");
  if (sets.get("isolated")!.length === 0) err("spec.cpu.isolated", "isolated CPUs can not be empty");
  const names = [...sets.keys()];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const overlap = intersectCpus(sets.get(names[i]!)!, sets.get(names[j]!)!);
      if (overlap.length > 0) err("spec.cpu", `${names[i]} and ${names[j]} cpus overlap: ${goInts(overlap)}`);
    }
  }
  return sets;
}

function validateSelectors(spec: Obj, err: Emit): void {
  const count = (v: unknown) => (isObj(v) ? Object.keys(v).length : 0);
  if (count(spec.machineConfigLabel) > 1) {
    err("spec.machineConfigLabel", "you should provide only 1 MachineConfigLabel");
  }
  if (count(spec.machineConfigPoolSelector) > 1) {
    err("spec.machineConfigPoolSelector", "you should provide only 1 MachineConfigPoolSelector");
  }
  if (spec.nodeSelector === undefined || spec.nodeSelector === null) {
    err("spec.nodeSelector", "the nodeSelector required");
  }
  if (count(spec.nodeSelector) > 1) err("spec.nodeSelector", "you should provide ony 1 NodeSelector");
  if (spec.machineConfigLabel == null || spec.machineConfigPoolSelector == null) {
    const key = isObj(spec.nodeSelector) ? (Object.keys(spec.nodeSelector).sort()[0] ?? "") : "";
    if (key.split("/").length !== 2) {
      err(
        "spec.nodeSelector",
        "machineConfigLabels or machineConfigPoolSelector are not set, but we can not set it automatically because of an invalid NodeSelector label key that can't be split into domain/role",
      );
    }
  }
}

export interface Page {
  size: string;
  count: number;
  node?: number;
}

function validateHugepages(spec: Obj, err: Emit): Page[] {
  const hp = spec.hugepages;
  if (!isObj(hp)) return [];
  if (
    hp.defaultHugepagesSize !== undefined &&
    !X86_HUGEPAGE_SIZES.includes(String(hp.defaultHugepagesSize))
  ) {
    err("spec.hugepages.defaultHugepagesSize", `hugepages default size should be equal to one of [2M 1G]`);
  }
  const pages: Page[] = Array.isArray(hp.pages)
    ? hp.pages.filter(isObj).map((p) => ({
        size: String(p.size),
        count: Number(p.count ?? 0),
        ...(p.node === undefined || p.node === null ? {} : { node: Number(p.node) }),
      }))
    : [];
  pages.forEach((page, i) => {
    if (!X86_HUGEPAGE_SIZES.includes(page.size)) {
      err(`spec.hugepages.pages[${i}].size`, "the page size should be equal to one of [2M 1G]");
    }
    for (const p of pages.slice(i + 1)) {
      if (p.size !== page.size || (page.node === undefined) !== (p.node === undefined)) continue;
      if (page.node === undefined) {
        err(
          "spec.hugepages.pages",
          `the page with the size "${page.size}" and without the specified NUMA node, has duplication`,
        );
      } else if (page.node === p.node) {
        err(
          "spec.hugepages.pages",
          `the page with the size "${page.size}" and with specified NUMA node ${page.node}, has duplication`,
        );
      }
    }
  });
  return pages;
}

function validateNet(spec: Obj, err: Emit): void {
  const net = spec.net;
  if (!isObj(net)) return;
  const cpu = isObj(spec.cpu) ? spec.cpu : {};
  if (net.userLevelNetworking === true && cpu.reserved == null) {
    err("spec.net", "can not set network devices queues count without specifying spec.cpu.reserved");
  }
  const hex16 = (v: string) => /^0x[0-9a-fA-F]+$/.test(v) && v.length < 7;
  const devices = Array.isArray(net.devices) ? net.devices.filter(isObj) : [];
  devices.forEach((d, i) => {
    const path = `spec.net.devices[${i}]`;
    if (d.interfaceName === "") err(path, "device name cannot be empty");
    if (d.vendorID !== undefined && !hex16(String(d.vendorID))) {
      err(
        path,
        `device vendor ID ${String(d.vendorID)} has an invalid format. Vendor ID should be represented as 0x<4 hexadecimal digits> (16 bit representation)`,
      );
    }
    if (d.deviceID !== undefined && !hex16(String(d.deviceID))) {
      err(
        path,
        `device model ID ${String(d.deviceID)} has an invalid format. Model ID should be represented as 0x<4 hexadecimal digits> (16 bit representation)`,
      );
    }
    if (d.deviceID !== undefined && d.vendorID === undefined) {
      err(path, "device model ID can not be used without specifying the device vendor ID.");
    }
  });
}

function validateHints(spec: Obj, err: Emit): void {
  const hints = spec.workloadHints;
  if (!isObj(hints)) return;
  const rt = isObj(spec.realTimeKernel) ? spec.realTimeKernel : {};
  if (rt.enabled === true && hints.realTime === false) {
    err(
      "spec.workloadHints.realTime",
      "realtime kernel is enabled, but realtime workload hint is explicitly disable",
    );
  }
  if (hints.highPowerConsumption === true && hints.perPodPowerManagement === true) {
    err(
      "spec.workloadHints.HighPowerConsumption",
      "Invalid WorkloadHints configuration: HighPowerConsumption and PerPodPowerManagement can not be both enabled",
    );
  }
  const cpu = isObj(spec.cpu) ? spec.cpu : {};
  if (hints.mixedCpus === true && (cpu.shared == null || cpu.shared === "")) {
    err(
      "spec.workloadHints.MixedCpus",
      "Invalid WorkloadHints configuration: MixedCpus enabled but no shared CPUs were specified",
    );
  }
}

function validateHardwareTuning(spec: Obj, err: Emit): void {
  const hw = spec.hardwareTuning;
  if (!isObj(hw)) return;
  if (hw.isolatedCpuFreq == null || hw.reservedCpuFreq == null) {
    err("spec.hardwareTuning", "both isolated and reserved cpu frequency must be declared");
    return;
  }
  if (hw.isolatedCpuFreq === 0)
    err("spec.hardwareTuning.isolatedCpuFreq", "isolated cpu frequency can not be equal to 0");
  if (hw.reservedCpuFreq === 0)
    err("spec.hardwareTuning.reservedCpuFreq", "reserved cpu frequency can not be equal to 0");
}

/**
 * The webhook's validateNodeSelectorDuplication for profiles created together, in order: a
 * profile whose nodeSelector equals (Go's reflect.DeepEqual) that of an earlier profile with
 * another name is refused, as the webhook refuses it against the profiles already in the
 * cluster. A later document with the same name is an update of the same profile, not a clash.
 * Returns the index of each refused profile with the finding.
 */
export function validateNodeSelectorDuplication(objs: unknown[]): (Finding & { index: number })[] {
  const out: (Finding & { index: number })[] = [];
  // Profiles created so far, by name: a later document with the same name replaces its selector.
  const seen = new Map<string, string>();
  objs.forEach((obj, index) => {
    if (!isObj(obj)) return;
    const name = isObj(obj.metadata) ? String(obj.metadata.name ?? "") : "";
    const spec = isObj(obj.spec) ? obj.spec : {};
    const selector = canonical(spec.nodeSelector);
    for (const [otherName, otherSelector] of seen) {
      if (otherName === name || otherSelector !== selector) continue;
      out.push({
        index,
        severity: "error",
        path: "spec.nodeSelector",
        message: `the profile has the same node selector as the performance profile "${otherName}"`,
        source: "webhook",
      });
    }
    seen.set(name, selector);
  });
  return out;
}

/** A value as JSON with sorted keys, so that equal maps compare equal (undefined stays distinct from {}). */
function canonical(v: unknown): string {
  if (v === undefined) return "undefined";
  if (!isObj(v)) return JSON.stringify(v);
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
    .join(",")}}`;
}
