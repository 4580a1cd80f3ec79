import type { Readable, Writable } from 'node:stream';
import { AbortError, ErrorCode, OpenSSHError, SftpError, TimeoutError } from '../errors/index.js';
import type { Attributes } from './attrs.js';
import { FX, FXP, STATUS_NAMES, STATUS_SYSCALL_CODES } from './constants.js';
import { encodeInit, encodeOneString, type NameEntry, type SftpResponse } from './messages.js';
import { protocolError } from './packet.js';
import { displayPath } from './paths.js';
import { DEFAULT_MAX_PACKET_LENGTH, PacketReceiver } from './receiver.js';

/**
 * A byte channel to an SFTP server: what the spawn engine's `ssh -s sftp` process gives (its
 * stdout and stdin), or any other engine's channel. Nothing else is assumed of it.
 */
export interface SftpTransport {
  /** Bytes from the server (its 'end', 'close' and 'error' events end the session). */
  readonly readable: Readable;
  /**
   * Instead of `readable`'s 'data' events: the transport calls `receive` with each chunk it
   * reads, a view that is only valid during the call (the session copies what it keeps). For
   * a socket read into one buffer used over and over (`net`'s `onread`), which spares the
   * allocation of fresh memory for every read. Before each read it may ask `place()` where
   * the bytes should go (at most that many; undefined: its own buffer), and then pass a view
   * of that place: the session keeps them there without a copy.
   */
  subscribe?(receive: (chunk: Buffer) => void, place: () => Uint8Array | undefined): void;
  /** Bytes to the server; ending it closes the session. */
  readonly writable: Writable;
  /** Settles once the channel is gone; a rejection becomes the `cause` of the errors of pending requests. */
  readonly done?: Promise<unknown>;
  /** Tear the channel down at once (close() uses it when the server does not exit). */
  destroy?(): void;
}

/** What a request is about, for its errors. */
export interface RequestContext {
  operation: string;
  path?: Uint8Array | string | undefined;
  destination?: Uint8Array | string | undefined;
  signal?: AbortSignal | undefined;
  /** Milliseconds to wait for the reply. */
  timeout?: number | undefined;
}

interface Pending {
  resolve(r: SftpResponse): void;
  reject(e: Error): void;
  ctx: RequestContext;
  /** Where the data of an SSH_FXP_DATA reply goes (see {@link SftpSession.data}). */
  dest?: Buffer | undefined;
}

/** Where an error of `ctx` points. */
function where(ctx: RequestContext): { operation: string; path?: string | Buffer; destination?: string | Buffer } {
  return {
    operation: ctx.operation,
    ...(ctx.path !== undefined ? { path: displayPath(ctx.path) } : {}),
    ...(ctx.destination !== undefined ? { destination: displayPath(ctx.destination) } : {}),
  };
}

function describe(ctx: RequestContext): string {
  const p = (v: Uint8Array | string) => JSON.stringify(typeof v === 'string' ? v : Buffer.from(v).toString('utf8'));
  if (ctx.path === undefined) return ctx.operation;
  return ctx.destination === undefined ? `${ctx.operation} ${p(ctx.path)}` : `${ctx.operation} ${p(ctx.path)} -> ${p(ctx.destination)}`;
}

/** The SftpError of a failure status. `syscallCode` may be refined by the caller (EEXIST...). */
export function statusError(ctx: RequestContext, status: number, serverMessage: string, syscallCode?: string): SftpError {
  const statusName = STATUS_NAMES[status] ?? `status ${status}`;
  const sys = syscallCode ?? STATUS_SYSCALL_CODES[status] ?? 'EIO';
  const said = serverMessage && serverMessage !== 'Success' ? `: ${serverMessage}` : '';
  return new SftpError(ErrorCode.SFTP_STATUS, `${sys}: ${describe(ctx)} failed with SFTP status ${statusName}${said}`, {
    ...where(ctx),
    status,
    statusName,
    serverMessage,
    syscallCode: sys,
  });
}

/** An `OSSH_SFTP_UNSUPPORTED` error for an extension the server does not offer. */
export function unsupported(operation: string, extension: string, path?: Uint8Array | string): SftpError {
  return new SftpError(ErrorCode.SFTP_UNSUPPORTED, `${operation}: the SFTP server does not offer the ${extension} extension`, {
    ...where({ operation, path }),
  });
}

