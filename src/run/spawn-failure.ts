import { ErrorCode, SlaveError, type ErrorDetails } from '../errors/index.js';

/** What each system error means when it stops a process from starting. */
const HINTS: Readonly<Record<string, string>> = {
  EMFILE: 'this process has too many open files (raise its limit, `ulimit -n`, or run fewer operations at once)',
  ENFILE: 'the system has too many open files',
  EAGAIN: 'the system refused another process (too many processes for this user, or out of resources)',
  ENOMEM: 'not enough memory to start another process',
  E2BIG: 'the argument list and environment are too long (pass large data on the remote stdin)',
  ENOENT: "the program was not found (check sshCmd, or the transfer's `command`, and PATH)",
  EACCES: 'the program cannot be executed (check its permissions)',
};

/**
 * The SlaveError (`OSSH_SLAVE_FAILED`) for a process that could not be started: the system
 * error is its `cause`, its code, number and call are on `errnoCode`, `errno`, `syscall`.
 */
export function spawnFailure(program: string, error: Error, details: ErrorDetails): SlaveError {
  const code = (error as { code?: unknown }).code;
  const hint = typeof code === 'string' ? HINTS[code] : undefined;
  return new SlaveError(ErrorCode.SLAVE_FAILED, `unable to run ${program}: ${error.message}${hint ? `: ${hint}` : ''}`, { ...details, cause: error });
}
