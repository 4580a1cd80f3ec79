import {
  CommandError,
  ErrorCode,
  ShellSessionError,
  TimeoutError,
  type ErrorDetails,
} from '../errors/index.js';
import { buildRemoteCommand, type Command } from '../quote/command.js';
import { posixQuoter } from '../quote/posix.js';
import { encodeInput } from '../run/encoding.js';
import { abortError } from '../run/execute.js';
import type { Result } from '../run/result.js';
import { ShellChannel } from './channel.js';
import { bootstrapScript, buildFrame, goodbyeCommand, HELLO_COMMAND, newMarker } from './frame.js';
import { normalizeShellCall, type NormalizedShell, type NormalizedShellCall, type ShellCommandOptions } from './options.js';
import { CONTROL_TIMEOUT_MS, FrameRun, stopShell } from './run-frame.js';
import { checkLineEncoding, streamLines, type LineStream } from './lines.js';
import { frameResult } from './result.js';
import type { ShellEngine } from './transport.js';
import { shellTemplate, type ShellDollar } from '../template/shell.js';
import { codeOf } from '../trace/channels.js';
import { traceShellCommand } from '../trace/command.js';
import { VerboseLog } from '../verbose/log.js';

/** How long a new shell may take to answer its first frame. */
const START_TIMEOUT_MS = 30_000;
/** Bytes kept of the first frame's output (pid, ids, directory) and of its stderr. */
const STARTUP_MAX_BUFFER = 64 * 1024;
/** How long close() waits for the shell to end before tearing the channel down. */
const CLOSE_GRACE_MS = 2000;

type Out<O> = O extends { encoding: 'buffer' } ? Buffer : string;

/**
 * One persistent remote POSIX shell running many commands, one at a time, each answered in
 * well under a millisecond for a builtin (see docs/shell.md). Commands run in the shell
 * itself: `cd` and exported variables persist from one command to the next (per-call `cwd`
 * and `env` run that command in a subshell instead). A command that ends the shell fails
 * with a {@link ShellSessionError} and the next call starts a new one.
 *
 * ```ts
 * await using sh = await ssh.shell();
 * if (await sh.test(['test', '-d', '/srv/app'])) await sh.run('cd /srv/app');
 * const rev = await sh.capture('git rev-parse HEAD');
 * ```
 */
export class ShellSession implements AsyncDisposable {
  readonly #engine: ShellEngine;
  readonly #opts: NormalizedShell;
  #ch: ShellChannel | undefined;
  /** Calls waiting for their turn (FIFO), and whether one runs. */
  readonly #jobs: Job[] = [];
  #busy = false;
  #drained: (() => void) | undefined;
  /** The command running now, for close(). */
  #running: FrameRun | undefined;
  /** Normalized options of the calls that pass none, per method (the common, fast case). */
  readonly #plain = new Map<string, NormalizedShellCall>();
  #closing: Promise<void> | undefined;
  /** Aborted by close(): stops the running command. */
  readonly #closer = new AbortController();
  #starts = 0;

  /** Use `ssh.shell()`. */
  constructor(engine: ShellEngine, options: NormalizedShell) {
    this.#engine = engine;
    this.#opts = options;
  }

  /** Start the shell (the first one); resolves once it has answered. */
  async start(): Promise<this> {
    await this.#enqueue(this.#opts.signal, () => this.#channel(this.#opts.signal));
    return this;
  }

  /** The host the session runs on. */
  get host(): string {
    return this.#engine.host;
  }

  /** The remote shell's pid (`$$`) while one runs. */
  get pid(): number | undefined {
    return this.#ch && !this.#ch.dead ? this.#ch.pid : undefined;
  }

  /** How many shells this session has started (1, plus one per restart). */
  get starts(): number {
    return this.#starts;
  }

