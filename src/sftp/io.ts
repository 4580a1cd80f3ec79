import { encodeRead, encodeWriteParts } from './messages.js';
import { protocolError } from './packet.js';
import type { RequestContext, SftpSession } from './session.js';

/** How many requests a bulk operation keeps in flight, and how big each is. */
export interface Pipelining {
  chunkSize: number;
  concurrency: number;
}

interface Slot {
  offset: number;
  length: number;
  reply: Promise<Buffer | null>;
  /** Where the reply's data goes, if the reader was given buffers. */
  dest: Buffer | undefined;
}

/**
 * Reads a file handle in order with `concurrency` READ requests in flight. A short reply is
 * completed by a new request for the rest, put first in line; end of file stops the reading
 * (replies still in flight past it are dropped).
 *
 * With `take`, each request of `chunkSize` bytes brings a buffer of that size from it, and
 * the data is copied there as it arrives (see {@link SftpSession.data}): the views `read()`
 * returns are of those buffers, and a buffer is the caller's to reuse once the view that
 * ends it has been read and used (see {@link BufferPool}).
 */
export class ChunkReader {
  #queue: Slot[] = [];
  #next: number;
  #eof = false;

  constructor(
    private readonly session: SftpSession,
    private readonly handle: Buffer,
    private readonly ctx: RequestContext,
    private readonly p: Pipelining,
    start = 0,
    /** Exclusive end, or undefined: to end of file. */
    private readonly end: number | undefined = undefined,
    /** A buffer of at least `chunkSize` bytes for the next request (see above). */
    private readonly take: (() => Buffer) | undefined = undefined,
  ) {
    this.#next = start;
  }

  /** The offset of the next byte `read()` returns. */
  get position(): number {
    return this.#queue[0]?.offset ?? this.#next;
  }

  #request(offset: number, length: number, dest: Buffer | undefined): Slot {
    const reply = this.session.data((id) => encodeRead(id, this.handle, offset, length), this.ctx, dest);
    reply.catch(() => {});
    return { offset, length, reply, dest };
  }

  #fill(): void {
    while (!this.#eof && this.#queue.length < this.p.concurrency && (this.end === undefined || this.#next < this.end)) {
      const length = this.end === undefined ? this.p.chunkSize : Math.min(this.p.chunkSize, this.end - this.#next);
      this.#queue.push(this.#request(this.#next, length, this.take?.().subarray(0, length)));
      this.#next += length;
    }
  }

  /** The next bytes in order (the data of one reply), or null at the end. */
  async read(): Promise<Buffer | null> {
    this.#fill();
    const head = this.#queue.shift();
    if (!head) return null;
    let data: Buffer | null;
    try {
      data = await head.reply;
    } catch (e) {
      this.stop();
      throw e;
    }
    const n = data === null ? 0 : data.length;
    if (n === 0) {
      this.stop();
      return null;
    }
    if (n > head.length) {
      this.stop();
      throw protocolError(`the server sent ${n} bytes for a read of ${head.length}`, { operation: this.ctx.operation });
    }
    // The rest of a short reply goes on in the same buffer, right after what came.
    if (n < head.length) this.#queue.unshift(this.#request(head.offset + n, head.length - n, head.dest?.subarray(n)));
    this.#fill();
    return data;
  }

  /** Stop reading: no new requests, the replies in flight are dropped. */
  stop(): void {
    this.#eof = true;
    this.#queue.length = 0;
  }
}

/**
 * Writes to a file handle with up to `concurrency` WRITE requests in flight. The first
 * failure is thrown by the next `write()` or by `flush()`.
 */
export class ChunkWriter {
  #inFlight = 0;
  /** Called when a write settles: the `write()` and `flush()` calls waiting for one. */
  #waiters: Array<() => void> = [];
  #error: unknown;
  #failed = false;

  constructor(
    private readonly session: SftpSession,
    private readonly handle: Buffer,
    private readonly ctx: RequestContext,
    private readonly concurrency: number,
  ) {}

  /** Wait until a write settles. */
  #settled(): Promise<void> {
    return new Promise((r) => this.#waiters.push(r));
  }

