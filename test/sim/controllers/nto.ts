/**
 * The Node Tuning Operator's performance profile controller (openshift/cluster-node-tuning-operator
 * release-4.19, pkg/performanceprofile/controller/performanceprofile/components/handler/handler.go
 * Apply): a PerformanceProfile becomes
 * - MachineConfig `50-performance-<name>` (components/machineconfig/machineconfig.go): labels from
 *   spec.machineConfigLabel or `machineconfiguration.openshift.io/role: <nodeSelector role>`
 *   (components/profile/profile.go GetMachineConfigLabel); kernel type realtime with the RT kernel;
 *   hugepages without a NUMA node as kernel arguments, per-NUMA-node ones as
 *   `hugepages-allocation-<size>kB-NUMA<n>.service` units with NR_PAGES;
 * - KubeletConfig `performance-<name>` (components/kubeletconfig/kubeletconfig.go): static CPU
 *   manager, reservedSystemCPUs = reserved, topology manager policy, 500Mi kube/system reserved
 *   memory, selecting pools by spec.machineConfigPoolSelector or the profile pool's labels;
 * - Tuned `openshift-node-performance-<name>` and RuntimeClass `performance-<name>` (handler
 *   high-performance, scheduling.nodeSelector = the profile's nodeSelector).
 * The MachineConfig and the KubeletConfig reach the pool in two steps: the MCO renders the
 * MachineConfig, and the KubeletConfig only once its own controller has made
 * 99-<pool>-generated-kubelet (see mco.ts). Status (status/status.go): Available once the pool has
 * rolled out, Progressing while it rolls, Degraded when the pool is.
 * Tuned objects with a [bootloader] section become MachineConfig `50-nto-<pool>` for the pools
 * their recommend[].machineConfigLabels select (pkg/operator/mc.go).
 */
import type { Obj } from "../apiserver.ts";
import { type Ctx, conditionOf, mapSelects, selects } from "../context.ts";
import { cond } from "../objects.ts";

const MC = "machineconfiguration.openshift.io/v1";
const PP = "performance.openshift.io/v2";
const NTO_NS = "openshift-cluster-node-tuning-operator";

function role(profile: Obj): string {
  const key = Object.keys(profile.spec?.nodeSelector ?? {})[0] ?? "node-role.kubernetes.io/worker";
  return key.split("/")[1] ?? "worker";
}

function kernelArgs(profile: Obj): string[] {
  const s = profile.spec ?? {};
  const args = [
    "skew_tick=1",
    "tsc=reliable",
    "rcupdate.rcu_normal_after_boot=1",
    "nohz=on",
    `rcu_nocbs=${s.cpu?.isolated}`,
  ];
  if (s.hugepages?.defaultHugepagesSize) args.push(`default_hugepagesz=${s.hugepages.defaultHugepagesSize}`);
  for (const p of s.hugepages?.pages ?? [])
    if (p.node === undefined) args.push(`hugepagesz=${p.size}`, `hugepages=${p.count}`);
  return [...args, ...(s.additionalKernelArgs ?? [])];
}

export function profileMachineConfig(profile: Obj): Obj {
  const s = profile.spec ?? {};
  const units = (s.hugepages?.pages ?? [])
    .filter((p: Obj) => p.node !== undefined)
    .map((p: Obj) => {
      const kb = p.size === "1G" ? "1048576" : "2048";
      return {
        name: `hugepages-allocation-${kb}kB-NUMA${p.node}.service`,
        enabled: true,
        contents: `[Unit]\nDescription=Hugepages-${kb}kB allocation on the node ${p.node}\n[Service]\nEnvironment=NR_PAGES=${p.count}\nEnvironment=HUGEPAGES_SIZE=${kb}\nEnvironment=NUMA_NODE=${p.node}\nType=oneshot\nExecStart=/usr/local/bin/hugepages-allocation.sh\n[Install]\nWantedBy=multi-user.target\n`,
      };
    });
  return {
    apiVersion: MC,
    kind: "MachineConfig",
    metadata: {
      name: `50-performance-${profile.metadata.name}`,
      labels: s.machineConfigLabel ?? { "machineconfiguration.openshift.io/role": role(profile) },
      ownerReferences: [
        {
          apiVersion: PP,
          kind: "PerformanceProfile",
          name: profile.metadata.name,
          uid: profile.metadata.uid,
        },
      ],
    },
    spec: {
      config: { ignition: { version: "3.2.0" }, systemd: { units } },
      kernelArguments: kernelArgs(profile),
      ...(s.realTimeKernel?.enabled ? { kernelType: "realtime" } : {}),
    },
  };
}

