import { PassThrough, type Readable } from 'node:stream';
import { normalizeCall, type CommandDefaults, type CommandOptions, type NormalizedCall } from '../options/command.js';
import { badOption, checkKnownKeys, optBoolean, optString } from '../options/validate.js';
import type { Command } from '../quote/command.js';
import { remoteCommand, startSlave, type ExecContext } from '../run/execute.js';
import type { Result } from '../run/result.js';
import { checkSize, createPtyEngine } from './engine.js';
import { loadPty } from './load.js';
import type { PtyStream } from './terminal.js';

/** Options that configure the terminal. */
const PTY_KEYS = ['cols', 'rows', 'term'] as const;
/** The command options a terminal session takes (the stream options do not apply). */
const COMMAND_KEYS = [
  'encoding', 'sshOpts', 'forwardAgent', 'forwardX11', 'remoteShell', 'quoteArgs', 'glob',
  'idleTimeout', 'timeout', 'signal', 'reject',
] as const;

/**
 * Options of `open2pty()` and `open3pty()`: the terminal's size and type, and the command
 * options that apply to a terminal session (the stream options do not: the terminal is the
 * stream). `idleTimeout` counts the terminal's output.
 */
export interface PtyOptions extends Pick<CommandOptions, (typeof COMMAND_KEYS)[number]> {
  /** Terminal width (default 80). */
  cols?: number;
  /** Terminal height (default 24). */
  rows?: number;
  /** Terminal type sent to the remote side as `TERM` (default `xterm-256color`). */
  term?: string;
  /**
   * `open2pty()` only: ssh's own messages go to the terminal too, instead of the Result's
   * `stderr` (the remote command's stderr is on the terminal either way).
   */
  stderrToStdout?: boolean;
}

/** A remote command running on a pseudo-terminal, as `open2pty()` returns it. */
export interface PtySession<T extends string | Buffer = string> extends AsyncDisposable {
  /**
   * The terminal: write keystrokes (`'\r'` is Enter, `'\x03'` Ctrl-C, `'\x04'` Ctrl-D), read
   * what the remote program shows (strings, or Buffers with `encoding: 'buffer'`). Ends once
   * the session is over and its status known.
   */
  readonly pty: PtyStream;
  /** pid of the local ssh slave. */
  readonly pid: number | undefined;
  /** The local ssh argv. */
  readonly argv: readonly string[];
  /** Current terminal size. */
  readonly cols: number;
  readonly rows: number;
  /** Resize the terminal; the remote program gets SIGWINCH. Ignored once the session is over. */
  resize(cols: number, rows: number): void;
  /** Stop the session: the signal (default SIGTERM) to ssh, then SIGKILL after 2 s. */
  kill(signal?: NodeJS.Signals): void;
  /** Settles when ssh has exited: the Result (exit code, ssh's stderr), or the typed error. */
  readonly done: Promise<Result<T>>;
}

/** `open3pty()`: a {@link PtySession} plus ssh's own stderr as a stream. */
export interface Pty3Session<T extends string | Buffer = string> extends PtySession<T> {
  /**
   * What the local ssh writes to its stderr (its own diagnostics). The remote command's
   * stderr is not here: on a remote terminal it goes to the terminal, as in any ssh session.
   */
  readonly stderr: Readable;
}

/** Which method: they differ only in what happens to ssh's own stderr. */
export type PtyMethod = 'open2pty' | 'open3pty';

