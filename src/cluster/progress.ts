/**
 * Progress a person can follow while llw waits on the cluster: the phase, what is awaited,
 * its current state and the elapsed time. On a terminal one line is redrawn in place with a
 * spinner; elsewhere (CI logs, pipes) a plain line is printed each time the state changes.
 */

import type { Colors } from "../lib/color.ts";
import type { OutStream } from "../lib/context.ts";
import { type Clock, formatDuration } from "./clock.ts";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class Progress {
  private readonly out: OutStream;
  private readonly tty: boolean;
  private readonly c: Colors;
  private readonly clock: Clock;
  private readonly started: number;
  private stepStarted: number | undefined;
  private label = "";
  private last = "";
  private frame = 0;
  private drawn = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(out: OutStream, colors: Colors, clock: Clock) {
    this.out = out;
    this.tty = Boolean(out.isTTY);
    this.c = colors;
    this.clock = clock;
    this.started = clock.now();
  }

  /** Total time since the command started. */
  elapsed(): number {
    return this.clock.now() - this.started;
  }

  phase(title: string): void {
    this.clear();
    this.out.write(`${this.c.bold(`==> ${title}`)}\n`);
  }

  /** Starts waiting for something; `update` then reports its state. */
  step(label: string): void {
    this.clear();
    this.label = label;
    this.last = "";
    this.stepStarted = this.clock.now();
  }

  update(state: string): void {
    if (this.tty) {
      this.last = state;
      this.draw();
      // Between polls (seconds apart) the spinner and the elapsed time keep moving.
      this.timer ??= setInterval(() => this.draw(), 120);
      this.timer.unref?.();
    } else if (state !== this.last) {
      this.out.write(`    ${this.label}: ${state} (${this.took()})\n`);
      this.last = state;
    }
  }

  private took(): string {
    return formatDuration(this.clock.now() - (this.stepStarted ?? this.clock.now()));
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.out.write(
      `\r\x1b[2K${this.c.cyan(FRAMES[this.frame]!)} ${this.label}: ${this.last} ${this.c.dim(`(${this.took()})`)}`,
    );
    this.drawn = true;
  }

  ok(message: string): void {
    this.clear();
    const took =
      this.stepStarted !== undefined
        ? ` ${this.c.dim(`(${formatDuration(this.clock.now() - this.stepStarted)})`)}`
        : "";
    this.out.write(`  ${this.c.green("✓")} ${message}${took}\n`);
    this.stepStarted = undefined;
  }

  info(message: string): void {
    this.clear();
    this.out.write(`  ${message}\n`);
  }

  fail(message: string): void {
    this.clear();
    this.out.write(`  ${this.c.red("✗")} ${message}\n`);
  }

  private clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty && this.drawn) this.out.write("\r\x1b[2K");
    this.drawn = false;
  }

  /** Stops the spinner (call when the command ends, successfully or not). */
  end(): void {
    this.clear();
  }
}
