import { FXP } from './constants.js';
import { decodeResponse, type SftpResponse } from './messages.js';
import { protocolError } from './packet.js';

/** The largest packet accepted from a server by default (OpenSSH sends at most 256 KiB). */
export const DEFAULT_MAX_PACKET_LENGTH = 4 * 1024 * 1024;

/** `uint32 length`, `byte type`, `uint32 id`, `uint32 data length`: the head of an SSH_FXP_DATA packet. */
const DATA_HEAD = 13;
/** A DATA packet this large (or larger) says a bulk read is under way (see {@link PacketReceiver.place}). */
const STREAMING_DATA = 16 * 1024;

/**
 * Cuts the server's byte stream into packets and decodes them, copying what it keeps: the
 * chunks pushed may be views of one buffer the transport reuses for every read. The data of
 * an SSH_FXP_DATA reply is copied straight into the buffer its request brought (`target`),
 * when there is one that is large enough, so a bulk download moves each byte once, into
 * memory that is used over and over; any other packet is copied into a buffer of its own.
 *
 * A transport that can read into a buffer of our choosing asks {@link place} where the next
 * bytes go: the rest of the packet being filled, so that its bytes are read where they are
 * kept and `push()` has nothing to copy (a bulk download's data then lands in its target
 * buffer straight from the socket).
 *
 * A length above `maxLength` (or zero) and anything malformed are `OSSH_SFTP_PROTOCOL`
 * errors thrown from `push()`: memory stays bounded whatever the server sends.
 */
export class PacketReceiver {
  /** The head of the packet being read (its length, then a DATA packet's type, id and data length). */
  readonly #head = Buffer.alloc(DATA_HEAD);
  #headLen = 0;
  /** The payload being filled (a packet other than DATA), or the data of a DATA packet. */
  #body: Buffer | undefined;
  #bodyAt = 0;
  /** A DATA packet's id while its data is being filled. */
  #dataId = -1;
  /** Whether the last packet was a large DATA packet: the next one likely is too (a bulk download). */
  #streaming = false;
  /** Where a head is read when the next packet is likely DATA (see {@link place}). */
  readonly #headScratch = Buffer.alloc(DATA_HEAD);

  constructor(
    /** Where the data of a reply to request `id` goes, if its request brought a buffer. */
    private readonly target: (id: number) => Buffer | undefined = () => undefined,
    readonly maxLength = DEFAULT_MAX_PACKET_LENGTH,
  ) {}

  /** Bytes held for an incomplete packet. */
  get buffered(): number {
    return this.#headLen + this.#bodyAt;
  }

  /**
   * Where the transport's next read should put its bytes, or undefined for anywhere (its own
   * buffer). Inside a packet: the rest of it, so the bytes need no copy. Between packets,
   * during a bulk download: just the head of a DATA packet, so that its data is read into its
   * target once the head has told which it is. Bytes read into the place given are then
   * `push()`ed as a view of it (a read may stop short of it; it never goes beyond).
   */
  place(): Uint8Array | undefined {
    if (this.#body !== undefined) return this.#body.subarray(this.#bodyAt);
    if (this.#streaming) return this.#headScratch.subarray(0, DATA_HEAD - this.#headLen);
    return undefined;
  }

  /** Feed bytes (only read during the call); returns the packets they complete, decoded, in order. */
  push(chunk: Uint8Array): SftpResponse[] {
    const out: SftpResponse[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.#body === undefined) {
        at = this.#readHead(chunk, at);
        if (this.#body === undefined) continue;
      }
      const body = this.#body;
      const n = Math.min(body.length - this.#bodyAt, chunk.length - at);
      if (n > 0) {
        // Read in place (see place()): already where it belongs.
        const inPlace = chunk.buffer === body.buffer && chunk.byteOffset + at === body.byteOffset + this.#bodyAt;
        if (!inPlace) body.set(n === chunk.length && at === 0 ? chunk : chunk.subarray(at, at + n), this.#bodyAt);
        this.#bodyAt += n;
        at += n;
      }
      if (this.#bodyAt === body.length) out.push(this.#finish(body));
    }
    return out;
  }

  /** Take head bytes from `chunk` at `at`; once the head is complete, choose the body. Returns the new position. */
  #readHead(chunk: Uint8Array, at: number): number {
    const head = this.#head;
    // The length first; then, to tell a DATA packet, its type; then its id and data length.
    const want = this.#headLen < 4 ? 4 : this.#headLen < 5 ? 5 : DATA_HEAD;
    const n = Math.min(want - this.#headLen, chunk.length - at);
    head.set(chunk.subarray(at, at + n), this.#headLen);
    this.#headLen += n;
    at += n;
    if (this.#headLen < want) return at;
    const len = head.readUInt32BE(0);
    if (want === 4) {
      if (len === 0 || len > this.maxLength) {
        throw protocolError(`the server sent a packet of ${len} bytes (the limit is ${this.maxLength}, and a packet has at least a type byte)`);
      }
      return at;
    }
    if (want === 5) {
      if (head[4] === FXP.DATA && len >= DATA_HEAD - 4) return at;
      // Any other packet: its whole payload, type byte included, in a buffer of its own.
      this.#body = Buffer.allocUnsafe(len);
      this.#body[0] = head[4]!;
      this.#bodyAt = 1;
      return at;
    }
    const id = head.readUInt32BE(5);
    const dataLen = head.readUInt32BE(9);
    const total = len + 4;
    if (dataLen !== total - DATA_HEAD) {
      throw protocolError(
        dataLen > total - DATA_HEAD ? `packet too short: a string of ${dataLen} bytes needs ${dataLen} bytes at offset 9, the packet has ${len}` : `${total - DATA_HEAD - dataLen} unexpected bytes after a data packet`,
      );
    }
    const dest = this.target(id);
    this.#body = dest !== undefined && dest.length >= dataLen ? dest.subarray(0, dataLen) : Buffer.allocUnsafe(dataLen);
    this.#bodyAt = 0;
    this.#dataId = id;
    return at;
  }

  #finish(body: Buffer): SftpResponse {
    const id = this.#dataId;
    this.#streaming = id >= 0 && body.length >= STREAMING_DATA;
    this.#body = undefined;
    this.#bodyAt = 0;
    this.#headLen = 0;
    this.#dataId = -1;
    return id >= 0 ? { type: 'data', id, data: body } : decodeResponse(body);
  }
}
