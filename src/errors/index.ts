/**
 * Typed errors with stable string codes, mirroring Net::OpenSSH's `OSSH_*` constants.
 *
 * Every error raised by an operation carries what is needed to debug it without
 * re-running anything: the host, the full ssh argv, the remote command, the exit code or
 * signal, the partial stdout/stderr and the underlying `cause`.
 */

/** Stable error codes. Match on these, never on messages. */
export const ErrorCode = {
  /** The master connection could not be established, died, was stopped or is unusable. Sticky. */
  MASTER_FAILED: 'OSSH_MASTER_FAILED',
  /** The slave ssh process could not be started or waited for. */
  SLAVE_FAILED: 'OSSH_SLAVE_FAILED',
  /** A stream given to a slave (stdinFile, stdoutFile, ...) could not be opened. */
  SLAVE_PIPE_FAILED: 'OSSH_SLAVE_PIPE_FAILED',
  /** A slave went past its idle timeout or its deadline and was stopped. */
  SLAVE_TIMEOUT: 'OSSH_SLAVE_TIMEOUT',
  /** The remote command (or ssh itself) exited non-zero or was killed by a signal. */
  SLAVE_CMD_FAILED: 'OSSH_SLAVE_CMD_FAILED',
  /** The master refused a new session (the server's MaxSessions was reached). */
  SESSION_REFUSED: 'OSSH_SESSION_REFUSED',
  /** The operation was cancelled through an AbortSignal. */
  ABORTED: 'OSSH_ABORTED',
  /** Data could not be encoded or output decoded with the requested encoding. */
  ENCODING_ERROR: 'OSSH_ENCODING_ERROR',
  /** A word cannot be quoted for the remote shell, or a redirection cannot be expressed in it. */
  QUOTE_ERROR: 'OSSH_QUOTE_ERROR',
  /** The master refused to set up a port forwarding (`ssh -O forward`): port in use, denied... */
  FORWARD_FAILED: 'OSSH_FORWARD_FAILED',
  /** The master could not cancel a port forwarding (`ssh -O cancel`): it is not set up. */
  FORWARD_CANCEL_FAILED: 'OSSH_FORWARD_CANCEL_FAILED',
  /** A pseudo-terminal was asked for but the optional `node-pty` package cannot be loaded. */
  PTY_UNAVAILABLE: 'OSSH_PTY_UNAVAILABLE',
  /** scp or rsync failed (non-zero exit, killed, or no local file matched the sources). */
  TRANSFER_FAILED: 'OSSH_TRANSFER_FAILED',
  /** A command line longer than the system lets a process be started with (E2BIG), refused before spawning. */
  ARGV_TOO_LONG: 'OSSH_ARGV_TOO_LONG',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Fields every {@link OpenSSHError} may carry. */
export interface ErrorDetails {
  /** The host the operation targeted. */
  host?: string;
  /** The full local argv that was (or would have been) run, program first. */
  argv?: readonly string[];
  /** The remote command line as sent to the remote shell. */
  command?: string;
  /** The exit code of the local ssh process, when it exited. */
  exitCode?: number | undefined;
  /** The signal that ended the local ssh process, when one did. */
  signal?: NodeJS.Signals | undefined;
  /** Output collected before the failure (string, or Buffer with `encoding: 'buffer'`). */
  stdout?: string | Buffer;
  /** Error output collected before the failure. */
  stderr?: string | Buffer;
  /** The underlying error. */
  cause?: unknown;
}

const BRAND = Symbol.for('openssh-mux.error');

/**
 * Base class of every error the library raises for a failed operation. Programmer errors
 * (bad options, wrong types) are plain `TypeError`s thrown at once instead.
 */
export class OpenSSHError extends Error {
  /** Stable code, one of {@link ErrorCode}. */
  readonly code: ErrorCodeValue;
  readonly host: string | undefined;
  readonly argv: readonly string[] | undefined;
  readonly command: string | undefined;
  readonly exitCode: number | undefined;
  readonly signal: NodeJS.Signals | undefined;
  readonly stdout: string | Buffer;
  readonly stderr: string | Buffer;

  constructor(code: ErrorCodeValue, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.host = details.host;
    this.argv = details.argv;
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stdout = details.stdout ?? '';
    this.stderr = details.stderr ?? '';
  }

  /** `instanceof` that survives duplicated installs of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === OpenSSHError) {
      return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
    }
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}
Object.defineProperty(OpenSSHError.prototype, BRAND, { value: true });
Object.defineProperty(OpenSSHError.prototype, 'name', { value: 'OpenSSHError', writable: true });

/**
 * Why a master connection failed, read from ssh's own error output where possible.
 * `host-key-unknown` / `host-key-changed`: the server's key is not in known_hosts, or
 * differs from the one there. `auth`: authentication failed (a wrong password is reported
 * at once, never retried). `login-handler`: a custom loginHandler threw (see `cause`).
 */
export type MasterFailureReason =
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'auth'
  | 'login-handler'
  | 'connect'
  | 'resolve'
  | 'timeout'
  | 'ctl-path'
  | 'check'
  | 'exited'
  | 'stopped'
  | 'disconnected'
  | 'aborted'
  | 'spawn';

/** The master connection failed or is gone. Code `OSSH_MASTER_FAILED`; sticky on the object. */
export class MasterError extends OpenSSHError {
  /** A machine-readable reason for the failure. */
  readonly reason: MasterFailureReason;
  constructor(reason: MasterFailureReason, message: string, details: ErrorDetails = {}) {
    super(ErrorCode.MASTER_FAILED, message, details);
    this.reason = reason;
  }
}
Object.defineProperty(MasterError.prototype, 'name', { value: 'MasterError', writable: true });

/** The remote command exited non-zero or died by a signal. Code `OSSH_SLAVE_CMD_FAILED`. */
export class CommandError extends OpenSSHError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ErrorCode.SLAVE_CMD_FAILED, message, details);
  }
}
Object.defineProperty(CommandError.prototype, 'name', { value: 'CommandError', writable: true });

