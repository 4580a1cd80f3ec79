import { constants as bufferConstants } from 'node:buffer';
import type { ShellChannel } from './channel.js';
import { KILL_SESSION_SCRIPT, KILL_TREE_SCRIPT, tokens } from './frame.js';
import type { ScanTarget } from './scanner.js';
import type { ShellEngine } from './transport.js';

/** Why the library stopped a command. */
export type Termination =
  | { kind: 'idle'; ms: number }
  | { kind: 'deadline'; ms: number }
  | { kind: 'abort'; reason: unknown }
  | { kind: 'maxBuffer'; stream: 'stdout' | 'stderr'; limit: number };

/** How one frame ended. */
export type FrameOutcome =
  /** The end markers came back: the command's exit status (after a termination too). */
  | { kind: 'done'; stdout: Buffer; stderr: Buffer; status: number; termination: Termination | undefined }
  /** The shell went away before the end markers: `shellStopped` when the library stopped it. */
  | { kind: 'died'; stdout: Buffer; stderr: Buffer; termination: Termination | undefined; shellStopped: boolean };

/** Limits of one frame. */
export interface FrameLimits {
  timeout: number | undefined;
  idleTimeout: number | undefined;
  signal: AbortSignal | undefined;
  /** Bytes kept of each collected stream; past it the command is interrupted (MaxBufferError). */
  maxBuffer: number;
  /** Stream stdout to this function as it comes instead of collecting it (lines()). */
  onStdout?: ((bytes: Buffer) => void) | undefined;
}

const EMPTY = Buffer.alloc(0);

/** After the first interrupting pass, how long the end markers may take. */
export const KILL_GRACE_MS = 2000;
/** Interval of the interrupting passes while a stopped command's end markers do not come. */
const PASS_INTERVAL_MS = 300;
/** Bound of a control command (the kill over a second channel). */
export const CONTROL_TIMEOUT_MS = 10_000;

/**
 * Stop a session shell for good: SIGKILL to every process of its remote session but the
 * shell's parent, which reaps it (over a second channel, since the shell may be stuck in a
 * builtin loop that never reads its input), then tear the channel down.
 */
export function stopShell(engine: ShellEngine, ch: ShellChannel): Promise<void> {
  const remote =
    ch.sid !== undefined && ch.sid !== ''
      ? engine.control(KILL_SESSION_SCRIPT, [ch.sid, String(ch.ppid ?? 0)], CONTROL_TIMEOUT_MS)
      : ch.pid !== undefined
        ? engine.control('kill -KILL "$1"', [String(ch.pid)], CONTROL_TIMEOUT_MS)
        : Promise.resolve('');
  return remote.then(
    () => ch.kill(),
    () => ch.kill(),
  );
}

/**
 * Write one frame (built with `marker`) and wait for its end markers on stdout and stderr,
 * enforcing the limits: on a timeout, an abort, output past maxBuffer or {@link FrameRun.stop},
 * a second channel sends the shell a USR1 (its trap returns from the command at the next
 * command boundary) and kills its descendants, again {@link PASS_INTERVAL_MS} after each such
 * pass until the end markers come; if they still do not come {@link KILL_GRACE_MS} after the
 * first pass (the command trapped USR1, the shell is stuck), the shell is stopped. `done`
 * never rejects. One object per command, with no closures: this is the per-command path.
 */
export class FrameRun {
  /** Settles with how the frame ended. */
  readonly done: Promise<FrameOutcome>;
  #resolve!: (o: FrameOutcome) => void;
  readonly #engine: ShellEngine;
  readonly #ch: ShellChannel;
  readonly #limits: FrameLimits;
  #stdout: Buffer | undefined;
  #stderr: Buffer | undefined;
  #status = -1;
  #termination: Termination | undefined;
  #shellStopped = false;
  #settled = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #passTimer: NodeJS.Timeout | undefined;
  #onAbort: (() => void) | undefined;
  /** Interrupting passes still on their way: the next frame must wait for them, or a late one would interrupt it. */
  readonly #passes: Array<Promise<unknown>> = [];

