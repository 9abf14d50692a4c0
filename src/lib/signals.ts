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

/**
 * Runs `cleanup` (async, e.g. deleting a pod on the cluster) when llw is stopped by SIGINT,
 * SIGTERM or SIGHUP while `work` runs, then ends llw by that signal; on every other way out of
 * `work` (success or error) `cleanup` runs once before returning. A second signal during the
 * clean-up ends llw at once.
 */
export async function withCleanup<T>(cleanup: () => Promise<unknown>, work: () => Promise<T>): Promise<T> {
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    await cleanup().catch(() => undefined);
  };
  const handlers = new Map<NodeJS.Signals, () => void>();
  const remove = () => {
    for (const [s, h] of handlers) process.off(s, h);
  };
  for (const s of SIGNALS) {
    const h = () => {
      remove();
      process.once(s, () => process.kill(process.pid, s));
      void once().finally(() => {
        process.removeAllListeners(s);
        process.kill(process.pid, s);
      });
    };
    handlers.set(s, h);
    process.on(s, h);
  }
  try {
    return await work();
  } finally {
    remove();
    await once();
  }
}
