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
  /** An SFTP request failed with a status from the server (see `SftpError.syscallCode`: `ENOENT`, `EACCES`...). */
  SFTP_STATUS: 'OSSH_SFTP_STATUS',
  /** The SFTP server sent something that is not SFTP version 3 (malformed or oversized packet). */
  SFTP_PROTOCOL: 'OSSH_SFTP_PROTOCOL',
  /** The SFTP server does not offer the extension an operation needs. */
  SFTP_UNSUPPORTED: 'OSSH_SFTP_UNSUPPORTED',
  /** The SFTP session is closed or its channel died: every pending request fails with this. */
  SFTP_CLOSED: 'OSSH_SFTP_CLOSED',
  /** Captured output went past `maxBuffer` (or past the longest string V8 can hold); the slave was stopped. */
  MAX_BUFFER: 'OSSH_MAX_BUFFER',
  /** A local output file or fd (stdoutFile, stderrFile, stdout/stderr fd) could not be written; the slave was stopped. */
  OUTPUT_FILE: 'OSSH_OUTPUT_FILE',
  /** A shell session's remote shell ended (the command ran `exit`, `exec`, killed it) or never started. */
  SHELL_EXITED: 'OSSH_SHELL_EXITED',
  /** A shell session (or pool) was closed: no more commands run on it. */
  SHELL_CLOSED: 'OSSH_SHELL_CLOSED',
  /** A fleet run with `reject: true` in which some host did not succeed (`FleetError`, an AggregateError). */
  FLEET_FAILED: 'OSSH_FLEET_FAILED',
  /** The mux engine's control socket spoke something it must not (a malformed or out-of-state packet), or it closed. */
  MUX_PROTOCOL: 'OSSH_MUX_PROTOCOL',
  /** A command line longer than the system lets a process be started with (E2BIG), refused before spawning. */
  ARGV_TOO_LONG: 'OSSH_ARGV_TOO_LONG',
  /** A {@link ConnectionCache} was closed: it hands out no more connections. */
  CACHE_CLOSED: 'OSSH_CACHE_CLOSED',
  /** sshfsImport/sshfsExport could not mount or unmount (see `SshfsError.reason`: sshfs or FUSE missing, bad mount point, missing directory, busy...). */
  SSHFS_FAILED: 'OSSH_SSHFS_FAILED',
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
 * `askpass-peer`: something other than the askpass helper started by the master connected
 * to the askpass socket (it was given nothing). `spawn`: the master could not be started
 * (also EMFILE, EAGAIN, ENOMEM: the errno is in the message, the original error is `cause`).
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
  | 'spawn'
  | 'askpass-peer';

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

/** Which SFTP failure a {@link SftpError} is. */
export type SftpErrorCode =
  | typeof ErrorCode.SFTP_STATUS
  | typeof ErrorCode.SFTP_PROTOCOL
  | typeof ErrorCode.SFTP_UNSUPPORTED
  | typeof ErrorCode.SFTP_CLOSED;

/** Fields of a {@link SftpError} beyond {@link ErrorDetails}. */
export interface SftpErrorDetails extends ErrorDetails {
  /** The client method or request that failed (`stat`, `open`, `posix-rename@openssh.com`...). */
  operation?: string | undefined;
  /** The remote path concerned (a Buffer when it is not valid UTF-8). */
  path?: string | Buffer | undefined;
  /** The second path of a two-path operation (rename, symlink, hardlink, copy). */
  destination?: string | Buffer | undefined;
  /** The SFTP status number (`SSH_FX_*`), for `OSSH_SFTP_STATUS`. */
  status?: number | undefined;
  /** The status's name (`NO_SUCH_FILE`, `PERMISSION_DENIED`, `FAILURE`...). */
  statusName?: string | undefined;
  /** The server's own error message. */
  serverMessage?: string | undefined;
  /** The Node-style error code the status stands for (`ENOENT`, `EACCES`, `EEXIST`...). */
  syscallCode?: string | undefined;
}

/**
 * An SFTP operation failed. `code` says how: `OSSH_SFTP_STATUS` (the server refused the
 * request: `syscallCode` gives the Node-style `ENOENT`, `EACCES`, `EEXIST`... and `status`
 * the SFTP number), `OSSH_SFTP_UNSUPPORTED` (the server lacks the extension),
 * `OSSH_SFTP_PROTOCOL` (the server broke the protocol) or `OSSH_SFTP_CLOSED` (the session is
 * closed or its channel died; `cause` holds the ssh process's error when there is one).
 */
