import type { Readable, Writable } from 'node:stream';
import { CommandError, MasterError, OpenSSHError, type ErrorDetails } from './errors/index.js';
import { Master, type MasterState } from './master/master.js';
import { normalizeCall, type CallMode, type CommandDefaults, type CommandOptions, type NoRejectOptions, type StreamPipes } from './options/command.js';
import { normalizeConnection, type OpenSSHOptions } from './options/connection.js';
import { parseTarget, type ParsedTarget, type TargetDefaults } from './options/target.js';
import type { Command } from './quote/command.js';
import { shellQuote, shellQuoteGlob } from './quote/shell-quote.js';
import { remoteCommand, slaveArgv, startSlave, type ExecContext, type SshProcess } from './run/execute.js';
import type { Result } from './run/result.js';
import { SessionLimiter } from './run/sessions.js';
import { openPty, type Pty3Session, type PtyOptions, type PtySession } from './pty/session.js';
import { transfer, type Transfer, type TransferOptions, type TransferResult } from './transfer/index.js';
import { remoteDuplex, remoteDuplex3, remoteReadable, remoteWritable, type RemoteDuplex, type RemoteDuplex3, type RemoteReadable, type RemoteWritable } from './run/streams.js';
import { remoteLines } from './run/lines.js';
import { thenCloseFiles } from './run/default-streams.js';
import { cancelForward, openForward, type PortForward } from './tunnel/forward.js';
import { normalizeForward, type ForwardOptions } from './tunnel/options.js';
import { tunnelCall, type CaptureTunnelOptions, type TunnelOptions } from './tunnel/tunnel.js';
import type { SshConfiguration } from './auth/ssh-config.js';
import { openSftp, type SftpOptions } from './sftp/open.js';
import { nodeEngine } from './run/engine.js';
import type { Sftp } from './sftp/client.js';
import { Variables, type VarValue } from './expand/vars.js';
import { openShell, openShellPool, type ShellPool, type ShellSession } from './shell/index.js';
import type { ShellOptions, ShellPoolOptions } from './shell/options.js';
import { sshTemplate, type Dollar } from './template/index.js';
import { traceMaster } from './trace/master.js';
import { defaultConnectionCache } from './cache/cache.js';
import { sshfsExport, sshfsImport, SshfsMounts, type SshfsExportOptions, type SshfsImportOptions, type SshfsMount } from './sshfs/index.js';

/** Options of `waitForMaster()`. */
export interface WaitForMasterOptions {
  /** Do not wait: report the state as it is now (Net::OpenSSH's `wait_for_master(1)`). */
  async?: boolean;
  /** Stop waiting (the login itself goes on). */
  signal?: AbortSignal;
}

/** Options of the stream methods: every command option but `reject` and `buffer`'s default (false). */
export type StreamOptions = Omit<CommandOptions, 'reject' | 'stdinoutDpipe' | 'stdinoutSocket'> & { reject?: never };

/** What `open2()` resolves with. */
export interface Open2<T extends string | Buffer = string> {
  /** pid of the local ssh slave. */
  readonly pid: number | undefined;
  /** The remote stdin: end it to send EOF. */
  readonly stdin: Writable;
  /** The remote stdout. */
  readonly stdout: Readable;
  /** The local argv. */
  readonly argv: readonly string[];
  /** Settles when the slave has exited: the Result, or the typed error. */
  readonly done: Promise<Result<T>>;
  /** Stop the slave (the signal, then SIGKILL after 2 s). */
  kill(signal?: NodeJS.Signals): void;
}

/** What `open3()` resolves with. */
export interface Open3<T extends string | Buffer = string> extends Open2<T> {
  /** The remote stderr. */
  readonly stderr: Readable;
}

/** What open2() hands out of a slave started with stdin and stdout piped. */
function open2Of<T extends string | Buffer>(p: SshProcess): Open2<T> {
  return { pid: p.pid, stdin: p.stdin!, stdout: p.stdout!, argv: p.argv, done: p.result as Promise<Result<T>>, kill: p.kill };
}

/** Encodings in which a line end is the byte 0x0a and nothing else contains it. */
const LINE_ENCODINGS = new Set<unknown>(['utf8', 'utf-8', 'ascii', 'latin1', 'binary']);

type Out<O extends CommandOptions | undefined> = O extends { encoding: 'buffer' } ? Buffer : string;

/**
 * One SSH connection: a master `ssh -M` on a private ControlPath, and every command a slave
 * `ssh -S` over it. Create with {@link OpenSSH.connect} (waits for the login) or `new
 * OpenSSH()` (never throws for connection problems: see {@link OpenSSH.waitForMaster} and
 * {@link OpenSSH.error}).
 *
 * ```ts
 * await using ssh = await OpenSSH.connect('deploy@web1');
 * console.log(await ssh.capture('uname -a'));
 * ```
 */
