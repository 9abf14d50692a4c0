/**
 * The Kubernetes grammar for names and labels, as the API server validates them
 * (kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go:
 * IsQualifiedName, IsValidLabelValue, IsDNS1123Subdomain, IsDNS1123Label). A name that passes
 * is plain text in any YAML or JSON position: no colon, space, quote, brace or newline.
 */
import { UserError } from "./errors.ts";

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/** A label (or annotation) key: `[prefix/]name`, prefix a DNS-1123 subdomain, name at most 63 characters. */
export function isLabelKey(s: string): boolean {
  const i = s.lastIndexOf("/");
  const name = i < 0 ? s : s.slice(i + 1);
  const prefix = i < 0 ? undefined : s.slice(0, i);
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return false;
  return name.length <= 63 && NAME.test(name);
}

/** A label value: empty, or at most 63 characters of [A-Za-z0-9._-] starting and ending alphanumeric. */
export function isLabelValue(s: string): boolean {
  return s === "" || (s.length <= 63 && NAME.test(s));
}

/** Throws a UserError (exit 2) unless `key` (and `value`) are a valid label selector term. */
export function checkLabel(key: string, value: string | undefined, where: string): void {
  if (!isLabelKey(key))
    throw new UserError({
      what: `${JSON.stringify(key)} is not a Kubernetes label key ([prefix/]name: the prefix a DNS subdomain, the name at most 63 letters, digits, '-', '_' or '.')`,
      where,
      next: "e.g. node-role.kubernetes.io/worker-rt",
    });
  if (value !== undefined && !isLabelValue(value))
    throw new UserError({
      what: `${JSON.stringify(value)} is not a Kubernetes label value (at most 63 letters, digits, '-', '_' or '.')`,
      where,
    });
}