/** Per signal, the requests waiting on it: one 'abort' listener per signal, however many requests share it. */
const watchers = new WeakMap<AbortSignal, Set<() => void>>();

/** Call `fn` when `signal` aborts; returns the function that stops watching. */
function watchAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = watchers.get(signal);
  if (!set) {
    const fresh = new Set<() => void>();
    watchers.set(signal, (set = fresh));
    signal.addEventListener('abort', () => {
      watchers.delete(signal);
      for (const f of [...fresh]) f();
    }, { once: true });
  }
  const s = set;
  s.add(fn);
  return () => void s.delete(fn);
}

/** Options of {@link SftpSession.start}. */
export interface SessionOptions {
  maxPacketLength?: number | undefined;
  signal?: AbortSignal | undefined;
  timeout?: number | undefined;
}

/**
 * The request machinery of one SFTP session: ids, many requests in flight, replies matched
 * back, and a dead channel failing everything pending. Methods of the typed client sit on
 * top (`Sftp`).
 */
export class SftpSession {
  /** The server's protocol version (3). */
  version = 0;
  /** The extensions the server announced: name → version. */
  readonly extensions = new Map<string, string>();
  readonly #transport: SftpTransport;
  readonly #receiver: PacketReceiver;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #error: SftpError | undefined;
  #closing = false;
  #idle: Array<() => void> = [];
  #versionWaiter: Pending | undefined;

