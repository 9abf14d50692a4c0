/**
 * `npm run journey`: walks the lab guides as an attendee does. Every execute block of every page, in
 * page order, runs in bash in a fresh copy of this checkout, against a simulated cluster (kubectl
 * serving `oc`), the EC2 emulator (the aws CLI and llw pointed at it) and the stand-in kube-burner
 * that writes kube-burner's real output format. A block marked `journey-skip="reason"` is counted
 * as skipped with its reason. At the story's points it prints `checkpoint <name>: ok|failed`, and
 * at the end `journey: N blocks run, S skipped, F failed`; the exit code is 1 on any failure.
 *
 *   npm run journey [-- --keep] [--verbose] [--speed N] [--until TEXT] [--move TEXT@TEXT]
 *   --keep            keep the temporary directory (the attendee's clone, results, kubeconfig,
 *                     each block's output in blocks/)
 *   --verbose         print every block's output
 *   --speed N         simulated seconds per real second (default 100)
 *   --until TEXT      stop after the first block containing TEXT
 *   --move A@B        move the first block containing A to just before the first containing B
 */
import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { ROOT, which } from "../helpers/tools.ts";
import { executeBlocks } from "./blocks.ts";
import {
  baselineBeforeTuning,
  clean,
  compared,
  mark,
  oneRollout,
  tunedFits,
  type Verdict,
  watchUnschedulable,
} from "./checkpoints.ts";
import { startJourneyWorld } from "./world.ts";

const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const BLOCK_TIMEOUT_MS = 600_000; // a hang guard, not a speed limit

/** A copy of this checkout's files (tracked and new, as in the working tree) in a fresh git repo. */
function copyCheckout(to: string): void {
  const files = spawnSync("git", ["-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"], {
    encoding: "utf8",
  })
    .stdout.split("\0")
    .filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true });
    try {
      cpSync(join(ROOT, f), join(to, f), { verbatimSymlinks: true });
    } catch {
      // deleted in the working tree but still tracked
    }
  }
  const git = (...a: string[]) => spawnSync("git", ["-C", to, ...a], { encoding: "utf8" });
  git("init", "-q", "-b", "main");
  git("-c", "user.email=journey@localhost", "-c", "user.name=journey", "add", "-A");
  git("-c", "user.email=journey@localhost", "-c", "user.name=journey", "commit", "-qm", "journey");
}

/** The attendee's clone (the welcome page's `git clone --branch main <repo>`), of the copy as `origin`. */
function cloneAsAttendee(source: string, to: string): void {
  const r = spawnSync("git", ["clone", "-q", "--branch", "main", `file://${source}`, to], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`git clone: ${r.stderr}`);
}

function runBash(
  script: string,
  env: Record<string, string>,
): Promise<{ status: number | null; signal: string | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", script], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), BLOCK_TIMEOUT_MS);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, output });
    });
  });
}

/** The guides run `llw`, which is `dist/` (bin/llw.js): a source file newer than it means a stale build. */
function staleBuild(): string | undefined {
  const cli = join(ROOT, "dist", "cli.js");
  if (!existsSync(cli)) return "dist/ is missing";
  const built = statSync(cli).mtimeMs;
  const newer = readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" }).find(
    (f) => f.endsWith(".ts") && statSync(join(ROOT, "src", f)).mtimeMs > built,
  );
  return newer ? `src/${newer} is newer than dist/cli.js` : undefined;
}