export class OpenSSH implements AsyncDisposable {
  /** Host as passed to ssh (IPv6 without brackets). */
  readonly host: string;
  /** Login user, if one was given. */
  readonly user: string | undefined;
  /** Port, if one was given. */
  readonly port: number | undefined;
  readonly #master: Master;
  readonly #defaults: CommandDefaults;
  readonly #ctx: ExecContext;
  readonly #target: ParsedTarget;
  #error: OpenSSHError | undefined;
  readonly #vars: Variables;
  #dollar: Dollar | undefined;
  readonly #mounts = new SshfsMounts();

  /**
   * Start connecting to `target` (`[user@]host[:port]`). Bad options throw a TypeError at
   * once; connection problems never throw here: they show in `waitForMaster()` and `error`.
   */
  constructor(target: string, options: OpenSSHOptions = {}) {
    this.#vars = Variables.forConnection(target, options);
    const n = normalizeConnection(target, this.#vars.connectionOptions(options));
    this.#target = n.target;
    this.host = n.target.host;
    this.user = n.target.user;
    this.port = n.target.port;
    this.#defaults = n.defaults;
    this.#master = new Master(n.master);
    this.#ctx = { engine: n.master.engine, host: this.host, master: this.#master, sessions: new SessionLimiter(n.maxSessions), label: this.#vars.get('LABEL') };
    if (n.connect) void this.#master.connect().catch(() => {});
  }

  /** Connect and wait for the master: resolves with the ready object, rejects with a MasterError. */
  static async connect(target: string, options: OpenSSHOptions = {}): Promise<OpenSSH> {
    const ssh = new OpenSSH(target, options);
    if (!(await ssh.waitForMaster())) throw ssh.error!;
    return ssh;
  }

  /**
   * The live connection for an equal target and options from the process-wide
   * {@link ConnectionCache} (Net::OpenSSH::ConnectionCache): logs in only when there is none,
   * replaces one whose master died. See docs/connection-cache.md.
   */
  static cached(target: string, options: OpenSSHOptions = {}): Promise<OpenSSH> {
    return defaultConnectionCache().get(target, options);
  }

  /** Quote words for a POSIX shell (or `{ remoteShell }` last) and join them with spaces. */
  static shellQuote = shellQuote;

  /** Like `shellQuote`, with the wildcards `* ? [ ] { }` left live. */
  static shellQuoteGlob = shellQuoteGlob;

  /** Quote words for this connection's `remoteShell` and join them with spaces. */
  shellQuote(...words: string[]): string {
    return shellQuote(...this.#vars.words(words), { remoteShell: this.#defaults.remoteShell ?? 'POSIX' });
  }

  /** Like `shellQuote()`, with the wildcards `* ? [ ] { }` left live. */
  shellQuoteGlob(...words: string[]): string {
    return shellQuoteGlob(...this.#vars.words(words), { remoteShell: this.#defaults.remoteShell ?? 'POSIX' });
  }

  /** Whether `%HOST%`, `%USER%`, `%PORT%`, `%NAME%` and `%%` are expanded (see docs/fleet.md). */
  get expandVars(): boolean {
    return this.#vars.enabled;
  }

  set expandVars(on: boolean) {
    if (typeof on !== 'boolean') throw new TypeError(`expandVars must be a boolean, received ${typeof on}`);
    this.#vars.enabled = on;
  }

  /** Set a variable for `%NAME%` expansion (HOST, USER and PORT come from the target). */
  setVar(name: string, value: VarValue): void {
    this.#vars.set(name, value);
  }

  /** A variable's value (HOST, USER, PORT or one set), or undefined when not defined. */
  getVar(name: string): string | undefined {
    return this.#vars.get(name);
  }

  /** Split `[user[:password]@]host[:port]` exactly as Net::OpenSSH's `parse_connection_opts`. */
  static parseTarget(target: string, defaults?: TargetDefaults): ParsedTarget {
    return parseTarget(target, defaults);
  }

  /** The last error of an operation on this object; master failures are sticky. */
  get error(): OpenSSHError | undefined {
    return this.#master.error ?? this.#error;
  }

  /** The master's state: start, login, awaiting_mux, running, killing, gone or stopped. */
  get state(): MasterState {
    return this.#master.state;
  }

  /** pid of the master ssh (also of an external one, once checked). */
  get masterPid(): number | undefined {
    return this.#master.pid;
  }

  /**
   * Commands holding or waiting for one of this connection's sessions now (commands,
   * transfers, shell and sftp sessions; not `-W` tunnels nor port forwards).
   */
  get activeSessions(): number {
    return this.#ctx.sessions.active + this.#ctx.sessions.waiting;
  }

  /** The ControlPath socket, once chosen. */
  get ctlPath(): string | undefined {
    return this.#master.ctlPath;
  }

  /** Host in brackets for IPv6 literals: the form scp and rsync want. */
  get hostSquared(): string {
    return this.#target.hostSquared;
  }

  /** The tail of what the master ssh printed (its log), for diagnosis. */
  get masterLog(): string {
    return this.#master.readLog();
  }

  /**
   * Wait until the master is ready. Resolves `true` when running, `false` when it failed or
   * is gone (see `error`); never rejects for connection problems. With `async: true`, answers
   * at once: `true` running, `undefined` still connecting, `false` failed/gone/stopped.
   */
  async waitForMaster(options: WaitForMasterOptions = {}): Promise<boolean | undefined> {
    const { async = false, signal } = options;
    if (!this.#master.error) this.#error = undefined;
    const state = this.#master.state;
    if (async) {
      if (this.#master.error || state === 'gone' || state === 'stopped') return false;
      if (state === 'running') return true;
      void this.#master.connect().catch(() => {});
      return undefined;
    }
    try {
      await this.#master.connect(signal);
      return true;
    } catch (err) {
      if (err instanceof OpenSSHError) return false;
      throw err;
    }
  }

  /** Run the alive check (as `-O check`, in-process); on failure the master is torn down and the MasterError thrown. */
  async checkMaster(): Promise<void> {
    await this.#master.ready();
    await this.#master.check();
  }

  /**
   * Close the connection: its sshfs mounts are unmounted (lazily), then the master is asked
   * to exit (`MUX_C_TERMINATE`, as `-O exit`), then SIGTERM, then SIGKILL, each bounded (about
   * 5 s in all at worst). An external or disowned master is left running. Later commands fail with a
   * MasterError (reason `disconnected`).
   */
  disconnect(): Promise<void> {
    return traceMaster(this.host, 'disconnect', this.#master, () => thenCloseFiles(this.#mounts.closeAll().then(() => this.#master.disconnect()), this.#defaults.streams));
  }

  /** `-O stop`: the master stops accepting new sessions; the object becomes unusable. */
  stop(): Promise<void> {
    return traceMaster(this.host, 'stop', this.#master, () => thenCloseFiles(this.#master.stop(), this.#defaults.streams));
  }

  /** Disconnect (if needed) and log in again on a fresh socket. */
  restart(options: { signal?: AbortSignal } = {}): Promise<void> {
    return traceMaster(this.host, 'restart', this.#master, () => this.#master.restart(options.signal));
  }

  /**
   * Tell the object that its master has exited or was killed outside it (Net::OpenSSH's
   * `master_exited`): it stops using it at once (commands fail with a MasterError, reason
   * `exited`) and never signals that pid again. `restart()` starts a new one.
   */
  masterExited(): void {
    this.#master.exited();
  }

  /** Stop owning the master: it outlives this object and the process. Returns its pid. */
  disownMaster(): Promise<number> {
    return this.#master.disown();
  }

  /** `await using ssh = ...` disconnects at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.disconnect();
  }

  #prepare(cmd: Command, options: CommandOptions | undefined, mode: CallMode, pipes?: StreamPipes) {
    const call = normalizeCall(this.#vars.callOptions(options), this.#defaults, mode, pipes);
    const command = remoteCommand(this.#vars.command(cmd), call);
    return { call, command };
  }

  async #track<T>(p: Promise<T>): Promise<T> {
    if (!this.#master.error) this.#error = undefined;
    try {
      return await p;
    } catch (err) {
      if (err instanceof OpenSSHError && !(err instanceof MasterError && err === this.#master.error)) this.#error = err;
      throw err;
    }
  }

  #exec<T extends string | Buffer>(cmd: Command, options: CommandOptions | undefined, mode: CallMode): Promise<Result<T>> {
    const { call, command } = this.#prepare(cmd, options, mode);
    return this.#track(startSlave(this.#ctx, command, call).then((p) => p.result as Promise<Result<T>>));
  }

  /**
   * Run a command written as a tagged template: literal parts are shell text, each `${value}`
   * is quoted for this object's `remoteShell` (arrays give several words; `raw()`, `glob()`
   * and numbers as in a command array). Resolves with run()'s {@link Result} plus `text()`,
   * `lines()` and `json()`; rejects like run(). `ssh.$(options)` gives a template with options.
   *
   * ```ts
   * const n = (await ssh.$`ls -l ${dir} | wc -l`).text();
   * const r = await ssh.$({ timeout: 5000, reject: false })`test -d ${path}`;
   * ```
   */
  get $(): Dollar {
    return (this.#dollar ??= sshTemplate(this, this.#defaults.remoteShell));
  }

  /**
   * Run a command and resolve with its full {@link Result} (stdout and stderr captured by
   * default). Rejects with a typed error on failure, unless `reject: false`.
   */
  run<O extends CommandOptions | undefined = undefined>(cmd: Command, options?: O): Promise<Result<Out<O>>> {
    return this.#exec(cmd, options, 'run');
  }

  /** Run a command and resolve with its stdout. stderr is kept on the error if it fails. */
  capture<O extends NoRejectOptions | undefined = undefined>(cmd: Command, options?: O): Promise<Out<O>> {
    return this.#exec<Out<O>>(cmd, options, 'capture').then((r) => r.stdout);
  }

  /** Run a command and resolve with `{ stdout, stderr }`. */
  capture2<O extends NoRejectOptions | undefined = undefined>(cmd: Command, options?: O): Promise<{ stdout: Out<O>; stderr: Out<O> }> {
    return this.#exec<Out<O>>(cmd, options, 'capture').then((r) => ({ stdout: r.stdout, stderr: r.stderr }));
  }

  /**
   * Run a command with stdout and stderr going to this process's own (like Perl's `system`).
   * Resolves when it succeeds. With no command (`[]`, `''` or none) it opens an interactive
   * shell on this process's stdin (with a pty when stdin is a terminal, without one otherwise).
   */
  system(cmd: Command = [], options?: NoRejectOptions): Promise<void> {
    const interactive = (typeof cmd === 'string' ? cmd : cmd.length === 0 ? '' : 'x') === '';
    const hasStdin = options && ['stdin', 'stdinData', 'stdinFile', 'stdinDiscard'].some((k) => k in options);
    // An interactive session talks to this process's terminal, as Net::OpenSSH's system().
    const o = interactive && !hasStdin ? { stdin: 'inherit' as const, tty: process.stdin.isTTY === true, ...options } : options;
    return this.#exec(cmd, o, 'system').then(() => undefined);
  }

  /**
   * Run a command and resolve `true` if it exits 0, `false` if it exits non-zero. Output is
   * discarded unless a stream option says otherwise. Other failures (master gone, timeout)
   * still reject.
   */
  test(cmd: Command, options?: NoRejectOptions): Promise<boolean> {
    const { call, command } = this.#prepare(cmd, options, 'test');
    const run = startSlave(this.#ctx, command, { ...call, reject: false })
      .then((p) => p.result)
      .then((r) => {
        if (r.error && !(r.error instanceof CommandError)) throw r.error;
        return !r.failed;
      });
    return this.#track(run);
  }

  /**
   * Start a command and resolve once the slave runs, with its pid, its stdio streams (pipes
   * by default) and a `result` promise. Output is also collected into the Result unless
   * `buffer: false`, so an unread stream never blocks the command.
   */
  spawn<O extends CommandOptions | undefined = undefined>(cmd: Command, options?: O): Promise<SshProcess<Out<O>>> {
    const { call, command } = this.#prepare(cmd, options, 'spawn');
    return this.#track(startSlave(this.#ctx, command, call)) as Promise<SshProcess<Out<O>>>;
  }

  /** Start a slave for a stream method; errors before the start are thrown at once. */
  #startStream(cmd: Command, options: StreamOptions | undefined, pipes: StreamPipes) {
    // Destroying the returned stream early cancels the command through this controller.
    const cancel = new AbortController();
    const given = options?.signal;
    const signal = given instanceof AbortSignal ? AbortSignal.any([given, cancel.signal]) : given === undefined ? cancel.signal : given;
    const { call, command } = this.#prepare(cmd, { ...options, signal }, 'stream', pipes);
    const start = this.#track(startSlave(this.#ctx, command, call));
    start.catch(() => {});
    return { start, cancel, call, command };
  }

  /**
   * Run a command and return at once a Writable feeding its stdin (Net::OpenSSH's
   * `pipe_in`). End it to close the remote stdin; `done` resolves with the Result (stdout and
   * stderr captured unless routed elsewhere) or rejects with the typed error.
   *
   * ```ts
   * await pipeline(createReadStream('backup.tar'), ssh.pipeIn('cat > backup.tar'));
   * ```
   */
  pipeIn<O extends StreamOptions | undefined = undefined>(cmd: Command, options?: O): RemoteWritable<Out<O>> {
    const { start, cancel } = this.#startStream(cmd, options, { method: 'pipeIn()', stdin: true });
    return remoteWritable(start, cancel) as RemoteWritable<Out<O>>;
  }

  /**
   * Run a command and return at once a Readable of its stdout (Net::OpenSSH's `pipe_out`).
   * The stream ends once the command has exited successfully; a failure destroys it with the
   * typed error (when anyone listens) and rejects `done`. Destroying it stops the slave.
   *
   * ```ts
   * await pipeline(ssh.pipeOut('cat /var/log/syslog'), createWriteStream('syslog'));
   * ```
   */
  pipeOut<O extends StreamOptions | undefined = undefined>(cmd: Command, options?: O): RemoteReadable<Out<O>> {
    const { start, cancel } = this.#startStream(cmd, options, { method: 'pipeOut()', stdout: true });
    return remoteReadable(start, cancel) as RemoteReadable<Out<O>>;
  }

  /**
   * The command's stdout line by line (without the line ends), in `encoding` (utf8 by default,
   * decoded strictly). The exit status is checked when the output ends: a failing command
   * throws from the loop. Leaving the loop early stops the slave.
   *
   * ```ts
   * for await (const line of ssh.lines('tail -n 100 /var/log/syslog')) console.log(line);
   * ```
   */
  lines(cmd: Command, options?: StreamOptions): AsyncIterableIterator<string> {
    const encoding = options?.encoding ?? this.#defaults.encoding ?? 'utf8';
    if (!LINE_ENCODINGS.has(encoding)) {
      throw new TypeError(`option 'encoding' of lines() must be one that keeps '\\n' a single byte ('utf8', 'ascii' or 'latin1'), received ${JSON.stringify(encoding)}`);
    }
    const { start, cancel, call, command } = this.#startStream(cmd, options, { method: 'lines()', stdout: true });
    const details: ErrorDetails = { host: this.host, command };
    start.then((p) => (details.argv = p.argv), () => {});
    return remoteLines(remoteReadable(start, cancel), encoding as BufferEncoding, details, call.maxBuffer);
  }

  /**
   * Start a command with its stdin and stdout as pipes (Net::OpenSSH's `open2`); stderr is
   * captured into the Result unless routed elsewhere. Resolves once the slave runs.
   */
  open2<O extends StreamOptions | undefined = undefined>(cmd: Command, options?: O): Promise<Open2<Out<O>>> {
    const { start } = this.#startStream(cmd, options, { method: 'open2()', stdin: true, stdout: true });
    return start.then((p) => open2Of<Out<O>>(p));
  }

  /** Like {@link OpenSSH.open2}, with stderr as a third pipe (Net::OpenSSH's `open3`). */
  open3<O extends StreamOptions | undefined = undefined>(cmd: Command, options?: O): Promise<Open3<Out<O>>> {
    const { start } = this.#startStream(cmd, options, { method: 'open3()', stdin: true, stdout: true, stderr: true });
    return start.then((p) => ({ ...open2Of<Out<O>>(p), stderr: p.stderr! }));
  }

  /**
   * The command's stdin and stdout as one Duplex, returned at once (Net::OpenSSH's
   * `open2socket`): write to it, read from it, `end()` it to close the remote stdin.
   */
  open2socket<O extends StreamOptions | undefined = undefined>(cmd: Command, options?: O): RemoteDuplex<Out<O>> {
    const { start, cancel } = this.#startStream(cmd, options, { method: 'open2socket()', stdin: true, stdout: true });
    return remoteDuplex(start, cancel) as RemoteDuplex<Out<O>>;
  }

  /**
   * Like {@link OpenSSH.open2socket}, with the remote stderr apart as the Duplex's `stderr`
   * Readable (Net::OpenSSH's `open3socket`). Read both.
   */
  open3socket<O extends StreamOptions | undefined = undefined>(cmd: Command, options?: O): RemoteDuplex3<Out<O>> {
    const { start, cancel } = this.#startStream(cmd, options, { method: 'open3socket()', stdin: true, stdout: true, stderr: true });
    return remoteDuplex3(start, cancel) as RemoteDuplex3<Out<O>>;
  }

  /**
   * The local argv that would run `cmd` (program first), for running it yourself. Waits for
   * the master, since the argv names its socket.
   */
  makeRemoteCommand(cmd: Command, options?: NoRejectOptions): Promise<string[]> {
    const { call, command } = this.#prepare(cmd, options, 'command');
    return this.#track(this.#master.ready(call.signal)).then(() => slaveArgv(this.#ctx, command, call));
  }

  /**
   * {@link OpenSSH.makeRemoteCommand} as one string for a local POSIX shell (each argv word
   * quoted, joined with spaces): Net::OpenSSH's `make_remote_command` in scalar context.
   */
  makeRemoteCommandString(cmd: Command, options?: NoRejectOptions): Promise<string> {
    return this.makeRemoteCommand(cmd, options).then((argv) => shellQuote(...argv));
  }

  // ---- file transfer (docs/transfer.md) ----

  #transfer(tool: 'scp' | 'rsync', dir: 'get' | 'put', sources: string | readonly string[], target: string | undefined, options: TransferOptions | undefined) {
    const ctx = { ...this.#ctx, hostSquared: this.#target.hostSquared };
    const [src, dst] = this.#vars.paths(sources, target);
    return this.#track(transfer(ctx, this.#defaults, tool, dir, src, dst, options));
  }

  /**
   * Copy remote files here with scp, through the master. `sources`: one remote path or many
   * (taken literally unless `glob`); `target`: a local file or existing directory (default
   * `.`). SFTP mode unless `scpMode: 'legacy'`. Resolves with the {@link TransferResult}, or
   * with the running {@link Transfer} when `async: true`; rejects with a TransferError.
   *
   * ```ts
   * await ssh.scpGet(['/var/log/syslog', '/etc/hosts'], './logs/', { copyAttrs: true });
   * ```
   */
  scpGet(sources: string | readonly string[], target: string | undefined, options: TransferOptions & { async: true }): Promise<Transfer>;
  scpGet(sources: string | readonly string[], target?: string, options?: TransferOptions): Promise<TransferResult>;
  scpGet(sources: string | readonly string[], target?: string, options?: TransferOptions): Promise<Transfer | TransferResult> {
    return this.#transfer('scp', 'get', sources, target, options);
  }

  /**
   * Copy local files to the remote host with scp, through the master. `target`: a remote
   * file or existing directory (default: the home directory). Like {@link OpenSSH.scpGet}.
   */
  scpPut(sources: string | readonly string[], target: string | undefined, options: TransferOptions & { async: true }): Promise<Transfer>;
  scpPut(sources: string | readonly string[], target?: string, options?: TransferOptions): Promise<TransferResult>;
  scpPut(sources: string | readonly string[], target?: string, options?: TransferOptions): Promise<Transfer | TransferResult> {
    return this.#transfer('scp', 'put', sources, target, options);
  }

  /**
   * Copy remote files here with rsync, its ssh going through the master. Options not known
   * to the library become rsync options (`{ exclude: ['*~'], safeLinks: true }` →
   * `--exclude=*~ --safe-links`), in the order given. Rejects with a TransferError whose
   * `meaning` is rsync's text for its exit code.
   *
   * ```ts
   * await ssh.rsyncGet('/srv/data/', './data', { recursive: true, copyAttrs: true, onProgress: (p) => console.log(p.file, p.percent) });
   * ```
   */
  rsyncGet(sources: string | readonly string[], target: string | undefined, options: TransferOptions & { async: true }): Promise<Transfer>;
  rsyncGet(sources: string | readonly string[], target?: string, options?: TransferOptions): Promise<TransferResult>;
  rsyncGet(sources: string | readonly string[], target?: string, options?: TransferOptions): Promise<Transfer | TransferResult> {
    return this.#transfer('rsync', 'get', sources, target, options);
  }

  /** Copy local files to the remote host with rsync, through the master. Like {@link OpenSSH.rsyncGet}. */
  rsyncPut(sources: string | readonly string[], target: string | undefined, options: TransferOptions & { async: true }): Promise<Transfer>;
  rsyncPut(sources: string | readonly string[], target?: string, options?: TransferOptions): Promise<TransferResult>;
  rsyncPut(sources: string | readonly string[], target?: string, options?: TransferOptions): Promise<Transfer | TransferResult> {
    return this.#transfer('rsync', 'put', sources, target, options);
  }

  // --- Tunnels and port forwarding (src/tunnel/) ---

  /**
   * A TCP connection to `host:port` made from the remote host (`ssh -W`; Net::OpenSSH's
   * `open_tunnel`), returned at once as a Duplex, like `net.connect()`. Nothing listens on
   * this machine. `end()` it to half-close; `done` settles when ssh exits (a refused
   * connection rejects it with the CommandError carrying ssh's `connect failed` message).
   * IPv6 hosts are bracketed for you.
   *
   * With an absolute path and no port, a connection to that Unix socket on the remote host
   * (a `direct-streamlocal@openssh.com` channel over the master's socket, on both engines).
   *
   * ```ts
   * const sock = ssh.openTunnel('db.internal', 5432);
   * const docker = ssh.openTunnel('/var/run/docker.sock');
   * ```
   */
  openTunnel<O extends TunnelOptions | undefined = undefined>(host: string, port: number | string, options?: O): RemoteDuplex<Out<O>>;
  openTunnel<O extends TunnelOptions | undefined = undefined>(path: string, options?: O): RemoteDuplex<Out<O>>;
  openTunnel(host: string, port?: number | string | TunnelOptions, options?: TunnelOptions): RemoteDuplex<string | Buffer> {
    const [cmd, o] = tunnelCall('openTunnel()', host, port, options);
    const { start, cancel } = this.#startStream(cmd, o, { method: 'openTunnel()', stdin: true, stdout: true });
    return remoteDuplex(start, cancel) as RemoteDuplex<string | Buffer>;
  }

  /**
   * Open a tunnel to `host:port` from the remote host, send `stdinData` (then half-close)
   * and resolve with everything the other end sent back (Net::OpenSSH's `capture_tunnel`).
   * With an absolute path and no port, to that Unix socket on the remote host (as
   * {@link openTunnel}).
   *
   * ```ts
   * const reply = await ssh.captureTunnel('127.0.0.1', 80, { stdinData: 'GET / HTTP/1.0\r\n\r\n' });
   * const ping = await ssh.captureTunnel('/var/run/docker.sock', { stdinData: 'GET /_ping HTTP/1.0\r\n\r\n' });
   * ```
   */
  captureTunnel<O extends CaptureTunnelOptions | undefined = undefined>(host: string, port: number | string, options?: O): Promise<Out<O>>;
  captureTunnel<O extends CaptureTunnelOptions | undefined = undefined>(path: string, options?: O): Promise<Out<O>>;
  captureTunnel(host: string, port?: number | string | CaptureTunnelOptions, options?: CaptureTunnelOptions): Promise<string | Buffer> {
    const [cmd, o] = tunnelCall('captureTunnel()', host, port, options);
    return this.#exec<string | Buffer>(cmd, o, 'capture').then((r) => r.stdout);
  }

  /**
   * Set up a port forwarding on the running master (what `ssh -O forward` with `-L`, `-R` or `-D` does, sent in-process: MUX_C_OPEN_FWD)
   * and resolve with its handle: the port it listens on (also when 0 asked for any port),
   * `close()` and `Symbol.asyncDispose` (MUX_C_CLOSE_FWD, as `ssh -O cancel`). Rejects with a ForwardError when the
   * master refuses (port in use, forwarding denied). See docs/tunnels.md.
   *
   * ```ts
   * await using fwd = await ssh.forward({ type: 'local', targetHost: 'db.internal', targetPort: 5432 });
   * connectTo('127.0.0.1', fwd.port);
   * ```
   */
  forward(options: ForwardOptions): Promise<PortForward> {
    const n = normalizeForward(options, this.#defaults, 'forward()');
    return this.#track(openForward(this.#ctx, n));
  }

  /**
   * Cancel a forwarding the master has but no handle holds, e.g. one given as `-L` in
   * `masterOpts` (MUX_C_CLOSE_FWD, as `ssh -O cancel`). Takes the options it was set up with. Rejects with a
   * ForwardError (`OSSH_FORWARD_CANCEL_FAILED`) when the master has no such forwarding.
   */
  cancelForward(options: ForwardOptions): Promise<void> {
    const n = normalizeForward(options, this.#defaults, 'cancelForward()', { cancel: true });
    return this.#track(cancelForward(this.#ctx, n));
  }

  // --- Pseudo-terminals (src/pty/, docs/pty.md) ---

  /**
   * Run `cmd` (or the login shell, when none) on a remote pty with a local pty as ssh's
   * terminal (`ssh -tt` on node-pty, loaded now: the first call that needs it), and resolve
   * once it runs with `{ pty, pid, resize, kill, done }`. `pty` is a Duplex: write keystrokes,
   * read the screen. The remote side sees a real terminal (`tty` prints a /dev/pts path).
   * ssh's own messages go to `done`'s Result (`stderr`). Rejects with a SlaveError
   * `OSSH_PTY_UNAVAILABLE` when node-pty is not installed. See docs/pty.md.
   *
   * ```ts
   * const s = await ssh.open2pty(['passwd']);
   * s.pty.on('data', (text) => { if (/password:/i.test(text)) s.pty.write(`${secret}\r`); });
   * await s.done;
   * ```
   */
  open2pty<O extends PtyOptions | undefined = undefined>(cmd: Command = [], options?: O): Promise<PtySession<Out<O>>> {
    return this.#track(openPty<Out<O>>(this.#ctx, this.#defaults, 'open2pty', cmd, options));
  }

  /**
   * Like {@link OpenSSH.open2pty}, plus `stderr`: a stream of what the local ssh writes to its
   * stderr (its own diagnostics; the remote command's stderr is on the terminal, as in any
   * pty session).
   */
  open3pty<O extends PtyOptions | undefined = undefined>(cmd: Command = [], options?: O): Promise<Pty3Session<Out<O>>> {
    return this.#track(openPty<Out<O>>(this.#ctx, this.#defaults, 'open3pty', cmd, options));
  }

  // --- Login diagnosis and configuration (src/auth/, docs/authentication.md) ---

  /**
   * The last 4 KiB of what ssh showed on the master's pty (used with a password, passphrase,
   * loginHandler or masterPtyForce). Kept after a failed login for diagnosis; discarded once
   * the master is running; '' when the master had no pty.
   */
  getMasterPtyLog(): string {
    return this.#master.ptyLog;
  }

  /**
   * The effective OpenSSH client configuration for this target, from `ssh -G` run with the
   * options the master gets (nothing is connected): keys in lower case as ssh prints them,
   * repeatable keys (`identityfile`, `sendenv`, `localforward`, ...) and the known-hosts
   * file lists as arrays. Rejects with a CommandError when ssh refuses the options.
   */
  sshConfiguration(): Promise<SshConfiguration> {
    return this.#master.configuration();
  }

  // --- SFTP (src/sftp/, docs/sftp.md) ---

  /**
   * An SFTP client over the master: one `ssh -s sftp` channel for the whole session, many
   * requests in flight, Node's `fs/promises` vocabulary (`stat`, `readdir`, `readFile`,
   * `writeFile`, `open`, `rename`...) plus `fastGet`/`fastPut`. Rejects with an SftpError
   * when the server does not speak SFTP version 3. See docs/sftp.md.
   *
   * ```ts
   * await using sftp = await ssh.sftp();
   * for (const e of await sftp.readdir('/var/log', { withFileTypes: true })) console.log(e.name, e.stats.size);
   * ```
   */
  sftp(options?: SftpOptions): Promise<Sftp> {
    // The spawn engine gets the channel's own socket; any other engine the streams of open2().
    const socket = this.#ctx.engine !== nodeEngine ? undefined : (cmd: Command, o: StreamOptions, fd: number) => this.#startStream(cmd, o, { method: 'sftp()', stdin: true, stdout: true, socket: fd }).start;
    return this.#track(openSftp({ open2: (cmd, o) => this.open2(cmd, o), socket }, options));
  }

  // --- Shell sessions (src/shell/, docs/shell.md) ---

  /**
   * Open one persistent remote POSIX shell (`/bin/sh`, or `shell`) and resolve once it
   * answers. Its `run`/`capture`/`capture2`/`test`/`lines` take the usual commands, run one at
   * a time, and cost a fraction of a millisecond each; `cd` and variables persist between
   * them. See docs/shell.md.
   *
   * ```ts
   * await using sh = await ssh.shell();
   * for (const f of files) if (!(await sh.test(['test', '-e', f]))) missing.push(f);
   * ```
   */
  shell(options?: ShellOptions): Promise<ShellSession> {
    return openShell(this, options, this.#defaults);
  }

  /** Up to `size` shell sessions opened lazily, for running session commands in parallel. */
  shellPool(options: ShellPoolOptions): Promise<ShellPool> {
    return openShellPool(this, options, { ...this.#defaults, maxSessions: this.#ctx.sessions.max });
  }

  // --- sshfs (src/sshfs/, docs/sshfs.md) ---

  /**
   * Mount the remote directory `remoteDir` (relative to the remote home; '' for the home) on
   * the local empty directory `localMountpoint` with the local sshfs, its ssh going through
   * the master. Resolves with the {@link SshfsMount} once the file system answers; `close()`
   * unmounts it, and so do `disconnect()` and the end of this process. Rejects with an
   * SshfsError (sshfs or FUSE missing, bad mount point, no such remote directory), a
   * TimeoutError (`timeout`, default 30 s) or an AbortError (`signal`). See docs/sshfs.md.
   *
   * ```ts
   * await using mnt = await ssh.sshfsImport('/var/www', './www');
   * console.log(await readdir('./www'));
   * ```
   */
  sshfsImport(remoteDir: string, localMountpoint: string, options?: SshfsImportOptions): Promise<SshfsMount> {
    return this.#track(sshfsImport({ exec: this.#ctx, hostSquared: this.#target.hostSquared, mounts: this.#mounts }, remoteDir, localMountpoint, options));
  }

  /**
   * Mount the local directory `localDir` on the remote empty directory `remoteMountpoint`:
   * the remote `sshfs -o slave` talks SFTP over a slave to a local sftp-server. Needs sshfs
   * and FUSE on the remote host. Resolves with the {@link SshfsMount}; like
   * {@link OpenSSH.sshfsImport} otherwise.
   */
  sshfsExport(localDir: string, remoteMountpoint: string, options?: SshfsExportOptions): Promise<SshfsMount> {
    return this.#track(sshfsExport({ host: this.host, spawn: (c, o) => this.spawn(c, o), run: (c, o) => this.run(c, o), mounts: this.#mounts }, localDir, remoteMountpoint, options));
  }
}
