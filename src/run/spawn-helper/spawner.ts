import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import type net from 'node:net';
// engine.ts imports this file too: only functions are used across, never at load time.
import { failedProcess, type ProcessExit, type RunningProcess, type SpawnRequest } from '../engine.js';
import { SessionLimiter } from '../sessions.js';
import { HELPER_SOURCE } from './helper-source.js';
import { SocketPairFactory, type SocketPair } from './socket-pair.js';

/**
 * Starting processes without forking this one.
 *
 * `child_process.spawn` forks the Node process: the fork copies its page tables (a larger
 * heap costs more), every page Node writes until the child calls exec is copied again, and
 * `spawn` returns only once the child has called exec, which on a busy machine waits for a
 * CPU. bench/burst.mjs (variant F) shows 24 ms of event-loop time per command (median, 78 ms
 * at worst) on a 2-core machine: a burst of commands stalls everything else. A worker thread
 * does not help (same address space: a one-off prototype measured more CPU per command).
 *
 * So a small helper process does the forking (`node -e`, started once, see
 * helper-source.ts). This side makes the child's stdio itself, connected Unix socket pairs
 * (what libuv gives a child for `'pipe'`), sends the child's ends to the helper as handles
 * over the IPC channel, and keeps its own ends as the process's `stdin`/`stdout`/`stderr`.
 * The helper reports the pid, then the exit, or the error to start.
 *
 * One helper per Node process, started on first use, stopped after {@link IDLE_MS} with no
 * process running, and gone with its parent (its IPC channel closes). If it dies, the
 * processes it started are killed and their `exited` resolves with an error. Only requests
 * whose stdio slots are all pipes or ignored are served this way: see {@link canServe}.
 */

/** How long the helper stays up with no process running. */
const IDLE_MS = 2000;
/** Output pipes are read this long after an exit before they are closed (nodeEngine's figures). */
const DRAIN_AFTER_EXIT_MS = 2000;
const DRAIN_AFTER_KILL_MS = 100;
/** Starts in progress at once; the helper forks one at a time anyway. */
const MAX_STARTING = 16;
/** A helper that has not answered a start this long is stuck (stopped, starved): it is killed. */
const REPLY_TIMEOUT_MS = 30_000;

