/**
 * Clean-up that must happen however llw stops: a temp file beside a target, a half-made run
 * directory. `onInterrupt(fn)` registers a synchronous clean-up that runs on SIGINT, SIGTERM and
 * SIGHUP (and on process exit); the returned function unregisters it when the work is done.
 *
 * While anything is registered, llw listens for those signals; after running every clean-up it
 * re-raises the signal with the listener gone, so the shell sees the usual "killed by SIGINT"
 * status (130) — unless some other part of llw listens for the signal too, which then owns the
 * exit (e.g. to delete a pod on the cluster first).
 */

type Cleanup = () => void;

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const cleanups = new Set<Cleanup>();
let listening = false;

function runAll(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // a clean-up that fails must not stop the others
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  stopListening();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function startListening(): void {
  if (listening) return;
  listening = true;
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on("exit", runAll);
}

function stopListening(): void {
  if (!listening) return;
  listening = false;
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off("exit", runAll);
}

/** Runs `fn` (synchronously) if llw is interrupted or exits before the returned function is called. */
export function onInterrupt(fn: Cleanup): () => void {
  cleanups.add(fn);
  startListening();
  return () => {
    cleanups.delete(fn);
    if (cleanups.size === 0) stopListening();
  };
}

/** How many clean-ups are pending (for tests: none is left behind after a command). */
export function pendingCleanups(): number {
  return cleanups.size;
}
