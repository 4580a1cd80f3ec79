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
    return this.pushParts(chunk).map((parts) => (parts.length === 1 ? parts[0]! : Buffer.concat(parts)));
  }

  /**
   * Like `push()`, each payload as the slices of the chunks it came in (no copy: a large
   * packet spans several reads of the channel).
   */
  pushParts(chunk: Buffer): Buffer[][] {
    const out: Buffer[][] = [];
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
    }
    for (;;) {
      if (this.#want < 0) {
        if (this.#size < 4) break;
        const head = this.#take(4);
        const len = (head.length === 1 ? head[0]! : Buffer.concat(head)).readUInt32BE(0);
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

  /** The next `n` bytes as slices of the chunks held. */
  #take(n: number): Buffer[] {
    const v: Buffer[] = [];
    let at = 0;
    while (at < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.length, n - at);
      v.push(k === c.length ? c : c.subarray(0, k));
      at += k;
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    this.#size -= n;
    return v;
  }
}
