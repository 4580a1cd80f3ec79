import { checkPolicy, batchSize, type ErrorPolicyOption } from './policy.js';
import { optListener, type ProgressEvent } from './progress.js';
import type { Selector } from './hosts.js';

/** Options of one fleet run (`fleet.run(task, options)` and the shortcuts' last argument). */
export interface FleetRunOptions {
  /** Only these hosts (see {@link Selector}); default every host of the fleet. */
  hosts?: Selector;
  /** What a host failure does to the rest (default `'continue'`). See docs/fleet.md. */
  onError?: ErrorPolicyOption;
  /**
   * Extra connection attempts after a connection failure (default 0). Only failures of the
   * network or the server's start-up limits are retried, never authentication or host keys.
   */
  retries?: number;
  /** First wait between attempts in ms (default 1000), doubled each time, with jitter. */
  retryDelay?: number;
  /**
   * Also re-run the task when the connection is lost while it runs (default false: a command
   * is never run twice unless you say it is safe).
   */
  retryCommands?: boolean;
  /** Hosts at a time, or a percentage of them (`'25%'`): each batch finishes before the next starts. */
  batch?: number | `${number}%`;
  /** Start no more hosts once more than this many failed (0: stop at the first failure). */
  maxFailures?: number;
  /** Start no more hosts once more than this percentage of the run's hosts failed. */
  maxFailPercentage?: number;
  /** Per host, the whole task in ms, connect and retries included (default none). */
  timeout?: number;
  /** Cancels the run: running commands are stopped, queued hosts skipped. */
  signal?: AbortSignal;
  /** Called on every host state change, with the counts. */
  onProgress?: (event: ProgressEvent) => void;
  /** Reject with a FleetError when some host did not succeed (default false: always resolve). */
  reject?: boolean;
}

/** Run options checked and defaulted. */
export interface NormalizedRun {
  hosts: Selector | undefined;
  onError: ErrorPolicyOption;
  retries: number;
  retryDelay: number;
  retryCommands: boolean;
  batch: unknown;
  maxFailures: number | undefined;
  maxFailPercentage: number | undefined;
  timeout: number | undefined;
  signal: AbortSignal | undefined;
  onProgress: ((event: ProgressEvent) => void) | undefined;
  reject: boolean;
}

const KNOWN = new Set(['hosts', 'onError', 'retries', 'retryDelay', 'retryCommands', 'batch', 'maxFailures', 'maxFailPercentage', 'timeout', 'signal', 'onProgress', 'reject']);

function show(v: unknown): string {
  return typeof v === 'function' ? 'a function' : (JSON.stringify(v) ?? typeof v);
}

function bad(name: string, expected: string, v: unknown): never {
  throw new TypeError(`option '${name}' must be ${expected}, received ${show(v)}`);
}

function wholeNumber(name: string, v: unknown, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) bad(name, `a whole number >= ${min}`, v);
  return v;
}

/** Validate a run's options; throws a TypeError naming the bad one. */
export function normalizeRun(options: FleetRunOptions | undefined): NormalizedRun {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) bad('options', 'an object', options);
  for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw new TypeError(`unknown fleet run option '${k}' (known: ${[...KNOWN].join(', ')})`);
  const o = options as Record<string, unknown>;
  if (o.onError !== undefined && typeof o.onError !== 'function') checkPolicy(o.onError);
  if (o.batch !== undefined) batchSize(o.batch, 1);
  const pct = o.maxFailPercentage;
  if (pct !== undefined && (typeof pct !== 'number' || !(pct >= 0 && pct <= 100))) bad('maxFailPercentage', 'a number from 0 to 100', pct);
  const timeout = o.timeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0))) bad('timeout', 'a number of milliseconds > 0', timeout);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) bad('signal', 'an AbortSignal', o.signal);
  for (const k of ['retryCommands', 'reject']) if (o[k] !== undefined && typeof o[k] !== 'boolean') bad(k, 'a boolean', o[k]);
  const retryDelay = o.retryDelay;
  if (retryDelay !== undefined && (typeof retryDelay !== 'number' || !(retryDelay >= 0) || !Number.isFinite(retryDelay))) bad('retryDelay', 'a number of milliseconds >= 0', retryDelay);
  return {
    hosts: o.hosts as Selector | undefined,
    onError: (o.onError as ErrorPolicyOption | undefined) ?? 'continue',
    retries: wholeNumber('retries', o.retries, 0) ?? 0,
    retryDelay: (retryDelay as number | undefined) ?? 1000,
    retryCommands: (o.retryCommands as boolean | undefined) ?? false,
    batch: o.batch,
    maxFailures: wholeNumber('maxFailures', o.maxFailures, 0),
    maxFailPercentage: pct as number | undefined,
    timeout: timeout === Infinity ? undefined : (timeout as number | undefined),
    signal: o.signal as AbortSignal | undefined,
    onProgress: optListener(o.onProgress),
    reject: (o.reject as boolean | undefined) ?? false,
  };
}
