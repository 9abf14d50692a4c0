import { UserError } from "../lib/errors.ts";

/** Option parsers shared by command specs; they throw UserError naming the flag. */
export function intOption(flag: string, min = 0): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new UserError({ what: `"${value}" is not an integer >= ${min}`, where: flag });
    }
    return n;
  };
}

/** Collects a repeatable option into a list (also accepts comma-separated values). */
export function listOption(value: string, previous: unknown): string[] {
  const prev = Array.isArray(previous) ? (previous as string[]) : [];
  return [
    ...prev,
    ...value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/** A number from min to max; a trailing % is allowed (`--threshold 5%`). */
export function numberOption(
  flag: string,
  min: number,
  max = Number.POSITIVE_INFINITY,
): (v: string) => number {
  return (v: string) => {
    const n = Number(v.replace(/%$/, ""));
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new UserError({ what: `"${v}" is not a number between ${min} and ${max}`, where: flag });
    }
    return n;
  };
}