export function startNto(ctx: Ctx): void {
  const { api, timing } = ctx;
  const apply = (o: Obj) => {
    const cur = api.get(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace);
    if (!cur) return api.seed(o);
    const { metadata: _m, status: _s, ...body } = o;
    const { metadata: _cm, status: _cs, ...curBody } = cur;
    if (
      JSON.stringify(body) !== JSON.stringify(curBody) ||
      JSON.stringify(o.metadata.labels) !== JSON.stringify(cur.metadata.labels)
    )
      api.update(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace, {
        ...body,
        metadata: { labels: o.metadata.labels },
      });
  };
  const profilePool = (profile: Obj): Obj | undefined =>
    api.list(MC, "MachineConfigPool").find((p) => {
      const ml = p.spec?.nodeSelector?.matchLabels ?? {};
      return mapSelects(profile.spec?.nodeSelector, ml) && mapSelects(ml, profile.spec?.nodeSelector);
    });

  function reconcile(name: string): void {
    const profile = api.get(PP, "PerformanceProfile", name);
    if (!profile) return;
    const pool = profilePool(profile);
    const pn = profile.metadata.name;
    const s = profile.spec ?? {};
    apply(profileMachineConfig(profile));
    apply({
      apiVersion: MC,
      kind: "KubeletConfig",
      metadata: {
        name: `performance-${pn}`,
        ownerReferences: [
          { apiVersion: PP, kind: "PerformanceProfile", name: pn, uid: profile.metadata.uid },
        ],
      },
      spec: {
        machineConfigPoolSelector: {
          matchLabels: s.machineConfigPoolSelector ??
            pool?.metadata.labels ?? {
              [`pools.operator.machineconfiguration.openshift.io/${role(profile)}`]: "",
            },
        },
        kubeletConfig: {
          cpuManagerPolicy: "static",
          cpuManagerReconcilePeriod: "5s",
          topologyManagerPolicy: s.numa?.topologyPolicy ?? "best-effort",
          reservedSystemCPUs: s.cpu?.reserved,
          kubeReserved: { memory: "500Mi" },
          systemReserved: { memory: "500Mi" },
          evictionHard: { "memory.available": "100Mi" },
        },
      },
    });
    apply({
      apiVersion: "tuned.openshift.io/v1",
      kind: "Tuned",
      metadata: { name: `openshift-node-performance-${pn}`, namespace: NTO_NS },
      spec: {
        profile: [
          {
            name: `openshift-node-performance-${pn}`,
            data: `[main]\nsummary=Openshift node optimized for deterministic performance\ninclude=openshift-node,cpu-partitioning\n[variables]\nisolated_cores=${s.cpu?.isolated}\n`,
          },
        ],
        recommend: [
          {
            machineConfigLabels: s.machineConfigLabel ?? {
              "machineconfiguration.openshift.io/role": role(profile),
            },
            priority: 20,
            profile: `openshift-node-performance-${pn}`,
          },
        ],
      },
    });
    apply({
      apiVersion: "node.k8s.io/v1",
      kind: "RuntimeClass",
      metadata: { name: `performance-${pn}` },
      handler: "high-performance",
      scheduling: { nodeSelector: { ...s.nodeSelector } },
    });
    updateStatus(pn);
  }

  function updateStatus(name: string): void {
    const profile = api.get(PP, "PerformanceProfile", name);
    if (!profile) return;
    const pool = profilePool(profile);
    const degraded = pool && conditionOf(pool, "Degraded")?.status === "True";
    const updating = pool && conditionOf(pool, "Updated")?.status !== "True";
    const conditions = !pool
      ? [
          cond("Available", "False", "GettingMachineConfigPoolFailed", ""),
          cond(
            "Degraded",
            "True",
            "GettingMachineConfigPoolFailed",
            `no MachineConfigPool selects the nodes of ${name}`,
          ),
        ]
      : degraded
        ? [
            cond("Available", "False", "MCPDegraded", ""),
            cond("Upgradeable", "False"),
            cond("Progressing", "False"),
            cond("Degraded", "True", "MCPDegraded", conditionOf(pool, "Degraded")?.message ?? ""),
          ]
        : updating
          ? [
              cond("Available", "False", "", ""),
              cond("Upgradeable", "False"),
              cond("Progressing", "True", "DeploymentStarting", "Deployment is starting"),
              cond("Degraded", "False"),
            ]
          : [
              cond("Available", "True", "AsExpected", "cgroup=v2"),
              cond("Upgradeable", "True"),
              cond("Progressing", "False"),
              cond("Degraded", "False"),
            ];
    const status = {
      conditions,
      runtimeClass: `performance-${name}`,
      tuned: `${NTO_NS}/openshift-node-performance-${name}`,
    };
    const strip = (c: Obj[]) => JSON.stringify(c?.map((x) => [x.type, x.status, x.reason, x.message]));
    if (
      strip(profile.status?.conditions) !== strip(conditions) ||
      profile.status?.runtimeClass !== status.runtimeClass
    )
      api.update(PP, "PerformanceProfile", name, undefined, { status });
  }

  api.on(["PerformanceProfile"], (ev) => {
    const name = ev.object.metadata.name;
    if (ev.type === "DELETED") {
      api.after(timing.nto, () => {
        api.remove(MC, "MachineConfig", `50-performance-${name}`);
        api.remove(MC, "KubeletConfig", `performance-${name}`);
        api.remove("tuned.openshift.io/v1", "Tuned", `openshift-node-performance-${name}`, NTO_NS);
        api.remove("node.k8s.io/v1", "RuntimeClass", `performance-${name}`);
      });
      return;
    }
    if (ev.type === "MODIFIED" && ev.old?.metadata.generation === ev.object.metadata.generation) return;
    api.after(timing.nto, () => reconcile(name));
  });
  api.on(["MachineConfigPool"], () => {
    for (const p of api.list(PP, "PerformanceProfile")) updateStatus(p.metadata.name);
  });

  // Tuned [bootloader] sections: NTO's operand writes 50-nto-<pool> with the kernel arguments.
  api.on(["Tuned"], (ev) => {
    if (ev.type === "MODIFIED" && ev.old?.metadata.generation === ev.object.metadata.generation) return;
    if (String(ev.object.metadata.name).startsWith("openshift-node-performance-")) return;
    api.after(timing.nto, () => {
      for (const p of api.list(MC, "MachineConfigPool")) {
        const args: string[] = [];
        for (const t of api.list("tuned.openshift.io/v1", "Tuned")) {
          if (String(t.metadata.name).startsWith("openshift-node-performance-")) continue;
          const hit = (t.spec?.recommend ?? []).some(
            (r: Obj) =>
              r.machineConfigLabels && selects(p.spec?.machineConfigSelector, r.machineConfigLabels),
          );
          if (!hit) continue;
          for (const prof of t.spec?.profile ?? []) {
            const m = String(prof.data ?? "").match(/\[bootloader\][^[]*cmdline[^=]*=\s*(.*)/);
            if (m) args.push(...m[1]!.trim().split(/\s+/));
          }
        }
        const name = `50-nto-${p.metadata.name}`;
        if (args.length === 0) {
          api.remove(MC, "MachineConfig", name);
          continue;
        }
        apply({
          apiVersion: MC,
          kind: "MachineConfig",
          metadata: { name, labels: { "machineconfiguration.openshift.io/role": p.metadata.name } },
          spec: { config: { ignition: { version: "3.2.0" } }, kernelArguments: args },
        });
      }
    });
  });
}