/**
 * A slave could not be run: spawning failed (`OSSH_SLAVE_FAILED`), a stream could not be
 * opened (`OSSH_SLAVE_PIPE_FAILED`), the master refused the session (`OSSH_SESSION_REFUSED`),
 * a pty was asked for and `node-pty` cannot be loaded (`OSSH_PTY_UNAVAILABLE`) or the command
 * line is longer than the system accepts (`OSSH_ARGV_TOO_LONG`). When a system call failed
 * (`cause` is Node's system error), `errnoCode`, `errno` and `syscall` repeat its fields.
 */
export class SlaveError extends OpenSSHError {
  /** The system error's code, e.g. `EMFILE`, `EAGAIN`, `E2BIG`, `ENOENT`. */
  readonly errnoCode: string | undefined;
  /** The system error's number, as Node gives it (negative, e.g. -24 for EMFILE on Linux). */
  readonly errno: number | undefined;
  /** The failed call, e.g. `spawn ssh`. */
  readonly syscall: string | undefined;
  constructor(
    code:
      | typeof ErrorCode.SLAVE_FAILED
      | typeof ErrorCode.SLAVE_PIPE_FAILED
      | typeof ErrorCode.SESSION_REFUSED
      | typeof ErrorCode.PTY_UNAVAILABLE
      | typeof ErrorCode.ARGV_TOO_LONG,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(code, message, details);
    const sys = details.cause as { code?: unknown; errno?: unknown; syscall?: unknown } | null | undefined;
    this.errnoCode = typeof sys?.code === 'string' && /^E[A-Z0-9]+$/.test(sys.code) ? sys.code : undefined;
    this.errno = typeof sys?.errno === 'number' ? sys.errno : undefined;
    this.syscall = typeof sys?.syscall === 'string' ? sys.syscall : undefined;
  }
}
Object.defineProperty(SlaveError.prototype, 'name', { value: 'SlaveError', writable: true });

/** Which limit a {@link TimeoutError} hit. */
export type TimeoutKind = 'idle' | 'deadline';