  private constructor(transport: SftpTransport, maxPacketLength: number) {
    this.#transport = transport;
    this.#receiver = new PacketReceiver((id) => this.#pending.get(id)?.dest, maxPacketLength);
    const { readable, writable } = transport;
    if (transport.subscribe) transport.subscribe((chunk) => this.#onData(chunk), () => (this.#error ? undefined : this.#receiver.place()));
    else readable.on('data', (chunk: Buffer) => this.#onData(chunk));
    readable.on('end', () => this.#lost('the SFTP server closed the channel'));
    readable.on('close', () => this.#lost('the SFTP channel closed'));
    readable.on('error', (e) => this.#lost(`reading the SFTP channel failed: ${e.message}`, e));
    writable.on('error', (e) => this.#lost(`writing to the SFTP channel failed: ${e.message}`, e));
  }

  /** Send INIT over `transport` and resolve once the server's VERSION came. */
  static async start(transport: SftpTransport, options: SessionOptions = {}): Promise<SftpSession> {
    const s = new SftpSession(transport, options.maxPacketLength ?? DEFAULT_MAX_PACKET_LENGTH);
    const ctx: RequestContext = { operation: 'init', signal: options.signal, timeout: options.timeout };
    const reply = await new Promise<SftpResponse>((resolve, reject) => {
      s.#versionWaiter = { resolve, reject, ctx };
      s.#guard(s.#versionWaiter, () => (s.#versionWaiter = undefined));
      s.#write(encodeInit());
    }).catch((e: unknown) => {
      s.destroy();
      // A channel that died before the VERSION reply: its own error says why (no such subsystem...).
      if (e instanceof SftpError && e.code === ErrorCode.SFTP_CLOSED && e.cause instanceof OpenSSHError) throw e.cause;
      throw e;
    });
    if (reply.type !== 'version') throw protocolError('the first packet was not SSH_FXP_VERSION');
    s.version = reply.version;
    for (const [k, v] of reply.extensions) s.extensions.set(k, v);
    if (reply.version < 3) {
      s.destroy();
      throw protocolError(`the server speaks SFTP version ${reply.version}; version 3 is needed`);
    }
    return s;
  }

  /** The error that ended the session, if it has ended. */
  get error(): SftpError | undefined {
    return this.#error;
  }

  /** Requests in flight. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Whether the server announced `name` (with `version`, when given). */
  has(name: string, version?: string): boolean {
    const v = this.extensions.get(name);
    return v !== undefined && (version === undefined || v === version);
  }

  #write(packet: Buffer | readonly Uint8Array[]): void {
    if (this.#error) return;
    const w = this.#transport.writable;
    if (Buffer.isBuffer(packet)) {
      w.write(packet);
      return;
    }
    w.cork();
    for (const part of packet) w.write(part);
    w.uncork();
  }

  /** Arm the timeout and the abort signal of a request; `drop` forgets it when either fires. */
  #guard(p: Pending, drop: () => void): void {
    const { signal, timeout } = p.ctx;
    if (!signal && timeout === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    let unwatch: (() => void) | undefined;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      unwatch?.();
    };
    const fail = (e: Error) => {
      cleanup();
      drop();
      p.reject(e);
    };
    const onAbort = () => fail(new AbortError(`the SFTP request ${describe(p.ctx)} was aborted: ${String(signal!.reason)}`, { cause: signal!.reason }));
    if (signal?.aborted) return onAbort();
    if (signal) unwatch = watchAbort(signal, onAbort);
    if (timeout !== undefined) {
      timer = setTimeout(() => fail(new TimeoutError('deadline', timeout, `the SFTP request ${describe(p.ctx)} got no reply within ${timeout} ms (timeout)`)), timeout);
    }
    const { resolve, reject } = p;
    p.resolve = (r) => (cleanup(), resolve(r));
    p.reject = (e) => (cleanup(), reject(e));
  }

  /**
   * Send the packet `build(id)` makes and resolve with the server's reply. The data of an
   * SSH_FXP_DATA reply is copied into `dest` when it fits (the reply's `data` is then a view of it).
   */
  request(build: (id: number) => Buffer | readonly Uint8Array[], ctx: RequestContext, dest?: Buffer): Promise<SftpResponse> {
    if (this.#error) return Promise.reject(this.#closedError(ctx));
    if (this.#closing) return Promise.reject(new SftpError(ErrorCode.SFTP_CLOSED, `${describe(ctx)}: the SFTP session is closing`, where(ctx)));
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) >>> 0;
    return new Promise<SftpResponse>((resolve, reject) => {
      const p: Pending = { resolve, reject, ctx, dest };
      this.#pending.set(id, p);
      // An abandoned request keeps its id until the reply comes: a late handle is closed.
      this.#guard(p, () => this.#pending.set(id, { ctx, reject: () => {}, resolve: (r) => this.#discard(r) }));
      this.#write(build(id));
    });
  }

  /** A reply nobody waits for any more: close a handle it opened. */
  #discard(r: SftpResponse): void {
    if (r.type === 'handle') void this.request((id) => encodeOneString(FXP.CLOSE, id, r.handle), { operation: 'close' }).catch(() => {});
  }

  #closedError(ctx: RequestContext): SftpError {
    const e = this.#error!;
    if (e.code !== ErrorCode.SFTP_CLOSED) return e;
    return new SftpError(ErrorCode.SFTP_CLOSED, `${describe(ctx)}: ${e.message}`, { ...where(ctx), cause: e.cause });
  }

  #onData(chunk: Buffer): void {
    if (this.#error) return;
    let packets: SftpResponse[];
    try {
      packets = this.#receiver.push(chunk);
    } catch (e) {
      return this.#fatal(e as SftpError);
    }
    for (const m of packets) {
      if (m.type === 'version') {
        const w = this.#versionWaiter;
        if (!w) return this.#fatal(protocolError('SSH_FXP_VERSION after the session started'));
        this.#versionWaiter = undefined;
        w.resolve(m);
        continue;
      }
      const p = this.#pending.get(m.id);
      if (!p) return this.#fatal(protocolError(`a reply to request ${m.id}, which is not in flight`));
      this.#pending.delete(m.id);
      p.resolve(m);
    }
    if (this.#pending.size === 0) for (const f of this.#idle.splice(0)) f();
  }

  /** The server broke the protocol: nothing more can be trusted; fail everything. */
  #fatal(e: SftpError): void {
    this.#failAll(e);
    this.#transport.destroy?.();
  }

  #failAll(e: SftpError): void {
    if (this.#error) return;
    this.#error = e;
    const w = this.#versionWaiter;
    this.#versionWaiter = undefined;
    w?.reject(e.code === ErrorCode.SFTP_CLOSED ? this.#closedError(w.ctx) : e);
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(e.code === ErrorCode.SFTP_CLOSED ? this.#closedError(p.ctx) : e);
    for (const f of this.#idle.splice(0)) f();
  }

  /** The channel is gone: fail everything pending, with the channel's own error as cause. */
  #lost(why: string, err?: Error): void {
    if (this.#error || this.#lostStarted) return;
    this.#lostStarted = true;
    const done = this.#transport.done;
    const settle = (cause: unknown) => {
      const tail = cause instanceof Error ? ` (${cause.message.split('\n')[0]})` : '';
      const msg = this.#closing && this.#pending.size === 0 ? 'the SFTP session is closed' : `${why}${tail}`;
      this.#failAll(new SftpError(ErrorCode.SFTP_CLOSED, msg, { cause: cause ?? err }));
    };
    if (!done) return settle(err);
    // Wait (briefly) for the channel's own verdict: a MasterError or CommandError says why.
    let timer: NodeJS.Timeout | undefined;
    void Promise.race([
      done.then(() => err, (e: unknown) => e),
      new Promise((r) => (timer = setTimeout(() => r(err), 1000))),
    ]).then((cause) => {
      clearTimeout(timer);
      settle(cause);
    });
  }
  #lostStarted = false;

  /**
   * End the session: new requests are refused, those in flight are answered, then the
   * channel is closed (and destroyed if the server does not let go within `graceMs`).
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.#closing) return this.#closed;
    this.#closing = true;
    this.#closed = (async () => {
      if (this.#pending.size > 0 && !this.#error) await new Promise<void>((r) => this.#idle.push(r));
      if (!this.#error) this.#transport.writable.end();
      const done = this.#transport.done;
      if (!done) return this.#failAll(new SftpError(ErrorCode.SFTP_CLOSED, 'the SFTP session is closed'));
      let timer: NodeJS.Timeout | undefined;
      const exited = await Promise.race([done.then(() => true, () => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
      clearTimeout(timer);
      if (!exited) this.#transport.destroy?.();
      this.#failAll(new SftpError(ErrorCode.SFTP_CLOSED, 'the SFTP session is closed'));
    })();
    return this.#closed;
  }
  #closed: Promise<void> = Promise.resolve();

  /** Tear the channel down now; everything pending fails with `OSSH_SFTP_CLOSED`. */
  destroy(): void {
    this.#closing = true;
    this.#failAll(new SftpError(ErrorCode.SFTP_CLOSED, 'the SFTP session was destroyed'));
    this.#transport.destroy?.();
  }

  // ---- typed replies ----

  /** A request answered by SSH_FXP_STATUS OK. */
  async status(build: (id: number) => Buffer | readonly Uint8Array[], ctx: RequestContext): Promise<void> {
    const r = await this.request(build, ctx);
    if (r.type === 'status' && r.status === FX.OK) return;
    throw this.#unexpected(r, ctx, 'a status');
  }

  /** A request answered by SSH_FXP_HANDLE. */
  async handle(build: (id: number) => Buffer, ctx: RequestContext): Promise<Buffer> {
    const r = await this.request(build, ctx);
    if (r.type === 'handle') return r.handle;
    throw this.#unexpected(r, ctx, 'a handle');
  }

  /**
   * A read: the data, or null at end of file. With `dest`, data that fits is copied there and
   * the result is a view of it; `dest` must not be used for anything else until this settles
   * (nor after a timeout or an abort: a reply under way may still be copied into it).
   */
  async data(build: (id: number) => Buffer, ctx: RequestContext, dest?: Buffer): Promise<Buffer | null> {
    const r = await this.request(build, ctx, dest);
    if (r.type === 'data') return r.data;
    if (r.type === 'status' && r.status === FX.EOF) return null;
    throw this.#unexpected(r, ctx, 'data');
  }

  /** SSH_FXP_NAME entries, or null at the end of a listing. */
  async names(build: (id: number) => Buffer, ctx: RequestContext): Promise<NameEntry[] | null> {
    const r = await this.request(build, ctx);
    if (r.type === 'name') return r.entries;
    if (r.type === 'status' && r.status === FX.EOF) return null;
    throw this.#unexpected(r, ctx, 'names');
  }

  /** SSH_FXP_ATTRS. */
  async attrs(build: (id: number) => Buffer, ctx: RequestContext): Promise<Attributes> {
    const r = await this.request(build, ctx);
    if (r.type === 'attrs') return r.attrs;
    throw this.#unexpected(r, ctx, 'attributes');
  }

  /** SSH_FXP_EXTENDED_REPLY's data. */
  async extended(build: (id: number) => Buffer, ctx: RequestContext): Promise<Buffer> {
    const r = await this.request(build, ctx);
    if (r.type === 'extended-reply') return r.data;
    throw this.#unexpected(r, ctx, 'an extended reply');
  }

  #unexpected(r: SftpResponse, ctx: RequestContext, wanted: string): SftpError {
    if (r.type === 'status') return statusError(ctx, r.status, r.message);
    return protocolError(`${describe(ctx)}: expected ${wanted}, the server sent ${r.type}`, { operation: ctx.operation });
  }
}
