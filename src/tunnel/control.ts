import { buildForwardArgv, type ForwardSpec } from '../argv/control.js';
import type { ExecContext } from '../run/execute.js';
import { debug } from '../log.js';

/** How an `ssh -O forward`/`-O cancel` request ended. */
export interface ControlOutcome {
  argv: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The request was stopped: it ran past `timeoutMs`, or `signal` aborted. */
  stopped: { kind: 'deadline'; ms: number } | { kind: 'abort'; reason: unknown } | undefined;
  /** ssh could not be started. */
  error: Error | undefined;
}

/**
 * Send one forwarding request to the master (`ssh -L|-R|-D spec -O forward|cancel`),
 * stdout and stderr kept apart (a remote forward to port 0 prints the allocated port on
 * stdout). Bounded by `timeoutMs`; `signal` stops it. Never rejects.
 */
export async function forwardRequest(
  ctx: ExecContext,
  command: 'forward' | 'cancel',
  f: ForwardSpec,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ControlOutcome> {
  const argv = buildForwardArgv(ctx.master.spec, command, f);
  debug('forward request %j', argv);
  const proc = ctx.engine.spawn({ file: argv[0]!, args: argv.slice(1), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout?.on('data', (c: Buffer) => out.push(c));
  proc.stderr?.on('data', (c: Buffer) => err.push(c));
  let stopped: ControlOutcome['stopped'];
  const stop = (why: NonNullable<ControlOutcome['stopped']>) => {
    stopped ??= why;
    proc.kill('SIGKILL');
  };
  const timer = setTimeout(() => stop({ kind: 'deadline', ms: timeoutMs }), timeoutMs);
  const onAbort = () => stop({ kind: 'abort', reason: signal!.reason });
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  const exit = await proc.exited;
  clearTimeout(timer);
  signal?.removeEventListener('abort', onAbort);
  const outcome: ControlOutcome = {
    argv,
    exitCode: exit.exitCode,
    signal: exit.signal,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    stopped,
    error: exit.exitCode === null && exit.signal === null ? exit.error : undefined,
  };
  debug('forward request exited %s: %s', exit.exitCode ?? exit.signal, (outcome.stdout + outcome.stderr).trim());
  return outcome;
}

/**
 * Whether the request failed. `ssh -O cancel` exits 0 even when the master refuses
 * ("port not forwarded"), so its stderr decides too.
 */
export function requestFailed(r: ControlOutcome): boolean {
  return r.stopped !== undefined || r.error !== undefined || r.exitCode !== 0 || /request failed/.test(r.stderr);
}

/** The lines the master logged between two reads of its log tail (`before` then `after`). */
export function logSince(before: string, after: string): string {
  if (before === '') return after.trim();
  const anchor = before.slice(-200);
  const at = after.lastIndexOf(anchor);
  return at === -1 ? '' : after.slice(at + anchor.length).trim();
}

/** The reason ssh gave for a refused request: `...request failed: <reason>`, else its last line. */
export function refusalReason(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  for (const l of lines) {
    const m = /forwarding request failed: (.*)$/.exec(l);
    if (m) return m[1]!;
  }
  return lines.at(-1) ?? 'no reason given';
}
