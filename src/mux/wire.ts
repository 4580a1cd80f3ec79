import { MuxProtocolError } from '../errors/index.js';

/**
 * SSH wire types (RFC 4251 section 5): byte, boolean, uint32, string, name-list. Pure:
 * {@link WireWriter} builds a Buffer, {@link WireReader} parses one and throws a
 * {@link MuxProtocolError} (reason `malformed`) on anything short or out of range, never a
 * RangeError.
 */

/** Largest uint32. */
export const UINT32_MAX = 0xffff_ffff;

/** One strict decoder for every string read (decode() without `stream` keeps no state). */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Appends SSH wire values; `finish()` returns the bytes. */
export class WireWriter {
  #parts: Buffer[] = [];
  #length = 0;

  /** A byte (0-255). */
  byte(v: number): this {
    checkUint(v, 0xff, 'byte');
    return this.#push(Buffer.of(v));
  }

  /** A boolean: one byte, 0 or 1. */
  bool(v: boolean): this {
    return this.#push(Buffer.of(v ? 1 : 0));
  }

  /** A big-endian uint32. */
  uint32(v: number): this {
    checkUint(v, UINT32_MAX, 'uint32');
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(v, 0);
    return this.#push(b);
  }

  /** A string: uint32 length then the bytes (a JS string is written as UTF-8). */
  string(v: string | Uint8Array): this {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    this.uint32(b.length);
    return this.#push(b);
  }

  /** A name-list: comma-separated US-ASCII names in a string. Names may not be empty or hold commas. */
  nameList(names: readonly string[]): this {
    for (const n of names) {
      if (n === '' || n.includes(',') || !/^[\x21-\x7e]+$/.test(n)) throw new TypeError(`name-list entries must be non-empty printable ASCII without commas, received ${JSON.stringify(n)}`);
    }
    return this.string(names.join(','));
  }

  /** Raw bytes, no length. */
  raw(b: Uint8Array): this {
    return this.#push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }

  /** The bytes written so far. */
  finish(): Buffer {
    return this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#length);
  }

  #push(b: Buffer): this {
    this.#parts.push(b);
    this.#length += b.length;
    return this;
  }
}

function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new TypeError(`${what} must be an integer from 0 to ${max}, received ${String(v)}`);
}

/** Reads SSH wire values from a Buffer; every read checks the bytes are there. */
export class WireReader {
  #pos = 0;
  constructor(
    private readonly buf: Buffer,
    /** Names the message in error messages. */
    private readonly what: string,
  ) {}

  /** Bytes not yet read. */
  get remaining(): number {
    return this.buf.length - this.#pos;
  }

  byte(): number {
    this.#need(1, 'byte');
    return this.buf[this.#pos++]!;
  }

  /** A boolean; any non-zero byte is true (RFC 4251). */
  bool(): boolean {
    return this.byte() !== 0;
  }

  uint32(): number {
    this.#need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }

  /** A string's bytes (a view into the packet: copy it to keep it). */
  bytes(): Buffer {
    const n = this.uint32();
    this.#need(n, `string of ${n} bytes`);
    const b = this.buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return b;
  }

  /** A string decoded as UTF-8; invalid UTF-8 is a protocol error. */
  string(): string {
    const b = this.bytes();
    try {
      return UTF8.decode(b);
    } catch {
      throw new MuxProtocolError('malformed', `${this.what}: a string is not valid UTF-8`);
    }
  }

  /** A name-list. */
  nameList(): string[] {
    const s = this.string();
    return s === '' ? [] : s.split(',');
  }

  /** Everything left. */
  rest(): Buffer {
    const b = this.buf.subarray(this.#pos);
    this.#pos = this.buf.length;
    return b;
  }

  /** Fail unless every byte was read. */
  end(): void {
    if (this.remaining !== 0) throw new MuxProtocolError('malformed', `${this.what}: ${this.remaining} unexpected trailing bytes`);
  }

  #need(n: number, what: string): void {
    if (this.buf.length - this.#pos < n) {
      throw new MuxProtocolError('malformed', `${this.what}: truncated (a ${what} needs ${n} bytes, ${this.buf.length - this.#pos} left)`);
    }
  }
}