  constructor(engine: ShellEngine, ch: ShellChannel, marker: string, frame: string, limits: FrameLimits, withBegin = false) {
    this.#engine = engine;
    this.#ch = ch;
    this.#limits = limits;
    this.done = new Promise<FrameOutcome>((resolve) => (this.#resolve = resolve));
    const { begin, end } = tokens(marker);
    // Without begin tokens in the frame, the output starts now.
    const b = withBegin ? Buffer.from(begin, 'latin1') : EMPTY;
    const e = Buffer.from(end, 'latin1');
    ch.running = this;
    // Never more than one Buffer can hold, so joining the pieces cannot throw.
    const limit = Math.min(limits.maxBuffer, bufferConstants.MAX_LENGTH);
    ch.out.arm(b, e, new StreamTarget(this, 'stdout', limits), limits.onStdout ? Number.POSITIVE_INFINITY : limit);
    ch.err.arm(b, e, new StreamTarget(this, 'stderr', limits), limit);
    if (limits.idleTimeout !== undefined) {
      const ms = limits.idleTimeout;
      this.#idleTimer = setTimeout(() => this.stop({ kind: 'idle', ms }), ms);
    }
    if (limits.timeout !== undefined) {
      const ms = limits.timeout;
      this.#deadlineTimer = setTimeout(() => this.stop({ kind: 'deadline', ms }), ms);
    }
    const signal = limits.signal;
    if (signal) {
      const onAbort = (this.#onAbort = () => this.stop({ kind: 'abort', reason: signal.reason }));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    if (!this.#settled) ch.write(frame);
  }

  /** Output moved (the idle timer starts again). */
  activity(): void {
    if (!this.#termination) this.#idleTimer?.refresh();
  }

  /** A stream's end marker came. */
  streamDone(stream: 'stdout' | 'stderr', body: Buffer, trailer: string): void {
    if (stream === 'stdout') {
      this.#stdout = body;
      this.#status = /^\d+$/.test(trailer) ? Number(trailer) : -1;
    } else {
      this.#stderr = body;
    }
    if (this.#settled || this.#stdout === undefined || this.#stderr === undefined) return;
    this.#cleanup();
    const outcome: FrameOutcome = { kind: 'done', stdout: this.#stdout, stderr: this.#stderr, status: this.#status, termination: this.#termination };
    if (this.#passes.length === 0) this.#resolve(outcome);
    else void Promise.allSettled(this.#passes).then(() => this.#resolve(outcome));
  }

  /** The channel closed before the end markers. */
  died(): void {
    if (this.#settled) return;
    const ch = this.#ch;
    const stdout = this.#stdout ?? ch.out.partial();
    const stderr = this.#stderr ?? ch.err.partial();
    ch.out.disarm();
    ch.err.disarm();
    this.#cleanup();
    this.#resolve({ kind: 'died', stdout, stderr, termination: this.#termination, shellStopped: this.#shellStopped });
  }

  /** Interrupt the command (the first reason wins); the session stays usable. */
  stop(t: Termination): void {
    if (this.#settled || this.#termination) return;
    this.#termination = t;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#deadlineTimer);
    const ch = this.#ch;
    if (ch.pid === undefined) {
      // Still starting: nothing to spare, stop the shell.
      this.#shellStopped = true;
      void stopShell(this.#engine, ch);
      return;
    }
    this.#pass(String(ch.pid));
  }

  /**
   * One interrupting pass at a time (a slow server must not pile them up), again every
   * PASS_INTERVAL_MS while the end markers do not come: the command may have started new
   * processes meanwhile. The grace period counts from the end of the first pass, once the
   * interrupt has surely been delivered.
   */
  #pass(pid: string): void {
    if (this.#settled) return;
    const done = this.#engine.control(KILL_TREE_SCRIPT, [pid], CONTROL_TIMEOUT_MS).catch(() => {});
    this.#passes.push(done);
    void done.then(() => {
      if (this.#settled) return;
      this.#graceTimer ??= setTimeout(() => {
        if (this.#settled) return;
        clearTimeout(this.#passTimer);
        this.#shellStopped = true;
        void stopShell(this.#engine, this.#ch);
      }, KILL_GRACE_MS);
      if (!this.#shellStopped) this.#passTimer = setTimeout(() => this.#pass(pid), PASS_INTERVAL_MS);
    });
  }

  #cleanup(): void {
    this.#settled = true;
    if (this.#ch.running === this) this.#ch.running = undefined;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#deadlineTimer);
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#passTimer);
    if (this.#onAbort) this.#limits.signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** What one stream's scanner reports to its frame. */
class StreamTarget implements ScanTarget {
  readonly sink: ((bytes: Buffer) => void) | undefined;
  constructor(
    readonly run: FrameRun,
    readonly stream: 'stdout' | 'stderr',
    readonly limits: FrameLimits,
  ) {
    this.sink = stream === 'stdout' ? limits.onStdout : undefined;
  }

  done(body: Buffer, trailer: string): void {
    this.run.streamDone(this.stream, body, trailer);
  }

  activity(): void {
    this.run.activity();
  }

  overflow(): void {
    this.run.stop({ kind: 'maxBuffer', stream: this.stream, limit: this.limits.maxBuffer });
  }
}
