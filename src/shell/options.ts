import { checkEncoding, combineSignals, DEFAULT_MAX_BUFFER, optMaxBuffer } from '../options/command.js';
import { optVerbose, type VerboseLevel } from '../verbose/format.js';
import { badOption, checkKnownKeys, optBoolean, optEnv, optMs, optSignal, optString } from '../options/validate.js';

/** Options of `ssh.shell()`: the session and the defaults of its commands. */
export interface ShellOptions {
  /**
   * The POSIX shell to start on the remote side (default `/bin/sh`), e.g. `/bin/bash`. It is
   * started explicitly, so the user's login shell (fish, csh...) does not change the
   * semantics of the commands.
   */
  shell?: string;
  /** Default encoding of the commands' output and stdinData strings (`'buffer'` for Buffers). */
  encoding?: BufferEncoding | 'buffer';
  /** Default per-command deadline in ms (0/Infinity: none). */
  timeout?: number;
  /** Default per-command idle limit in ms: no output for this long stops the command. */
  idleTimeout?: number;
  /** Abort opening the session (and restarting it). */
  signal?: AbortSignal;
  /**
   * Default bytes kept of each output stream of a command (default: the connection's
   * `maxBuffer`, else 100 MiB; `Infinity`: no limit): past it the command is interrupted and
   * fails with a MaxBufferError. For lines(), the longest line.
   */
  maxBuffer?: number;
  /**
   * Print each command to stderr, then its exit status and duration (`'full'`: also its
   * output, once it ended); default: the connection's `verbose`. See `verbose` in docs/api.md.
   */
  verbose?: VerboseLevel | false;
}

/** Options of `ssh.shellPool()`. */
export interface ShellPoolOptions extends ShellOptions {
  /** How many sessions at most (opened lazily, when every open one is busy). */
  size: number;
}

/** Options of a session's command methods (`run`, `capture`, `capture2`, `test`, `lines`). */
export interface ShellCommandOptions {
  /** Data the command reads on its stdin (then EOF). Without it, stdin is `/dev/null`. */
  stdinData?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  /** stdin is `/dev/null` (the default anyway; accepted for symmetry with OpenSSH). */
  stdinDiscard?: boolean;
  /** Discard stdout (`>/dev/null` on the remote side). */
  stdoutDiscard?: boolean;
  /** Discard stderr (`2>/dev/null` on the remote side). */
  stderrDiscard?: boolean;
  /** Send stderr where stdout goes (`2>&1` on the remote side). */
  stderrToStdout?: boolean;
  /** Force quoting of a string command (`true`) or disable quoting of an array (`false`). */
  quoteArgs?: boolean;
  /** Quote every word with its wildcards live, as if each were `glob()`. */
  glob?: boolean;
  /** Text encoding of stdinData strings and output; `'buffer'` returns Buffers. */
  encoding?: BufferEncoding | 'buffer';
  /** Working directory of this command only (it then runs in a subshell). */
  cwd?: string;
  /** Variables exported to this command only (it then runs in a subshell). */
  env?: Readonly<Record<string, string>>;
  /** Stop the command when it runs longer than this many ms. */
  timeout?: number;
  /** Stop the command when it writes nothing for this many ms. */
  idleTimeout?: number;
  /** Cancel the command (or remove it from the queue). */
  signal?: AbortSignal;
  /** run() only: false resolves with the Result (`failed`, `error`) instead of rejecting. */
  reject?: boolean;
  /** Bytes kept of each output stream (for lines(): of a line); past it the command is interrupted (MaxBufferError). */
  maxBuffer?: number;
  /** Print this command and how it ended (`'short'`, `'full'`, or `false`); default: the session's. */
  verbose?: VerboseLevel | false;
}

/** The session options, validated. */
export interface NormalizedShell {
  shell: string;
  encoding: BufferEncoding | 'buffer';
  timeout: number | undefined;
  idleTimeout: number | undefined;
  signal: AbortSignal | undefined;
  maxBuffer: number;
  /** The connection's `signal` (a fleet task's): every command of the session gets it too. */
  commandSignal: AbortSignal | undefined;
  verbose: VerboseLevel | undefined;
}