/** A slave hit `idleTimeout` or `timeout` and was stopped. Code `OSSH_SLAVE_TIMEOUT`. */
export class TimeoutError extends OpenSSHError {
  /** `idle`: no traffic for `idleTimeout` ms; `deadline`: `timeout` ms elapsed. */
  readonly kind: TimeoutKind;
  /** The limit that was hit, in milliseconds. */
  readonly timeoutMs: number;
  constructor(kind: TimeoutKind, timeoutMs: number, message: string, details: ErrorDetails = {}) {
    super(ErrorCode.SLAVE_TIMEOUT, message, details);
    this.kind = kind;
    this.timeoutMs = timeoutMs;
  }
}
Object.defineProperty(TimeoutError.prototype, 'name', { value: 'TimeoutError', writable: true });

/** The operation was cancelled through its AbortSignal. Code `OSSH_ABORTED`. */
export class AbortError extends OpenSSHError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ErrorCode.ABORTED, message, details);
  }
}
Object.defineProperty(AbortError.prototype, 'name', { value: 'AbortError', writable: true });

/** Input could not be encoded or output decoded. Code `OSSH_ENCODING_ERROR`. */
export class EncodingError extends OpenSSHError {
  /** The encoding that failed. */
  readonly encoding: string;
  constructor(encoding: string, message: string, details: ErrorDetails = {}) {
    super(ErrorCode.ENCODING_ERROR, message, details);
    this.encoding = encoding;
  }
}
Object.defineProperty(EncodingError.prototype, 'name', { value: 'EncodingError', writable: true });

/**
 * A command cannot be written for the remote shell: a word it cannot carry (a NUL byte
 * anywhere, a newline for cmd.exe) or a stream option whose redirection the shell has no way
 * to express (stderr alone under csh). Thrown at once, before anything runs: never a wrong
 * quote. Code `OSSH_QUOTE_ERROR`.
 */
export class QuoteError extends OpenSSHError {
  /** The quoter's name (`POSIX`, `csh`, `fish`, `MSWin`, `MSCmd`, or a chain). */
  readonly shell: string;
  constructor(shell: string, message: string, details: ErrorDetails = {}) {
    super(ErrorCode.QUOTE_ERROR, message, details);
    this.shell = shell;
  }
}
Object.defineProperty(QuoteError.prototype, 'name', { value: 'QuoteError', writable: true });

/**
 * A file transfer (scpGet/scpPut/rsyncGet/rsyncPut) failed: the tool exited non-zero or was
 * killed by a signal, or no local file matched the sources. Code `OSSH_TRANSFER_FAILED`.
 * `exitCode` is the tool's own; `meaning` says what it stands for (rsync's table; scp only
 * ever exits 1). Timeouts and aborts raise TimeoutError and AbortError instead.
 */
export class TransferError extends OpenSSHError {
  /** `scp` or `rsync`. */
  readonly tool: 'scp' | 'rsync';
  /** What the exit code means, e.g. `partial transfer due to error` for rsync's 23. */
  readonly meaning: string | undefined;
  constructor(tool: 'scp' | 'rsync', meaning: string | undefined, message: string, details: ErrorDetails = {}) {
    super(ErrorCode.TRANSFER_FAILED, message, details);
    this.tool = tool;
    this.meaning = meaning;
  }
}
Object.defineProperty(TransferError.prototype, 'name', { value: 'TransferError', writable: true });

/**
 * A port forwarding could not be set up (`OSSH_FORWARD_FAILED`: the port is in use, the
 * server denied it...) or cancelled (`OSSH_FORWARD_CANCEL_FAILED`: the master has no such
 * forwarding). The master itself is fine: its failures are {@link MasterError}s.
 */
export class ForwardError extends OpenSSHError {
  /** `local`, `remote` or `dynamic`. */
  readonly forwardType: 'local' | 'remote' | 'dynamic';
  /** The `-L`/`-R`/`-D` argument, e.g. `127.0.0.1:8080:db:5432`. */
  readonly spec: string;
  constructor(
    code: typeof ErrorCode.FORWARD_FAILED | typeof ErrorCode.FORWARD_CANCEL_FAILED,
    forwardType: 'local' | 'remote' | 'dynamic',
    spec: string,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(code, message, details);
    this.forwardType = forwardType;
    this.spec = spec;
  }
}
Object.defineProperty(ForwardError.prototype, 'name', { value: 'ForwardError', writable: true });
