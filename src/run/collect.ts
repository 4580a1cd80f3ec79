import { constants } from 'node:buffer';

/**
 * One captured output stream, kept in memory up to a limit (`maxBuffer`). Past the limit it
 * keeps exactly `limit` bytes, drops the rest and reports the overflow once, so the caller
 * can stop the slave. The limit never exceeds the largest Buffer Node can make, so joining
 * the chunks can never throw.
 */
export class Collector {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #overflowed = false;
  /** The effective limit in bytes. */
  readonly limit: number;

  constructor(maxBuffer: number) {
    this.limit = Math.min(maxBuffer, constants.MAX_LENGTH);
  }

  /** Bytes kept so far. */
  get size(): number {
    return this.#size;
  }

  /** Whether the stream went past the limit. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  /**
   * Keep `chunk`, or the part of it that fits. Returns true exactly once: on the chunk that
   * goes past the limit.
   */
  push(chunk: Buffer): boolean {
    if (this.#overflowed) return false;
    if (chunk.length <= this.limit - this.#size) {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
      return false;
    }
    const room = this.limit - this.#size;
    if (room > 0) this.#chunks.push(chunk.subarray(0, room));
    this.#size += room;
    this.#overflowed = true;
    return true;
  }

  /** Everything kept, as one Buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.#chunks, this.#size);
  }
}