/** The connection's defaults a session takes (its own options override them). */
export interface ShellDefaults {
  /** The connection's `maxBuffer`, when set. */
  maxBuffer?: number | undefined;
  /** The connection's `signal`, when set: it aborts the opening and every command. */
  signal?: AbortSignal | undefined;
  /** The connection's `maxSessions` (a pool leaves one free, to interrupt commands). */
  maxSessions?: number | undefined;
  /** The connection's `verbose`. */
  verbose?: VerboseLevel | undefined;
}

/** A command call's options, validated and defaulted from the session. */
export interface NormalizedShellCall {
  stdin: ReadonlyArray<string | Uint8Array> | undefined;
  stdoutDiscard: boolean;
  stderrDiscard: boolean;
  stderrToStdout: boolean;
  quoteArgs: boolean | undefined;
  glob: boolean;
  encoding: BufferEncoding | 'buffer';
  cwd: string | undefined;
  env: Record<string, string> | undefined;
  timeout: number | undefined;
  idleTimeout: number | undefined;
  signal: AbortSignal | undefined;
  reject: boolean;
  maxBuffer: number;
  verbose: VerboseLevel | undefined;
}

const SHELL_KEYS = new Set(['shell', 'encoding', 'timeout', 'idleTimeout', 'signal', 'maxBuffer', 'verbose']);
const POOL_KEYS = new Set([...SHELL_KEYS, 'size']);
const CALL_KEYS = new Set([
  'stdinData', 'stdinDiscard', 'stdoutDiscard', 'stderrDiscard', 'stderrToStdout', 'quoteArgs', 'glob',
  'encoding', 'cwd', 'env', 'timeout', 'idleTimeout', 'signal', 'reject', 'maxBuffer', 'verbose',
]);
/** OpenSSH command options a session cannot honour, and why. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  stdin: 'a session command reads stdinData or nothing',
  stdinFile: 'read the file locally and pass it as stdinData',
  stdinKeepOpen: 'a session command reads stdinData or nothing',
  stdout: 'session output is captured; use ssh.spawn() for streams',
  stdoutFile: 'session output is captured; use ssh.run() with stdoutFile',
  stderr: 'session output is captured; use ssh.spawn() for streams',
  stderrFile: 'session output is captured; use ssh.run() with stderrFile',
  tty: 'a session has no terminal',
  sshOpts: 'the session is one ssh channel already open',
  forwardAgent: 'the session is one ssh channel already open',
  forwardX11: 'the session is one ssh channel already open',
  remoteShell: 'the session runs a POSIX shell whatever the login shell is',
  buffer: 'session output is always collected',
  tunnel: 'use ssh.openTunnel()',
  subsystem: 'use ssh.spawn() with subsystem',
  stdinoutDpipe: 'use ssh.run() with stdinoutDpipe',
};

function checkObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) badOption('options', `an object of ${what} options`, value);
  return value as Record<string, unknown>;
}

/** Validate `ssh.shell()` options, defaulted from the connection's. */
export function normalizeShell(options: unknown, method = 'shell()', defaults: ShellDefaults = {}): NormalizedShell {
  const o = checkObject(options, method);
  checkKnownKeys(o, method === 'shellPool()' ? POOL_KEYS : SHELL_KEYS, method);
  const shell = optString('shell', o.shell) ?? '/bin/sh';
  if (/[\n\r]/.test(shell)) badOption('shell', 'a path or program name on one line, such as "/bin/bash"', shell);
  return {
    shell,
    encoding: checkEncoding('encoding', o.encoding) ?? 'utf8',
    timeout: optMs('timeout', o.timeout),
    idleTimeout: optMs('idleTimeout', o.idleTimeout),
    signal: combineSignals(optSignal('signal', o.signal), defaults.signal),
    maxBuffer: optMaxBuffer('maxBuffer', o.maxBuffer) ?? defaults.maxBuffer ?? DEFAULT_MAX_BUFFER,
    commandSignal: defaults.signal,
    verbose: o.verbose === undefined ? defaults.verbose : optVerbose(o.verbose),
  };
}

