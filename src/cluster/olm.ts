/**
 * Reading OLM's state: is an operator installed, still installing, waiting for someone, or
 * failed, and why. Pure functions of the Subscription, its InstallPlan, its CSV and its
 * CatalogSource as read from the cluster.
 */
import type { Problem } from "../lib/errors.ts";
import type { KubeObject } from "./kube.ts";
import type { Observation } from "./wait.ts";

export const OLM = "operators.coreos.com/v1alpha1";

export interface OperatorFacts {
  /** Package name (Subscription spec.name). */
  pkg: string;
  namespace: string;
  subscription?: KubeObject;
  installPlan?: KubeObject;
  csv?: KubeObject;
  catalogSource?: KubeObject;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export function condition(obj: KubeObject | undefined, type: string): Condition | undefined {
  return (obj?.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);
}

/** The CSV a Subscription is installing or has installed. */
export function subscriptionCsvName(sub: KubeObject | undefined): string | undefined {
  return sub?.status?.installedCSV ?? sub?.status?.currentCSV;
}

/** The InstallPlan a Subscription points at. */
export function subscriptionPlanName(sub: KubeObject | undefined): string | undefined {
  return sub?.status?.installPlanRef?.name ?? sub?.status?.installplan?.name;
}

export function approveCommand(plan: string, namespace: string): string {
  return `oc patch installplan ${plan} -n ${namespace} --type merge -p '{"spec":{"approved":true}}'`;
}

/** Where an operator's installation stands, with the cluster's reason when it is stuck or failed. */
export function assessOperator(f: OperatorFacts): Observation & { approval?: string } {
  const where = `namespace ${f.namespace}`;
  const csvPhase: string | undefined = f.csv?.status?.phase;
  if (csvPhase === "Succeeded") return { done: true, status: `CSV ${f.csv!.metadata.name} Succeeded` };
  if (csvPhase === "Failed") {
    const reason = f.csv!.status?.reason ? ` (${f.csv!.status.reason})` : "";
    return {
      done: false,
      status: `CSV ${f.csv!.metadata.name} Failed`,
      failed: {
        what: `operator ${f.pkg} failed to install: CSV ${f.csv!.metadata.name} is Failed${reason}: ${f.csv!.status?.message ?? "no message"}`,
        where,
        next: `read the operator's events and pods (\`oc get events -n ${f.namespace}\`, \`oc get pods -n ${f.namespace}\`); fix the cause, delete the CSV and re-run`,
      },
    };
  }
  if (!f.subscription) return { done: false, status: "no Subscription yet" };
  const resolution = condition(f.subscription, "ResolutionFailed");
  if (resolution?.status === "True") {
    return {
      done: false,
      status: "resolution failed",
      failed: {
        what: `OLM cannot resolve ${f.pkg}: ${resolution.message ?? resolution.reason ?? "ResolutionFailed"}`,
        where,
        next:
          "check the Subscription's channel and source (`oc get packagemanifest " +
          f.pkg +
          " -o yaml` lists the channels)",
      },
    };
  }
  const plan = f.installPlan;
  if (
    plan?.status?.phase === "RequiresApproval" ||
    (plan && plan.spec?.approved === false && plan.status?.phase !== "Complete")
  ) {
    const name = plan.metadata.name!;
    const blocker: Problem = {
      what: `InstallPlan ${name} for ${f.pkg} is waiting for approval (installPlanApproval: Manual)`,
      where,
      next: `approve it: ${approveCommand(name, f.namespace)} (or re-run with --approve), then re-run`,
    };
    return { done: false, status: `InstallPlan ${name} RequiresApproval`, blocker, approval: name };
  }
  if (plan?.status?.phase === "Failed") {
    const c = (plan.status.conditions as Condition[] | undefined)?.find(
      (x) => x.status === "False" || x.reason === "InstallComponentFailed",
    );
    return {
      done: false,
      status: `InstallPlan ${plan.metadata.name} Failed`,
      failed: {
        what: `InstallPlan ${plan.metadata.name} for ${f.pkg} failed: ${c?.message ?? plan.status.message ?? "no message"}`,
        where,
        next: `delete the InstallPlan and the Subscription's status will retry (\`oc delete installplan ${plan.metadata.name} -n ${f.namespace}\`), then re-run`,
      },
    };
  }
  const catalogState: string | undefined = f.catalogSource?.status?.connectionState?.lastObservedState;
  const unhealthyCatalog =
    condition(f.subscription, "CatalogSourcesUnhealthy")?.status === "True" ||
    (catalogState !== undefined && catalogState !== "READY");
  const catalogName = f.subscription.spec?.source ?? "the catalog";
  const blocker: Problem | undefined = unhealthyCatalog
    ? {
        what: `CatalogSource ${catalogName} is unhealthy (${catalogState ?? condition(f.subscription, "CatalogSourcesUnhealthy")?.message ?? "CatalogSourcesUnhealthy"}), so OLM cannot install ${f.pkg}`,
        where: `namespace ${f.subscription.spec?.sourceNamespace ?? "openshift-marketplace"}`,
        next: `check the catalog pod (\`oc get pods -n ${f.subscription.spec?.sourceNamespace ?? "openshift-marketplace"}\`) and the cluster's pull secret / mirror`,
      }
    : undefined;
  if (csvPhase) {
    return {
      done: false,
      status: `CSV ${f.csv!.metadata.name} ${csvPhase}${f.csv!.status?.reason ? ` (${f.csv!.status.reason})` : ""}`,
      blocker: blocker ?? {
        what: `CSV ${f.csv!.metadata.name} is still ${csvPhase}: ${f.csv!.status?.message ?? "no message"}`,
        where,
        next: `check the operator's pods (\`oc get pods -n ${f.namespace}\`) and re-run`,
      },
    };
  }
  const csvName = subscriptionCsvName(f.subscription);
  return {
    done: false,
    status: csvName
      ? `waiting for CSV ${csvName}`
      : unhealthyCatalog
        ? "catalog unhealthy"
        : "waiting for OLM to resolve the Subscription",
    ...(blocker ? { blocker } : {}),
  };
}
