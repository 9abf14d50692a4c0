/**
 * Images pinned by digest for the pods llw starts on a cluster (debug pods, jitter pods): a tag
 * can be moved to other content between two runs, a digest cannot. A reference given with a
 * digest is used as it is; a tag is resolved to its digest by the cluster itself, the way
 * `oc import-image` looks an image up: an ImageStreamImport with `spec.import: false` stores
 * nothing and answers with the image's `dockerImageReference` by digest, read with the cluster's
 * own pull secret (openshift/api image/v1/types.go, ImageStreamImport).
 */
import { EnvironmentError, UserError } from "../lib/errors.ts";
import type { Kube, KubeObject } from "./kube.ts";

/** A container image reference: registry/path[:tag][@sha256:digest], nothing else (no spaces, quotes, newlines). */
const REFERENCE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)+(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;
const DIGEST = /@sha256:[0-9a-f]{64}$/;

export function isPinned(ref: string): boolean {
  return DIGEST.test(ref);
}

export function checkImageReference(ref: string, where: string): void {
  if (ref.length > 512 || !REFERENCE.test(ref))
    throw new UserError({
      what: `${JSON.stringify(ref)} is not a container image reference`,
      where,
      next: "e.g. registry.redhat.io/openshift4/cnf-tests-rhel9:v4.19, or …@sha256:<digest>",
    });
}

/** The reference by digest: as given when it has one, else resolved by the cluster. */
export async function pinImage(
  kube: Kube,
  ref: string,
  namespace: string,
  where: string,
): Promise<{ image: string; note: string }> {
  checkImageReference(ref, where);
  if (isPinned(ref)) return { image: ref, note: `${ref} (pinned by digest)` };
  const next = `pass the image by digest: ${where} ${ref.replace(/:[\w][\w.-]*$/, "")}@sha256:<digest> (\`oc image info ${ref}\` shows it)`;
  let answer: KubeObject;
  try {
    answer = await kube.create({
      apiVersion: "image.openshift.io/v1",
      kind: "ImageStreamImport",
      metadata: { name: "llw-image-lookup", namespace },
      spec: { import: false, images: [{ from: { kind: "DockerImage", name: ref } }] },
    });
  } catch (e) {
    throw new EnvironmentError({
      what: `cannot look up the digest of ${ref} through the cluster (OpenShift's ImageStreamImport): ${(e as Error).message.split("\n")[0]}`,
      where,
      next,
    });
  }
  const result = answer.status?.images?.[0];
  const byDigest: string | undefined = result?.image?.dockerImageReference;
  if (result?.status?.status !== "Success" || !byDigest || !isPinned(byDigest))
    throw new EnvironmentError({
      what: `the cluster could not resolve ${ref} to a digest: ${result?.status?.message ?? result?.status?.reason ?? "no image in the answer"}`,
      where,
      next,
    });
  return { image: byDigest, note: `${ref} resolved by the cluster to ${byDigest}` };
}
