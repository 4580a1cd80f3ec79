import { encodeCommand } from './argument-encoding.js';
import type { Readable, Writable } from 'node:stream';
import { buildSlaveArgv, stdioForwardSpec } from '../argv/slave.js';
import {
  AbortError,
  CommandError,
  ErrorCode,
  MasterError,
  MaxBufferError,
  OpenSSHError,
  OutputFileError,
  SlaveError,
  TimeoutError,
  type ErrorDetails,
  type OutputStreamName,
} from '../errors/index.js';
import type { Master } from '../master/master.js';
import type { NormalizedCall } from '../options/command.js';
import { buildRemoteCommand, type Command } from '../quote/command.js';
import { decodeOutput, encodeInput } from './encoding.js';
import type { Engine, ProcessExit, RunningProcess } from './engine.js';
import type { Result } from './result.js';
import { debug } from '../log.js';
import { closeAll, planStdio, type OutputRoute, type StdioPlan } from './stdio.js';
import { joinLocal } from './dpipe.js';
import { Collector } from './collect.js';
import { FdSink } from './output-file.js';
import { muxUnsupported, remoteEngineFor, remoteOperation } from '../mux/plan.js';
import { remoteFailureError, remoteStopNote } from '../mux/failure.js';
import { acquireSession, startWithin, type SessionLimiter } from './sessions.js';
import { checkArgv } from './argv-limits.js';
import { spawnFailure } from './spawn-failure.js';
import { traceCommand, fromResult } from '../trace/command.js';
import { codeOf, type CommandTraceContext } from '../trace/channels.js';
import { VerboseLog } from '../verbose/log.js';

/** What a slave needs from its OpenSSH object. */
export interface ExecContext {
  engine: Engine;
  host: string;
  master: Master;
  /** The connection's session slots (`maxSessions`). */
  sessions: SessionLimiter;
  /** The host's fleet label (its `LABEL` variable), for tracing and `verbose`. */
  label?: string | undefined;
}

/** A running slave ssh, as `spawn()` returns it. */
export interface SshProcess<T extends string | Buffer = string | Buffer> {
  /** pid of the local ssh slave process. */
  readonly pid: number | undefined;
  /** Writable end of the remote stdin, when stdin is `'pipe'` (spawn's default). */
  readonly stdin: Writable | null;
  /** Remote stdout, when `'pipe'`. */
  readonly stdout: Readable | null;
  /** Remote stderr, when `'pipe'`. */
  readonly stderr: Readable | null;
  /** The local argv. */
  readonly argv: readonly string[];
  /** Settles when the slave has exited; rejects like run() unless `reject: false`. */
  readonly result: Promise<Result<T>>;
  /** Stop the slave: the signal (default SIGTERM), then SIGKILL after 2 s. */
  kill(signal?: NodeJS.Signals): void;
}

/** How long a slave gets between SIGTERM and SIGKILL when the library stops it. */
const KILL_GRACE_MS = 2000;
/** Line in ssh's stderr when the master's server refused a new session (MaxSessions). */
const SESSION_REFUSED = /session request failed: Session open refused by peer|mux_client_request_session: .*refused/;

type Termination =
  | { kind: 'idle'; ms: number }
  | { kind: 'deadline'; ms: number }
  | { kind: 'abort'; reason: unknown }
  /** A captured stream went past maxBuffer. */
  | { kind: 'maxBuffer'; stream: OutputStreamName; limit: number }
  /** An output file or fd could not be written. */
  | { kind: 'output'; stream: OutputStreamName; fd: number; path: string | undefined; error: NodeJS.ErrnoException };

/** The remote command string for a call (pure; throws TypeError on bad words). */
export function remoteCommand(cmd: Command, call: NormalizedCall): string {
  if (call.tunnel) {
    if (Array.isArray(cmd) && cmd.length === 1 && typeof cmd[0] === 'string' && cmd[0].startsWith('/')) return socketTunnelPath(cmd[0], call);
    if (!Array.isArray(cmd) || cmd.length !== 2) {
      throw new TypeError(`with 'tunnel', the command must be [host, port] or [absolute Unix socket path], received ${JSON.stringify(cmd)}`);
    }
    return stdioForwardSpec(cmd[0], cmd[1]);
  }
  if (call.subsystem) {
    const name = Array.isArray(cmd) && cmd.length === 1 ? cmd[0] : cmd;
    if (typeof name !== 'string' || !/^[\w.@+-]+$/.test(name)) {
      throw new TypeError(`with 'subsystem', the command must be a subsystem name such as 'sftp', received ${JSON.stringify(cmd)}`);
    }
    return name;
  }
  const text = buildRemoteCommand(cmd, { quoter: call.quoter, quoteArgs: call.quoteArgs, glob: call.glob, bestEffort: call.bestEffort, ...call.flags });
  return encodeCommand(text, call.argumentEncoding, call.quoter);
}

