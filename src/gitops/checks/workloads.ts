/**
 * Checks of the pods and VMs the labs run against the tuning they rely on: a pod that uses a
 * performance runtime class has its PerformanceProfile in the tree, is Guaranteed with whole
 * CPUs (otherwise the CPU manager never gives it isolated CPUs), and asks only for hugepage sizes
 * the profile allocates; a low-latency VM's CPU and memory settings are consistent and its
 * hugepages exist; every VM can boot.
 */
import {
  type Check,
  finding,
  get,
  isObj,
  type Json,
  type LintFinding,
  type LintObject,
  nameOf,
} from "../model.ts";
import { parseQuantity, profilePageSize } from "./quantity.ts";

export const CRIO_ANNOTATIONS = [
  "cpu-load-balancing.crio.io",
  "cpu-quota.crio.io",
  "irq-load-balancing.crio.io",
] as const;
export const RUNTIME_CLASS_PREFIX = "performance-";

interface PodTemplate {
  spec: Json;
  metadata: Json;
  /** JSON path of the pod spec inside the object. */
  at: string;
}

/** The pod spec inside a Pod or a workload controller. */
export function podTemplate(o: Json): PodTemplate | undefined {
  const kind = o.kind;
  const pick = (path: string): PodTemplate | undefined => {
    const t = get(o, path);
    if (!isObj(t) || !isObj(t.spec)) return undefined;
    return { spec: t.spec, metadata: isObj(t.metadata) ? t.metadata : {}, at: `${path}.spec` };
  };
  if (kind === "Pod")
    return isObj(o.spec)
      ? { spec: o.spec, metadata: isObj(o.metadata) ? o.metadata : {}, at: "spec" }
      : undefined;
  if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(String(kind))) {
    return pick("spec.template");
  }
  if (kind === "CronJob") return pick("spec.jobTemplate.spec.template");
  return undefined;
}

/** PerformanceProfiles in the tree by name: hugepage sizes and node selector. */
export interface ProfileFacts {
  pageSizes: Set<string>;
  nodeSelector: Record<string, string>;
}

export function profilesOf(objects: LintObject[]): Map<string, ProfileFacts> {
  const out = new Map<string, ProfileFacts>();
  for (const { obj } of objects) {
    if (obj.kind !== "PerformanceProfile") continue;
    const pages = get(obj, "spec.hugepages.pages");
    const sizes = new Set<string>();
    if (Array.isArray(pages))
      for (const p of pages) if (isObj(p) && typeof p.size === "string") sizes.add(p.size);
    const sel = get(obj, "spec.nodeSelector");
    out.set(nameOf(obj), {
      pageSizes: sizes,
      nodeSelector: isObj(sel) ? (sel as Record<string, string>) : {},
    });
  }
  return out;
}

