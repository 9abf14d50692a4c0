/**
 * The world the journey runs the lab guides against: the simulated OpenShift cluster of test/sim
 * in its `fresh-no-metal` state (OpenShift 4.20 on AWS as the installer leaves it: no metal worker,
 * nothing of the workshop), with its Machine API creating instances in the EC2 emulator and its
 * Argo CD syncing what the attendee's repository renders; moto_server for AWS behind a proxy that
 * does what moto's CloudFormation leaves undone (aws.ts); and the programs of the pods the guides
 * start (programs.ts). This is the self-paced path: the attendee brings the cluster and the
 * guides create the metal worker, the operators and the data network.
 */
import { join } from "node:path";
import { type Sim, start } from "../sim/index.ts";
import { type JourneyAws, registerNodes, startAws } from "./aws.ts";
import { type Programs, podPrograms, recordJitter } from "./programs.ts";
import { repoServer } from "./repo-server.ts";

export const REGION = "us-east-2";
export const OCP_MINOR = "4.20";

export interface JourneyWorld {
  sim: Sim;
  aws: JourneyAws;
  infra: string;
  kubeconfig: string;
  /** Environment for the attendee's shell: AWS pointed at the emulator (through the proxy). */
  env: Record<string, string>;
  /** AsciiDoc attributes a lab environment would set for this cluster. */
  attributes: Record<string, string>;
  programs: Programs;
  /** What stood in for the real thing, one line each, for the journey's output. */
  notes(): string[];
  stop(): Promise<void>;
}

export interface WorldOptions {
  /** Simulated seconds per real second. */
  speed: number;
}

export async function startJourneyWorld(
  dir: string,
  kubectl: string,
  o: WorldOptions,
): Promise<JourneyWorld> {
  const jitter = recordJitter();
  const infra = "llw-abc12";
  const aws = await startAws(REGION, infra);
  let sim: Sim;
  try {
    sim = await start("fresh-no-metal", {
      speed: o.speed,
      kubeconfig: join(dir, "kubeconfig"),
      machines: aws.machines,
      argo: { children: [], repo: repoServer(dir, kubectl) },
      // A metal instance boots in 10 to 20 minutes; the journey's boots in 5 (simulated).
      timing: { machineProvision: 5 * 60_000 },
    });
  } catch (e) {
    await aws.stop();
    throw e;
  }
  const found = sim.api.get("config.openshift.io/v1", "Infrastructure", "cluster")?.status
    ?.infrastructureName;
  if (found !== infra) throw new Error(`the scenario's infrastructure name is ${found}, not ${infra}`);
  await registerNodes(aws, sim, infra);
  const programs = podPrograms(sim, await jitter);
  return {
    sim,
    aws,
    infra,
    kubeconfig: sim.kubeconfig,
    env: {
      ...aws.moto.env(REGION),
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_DEFAULT_REGION: REGION,
      AWS_REGION: REGION,
      JOURNEY_SIM_SPEED: String(o.speed),
    },
    attributes: { "infra-id": infra, "aws-region": REGION, "ocp-version": OCP_MINOR },
    programs,
    notes: () => [...aws.notes, ...programs.notes],
    async stop() {
      await sim.stop();
      await aws.stop();
    },
  };
}
