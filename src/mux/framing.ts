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

  /**
   * Add a chunk; returns every frame body it completes. Frames are views of `chunk` (or of a
   * copy joining the pieces of a frame split across chunks), and a trailing partial frame is
   * kept as a view of `chunk`: never reuse a chunk after pushing it (Node's socket chunks are
   * fresh buffers). Only a frame split across chunks is copied, once.
   */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length === 0) return [];
    const frames: Buffer[] = [];
    let pos = 0;
    if (this.#pendingLength > 0) {
      // Complete the frame under way with the start of this chunk: the header first...
      if (this.#pendingLength < 4) {
        const take = Math.min(4 - this.#pendingLength, chunk.length);
        this.#add(chunk.subarray(0, take));
        pos = take;
        if (this.#pendingLength < 4) return frames;
      }
      const head = this.#pending[0]!.length >= 4 ? this.#pending[0]! : Buffer.concat(this.#pending, 4);
      const total = 4 + this.#check(head.readUInt32BE(0));
      // ...then its body: only the bytes it still needs.
      const take = Math.min(total - this.#pendingLength, chunk.length - pos);
      if (take > 0) this.#add(chunk.subarray(pos, pos + take));
      pos += take;
      if (this.#pendingLength < total) return frames;
      const whole = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingLength);
      this.#pending = [];
      this.#pendingLength = 0;
      frames.push(whole.subarray(4));
    }
    while (chunk.length - pos >= 4) {
      const len = this.#check(chunk.readUInt32BE(pos));
      if (chunk.length - pos - 4 < len) break;
      frames.push(chunk.subarray(pos + 4, pos + 4 + len));
      pos += 4 + len;
    }
    if (pos < chunk.length) this.#add(chunk.subarray(pos));
    return frames;
  }

  #add(piece: Buffer): void {
    this.#pending.push(piece);
    this.#pendingLength += piece.length;
  }

  #check(len: number): number {
    if (len > this.maxFrame) throw new MuxProtocolError('malformed', `${this.what}: a frame of ${len} bytes is longer than the ${this.maxFrame} allowed`);
    return len;
  }
}
