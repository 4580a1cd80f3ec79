import { MuxProtocolError } from '../errors/index.js';

/**
 * Splits a byte stream into uint32-length-prefixed frames (both the mux control protocol and
 * proxy mode frame every message that way). Pure and incremental: feed chunks as they arrive,
 * get whole frame bodies back. A frame longer than `maxFrame` is a protocol error (never an
 * unbounded buffer).
 */
export class FrameSplitter {
  #pending: Buffer[] = [];
  #pendingLength = 0;

  constructor(
    /** Largest body accepted, in bytes. */
    readonly maxFrame: number,
    /** Names the stream in error messages. */
    readonly what = 'mux connection',
  ) {}

  /** Bytes received that do not yet form a whole frame. */
  get buffered(): number {
    return this.#pendingLength;
  }

  /** Add a chunk; returns every frame body it completes (views of the input: copy to keep). */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length === 0) return [];
    let buf: Buffer;
    if (this.#pendingLength === 0) {
      buf = chunk;
    } else {
      this.#pending.push(chunk);
      this.#pendingLength += chunk.length;
      // Only join once the frame under way is complete (no copy per chunk of a big frame).
      const head = this.#pending[0]!.length >= 4 ? this.#pending[0]! : Buffer.concat(this.#pending, Math.min(4, this.#pendingLength));
      if (head.length >= 4 && this.#pendingLength < 4 + this.#check(head.readUInt32BE(0))) return [];
      buf = Buffer.concat(this.#pending, this.#pendingLength);
      this.#pending = [];
      this.#pendingLength = 0;
    }
    const frames: Buffer[] = [];
    let pos = 0;
    while (buf.length - pos >= 4) {
      const len = this.#check(buf.readUInt32BE(pos));
      if (buf.length - pos - 4 < len) break;
      frames.push(buf.subarray(pos + 4, pos + 4 + len));
      pos += 4 + len;
    }
    if (pos < buf.length) {
      // Keep a copy: the caller may reuse `chunk`.
      const rest = Buffer.from(buf.subarray(pos));
      this.#pending = [rest];
      this.#pendingLength = rest.length;
    }
    return frames;
  }

  #check(len: number): number {
    if (len > this.maxFrame) throw new MuxProtocolError('malformed', `${this.what}: a frame of ${len} bytes is longer than the ${this.maxFrame} allowed`);
    return len;
  }
}
