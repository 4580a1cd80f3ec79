import { badOption, checkKnownKeys, MAX_TIMER_MS, optSignal } from '../options/validate.js';

/** Options of `new ConnectionCache(options)`. */
export interface ConnectionCacheOptions {
  /**
   * Connections kept at most (default 20, Net::OpenSSH::ConnectionCache's `MAX_SIZE`). A new
   * one past it disconnects the least recently used connection that is not in use first.
   */
  maxSize?: number;
  /**
   * Disconnect a connection once it has not been used for this many ms (default: never;
   * `0` or `Infinity` too). The timers are unref'd: the cache never keeps Node running.
   */
  idleTimeout?: number;
}

/** Options of one `cache.get()` / `cache.acquire()` call. */
export interface CacheGetOptions {
  /**
   * Stop waiting for the connection (rejects with the signal's reason). A login nobody else
   * waits for is then abandoned (disconnected) rather than kept.
   */
  signal?: AbortSignal;
}

/** The cache's options, checked. */
export interface NormalizedCacheOptions {
  maxSize: number;
  idleTimeout: number | undefined;
}

/** Net::OpenSSH::ConnectionCache's `$MAX_SIZE`. */
export const DEFAULT_MAX_SIZE = 20;

const KNOWN = new Set(['maxSize', 'idleTimeout']);
const KNOWN_GET = new Set(['signal']);

/** Validate `new ConnectionCache()`'s options; a bad one is a TypeError naming it. */
export function normalizeCacheOptions(options: unknown): NormalizedCacheOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) badOption('options', 'an object', options);
  const o = options as Record<string, unknown>;
  checkKnownKeys(o, KNOWN, 'new ConnectionCache()');
  const { maxSize = DEFAULT_MAX_SIZE, idleTimeout } = o;
  if (typeof maxSize !== 'number' || !Number.isInteger(maxSize) || maxSize < 1) badOption('maxSize', 'a whole number >= 1', maxSize);
  if (idleTimeout !== undefined && (typeof idleTimeout !== 'number' || Number.isNaN(idleTimeout) || idleTimeout < 0 || (idleTimeout > MAX_TIMER_MS && idleTimeout !== Infinity))) {
    badOption('idleTimeout', 'a number of milliseconds from 0 to 2147483647 (0 or Infinity: never)', idleTimeout);
  }
  return { maxSize, idleTimeout: idleTimeout === 0 || idleTimeout === Infinity ? undefined : (idleTimeout as number | undefined) };
}

/** Validate a `get()` / `acquire()` call's options. */
export function normalizeGetOptions(options: unknown): AbortSignal | undefined {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) badOption('options', 'an object', options);
  checkKnownKeys(options, KNOWN_GET, 'a ConnectionCache get() or acquire()');
  return optSignal('signal', (options as Record<string, unknown>).signal);
}
