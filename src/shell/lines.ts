import type { Readable } from 'node:stream';
import type { ErrorDetails } from '../errors/index.js';
import { remoteLines } from '../run/lines.js';
import type { FrameRun } from './run-frame.js';

/** Encodings in which a line end is the byte 0x0a and nothing else contains it. */
const LINE_ENCODINGS = new Set<unknown>(['utf8', 'utf-8', 'ascii', 'latin1', 'binary']);

/** lines() needs an encoding that keeps `\n` one byte: a TypeError otherwise. */
export function checkLineEncoding(encoding: unknown): BufferEncoding {
  if (!LINE_ENCODINGS.has(encoding)) {
    throw new TypeError(`option 'encoding' of lines() must be one that keeps '\\n' a single byte ('utf8', 'ascii' or 'latin1'), received ${JSON.stringify(encoding)}`);
  }
  return encoding as BufferEncoding;
}

/** Unread stdout of a lines() call past which the session's stdout is paused (backpressure). */
const HIGH_WATER = 64 * 1024;

/**
 * How a lines() call and its session meet: the session hands stdout pieces to `onStdout` as
 * they come and records the command's frame in `run`; `cancelled` tells a call still queued
 * not to start.
 */
export interface LineStream {
  onStdout(bytes: Buffer): void;
  run: FrameRun | undefined;
  cancelled: boolean;
}

/**
 * The stdout pieces of one session command, read as an async iterable by `remoteLines()`
 * (which splits, decodes and bounds the lines). More than {@link HIGH_WATER} bytes unread
 * pause the session channel's stdout, so a slow loop holds the remote command back instead
 * of filling memory. The command's failure is thrown after the pieces before it.
 */
class ChunkFeed implements AsyncIterable<Buffer> {
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #ended = false;
  #error: unknown;
  #failed = false;
  #destroyed = false;
  #consumed = false;
  #paused: Readable | undefined;
  #wake: (() => void) | undefined;

  constructor(
    readonly stream: LineStream,
    readonly source: () => Readable | undefined,
  ) {}

  /** Whether every piece was read and the command ended well. */
  get readableEnded(): boolean {
    return this.#consumed;
  }

  push(bytes: Buffer): void {
    if (this.#destroyed) return;
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    if (this.#queued > HIGH_WATER && !this.#paused) {
      this.#paused = this.source();
      this.#paused?.pause();
    }
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  fail(error: unknown): void {
    this.#ended = this.#failed = true;
    this.#error = error;
    this.#notify();
  }

  /** The loop was left early (or a line was too long): interrupt the command. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#queue.length = 0;
    this.#resume();
    this.stream.cancelled = true;
    if (!this.#ended) this.stream.run?.stop({ kind: 'abort', reason: new Error('the loop over lines() was left') });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const chunk = this.#queue.shift();
      if (chunk) {
        this.#queued -= chunk.length;
        if (this.#queued <= HIGH_WATER / 2) this.#resume();
        yield chunk;
        continue;
      }
      if (this.#failed) throw this.#error;
      if (this.#ended) {
        this.#consumed = true;
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #resume(): void {
    const p = this.#paused;
    this.#paused = undefined;
    p?.resume();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }
}

/**
 * lines() of a session: `start` queues the command with the given stream and resolves or
 * rejects with its outcome; `source` is the session channel's stdout (paused while the loop
 * lags behind). Each line is bounded by `maxBuffer` (a longer one is a MaxBufferError and
 * interrupts the command).
 */
export function streamLines(
  start: (stream: LineStream) => Promise<unknown>,
  source: () => Readable | undefined,
  encoding: BufferEncoding,
  details: ErrorDetails,
  maxBuffer: number,
): AsyncIterableIterator<string> {
  const stream: LineStream = { onStdout: (bytes) => feed.push(bytes), run: undefined, cancelled: false };
  const feed = new ChunkFeed(stream, source);
  // Bad options throw here, at once, as on OpenSSH.lines().
  start(stream).then(
    () => feed.end(),
    (err: unknown) => feed.fail(err),
  );
  return remoteLines(feed, encoding, details, maxBuffer);
}
