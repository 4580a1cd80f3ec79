import { CommandError, ErrorCode, MasterError, MuxProtocolError, SlaveError, type ErrorDetails, type OpenSSHError } from '../errors/index.js';
import type { Master } from '../master/master.js';
import type { ProcessExit } from '../run/engine.js';

/**
 * The typed error for a remote side the mux engine could not run (`exit.remoteFailure`): the
 * same classes and codes as the spawn engine. A broken connection is a MasterError when the
 * master is gone (decided by its alive check), a MuxProtocolError otherwise.
 */
export async function remoteFailureError(exit: ProcessExit, master: Master, command: string, d: ErrorDetails): Promise<OpenSSHError> {
  const f = exit.remoteFailure!;
  const details = { ...d, cause: exit.error };
  switch (f.kind) {
    case 'session-refused':
      return new SlaveError(
        ErrorCode.SESSION_REFUSED,
        `the master refused a new session (the server's MaxSessions limit is reached: ${f.message}): run fewer commands at once on this connection`,
        details,
      );
    case 'tunnel-refused':
      if (command.startsWith('/')) return new CommandError(socketRefusal(command, f.message, exit.error), details);
      return new CommandError(`tunnel to ${command} failed: the server could not open the connection: ${f.message}`, details);
    case 'request-refused':
      return new CommandError(f.message, details);
    case 'output':
      return new SlaveError(ErrorCode.SLAVE_PIPE_FAILED, f.message, details);
    case 'connection': {
      if (!(await master.alive())) {
        const m = master.error;
        return new MasterError(m?.reason ?? 'exited', `the master connection is gone: ${m?.message ?? 'master check failed'}`, { ...details, cause: m ?? exit.error });
      }
      const cause = exit.error;
      return new MuxProtocolError(cause instanceof MuxProtocolError ? cause.reason : 'closed', f.message, details);
    }
  }
}

/** RFC 4254 section 5.1 reason codes, as words. */
const OPEN_FAILURE_NAMES: Record<number, string> = { 1: 'administratively prohibited', 2: 'connect failed', 3: 'unknown channel type', 4: 'resource shortage' };

/**
 * The message of a refused tunnel to a remote Unix socket. sshd (9.2 and today's) answers
 * every refusal of a direct-streamlocal channel with the same "open failed" and reason 2: a
 * missing socket, a socket the user may not connect to, AllowStreamLocalForwarding no. The
 * message says so instead of guessing.
 */
export function socketRefusal(path: string, reason: string, cause: unknown): string {
  const code = (cause as { openFailureReason?: number } | undefined)?.openFailureReason;
  const name = code === undefined ? '' : ` (${OPEN_FAILURE_NAMES[code] ?? `reason ${code}`})`;
  return (
    `tunnel to the Unix socket ${path} failed: the server could not connect to it: ${reason}${name}; ` +
    "sshd gives this answer when the socket does not exist, when the remote user may not connect to it, and when its AllowStreamLocalForwarding forbids it (the server's log says which)"
  );
}

/** What to add to a timeout/abort message when the mux engine could not signal the remote process (`Result.remoteSignal` says when it could). */
export function remoteStopNote(exit: ProcessExit): string {
  if (exit.remoteSignalRefused) return '; the server refused the signal request (sshd does for root sessions): the channel was closed, and the remote command may still be running';
  return '';
}
