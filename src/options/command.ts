import { Duplex, Readable, Writable } from 'node:stream';
import { getQuoter } from '../quote/registry.js';
import { optVerbose, type VerboseLevel } from '../verbose/format.js';
import type { Quoter } from '../quote/types.js';
import type { DefaultStreams, SharedFile } from '../run/default-streams.js';
import { optArgumentEncoding, type ArgumentEncoding } from '../run/argument-encoding.js';
import { badOption, checkKnownKeys, optBoolean, optEnv, optMs, optSignal, optString, optStringArray } from './validate.js';

/** Where a slave's stdin comes from. */
export type StdinOption = 'ignore' | 'inherit' | 'pipe' | number | Readable;
/** Where a slave's stdout or stderr goes. */
export type OutputOption = 'ignore' | 'inherit' | 'pipe' | number | Writable;
/** A file to write output to: a path (truncated), or `{ path, append: true }`. */
export type OutputFile = string | { path: string; append?: boolean };

/**
 * Options of every command method (`run`, `capture`, `capture2`, `system`, `test`, `spawn`,
 * `makeRemoteCommand`). Names follow Net::OpenSSH's in camelCase. At most one source may be
 * given for each stream.
 */
export interface CommandOptions {
  /** Data written to the remote command's stdin, then stdin is closed (unless `stdinKeepOpen`). */
  stdinData?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  /** A local file fed to the remote command's stdin. */
  stdinFile?: string;
  /** Remote stdin reads from the null device (also appends `</dev/null` remotely when quoting). */
  stdinDiscard?: boolean;
  /** stdin as a Node stream, an fd, `'inherit'` (this process's stdin), `'pipe'` or `'ignore'`. */
  stdin?: StdinOption;
  /** Keep the channel's stdin open after `stdinData` is written (servers that close early). */
  stdinKeepOpen?: boolean;
  /** Write the remote stdout to a local file. */
  stdoutFile?: OutputFile;
  /** Discard stdout (also `>/dev/null` remotely when quoting). */
  stdoutDiscard?: boolean;
  /** stdout to a Node stream, an fd, `'inherit'`, `'pipe'` or `'ignore'`. */
  stdout?: OutputOption;
  /** Write the remote stderr to a local file. */
  stderrFile?: OutputFile;
  /** Discard stderr (also `2>/dev/null` remotely when quoting). */
  stderrDiscard?: boolean;
  /** stderr to a Node stream, an fd, `'inherit'`, `'pipe'` or `'ignore'`. */
  stderr?: OutputOption;
  /** Send stderr where stdout goes (also `2>&1` remotely when quoting). */
  stderrToStdout?: boolean;
  /** true: force a remote pty (`-tt`); false: never (`-T`); default: ssh decides. */
  tty?: boolean;
  /** Extra ssh options for this call; they replace the constructor's `defaultSshOpts`. */
  sshOpts?: readonly string[];
  /** Per-call agent forwarding (`-A`/`-a`). */
  forwardAgent?: boolean;
  /** Per-call X11 forwarding (`-X`/`-x`). */
  forwardX11?: boolean;
  /**
   * Variables for the remote command, sent as `env` channel requests (RFC 4254 6.4): the
   * server's `AcceptEnv` decides which it keeps (sshd's default keeps none), on both engines.
   * Names are letters, digits and `_`. On the spawn engine they go through the local ssh's
   * environment (`SendEnv`), never its command line; there `PATH`, `LD_*` and `DYLD_*` are
   * refused (they would change the local ssh itself).
   */
  env?: Readonly<Record<string, string>>;
  /** The remote shell's quoting rules: a POSIX shell name or a custom quoter. */
  remoteShell?: string | Quoter;
  /** Force quoting of a string command (`true`) or disable quoting of an array (`false`). */
  quoteArgs?: boolean;
  /** Quote every word with its wildcards (`* ? [ ] { }`) live, as if each were `glob()`. */
  glob?: boolean;
  /**
   * Bytes the remote side gets for the command's characters (Net::OpenSSH's
   * `argument_encoding`): `'utf8'` (default) or `'latin1'`/`'ascii'`, for hosts whose file
   * names are in a single-byte encoding. See docs/quoting.md.
   */
  argumentEncoding?: ArgumentEncoding;
  /** Text encoding of stdinData strings and captured output; `'buffer'` returns Buffers. */
  encoding?: BufferEncoding | 'buffer';
  /**
   * Most bytes kept of each captured stream (stdout, stderr) and of one `lines()` line; past
   * it the slave is stopped and the call fails with a MaxBufferError. Default 100 MiB (the
   * constructor's `maxBuffer` when set); `Infinity`: no limit but memory's.
   */
  maxBuffer?: number;
  /** Fail when no data moves for this many ms (Net::OpenSSH's `timeout`). */
  idleTimeout?: number;
  /** Fail when the command runs longer than this many ms (wall clock). */
  timeout?: number;
  /** Cancel the command. */
  signal?: AbortSignal;
  /** false: resolve with the Result (with `failed` and `error`) instead of rejecting (run/spawn). */
  reject?: boolean;
  /** spawn(): also collect stdout/stderr into the Result (default true; false for the stream methods). */
  buffer?: boolean;
  /**
   * Stdio forwarding (`ssh -W host:port`): the command is `[host, port]` and the streams carry
   * the TCP connection instead of a remote command's stdio. IPv6 hosts are bracketed for you.
   */
  tunnel?: boolean;
  /** The command names an SSH subsystem (`ssh -s`), such as `'sftp'`; it is sent unquoted. */
  subsystem?: boolean;
  /**
   * Run this local command (argv, program first) with its stdin fed by the remote stdout and
   * its stdout fed to the remote stdin (Net::OpenSSH's `stdinout_dpipe`).
   */
  stdinoutDpipe?: readonly string[];
  /**
   * One socket (a Duplex such as a `net.Socket`, or a socket's fd) as both the command's stdin
   * and its stdout (Net::OpenSSH's `stdinout_socket`): what arrives on it feeds the remote
   * stdin, the remote stdout is written back into it and its write side is ended after.
   */
  stdinoutSocket?: Duplex | number;
  /**
   * Run this call on the `'spawn'` engine (an `ssh -S` process) or the `'mux'` engine (a
   * channel over the master's socket); default: the object's `engine`. A call the mux engine
   * cannot serve spawns (see docs/engines.md).
   */
  engine?: 'spawn' | 'mux';
  /**
   * Print the command to this process's stderr as it starts (`[host] $ command`, quoted as
   * sent), then its exit status and duration; `'full'` also prints its captured output,
   * each line prefixed. `false`: off (default: the constructor's). See docs/observability.md.
   */
  verbose?: VerboseLevel | false;
}

