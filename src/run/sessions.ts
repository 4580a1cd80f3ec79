import { AbortError, TimeoutError, type ErrorDetails } from '../errors/index.js';

/**
 * The per-connection session limit (`maxSessions`): at most `max` slaves hold a session of
 * the master at a time; the others wait their turn in a FIFO queue instead of being refused
 * by the server (its `MaxSessions`, 10 by default as here). `Infinity` turns the queue off.
 *
 * Spawning is also paced: `child_process.spawn` is synchronous (a fork + exec of ssh costs a
 * few ms), so every start waits for its own turn of the event loop (one `setImmediate` each)
 * and timers and I/O run between two spawns, whatever the limit.
 */

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  grant(release: Release): void;
}

/** A counting semaphore with a FIFO queue whose waiters can leave through an AbortSignal. */
export class SessionLimiter {
  /** The number of slots (a positive integer, or Infinity). */
  readonly max: number;
  #active = 0;
  /** Insertion-ordered: the first entry waited longest; deleting a waiter is O(1). */
  readonly #queue = new Set<Waiter>();

  constructor(max: number) {
    this.max = max;
  }

  /** Slots in use. */
  get active(): number {
    return this.#active;
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.#queue.size;
  }

  /** A slot at once, or undefined when all are taken or others already wait (FIFO). */
  tryAcquire(): Release | undefined {
    if (this.#active >= this.max || this.#queue.size > 0) return undefined;
    this.#active++;
    return this.#releaser();
  }

  /**
   * Take a slot: at once when one is free and nobody waits, else once every call queued
   * before has had its turn. If `signal` aborts first, the call leaves the queue and the
   * promise rejects with the signal's `reason`.
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Release>((resolve, reject) => {
      const onAbort = () => {
        this.#queue.delete(waiter);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      this.#queue.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #releaser(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#queue.values().next();
      if (next.done) {
        this.#active--;
        return;
      }
      // The slot passes straight to the next waiter: nobody can overtake it.
      this.#queue.delete(next.value);
      next.value.grant(this.#releaser());
    };
  }
}

/** Callers waiting for a spawn turn, in call order. */
const turns = new Set<() => void>();
let pumping = false;

/** Let the first waiting caller through, and come back in the next event-loop turn. */
function pump(): void {
  const next = turns.values().next();
  if (next.done) {
    pumping = false;
    return;
  }
  turns.delete(next.value);
  next.value();
  // An immediate queued while immediates run waits for the next turn of the event loop.
  setImmediate(pump);
}

/**
 * Resolves in an event-loop turn of its own: callers are let through one per `setImmediate`,
 * in call order, so a burst of synchronous spawns never holds the event loop for more than
 * one spawn at a time. If `signal` aborts first, the caller leaves the line and the promise
 * rejects with the signal's `reason`.
 */
export function spawnTurn(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const go = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      turns.delete(go);
      reject(signal!.reason);
    };
    turns.add(go);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (!pumping) {
      pumping = true;
      setImmediate(pump);
    }
  });
}

