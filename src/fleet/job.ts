import { AbortError, MasterError, TimeoutError } from '../errors/index.js';
import type { OpenSSH } from '../openssh.js';
import type { FleetHost, HostEntry } from './hosts.js';
import type { Semaphore } from './limits.js';
import type { NormalizedRun } from './options.js';
import { backoffDelay, batches, batchSize, decide, isRetryable, tooManyFailures } from './policy.js';
import { ProgressTracker, type FleetCounts } from './progress.js';
import { FleetError, summarize, type FleetReport, type HostResult, type HostStatus, type SkipReason } from './results.js';

/** A task: what to do on one host, given its connected `OpenSSH`. */
export type FleetTask<T> = (ssh: OpenSSH, host: FleetHost) => Promise<T> | T;

/** What a job needs from its fleet. */
export interface JobContext {
  /** The run's hosts, in order. */
  hosts: readonly HostEntry[];
  /** Start connecting a host (cancelled by `signal`): a new master, or one from the fleet's cache. */
  connect(entry: HostEntry, signal: AbortSignal): HostConnection;
  connections: Semaphore;
  concurrency: Semaphore;
  /** Labels taken out of the fleet by the `abort-host` policy. */
  abortedHosts: Set<string>;
}

/** A host's connection during one attempt, however the fleet obtains it. */
export interface HostConnection {
  /**
   * Resolves with the connected OpenSSH; rejects with its MasterError, or with undefined when
   * the wait was cancelled before the login failed or succeeded.
   */
  readonly ready: Promise<OpenSSH>;
  /**
   * Let go of it once the host is done: disconnect it, or give it back to the cache. With
   * `clean: false` (the task was cancelled, timed out or its connection failed) a cached
   * connection is discarded instead of returned. Resolves once no master of it is left that
   * the fleet's `connections` limit must count.
   */
  close(clean: boolean): Promise<void>;
}

const SKIP_TEXT: Record<SkipReason, string> = {
  aborted: 'the run was cancelled before it started',
  'abort-all': "another host failed and the policy is 'abort-all'",
  'max-failures': 'too many hosts failed (maxFailures / maxFailPercentage)',
  'host-aborted': "an earlier failure took it out of the fleet (policy 'abort-host'; fleet.reset() brings it back)",
};

/** One host's attempts so far: the count, the current connection and task. */
interface AttemptState {
  attempts: number;
  conn: HostConnection | undefined;
  /** Whether the last attempt's task ended on its own (its connection may be reused). */
  clean: boolean;
  task: Promise<unknown> | undefined;
}

/** Marks a per-host timeout in an AbortSignal's reason. */
class HostTimeout extends Error {}

/** Resolve or reject with `p`, or reject with the signal's reason as soon as it aborts. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  p.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** How long a cancelled host's work may take to notice. */
const SETTLE_MS = 3000;

/** The error `p` rejects with within `ms`, or undefined (resolved, or still running). */
function settleWithin(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  return Promise.race([p.then(() => undefined, (e: unknown) => e), late]).finally(() => clearTimeout(timer));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return raceAbort(new Promise<void>((r) => setTimeout(r, ms).unref()), signal);
}

/**
 * One run over the fleet's hosts: a promise of the {@link FleetReport} (`await job`) and an
 * async iterator of results as hosts finish (`for await (const r of job)`). Created by
 * `fleet.run()` and the shortcuts; it starts at once.
 */
export class FleetJob<T> implements PromiseLike<FleetReport<T>>, AsyncIterable<HostResult<T>> {
  readonly #ctx: JobContext;
  readonly #task: FleetTask<T>;
  readonly #o: NormalizedRun;
  readonly #progress: ProgressTracker;
  readonly #results: Array<HostResult<T> | undefined>;
  readonly #finished: HostResult<T>[] = [];
  readonly #wake = new Set<() => void>();
  readonly #stop = new AbortController();
  readonly #signal: AbortSignal;
  readonly #done: Promise<FleetReport<T>>;
  #stopReason: SkipReason | undefined;
  #failures = 0;

  /** @internal use `fleet.run()`. */
  constructor(ctx: JobContext, task: FleetTask<T>, options: NormalizedRun) {
    this.#ctx = ctx;
    this.#task = task;
    this.#o = options;
    this.#results = new Array(ctx.hosts.length).fill(undefined);
    this.#progress = new ProgressTracker(ctx.hosts.length, options.onProgress);
    this.#signal = options.signal ? AbortSignal.any([options.signal, this.#stop.signal]) : this.#stop.signal;
    this.#done = Promise.resolve().then(() => this.#run());
  }

