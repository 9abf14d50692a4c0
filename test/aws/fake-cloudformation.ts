/**
 * A fake CloudFormation endpoint for failures the EC2 emulator cannot produce: it speaks the real
 * wire protocol (AWS query: form-encoded POST in, XML out) to the real @aws-sdk/client-cloudformation,
 * and plays a scripted stack history. moto fails resources inside CreateStack and writes no
 * resource events; real CloudFormation accepts the stack, then reports CREATE_FAILED for the
 * resource and rolls back, which is what this plays.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptedEvent {
  logicalId: string;
  type: string;
  status: string;
  reason?: string;
}

/** Each step is what one poll (DescribeStackEvents, then DescribeStacks) sees: the events so far and the stack status. */
export interface ScriptStep {
  status: string;
  events: ScriptedEvent[];
}

const NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function reply(action: string, body: string): string {
  return `<${action}Response xmlns="${NS}"><${action}Result>${body}</${action}Result><ResponseMetadata><RequestId>fake-1</RequestId></ResponseMetadata></${action}Response>`;
}

export interface FakeCloudFormation {
  endpoint: string;
  /** Actions received, in order. */
  calls: string[];
  close: () => Promise<void>;
}

/**
 * Plays `script` after CreateStack, or after UpdateStack when `existing` gives the parameters of
 * a stack that is already there (CREATE_COMPLETE, no resources listed).
 */
export async function fakeCloudFormation(
  stackName: string,
  script: ScriptStep[],
  existing?: Record<string, string>,
): Promise<FakeCloudFormation> {
  const calls: string[] = [];
  const stackId = `arn:aws:cloudformation:us-east-1:123456789012:stack/${stackName}/0f1e2d3c-aaaa-bbbb-cccc-000000000001`;
  /** When the scripted operation started (CreateStack or UpdateStack). */
  let created: Date | undefined;
  const exists = existing !== undefined;
  let step = -1;
  const shown: (ScriptedEvent & { at: Date; id: string })[] = [];
  const reveal = () => {
    step = Math.min(step + 1, script.length - 1);
    for (const e of script[step]!.events.slice(shown.length)) {
      shown.push({ ...e, at: new Date(created!.getTime() + shown.length * 1000), id: `ev-${shown.length}` });
    }
  };
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => {
      raw += c;
    });
    req.on("end", () => {
      const form = new URLSearchParams(raw);
      const action = form.get("Action") ?? "";
      calls.push(action);
      const send = (status: number, xml: string) => {
        res.writeHead(status, { "content-type": "text/xml" });
        res.end(xml);
      };
      const notFound = () =>
        send(
          400,
          `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${esc(form.get("StackName") ?? "")} does not exist</Message></Error><RequestId>fake-2</RequestId></ErrorResponse>`,
        );
      if (action === "CreateStack") {
        created = new Date();
        return send(200, reply(action, `<StackId>${stackId}</StackId>`));
      }
      if (action === "UpdateStack") {
        if (!exists) return notFound();
        created = new Date();
        return send(200, reply(action, `<StackId>${stackId}</StackId>`));
      }
      if (action === "ListStackResources") {
        if (!exists && !created) return notFound();
        return send(200, reply(action, "<StackResourceSummaries/>"));
      }
      if (action === "DescribeStacks") {
        const asked = form.get("StackName");
        // Before the create, the stack does not exist; after deletion it is found by id only.
        if ((!created && !exists) || (asked !== stackId && script[step]?.status === "DELETE_COMPLETE"))
          return notFound();
        const status = created ? script[Math.max(step, 0)]!.status : "CREATE_COMPLETE";
        const params = Object.entries(existing ?? {})
          .map(
            ([k, v]) =>
              `<member><ParameterKey>${k}</ParameterKey><ParameterValue>${esc(v)}</ParameterValue></member>`,
          )
          .join("");
        return send(
          200,
          reply(
            action,
            `<Stacks><member><StackName>${stackName}</StackName><StackId>${stackId}</StackId><CreationTime>2026-01-01T00:00:00.000Z</CreationTime><StackStatus>${status}</StackStatus><Parameters>${params}</Parameters></member></Stacks>`,
          ),
        );
      }
      if (action === "DescribeStackEvents") {
        if (!created && !exists) return notFound();
        if (created) reveal();
        const members = [...shown]
          .reverse()
          .map(
            (e) =>
              `<member><StackId>${stackId}</StackId><EventId>${e.id}</EventId><StackName>${stackName}</StackName><LogicalResourceId>${e.logicalId}</LogicalResourceId><ResourceType>${e.type}</ResourceType><Timestamp>${e.at.toISOString()}</Timestamp><ResourceStatus>${e.status}</ResourceStatus>${e.reason ? `<ResourceStatusReason>${esc(e.reason)}</ResourceStatusReason>` : ""}</member>`,
          )
          .join("");
        return send(200, reply(action, `<StackEvents>${members}</StackEvents>`));
      }
      send(
        400,
        `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>the fake does not play ${esc(action)}</Message></Error><RequestId>fake-3</RequestId></ErrorResponse>`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
