/**
 * Operator Lifecycle Manager (operator-framework/operator-lifecycle-manager master):
 * - catalog operator (pkg/controller/operators/catalog/operator.go, pkg/controller/registry/
 *   resolver/resolver.go): a Subscription resolves against its CatalogSource's packages; a missing
 *   package or channel sets condition ResolutionFailed (reason ConstraintsNotSatisfiable) with
 *   "constraints not satisfiable: no operators found in package P in the catalog referenced by
 *   subscription S" / "...no operators found in channel C of package P...", and nothing installs.
 *   Otherwise an InstallPlan; approval Manual waits in RequiresApproval until spec.approved.
 * - olm operator (pkg/controller/operators/olm/operator.go): the CSV needs exactly one
 *   OperatorGroup in its namespace (NoOperatorGroup / TooManyOperatorGroups) whose target
 *   namespaces fit the CSV's installModes, else Failed with reason UnsupportedOperatorGroup and
 *   "<Mode> InstallModeType not supported, cannot configure to watch ..."; then Installing, then
 *   Succeeded, and the operator's CRDs are Established and its APIs served.
 * The catalog is data: packages, channels, head CSVs and install modes as the Red Hat catalog
 * lists them for the workshop's operators.
 */
import type { Obj, ResourceDef } from "../apiserver.ts";
import { type Ctx, setCondition } from "../context.ts";
import { cond, csv } from "../objects.ts";
import { CNV_RESOURCES, KUBEVIRT_MIGRATION, OPENSHIFT_RESOURCES, SRIOV_RESOURCES } from "../resources.ts";

const OLM = "operators.coreos.com/v1alpha1";

export type InstallMode = "OwnNamespace" | "SingleNamespace" | "MultiNamespace" | "AllNamespaces";

export interface CatalogPackage {
  defaultChannel: string;
  /** channel -> head CSV name */
  channels: Record<string, string>;
  installModes: InstallMode[];
  provides: ResourceDef[];
  /** A scripted install failure (the CSV ends Failed with this message). */
  installFails?: string;
  /** What the running operator creates by itself once installed. */
  operands?: Obj[];
}

export const ARGO_RESOURCES: ResourceDef[] = OPENSHIFT_RESOURCES.filter((d) => d.group === "argoproj.io");

/** redhat-operators for an OpenShift minor (operator versions follow the release). */
export function redhatOperators(minor: string): Record<string, CatalogPackage> {
  return {
    "openshift-gitops-operator": {
      defaultChannel: "latest",
      channels: {
        latest: "openshift-gitops-operator.v1.18.1",
        "gitops-1.18": "openshift-gitops-operator.v1.18.1",
        "gitops-1.17": "openshift-gitops-operator.v1.17.4",
      },
      installModes: ["AllNamespaces"],
      provides: ARGO_RESOURCES,
      // The GitOps operator creates the openshift-gitops namespace and its default Argo CD
      // instance (redhat-developer/gitops-operator, controllers/argocd: DISABLE_DEFAULT_ARGOCD_INSTANCE unset).
      operands: [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "openshift-gitops" } },
        {
          apiVersion: "argoproj.io/v1beta1",
          kind: "ArgoCD",
          metadata: { name: "openshift-gitops", namespace: "openshift-gitops" },
          // The default instance's spec as the operator creates it (argocd.NewCR, abridged).
          spec: {
            server: { route: { enabled: true } },
            sso: { provider: "dex", dex: { openShiftOAuth: true } },
            rbac: {
              defaultPolicy: "",
              policy: "g, system:cluster-admins, role:admin\ng, cluster-admins, role:admin\n",
              scopes: "[groups]",
            },
            controller: { resources: { limits: { cpu: "2", memory: "3Gi" } } },
          },
          status: {
            phase: "Available",
            server: "Running",
            repo: "Running",
            applicationController: "Running",
          },
        },
        // The instance's console route (argoproj-labs/argocd-operator, controllers/argocd/route.go:
        // <name>-server when spec.server.route.enabled), admitted by the default router.
        {
          apiVersion: "route.openshift.io/v1",
          kind: "Route",
          metadata: { name: "openshift-gitops-server", namespace: "openshift-gitops" },
          spec: {
            host: "openshift-gitops-server-openshift-gitops.apps.lab.example.com",
            to: { kind: "Service", name: "openshift-gitops-server" },
          },
          status: {
            ingress: [
              {
                host: "openshift-gitops-server-openshift-gitops.apps.lab.example.com",
                conditions: [{ type: "Admitted", status: "True" }],
              },
            ],
          },
        },
      ],
    },
    "sriov-network-operator": {
      defaultChannel: "stable",
      channels: { stable: `sriov-network-operator.v${minor}.0-202511180000` },
      installModes: ["OwnNamespace", "SingleNamespace"],
      provides: SRIOV_RESOURCES,
    },
    "kubevirt-hyperconverged": {
      defaultChannel: "stable",
      channels: {
        stable: `kubevirt-hyperconverged-operator.v${minor}.3`,
        candidate: `kubevirt-hyperconverged-operator.v${minor}.4`,
      },
      installModes: ["OwnNamespace", "SingleNamespace"],
      provides: [...CNV_RESOURCES, KUBEVIRT_MIGRATION],
    },
  };
}

