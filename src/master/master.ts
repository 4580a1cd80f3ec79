import { forwardMasterOutput, masterSlot, type MasterOutput } from './output.js';
import { closeSync, openSync, readSync, rmSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { buildMasterArgv, type MasterArgvOptions } from '../argv/master.js';
import type { ConnectionSpec } from '../argv/common.js';
import { MasterError, type MasterFailureReason } from '../errors/index.js';
import { nodeEngine, type Engine, type RunningProcess } from '../run/engine.js';
import type { LoginSettings } from '../auth/settings.js';
import { LoginProblem, startLogin, type Login } from './login.js';
import { queryConfiguration } from './configuration.js';
import type { SshConfiguration } from '../auth/ssh-config.js';
import { killQuietly, registerCleanup, unregisterCleanup, type Cleanup } from './cleanup.js';
import { CtlPathProblem, prepareCtlPath } from './control-dir.js';
import { muxAliveCheck, muxStopListening, muxTerminate } from '../mux/control.js';
import { diagnoseMaster, tail } from './diagnose.js';
import { chooseOwnerGuard, guardArgv, startWatchdog, type OwnerGuardKind, type Watchdog } from './owner-guard.js';
import { markerPath, sweepStale, writeOwnerMarker } from './owner-marker.js';
import { debug } from '../log.js';
import { traceMaster } from '../trace/master.js';

/**
 * The master's life, as in Net::OpenSSH (reference section 1.4): `start` → (`login` while a
 * password is typed or a login handler runs) → `awaiting_mux` → `running`, and from any of
 * them to `killing` → `gone`; `stopped` after `-O stop`.
 */
export type MasterState = 'start' | 'login' | 'awaiting_mux' | 'running' | 'killing' | 'gone' | 'stopped';

/** Everything the master needs, already validated. */
export interface MasterConfig {
  engine: Engine;
  sshCmd: string;
  host: string;
  user: string | undefined;
  port: number | undefined;
  ctlPath: string | undefined;
  ctlDir: string | undefined;
  externalMaster: boolean;
  strictMode: boolean;
  connectTimeout: number | undefined;
  masterArgv: Omit<MasterArgvOptions, keyof ConnectionSpec>;
  masterStdoutDiscard: boolean;
  masterStderrDiscard: boolean;
  /** The master's stdout / stderr to the caller too (src/master/output.ts). */
  masterStdout?: MasterOutput | undefined;
  masterStderr?: MasterOutput | undefined;
  /** Aborts the login (and makes every later operation fail). */
  signal?: AbortSignal | undefined;
  /** Password, passphrase, login handler or masterPtyForce: the master runs on a pty or with askpass. */
  login?: LoginSettings | undefined;
}

/** Steps of the readiness poll: start at 20 ms, grow by 10% up to 200 ms (Net::OpenSSH's). */
const POLL_FIRST_MS = 20;
const POLL_MAX_MS = 200;
/** Bounds of the shutdown sequence. */
const EXIT_REQUEST_MS = 2000;
/** Bound of one alive check (connect, hello, request, reply). */
const CHECK_TIMEOUT_MS = 10_000;
const GRACE_MS = 1000;
const TERM_WAIT_MS = 2000;
const LOG_TAIL_BYTES = 8192;

/**
 * One `ssh -M` master on a private ControlPath (or an external one): starts it (on a pty or
 * with the askpass helper when a login needs one), waits for its socket, checks it, and shuts
 * it down. A failure is kept in {@link Master.error} and fails every later operation.
 */
export class Master {
  state: MasterState = 'start';
  /** Sticky failure: once set, every later operation fails with it. */
  error: MasterError | undefined;
  pid: number | undefined;
  ctlPath: string | undefined;
  external: boolean;
  readonly #config: MasterConfig;
  #child: RunningProcess | undefined;
  #logPath: string | undefined;
  /** The login on a pty or through askpass, while it runs (and the pty log after). */
  #login: Login | undefined;
  #owned: Cleanup | undefined;
  /** How the master dies with this process if it is SIGKILLed ('off' until spawned). */
  ownerGuard: OwnerGuardKind = 'off';
  #watchdog: Watchdog | undefined;
  #connecting: Promise<void> | undefined;
  /** The teardown started by the last fail(), awaited before that failure is reported. */
  #teardown: Promise<void> | undefined;
  #startedAt = 0;
  /** Wakes the readiness wait (socket created, master exited, timeout, abort). */
  #wake: (() => void) | undefined;

  constructor(config: MasterConfig) {
    this.#config = config;
    this.external = config.externalMaster;
  }

  /** The connection spec for argv builders (valid once ctlPath is chosen). */
  get spec(): ConnectionSpec {
    const c = this.#config;
    return { sshCmd: c.sshCmd, ctlPath: this.ctlPath ?? '', host: c.host, user: c.user, port: c.port };
  }

  /** True while this object may kill the master (it started it and did not disown it). */
  get mine(): boolean {
    return !this.external && this.#child !== undefined;
  }

  /** Start connecting (once); the promise settles when running or failed. */
  connect(signal?: AbortSignal): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.state === 'running') return Promise.resolve();
    if (!this.#connecting) {
      this.#connecting = traceMaster(this.#config.host, 'connect', this, () => this.#connect()).finally(() => {
        this.#connecting = undefined;
      });
      // Failures are kept in this.error; callers that await get them too.
      this.#connecting.catch(() => {});
    }
    if (!signal) return this.#connecting;
    return raceAbort(this.#connecting, signal);
  }

  /** The socket was found in this event-loop turn (see {@link ready}). */
  #socketSeenThisTurn = false;

  /**
   * Make sure the master can serve a slave: connect if needed, fail with the sticky error,
   * and check that our child is alive and the socket still there.
   */
  async ready(signal?: AbortSignal): Promise<void> {
    if (this.error) throw this.error;
    if (this.state !== 'running') await this.connect(signal);
    if (this.ctlPath !== undefined && !this.#socketSeenThisTurn) {
      if (statSync(this.ctlPath, { throwIfNoEntry: false }) === undefined) {
        await this.fail('exited', `master SSH connection broken: the socket ${this.ctlPath} is gone`);
      } else {
        // One look per event-loop turn: a burst of calls in one turn shares it.
        this.#socketSeenThisTurn = true;
        setImmediate(() => (this.#socketSeenThisTurn = false));
      }
    }
    if (this.error) throw this.error;
  }

  async #connect(): Promise<void> {
    const c = this.#config;
    this.#startedAt = performance.now();
    try {
      const choice = prepareCtlPath({
        ctlPath: c.ctlPath,
        ctlDir: c.ctlDir,
        externalMaster: c.externalMaster,
        strictMode: c.strictMode,
        target: `${c.user ?? ''}@${c.host}:${c.port ?? ''}`,
      });
      this.ctlPath = choice.ctlPath;
      if (choice.generated) sweepStale(dirname(choice.ctlPath));
    } catch (err) {
      if (err instanceof CtlPathProblem) throw await this.fail('ctl-path', err.message);
      throw await this.#unexpected(err);
    }
    try {
      if (!this.external) {
        try {
          await this.#spawn();
          if (this.state === 'start') this.state = 'awaiting_mux';
          await this.#waitForSocket();
          await this.check();
        } catch (err) {
          this.#login?.end(false);
          throw err;
        }
        this.#login?.end(true);
      } else {
        await this.check();
      }
    } catch (err) {
      throw await this.#unexpected(err);
    }
    this.state = 'running';
    debug('master %s running, pid %d, %s', c.host, this.pid, this.ctlPath);
  }

  /**
   * Anything thrown that is not already the sticky MasterError (a spawn failing with EMFILE,
   * EAGAIN or ENOMEM, an argument Node refuses, an fd that cannot be opened) becomes one,
   * reason `spawn`, with the errno in the message and the original as `cause`.
   */
  async #unexpected(err: unknown): Promise<unknown> {
    if (err instanceof MasterError) return err;
    const e = err as NodeJS.ErrnoException;
    const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
    const text = e instanceof Error ? e.message : String(err);
    return this.fail('spawn', `the master could not be started (${code}${text})`, { cause: err });
  }

  async #spawn(): Promise<void> {
    const c = this.#config;
    const ctlPath = this.ctlPath!;
    const guarded = guardArgv(chooseOwnerGuard(spawnsLocally(c.engine)), buildMasterArgv({ ...c.masterArgv, ...this.spec, ctlPath }));
    const argv = guarded.argv;
    this.ownerGuard = guarded.kind;
    debug('master spawn %j (owner guard: %s)', argv, guarded.kind);
    let logFd: number | undefined;
    if (!c.masterStderrDiscard || !c.masterStdoutDiscard) {
      this.#logPath = `${ctlPath}.log`;
      logFd = openSync(this.#logPath, 'wx', 0o600);
    }
    let keepLogFd = false;
    try {
      if (c.login) {
        if (c.login.secret || c.login.handler) this.state = 'login';
        const started = await startLogin({
          login: c.login,
          engine: c.engine,
          sshCmd: c.sshCmd,
          ctlPath,
          argv,
          stdout: masterSlot(c.masterStdout, c.masterStdoutDiscard, logFd),
          stderr: masterSlot(c.masterStderr, c.masterStderrDiscard, logFd),
          host: c.host,
          user: c.user,
          port: c.port,
          masterPid: () => this.pid,
          readLog: () => this.readLog(),
          onAwaiting: () => {
            if (this.state === 'login') this.state = 'awaiting_mux';
          },
          fail: (reason, message, cause) => {
            void this.fail(reason, message, cause === undefined ? {} : { cause });
          },
        });
        this.#login = started.login;
        this.#child = started.child;
        // A pty master's stderr is copied into the log by the pty engine until it exits.
        keepLogFd = started.login.route === 'pty' && started.child.pid !== undefined && !c.masterStderrDiscard;
        if (keepLogFd && logFd !== undefined) {
          const fd = logFd;
          void started.child.exited.then(() => closeSync(fd));
        }
      } else {
        this.#child = c.engine.spawn({
          file: argv[0]!,
          args: argv.slice(1),
          stdio: ['ignore', masterSlot(c.masterStdout, c.masterStdoutDiscard, logFd), masterSlot(c.masterStderr, c.masterStderrDiscard, logFd)],
          detached: true,
        });
      }
    } catch (err) {
      if (err instanceof LoginProblem) throw await this.fail(err.reason, err.message, { cause: err.cause });
      if (c.login) throw await this.fail('spawn', `the login could not be prepared: ${(err as Error).message}`, { cause: err });
      throw err;
    } finally {
      if (logFd !== undefined && !keepLogFd) closeSync(logFd);
    }
    const child = this.#child;
    child.unref();
    forwardMasterOutput(child.stdout, c.masterStdout, this.#logPath);
    forwardMasterOutput(child.stderr, c.masterStderr, this.#logPath);
    this.pid = child.pid;
    if (child.pid !== undefined) {
      const { pid } = child;
      const files = [ctlPath, ...(this.#logPath ? [this.#logPath] : []), markerPath(ctlPath)];
      this.#owned = registerCleanup({
        run: () => {
          killQuietly(pid, 'SIGTERM');
          this.#watchdog?.release();
          for (const f of files) rmSync(f, { force: true });
        },
      });
      try {
        writeOwnerMarker(ctlPath, process.pid, pid);
      } catch (err) {
        debug('master %s: owner marker not written: %s', c.host, (err as Error).message);
      }
      if (this.ownerGuard === 'watchdog') this.#watchdog = startWatchdog(pid, files);
    }
    void child.exited.then((exit) => this.#onExit(child, exit.exitCode, exit.signal, exit.error));
  }

  #onExit(child: RunningProcess, code: number | null, signal: NodeJS.Signals | null, error: Error | undefined): void {
    if (child !== this.#child) return;
    this.#release();
    if (this.state === 'killing' || this.state === 'gone') return;
    if (this.state === 'stopped') {
      // -O stop: the master leaves once its last session ends. Expected; just tidy up.
      this.#cleanFiles();
      return;
    }
    const log = this.readLog();
    const errno = (error as NodeJS.ErrnoException | undefined)?.code;
    const how = error ? `could not be started (${typeof errno === 'string' ? `${errno}: ` : ''}${error.message})` : signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const d = diagnoseMaster(log);
    const reason: MasterFailureReason = error ? 'spawn' : (d?.reason ?? 'exited');
    const kind = this.#config.login?.secret?.kind;
    const summary =
      d?.reason === 'auth' && kind === 'password'
        ? 'bad password: the server refused it (it was given once and is never retried)'
        : d?.reason === 'auth' && kind === 'passphrase'
          ? 'bad passphrase, or the server refused the key'
          : d?.summary;
    const message = `${summary ? `${summary}; ` : ''}the master ssh process ${how}${log ? `: ${tail(log)}` : ''}`;
    this.#setError(reason, message, { exitCode: code ?? undefined, signal: signal ?? undefined, stderr: log, cause: error });
    this.state = 'gone';
    this.#cleanFiles();
    this.#wake?.();
  }

  /** Forget the child: it is gone or no longer ours. */
  #release(): void {
    unregisterCleanup(this.#owned);
    this.#owned = undefined;
    this.#watchdog?.release();
    this.#watchdog = undefined;
  }

  async #waitForSocket(): Promise<void> {
    const ctlPath = this.ctlPath!;
    const limit = this.#config.connectTimeout;
    const signal = this.#config.signal;
    const onAbort = () => this.#wake?.();
    signal?.addEventListener('abort', onAbort);
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dirname(ctlPath), { persistent: false }, () => this.#wake?.());
    } catch {
      // polling alone still works
    }
    try {
      let delay = POLL_FIRST_MS;
      for (;;) {
        if (this.error) {
          // A failure recorded elsewhere (the login, a handler): report it once its teardown
          // is over, so the caller never sees the master's files or process still there.
          await this.#teardown;
          throw this.error;
        }
        if (signal?.aborted) {
          const why = signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
          throw await this.fail('aborted', `the login was aborted: ${why}`, { cause: signal.reason });
        }
        if (statSync(ctlPath, { throwIfNoEntry: false })?.isSocket()) return;
        const elapsed = performance.now() - this.#startedAt;
        if (limit !== undefined && elapsed >= limit) {
          throw await this.fail('timeout', `login timed out after ${limit} ms without the master becoming ready${this.#logSuffix()}`);
        }
        const wait = Math.min(delay, limit === undefined ? delay : limit - elapsed);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        delay = Math.min(delay * 1.1, POLL_MAX_MS);
      }
    } finally {
      watcher?.close();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #logSuffix(): string {
    const log = this.readLog();
    return log ? `: ${tail(log)}` : '';
  }

  /**
   * The last 4 KiB of what ssh showed on the master's pty (password, passphrase, loginHandler
   * or masterPtyForce): kept after a failed login, discarded once the master runs.
   */
  get ptyLog(): string {
    return this.#login?.ptyLog ?? '';
  }

  /** The tail of what the master printed (its log), or ''. */
  readLog(): string {
    if (!this.#logPath) return '';
    let fd: number | undefined;
    try {
      fd = openSync(this.#logPath, 'r');
      const size = statSync(this.#logPath).size;
      const len = Math.min(size, LOG_TAIL_BYTES);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      return buf.toString('utf8').trim();
    } catch {
      return '';
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /**
   * The alive check (what `ssh -O check` does, in-process over the mux protocol:
   * `MUX_C_ALIVE_CHECK`): the master must answer and (unless external) report our child's pid.
   * Any failure tears the master down and becomes the sticky error.
   */
  async check(): Promise<void> {
    if (this.error) throw this.error;
    let pid: number;
    try {
      pid = await muxAliveCheck(this.ctlPath!, CHECK_TIMEOUT_MS);
    } catch (err) {
      debug('control check on %s failed: %s', this.ctlPath, (err as Error).message);
      throw await this.fail('check', `master check failed: ${(err as Error).message}`, { cause: err });
    }
    debug('control check on %s: Master running (pid=%d)', this.ctlPath, pid);
    if (this.external) this.pid = pid;
    else if (pid !== this.pid) {
      throw await this.fail('check', `bad ssh master at ${this.ctlPath}: socket owned by pid ${pid} (pid ${this.pid} expected)`);
    }
  }

  /** `ssh -G` with the master's options: the effective client configuration (nothing is connected). */
  configuration(): Promise<SshConfiguration> {
    return queryConfiguration(this.#config.engine, { ...this.#config.masterArgv, ...this.spec }, this.#config.host);
  }

  /** Is the master still serving? Used to tell a dead master from a command exiting 255. */
  async alive(): Promise<boolean> {
    if (this.error) return false;
    try {
      await this.check();
      return true;
    } catch {
      return false;
    }
  }

  #setError(reason: MasterFailureReason, message: string, details: ConstructorParameters<typeof MasterError>[2] = {}): MasterError {
    // No login follows a sticky failure: forget the password now (restart() then refuses).
    this.#config.login?.secret?.drop();
    if (!this.error) {
      this.error = new MasterError(reason, `unable to establish or keep the master SSH connection to ${this.#config.host}: ${message}`, {
        host: this.#config.host,
        ...details,
      });
      debug('master %s failed (%s): %s', this.#config.host, reason, message);
    }
    return this.error;
  }

  /** Record a sticky failure and tear the master down. Returns the (first) error. */
  async fail(reason: MasterFailureReason, message: string, details: ConstructorParameters<typeof MasterError>[2] = {}): Promise<MasterError> {
    const err = this.#setError(reason, message, { stderr: this.readLog(), ...details });
    this.#teardown = this.#kill(false);
    this.#wake?.();
    await this.#teardown;
    return err;
  }

  /**
   * Shut the master down: an exit request (`-O exit`, sent in-process, when `sendExit` and it is running), then wait, SIGTERM,
   * SIGKILL, each bounded, and remove its files. Only a master this object started (and did
   * not disown) is sent `-O exit` or signalled; an external master is left running.
   */
  async #kill(sendExit: boolean): Promise<void> {
    if (this.state === 'gone') return;
    const wasRunning = this.state === 'running' || this.state === 'stopped';
    this.state = 'killing';
    const child = this.mine ? this.#child : undefined;
    if (sendExit && wasRunning && !this.external) {
      // MUX_C_TERMINATE, in-process (what `ssh -O exit` sends); a failure is only logged: the signals below follow.
      await muxTerminate(this.ctlPath!, EXIT_REQUEST_MS).catch((err: Error) => debug('control exit on %s failed: %s', this.ctlPath, err.message));
    }
    if (child) {
      // The master is unref'd: these waits are what keeps Node alive until it is gone.
      const within = (ms: number) => settlesWithin(child.exited, ms);
      if (!(await within(sendExit && wasRunning ? GRACE_MS : 0))) {
        child.kill('SIGTERM');
        if (!(await within(TERM_WAIT_MS))) {
          child.kill('SIGKILL');
          await within(TERM_WAIT_MS);
        }
      }
    }
    this.#release();
    this.#cleanFiles();
    this.state = 'gone';
  }

  #cleanFiles(): void {
    if (this.#child && this.ctlPath && !this.external) {
      rmSync(this.ctlPath, { force: true });
      rmSync(markerPath(this.ctlPath), { force: true });
    }
    if (this.#logPath) rmSync(this.#logPath, { force: true });
  }

  /** `disconnect()`: close our master; for an external or disowned one, just let go of it. */
  async disconnect(): Promise<void> {
    // Setting the error first interrupts a login in progress at its next step.
    this.#setError('disconnected', 'the connection was closed by disconnect()');
    this.#wake?.();
    if (this.#connecting) await this.#connecting.catch(() => {});
    await this.#kill(true);
  }

  /** Stop listening (`-O stop`): the master accepts no new sessions; the object moves to `stopped`. */
  async stop(): Promise<void> {
    await this.ready();
    // Before the request: a master with no session exits at once on -O stop.
    this.#setError('stopped', 'master stopped: it accepts no new sessions (call restart() to reconnect)');
    this.state = 'stopped';
    // MUX_C_STOP_LISTENING, in-process (what `ssh -O stop` sends).
    try {
      await muxStopListening(this.ctlPath!);
    } catch (err) {
      debug('control stop on %s failed: %s', this.ctlPath, (err as Error).message);
      await this.#kill(false);
    }
  }

  /**
   * `masterExited()`: the caller says the master is gone (killed or reaped elsewhere). Fail
   * sticky (reason `exited`), never signal its pid again (it may be reused), and remove the
   * files of a master this object started.
   */
  exited(): void {
    if (this.state === 'gone') return;
    this.#setError('exited', 'the master was reported gone by masterExited(): the object no longer uses it');
    this.#release();
    this.#cleanFiles();
    this.state = 'gone';
    this.#wake?.();
  }

  /** Give the master up: it is no longer killed by this object or at process exit. */
  async disown(): Promise<number> {
    await this.ready();
    this.#release();
    this.external = true;
    // The master now owns its own files: the next start's sweep removes them once it is gone.
    try {
      if (this.ctlPath && this.pid !== undefined) writeOwnerMarker(this.ctlPath, this.pid, this.pid);
    } catch {
      // no marker: the files are simply never swept
    }
    return this.pid!;
  }

  /** Shut down (if needed) and start a fresh master on a fresh socket. */
  async restart(signal?: AbortSignal): Promise<void> {
    if (this.external) throw new TypeError('restart() cannot be used on an external master');
    const secret = this.#config.login?.secret;
    if (secret && !secret.available) {
      throw new TypeError(
        `restart() cannot log in again: the ${secret.kind} was dropped after the first login (it is not kept in memory); create a new OpenSSH with it`,
      );
    }
    await this.disconnect();
    this.error = undefined;
    this.state = 'start';
    this.#child = undefined;
    this.#login = undefined;
    this.#logPath = undefined;
    this.pid = undefined;
    this.ctlPath = undefined;
    await this.connect(signal);
  }
}

/** True if `promise` settles within `ms` (a ref'd timer, cleared as soon as it does). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settle with `promise`, or reject with the signal's reason once it aborts. */
/**
 * Whether `engine` starts the master as a child of this process (Node's engine, or the mux
 * engine over it): only then can the master get the parent-death signal (setpriv).
 */
function spawnsLocally(engine: Engine): boolean {
  return engine === nodeEngine || (engine as { base?: Engine }).base === nodeEngine;
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
