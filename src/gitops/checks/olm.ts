/**
 * OLM installs nothing for a Subscription without exactly one OperatorGroup in its namespace,
 * and a Subscription without a channel follows whatever the catalog's default channel is.
 */
import { type Check, finding, get, type LintFinding, namespaceOf } from "../model.ts";

export const checkOlm: Check = (objects) => {
  const groups = new Map<string, Set<string>>();
  for (const { obj } of objects) {
    if (obj.kind !== "OperatorGroup") continue;
    const ns = namespaceOf(obj) ?? "";
    groups.set(ns, (groups.get(ns) ?? new Set()).add(String(get(obj, "metadata.name"))));
  }
  const out: LintFinding[] = [];
  const reported = new Set<string>();
  for (const at of objects) {
    const ns = namespaceOf(at.obj) ?? "";
    if (at.obj.kind === "OperatorGroup") {
      const names = groups.get(ns)!;
      if (names.size > 1 && !reported.has(`${at.unit}\0${ns}`)) {
        reported.add(`${at.unit}\0${ns}`);
        out.push(
          finding(
            "error",
            "olm",
            at,
            undefined,
            `namespace ${ns} has ${names.size} OperatorGroups (${[...names].join(", ")}): OLM installs nothing there until only one is left`,
          ),
        );
      }
    }
    if (at.obj.kind !== "Subscription") continue;
    if (!ns) {
      out.push(
        finding(
          "error",
          "olm",
          at,
          "metadata.namespace",
          "a Subscription needs a namespace (the operator's, with its OperatorGroup)",
        ),
      );
    } else if (!groups.has(ns)) {
      out.push(
        finding(
          "error",
          "olm",
          at,
          "metadata.namespace",
          `no OperatorGroup in namespace ${ns}: OLM will not install the operator`,
        ),
      );
    }
    const channel = get(at.obj, "spec.channel");
    if (typeof channel !== "string" || channel === "") {
      out.push(
        finding(
          "error",
          "olm",
          at,
          "spec.channel",
          "no channel: the operator would follow the catalog's default channel, which changes between releases",
        ),
      );
    }
    for (const f of ["source", "sourceNamespace", "name"]) {
      const v = get(at.obj, `spec.${f}`);
      if (typeof v !== "string" || v === "")
        out.push(finding("error", "olm", at, `spec.${f}`, `spec.${f} is required by OLM`));
    }
  }
  return out;
};
