import { ErrorCode, SftpError } from '../errors/index.js';

/** A protocol violation by the server: a typed `OSSH_SFTP_PROTOCOL` error. */
export function protocolError(message: string, details: { operation?: string; cause?: unknown } = {}): SftpError {
  return new SftpError(ErrorCode.SFTP_PROTOCOL, `SFTP protocol error: ${message}`, details);
}

/**
 * Builds one SFTP packet: `uint32 length`, then the fields appended. Strings are
 * `uint32 length` + bytes (a JS string is written as UTF-8).
 */
export class PacketWriter {
  #buf: Buffer;
  #pos = 4;

  constructor(sizeHint = 64) {
    this.#buf = Buffer.allocUnsafe(Math.max(16, sizeHint + 4));
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  /** One byte. */
  byte(v: number): this {
    this.#room(1);
    this.#buf[this.#pos++] = v & 0xff;
    return this;
  }

  /** A big-endian uint32. */
  u32(v: number): this {
    this.#room(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#pos);
    this.#pos += 4;
    return this;
  }

  /** A big-endian uint64, from a non-negative safe integer or a bigint. */
  u64(v: number | bigint): this {
    this.#room(8);
    this.#buf.writeBigUInt64BE(BigInt(v), this.#pos);
    this.#pos += 8;
    return this;
  }

  /** An SSH string: uint32 length, then the bytes (a JS string as UTF-8). */
  string(v: Uint8Array | string): this {
    const len = typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
    this.#room(4 + len);
    this.#buf.writeUInt32BE(len, this.#pos);
    this.#pos += 4;
    if (typeof v === 'string') this.#buf.write(v, this.#pos, 'utf8');
    else this.#buf.set(v, this.#pos);
    this.#pos += len;
    return this;
  }

  /** Raw bytes, no length. */
  raw(v: Uint8Array): this {
    this.#room(v.length);
    this.#buf.set(v, this.#pos);
    this.#pos += v.length;
    return this;
  }

  /** The finished packet, its length field filled in. */
  finish(): Buffer {
    this.#buf.writeUInt32BE(this.#pos - 4, 0);
    return this.#buf.subarray(0, this.#pos);
  }
}

/**
 * Reads the fields of one packet's payload (without its length). Reading past the end is an
 * `OSSH_SFTP_PROTOCOL` error, never an out-of-bounds value.
 */
export class PacketReader {
  #pos = 0;
  constructor(readonly buf: Buffer) {}

  /** Bytes left. */
  get remaining(): number {
    return this.buf.length - this.#pos;
  }

  #need(n: number, what: string): void {
    if (this.#pos + n > this.buf.length) {
      throw protocolError(`packet too short: ${what} needs ${n} bytes at offset ${this.#pos}, the packet has ${this.buf.length}`);
    }
  }

  byte(): number {
    this.#need(1, 'a byte');
    return this.buf[this.#pos++]!;
  }

  u32(): number {
    this.#need(4, 'a uint32');
    const v = this.buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }

  /** A uint64 as a bigint. */
  u64Big(): bigint {
    this.#need(8, 'a uint64');
    const v = this.buf.readBigUInt64BE(this.#pos);
    this.#pos += 8;
    return v;
  }

  /** A uint64 as a number: one above 2^53 - 1 is a protocol error. */
  u64(): number {
    const v = this.u64Big();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw protocolError(`uint64 ${v} is beyond 2^53 - 1`);
    return Number(v);
  }

  /** An SSH string as bytes (a view into the packet). */
  string(): Buffer {
    const len = this.u32();
    this.#need(len, `a string of ${len} bytes`);
    const v = this.buf.subarray(this.#pos, this.#pos + len);
    this.#pos += len;
    return v;
  }

  /** An SSH string decoded as UTF-8 (for server messages and extension names). */
  text(): string {
    return this.string().toString('utf8');
  }

  /** Everything left. */
  rest(): Buffer {
    const v = this.buf.subarray(this.#pos);
    this.#pos = this.buf.length;
    return v;
  }
}