/**
 * Check the path of a tunnel to a remote Unix socket. Such a tunnel is a channel over the
 * master's socket on every engine (see src/mux/plan.ts), so a call that needs a local ssh
 * process cannot make one: a TypeError says why.
 */
function socketTunnelPath(path: string, call: NormalizedCall): string {
  if (path.includes('\0')) throw new TypeError(`tunnel socket path must be an absolute Unix socket path (no NUL), received ${JSON.stringify(path)}`);
  const why = muxUnsupported(call);
  if (why !== undefined) throw new TypeError(`a tunnel to the Unix socket ${path} runs as a channel over the master's socket, not as an ssh process, and ${why}`);
  return path;
}

/** The slave argv for a call, once the master's socket is known (pure). */
export function slaveArgv(ctx: ExecContext, command: string, call: NormalizedCall): string[] {
  return buildSlaveArgv({
    ...ctx.master.spec,
    sshOpts: call.sshOpts,
    tty: call.tty,
    forwardAgent: call.forwardAgent,
    forwardX11: call.forwardX11,
    sendEnv: call.env && Object.keys(call.env),
    subsystem: call.subsystem,
    stdioForward: call.tunnel ? command : undefined,
    command: call.tunnel ? undefined : command,
  });
}

/** Variables the spawn engine refuses in `env`: they would change the local ssh process itself (its lookup, its dynamic linker). */
const LOCAL_ONLY_ENV = /^(?:PATH|LD_\w*|DYLD_\w*)$/;

/**
 * The environment of a slave with `env`: this process's plus the variables, which the slave
 * sends (`SendEnv` in its argv), so that no value appears on a command line. Throws a
 * TypeError for a name that would change the local ssh itself.
 */
export function spawnEnv(env: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv | undefined {
  if (env === undefined) return undefined;
  for (const name of Object.keys(env)) {
    if (LOCAL_ONLY_ENV.test(name)) {
      throw new TypeError(
        `option 'env' cannot set ${name} on the spawn engine: the variables go through the local ssh's environment, and ${name} would change that ssh itself; use engine: 'mux' (a channel, no local process)`,
      );
    }
  }
  return { ...process.env, ...env };
}

/** The AbortError for a signal's `reason`: "the <what> was aborted: <why>". */
export function abortError(reason: unknown, details: ErrorDetails, what = 'command'): AbortError {
  const why = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason);
  return new AbortError(`the ${what} was aborted: ${why}`, { ...details, cause: reason });
}

/**
 * Wait for the master before starting something on it. An aborted `signal` wins, also when
 * it fires while the master is awaited (ready() may resolve first, and the abort event has
 * then passed before the caller listens for it).
 */
export async function masterReady(master: Master, signal: AbortSignal | undefined, details: ErrorDetails, what = 'command'): Promise<void> {
  if (signal?.aborted) throw abortError(signal.reason, details, what);
  try {
    await master.ready(signal);
  } catch (err) {
    if (signal?.aborted && !(err instanceof OpenSSHError)) throw abortError(signal.reason, details, what);
    throw err;
  }
  if (signal?.aborted) throw abortError(signal.reason, details, what);
}

/**
 * Start one slave: wait for the master, open the streams, spawn ssh, feed stdin, watch the
 * timeouts and the signal, and settle `result` once ssh has exited and its output is read.
 * Every command of every method goes through here: this is where `openssh-mux:command` is
 * published (src/trace) and `verbose` prints (src/verbose).
 */