/** Validate a pty call's options (pure): the terminal settings and the command call. */
export function normalizePtyCall(method: PtyMethod, options: PtyOptions | undefined, defaults: CommandDefaults) {
  const o = (options ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) badOption('options', 'an object', options);
  const known = new Set<string>([...PTY_KEYS, ...COMMAND_KEYS, ...(method === 'open2pty' ? ['stderrToStdout'] : [])]);
  checkKnownKeys(o, known, `${method}() (its stdin and stdout are the terminal${method === 'open3pty' ? ', its stderr a stream' : ''})`);
  const cols = o.cols === undefined ? undefined : checkSize("option 'cols'", o.cols);
  const rows = o.rows === undefined ? undefined : checkSize("option 'rows'", o.rows);
  const term = optString('term', o.term);
  if (term !== undefined && !/^[\w.+-]+$/.test(term)) badOption('term', 'a terminal name such as xterm-256color (letters, digits, . _ + -)', term);
  const stderrOnPty = optBoolean('stderrToStdout', o.stderrToStdout) === true;
  const rest: CommandOptions = {};
  for (const k of COMMAND_KEYS) if (o[k] !== undefined) (rest as Record<string, unknown>)[k] = o[k];
  const base = normalizeCall(rest, defaults, 'spawn');
  const call: NormalizedCall = {
    ...base,
    stdin: { kind: 'pipe' },
    stdout: { kind: 'pipe' },
    // ssh's own stderr is small: collect it into the Result (and its error messages).
    stderr: stderrOnPty ? { kind: 'stdout' } : { kind: 'capture' },
    tty: true,
    buffer: false,
    // A pty session carries whatever bytes the caller writes: no ~ escapes (a caller's own
    // EscapeChar, given first, still wins).
    sshOpts: [...base.sshOpts, '-o', 'EscapeChar=none'],
  };
  return { call, cols, rows, term, stderrOnPty };
}

/**
 * Start `cmd` on a remote pty over the master, with a local pty as ssh's terminal. Bad
 * options or a command that cannot be quoted throw at once, like every method's; then
 * node-pty is loaded: without it, the promise rejects with a SlaveError
 * `OSSH_PTY_UNAVAILABLE` before anything runs.
 */
export function openPty<T extends string | Buffer = string | Buffer>(
  ctx: ExecContext,
  defaults: CommandDefaults,
  method: PtyMethod,
  cmd: Command,
  options: PtyOptions | undefined,
): Promise<Pty3Session<T>> {
  const n = normalizePtyCall(method, options, defaults);
  const command = remoteCommand(cmd, n.call);
  return startPty<T>(ctx, method, command, n);
}

async function startPty<T extends string | Buffer>(
  ctx: ExecContext,
  method: PtyMethod,
  command: string,
  { call, cols, rows, term, stderrOnPty }: ReturnType<typeof normalizePtyCall>,
): Promise<Pty3Session<T>> {
  loadPty();
  const encoding = call.encoding === 'buffer' ? undefined : call.encoding;
  // ssh's stdout is a pipe of its own: the remote terminal already did the output processing,
  // and the local one (ssh's stdin, in raw mode only once the session is open) must not.
  const engine = createPtyEngine({ cols, rows, term, stderrOnPty, encoding, stdoutOnPty: false, holdInputUntilRaw: true });
  const sp = await startSlave({ ...ctx, engine }, command, call);
  const proc = engine.spawned!;
  const done = sp.result as Promise<Result<T>>;
  proc.terminal.deferEnd(done);

  let stderr: Readable | undefined;
  if (method === 'open3pty') {
    const tee = new PassThrough();
    if (encoding) tee.setEncoding(encoding);
    if (proc.stderr) {
      proc.stderr.on('data', (c: Buffer) => tee.write(c));
      proc.stderr.once('close', () => tee.end());
    } else tee.end();
    stderr = tee;
  }

  const session: PtySession<T> = {
    pty: proc.terminal,
    pid: sp.pid,
    argv: sp.argv,
    get cols() {
      return proc.cols;
    },
    get rows() {
      return proc.rows;
    },
    resize: (c, r) => proc.resize(c, r),
    kill: (signal) => sp.kill(signal),
    done,
    async [Symbol.asyncDispose]() {
      sp.kill();
      await done.catch(() => {});
    },
  };
  if (stderr) Object.defineProperty(session, 'stderr', { value: stderr, enumerable: true });
  return session as Pty3Session<T>;
}
