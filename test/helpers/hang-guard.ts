/**
 * A hang guard for code that may never return (a backtracking regex, a quadratic loop): the call
 * runs in a worker thread, which is terminated if it has not finished after `ms`. The test
 * runner's own timeout cannot stop synchronous code; a worker can be. Generous limits only: this
 * guards against hangs and blow-ups, it is not a speed test.
 */
import { type ResourceLimits, Worker } from "node:worker_threads";

/**
 * Calls `fn` exported by `module` (an absolute path) with `args` in a worker; resolves with its
 * result. `limits` caps the worker's memory: a blow-up ends it (ERR_WORKER_OUT_OF_MEMORY) and
 * rejects, instead of taking the machine's memory.
 */
export function withHangGuard<T>(
  module: string,
  fn: string,
  args: unknown[],
  ms = 60_000,
  limits?: ResourceLimits,
): Promise<T> {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    import(workerData.module).then(async (m) => {
      try {
        parentPort.postMessage({ ok: true, value: await m[workerData.fn](...workerData.args) });
      } catch (e) {
        parentPort.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
      }
    });
  `;
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(code, {
      eval: true,
      workerData: { module, fn, args },
      ...(limits ? { resourceLimits: limits } : {}),
    });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${fn}() did not finish within ${ms / 1000} s (hang guard)`));
    }, ms);
    worker.once("message", (m: { ok: boolean; value?: T; error?: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (m.ok) resolve(m.value as T);
      else reject(new Error(m.error));
    });
    worker.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