export function startSlave(ctx: ExecContext, command: string, call: NormalizedCall): Promise<SshProcess> {
  const vlog = call.verbose ? new VerboseLog(call.verbose, ctx.label ?? ctx.host, command) : undefined;
  const started = traceCommand(ctx.host, ctx.label, command, (trace) => launchSlave(ctx, command, call, trace, vlog));
  // A failure before the slave ran has no Result: print it here.
  if (vlog) started.catch((err: unknown) => vlog.end({ code: codeOf(err) }));
  return started;
}

async function launchSlave(ctx: ExecContext, command: string, call: NormalizedCall, trace: CommandTraceContext | undefined, vlog: VerboseLog | undefined): Promise<SshProcess> {
  const details: ErrorDetails = { host: ctx.host, command };
  const signal = call.signal;
  await masterReady(ctx.master, signal, details);
  // The socket is only known once the master is up. The argv is built when the call's turn
  // comes (a burst of queued calls does not build them all at once), or for the error of a
  // call that leaves the line first.
  let built: string[] | undefined;
  const buildArgv = (): string[] => {
    if (!built) {
      built = slaveArgv(ctx, command, call);
      Object.defineProperty(details, 'argv', { value: built, writable: true, enumerable: true, configurable: true });
      if (trace) trace.argv = built;
    }
    return built;
  };
  Object.defineProperty(details, 'argv', { get: buildArgv, enumerable: true, configurable: true });
  // Wait for a session slot (maxSessions); timeout, idleTimeout and signal apply meanwhile.
  // A -W tunnel is a direct-tcpip channel, not a session: the server's MaxSessions ignores it.
  // The slot comes before the argv, the argv-limit check and the stdin encoding, so that a
  // burst of queued calls does that work when each call's turn comes, not all in its first turn.
  // The mux engine (when chosen and able) runs the remote side as a channel; see src/mux/plan.ts.
  // A channel forks nothing: it needs no spawn turn of its own.
  const remote = remoteEngineFor(ctx.engine, call, command);
  let session: Awaited<ReturnType<typeof acquireSession>>;
  try {
    session = await acquireSession(call.tunnel ? undefined : ctx.sessions, call, details, 'command', remote === undefined);
  } catch (e) {
    buildArgv();
    throw e;
  }
  const argv = buildArgv();
  let input: Buffer[] | undefined;
  try {
    await checkArgv(argv, undefined, details);
    input = call.stdin.kind === 'data' ? encodeInput(call.stdin.data, call.encoding, details) : undefined;
  } catch (e) {
    session.release();
    throw e;
  }
  let plan: StdioPlan | undefined;
  let proc: RunningProcess;
  let started: number;
  try {
    plan = planStdio(call, details);
    debug('slave spawn %j', argv);
    started = performance.now();
    if (trace) trace.engine = remote ? 'mux' : 'spawn';
    const request = { file: argv[0]!, args: argv.slice(1), stdio: plan.slots, env: remote ? undefined : spawnEnv(call.env) };
    proc = remote
      ? await remote.spawnRemote!({ ...request, remote: remoteOperation(ctx.master.ctlPath!, command, call) })
      : ctx.engine.spawnAsync
        ? await startWithin(ctx.engine.spawnAsync(request), call, session.waitedMs + performance.now() - started, details, stopLate)
        : ctx.engine.spawn(request);
    if (trace) {
      trace.pid = proc.pid;
      trace.channel = proc.channel;
    }
  } catch (e) {
    if (plan) closeAll(plan.opened);
    session.release();
    // An engine that throws (say, out of fds while preparing a pty) still fails typed.
    if (e instanceof OpenSSHError || e instanceof TypeError || !(e instanceof Error)) throw e;
    throw spawnFailure(argv[0]!, e, details);
  }
  // The slot is free again once the slave is gone.
  void proc.exited.then(session.release);

  const out = new Collector(call.maxBuffer);
  const err = new Collector(call.maxBuffer);
  let termination: Termination | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  /** Stop the slave: `sig`, then SIGKILL if it is still there after the grace period. */
  const kill = (sig: NodeJS.Signals = 'SIGTERM') => {
    if (proc.kill(sig) && !killTimer) killTimer = setTimeout(() => proc.kill('SIGKILL'), KILL_GRACE_MS);
  };
  /** The first reason wins: a later exit status never replaces it. */
  const terminate = (t: Termination) => {
    termination ??= t;
    kill();
  };
  const idleTimeout = call.idleTimeout;
  if (idleTimeout !== undefined) idleTimer = setTimeout(() => terminate({ kind: 'idle', ms: idleTimeout }), idleTimeout);
  const touch = idleTimer ? () => idleTimer!.refresh() : noop;
  // The deadline counts from the call: time spent waiting for a session is deducted.
  if (call.timeout !== undefined) deadlineTimer = setTimeout(() => terminate({ kind: 'deadline', ms: call.timeout! }), Math.max(0, call.timeout - session.waitedMs));
  const onAbort = () => terminate({ kind: 'abort', reason: signal!.reason });
  signal?.addEventListener('abort', onAbort, { once: true });

  const overflow = (stream: OutputStreamName, c: Collector) => () => terminate({ kind: 'maxBuffer', stream, limit: c.limit });
  const sink = (stream: OutputStreamName, r: OutputRoute) =>
    r.kind === 'fd' ? new FdSink(r.fd, (error) => terminate({ kind: 'output', stream, fd: r.fd, path: r.path, error })) : undefined;
  const outSink = sink('stdout', plan.stdout);
  const errSink = plan.stderr.kind === 'stdout' ? outSink : sink('stderr', plan.stderr);
  route(proc.stdout, plan.stdout, out, touch, overflow('stdout', out), outSink);
  if (plan.stderr.kind === 'stdout') route(proc.stderr, plan.stdout, out, touch, overflow('stdout', out), outSink);
  else route(proc.stderr, plan.stderr, err, touch, overflow('stderr', err), errSink);
  if (vlog?.level === 'full') {
    if (flows(plan.stdout)) vlog.tap(proc.stdout, 'out');
    if (flows(plan.stderr.kind === 'stdout' ? plan.stdout : plan.stderr)) vlog.tap(proc.stderr, 'err');
  }
  outSink?.seal();
  errSink?.seal();
  feedStdin(proc, call, input, touch);
  const local = call.dpipe ? joinLocal(ctx.engine, call.dpipe, proc) : undefined;
  if (local) void proc.exited.then(() => (termination ? local.kill() : undefined));

  const result = Promise.all([proc.exited, local?.exited, outSink?.done, errSink?.done]).then(async ([exit, localExit]) => {
    clearTimeout(idleTimer);
    clearTimeout(deadlineTimer);
    clearTimeout(killTimer);
    signal?.removeEventListener('abort', onAbort);
    // Files stay open until now: output routed through Node is still written to them.
    closeAll(plan.opened);
    const r = await settle(ctx, call, details, command, argv, exit, termination, out.bytes(), err.bytes(), started);
    if (localExit && !r.error) r.error = localFailure(call.dpipe!, localExit, { ...details, argv, exitCode: r.exitCode });
    r.failed = r.error !== undefined;
    if (trace) fromResult(trace, r);
    vlog?.end({ exitCode: r.exitCode, signal: r.signal, durationMs: r.durationMs, code: r.error?.code });
    debug('slave %d exited %s after %d ms%s', proc.pid, exit.exitCode ?? exit.signal, Math.round(r.durationMs), r.error ? `: ${r.error.code}` : '');
    if (r.error && call.reject) throw r.error;
    return r;
  });
  result.catch(() => {});
  // A file or fd route reads the pipe itself: it is not the caller's.
  const stdout = plan.stdout.kind === 'fd' ? null : proc.stdout;
  const stderr = plan.stderr.kind === 'fd' || (plan.stderr.kind === 'stdout' && plan.stdout.kind === 'fd') ? null : proc.stderr;
  return { pid: proc.pid, stdin: proc.stdin, stdout, stderr, argv, result, kill };
}