export interface Olm {
  catalogs: Record<string, Record<string, CatalogPackage>>;
  /** Marks a package installed (CSV Succeeded, APIs served) without going through a Subscription. */
  installed(pkg: string, namespace: string, channel?: string): void;
}

function modeFor(og: Obj, ns: string): InstallMode {
  const targets: string[] = og.spec?.targetNamespaces ?? [];
  if (og.spec?.selector === undefined && targets.length === 0) return "AllNamespaces";
  if (targets.length === 1) return targets[0] === ns ? "OwnNamespace" : "SingleNamespace";
  return "MultiNamespace";
}

const WATCH_TEXT: Record<InstallMode, string> = {
  AllNamespaces: "all namespaces",
  OwnNamespace: "own namespace",
  SingleNamespace: "one namespace",
  MultiNamespace: "multiple namespaces",
};

export function startOlm(ctx: Ctx): Olm {
  const { api, timing } = ctx;
  const olm: Olm = {
    catalogs: { "redhat-operators": redhatOperators(ctx.ocpMinor) },
    installed(pkgName, namespace, channel) {
      const pkg = olm.catalogs["redhat-operators"]![pkgName]!;
      const name = pkg.channels[channel ?? pkg.defaultChannel]!;
      api.seed(csv(name, namespace, "Succeeded", "install strategy completed with no errors"));
      serve(pkg.provides);
      for (const o of pkg.operands ?? [])
        if (!api.get(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace)) api.seed(o);
    },
  };

  function serve(defs: ResourceDef[]): void {
    api.addResources(defs);
    for (const d of defs)
      if (!api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", `${d.plural}.${d.group}`))
        api.seed({
          apiVersion: "apiextensions.k8s.io/v1",
          kind: "CustomResourceDefinition",
          metadata: { name: `${d.plural}.${d.group}` },
          spec: {
            group: d.group,
            names: { kind: d.kind, plural: d.plural },
            scope: d.namespaced ? "Namespaced" : "Cluster",
            versions: [{ name: d.version, served: true, storage: true }],
          },
          status: {
            conditions: [
              cond("NamesAccepted", "True", "NoConflicts"),
              cond("Established", "True", "InitialNamesAccepted"),
            ],
          },
        });
  }

  function resolve(subName: string, ns: string): void {
    const sub = api.get(OLM, "Subscription", subName, ns);
    if (!sub) return;
    const source = api.get(
      OLM,
      "CatalogSource",
      sub.spec?.source,
      sub.spec?.sourceNamespace ?? "openshift-marketplace",
    );
    const pkgs = source ? olm.catalogs[sub.spec.source] : undefined;
    const pkg = pkgs?.[sub.spec?.name];
    const channel = sub.spec?.channel ?? pkg?.defaultChannel;
    const fail = (reason: string, message: string, health = true) => {
      api.update(OLM, "Subscription", subName, ns, {
        status: {
          conditions: setCondition(
            setCondition(
              sub.status?.conditions,
              cond(
                "CatalogSourcesUnhealthy",
                health ? "False" : "True",
                health ? "AllCatalogSourcesHealthy" : "UnhealthyCatalogSourceFound",
                "",
              ),
            ),
            cond("ResolutionFailed", "True", reason, message),
          ),
          lastUpdated: new Date().toISOString(),
        },
      });
      api.event(
        api.get("v1", "Namespace", ns) ?? { metadata: { name: ns } },
        "Warning",
        "ResolutionFailed",
        message,
        "operator-lifecycle-manager",
      );
    };
    const state = source?.status?.connectionState?.lastObservedState;
    if (source && state !== "READY") {
      // The catalog operator keeps the Subscription unresolved while its source is unhealthy.
      api.update(OLM, "Subscription", subName, ns, {
        status: {
          conditions: setCondition(
            sub.status?.conditions,
            cond(
              "CatalogSourcesUnhealthy",
              "True",
              "UnhealthyCatalogSourceFound",
              `targeted catalogsource ${sub.spec.sourceNamespace}/${sub.spec.source} unhealthy`,
            ),
          ),
        },
      });
      api.after(timing.olmResolve * 4, () => resolve(subName, ns));
      return;
    }
    if (!source) {
      fail(
        "ErrorPreventedResolution",
        `failed to populate resolver cache from source ${sub.spec?.source}/${sub.spec?.sourceNamespace}: catalogsource not found`,
        false,
      );
      return;
    }
    if (!pkg) {
      fail(
        "ConstraintsNotSatisfiable",
        `constraints not satisfiable: no operators found in package ${sub.spec?.name} in the catalog referenced by subscription ${subName}`,
      );
      return;
    }
    const head = pkg.channels[channel];
    if (!head) {
      fail(
        "ConstraintsNotSatisfiable",
        `constraints not satisfiable: no operators found in channel ${channel} of package ${sub.spec?.name} in the catalog referenced by subscription ${subName}`,
      );
      return;
    }
    // One InstallPlan serves a namespace: if any Subscription there is Manual, the plan waits for
    // approval (OLM docs, "Manual approval applies to all Subscriptions in a namespace").
    const manual = api.list(OLM, "Subscription", ns).some((x) => x.spec?.installPlanApproval === "Manual");
    const plan = `install-${sub.metadata.uid.slice(0, 5)}`;
    api.seed({
      apiVersion: OLM,
      kind: "InstallPlan",
      metadata: {
        name: plan,
        namespace: ns,
        ownerReferences: [{ apiVersion: OLM, kind: "Subscription", name: subName, uid: sub.metadata.uid }],
      },
      spec: {
        approval: manual ? "Manual" : "Automatic",
        approved: !manual,
        clusterServiceVersionNames: [head],
        generation: 1,
      },
      status: { phase: manual ? "RequiresApproval" : "Installing", catalogSources: [sub.spec.source] },
    });
    api.update(OLM, "Subscription", subName, ns, {
      status: {
        currentCSV: head,
        state: manual ? "UpgradePending" : "AtLatestKnown",
        installPlanRef: { apiVersion: OLM, kind: "InstallPlan", name: plan, namespace: ns },
        installplan: { apiVersion: OLM, kind: "InstallPlan", name: plan },
        installPlanGeneration: 1,
        catalogHealth: [
          { catalogSourceRef: { name: sub.spec.source, namespace: sub.spec.sourceNamespace }, healthy: true },
        ],
        conditions: setCondition(
          (sub.status?.conditions ?? []).filter((c: Obj) => c.type !== "ResolutionFailed"),
          cond(
            "CatalogSourcesUnhealthy",
            "False",
            "AllCatalogSourcesHealthy",
            "all available catalogsources are healthy",
          ),
        ),
        lastUpdated: new Date().toISOString(),
      },
    });
    if (!manual) api.after(timing.olmResolve, () => executePlan(plan, ns));
  }

  function executePlan(plan: string, ns: string): void {
    const ip = api.get(OLM, "InstallPlan", plan, ns);
    if (!ip || ip.status?.phase === "Complete") return;
    api.update(OLM, "InstallPlan", plan, ns, { status: { phase: "Complete" } });
    const head: string = ip.spec.clusterServiceVersionNames[0];
    const sub = api.list(OLM, "Subscription", ns).find((s) => s.status?.installPlanRef?.name === plan);
    if (!api.get(OLM, "ClusterServiceVersion", head, ns))
      api.seed(csv(head, ns, "Pending", "requirements not yet checked", "RequirementsUnknown"));
    api.after(timing.olmResolve, () => installCsv(head, ns, sub?.spec?.name));
  }

  function installCsv(name: string, ns: string, pkgName: string | undefined): void {
    const pkg = pkgName ? olm.catalogs["redhat-operators"]?.[pkgName] : undefined;
    const ogs = api.list("operators.coreos.com/v1", "OperatorGroup", ns);
    const set = (phase: string, reason: string, message: string): void => {
      api.update(OLM, "ClusterServiceVersion", name, ns, { status: { phase, reason, message } });
    };
    if (ogs.length === 0) {
      set("Pending", "NoOperatorGroup", "csv in namespace with no operatorgroups");
      return;
    }
    if (ogs.length > 1) {
      set(
        "Failed",
        "TooManyOperatorGroups",
        `csv created in namespace with multiple operatorgroups, can't pick one automatically`,
      );
      return;
    }
    const mode = modeFor(ogs[0]!, ns);
    if (pkg && !pkg.installModes.includes(mode)) {
      set(
        "Failed",
        "UnsupportedOperatorGroup",
        `${mode} InstallModeType not supported, cannot configure to watch ${WATCH_TEXT[mode]}`,
      );
      return;
    }
    set("Installing", "InstallWaiting", "installing: waiting for deployment to become ready");
    api.after(timing.olmInstall, () => {
      if (pkg?.installFails) return set("Failed", "InstallCheckFailed", pkg.installFails);
      set("Succeeded", "InstallSucceeded", "install strategy completed with no errors");
      const sub = api.list(OLM, "Subscription", ns).find((s) => s.status?.currentCSV === name);
      if (sub) api.update(OLM, "Subscription", sub.metadata.name, ns, { status: { installedCSV: name } });
      if (pkg) serve(pkg.provides);
      // The operator's own objects come from its first reconcile, after its deployment is ready
      // (the CSV's Succeeded): the GitOps operator makes the openshift-gitops namespace and the
      // default ArgoCD in its GitopsService reconcile, once its manager runs, and only if no
      // ArgoCD of that name exists (redhat-developer/gitops-operator master,
      // controllers/gitopsservice_controller.go, reconcileDefaultArgoCDInstance).
      // A client that acts at Succeeded races it.
      api.after(timing.operatorStart, () => {
        for (const o of pkg?.operands ?? [])
          if (!api.get(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace)) api.seed(o);
      });
    });
  }

  api.on(["Subscription"], (ev) => {
    if (ev.type === "ADDED")
      api.after(timing.olmResolve, () => resolve(ev.object.metadata.name, ev.object.metadata.namespace));
    else if (
      ev.type === "MODIFIED" &&
      ev.old?.metadata.generation !== ev.object.metadata.generation &&
      !ev.object.status?.installedCSV
    )
      api.after(timing.olmResolve, () => resolve(ev.object.metadata.name, ev.object.metadata.namespace));
  });
  api.on(["InstallPlan"], (ev) => {
    const ip = ev.object;
    if (ev.type === "MODIFIED" && ip.spec?.approved && ip.status?.phase === "RequiresApproval") {
      api.update(OLM, "InstallPlan", ip.metadata.name, ip.metadata.namespace, {
        status: { phase: "Installing" },
      });
      api.after(timing.olmResolve, () => executePlan(ip.metadata.name, ip.metadata.namespace));
    }
  });
  api.on(["OperatorGroup"], (ev) => {
    if (ev.type === "DELETED") return;
    const ns = ev.object.metadata.namespace;
    const namespaces = ev.object.spec?.targetNamespaces ?? [""];
    if (JSON.stringify(ev.object.status?.namespaces) !== JSON.stringify(namespaces))
      api.update("operators.coreos.com/v1", "OperatorGroup", ev.object.metadata.name, ns, {
        status: { namespaces, lastUpdated: new Date().toISOString() },
      });
    if (ev.type === "MODIFIED" && ev.old?.metadata.generation === ev.object.metadata.generation) return;
    for (const c of api.list(OLM, "ClusterServiceVersion", ns))
      if (
        ["NoOperatorGroup", "UnsupportedOperatorGroup", "TooManyOperatorGroups"].includes(c.status?.reason)
      ) {
        const sub = api.list(OLM, "Subscription", ns).find((s) => s.status?.currentCSV === c.metadata.name);
        api.after(timing.olmResolve, () => installCsv(c.metadata.name, ns, sub?.spec?.name));
      }
  });
  return olm;
}
