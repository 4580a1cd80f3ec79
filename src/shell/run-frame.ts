import type { ShellChannel } from './channel.js';
import { KILL_SESSION_SCRIPT, KILL_TREE_SCRIPT, tokens } from './frame.js';
import type { ShellEngine } from './transport.js';

/** Why the library stopped a command. */
export type Termination = { kind: 'idle'; ms: number } | { kind: 'deadline'; ms: number } | { kind: 'abort'; reason: unknown };

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
}

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
 * enforcing the limits: on a timeout or abort, a second channel sends the shell a USR1 (its
 * trap returns from the command at the next command boundary) and kills its descendants,
 * again {@link PASS_INTERVAL_MS} after each such pass until the end markers come; if they
 * still do not come {@link KILL_GRACE_MS} after the first pass (the command trapped USR1,
 * the shell is stuck), the shell is stopped. Never rejects.
 */
export function runFrame(engine: ShellEngine, ch: ShellChannel, marker: string, frame: string, limits: FrameLimits): Promise<FrameOutcome> {
  const { begin, end } = tokens(marker);
  return new Promise<FrameOutcome>((resolve) => {
    let stdout: Buffer | undefined;
    let status = -1;
    let stderr: Buffer | undefined;
    let termination: Termination | undefined;
    let shellStopped = false;
    let settled = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let deadlineTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    let passTimer: NodeJS.Timeout | undefined;
    // Interrupting passes still on their way: the next frame must not be sent before they
    // are done, or a late one would interrupt it.
    const passes: Array<Promise<unknown>> = [];

    const cleanup = () => {
      settled = true;
      clearTimeout(idleTimer);
      clearTimeout(deadlineTimer);
      clearTimeout(graceTimer);
      clearTimeout(passTimer);
      limits.signal?.removeEventListener('abort', onAbort);
      offDeath();
    };
    const complete = () => {
      if (settled || stdout === undefined || stderr === undefined) return;
      cleanup();
      const outcome: FrameOutcome = { kind: 'done', stdout, stderr, status, termination };
      if (passes.length === 0) resolve(outcome);
      else void Promise.allSettled(passes).then(() => resolve(outcome));
    };
    const terminate = (t: Termination) => {
      if (settled || termination) return;
      termination = t;
      clearTimeout(idleTimer);
      clearTimeout(deadlineTimer);
      if (ch.pid === undefined) {
        // Still starting: nothing to spare, stop the shell.
        shellStopped = true;
        void stopShell(engine, ch);
        return;
      }
      const pid = String(ch.pid);
      // One pass at a time (a slow server must not pile them up), again every
      // PASS_INTERVAL_MS while the end markers do not come: the command may have started new
      // processes meanwhile. The grace period counts from the end of the first pass, once the
      // interrupt has surely been delivered.
      const pass = (): void => {
        if (settled) return;
        const done = engine.control(KILL_TREE_SCRIPT, [pid], CONTROL_TIMEOUT_MS).catch(() => {});
        passes.push(done);
        void done.then(() => {
          if (settled) return;
          graceTimer ??= setTimeout(() => {
            if (settled) return;
            clearTimeout(passTimer);
            shellStopped = true;
            void stopShell(engine, ch);
          }, KILL_GRACE_MS);
          if (!shellStopped) passTimer = setTimeout(pass, PASS_INTERVAL_MS);
        });
      };
      pass();
    };
    const onAbort = () => terminate({ kind: 'abort', reason: limits.signal!.reason });
    const touch =
      limits.idleTimeout === undefined
        ? undefined
        : () => {
            if (!termination) idleTimer?.refresh();
          };
    const offDeath = ch.onDeath(() => {
      if (settled) return;
      const out = stdout ?? ch.out.partial();
      const err = stderr ?? ch.err.partial();
      ch.out.disarm();
      ch.err.disarm();
      cleanup();
      resolve({ kind: 'died', stdout: out, stderr: err, termination, shellStopped });
    });

    ch.out.arm(
      begin,
      end,
      (body, trailer) => {
        stdout = body;
        status = /^\d+$/.test(trailer) ? Number(trailer) : -1;
        complete();
      },
      touch,
    );
    ch.err.arm(
      begin,
      end,
      (body) => {
        stderr = body;
        complete();
      },
      touch,
    );
    if (limits.idleTimeout !== undefined) {
      const ms = limits.idleTimeout;
      idleTimer = setTimeout(() => terminate({ kind: 'idle', ms }), ms);
    }
    if (limits.timeout !== undefined) {
      const ms = limits.timeout;
      deadlineTimer = setTimeout(() => terminate({ kind: 'deadline', ms }), ms);
    }
    if (limits.signal?.aborted) onAbort();
    else limits.signal?.addEventListener('abort', onAbort, { once: true });
    if (!settled) ch.write(frame);
  });
}