type HelperMessage =
  | { id: number; ev: 'spawn'; pid: number }
  | { id: number; ev: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { id: number; ev: 'error'; error: { message: string; code?: string; errno?: number; syscall?: string; path?: string } };

interface Entry {
  onMessage(m: HelperMessage): void;
  /** An exit reported before the caller was handed the process. */
  early?: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** The helper is gone: settle as failed. */
  onLost(error: Error): void;
  ref: boolean;
}

/** Rebuild a spawn error as Node reports it, so callers classify it the same way. */
function spawnError(e: { message: string; code?: string; errno?: number; syscall?: string; path?: string }, request: SpawnRequest): Error {
  const err = new Error(e.message) as NodeJS.ErrnoException & { spawnargs?: string[] };
  if (e.code !== undefined) err.code = e.code;
  if (e.errno !== undefined) err.errno = e.errno;
  if (e.syscall !== undefined) err.syscall = e.syscall;
  if (e.path !== undefined) err.path = e.path;
  err.spawnargs = [...request.args];
  return err;
}

/**
 * A failure to make the child's stdio (EMFILE, ENFILE, ...) reported as Node reports the
 * same failure inside `spawn`: `spawn <file> <CODE>`, syscall `spawn <file>`; the system's
 * own error (a socket call) is its `cause`.
 */
function asSpawnError(e: unknown, request: SpawnRequest): Error {
  const cause = e as NodeJS.ErrnoException;
  if (typeof cause?.code !== 'string') return e instanceof Error ? e : new Error(String(e));
  const err = spawnError({ message: `spawn ${request.file} ${cause.code}`, code: cause.code, errno: cause.errno, syscall: `spawn ${request.file}`, path: request.file }, request);
  err.cause = cause;
  return err;
}


/**
 * Whether the helper can start `request`: every stdio slot is a pipe or ignored. An fd of
 * this process cannot be handed over, and `'inherit'` (an interactive command on this
 * process's terminal, never a burst) keeps the terminal semantics of a direct spawn.
 */
export function canServe(request: SpawnRequest): boolean {
  return request.stdio.every((slot) => slot === 'pipe' || slot === 'ignore');
}

/** Settings of a {@link SpawnHelper} (tests shorten them). */
export interface SpawnHelperOptions {
  /** How long a start may wait for the helper's answer before the helper is killed (default 30 s). */
  replyTimeoutMs?: number;
}

export class SpawnHelper {
  readonly #replyTimeoutMs: number;
  #helper: ChildProcess | undefined;
  #pairs: SocketPairFactory | undefined;
  readonly #entries = new Map<number, Entry>();
  /** Starts in progress (pairs being made, the helper's answer awaited). */
  readonly #starting = new SessionLimiter(MAX_STARTING);
  #nextId = 1;
  #idle: NodeJS.Timeout | undefined;

  constructor(options: SpawnHelperOptions = {}) {
    this.#replyTimeoutMs = options.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
  }

  /** Processes started and not yet exited (or still starting). */
  get running(): number {
    return this.#entries.size;
  }

  /** The helper's pid while it runs (for tests). */
  get pid(): number | undefined {
    return this.#helper?.pid;
  }

  /**
   * Start `request` through the helper ({@link canServe} must hold). Like `Engine.spawn`, a
   * failure to start comes back as `exited` resolving with `error` (and no pid), never as a
   * rejection.
   */
  async spawn(request: SpawnRequest): Promise<RunningProcess> {
    const id = this.#nextId++;
    // Registered at once, so the helper is not stopped for idleness while the pairs are made.
    const entry: Entry = { onMessage: () => {}, onLost: () => {}, ref: true };
    this.#entries.set(id, entry);
    this.#busy();
    const pairs: (SocketPair | undefined)[] = [];
    const closePairs = () => {
      for (const p of pairs) {
        p?.theirs.destroy();
        p?.mine.destroy();
      }
    };
    let helper: ChildProcess;
    // At most a few starts make their pairs at once: a burst of starts must not overflow the
    // listening socket's backlog (connect() fails with EAGAIN) or hold thousands of fds.
    const slot = await this.#starting.acquire();
    try {
      const factory = (this.#pairs ??= new SocketPairFactory());
      const made = await Promise.allSettled(request.stdio.map((s) => (s === 'pipe' ? factory.pair() : Promise.resolve(undefined))));
      for (const m of made) pairs.push(m.status === 'fulfilled' ? m.value : undefined);
      const failure = made.find((m): m is PromiseRejectedResult => m.status === 'rejected');
      if (failure) throw failure.reason;
      helper = this.#ensureHelper();
    } catch (e) {
      slot();
      closePairs();
      this.#done(id);
      return failedProcess(asSpawnError(e, request));
    }
    const reply = new Promise<HelperMessage | Error>((resolve) => {
      entry.onMessage = (m) => {
        if (m.ev === 'exit') entry.early = { code: m.code, signal: m.signal };
        else resolve(m);
      };
      entry.onLost = resolve;
    });
    // Never wait forever: a helper that does not take a handle or answer a start is killed,
    // which fails every start waiting on it (and kills what it started); the next start has a
    // new helper.
    const stuck = setTimeout(() => {
      if (this.#helper !== helper) return;
      this.#lost(helper, `it did not answer a start within ${this.#replyTimeoutMs} ms and was killed`);
      helper.kill('SIGKILL');
    }, this.#replyTimeoutMs);
    const send = (message: object, handle?: net.Socket) =>
      new Promise<void>((resolve, reject) => {
        try {
          // keepOpen false: once sent, our copy of the child's end is closed.
          helper.send(message, handle, {}, (e) => (e ? reject(e) : resolve()));
        } catch (e) {
          reject(e);
        }
      });
    const stdio = request.stdio.map((slot) => (slot === 'pipe' ? 'slot' : slot));
    // Sent in order (the IPC channel keeps it, handles included) without waiting for each:
    // the answer, or the helper's loss, settles the start.
    Promise.all([
      ...pairs.map((p, i) => (p ? send({ op: 'slot', id, i }, p.theirs) : undefined)),
      send({ op: 'spawn', id, file: request.file, args: request.args, stdio, env: request.env ?? process.env, detached: request.detached ?? false }),
    ]).catch((e: unknown) => entry.onLost(e instanceof Error ? e : new Error(String(e))));
    const first = await reply;
    slot();
    clearTimeout(stuck);
    for (const p of pairs) p?.theirs.destroy();
    if (first instanceof Error || first.ev !== 'spawn') {
      closePairs();
      this.#done(id);
      return failedProcess(first instanceof Error ? first : first.ev === 'error' ? spawnError(first.error, request) : new Error('the spawn helper reported an exit before the start'));
    }
    return this.#running(id, entry, first.pid, pairs);
  }

  #running(id: number, entry: Entry, pid: number, pairs: (SocketPair | undefined)[]): RunningProcess {
    const [stdin, stdout, stderr] = [0, 1, 2].map((i) => pairs[i]?.mine ?? null) as [net.Socket | null, net.Socket | null, net.Socket | null];
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let killed = false;
    let lost: Error | undefined;
    const exited = new Promise<ProcessExit>((resolve) => {
      let open = 0;
      let drain: NodeJS.Timeout | undefined;
      const maybeClose = () => {
        if (!exit || open > 0) return;
        clearTimeout(drain);
        this.#done(id);
        resolve({ exitCode: exit.code, signal: exit.signal, error: lost });
      };
      // As Node's 'close': the exit, and stdout and stderr closed.
      for (const s of [stdout, stderr]) {
        if (!s || s.closed) continue;
        open++;
        s.once('close', () => {
          open--;
          maybeClose();
        });
      }
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        if (exit) return;
        exit = { code, signal };
        // As nodeEngine: an `ssh -S` that was killed leaves the master holding the other ends.
        drain = setTimeout(
          () => setImmediate(() => setImmediate(() => {
            for (const s of [stdin, stdout, stderr]) s?.destroy();
          })),
          killed || signal ? DRAIN_AFTER_KILL_MS : DRAIN_AFTER_EXIT_MS,
        );
        maybeClose();
      };
      entry.onMessage = (m) => {
        if (m.ev === 'exit') onExit(m.code, m.signal);
      };
      entry.onLost = (error) => {
        lost = error;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
        for (const s of [stdin, stdout, stderr]) s?.destroy();
        onExit(null, 'SIGKILL');
      };
      if (entry.early) onExit(entry.early.code, entry.early.signal);
    });
    return {
      pid,
      stdin,
      stdout,
      stderr,
      exited,
      kill: (signal = 'SIGTERM') => {
        const helper = this.#helper;
        if (exit || !helper?.connected) return false;
        killed = true;
        helper.send({ op: 'kill', id, signal }, undefined, {}, () => {});
        return true;
      },
      unref: () => {
        entry.ref = false;
        this.#busy();
      },
    };
  }

  #ensureHelper(): ChildProcess {
    if (this.#helper) return this.#helper;
    // The only fork this process still pays for, once per busy period.
    // Without NODE_OPTIONS (a --require or --inspect meant for the application); the children
    // get the environment of each request, or this process's at the time of the request.
    const helper = spawnChild(process.execPath, ['-e', HELPER_SOURCE], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: undefined },
      windowsHide: true,
    });
    helper.on('message', (m: HelperMessage) => this.#entries.get(m.id)?.onMessage(m));
    helper.on('error', (e) => this.#lost(helper, e.message));
    helper.on('exit', (code, signal) => this.#lost(helper, signal ? `killed by ${signal}` : `exit code ${code}`));
    this.#helper = helper;
    this.#busy();
    return helper;
  }

  /** `helper` is gone or given up: everything waiting on it fails. */
  #lost(helper: ChildProcess, why: string): void {
    if (this.#helper !== helper) return;
    this.#helper = undefined;
    const error = new Error(`the process that starts commands (the spawn helper) stopped: ${why}`);
    for (const e of [...this.#entries.values()]) e.onLost(error);
  }

  #done(id: number): void {
    this.#entries.delete(id);
    this.#busy();
  }

  /** Keep the helper referenced while a referenced process runs; stop it after a while idle. */
  #busy(): void {
    clearTimeout(this.#idle);
    this.#idle = undefined;
    const helper = this.#helper;
    if (helper) {
      let ref = false;
      for (const e of this.#entries.values()) if ((ref = e.ref)) break;
      if (ref) {
        helper.ref();
        helper.channel?.ref();
      } else {
        helper.unref();
        helper.channel?.unref();
      }
    }
    if (this.#entries.size === 0 && (helper || this.#pairs)) {
      this.#idle = setTimeout(() => this.stop(), IDLE_MS).unref();
    }
  }

  /** Stop the helper and the listening socket now; processes still running are killed. */
  stop(): void {
    clearTimeout(this.#idle);
    this.#idle = undefined;
    const helper = this.#helper;
    this.#helper = undefined;
    this.#pairs?.close();
    this.#pairs = undefined;
    if (helper) {
      for (const e of [...this.#entries.values()]) e.onLost(new Error('the spawn helper was stopped'));
      if (helper.connected) helper.disconnect();
    }
  }
}

/** The process-wide helper behind `nodeEngine.spawnAsync`. */
export const spawnHelper = new SpawnHelper();