const noop = () => {};

/** A slave that started after its call had already timed out or been aborted: stop it unread. */
function stopLate(late: RunningProcess): void {
  late.kill('SIGKILL');
  for (const s of [late.stdin, late.stdout, late.stderr]) s?.destroy();
}

/**
 * Whether Node reads a route's stream anyway, so that `verbose: 'full'` may listen to it
 * without changing its flow (a pipe handed to the caller without `buffer` stays untouched).
 */
function flows(r: OutputRoute): boolean {
  return r.kind === 'collect' || r.kind === 'stream' || (r.kind === 'pipe' && r.collect);
}

/** The error for a `stdinoutDpipe` local command that could not run or failed. */
function localFailure(local: readonly string[], exit: ProcessExit, details: ErrorDetails): OpenSSHError | undefined {
  const name = JSON.stringify(local[0]);
  if (exit.error && exit.exitCode === null && exit.signal === null) {
    return new SlaveError(ErrorCode.SLAVE_PIPE_FAILED, `unable to run the stdinoutDpipe command ${name}: ${exit.error.message}`, {
      ...details,
      cause: exit.error,
    });
  }
  if (exit.exitCode === 0) return undefined;
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  return new SlaveError(ErrorCode.SLAVE_PIPE_FAILED, `the stdinoutDpipe command ${name} ${how}`, details);
}