/**
 * Options of the methods that return no Result (`capture`, `capture2`, `system`, `test`,
 * `makeRemoteCommand`): every command option but `reject`, which only `run()` and `spawn()`
 * take (these methods always reject on failure). `reject?: never` makes the compiler refuse
 * it where a generic parameter would otherwise let it through.
 */
export type NoRejectOptions = Omit<CommandOptions, 'reject'> & { reject?: never };

/** Which stdio slots a stream method hands to the caller as pipes. */
export interface StreamPipes {
  /** The method's name, for error messages. */
  method: string;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /**
   * With `stdin` and `stdout`: instead of two pipes, this socket (a file descriptor) as the
   * process's stdin and stdout, handed to it as it is; the caller has the other end (sftp()).
   */
  socket?: number;
}

/** Defaults a caller may set on the constructor for every command. */
export interface CommandDefaults {
  defaultSshOpts?: readonly string[] | undefined;
  remoteShell?: string | Quoter | undefined;
  encoding?: BufferEncoding | 'buffer' | undefined;
  maxBuffer?: number | undefined;
  idleTimeout?: number | undefined;
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  forwardAgent?: boolean | undefined;
  forwardX11?: boolean | undefined;
  verbose?: VerboseLevel | undefined;
  argumentEncoding?: ArgumentEncoding | undefined;
  /**
   * `defaultStdin`, `defaultStdout`, `defaultStderr`: where a slot goes when the call names
   * none and the method does not hand it back (see {@link normalizeCall}).
   */
  streams?: DefaultStreams | undefined;
}

export type InputSpec =
  | { kind: 'ignore' }
  | { kind: 'inherit' }
  | { kind: 'pipe' }
  | { kind: 'data'; data: ReadonlyArray<string | Uint8Array> }
  | { kind: 'file'; path: string; shared?: SharedFile }
  | { kind: 'fd'; fd: number }
  | { kind: 'stream'; stream: Readable };