  /**
   * Bytes the current shell wrote outside any command's output and that were dropped: late
   * output of background jobs arriving between two commands (see docs/shell.md).
   */
  get strayBytes(): number {
    return this.#ch ? this.#ch.out.strayBytes + this.#ch.err.strayBytes : 0;
  }

  /** Commands queued or running. */
  get pending(): number {
    return this.#jobs.length + (this.#busy ? 1 : 0);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Run a command and resolve with its {@link Result} (stdout and stderr captured). Rejects
   * with a CommandError on a non-zero exit (unless `reject: false`), a TimeoutError or
   * AbortError (its processes were killed; the session stays usable), or a
   * ShellSessionError when the command ended the shell.
   */
  run<O extends ShellCommandOptions | undefined = undefined>(cmd: Command, options?: O): Promise<Result<Out<O>>> {
    return this.#call(cmd, options, 'run()') as Promise<Result<Out<O>>>;
  }

  /**
   * Run a command written as a tagged template, each `${value}` quoted for the session's POSIX
   * shell (see `ssh.$`): resolves with run()'s Result plus `text()`, `lines()` and `json()`.
   */
  get $(): ShellDollar {
    return shellTemplate(this);
  }

  /** Run a command and resolve with its stdout. */
  capture<O extends ShellCommandOptions | undefined = undefined>(cmd: Command, options?: O): Promise<Out<O>> {
    return this.#call(cmd, options, 'capture()').then((r) => r.stdout as Out<O>);
  }

  /** Run a command and resolve with `{ stdout, stderr }`. */
  capture2<O extends ShellCommandOptions | undefined = undefined>(cmd: Command, options?: O): Promise<{ stdout: Out<O>; stderr: Out<O> }> {
    return this.#call(cmd, options, 'capture2()').then((r) => ({ stdout: r.stdout as Out<O>, stderr: r.stderr as Out<O> }));
  }

  /**
   * Run a command and resolve `true` if it exits 0, `false` otherwise. Its output is
   * discarded unless `stdoutDiscard`/`stderrDiscard: false`. Other failures still reject.
   */
  test(cmd: Command, options?: ShellCommandOptions): Promise<boolean> {
    return this.#call(cmd, options, 'test()').then(
      () => true,
      (err: unknown) => {
        if (err instanceof CommandError) return false;
        throw err;
      },
    );
  }