  /**
   * Queue a write of `data` at `offset`; resolves once there is room for another, with
   * `acked`, a promise that settles when this write is acknowledged (it never rejects: failures are
   * thrown by the next `write()` or `flush()`).
   */
  async write(offset: number, data: Uint8Array): Promise<{ acked: Promise<void> }> {
    if (this.#failed) throw this.#error;
    while (this.#inFlight >= this.concurrency) {
      await this.#settled();
      if (this.#failed) throw this.#error;
    }
    this.#inFlight++;
    const settle = () => {
      this.#inFlight--;
      for (const wake of this.#waiters.splice(0)) wake();
    };
    const acked = this.session.status((id) => encodeWriteParts(id, this.handle, offset, data), this.ctx).then(settle, (e: unknown) => {
      if (!this.#failed) [this.#failed, this.#error] = [true, e];
      settle();
    });
    return { acked };
  }

  /** Wait for every write; throws the first failure. */
  async flush(): Promise<void> {
    while (this.#inFlight > 0) await this.#settled();
    if (this.#failed) throw this.#error;
  }
}

/** What a {@link BufferPool} may keep besides the buffers in use. */
export interface BufferPoolOptions {
  /** Free bytes kept at most; a buffer released beyond that is left to the GC (default: no limit). */
  maxFreeBytes?: number;
  /** After this many ms without a take or a release, the free buffers are dropped (default: never). */
  idleMs?: number;
}

/**
 * Buffers of one size, used over and over: touching fresh memory costs more than copying
 * into memory already in use (a 255 KiB buffer is above glibc's mmap threshold, so a new
 * one is fresh pages, faulted in one by one). Each has an ArrayBuffer of its own, so a view
 * tells which buffer it is part of.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];
  readonly #mine = new WeakSet<ArrayBufferLike>();
  readonly #maxFree: number;
  readonly #idleMs: number | undefined;
  #idle: NodeJS.Timeout | undefined;
  #made = 0;

  constructor(
    readonly size: number,
    options: BufferPoolOptions = {},
  ) {
    this.#maxFree = Math.floor((options.maxFreeBytes ?? Infinity) / size);
    this.#idleMs = options.idleMs;
  }

  /** Buffers made so far (the pool's memory is at most `made * size`). */
  get made(): number {
    return this.#made;
  }

  /** Buffers free for the next takes. */
  get free(): number {
    return this.#free.length;
  }

  /** A buffer of `size` bytes, free for the caller's use. */
  readonly take = (): Buffer => {
    this.#touch();
    const free = this.#free.pop();
    if (free) return free;
    this.#made++;
    const b = Buffer.allocUnsafeSlow(this.size);
    this.#mine.add(b.buffer);
    return b;
  };

  /** Give back the pool's buffer that `view` ends (whose last byte is the buffer's last); other views are ignored. */
  release(view: Buffer): void {
    const ab = view.buffer;
    if (view.byteOffset + view.length !== ab.byteLength || !this.#mine.has(ab)) return;
    this.#touch();
    if (this.#free.length < this.#maxFree) this.#free.push(Buffer.from(ab, 0, ab.byteLength));
  }

  /** (Re)start the idle timer: unref'd, it never keeps the process alive. */
  #touch(): void {
    if (this.#idleMs === undefined) return;
    if (this.#idle) this.#idle.refresh();
    else {
      this.#idle = setTimeout(() => {
        this.#idle = undefined;
        this.#free.length = 0;
      }, this.#idleMs);
      this.#idle.unref();
    }
  }
}

/** Free bytes the shared pools keep per buffer size ({@link sharedBufferPool}). */
export const SHARED_POOL_MAX_FREE_BYTES = 16 * 1024 * 1024;
/** How long the shared pools keep free buffers after their last use. */
export const SHARED_POOL_IDLE_MS = 5000;
const sharedPools = new Map<number, BufferPool>();

/**
 * The process's pool of `size`-byte buffers, shared by every bulk download of that chunk
 * size: a download after another (a directory, a batch of files) reuses the buffers the one
 * before faulted in. It keeps at most {@link SHARED_POOL_MAX_FREE_BYTES} free, and drops them
 * after {@link SHARED_POOL_IDLE_MS} without use.
 */
export function sharedBufferPool(size: number): BufferPool {
  let pool = sharedPools.get(size);
  if (!pool) sharedPools.set(size, (pool = new BufferPool(size, { maxFreeBytes: SHARED_POOL_MAX_FREE_BYTES, idleMs: SHARED_POOL_IDLE_MS })));
  return pool;
}

/** Split `data` into pieces of at most `size` bytes (views, no copy). */
export function* pieces(data: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, Math.min(data.length, i + size));
}