export type OutputSpec =
  | { kind: 'capture' }
  | { kind: 'ignore' }
  | { kind: 'inherit' }
  | { kind: 'pipe' }
  | { kind: 'file'; path: string; append: boolean; shared?: SharedFile }
  | { kind: 'fd'; fd: number }
  | { kind: 'stream'; stream: Writable; end?: boolean }
  | { kind: 'stdout' }
  /** A socket handed to the process as it is (`StreamPipes.socket`; never from a user's option). */
  | { kind: 'socket'; fd: number };

/** The method being called, which decides stream defaults. */
export type CallMode = 'run' | 'capture' | 'system' | 'test' | 'spawn' | 'command' | 'stream';

/** A call's options, validated and defaulted. */
export interface NormalizedCall {
  stdin: InputSpec;
  stdout: OutputSpec;
  stderr: OutputSpec;
  stdinKeepOpen: boolean;
  /** For remote redirections. */
  flags: { stdinDiscard: boolean; stdoutDiscard: boolean; stderrDiscard: boolean; stderrToStdout: boolean };
  tty: boolean | undefined;
  sshOpts: readonly string[];
  forwardAgent: boolean | undefined;
  forwardX11: boolean | undefined;
  /** Variables for the remote command (`env` requests), validated. */
  env: Readonly<Record<string, string>> | undefined;
  quoter: Quoter;
  quoteArgs: boolean | undefined;
  glob: boolean;
  /** `flags` are test()'s defaults: a redirection the shell lacks is skipped, not refused. */
  bestEffort: boolean;
  encoding: BufferEncoding | 'buffer';
  /** Bytes kept of each captured stream before the slave is stopped (Infinity: no limit). */
  maxBuffer: number;
  idleTimeout: number | undefined;
  timeout: number | undefined;
  signal: AbortSignal | undefined;
  reject: boolean;
  buffer: boolean;
  tunnel: boolean;
  subsystem: boolean;
  /** Local argv joined to the slave's stdin/stdout. */
  dpipe: readonly string[] | undefined;
  /** The call's engine choice; undefined: the object's. */
  engine?: 'spawn' | 'mux' | undefined;
  /** Print the command and its outcome (src/verbose); undefined: off. */
  verbose?: VerboseLevel | undefined;
  /** Bytes of the command's characters; undefined: utf8. */
  argumentEncoding?: ArgumentEncoding | undefined;
}

const KNOWN = new Set([
  'stdinData', 'stdinFile', 'stdinDiscard', 'stdin', 'stdinKeepOpen',
  'stdoutFile', 'stdoutDiscard', 'stdout',
  'stderrFile', 'stderrDiscard', 'stderr', 'stderrToStdout',
  'tty', 'sshOpts', 'forwardAgent', 'forwardX11', 'remoteShell', 'quoteArgs', 'glob', 'encoding', 'maxBuffer',
  'idleTimeout', 'timeout', 'signal', 'reject', 'buffer', 'tunnel', 'subsystem', 'stdinoutDpipe', 'stdinoutSocket', 'engine', 'verbose', 'env', 'argumentEncoding',
]);

/** Encodings accepted: Node Buffer encodings plus `'buffer'` for raw bytes. */
export function checkEncoding(name: string, value: unknown): BufferEncoding | 'buffer' | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || (value !== 'buffer' && !Buffer.isEncoding(value))) {
    badOption(name, "'buffer' or a Node encoding name ('utf8', 'latin1', 'ascii', 'utf16le', 'base64', 'hex', ...)", value);
  }
  return value as BufferEncoding | 'buffer';
}

/** `maxBuffer`'s default: 100 MiB, as execa's. */
export const DEFAULT_MAX_BUFFER = 100 * 1024 * 1024;

/** `maxBuffer`: a whole number of bytes >= 1, or Infinity. */
export function optMaxBuffer(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (value !== Number.POSITIVE_INFINITY && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)) {
    badOption(name, 'a whole number of bytes >= 1, or Infinity', value);
  }
  return value as number;
}