async function main(): Promise<number> {
  const began = Date.now();
  const stale = staleBuild();
  if (stale) {
    process.stderr.write(`journey: ${stale}: run \`npm run build\` (the guides run llw from dist/)\n`);
    return 3;
  }
  const kubectl = which("kubectl");
  if (!kubectl) {
    process.stderr.write(
      "journey: kubectl is missing: run `npm run tools` (it installs .tools/bin/kubectl)\n",
    );
    return 3;
  }
  const speed = Number(flag("--speed") ?? 100);
  const base = mkdtempSync(join(tmpdir(), "llw-journey-"));
  const source = join(base, "repository");
  const cwd = join(base, "low-latency-workshop");
  const state = join(base, "state");
  mkdirSync(state);
  copyCheckout(source);
  cloneAsAttendee(source, cwd);
  const world = await startJourneyWorld(base, kubectl, { speed });
  process.stdout.write(
    `journey: simulated OpenShift ${world.attributes["ocp-version"]} (scenario fresh-no-metal, ${speed}x), moto_server for AWS, the stand-in kube-burner\n`,
  );
  const attrs: Record<string, string> = {
    ...(parse(readFileSync(join(ROOT, "content", "antora.yml"), "utf8")).asciidoc.attributes as Record<
      string,
      string
    >),
    ...world.attributes,
    "git-repo-url": `file://${source}`,
    "git-revision": "main",
  };
  for (const k of Object.keys(attrs)) attrs[k] = String(attrs[k]);
  let blocks = executeBlocks(join(ROOT, "content", "modules", "ROOT", "pages"), attrs);
  const move = flag("--move");
  if (move) {
    const [a, b] = move.split("@") as [string, string];
    const from = blocks.findIndex((x) => x.text.includes(a));
    const block = blocks[from];
    if (!block) throw new Error(`--move: no block contains ${a}`);
    blocks = blocks.filter((_, i) => i !== from);
    const to = blocks.findIndex((x) => x.text.includes(b));
    if (to < 0) throw new Error(`--move: no block contains ${b}`);
    blocks.splice(to, 0, block);
    process.stdout.write(`journey: moved ${block.id} before ${blocks[to + 1]!.id}\n`);
  }
  const until = flag("--until");

  const env: Record<string, string> = {
    PATH: [join(ROOT, "test", "journey", "bin"), dirname(kubectl), process.env.PATH ?? ""].join(":"),
    HOME: base,
    KUBECONFIG: world.kubeconfig,
    JOURNEY_KUBECTL: kubectl,
    JOURNEY_ROOT: ROOT,
    NO_COLOR: "1",
    LANG: "C.UTF-8",
    ...world.env,
  };
  writeFileSync(join(state, "cwd"), cwd);
  writeFileSync(join(state, "env"), "");

  let ran = 0;
  let skipped = 0;
  let failed = 0;
  const outputs: { command: string; output: string }[] = [];
  const checkpoints: [string, Verdict][] = [];
  const checkpoint = (name: string, v: Verdict) => {
    checkpoints.push([name, v]);
    process.stdout.write(`checkpoint ${name}: ${v.ok ? "ok" : "failed"} (${v.detail})\n`);
  };
  const unschedulable = watchUnschedulable(world);
  let rolloutFrom: number | undefined;
  let tuned = false;
  const isTuning = (t: string) => /llw tune apply [^\n]*performance-profiles(?![^\n]*--dry-run)/.test(t);
  let notesShown = 0;

  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (!tuned && isTuning(b.text)) {
      checkpoint("baseline-before-tuning", baselineBeforeTuning(world, cwd));
      rolloutFrom = mark(world);
    }
    // After the last measurement, before the clean-up removes results/.
    if (
      (b.page.startsWith("06-") || /rm -rf results/.test(b.text)) &&
      !checkpoints.some(([n]) => n === "tuned-fits")
    ) {
      checkpoint("tuned-fits", tunedFits(world, cwd, unschedulable));
      checkpoint("compare", compared(outputs));
    }
    if (b.skip !== undefined) {
      skipped++;
      process.stdout.write(`skip  ${b.id}: ${b.skip}\n`);
    } else {
      const script = [
        `cd "$(cat '${state}/cwd')"`,
        `. '${state}/env' 2>/dev/null || true`,
        `trap 'pwd > "${state}/cwd"; export -p > "${state}/env"' EXIT`,
        "set -a -e -o pipefail",
        b.text,
      ].join("\n");
      // Asynchronously: the simulated API server answers from this process's event loop.
      const t0 = Date.now();
      const r = await runBash(script, env);
      const output = r.output;
      outputs.push({ command: b.text, output });
      if (argv.includes("--keep")) {
        mkdirSync(join(base, "blocks"), { recursive: true });
        writeFileSync(join(base, "blocks", `${b.id.replace(":", "-")}.log`), `$ ${b.text}\n${output}`);
      }
      ran++;
      const took = `${((Date.now() - t0) / 1000).toFixed(1)}s`;
      if (r.status === 0)
        process.stdout.write(`ok    ${b.id} (${took}): ${b.text.split("\n")[0]!.slice(0, 100)}\n`);
      else {
        failed++;
        process.stdout.write(
          `FAIL  ${b.id} (${took}): exit ${r.status ?? r.signal}\n${b.text.replace(/^/gm, "      $ ")}\n${output.trimEnd().split("\n").slice(-20).join("\n").replace(/^/gm, "      | ")}\n`,
        );
      }
      if (argv.includes("--verbose"))
        process.stdout.write(`${output.trimEnd().replace(/^/gm, "      > ")}\n`);
    }
    // What stood in for the real thing while the block ran.
    const notes = world.notes();
    for (const n of notes.slice(notesShown)) process.stdout.write(`      stand-in: ${n}\n`);
    notesShown = notes.length;
    if (!tuned && isTuning(b.text) && b.skip === undefined) {
      tuned = true;
      checkpoint("one-rollout", oneRollout(world, rolloutFrom!));
    }
    if (until && b.text.includes(until)) break;
  }
  if (!until) checkpoint("clean", await clean(world));

  const total = blocks.length;
  await world.stop();
  if (argv.includes("--keep")) process.stdout.write(`journey: kept ${base}\n`);
  else rmSync(base, { recursive: true, force: true });
  process.stdout.write(
    `journey: ${total} execute blocks, ${Math.round((100 * ran) / total)}% run, in ${Math.round((Date.now() - began) / 1000)}s\n`,
  );
  process.stdout.write(`journey: ${ran} blocks run, ${skipped} skipped, ${failed} failed\n`);
  return failed > 0 || checkpoints.some(([, v]) => !v.ok) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`journey: ${(e as Error).stack}\n`);
    process.exit(70);
  },
);
