import { AbortError, ConnectionCacheError, MasterError } from '../errors/index.js';
import { OpenSSH } from '../openssh.js';
import type { OpenSSHOptions } from '../options/connection.js';
import { cacheKey } from './key.js';
import { normalizeCacheOptions, normalizeGetOptions, type CacheGetOptions, type ConnectionCacheOptions } from './options.js';

/**
 * A connection taken from the cache with `acquire()`: it is "in use" (never evicted nor
 * expired) until released. `using lease = await cache.acquire(...)` releases it at the end of
 * the block.
 */
export interface CacheLease extends Disposable {
  /** The connected object. */
  readonly ssh: OpenSSH;
  /** Give the connection back to the cache (it stays connected). Calling it again does nothing. */
  release(): void;
  /**
   * Take the connection out of the cache and disconnect it: at once when no other lease holds
   * it (resolves once it is closed), else when the last one is released. For a connection
   * whose state is in doubt (a cancelled or timed-out task may still be using it).
   */
  discard(): Promise<void>;
}

/** One cached connection. */
interface Entry {
  readonly key: string;
  readonly ssh: OpenSSH;
  /** The login: resolves with `ssh` once connected, rejects with its MasterError. */
  ready: Promise<OpenSSH>;
  connected: boolean;
  /** Leases not yet released. */
  leases: number;
  /** Calls waiting for this entry (its login or its alive check). */
  waiters: number;
  /** The alive check in progress, shared by concurrent calls. */
  check: Promise<boolean> | undefined;
  /** Taken out by discard() while leased: the last release disconnects it. */
  orphan: boolean;
  /** The idle-expiry timer (unref'd). */
  timer: NodeJS.Timeout | undefined;
}

/** How many times one call replaces a connection found dead before giving up. */
const MAX_ROUNDS = 3;

/**
 * A cache of live connections (Net::OpenSSH::ConnectionCache): `get(target, options)`
 * returns the connected {@link OpenSSH} for an equal target and options, logging in only when
 * there is none (see docs/connection-cache.md for what "equal" means).
 *
 * - Concurrent calls for the same key share one login. A failed login is not cached: the
 *   calls waiting for it reject with its `MasterError`, the next one tries again.
 * - A cached connection is checked (state, then an alive check over its socket) each time it is handed out; one
 *   whose master died, or that its user disconnected, is dropped and replaced by a new one.
 * - At most `maxSize` connections: a new one first disconnects the least recently used
 *   connection that is not in use (in use: logging in, leased by `acquire()`, or with
 *   commands holding or waiting for one of its sessions). When every one is in use the
 *   cache grows past `maxSize` rather than wait, and shrinks back as they are released.
 * - `idleTimeout`: a connection unused that long is disconnected (one in use then is looked
 *   at again a full period later). Timers are unref'd.
 * - `clear()` disconnects every connection; `close()` too, and refuses later calls.
 *
 * ```ts
 * await using cache = new ConnectionCache({ maxSize: 50, idleTimeout: 60_000 });
 * const ssh = await cache.get('deploy@web1', { keyPath });   // logs in
 * const again = await cache.get('deploy@web1', { keyPath }); // the same object, no login
 * ```
 */
export class ConnectionCache implements AsyncDisposable {
  /** Connections kept at most (see the class description for the overflow rule). */
  readonly maxSize: number;
  /** Idle expiry in ms, or undefined for never. */
  readonly idleTimeout: number | undefined;
  /** Insertion-ordered: the first entry is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  /** Disconnects in progress, awaited by clear() and by a login. */
  readonly #closing = new Set<Promise<void>>();
  /** Discarded while other leases held them: out of the map, still live (counted against maxSize). */
  readonly #orphans = new Set<Entry>();
  #closed = false;

  constructor(options: ConnectionCacheOptions = {}) {
    const o = normalizeCacheOptions(options);
    this.maxSize = o.maxSize;
    this.idleTimeout = o.idleTimeout;
  }

  /** Connections in the cache now, logins in progress included. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The connected `OpenSSH` for `target` and `options` (the constructor's), from the cache or
   * freshly logged in. Bad options are a TypeError thrown at once; a failed login rejects
   * with its `MasterError`; a closed cache with a `ConnectionCacheError`. Do not disconnect
   * the object yourself unless you mean it to leave the cache.
   */
  get(target: string, options: OpenSSHOptions = {}, how: CacheGetOptions = {}): Promise<OpenSSH> {
    return this.#obtain(target, options, how, false).then((e) => e.ssh);
  }