function pick<T extends { kind: string }>(name: string, candidates: Array<[string, T | undefined]>, fallback: T): T {
  const given = candidates.filter(([, v]) => v !== undefined);
  if (given.length > 1) {
    const names = given.map(([k]) => `'${k}'`).join(' and ');
    throw new TypeError(`options ${names} ${given.length === 2 ? 'both' : 'all'} set the ${name}; give only one of them`);
  }
  return given[0]?.[1] ?? fallback;
}

function outputFile(name: string, value: unknown): OutputSpec | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value !== '') return { kind: 'file', path: value, append: false };
  if (typeof value === 'object' && value !== null && typeof (value as { path?: unknown }).path === 'string') {
    const v = value as { path: string; append?: unknown };
    return { kind: 'file', path: v.path, append: optBoolean(`${name}.append`, v.append) ?? false };
  }
  return badOption(name, 'a file path or { path, append }', value);
}

function outputOption(name: string, value: unknown): OutputSpec | undefined {
  if (value === undefined) return undefined;
  if (value === 'ignore' || value === 'inherit' || value === 'pipe') return { kind: value };
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { kind: 'fd', fd: value };
  if (value instanceof Writable || (typeof value === 'object' && value !== null && typeof (value as Writable).write === 'function')) {
    return { kind: 'stream', stream: value as Writable };
  }
  return badOption(name, "'ignore', 'inherit', 'pipe', a file descriptor or a Writable stream", value);
}

function inputOption(value: unknown): InputSpec | undefined {
  if (value === undefined) return undefined;
  if (value === 'ignore' || value === 'inherit' || value === 'pipe') return { kind: value };
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { kind: 'fd', fd: value };
  if (value instanceof Readable || (typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function')) {
    return { kind: 'stream', stream: value as Readable };
  }
  return badOption('stdin', "'ignore', 'inherit', 'pipe', a file descriptor or a Readable stream", value);
}

function stdinData(value: unknown): InputSpec | undefined {
  if (value === undefined) return undefined;
  const ok = (v: unknown) => typeof v === 'string' || v instanceof Uint8Array;
  if (ok(value)) return { kind: 'data', data: [value as string | Uint8Array] };
  if (Array.isArray(value) && value.every(ok)) return { kind: 'data', data: value as Array<string | Uint8Array> };
  return badOption('stdinData', 'a string, a Buffer/Uint8Array or an array of them', value);
}

/** `stdinoutSocket`: the same socket (a Duplex or an fd) as stdin and stdout. */
function socketOption(value: unknown): { input: InputSpec; output: OutputSpec } | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { input: { kind: 'fd', fd: value }, output: { kind: 'fd', fd: value } };
  const v = value as Duplex;
  if (value instanceof Duplex || (typeof value === 'object' && value !== null && typeof v.read === 'function' && typeof v.pipe === 'function' && typeof v.write === 'function' && typeof v.end === 'function')) {
    return { input: { kind: 'stream', stream: v }, output: { kind: 'stream', stream: v, end: true } };
  }
  return badOption('stdinoutSocket', 'a Duplex stream (such as a net.Socket) or the file descriptor of a socket', value);
}

const on = (name: string, v: unknown) => optBoolean(name, v) === true;

