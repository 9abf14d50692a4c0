/**
 * Every latency measurement kube-burner's local indexer writes, with its per-object fields and
 * what each measures (kube-burner/kube-burner main, pkg/measurements/*.go: the `*Metric`
 * structs' JSON tags and each getLatency()'s condition names). Series are named by what they
 * measure, not by the file they came from: the virt-launcher pod's readiness is "Ready" whether
 * it was read from a podLatency or a vmiLatency file, so the two pair across runs.
 */

export interface MeasurementSpec {
  /** Per-object field -> series name suffix. */
  fields: Record<string, string>;
  /** Divide values by this to get milliseconds (svcLatency stores a Go time.Duration: ns). */
  toMs?: number;
  /** Quantile document name -> series name suffix, where it differs from the field's. */
  quantiles?: Record<string, string>;
}

/** Pod conditions under kube-burner's podLatency quantile names (pod_latency.go getLatency). */
const POD: Record<string, string> = {
  schedulingLatency: "PodScheduled",
  initializedLatency: "Initialized",
  containersReadyLatency: "ContainersReady",
  podReadyLatency: "Ready",
  readyToStartContainersLatency: "PodReadyToStartContainers",
  containersStartedLatency: "ContainersStarted",
};

export const MEASUREMENTS: Record<string, MeasurementSpec> = {
  podLatency: { fields: POD },
  // vmi_latency.go: the virt-launcher pod's conditions carry the same names as podLatency's.
  vmiLatency: {
    fields: {
      podCreatedLatency: "PodCreated",
      podScheduledLatency: "PodScheduled",
      podInitializedLatency: "Initialized",
      podContainersReadyLatency: "ContainersReady",
      podReadyLatency: "Ready",
      podReadyToStartContainersLatency: "PodReadyToStartContainers",
      vmiCreatedLatency: "VMICreated",
      vmiPendingLatency: "VMIPending",
      vmiSchedulingLatency: "VMIScheduling",
      vmiScheduledLatency: "VMIScheduled",
      vmiRunningLatency: "VMIRunning",
      vmReadyLatency: "VMReady",
    },
    quantiles: {
      PodPodScheduled: "PodScheduled",
      PodInitialized: "Initialized",
      PodContainersReady: "ContainersReady",
      PodPodReadyToStartContainers: "PodReadyToStartContainers",
      PodReady: "Ready",
    },
  },
  // service_latency.go: `ready` and `ipAssigned` are time.Duration (nanoseconds in JSON).
  svcLatency: {
    fields: { ready: "service Ready", ipAssigned: "service IPAssigned" },
    toMs: 1e6,
    quantiles: { Ready: "service Ready", IPAssigned: "service IPAssigned" },
  },
  nodeLatency: {
    fields: {
      nodeMemoryPressureLatency: "node MemoryPressure",
      nodeDiskPressureLatency: "node DiskPressure",
      nodePIDPressureLatency: "node PIDPressure",
      nodeReadyLatency: "node Ready",
    },
    quantiles: {
      MemoryPressure: "node MemoryPressure",
      DiskPressure: "node DiskPressure",
      PIDPressure: "node PIDPressure",
      Ready: "node Ready",
    },
  },
  jobLatency: {
    fields: { startTimeLatency: "Job StartTime", completionLatency: "Job Complete" },
    quantiles: { StartTime: "Job StartTime", Complete: "Job Complete" },
  },
  pvcLatency: {
    fields: {
      pendingLatency: "PVC Pending",
      bindingLatency: "PVC Bound",
      lostLatency: "PVC Lost",
      resizeLatency: "PVC Resize",
    },
    quantiles: { Pending: "PVC Pending", Bound: "PVC Bound", Lost: "PVC Lost", Resize: "PVC Resize" },
  },
  // netpol_latency.go stores milliseconds in time.Duration fields: the numbers are ms.
  netpolLatency: {
    fields: { minReady: "NetworkPolicy MinReady", ready: "NetworkPolicy Ready" },
    quantiles: { Ready: "NetworkPolicy Ready", MinReady: "NetworkPolicy MinReady" },
  },
  vmimLatency: {
    fields: {
      pendingLatency: "migration Pending",
      schedulingLatency: "migration Scheduling",
      scheduledLatency: "migration Scheduled",
      preparingTargetLatency: "migration PreparingTarget",
      targetReadyLatency: "migration TargetReady",
      runningLatency: "migration Running",
      succeededLatency: "migration Succeeded",
    },
  },
  dvLatency: {
    fields: {
      dvBoundLatency: "DataVolume Bound",
      dvRunningLatency: "DataVolume Running",
      dvReadyLatency: "DataVolume Ready",
    },
  },
  volumeSnapshotLatency: { fields: { vsReadyLatency: "VolumeSnapshot Ready" } },
};

/** The series name suffix of a per-object field (unknown measurements: the field's name). */
export function conditionName(measurement: string, field: string): string {
  const spec = MEASUREMENTS[measurement];
  if (spec?.fields[field]) return spec.fields[field]!;
  // An unknown measurement or field: named after the field (podFooLatency -> PodFoo).
  const base = field.endsWith("Latency") ? field.slice(0, -"Latency".length) : field;
  return base.charAt(0).toUpperCase() + base.slice(1);
}

/** The series name suffix of a quantile document's quantileName. */
export function quantileCondition(measurement: string, quantileName: string): string {
  return MEASUREMENTS[measurement]?.quantiles?.[quantileName] ?? quantileName;
}

/** Which numeric fields of a measurement's documents are samples. */
export function sampleField(measurement: string): (key: string) => boolean {
  const spec = MEASUREMENTS[measurement];
  if (!spec) return (k) => k.endsWith("Latency");
  const fields = new Set(Object.keys(spec.fields));
  return (k) => fields.has(k);
}