function checkPod(at: LintObject, t: PodTemplate, profiles: Map<string, ProfileFacts>): LintFinding[] {
  const out: LintFinding[] = [];
  const err = (path: string, msg: string) => out.push(finding("error", "pod", at, path, msg));
  const rc = typeof t.spec.runtimeClassName === "string" ? t.spec.runtimeClassName : undefined;
  const ann = isObj(t.metadata.annotations) ? (t.metadata.annotations as Record<string, string>) : {};
  const annPath =
    t.at === "spec" ? "metadata.annotations" : `${t.at.replace(/\.spec$/, "")}.metadata.annotations`;
  const hasCrio = CRIO_ANNOTATIONS.some((a) => a in ann);
  const tuned = (rc?.startsWith(RUNTIME_CLASS_PREFIX) ?? false) || hasCrio;
  let profile: ProfileFacts | undefined;
  let profileName: string | undefined;
  if (rc?.startsWith(RUNTIME_CLASS_PREFIX)) {
    profileName = rc.slice(RUNTIME_CLASS_PREFIX.length);
    profile = profiles.get(profileName);
    if (!profile) {
      out.push(
        finding(
          "error",
          "runtime-class",
          at,
          `${t.at}.runtimeClassName`,
          `runtime class ${rc} belongs to a PerformanceProfile named "${profileName}", which is not in the tree` +
            (profiles.size > 0 ? ` (profiles: ${[...profiles.keys()].join(", ")})` : ""),
        ),
      );
    }
  } else if (hasCrio) {
    err(
      `${t.at}.runtimeClassName`,
      "the CRI-O annotations only take effect under a PerformanceProfile's runtime class: set runtimeClassName: performance-<profile>",
    );
  }
  if (!tuned) return out;
  for (const a of CRIO_ANNOTATIONS) {
    if (ann[a] !== "disable") {
      out.push(
        finding(
          "warning",
          "pod",
          at,
          `${annPath}["${a}"]`,
          `a low-latency pod normally sets ${a}: "disable"`,
        ),
      );
    }
  }
  const containers = [
    ...(Array.isArray(t.spec.initContainers) ? t.spec.initContainers : []).map((c, i) => [
      c,
      `initContainers[${i}]`,
    ]),
    ...(Array.isArray(t.spec.containers) ? t.spec.containers : []).map((c, i) => [c, `containers[${i}]`]),
  ] as [Json, string][];
  for (const [c, cpath] of containers) {
    const base = `${t.at}.${cpath}.resources`;
    const requests = (get(c, "resources.requests") ?? {}) as Record<string, unknown>;
    const limits = (get(c, "resources.limits") ?? {}) as Record<string, unknown>;
    const name = String(c.name ?? cpath);
    for (const r of ["cpu", "memory"]) {
      if (limits[r] === undefined) {
        err(
          `${base}.limits.${r}`,
          `not Guaranteed QoS: container "${name}" has no ${r} limit (a low-latency pod needs requests equal to limits for cpu and memory)`,
        );
        continue;
      }
      if (requests[r] !== undefined && parseQuantity(requests[r]) !== parseQuantity(limits[r])) {
        err(
          `${base}.requests.${r}`,
          `not Guaranteed QoS: container "${name}" requests ${r} ${String(requests[r])} but its limit is ${String(limits[r])}`,
        );
      }
    }
    const cpu = parseQuantity(limits.cpu);
    if (cpu !== undefined && !Number.isInteger(cpu)) {
      err(
        `${base}.limits.cpu`,
        `cpu ${String(limits.cpu)} is not a whole number: the static CPU manager pins only integer CPUs, so this container gets no isolated CPU`,
      );
    }
    for (const key of new Set([...Object.keys(requests), ...Object.keys(limits)])) {
      const m = /^hugepages-(.+)$/.exec(key);
      if (!m || !profile || !profileName) continue;
      const size = profilePageSize(m[1]!);
      if (!profile.pageSizes.has(size)) {
        err(
          `${base}.${key in limits ? "limits" : "requests"}["${key}"]`,
          `requests ${m[1]} hugepages but PerformanceProfile "${profileName}" allocates ${profile.pageSizes.size > 0 ? [...profile.pageSizes].join(", ") : "no"} hugepages`,
        );
      }
    }
  }
  return out;
}

const BOOTABLE_VOLUMES = ["containerDisk", "dataVolume", "persistentVolumeClaim", "ephemeral", "hostDisk"];

