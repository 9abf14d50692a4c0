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
 * A second signal this soon after the first is the same stop delivered twice, not a request to
 * stop at once: coreutils `timeout` (without --foreground) signals the process and then its whole
 * process group (src/timeout.c, cleanup()), and so do shells and supervisors that stop a group.
 */
const REPEAT_MS = 1000;

/**
 * Runs `cleanup` (async, e.g. deleting a pod on the cluster) when llw is stopped by SIGINT,
 * SIGTERM or SIGHUP while `work` runs, then ends llw by that signal; on every other way out of
 * `work` (success or error) `cleanup` runs once before returning. `stopping` is told when a
 * signal starts the clean-up (to say what llw is doing). Another signal more than a second later
 * ends llw at once, leaving the clean-up undone; one sooner is the same stop delivered twice
 * (REPEAT_MS) and is ignored.
 */
export async function withCleanup<T>(
  cleanup: () => Promise<unknown>,
  work: () => Promise<T>,
  stopping?: (signal: NodeJS.Signals) => void,
): Promise<T> {
  let cleaning: Promise<void> | undefined;
  const once = () => {
    cleaning ??= Promise.resolve()
      .then(cleanup)
      .then(
        () => undefined,
        () => undefined,
      );
    return cleaning;
  };
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  const handlers = new Map<NodeJS.Signals, () => void>();
  const remove = () => {
    for (const [s, h] of handlers) process.off(s, h);
  };
  const end = (s: NodeJS.Signals) => {
    remove();
    process.removeAllListeners(s);
    process.kill(process.pid, s);
  };
  for (const s of SIGNALS) {
    const h = () => {
      if (first) {
        if (Date.now() - first.at >= REPEAT_MS) end(s);
        return;
      }
      first = { signal: s, at: Date.now() };
      stopping?.(s);
      void once().finally(() => end(s));
    };
    handlers.set(s, h);
    process.on(s, h);
  }
  try {
    return await work();
  } finally {
    // After a signal, the clean-up it started ends llw (by that signal): wait for it here.
    if (!first) remove();
    await once();
  }
}