export class SftpError extends OpenSSHError {
  declare readonly code: SftpErrorCode;
  readonly operation: string | undefined;
  readonly path: string | Buffer | undefined;
  readonly destination: string | Buffer | undefined;
  readonly status: number | undefined;
  readonly statusName: string | undefined;
  readonly serverMessage: string | undefined;
  readonly syscallCode: string | undefined;
  constructor(code: SftpErrorCode, message: string, details: SftpErrorDetails = {}) {
    super(code, message, details);
    this.operation = details.operation;
    this.path = details.path;
    this.destination = details.destination;
    this.status = details.status;
    this.statusName = details.statusName;
    this.serverMessage = details.serverMessage;
    this.syscallCode = details.syscallCode;
  }
}
Object.defineProperty(SftpError.prototype, 'name', { value: 'SftpError', writable: true });

/** Which captured stream overflowed, or whose output file failed. */
export type OutputStreamName = 'stdout' | 'stderr';

/**
 * Captured output went past its bound and the slave was stopped. Code `OSSH_MAX_BUFFER`.
 * `kind: 'maxBuffer'`: the stream went past `maxBuffer` bytes (`stdout`/`stderr` hold what
 * was kept, at most `maxBuffer` bytes of the stream that overflowed, raw Buffers or text
 * decoded as far as it is valid). `kind: 'string'`: the output is longer than the longest
 * string V8 can make (`buffer.constants.MAX_STRING_LENGTH`); `stdout`/`stderr` hold the raw
 * Buffers, nothing is lost.
 */
export class MaxBufferError extends OpenSSHError {
  /** The stream that overflowed. */
  readonly stream: OutputStreamName;
  /** `maxBuffer`: the byte limit was hit; `string`: the output was too long for a JS string. */
  readonly kind: 'maxBuffer' | 'string';
  /** The limit that was hit: bytes for `maxBuffer`, UTF-16 code units for `string`. */
  readonly limit: number;
  constructor(stream: OutputStreamName, kind: 'maxBuffer' | 'string', limit: number, message: string, details: ErrorDetails = {}) {
    super(ErrorCode.MAX_BUFFER, message, details);
    this.stream = stream;
    this.kind = kind;
    this.limit = limit;
  }
}
Object.defineProperty(MaxBufferError.prototype, 'name', { value: 'MaxBufferError', writable: true });

/**
 * A local file or fd that output was written to failed (a full disk, `EPIPE`, `EIO`...): the
 * output would be lost, so the slave was stopped and the call fails. Code `OSSH_OUTPUT_FILE`.
 * `cause` is Node's error.
 */
export class OutputFileError extends OpenSSHError {
  /** The output whose destination failed. */
  readonly stream: OutputStreamName;
  /** The file's path (`stdoutFile`/`stderrFile`), or undefined for an fd given as `stdout`/`stderr`. */
  readonly path: string | undefined;
  /** The fd that was written to. */
  readonly fd: number;
  /** The errno name, such as `ENOSPC`. */
  readonly errno: string | undefined;
  /** The failed system call, such as `write`. */
  readonly syscall: string | undefined;
  constructor(
    stream: OutputStreamName,
    target: { path?: string | undefined; fd: number },
    failure: { errno?: string | undefined; syscall?: string | undefined },
    message: string,
    details: ErrorDetails = {},
  ) {
    super(ErrorCode.OUTPUT_FILE, message, details);
    this.stream = stream;
    this.path = target.path;
    this.fd = target.fd;
    this.errno = failure.errno;
    this.syscall = failure.syscall;
  }
}
Object.defineProperty(OutputFileError.prototype, 'name', { value: 'OutputFileError', writable: true });
/**
 * A shell session (`ssh.shell()`) cannot run the command: its remote shell ended while the
 * command ran (`exit 3`, `exec`, a kill of `$$`) or before it was ready
 * (`OSSH_SHELL_EXITED`; `exitCode` is the shell's, stdout/stderr the partial output), or the
 * session was closed (`OSSH_SHELL_CLOSED`). After `OSSH_SHELL_EXITED` the next call starts a
 * new shell (its state, `cd` and variables, starts afresh).
 */
