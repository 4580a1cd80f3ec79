import type { Writable } from 'node:stream';
import type { FleetCounts } from '../fleet/progress.js';

const CODES = { red: [31, 39], green: [32, 39], yellow: [33, 39], dim: [2, 22], bold: [1, 22] } as const;

/** Colours for a stream: only on a terminal, never with NO_COLOR set (https://no-color.org). */
export function colorsFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): (c: keyof typeof CODES, s: string) => string {
  const on = stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
  return (c, s) => (on ? `\x1b[${CODES[c][0]}m${s}\x1b[${CODES[c][1]}m` : s);
}

/** How long ago, for people: `850ms`, `12.3s`, `4m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The progress line's text. */
export function progressText(c: FleetCounts, elapsedMs: number): string {
  const failed = c.failed + c.timedOut + c.aborted;
  return `[${c.done}/${c.total}] ok ${c.ok}  failed ${failed}  running ${c.running + c.connecting}  ${formatDuration(elapsedMs)}`;
}

/**
 * The terminal: output to stdout/stderr, and on a TTY a live progress line on stderr that is
 * erased before any output is written and drawn again after, so the two never mix. Twenty
 * lines of our own rather than a progress-bar package: one line, no bar, nothing to configure.
 */
export class Screen {
  readonly #out: Writable;
  readonly #err: Writable;
  readonly #progress: boolean;
  #line = '';
  #shown = false;
  #timer: NodeJS.Timeout | undefined;
  #counts: FleetCounts | undefined;
  readonly #t0 = performance.now();

  constructor(out: Writable, err: Writable, progress: boolean) {
    this.#out = out;
    this.#err = err;
    this.#progress = progress;
    if (progress) {
      this.#timer = setInterval(() => this.#draw(), 200);
      this.#timer.unref();
    }
  }

  #erase(): void {
    if (this.#shown) this.#err.write('\r\x1b[K');
    this.#shown = false;
  }

  #draw(): void {
    if (!this.#progress || !this.#counts) return;
    this.#line = progressText(this.#counts, performance.now() - this.#t0);
    this.#err.write(`\r\x1b[K${this.#line}`);
    this.#shown = true;
  }

  /** New counts for the progress line. */
  update(counts: FleetCounts): void {
    this.#counts = counts;
  }

  /** Write to stdout. */
  out(text: string): void {
    this.#erase();
    this.#out.write(text);
  }

  /** Write to stderr. */
  err(text: string): void {
    this.#erase();
    this.#err.write(text);
  }

  /** Remove the progress line for good. */
  stop(): void {
    clearInterval(this.#timer);
    this.#erase();
  }
}
