/**
 * Tags that mark what the workshop created in AWS. The data-network template and `llw aws network`
 * put them on every resource. `llw sriov detect` reads the cluster tag and `llw:infra-id` on
 * detached ENIs to list only the cluster's (other clusters and tools share the VPC).
 */

/** The tag OpenShift's installer and machine API put on everything a cluster owns. */
export function clusterTagKey(infraId: string): string {
  return `kubernetes.io/cluster/${infraId}`;
}

/** What a data-network resource is: data-subnet, data-security-group, data-route-table, data-interface. */
export const ROLE_TAG = "llw:role";
export const DATA_INTERFACE_ROLE = "data-interface";

/** The infra id of the cluster a data network belongs to (also readable without the cluster tag's key). */
export const INFRA_ID_TAG = "llw:infra-id";

/** The stack that created a resource (CloudFormation adds it to everything it tags). */
export const STACK_NAME_TAG = "aws:cloudformation:stack-name";

/** The CloudFormation stack name for a cluster's data network. */
export function dataNetworkStackName(infraId: string): string {
  return `${infraId}-llw-data-network`;
}