  /** The hosts in each state now. */
  get counts(): FleetCounts {
    return this.#progress.counts;
  }

  /** Cancel the run, as the `signal` option would: running hosts are aborted, queued ones skipped. */
  abort(): void {
    this.#stopReason ??= 'aborted';
    this.#stop.abort(new AbortError('the fleet run was cancelled'));
  }

  /**
   * The report once every host is done: results in the run's order, summary, duration.
   * Resolves even when hosts failed, unless the run has `reject: true` (then a FleetError).
   */
  then<R1 = FleetReport<T>, R2 = never>(
    onfulfilled?: ((value: FleetReport<T>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const settled = this.#done.then((report) => (this.#o.reject && report.summary.ok < report.summary.total ? Promise.reject(new FleetError(report)) : report));
    return settled.then(onfulfilled, onrejected);
  }

  /** Results in the order hosts finish (skipped hosts included). */
  async *[Symbol.asyncIterator](): AsyncIterator<HostResult<T>> {
    let i = 0;
    for (;;) {
      while (i < this.#finished.length) yield this.#finished[i++]!;
      if (this.#finished.length === this.#results.length) return;
      await new Promise<void>((resolve) => this.#wake.add(resolve));
    }
  }

  #publish(r: HostResult<T>): void {
    this.#results[r.index] = r;
    this.#finished.push(r);
    this.#progress.move(r, r.status, r.attempts);
    for (const w of this.#wake) w();
    this.#wake.clear();
  }

  #skip(entry: HostEntry, index: number, reason: SkipReason): void {
    const error = new AbortError(`host ${entry.label} skipped: ${SKIP_TEXT[reason]}`, { host: entry.target });
    this.#publish({ label: entry.label, target: entry.target, index, ok: false, status: 'skipped', error, skipReason: reason, attempts: 0, startedAt: undefined, durationMs: 0 });
  }

  async #run(): Promise<FleetReport<T>> {
    const t0 = performance.now();
    const hosts = this.#ctx.hosts;
    const size = batchSize(this.#o.batch, hosts.length);
    let index = 0;
    for (const batch of batches(hosts, size)) {
      const running: Promise<void>[] = [];
      for (const entry of batch) {
        const i = index++;
        if (this.#ctx.abortedHosts.has(entry.label)) {
          this.#skip(entry, i, 'host-aborted');
          continue;
        }
        let release: (() => void) | undefined;
        if (!this.#stopping) release = await this.#ctx.connections.acquire(this.#signal).catch(() => undefined);
        if (release === undefined || this.#stopping) {
          release?.();
          this.#skip(entry, i, this.#stopReason ?? 'aborted');
          continue;
        }
        running.push(this.#host(entry, i, release));
      }
      await Promise.all(running);
    }
    const results = this.#results as HostResult<T>[];
    return { results, summary: summarize(results), durationMs: performance.now() - t0 };
  }

  get #stopping(): boolean {
    return this.#stopReason !== undefined || this.#signal.aborted;
  }

  async #host(entry: HostEntry, index: number, releaseConnection: () => void): Promise<void> {
    const own = new AbortController();
    const signal = AbortSignal.any([this.#signal, own.signal]);
    const timeout = this.#o.timeout;
    const timer = timeout === undefined ? undefined : setTimeout(() => own.abort(new HostTimeout()), timeout);
    const host: FleetHost = { label: entry.label, target: entry.target, index, signal };
    const startedAt = new Date();
    const t0 = performance.now();
    const state: AttemptState = { attempts: 0, conn: undefined, clean: false, task: undefined };
    let result: HostResult<T>;
    const inner = this.#attempts(entry, host, state);
    try {
      const value = await raceAbort(inner, signal);
      result = { label: entry.label, target: entry.target, index, ok: true, status: 'ok', value, attempts: state.attempts, startedAt, durationMs: 0 };
    } catch (err) {
      // Cancelled: give the work a moment to stop (its commands got the signal), so that the
      // error it was interrupted with becomes the cause, and nothing starts after the cleanup.
      const stopped = err === signal.reason ? await settleWithin(state.task ?? inner, SETTLE_MS) : undefined;
      const [status, error] = this.#classify(stopped ?? err, entry, own.signal);
      result = { label: entry.label, target: entry.target, index, ok: false, status, error, attempts: state.attempts, startedAt, durationMs: 0 };
    } finally {
      clearTimeout(timer);
      // Close the master (or give it back to the cache) before giving its slot back, so the
      // limit holds for live processes.
      await state.conn?.close(state.clean && !signal.aborted).catch(() => {});
      releaseConnection();
    }
    result = { ...result, durationMs: performance.now() - t0 };
    if (result.status === 'failed' || result.status === 'timed-out') await this.#onFailure(result.error!, host);
    this.#publish(result);
  }

  #classify(err: unknown, entry: HostEntry, own: AbortSignal): [Exclude<HostStatus, 'ok' | 'skipped'>, Error] {
    const error = err instanceof Error ? err : new Error(String(err));
    if (own.aborted && own.reason instanceof HostTimeout) {
      const cause = err instanceof HostTimeout ? undefined : error;
      const e = new TimeoutError('deadline', this.#o.timeout!, `host ${entry.label} did not finish within ${this.#o.timeout} ms (connect included)`, { host: entry.target, cause });
      return ['timed-out', e];
    }
    if (this.#signal.aborted) {
      if (error instanceof AbortError && error !== this.#signal.reason) return ['aborted', error];
      const why = this.#stopReason === 'abort-all' ? "another host failed and the policy is 'abort-all'" : 'the fleet run was cancelled';
      return ['aborted', new AbortError(`host ${entry.label} aborted: ${why}`, { host: entry.target, cause: error === this.#signal.reason ? undefined : error })];
    }
    return ['failed', error];
  }

  async #onFailure(error: Error, host: FleetHost): Promise<void> {
    this.#failures++;
    const policy = await decide(this.#o.onError, error, host);
    if (policy === 'abort-host') this.#ctx.abortedHosts.add(host.label);
    if (policy === 'abort-all' && !this.#stopping) {
      this.#stopReason = 'abort-all';
      this.#stop.abort(new AbortError(`host ${host.label} failed and the policy is 'abort-all'`));
    }
    if (tooManyFailures(this.#failures, this.#ctx.hosts.length, this.#o.maxFailures, this.#o.maxFailPercentage)) this.#stopReason ??= 'max-failures';
  }

  /** Connect (with retries), then run the task under the concurrency limit. */
  async #attempts(entry: HostEntry, host: FleetHost, state: AttemptState): Promise<T> {
    const { retries, retryDelay, retryCommands } = this.#o;
    for (;;) {
      state.attempts++;
      this.#progress.move(host, 'connecting', state.attempts);
      const conn = (state.conn = this.#ctx.connect(entry, host.signal));
      state.clean = false;
      let failure: unknown;
      const ssh = await conn.ready.catch((e: unknown) => {
        failure = e;
        return undefined;
      });
      if (!ssh) {
        // A cancelled wait leaves the login to fail on its own: report it as the MasterError it is.
        const err = failure ?? new MasterError('aborted', `the login to ${entry.label} was cancelled before it finished`, { host: entry.target });
        if (state.attempts <= retries && isRetryable(err) && !host.signal.aborted) {
          await conn.close(false).catch(() => {});
          await sleep(backoffDelay(state.attempts, retryDelay), host.signal);
          continue;
        }
        throw err;
      }
      const release = await this.#ctx.concurrency.acquire(host.signal);
      this.#progress.move(host, 'running', state.attempts);
      try {
        // Raced with the signal: a task that ignores it still frees its slot on a timeout or abort.
        // A task that settles on its own (not cut short by the signal) leaves a reusable
        // connection, unless its master failed.
        const task = Promise.resolve()
          .then(() => this.#task(ssh, host))
          .then(
            (value) => ((state.clean = true), value),
            (err: unknown) => {
              state.clean = !(err instanceof MasterError);
              throw err;
            },
          );
        state.task = task;
        return await raceAbort(task, host.signal);
      } catch (err) {
        if (!(retryCommands && state.attempts <= retries && isRetryable(err) && !host.signal.aborted)) throw err;
      } finally {
        release();
      }
      await conn.close(false).catch(() => {});
      await sleep(backoffDelay(state.attempts, retryDelay), host.signal);
    }
  }
}