/** Validate `ssh.shellPool()` options: the session's, plus `size`. */
export function normalizePool(options: unknown, defaults: ShellDefaults = {}): NormalizedShell & { size: number } {
  const o = checkObject(options, 'shellPool()');
  const size = o.size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > 1024) badOption('size', 'an integer from 1 to 1024', size);
  // Interrupting a session command (timeout, abort, maxBuffer) opens a short channel of its
  // own: a pool holding every session of the connection would leave it none.
  const most = defaults.maxSessions;
  if (most !== undefined && Number.isFinite(most) && size >= most) {
    badOption('size', `an integer from 1 to ${most - 1}: one of the connection's ${most} sessions (maxSessions) stays free to interrupt a command`, size);
  }
  return { ...normalizeShell(o, 'shellPool()', defaults), size };
}

function stdinDataOption(value: unknown): ReadonlyArray<string | Uint8Array> | undefined {
  if (value === undefined) return undefined;
  const ok = (v: unknown) => typeof v === 'string' || v instanceof Uint8Array;
  if (ok(value)) return [value as string | Uint8Array];
  if (Array.isArray(value) && value.every(ok)) return value as Array<string | Uint8Array>;
  return badOption('stdinData', 'a string, a Buffer/Uint8Array or an array of them', value);
}

/** Validate a session command's options, defaulted from the session's. */
export function normalizeShellCall(options: unknown, session: NormalizedShell, method: string): NormalizedShellCall {
  const o = checkObject(options, method);
  for (const key of Object.keys(o)) {
    const why = UNSUPPORTED[key];
    if (why !== undefined) throw new TypeError(`option '${key}' cannot be used with a shell session's ${method}: ${why}`);
  }
  checkKnownKeys(o, CALL_KEYS, `a shell session's ${method}`);
  const stdin = stdinDataOption(o.stdinData);
  if (optBoolean('stdinDiscard', o.stdinDiscard) && stdin) {
    throw new TypeError("options 'stdinDiscard' and 'stdinData' both set the stdin; give only one of them");
  }
  const stdoutDiscard = optBoolean('stdoutDiscard', o.stdoutDiscard) ?? method === 'test()';
  const stderrToStdout = optBoolean('stderrToStdout', o.stderrToStdout) ?? false;
  const stderrDiscard = optBoolean('stderrDiscard', o.stderrDiscard) ?? (method === 'test()' && !stderrToStdout);
  if (stderrDiscard && stderrToStdout) throw new TypeError("options 'stderrDiscard' and 'stderrToStdout' both set the stderr; give only one of them");
  if (o.reject !== undefined && method !== 'run()') {
    throw new TypeError("option 'reject' is only for run(), which returns the Result; the other methods always reject on failure");
  }
  if (stdoutDiscard && method === 'capture()' && o.stdoutDiscard !== undefined) {
    throw new TypeError("option 'stdoutDiscard' cannot be used here: this method captures stdout itself (use run())");
  }
  return {
    stdin,
    stdoutDiscard,
    stderrDiscard,
    stderrToStdout,
    quoteArgs: optBoolean('quoteArgs', o.quoteArgs),
    glob: optBoolean('glob', o.glob) ?? false,
    encoding: checkEncoding('encoding', o.encoding) ?? session.encoding,
    cwd: optString('cwd', o.cwd),
    env: optEnv('env', o.env),
    timeout: o.timeout === undefined ? session.timeout : optMs('timeout', o.timeout),
    idleTimeout: o.idleTimeout === undefined ? session.idleTimeout : optMs('idleTimeout', o.idleTimeout),
    signal: combineSignals(optSignal('signal', o.signal), session.commandSignal),
    reject: optBoolean('reject', o.reject) ?? true,
    maxBuffer: optMaxBuffer('maxBuffer', o.maxBuffer) ?? session.maxBuffer,
    verbose: o.verbose === undefined ? session.verbose : optVerbose(o.verbose),
  };
}
