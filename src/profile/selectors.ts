/**
 * nodeSelector and machineConfigPoolSelector for a MachineConfigPool, as PPC derives them from
 * the pool (pkg/performanceprofile/profilecreator/mcp.go GetMCPSelector): the pool's
 * spec.nodeSelector, and the one label unique to the pool, preferring a key ending in the pool
 * name. Without a must-gather we assume pools labelled the way OpenShift labels them: the
 * built-in master/worker pools carry pools.operator.machineconfiguration.openshift.io/<name>: "",
 * and custom pools (as OpenShift's documentation creates them) carry
 * machineconfiguration.openshift.io/role: <name> and select nodes by node-role.kubernetes.io/<name>.
 */
import { UserError } from "../lib/errors.ts";

export interface Selectors {
  nodeSelector: Record<string, string>;
  machineConfigPoolSelector: Record<string, string>;
  reason: string;
}

export function selectorsFor(mcpName: string): Selectors {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(mcpName)) {
    throw new UserError({
      what: `"${mcpName}" is not a valid MachineConfigPool name`,
      where: "--mcp-name",
      next: "use lowercase letters, digits and '-', e.g. worker-rt",
    });
  }
  const nodeSelector = { [`node-role.kubernetes.io/${mcpName}`]: "" };
  if (mcpName === "master" || mcpName === "worker") {
    return {
      nodeSelector,
      machineConfigPoolSelector: { [`pools.operator.machineconfiguration.openshift.io/${mcpName}`]: "" },
      reason:
        mcpName === "master"
          ? "selectors: the master pool, for a single-node cluster where the one node is both control plane and worker"
          : "selectors: the built-in worker pool; every worker node gets this tuning and reboots when it changes",
    };
  }
  return {
    nodeSelector,
    machineConfigPoolSelector: { "machineconfiguration.openshift.io/role": mcpName },
    reason: `selectors: the ${mcpName} MachineConfigPool (nodes labelled node-role.kubernetes.io/${mcpName}=""), so only the metal workers meant for low latency get this tuning and reboot when it changes`,
  };
}
