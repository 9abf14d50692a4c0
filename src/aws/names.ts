/**
 * The grammar of the AWS and OpenShift names llw reads from users and from files, in one place, so
 * that a name is checked the same way everywhere before it becomes part of a file name, a tag, a
 * stack parameter or an API call.
 */

/**
 * An availability zone name: region (two letters, then dash-separated words and the region number)
 * and a zone letter. Accepts the commercial regions (us-east-2a), GovCloud (us-gov-west-1a), ISO
 * regions (us-iso-east-1a) and Local Zones (us-east-1-bos-1a), as DescribeAvailabilityZones names
 * them. No slash, dot or upper case can pass, so a zone is safe inside a file name.
 */
export const AVAILABILITY_ZONE = /^[a-z]{2}(-[a-z0-9]+)+-[0-9]+[a-z]$/;
/** The same grammar as a CloudFormation AllowedPattern string. */
export const AVAILABILITY_ZONE_PATTERN = "[a-z]{2}(-[a-z0-9]+)+-[0-9]+[a-z]";

/**
 * An OpenShift infrastructure id (metadata.json infraID): the installer makes it from the cluster
 * name (a DNS label) cut to 21 characters, a dash and five random characters; llw accepts any DNS
 * label of up to 40 characters. Safe inside a file name and a tag value.
 */
export const INFRA_ID = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const INFRA_ID_MAX = 40;

export function isInfraId(s: string | undefined): s is string {
  return typeof s === "string" && s.length <= INFRA_ID_MAX && INFRA_ID.test(s);
}

export function isAvailabilityZone(s: string | undefined): s is string {
  return typeof s === "string" && s.length <= 64 && AVAILABILITY_ZONE.test(s);
}

/** An EC2 instance id: i- and 8 or 17 hexadecimal digits. */
export const INSTANCE_ID = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;