  /**
   * Like `get()`, but the connection is marked in use (never evicted nor expired) until the
   * returned lease is released: for work that holds a connection without running a command
   * all along (port forwards, tunnels, a fleet host's task).
   */
  acquire(target: string, options: OpenSSHOptions = {}, how: CacheGetOptions = {}): Promise<CacheLease> {
    return this.#obtain(target, options, how, true).then((e) => this.#lease(e));
  }

  /**
   * Disconnect every cached connection (leased ones, and discarded ones still leased, too) and
   * wait until they are gone; the cache stays usable.
   */
  async clear(): Promise<void> {
    const all = [...this.#entries.values(), ...this.#orphans];
    this.#entries.clear();
    this.#orphans.clear();
    for (const e of all) void this.#dispose(e);
    await Promise.all([...this.#closing]);
  }

  /** `clear()`, and every later `get()`/`acquire()` rejects with a `ConnectionCacheError`. */
  close(): Promise<void> {
    this.#closed = true;
    return this.clear();
  }

  /** `await using cache = new ConnectionCache()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The synchronous part (TypeErrors thrown here), then the wait. */
  #obtain(target: string, options: OpenSSHOptions, how: CacheGetOptions, lease: boolean): Promise<Entry> {
    const signal = normalizeGetOptions(how);
    const key = cacheKey(target, options);
    if ((options as { connect?: unknown }).connect === false) {
      throw new TypeError("option 'connect' cannot be false for a cached connection: the cache hands out connected objects");
    }
    if (this.#closed) return Promise.reject(closedError());
    const entry = this.#entries.get(key) ?? this.#create(key, target, options);
    entry.waiters++;
    return this.#use(entry, target, options, signal, lease);
  }

  async #use(first: Entry, target: string, options: OpenSSHOptions, signal: AbortSignal | undefined, lease: boolean): Promise<Entry> {
    let e = first;
    for (let round = 1; ; round++) {
      try {
        const fresh = !e.connected;
        const ssh = await this.#wait(e, signal);
        // Just logged in: no need to check. Otherwise one check, shared by concurrent calls.
        const alive = fresh ? ssh.state === 'running' : await (e.check ??= this.#alive(e).finally(() => (e.check = undefined)));
        if (alive && ssh.state === 'running' && this.#entries.get(e.key) === e) {
          if (lease) e.leases++;
          this.#touch(e);
          return e;
        }
      } catch (err) {
        if (this.#closed) throw closedError(err);
        throw err;
      } finally {
        e.waiters--;
      }
      // Dead, disconnected by its user, or dropped meanwhile: replace it.
      if (this.#entries.get(e.key) === e) this.#drop(e);
      if (this.#closed) throw closedError();
      if (round >= MAX_ROUNDS) {
        throw e.ssh.error ?? new MasterError('exited', `the cached connection to ${e.ssh.host} was lost ${MAX_ROUNDS} times in a row while being handed out`, { host: e.ssh.host });
      }
      e = this.#entries.get(e.key) ?? this.#create(e.key, target, options);
      e.waiters++;
    }
  }

  /** Wait for the entry's login; a cancelled wait abandons a login nobody else waits for. */
  async #wait(e: Entry, signal: AbortSignal | undefined): Promise<OpenSSH> {
    if (!signal) return e.ready;
    try {
      return await raceAbort(e.ready, signal);
    } catch (err) {
      if (!signal.aborted || err !== signal.reason) throw err;
      if (e.waiters === 1 && !e.connected && e.leases === 0 && this.#entries.get(e.key) === e) {
        this.#remove(e);
        await this.#dispose(e);
      }
      throw new AbortError(`the wait for a cached connection to ${e.ssh.host} was cancelled`, { host: e.ssh.host, cause: signal.reason });
    }
  }

  /** A new entry, logging in once the connections it displaces are closed. */
  #create(key: string, target: string, options: OpenSSHOptions): Entry {
    // connect: false: validated now (TypeErrors thrown synchronously), started below.
    const ssh = new OpenSSH(target, { ...options, connect: false });
    const e: Entry = { key, ssh, ready: undefined as unknown as Promise<OpenSSH>, connected: false, leases: 0, waiters: 0, check: undefined, orphan: false, timer: undefined };
    this.#entries.set(key, e);
    const victims = this.#victims();
    e.ready = this.#login(e, victims);
    e.ready.catch(() => {});
    return e;
  }

  async #login(e: Entry, victims: Entry[]): Promise<OpenSSH> {
    // Close what this entry displaces first (and whatever else is closing), so that live
    // masters stay within maxSize.
    await Promise.all(victims.map((v) => this.#dispose(v)));
    await Promise.all([...this.#closing]);
    if (!(await e.ssh.waitForMaster())) {
      // Not cached: the next call logs in again.
      this.#remove(e);
      const err = e.ssh.error ?? new MasterError('exited', `the connection to ${e.ssh.host} could not be established`, { host: e.ssh.host });
      await this.#dispose(e);
      throw err;
    }
    e.connected = true;
    this.#arm(e);
    return e.ssh;
  }

  /** The state, then the alive check (`MUX_C_ALIVE_CHECK`, which tears a dead master down). */
  async #alive(e: Entry): Promise<boolean> {
    if (e.ssh.state !== 'running') return false;
    try {
      await e.ssh.checkMaster();
      return true;
    } catch {
      return false;
    }
  }

  #inUse(e: Entry): boolean {
    return !e.connected || e.leases > 0 || e.waiters > 0 || e.ssh.activeSessions > 0;
  }

  /**
   * When over `maxSize`: take out the dead connections, then the least recently used ones not
   * in use, until back to `maxSize` or nothing more can go. Returns them (not yet closed).
   */
  #victims(): Entry[] {
    const out: Entry[] = [];
    const over = () => this.#entries.size + this.#orphans.size > this.maxSize;
    if (!over()) return out;
    for (const e of [...this.#entries.values()]) {
      if (e.connected && e.ssh.state !== 'running') {
        this.#remove(e);
        out.push(e);
      }
    }
    for (const e of [...this.#entries.values()]) {
      if (!over()) break;
      if (!this.#inUse(e)) {
        this.#remove(e);
        out.push(e);
      }
    }
    return out;
  }

  /** Back within maxSize if possible (after a release or an expiry). */
  #trim(): void {
    for (const v of this.#victims()) void this.#dispose(v);
  }

  /** Mark used now: most recently used, idle timer restarted. */
  #touch(e: Entry): void {
    this.#entries.delete(e.key);
    this.#entries.set(e.key, e);
    this.#arm(e);
  }

  #arm(e: Entry): void {
    clearTimeout(e.timer);
    e.timer = undefined;
    if (this.idleTimeout === undefined) return;
    e.timer = setTimeout(() => this.#expire(e), this.idleTimeout);
    e.timer.unref();
  }

  #expire(e: Entry): void {
    e.timer = undefined;
    if (this.#entries.get(e.key) !== e) return;
    if (this.#inUse(e)) {
      this.#arm(e);
      return;
    }
    this.#drop(e);
  }

  /** Out of the map (if still there) and no timer. */
  #remove(e: Entry): void {
    if (this.#entries.get(e.key) === e) this.#entries.delete(e.key);
    clearTimeout(e.timer);
    e.timer = undefined;
  }

  #drop(e: Entry): void {
    this.#remove(e);
    void this.#dispose(e);
  }

  /** Disconnect (idempotent), tracked so that clear() can wait for it. */
  #dispose(e: Entry): Promise<void> {
    clearTimeout(e.timer);
    e.timer = undefined;
    const p = e.ssh.disconnect().catch(() => {});
    this.#closing.add(p);
    void p.finally(() => this.#closing.delete(p));
    return p;
  }

  #lease(e: Entry): CacheLease {
    let held = true;
    const let_go = (): boolean => {
      if (!held) return false;
      held = false;
      e.leases--;
      return true;
    };
    const release = (): void => {
      if (!let_go()) return;
      if (e.orphan) {
        if (e.leases === 0) {
          this.#orphans.delete(e);
          void this.#dispose(e);
        }
        return;
      }
      if (this.#entries.get(e.key) !== e) return;
      this.#touch(e);
      this.#trim();
    };
    const discard = async (): Promise<void> => {
      let_go();
      this.#remove(e);
      if (e.leases > 0) {
        if (!e.orphan) this.#orphans.add(e);
        e.orphan = true;
        return;
      }
      this.#orphans.delete(e);
      await this.#dispose(e);
    };
    return { ssh: e.ssh, release, discard, [Symbol.dispose]: release };
  }
}

function closedError(cause?: unknown): ConnectionCacheError {
  return new ConnectionCacheError('the connection cache is closed', cause === undefined ? {} : { cause });
}

/** Settle with `p`, or reject with the signal's reason as soon as it aborts. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

let defaultCache: ConnectionCache | undefined;

/**
 * The process-wide cache behind `OpenSSH.cached()` (maxSize 20, no idle expiry), made on
 * first use. `await defaultConnectionCache().clear()` is Net::OpenSSH's `clean_cache`.
 */
export function defaultConnectionCache(): ConnectionCache {
  return (defaultCache ??= new ConnectionCache());
}