/**
 * Call `touch` for every chunk a stream receives (or, for a writable, is given) without
 * reading it: adding a `'data'` listener would switch it to flowing mode and lose data the
 * caller has not asked for yet.
 */
function observePushes(stream: Readable, touch: () => void): void {
  const push = stream.push.bind(stream);
  stream.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk !== null) touch();
    return push(chunk, encoding);
  };
}

function observeWrites(stream: Writable, touch: () => void): void {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((...args: unknown[]) => {
    touch();
    return write(...args);
  }) as Writable['write'];
}

/**
 * Send output where its route says, noting traffic for the idle timer. Collected output goes
 * to `sink`, which calls `overflow` once when it passes maxBuffer; `fdSink` writes an fd route.
 */
function route(stream: Readable | null, r: OutputRoute, sink: Collector, touch: () => void, overflow: () => void, fdSink: FdSink | undefined): void {
  if (!stream) return;
  switch (r.kind) {
    case 'collect':
      stream.on('data', (c: Buffer) => {
        touch();
        if (sink.push(c)) overflow();
      });
      return;
    case 'pipe':
      // The caller reads the stream (and may setEncoding() it); collecting (buffer: true)
      // also keeps it flowing. Otherwise it stays paused until the caller reads, so nothing
      // is lost and backpressure reaches the remote command.
      if (r.collect) {
        stream.on('data', (c: Buffer | string) => {
          if (sink.push(typeof c === 'string' ? Buffer.from(c, stream.readableEncoding ?? 'utf8') : c)) overflow();
        });
        stream.on('data', touch);
      } else if (touch !== noop) {
        observePushes(stream, touch);
      }
      return;
    case 'stream':
      stream.on('data', touch);
      // Not ended, as the caller's stream may serve other commands; a stdinoutSocket is (EOF to its peer).
      stream.pipe(r.stream as Writable, { end: r.end === true });
      return;
    case 'fd':
      fdSink!.attach(stream, touch);
      return;
    case 'none':
      stream.resume();
  }
}

function feedStdin(proc: RunningProcess, call: NormalizedCall, input: Buffer[] | undefined, touch: () => void): void {
  const stdin = proc.stdin;
  if (!stdin) return;
  // A remote command that does not read its input closes the channel: like Net::OpenSSH,
  // stop writing silently (EPIPE is not a failure of the command).
  stdin.on('error', () => {});
  if (call.stdin.kind === 'pipe') {
    if (touch !== noop) observeWrites(stdin, touch);
    return;
  }
  if (call.stdin.kind === 'stream') {
    // A stream already read to its end (a defaultStdin an earlier command consumed) would
    // never emit 'end' again: the remote stdin gets EOF at once instead of waiting forever.
    if (call.stdin.stream.readableEnded) return void stdin.end();
    call.stdin.stream.on('data', touch);
    call.stdin.stream.pipe(stdin);
    return;
  }
  if (!input) return;
  for (const chunk of input) if (chunk.length > 0) stdin.write(chunk, touch);
  if (!call.stdinKeepOpen) stdin.end();
}