export class ShellSessionError extends OpenSSHError {
  constructor(code: typeof ErrorCode.SHELL_EXITED | typeof ErrorCode.SHELL_CLOSED, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}
Object.defineProperty(ShellSessionError.prototype, 'name', { value: 'ShellSessionError', writable: true });
/**
 * What went wrong on a mux connection: `malformed` (a packet that cannot be parsed),
 * `violation` (a well-formed packet that breaks the protocol's rules: unknown channel id, data
 * past the window, a message in the wrong state), `unsupported` (the master's mux protocol
 * version or a refused proxy request), `closed` (the connection ended or was reset while
 * channels were open), `connect` (the control socket could not be reached).
 */
export type MuxProtocolReason = 'malformed' | 'violation' | 'unsupported' | 'closed' | 'connect';

/**
 * The mux engine's connection to the master's control socket failed: see `reason`. Every
 * channel open on that connection fails with it. Code `OSSH_MUX_PROTOCOL`. When the master
 * itself is gone, commands fail with a {@link MasterError} instead (decided by an alive check).
 */
export class MuxProtocolError extends OpenSSHError {
  /** A machine-readable reason. */
  readonly reason: MuxProtocolReason;
  constructor(reason: MuxProtocolReason, message: string, details: ErrorDetails = {}) {
    super(ErrorCode.MUX_PROTOCOL, message, details);
    this.reason = reason;
  }
}
Object.defineProperty(MuxProtocolError.prototype, 'name', { value: 'MuxProtocolError', writable: true });

/**
 * A `ConnectionCache` cannot hand out a connection: it was closed (`close()` or
 * `Symbol.asyncDispose`), before or while the call waited. Code `OSSH_CACHE_CLOSED`.
 */
export class ConnectionCacheError extends OpenSSHError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(ErrorCode.CACHE_CLOSED, message, details);
  }
}
Object.defineProperty(ConnectionCacheError.prototype, 'name', { value: 'ConnectionCacheError', writable: true });

/**
 * Why a {@link SshfsError} happened. `not-installed`: the sshfs program (or fusermount) is not
 * there; `fuse-unavailable`: FUSE cannot be used (no /dev/fuse, no permission to open it or
 * to mount); `mountpoint-missing`: the mount point does not exist or is not a directory;
 * `mountpoint-not-empty`: it has entries (pass `nonEmpty: true` to mount over them);
 * `mountpoint-mounted`: something is mounted there already; `source-missing`: the directory
 * to mount does not exist or is not a directory (the remote one of an import, the local one
 * of an export); `ssh-command`: the slave ssh cannot be written into sshfs's `ssh_command`
 * (a space in the ControlPath or the ssh program, for instance); `busy`: the file system is
 * in use and was not unmounted (close it with `lazy: true` to detach it anyway); `unmount`:
 * unmounting failed otherwise; `exited`: sshfs exited for another reason (its stderr says).
 */
export type SshfsFailureReason =
  | 'not-installed'
  | 'fuse-unavailable'
  | 'mountpoint-missing'
  | 'mountpoint-not-empty'
  | 'mountpoint-mounted'
  | 'source-missing'
  | 'ssh-command'
  | 'busy'
  | 'unmount'
  | 'exited';

/** Fields of a {@link SshfsError} beyond {@link ErrorDetails}. */
export interface SshfsErrorDetails extends ErrorDetails {
  /** Where it failed: `local` (an import's sshfs, an export's sftp-server) or `remote`. */
  side: 'local' | 'remote';
  /** The mount point concerned. */
  mountpoint: string;
}

/**
 * sshfsImport()/sshfsExport() could not mount, or close() could not unmount. Code
 * `OSSH_SSHFS_FAILED`; `reason` says why, `side` where, `stderr` holds what sshfs (or the
 * remote shell, or fusermount) printed. Timeouts and aborts raise TimeoutError and AbortError.
 */
export class SshfsError extends OpenSSHError {
  /** A machine-readable reason. */
  readonly reason: SshfsFailureReason;
  /** `local` or `remote`. */
  readonly side: 'local' | 'remote';
  /** The mount point concerned. */
  readonly mountpoint: string;
  constructor(reason: SshfsFailureReason, message: string, details: SshfsErrorDetails) {
    super(ErrorCode.SSHFS_FAILED, message, details);
    this.reason = reason;
    this.side = details.side;
    this.mountpoint = details.mountpoint;
  }
}
Object.defineProperty(SshfsError.prototype, 'name', { value: 'SshfsError', writable: true });
