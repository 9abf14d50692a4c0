/**
 * OpenShift's image import API, as `oc import-image` and `oc new-app` use it to look an image up
 * before importing it: POST image.openshift.io/v1 ImageStreamImport with `spec.import: false`
 * resolves each `from` reference against its registry and answers with the image's digest in
 * `status.images[].image.dockerImageReference`, storing nothing (openshift/api image/v1/types.go,
 * ImageStreamImport: "users may choose to see the results of the import prior to tagging";
 * openshift/openshift-apiserver pkg/image/apiserver/registry/imagestreamimport/rest.go returns the
 * object without saving when import is false). The simulated registry knows every image under
 * the registries below, with a digest derived from the reference; any other registry answers
 * "not found", as a registry without the image (or without the pull secret for it) does.
 */
import { createHash } from "node:crypto";
import type { Obj } from "../apiserver.ts";
import { statusBody } from "../apiserver.ts";
import type { Ctx } from "../context.ts";

export const KNOWN_REGISTRIES = ["registry.redhat.io", "registry.access.redhat.com", "quay.io"];

export function simulatedDigest(ref: string): string {
  return `sha256:${createHash("sha256").update(ref).digest("hex")}`;
}

export function startImages(ctx: Ctx): void {
  const { api } = ctx;
  api.addResources([
    {
      group: "image.openshift.io",
      version: "v1",
      kind: "ImageStreamImport",
      plural: "imagestreamimports",
      namespaced: true,
    },
  ]);
  api.react({ verb: "create", group: "image.openshift.io", resource: "imagestreamimports" }, (req) => {
    const body = (req.body ?? {}) as Obj;
    if (req.namespace && !api.get("v1", "Namespace", req.namespace))
      return { code: 404, body: statusBody(404, "NotFound", `namespaces "${req.namespace}" not found`) };
    if (body.spec?.import)
      return {
        code: 422,
        body: statusBody(422, "Invalid", "the simulator only looks images up (spec.import: false)"),
      };
    const images = (body.spec?.images ?? []).map((i: Obj) => {
      const ref = String(i.from?.name ?? "");
      const repo = ref.replace(/@sha256:[0-9a-f]{64}$/, "").replace(/:[\w][\w.-]*$/, "");
      if (!KNOWN_REGISTRIES.includes(ref.split("/")[0]!))
        return { status: { status: "Failure", reason: "NotFound", message: `manifest unknown: ${ref}` } };
      const digest = ref.match(/@(sha256:[0-9a-f]{64})$/)?.[1] ?? simulatedDigest(ref);
      return {
        status: { status: "Success" },
        image: { metadata: { name: digest }, dockerImageReference: `${repo}@${digest}` },
      };
    });
    return {
      code: 201,
      body: { ...body, apiVersion: "image.openshift.io/v1", kind: "ImageStreamImport", status: { images } },
    };
  });
}