/** Turn how ssh ended into a Result, or the right error. */
async function settle(
  ctx: ExecContext,
  call: NormalizedCall,
  details: ErrorDetails,
  command: string,
  argv: string[],
  exit: ProcessExit,
  termination: Termination | undefined,
  rawOut: Buffer,
  rawErr: Buffer,
  started: number,
): Promise<Result<string | Buffer>> {
  const durationMs = performance.now() - started;
  const exitCode = exit.exitCode ?? undefined;
  const signal = exit.signal ?? undefined;
  let stdout: string | Buffer = rawOut;
  let stderr: string | Buffer = rawErr;
  let error: OpenSSHError | undefined;
  try {
    ({ stdout, stderr } = decodeOutput(rawOut, rawErr, call.encoding, details));
  } catch (e) {
    error = e as OpenSSHError;
  }
  const d: ErrorDetails = { ...details, exitCode, signal, stdout, stderr };
  const stderrText = rawErr.toString('utf8');
  if (exit.remoteFailure) {
    error = await remoteFailureError(exit, ctx.master, command, d);
  } else if (exit.error && exit.exitCode === null && exit.signal === null) {
    error = spawnFailure(argv[0]!, exit.error, d);
  } else if (termination?.kind === 'idle' || termination?.kind === 'deadline') {
    const what = termination.kind === 'idle' ? `no data for ${termination.ms} ms (idleTimeout)` : `still running after ${termination.ms} ms (timeout)`;
    error = new TimeoutError(termination.kind, termination.ms, `ssh slave timed out: ${what}; the slave was stopped${remoteStopNote(exit)}`, d);
  } else if (termination?.kind === 'abort') {
    error = abortError(termination.reason, d);
    error.message += remoteStopNote(exit);
  } else if (termination?.kind === 'maxBuffer') {
    const { stream, limit } = termination;
    error = new MaxBufferError(
      stream,
      'maxBuffer',
      limit,
      `${stream} went past maxBuffer (${limit} bytes); the slave was stopped. Raise maxBuffer, or stream the output (pipeOut(), spawn() with buffer: false) or write it to a file (${stream}File)`,
      d,
    );
  } else if (termination?.kind === 'output') {
    const { stream, fd, path, error: e } = termination;
    const where = path === undefined ? `fd ${fd}` : path;
    error = new OutputFileError(stream, { path, fd }, { errno: e.code, syscall: e.syscall }, `unable to write ${stream} to ${where}: ${e.message}; the slave was stopped`, {
      ...d,
      cause: e,
    });
  } else if (exitCode === 255 && call.tunnel && /Stdio forwarding request failed/.test(stderrText)) {
    // Over the mux ssh does not say why; the server's reason is only in the master's log.
    error = new CommandError(
      `tunnel to ${command} failed: the server could not open the connection (refused, unreachable, unknown host or forbidden by the server; see masterLog)`,
      d,
    );
  } else if (exitCode === 255 && call.subsystem && stderrText.trim() === '') {
    error = new CommandError(`subsystem ${command} failed with exit code 255 and no message: the server probably does not offer it`, d);
  } else if (exitCode === 255 && SESSION_REFUSED.test(stderrText)) {
    error = new SlaveError(
      ErrorCode.SESSION_REFUSED,
      `the master refused a new session (the server's MaxSessions limit is reached): run fewer commands at once on this connection, or set the maxSessions option to the server's limit (now ${ctx.sessions.max}) so that calls over it wait their turn`,
      d,
    );
  } else if (exitCode === 255 && !(await ctx.master.alive())) {
    const m = ctx.master.error;
    error = new MasterError(m?.reason ?? 'exited', `the master connection is gone: ${m?.message ?? 'master check failed'}`, { ...d, cause: m });
  } else if (exitCode !== 0) {
    const how = signal ? `ssh was killed by ${signal}` : exit.remoteSignal ? `the remote command was killed by ${exit.remoteSignal}` : `command failed with exit code ${exitCode}`;
    const last = stderrText.trim().split('\n').slice(-3).join('\n');
    error = new CommandError(`${how}: ${command}${last ? `\n${last}` : ''}`, d);
  }
  return {
    host: ctx.host,
    command,
    argv,
    stdout,
    stderr,
    exitCode,
    signal,
    durationMs,
    ...(exit.remoteSignal || exit.remoteSignalRefused ? { remoteSignal: exit.remoteSignal, remoteSignalRefused: exit.remoteSignalRefused } : {}),
    timedOut: termination?.kind === 'idle' || termination?.kind === 'deadline',
    aborted: termination?.kind === 'abort',
    failed: error !== undefined,
    error,
  };
}