function checkVm(
  at: LintObject,
  spec: Json,
  specPath: string,
  profiles: Map<string, ProfileFacts>,
): LintFinding[] {
  const out: LintFinding[] = [];
  const err = (path: string, msg: string) => out.push(finding("error", "vm", at, `${specPath}.${path}`, msg));
  const cpu = (get(spec, "domain.cpu") ?? {}) as Json;
  const dedicated = cpu.dedicatedCpuPlacement === true;
  const pageSize = get(spec, "domain.memory.hugepages.pageSize");
  if (cpu.isolateEmulatorThread === true && !dedicated) {
    err("domain.cpu.isolateEmulatorThread", "isolateEmulatorThread needs dedicatedCpuPlacement: true");
  }
  if (isObj(cpu.numa) && cpu.numa.guestMappingPassthrough !== undefined) {
    if (!dedicated)
      err(
        "domain.cpu.numa.guestMappingPassthrough",
        "guestMappingPassthrough needs dedicatedCpuPlacement: true",
      );
    if (pageSize === undefined)
      err(
        "domain.cpu.numa.guestMappingPassthrough",
        "guestMappingPassthrough needs hugepages (domain.memory.hugepages.pageSize)",
      );
  }
  if (cpu.realtime !== undefined && (!dedicated || pageSize === undefined)) {
    err("domain.cpu.realtime", "realtime needs dedicatedCpuPlacement: true and hugepages");
  }
  if (pageSize !== undefined) {
    if (pageSize !== "1Gi" && pageSize !== "2Mi") {
      err(
        "domain.memory.hugepages.pageSize",
        `hugepages pageSize ${String(pageSize)} does not exist on x86: use 1Gi or 2Mi`,
      );
    } else {
      const sel = (isObj(spec.nodeSelector) ? spec.nodeSelector : {}) as Record<string, string>;
      const matching = [...profiles].filter(([, p]) =>
        Object.entries(p.nodeSelector).every(([k, v]) => sel[k] === undefined || sel[k] === v),
      );
      const size = profilePageSize(pageSize);
      if (!matching.some(([, p]) => p.pageSizes.has(size))) {
        err(
          "domain.memory.hugepages.pageSize",
          `hugepages pageSize ${pageSize}: no PerformanceProfile in the tree for this VM's nodes allocates ${size} pages`,
        );
      }
    }
  }
  const volumes = (Array.isArray(spec.volumes) ? spec.volumes : []) as Json[];
  const volumeNames = new Set(volumes.map((v) => v.name));
  const disks = (get(spec, "domain.devices.disks") ?? []) as Json[];
  disks.forEach((d, i) => {
    if (!volumeNames.has(d.name))
      err(`domain.devices.disks[${i}].name`, `disk "${String(d.name)}" has no volume of that name`);
  });
  const bootable = volumes.findIndex((v) => BOOTABLE_VOLUMES.some((k) => k in v));
  if (bootable < 0) {
    err(
      "volumes",
      "no bootable volume (containerDisk, dataVolume, persistentVolumeClaim...): the VM cannot boot",
    );
  }
  volumes.forEach((v, i) => {
    const image = get(v, "containerDisk.image");
    if (typeof image === "string" && !/[:@]/.test(image.split("/").at(-1) ?? "")) {
      out.push(
        finding(
          "warning",
          "vm",
          at,
          `${specPath}.volumes[${i}].containerDisk.image`,
          `image ${image} has no tag: pin one so every attendee boots the same disk`,
        ),
      );
    }
  });
  return out;
}

export const checkWorkloads: Check = (objects, ctx) => {
  // Profiles outside the linted path count too: base/ uses the runtime class of a generated profile.
  const profiles = profilesOf([...objects, ...(ctx.repoObjects ?? [])]);
  const out: LintFinding[] = [];
  for (const at of objects) {
    const t = podTemplate(at.obj);
    if (t) out.push(...checkPod(at, t, profiles));
    if (at.obj.kind === "VirtualMachine" && String(at.obj.apiVersion).startsWith("kubevirt.io/")) {
      const spec = get(at.obj, "spec.template.spec");
      if (isObj(spec)) out.push(...checkVm(at, spec, "spec.template.spec", profiles));
    }
    if (at.obj.kind === "VirtualMachineInstance" && isObj(at.obj.spec)) {
      out.push(...checkVm(at, at.obj.spec, "spec", profiles));
    }
  }
  return out;
};
