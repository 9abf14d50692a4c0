import pc from "picocolors";

/** Colour only on a TTY and never when NO_COLOR is set (https://no-color.org). FORCE_COLOR wins for tests. */
export function colorEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return isTTY && env.TERM !== "dumb";
}

export type Colors = ReturnType<typeof pc.createColors>;

export function makeColors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}
