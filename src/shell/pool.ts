import { ErrorCode, ShellSessionError } from '../errors/index.js';
import type { Command } from '../quote/command.js';
import { shellTemplate, type ShellDollar } from '../template/shell.js';
import type { Result } from '../run/result.js';
import { checkLineEncoding } from './lines.js';
import { normalizeShellCall, type NormalizedShell, type ShellCommandOptions } from './options.js';
import { ShellSession } from './session.js';
import type { ShellEngine } from './transport.js';

type Out<O> = O extends { encoding: 'buffer' } ? Buffer : string;

/**
 * Up to `size` shell sessions on one connection, for running session commands in parallel.
 * Sessions are opened lazily, when a command comes and every open one is busy; a command
 * waits (FIFO) for a free session once `size` are open. Which session runs a command is not
 * defined: state set by one command (`cd`, variables) is not seen by the next, so pass
 * `cwd`/`env` per call.
 *
 * ```ts
 * await using pool = await ssh.shellPool({ size: 4 });
 * const sizes = await Promise.all(files.map((f) => pool.capture(['stat', '-c', '%s', f])));
 * ```
 */
export class ShellPool implements AsyncDisposable {
  readonly #engine: ShellEngine;
  readonly #opts: NormalizedShell;
  readonly #size: number;
  readonly #sessions: ShellSession[] = [];
  readonly #idle: ShellSession[] = [];
  readonly #waiters: Array<{ resolve: (s: ShellSession) => void; reject: (e: Error) => void }> = [];
  #opening = 0;
  #closing: Promise<void> | undefined;

  /** Use `ssh.shellPool()`. */
  constructor(engine: ShellEngine, options: NormalizedShell, size: number) {
    this.#engine = engine;
    this.#opts = options;
    this.#size = size;
  }

  /** The most sessions this pool opens. */
  get size(): number {
    return this.#size;
  }

  /** How many sessions are open (or opening) now. */
  get open(): number {
    return this.#sessions.length + this.#opening;
  }

  /** Like {@link ShellSession.run}, on a free session. */
  run<O extends ShellCommandOptions | undefined = undefined>(cmd: Command, options?: O): Promise<Result<Out<O>>> {
    this.#check(options, 'run()');
    return this.#with((s) => s.run(cmd, options));
  }

  /**
   * Run a command written as a tagged template on one of the pool's sessions, each `${value}`
   * quoted for the POSIX shell (see `ssh.$`): run()'s Result plus `text()`, `lines()`, `json()`.
   */
  get $(): ShellDollar {
    return shellTemplate(this);
  }

  /** Like {@link ShellSession.capture}, on a free session. */
  capture<O extends ShellCommandOptions | undefined = undefined>(cmd: Command, options?: O): Promise<Out<O>> {
    this.#check(options, 'capture()');
    return this.#with((s) => s.capture(cmd, options));
  }

  /** Like {@link ShellSession.capture2}, on a free session. */
  capture2<O extends ShellCommandOptions | undefined = undefined>(cmd: Command, options?: O): Promise<{ stdout: Out<O>; stderr: Out<O> }> {
    this.#check(options, 'capture2()');
    return this.#with((s) => s.capture2(cmd, options));
  }

  /** Like {@link ShellSession.test}, on a free session. */
  test(cmd: Command, options?: ShellCommandOptions): Promise<boolean> {
    this.#check(options, 'test()');
    return this.#with((s) => s.test(cmd, options));
  }

  /**
   * Like {@link ShellSession.lines}, on a free session, kept until the loop ends (a session
   * is taken when the loop asks for its first line).
   */
  lines(cmd: Command, options?: ShellCommandOptions): AsyncIterableIterator<string> {
    this.#check(options, 'lines()');
    checkLineEncoding(options?.encoding ?? this.#opts.encoding);
    const acquire = () => this.#acquire();
    const release = (s: ShellSession) => this.#release(s);
    return (async function* () {
      const s = await acquire();
      try {
        yield* s.lines(cmd, options);
      } finally {
        release(s);
      }
    })();
  }

  /** Close every session (see {@link ShellSession.close}); waiting commands are rejected. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const w of this.#waiters.splice(0)) w.reject(closedError(this.#engine.host));
      await Promise.all(this.#sessions.map((s) => s.close()));
    })();
    return this.#closing;
  }

  /** `await using pool = ...` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Bad options throw at once, before a session is taken (or opened) for the call. */
  #check(options: ShellCommandOptions | undefined, method: string): void {
    normalizeShellCall(options, this.#opts, method);
  }

  async #with<T>(fn: (s: ShellSession) => Promise<T>): Promise<T> {
    const s = await this.#acquire();
    try {
      return await fn(s);
    } finally {
      this.#release(s);
    }
  }

  async #acquire(): Promise<ShellSession> {
    if (this.#closing) throw closedError(this.#engine.host);
    const idle = this.#idle.shift();
    if (idle) return idle;
    if (this.open < this.#size) {
      this.#opening++;
      const s = new ShellSession(this.#engine, this.#opts);
      try {
        await s.start();
      } catch (err) {
        this.#opening--;
        void s.close();
        // A command waiting for a session may now open one itself.
        const next = this.#waiters.shift();
        if (next) this.#acquire().then(next.resolve, next.reject);
        throw err;
      }
      this.#opening--;
      if (this.#closing) {
        await s.close();
        throw closedError(this.#engine.host);
      }
      this.#sessions.push(s);
      return s;
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #release(s: ShellSession): void {
    if (this.#closing) return;
    const next = this.#waiters.shift();
    if (next) next.resolve(s);
    else this.#idle.push(s);
  }
}

function closedError(host: string): ShellSessionError {
  return new ShellSessionError(ErrorCode.SHELL_CLOSED, 'the shell pool is closed', { host });
}
