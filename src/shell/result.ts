import { AbortError, CommandError, ErrorCode, MaxBufferError, OpenSSHError, ShellSessionError, TimeoutError, type ErrorDetails } from '../errors/index.js';
import { decodeOutput } from '../run/encoding.js';
import { abortError } from '../run/execute.js';
import type { Result } from '../run/result.js';
import type { ShellChannel } from './channel.js';
import type { NormalizedShellCall } from './options.js';
import type { FrameOutcome, Termination } from './run-frame.js';

/**
 * The Result of one session command, or its typed error in `error`: how the frame ended
 * (`outcome`) decoded in the call's encoding.
 */
export function frameResult(host: string, ch: ShellChannel, command: string, call: NormalizedShellCall, outcome: FrameOutcome, durationMs: number): Result<string | Buffer> {
  const argv = ch.transport.argv.slice();
  const details: ErrorDetails = { host, argv, command };
  let stdout: string | Buffer = outcome.stdout;
  let stderr: string | Buffer = outcome.stderr;
  let error: OpenSSHError | undefined;
  if (call.encoding !== 'buffer' && stdout.length === 0 && stderr.length === 0) {
    stdout = stderr = '';
  } else {
    try {
      ({ stdout, stderr } = decodeOutput(outcome.stdout, outcome.stderr, call.encoding, details));
    } catch (e) {
      error = e as OpenSSHError;
    }
  }
  const exitCode = outcome.kind === 'done' ? outcome.status : ch.exit?.exitCode;
  const d: ErrorDetails = { ...details, exitCode, stdout, stderr };
  const t = outcome.termination;
  const restart = outcome.kind === 'died' ? '; the session shell was stopped and the next call starts a new one' : '';
  if (t) error = terminationError(t, d, restart);
  else if (outcome.kind === 'died' && ch.exit?.error instanceof OpenSSHError) {
    error = ch.exit.error;
  } else if (outcome.kind === 'died') {
    const how = exitCode === undefined ? '' : ` with exit code ${exitCode}`;
    error = new ShellSessionError(
      ErrorCode.SHELL_EXITED,
      `the session shell ended${how} while running: ${command}; the next call starts a new shell (cd and variables start afresh)`,
      d,
    );
  } else if (!error && exitCode !== 0) {
    const last = outcome.stderr.toString('utf8').trim().split('\n').slice(-3).join('\n');
    error = new CommandError(`command failed with exit code ${exitCode}: ${command}${last ? `\n${last}` : ''}`, d);
  }
  return {
    host: host,
    command,
    argv,
    stdout,
    stderr,
    exitCode,
    signal: undefined,
    durationMs,
    timedOut: t?.kind === 'idle' || t?.kind === 'deadline',
    aborted: t?.kind === 'abort',
    failed: error !== undefined,
    error,
  };
}
/** The error of a command the library stopped (timeout, abort, maxBuffer); `restart` notes a stopped shell. */
function terminationError(t: Termination, d: ErrorDetails, restart: string): OpenSSHError {
  if (t.kind === 'maxBuffer') {
    return new MaxBufferError(
      t.stream,
      'maxBuffer',
      t.limit,
      `${t.stream} of a shell command went past maxBuffer (${t.limit} bytes); the command was interrupted${restart || ' and the session stays usable'}. Raise maxBuffer, or stream the output (ssh.pipeOut(), ssh.lines())`,
      d,
    );
  }
  if (t.kind === 'abort') {
    const e = abortError(t.reason, d);
    return restart ? new AbortError(`${e.message}${restart}`, { ...d, cause: t.reason }) : e;
  }
  const what = t.kind === 'idle' ? `no output for ${t.ms} ms (idleTimeout)` : `still running after ${t.ms} ms (timeout)`;
  return new TimeoutError(t.kind, t.ms, `shell command timed out: ${what}; its processes were killed${restart}`, d);
}
