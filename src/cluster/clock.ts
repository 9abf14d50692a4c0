/**
 * Time for commands that wait on the cluster. Injected so tests drive polling loops without
 * real sleeps: a test clock's sleep advances its own time and returns at once.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** A clock for tests: sleeping advances time instantly. */
export function testClock(start = 0): Clock & { slept: number } {
  let t = start;
  const c = {
    slept: 0,
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
      c.slept += ms;
      await Promise.resolve();
    },
  };
  return c;
}

/** "4m05s", "12s", "1h02m": elapsed time as a person reads it. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Parses "90s", "20m", "1h", "1h30m" or plain seconds into milliseconds; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const m = text.match(/^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/);
  if (!m || text === "") return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}
