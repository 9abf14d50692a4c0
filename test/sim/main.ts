/**
 * `npm run sim -- --scenario NAME --kubeconfig FILE [--port N] [--speed N]`: runs the simulated
 * OpenShift cluster on 127.0.0.1 until SIGINT/SIGTERM, with a kubeconfig the real kubectl, oc and
 * llw use. `--list` shows the scenarios.
 */
import { parseArgs } from "node:util";
import { start } from "./index.ts";
import { SCENARIOS } from "./scenarios.ts";

const USAGE = `usage: npm run sim -- --scenario NAME --kubeconfig FILE [--port N] [--speed N]
       npm run sim -- --list

  --scenario NAME    starting state (see --list)
  --kubeconfig FILE  where to write the kubeconfig (context "sim")
  --port N           port on 127.0.0.1 (default: any free port)
  --speed N          simulated seconds per real second (default 10: a node reboot takes 9 s)
  --list             list the scenarios and exit`;

async function main(argv: string[]): Promise<number> {
  let a: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      args: argv,
      options: {
        scenario: { type: "string" },
        kubeconfig: { type: "string" },
        port: { type: "string" },
        speed: { type: "string" },
        list: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  try {
    a = parse();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const v = a.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (v.list) {
    const w = Math.max(...SCENARIOS.map((s) => s.name.length));
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(w)}  ${s.description}\n`);
    return 0;
  }
  const bad = (m: string) => {
    process.stderr.write(`${m}\n${USAGE}\n`);
    return 2;
  };
  if (!v.scenario) return bad("--scenario is required");
  if (!SCENARIOS.some((s) => s.name === v.scenario))
    return bad(`unknown scenario "${v.scenario}"; run with --list`);
  if (!v.kubeconfig) return bad("--kubeconfig is required");
  const port = v.port === undefined ? 0 : Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return bad(`--port: not a port number: ${v.port}`);
  const speed = v.speed === undefined ? 10 : Number(v.speed);
  if (!(speed > 0)) return bad(`--speed: must be a positive number: ${v.speed}`);
  const sim = await start(v.scenario, { port, speed, kubeconfig: v.kubeconfig });
  process.stderr.write(
    `simulated OpenShift "${v.scenario}" at ${sim.url} (speed ${speed}x); kubeconfig ${sim.kubeconfig}\nstop with Ctrl-C\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await sim.stop();
  if (sim.api.errors.length > 0) {
    process.stderr.write(`simulator errors:\n${sim.api.errors.map((e) => e.stack).join("\n")}\n`);
    return 70;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