/** The limits a call keeps while it waits for a session. */
export interface WaitLimits {
  timeout?: number | undefined;
  idleTimeout?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** A slot held by one operation, and how long it waited for it. */
export interface Session {
  release: Release;
  /** Milliseconds spent waiting for the slot and the spawn turn. */
  waitedMs: number;
}

const noRelease: Release = () => {};

/** Why a call stopped waiting. */
type Exit = { kind: 'idle' | 'deadline'; ms: number } | { kind: 'abort'; reason: unknown };

/**
 * Wait for a session slot, then for a spawn turn (see {@link spawnTurn}). `timeout`,
 * `idleTimeout` and `signal` apply while waiting: the first to fire takes the call out of the
 * line and rejects with a TimeoutError (`deadline` / `idle`) or an AbortError; nothing was
 * started. `what` names the operation in messages (`command`, `transfer`). Without a
 * limiter (an operation that opens no session, such as a `-W` tunnel) only the spawn turn is
 * waited for. With `turn: false` (a channel of the mux engine: nothing is forked) the spawn
 * turn is skipped: the call goes on in the same event-loop turn once it has its slot.
 */
export async function acquireSession(limiter: SessionLimiter | undefined, limits: WaitLimits, details: ErrorDetails, what = 'command', turn = true): Promise<Session> {
  const started = performance.now();
  const { timeout, idleTimeout, signal } = limits;
  if (signal?.aborted) throw abortedWhileWaiting(signal.reason, details, what);
  if (timeout === undefined && idleTimeout === undefined && signal === undefined) {
    // Nothing can take the call out of the line: no controller, timers or listeners (a burst
    // of 1,000 plain calls queues 1,000 of these).
    const release = limiter ? (limiter.tryAcquire() ?? (await limiter.acquire())) : noRelease;
    if (turn) await spawnTurn();
    return { release, waitedMs: performance.now() - started };
  }
  const leave = new AbortController();
  let exit: Exit | undefined;
  const unwatch = watchLimits(limits, 0, (e) => {
    exit ??= e;
    leave.abort();
  });
  let release: Release | undefined;
  try {
    release = limiter ? (limiter.tryAcquire() ?? (await limiter.acquire(leave.signal))) : noRelease;
    if (turn) await spawnTurn(leave.signal);
    return { release, waitedMs: performance.now() - started };
  } catch (err) {
    if (!exit) throw err;
    const queued = release === undefined;
    release?.();
    throw waitError(exit, details, what, (limit, ms) =>
      queued
        ? `${limit === 'idleTimeout' ? `no free session for ${ms} ms` : `still waiting for a free session after ${ms} ms`} (${limit}); ` +
          `all ${limiter!.max} sessions of this connection (maxSessions) were in use`
        : `not started within ${ms} ms (${limit}); other processes were still being started, one per event-loop turn`,
    );
  } finally {
    unwatch();
  }
}

/**
 * Arm `limits` for a wait that began `elapsedMs` ago: the deadline and the idle limit (nothing
 * moves while a call waits) as timers for what is left of them, and the signal. `stop` gets the
 * first to fire (an already aborted signal at once). Returns the disarm function.
 */
function watchLimits(limits: WaitLimits, elapsedMs: number, stop: (e: Exit) => void): () => void {
  const { timeout, idleTimeout, signal } = limits;
  const timers: NodeJS.Timeout[] = [];
  if (timeout !== undefined) timers.push(setTimeout(() => stop({ kind: 'deadline', ms: timeout }), Math.max(0, timeout - elapsedMs)));
  if (idleTimeout !== undefined) timers.push(setTimeout(() => stop({ kind: 'idle', ms: idleTimeout }), Math.max(0, idleTimeout - elapsedMs)));
  const onAbort = () => stop({ kind: 'abort', reason: signal!.reason });
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return () => {
    for (const t of timers) clearTimeout(t);
    signal?.removeEventListener('abort', onAbort);
  };
}

/** The error of a call that stopped waiting: an AbortError, or a TimeoutError saying `why(limit, ms)`. */
function waitError(exit: Exit, details: ErrorDetails, what: string, why: (limit: 'timeout' | 'idleTimeout', ms: number) => string): AbortError | TimeoutError {
  if (exit.kind === 'abort') return abortedWhileWaiting(exit.reason, details, what);
  const limit = exit.kind === 'idle' ? 'idleTimeout' : 'timeout';
  return new TimeoutError(exit.kind, exit.ms, `the ${what} timed out before it started: ${why(limit, exit.ms)}`, details);
}

function abortedWhileWaiting(reason: unknown, details: ErrorDetails, what: string): AbortError {
  const why = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason);
  return new AbortError(`the ${what} was aborted before it started: ${why}`, { ...details, cause: reason });
}

/**
 * Wait for `start` (an engine starting a process off the event loop) within what is left of
 * the call's limits, `elapsedMs` after the call began waiting: `timeout` and `idleTimeout`
 * (nothing moves while a process is not started yet) count on, and `signal` applies. If one
 * fires first, the call fails at once with the same TimeoutError or AbortError as a call that
 * never got its turn, and `discard` receives the process once it does start (to stop it).
 */
export async function startWithin<T>(start: Promise<T>, limits: WaitLimits, elapsedMs: number, details: ErrorDetails, discard: (late: T) => void, what = 'command'): Promise<T> {
  if (limits.timeout === undefined && limits.idleTimeout === undefined && limits.signal === undefined) return start;
  let exit: Exit | undefined;
  let wake: (() => void) | undefined;
  const unwatch = watchLimits(limits, elapsedMs, (e) => {
    exit ??= e;
    wake?.();
  });
  try {
    const stopped = new Promise<void>((resolve) => {
      wake = resolve;
      if (exit) resolve();
    });
    const first = await Promise.race([start.then((value) => ({ value })), stopped.then(() => undefined)]);
    if (first) return first.value;
  } finally {
    unwatch();
  }
  void start.then(discard, () => {});
  throw waitError(exit!, details, what, (limit, ms) => `not started within ${ms} ms (${limit}); the processes started before it were still being started`);
}
