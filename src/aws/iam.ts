/**
 * IAM policy documents, as data. Each llw command that calls AWS lists the exact actions it calls
 * here, so the policy a user attaches is least-privilege and a test can prove that every call the
 * command makes is allowed by it.
 */

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/**
 * EC2 actions `llw sriov detect` and `llw sriov generate` call. All are read-only Describe
 * actions; EC2 Describe actions support no resource-level permissions, hence Resource "*".
 */
export const SRIOV_EC2_ACTIONS = [
  "DescribeInstances",
  "DescribeInstanceTypes",
  "DescribeNetworkInterfaces",
  "DescribeSubnets",
] as const;

export const SRIOV_POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "LlwSriovDetectReadOnly",
      Effect: "Allow",
      Action: SRIOV_EC2_ACTIONS.map((a) => `ec2:${a}`),
      Resource: "*",
    },
  ],
};

/** Every action a policy allows, e.g. "ec2:DescribeInstances". */
export function allowedActions(doc: PolicyDocument): Set<string> {
  return new Set(doc.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action));
}
