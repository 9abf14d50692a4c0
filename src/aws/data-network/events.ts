/** Reading CloudFormation stack events and statuses. Pure. */

export interface StackEventFact {
  eventId: string;
  timestamp: Date;
  logicalId: string;
  resourceType: string;
  status: string;
  reason?: string;
}

/** Stack statuses after which nothing more happens until someone acts. */
export function isTerminal(status: string): boolean {
  return !status.endsWith("_IN_PROGRESS") && status !== "REVIEW_IN_PROGRESS";
}

/** Terminal statuses that mean the last operation did what was asked. */
export function isSuccess(status: string, operation: "create" | "update" | "delete"): boolean {
  return (
    status === { create: "CREATE_COMPLETE", update: "UPDATE_COMPLETE", delete: "DELETE_COMPLETE" }[operation]
  );
}

/** Reasons CloudFormation gives to resources it stopped because another one failed. */
const KNOCK_ON = /^Resource (creation|update) cancelled$|^The following resource\(s\) failed to/;

export interface ResourceFailure {
  logicalId: string;
  resourceType: string;
  status: string;
  reason: string;
}

/**
 * The resources that caused an operation to fail, oldest first: *_FAILED resource events whose
 * reason is not a knock-on cancellation. Falls back to the stack's own failure event.
 */
export function rootCauses(events: StackEventFact[], stackName: string): ResourceFailure[] {
  const failed = [...events]
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())
    .filter((e) => e.status.endsWith("_FAILED") && e.reason !== undefined);
  const own = failed.filter((e) => e.logicalId !== stackName && !KNOCK_ON.test(e.reason ?? ""));
  const pick = own.length > 0 ? own : failed.filter((e) => e.logicalId === stackName);
  const seen = new Set<string>();
  return pick
    .filter((e) => !seen.has(e.logicalId) && seen.add(e.logicalId))
    .map((e) => ({
      logicalId: e.logicalId,
      resourceType: e.resourceType,
      status: e.status,
      reason: e.reason ?? "",
    }));
}

/** One progress line per event, e.g. "12:00:03  DataSubnet1  AWS::EC2::Subnet  CREATE_COMPLETE". */
export function formatEvent(e: StackEventFact): string {
  const time = e.timestamp.toISOString().slice(11, 19);
  return `${time}  ${e.logicalId}  ${e.resourceType}  ${e.status}${e.reason ? `  ${e.reason}` : ""}`;
}
