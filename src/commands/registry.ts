/**
 * Every llw command, its options and examples, in one place. Command code is imported lazily
 * when the command runs, so `llw --help` and simple commands start fast.
 */
import type { CommandSpec, GroupSpec } from "./types.ts";

export const GROUPS: GroupSpec[] = [
  // --- groups: add yours in your area's block below ---
];

export const COMMANDS: CommandSpec[] = [
  // --- topology and profile (issue 2) ---
  // --- gitops tree and lint (issue 3) ---
  // --- sriov (issue 4) ---
  // --- cluster: install, tune, doctor (issue 5) ---
  // --- bench, latency, report (issue 6) ---
  // --- aws (issue 8) ---
];