  /**
   * The command's stdout line by line (without the line ends; `\r\n` too), as it comes: the
   * first line is yielded while the command still runs, and a slow loop holds the command's
   * output back. The exit status is checked when the output ends: a failing command throws
   * from the loop after the lines before it. A line longer than `maxBuffer` is a
   * MaxBufferError carrying its first `maxBuffer` bytes. Leaving the loop early interrupts
   * the command (the session stays usable). stderr is collected (bounded by `maxBuffer`)
   * into the error.
   */
  lines(cmd: Command, options?: ShellCommandOptions): AsyncIterableIterator<string> {
    const encoding = checkLineEncoding(options?.encoding ?? this.#opts.encoding);
    return streamLines(
      (stream) => this.#call(cmd, options, 'lines()', stream),
      () => this.#ch?.transport.stdout,
      encoding,
      { host: this.host },
      options?.maxBuffer ?? this.#opts.maxBuffer,
    );
  }

  /**
   * Close the session: a running command is aborted (its processes killed), queued ones are
   * rejected with `OSSH_SHELL_CLOSED`, then every process left in the shell's remote session
   * (background jobs) is killed and the shell ends. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** `await using sh = await ssh.shell()` closes the session at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    const reason = new Error('the shell session was closed');
    this.#closer.abort(reason);
    this.#running?.stop({ kind: 'abort', reason });
    if (this.#busy) await new Promise<void>((r) => (this.#drained = r));
    const ch = this.#ch;
    if (!ch || ch.dead) return;
    if (ch.sid !== undefined) ch.write(buildFrame({ marker: newMarker(), command: goodbyeCommand(ch.sid) }));
    ch.transport.stdin.end();
    const bounded = await Promise.race([ch.transport.closed.then(() => true), delay(CLOSE_GRACE_MS).then(() => false)]);
    if (!bounded) await stopShell(this.#engine, ch);
    await ch.transport.closed;
  }

  /** Queue `fn` behind the commands before it (FIFO); an abort while queued removes it. */
  #enqueue<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#jobs.push({ signal, fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#busy) this.#next();
    });
  }

  /** Start the next queued call, if any (called when the previous one has settled). */
  #next(): void {
    const job = this.#jobs.shift();
    if (!job) {
      this.#busy = false;
      this.#drained?.();
      this.#drained = undefined;
      return;
    }
    this.#busy = true;
    let p: Promise<unknown>;
    if (this.#closing) p = Promise.reject(this.#closedError());
    else if (job.signal?.aborted) p = Promise.reject(abortError(job.signal.reason, { host: this.host }));
    else {
      try {
        p = job.fn();
      } catch (err) {
        p = Promise.reject(err as Error);
      }
    }
    p.then(
      (v) => {
        job.resolve(v);
        this.#next();
      },
      (err: unknown) => {
        job.reject(err);
        this.#next();
      },
    );
  }

  /**
   * The shell's EXIT trap removes its private directory, but not when the shell was killed
   * or replaced (`exec`): then remove it from a second channel (best effort). Not needed
   * after a clean close().
   */
  #removeDir(ch: ShellChannel): void {
    if (!ch.dir || (this.#closing && ch.exit?.exitCode === 0)) return;
    this.#engine.control('rm -rf -- "$1"', [ch.dir], CONTROL_TIMEOUT_MS).catch(() => {});
  }

  #closedError(): ShellSessionError {
    return new ShellSessionError(ErrorCode.SHELL_CLOSED, 'the shell session is closed', { host: this.host });
  }

  /** The running shell, started (again) if there is none. */
  async #channel(signal: AbortSignal | undefined): Promise<ShellChannel> {
    if (this.#ch && !this.#ch.dead) return this.#ch;
    const transport = await this.#engine.open(this.#opts.shell, signal ?? this.#opts.signal);
    const ch = new ShellChannel(transport);
    this.#ch = ch;
    this.#starts++;
    ch.write(bootstrapScript());
    const marker = newMarker();
    const outcome = await new FrameRun(
      this.#engine,
      ch,
      marker,
      buildFrame({ marker, command: HELLO_COMMAND, begin: true }),
      { timeout: START_TIMEOUT_MS, idleTimeout: undefined, signal: signal ?? this.#opts.signal, maxBuffer: STARTUP_MAX_BUFFER },
      true,
    ).done;
    const details: ErrorDetails = { host: this.host, argv: transport.argv, command: this.#opts.shell };
    if (outcome.kind === 'done' && outcome.status === 0) {
      const [pid, ppid, sid, dir] = outcome.stdout.toString('utf8').split('\n');
      ch.pid = Number(pid);
      ch.ppid = Number(ppid);
      ch.sid = (sid ?? '').trim();
      ch.dir = dir;
      ch.onDeath(() => this.#removeDir(ch));
      return ch;
    }
    if (!ch.dead) await stopShell(this.#engine, ch);
    const stderr = Buffer.concat(ch.startupStderr).toString('utf8');
    details.stderr = stderr;
    if (outcome.termination?.kind === 'abort') throw abortError(outcome.termination.reason, details, 'shell session start');
    if (outcome.termination) {
      throw new TimeoutError('deadline', START_TIMEOUT_MS, `the session shell ${this.#opts.shell} did not answer within ${START_TIMEOUT_MS} ms`, details);
    }
    const exitCode = ch.exit?.exitCode;
    const last = stderr.trim().split('\n').slice(-3).join('\n');
    throw new ShellSessionError(
      ErrorCode.SHELL_EXITED,
      `the session shell ${this.#opts.shell} ended before it was ready${exitCode === undefined ? '' : ` (exit code ${exitCode})`}${last ? `:\n${last}` : ''}`,
      { ...details, exitCode },
    );
  }

  #call(cmd: Command, options: ShellCommandOptions | undefined, method: string, stream?: LineStream): Promise<Result<string | Buffer>> {
    const call = options === undefined ? this.#plainCall(method) : normalizeShellCall(options, this.#opts, method);
    const command = buildRemoteCommand(cmd, { quoter: posixQuoter, quoteArgs: call.quoteArgs, glob: call.glob });
    let input: Buffer | undefined;
    if (call.stdin) {
      try {
        input = Buffer.concat(encodeInput(call.stdin, call.encoding, { host: this.host, command }));
      } catch (err) {
        // An EncodingError is an outcome of the call, as on OpenSSH: a rejection, not a throw.
        return Promise.reject(err as Error);
      }
    }
    if (this.#closing) return Promise.reject(this.#closedError());
    const reject = call.reject || method !== 'run()';
    const vlog = call.verbose ? new VerboseLog(call.verbose, this.host, command) : undefined;
    const done = traceShellCommand(this.host, command, reject, () =>
      this.#enqueue(call.signal, () => this.#exec(command, call, input, stream)).then((r) => {
        if (vlog) {
          vlog.output('out', r.stdout);
          vlog.output('err', r.stderr);
          vlog.end({ exitCode: r.exitCode, signal: r.signal, durationMs: r.durationMs, code: codeOf(r.error) });
        }
        return r;
      }),
    );
    if (vlog) done.catch((err: unknown) => vlog.end({ code: codeOf(err) }));
    return done;
  }

  /** The normalized options of a call without options (validated once per method). */
  #plainCall(method: string): NormalizedShellCall {
    let call = this.#plain.get(method);
    if (!call) this.#plain.set(method, (call = normalizeShellCall(undefined, this.#opts, method)));
    return call;
  }

  #exec(command: string, call: NormalizedShellCall, input: Buffer | undefined, stream: LineStream | undefined): Promise<Result<string | Buffer>> {
    // A lines() loop left before its command's turn: it does not run.
    if (stream?.cancelled) return Promise.reject(abortError(new Error('the loop over lines() was left'), { host: this.host, command }));
    const ch = this.#ch;
    if (ch && !ch.dead) return this.#frame(ch, command, call, input, stream);
    // No shell (the first call after a restart): start one; close() or the call's signal abort that.
    const closer = this.#closer.signal;
    const signal = call.signal ? AbortSignal.any([call.signal, closer]) : closer;
    return this.#channel(signal).then((c) => this.#frame(c, command, call, input, stream));
  }

  #frame(ch: ShellChannel, command: string, call: NormalizedShellCall, input: Buffer | undefined, stream: LineStream | undefined): Promise<Result<string | Buffer>> {
    const marker = newMarker();
    const frame = buildFrame({
      marker,
      command,
      cwd: call.cwd,
      env: call.env,
      stdin: input,
      stdoutDiscard: call.stdoutDiscard,
      stderrDiscard: call.stderrDiscard,
      stderrToStdout: call.stderrToStdout,
    });
    const started = performance.now();
    const run = new FrameRun(this.#engine, ch, marker, frame, {
      timeout: call.timeout,
      idleTimeout: call.idleTimeout,
      signal: call.signal,
      maxBuffer: call.maxBuffer,
      onStdout: stream?.onStdout,
    });
    this.#running = run;
    if (stream) stream.run = run;
    // close() may have come while the shell was starting.
    if (this.#closing) run.stop({ kind: 'abort', reason: this.#closer.signal.reason });
    return run.done.then((outcome) => {
      this.#running = undefined;
      return frameResult(this.host, ch, command, call, outcome, performance.now() - started);
    });
  }

}

/** A call waiting for its turn in a session's queue. */
interface Job {
  signal: AbortSignal | undefined;
  fn: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (err: unknown) => void;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
