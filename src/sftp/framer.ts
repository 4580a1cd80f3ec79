import { protocolError } from './packet.js';

/** The largest packet accepted from a server by default (OpenSSH sends at most 256 KiB). */
export const DEFAULT_MAX_PACKET_LENGTH = 4 * 1024 * 1024;

/**
 * Cuts a byte stream into SFTP packets (`uint32 length` + payload). A length above
 * `maxLength` (or zero) is an `OSSH_SFTP_PROTOCOL` error thrown from `push()`: memory stays
 * bounded whatever the server sends.
 */
export class PacketFramer {
  #chunks: Buffer[] = [];
  #size = 0;
  #want = -1;

  constructor(readonly maxLength = DEFAULT_MAX_PACKET_LENGTH) {}

  /** Bytes held for an incomplete packet. */
  get buffered(): number {
    return this.#size;
  }

  /** Feed bytes; returns the payloads of the packets they complete, in order. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
    }
    for (;;) {
      if (this.#want < 0) {
        if (this.#size < 4) break;
        const len = this.#take(4).readUInt32BE(0);
        if (len === 0 || len > this.maxLength) {
          throw protocolError(`the server sent a packet of ${len} bytes (the limit is ${this.maxLength}, and a packet has at least a type byte)`);
        }
        this.#want = len;
      }
      if (this.#size < this.#want) break;
      out.push(this.#take(this.#want));
      this.#want = -1;
    }
    return out;
  }

  #take(n: number): Buffer {
    const first = this.#chunks[0]!;
    let v: Buffer;
    if (first.length >= n) {
      v = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      v = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.#chunks[0]!;
        const k = Math.min(c.length, n - at);
        c.copy(v, at, 0, k);
        at += k;
        if (k === c.length) this.#chunks.shift();
        else this.#chunks[0] = c.subarray(k);
      }
    }
    this.#size -= n;
    return v;
  }
}