/** Validate a call's options and resolve every stream for the method `mode`. */
export function normalizeCall(
  options: CommandOptions | undefined,
  defaults: CommandDefaults,
  mode: CallMode,
  pipes?: StreamPipes,
): NormalizedCall {
  const o = (options ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) badOption('options', 'an object', options);
  checkKnownKeys(o, KNOWN, 'a command');
  const dpipeForm = 'a non-empty argv array (program first), such as ["sh", "-c", "..."]';
  if (o.stdinoutDpipe !== undefined && !Array.isArray(o.stdinoutDpipe)) badOption('stdinoutDpipe', dpipeForm, o.stdinoutDpipe);
  const dpipe = optStringArray('stdinoutDpipe', o.stdinoutDpipe);
  if (dpipe !== undefined && dpipe.length === 0) badOption('stdinoutDpipe', dpipeForm, dpipe);
  const fixed: StreamPipes = pipes ?? (dpipe ? { method: "the option 'stdinoutDpipe'", stdin: true, stdout: true } : { method: '' });
  if (dpipe && mode === 'capture') throw new TypeError("option 'stdinoutDpipe' cannot be used here: this method captures stdout itself (use run() or system())");
  if (pipes && dpipe) throw new TypeError(`option 'stdinoutDpipe' cannot be used with ${pipes.method}, which hands you the streams itself`);
  const socket = socketOption(o.stdinoutSocket);
  if (socket && dpipe) throw new TypeError("options 'stdinoutSocket' and 'stdinoutDpipe' cannot be used together: both connect stdin and stdout");
  for (const slot of ['stdin', 'stdout', 'stderr'] as const) {
    if (!fixed[slot]) continue;
    const names = slot === 'stdin' ? ['stdin', 'stdinData', 'stdinFile', 'stdinDiscard', 'stdinKeepOpen', 'stdinoutSocket'] : [slot, `${slot}File`, `${slot}Discard`];
    if (slot === 'stdout') names.push('stdinoutSocket');
    if (slot === 'stderr') names.push('stderrToStdout');
    const given = names.find((k) => o[k] !== undefined);
    if (given) throw new TypeError(`option '${given}' cannot be used with ${fixed.method}: it connects ${slot} itself`);
  }

  const flags = {
    stdinDiscard: on('stdinDiscard', o.stdinDiscard),
    stdoutDiscard: on('stdoutDiscard', o.stdoutDiscard),
    stderrDiscard: on('stderrDiscard', o.stderrDiscard),
    stderrToStdout: on('stderrToStdout', o.stderrToStdout),
  };
  const stdinFile = optString('stdinFile', o.stdinFile);

  const stdin = pick<InputSpec>(
    'stdin',
    [
      ['stdinDiscard', flags.stdinDiscard ? { kind: 'ignore' } : undefined],
      ['stdin', inputOption(o.stdin)],
      ['stdinFile', stdinFile === undefined ? undefined : { kind: 'file', path: stdinFile }],
      ['stdinData', stdinData(o.stdinData)],
      ['stdinoutSocket', socket?.input],
    ],
    fixed.socket !== undefined ? { kind: 'fd', fd: fixed.socket } : mode === 'spawn' || fixed.stdin ? { kind: 'pipe' } : ((mode !== 'command' ? defaults.streams?.stdin : undefined) ?? { kind: 'ignore' }),
  );

  if (stdin.kind === 'pipe' && mode !== 'spawn' && !fixed.stdin) {
    throw new TypeError("option 'stdin' can be 'pipe' only with spawn(), which hands the pipe to you; use stdinData, stdinFile or a stream");
  }
  const quiet = mode === 'test';
  // The default streams stand in where the output would go to this process (system()) or
  // into a stream method's Result; never for what a method hands back (run's and capture's
  // Result, spawn's pipes) nor for test(), which discards like Net::OpenSSH's.
  const useDefaults = mode === 'system' || mode === 'stream';
  const builtinOut: OutputSpec =
    mode === 'system' ? { kind: 'inherit' } : mode === 'spawn' ? { kind: 'pipe' } : quiet ? { kind: 'ignore' } : { kind: 'capture' };
  const outDefault = (useDefaults ? defaults.streams?.stdout : undefined) ?? builtinOut;
  const explicitOut: Array<[string, OutputSpec | undefined]> = [
    ['stdoutDiscard', flags.stdoutDiscard ? { kind: 'ignore' } : undefined],
    ['stdout', outputOption('stdout', o.stdout)],
    ['stdoutFile', outputFile('stdoutFile', o.stdoutFile)],
    ['stdinoutSocket', socket?.output],
  ];
  if (mode === 'capture') {
    const given = explicitOut.find(([, v]) => v !== undefined);
    if (given) throw new TypeError(`option '${given[0]}' cannot be used here: this method captures stdout itself (use run() or system())`);
  }
  const stdout = pick<OutputSpec>('stdout', explicitOut, fixed.socket !== undefined ? { kind: 'socket', fd: fixed.socket } : fixed.stdout ? { kind: 'pipe' } : outDefault);
  const stderr = pick<OutputSpec>(
    'stderr',
    [
      ['stderrDiscard', flags.stderrDiscard ? { kind: 'ignore' } : undefined],
      ['stderr', outputOption('stderr', o.stderr)],
      ['stderrFile', outputFile('stderrFile', o.stderrFile)],
      ['stderrToStdout', flags.stderrToStdout ? { kind: 'stdout' } : undefined],
    ],
    fixed.stderr || mode === 'spawn'
      ? { kind: 'pipe' }
      : useDefaults && defaults.streams?.stderr
        ? defaults.streams.stderr
        : mode === 'system'
        ? { kind: 'inherit' }
        : quiet
          ? { kind: 'ignore' }
          : { kind: 'capture' },
  );
  // test() discards by default, remotely too, as Net::OpenSSH does.
  let bestEffort = false;
  if (quiet && stdout.kind === 'ignore' && o.stdoutDiscard === undefined && o.stdout === undefined && o.stdoutFile === undefined) {
    flags.stdoutDiscard = true;
    bestEffort = true;
    if (stderr.kind === 'ignore' && o.stderr === undefined && o.stderrFile === undefined && o.stderrToStdout === undefined) {
      flags.stderrDiscard = true;
    }
  }

  const tunnel = optBoolean('tunnel', o.tunnel) ?? false;
  const subsystem = optBoolean('subsystem', o.subsystem) ?? false;
  if (tunnel && subsystem) throw new TypeError("options 'tunnel' and 'subsystem' cannot be used together: a call either forwards to host:port or opens a subsystem");
  for (const k of ['tty', 'quoteArgs', 'glob', 'remoteShell', 'argumentEncoding'] as const) {
    if ((tunnel || subsystem) && o[k] !== undefined) {
      throw new TypeError(`option '${k}' cannot be used with '${tunnel ? 'tunnel' : 'subsystem'}': no remote shell command is run`);
    }
  }
  const env = optEnv('env', o.env);
  if (tunnel && env !== undefined) throw new TypeError("option 'env' cannot be used with 'tunnel': a tunnel is a TCP connection, with no remote process to get variables");
  if (o.reject !== undefined && mode !== 'run' && mode !== 'spawn') {
    throw new TypeError("option 'reject' is only for run() and spawn(), which return the Result; the other methods always reject on failure");
  }
  const sshOpts = optStringArray('sshOpts', o.sshOpts) ?? defaults.defaultSshOpts ?? [];
  const remoteShell = o.remoteShell === undefined ? (defaults.remoteShell ?? 'POSIX') : o.remoteShell;
  return {
    stdin,
    stdout,
    stderr,
    stdinKeepOpen: on('stdinKeepOpen', o.stdinKeepOpen),
    flags,
    tty: optBoolean('tty', o.tty),
    sshOpts,
    forwardAgent: optBoolean('forwardAgent', o.forwardAgent) ?? defaults.forwardAgent,
    forwardX11: optBoolean('forwardX11', o.forwardX11) ?? defaults.forwardX11,
    env,
    quoter: getQuoter(remoteShell as string | Quoter),
    quoteArgs: optBoolean('quoteArgs', o.quoteArgs),
    glob: optBoolean('glob', o.glob) ?? false,
    bestEffort,
    encoding: checkEncoding('encoding', o.encoding) ?? defaults.encoding ?? 'utf8',
    maxBuffer: optMaxBuffer('maxBuffer', o.maxBuffer) ?? defaults.maxBuffer ?? DEFAULT_MAX_BUFFER,
    idleTimeout: o.idleTimeout === undefined ? defaults.idleTimeout : optMs('idleTimeout', o.idleTimeout),
    timeout: o.timeout === undefined ? defaults.timeout : optMs('timeout', o.timeout),
    signal: combineSignals(optSignal('signal', o.signal), defaults.signal),
    reject: optBoolean('reject', o.reject) ?? true,
    buffer: optBoolean('buffer', o.buffer) ?? mode !== 'stream',
    tunnel,
    subsystem,
    dpipe,
    engine: callEngine(o.engine),
    verbose: o.verbose === undefined ? defaults.verbose : optVerbose(o.verbose),
    argumentEncoding: tunnel || subsystem ? undefined : (optArgumentEncoding(o.argumentEncoding) ?? defaults.argumentEncoding),
  };
}

function callEngine(v: unknown): 'spawn' | 'mux' | undefined {
  if (v === undefined || v === 'spawn' || v === 'mux') return v;
  return badOption('engine', "'spawn' or 'mux'", v);
}

/** Both signals as one (either aborts it), or the one given. */
export function combineSignals(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a && b) return AbortSignal.any([a, b]);
  return a ?? b;
}
