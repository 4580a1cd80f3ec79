import { ErrorCode, SftpError } from '../errors/index.js';
import type { Attributes } from './attrs.js';
import { EXT, FXF, FXP } from './constants.js';
import { encodeExtended, encodeOneString, encodeRead, encodeSetstat, encodeWrite } from './messages.js';
import { decodeStatVfs } from './extensions.js';
import { unsupported, type SftpSession } from './session.js';
import { SftpStats, type SftpStatVfs } from './stats.js';

/** Per-request limits: every method takes them last. */
export interface RequestOptions {
  /** Cancel the request (it fails with an AbortError; a late reply is ignored). */
  signal?: AbortSignal;
  /** Milliseconds to wait for each reply (a TimeoutError after). */
  timeout?: number;
}

/** Node's open flags (`'r'`, `'r+'`, `'w'`, `'wx'`, `'w+'`, `'wx+'`, `'a'`, `'ax'`, `'a+'`, `'ax+'`) → SSH_FXF_* bits. */
export const OPEN_FLAGS: Readonly<Record<string, number>> = {
  r: FXF.READ,
  'r+': FXF.READ | FXF.WRITE,
  rs: FXF.READ,
  'rs+': FXF.READ | FXF.WRITE,
  w: FXF.WRITE | FXF.CREAT | FXF.TRUNC,
  wx: FXF.WRITE | FXF.CREAT | FXF.TRUNC | FXF.EXCL,
  'w+': FXF.READ | FXF.WRITE | FXF.CREAT | FXF.TRUNC,
  'wx+': FXF.READ | FXF.WRITE | FXF.CREAT | FXF.TRUNC | FXF.EXCL,
  a: FXF.WRITE | FXF.CREAT | FXF.APPEND,
  ax: FXF.WRITE | FXF.CREAT | FXF.APPEND | FXF.EXCL,
  'a+': FXF.READ | FXF.WRITE | FXF.CREAT | FXF.APPEND,
  'ax+': FXF.READ | FXF.WRITE | FXF.CREAT | FXF.APPEND | FXF.EXCL,
};

/** Node's flag string (or SSH_FXF_* bits as a number) → the bits; a TypeError otherwise. */
export function openFlags(flags: unknown, method: string): number {
  if (typeof flags === 'number' && Number.isInteger(flags) && flags > 0 && flags <= 0x3f) return flags;
  const v = typeof flags === 'string' ? OPEN_FLAGS[flags] : undefined;
  if (v === undefined) {
    throw new TypeError(`option 'flags' of ${method}() must be one of ${Object.keys(OPEN_FLAGS).map((k) => `'${k}'`).join(', ')} (or SSH_FXF_* bits), received ${JSON.stringify(flags)}`);
  }
  return v;
}

/**
 * An open remote file, like Node's `FileHandle`: `read`, `write`, `stat`, `truncate`,
 * `chmod`, `chown`, `utimes`, `sync` (fsync@openssh.com), `close` and `await using`. Reads
 * and writes without a position go on from where the last one ended.
 */
export class SftpFileHandle implements AsyncDisposable {
  #closed = false;
  #position = 0;

  constructor(
    readonly session: SftpSession,
    /** The server's opaque handle. */
    readonly handle: Buffer,
    /** The path opened, for errors. */
    readonly path: Buffer,
  ) {}

  #ctx(operation: string, o?: RequestOptions) {
    if (this.#closed) throw new SftpError(ErrorCode.SFTP_CLOSED, `${operation}: the file handle is closed`, { operation });
    return { operation, path: this.path, signal: o?.signal, timeout: o?.timeout };
  }

  /**
   * Read up to `length` bytes at `position` (default: where the last read ended) into
   * `buffer` at `offset`. Resolves `{ bytesRead, buffer }`; `bytesRead` 0 at end of file.
   * One request: the server may return fewer bytes than asked.
   */
  async read<B extends Uint8Array = Buffer>(buffer?: B, offset = 0, length?: number, position?: number | null, o?: RequestOptions): Promise<{ bytesRead: number; buffer: B }> {
    const buf = (buffer ?? Buffer.alloc(16384)) as B;
    const len = length ?? buf.length - offset;
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(len) || len < 0 || offset + len > buf.length) {
      throw new RangeError(`read(): offset ${offset} and length ${len} do not fit a buffer of ${buf.length} bytes`);
    }
    const pos = position ?? this.#position;
    const ctx = this.#ctx('read', o);
    if (len === 0) return { bytesRead: 0, buffer: buf };
    const data = await this.session.data((id) => encodeRead(id, this.handle, pos, len), ctx);
    const n = data === null ? 0 : Math.min(data.length, len);
    if (data !== null) buf.set(data.subarray(0, n), offset);
    if (position === undefined || position === null) this.#position = pos + n;
    return { bytesRead: n, buffer: buf };
  }

  /**
   * Write `data` (a string is UTF-8) at `position` (default: where the last write ended; a
   * file opened for appending always writes at its end). One request per call.
   */
  async write(data: Uint8Array | string, position?: number | null, o?: RequestOptions): Promise<{ bytesWritten: number }> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const pos = position ?? this.#position;
    await this.session.status((id) => encodeWrite(id, this.handle, pos, bytes), this.#ctx('write', o));
    if (position === undefined || position === null) this.#position = pos + bytes.length;
    return { bytesWritten: bytes.length };
  }

  /** SSH_FXP_FSTAT. */
  async stat(o?: RequestOptions): Promise<SftpStats> {
    return new SftpStats(await this.session.attrs((id) => encodeOneString(FXP.FSTAT, id, this.handle), this.#ctx('fstat', o)));
  }

  /** SSH_FXP_FSETSTAT with raw attributes. */
  setAttributes(attrs: Attributes, o?: RequestOptions): Promise<void> {
    return this.session.status((id) => encodeSetstat(FXP.FSETSTAT, id, this.handle, attrs), this.#ctx('fsetstat', o));
  }

  /** Set the size. */
  truncate(len = 0, o?: RequestOptions): Promise<void> {
    return this.setAttributes({ size: len }, o);
  }

  /** Set the permission bits. */
  chmod(mode: number, o?: RequestOptions): Promise<void> {
    return this.setAttributes({ mode }, o);
  }

  /** Set the owner. */
  chown(uid: number, gid: number, o?: RequestOptions): Promise<void> {
    return this.setAttributes({ uid, gid }, o);
  }

  /** Set the access and modification times (Dates, or seconds since the epoch). */
  utimes(atime: Date | number, mtime: Date | number, o?: RequestOptions): Promise<void> {
    return this.setAttributes({ atime: toSeconds(atime), mtime: toSeconds(mtime) }, o);
  }

  /** fsync(2) the file on the server (fsync@openssh.com); OSSH_SFTP_UNSUPPORTED without it. */
  async sync(o?: RequestOptions): Promise<void> {
    const ctx = this.#ctx('fsync', o);
    if (!this.session.has(EXT.FSYNC)) throw unsupported('fsync', EXT.FSYNC, this.path);
    await this.session.status((id) => encodeExtended(id, EXT.FSYNC, (w) => w.string(this.handle)), ctx);
  }

  /** statvfs(2) of the file's file system (fstatvfs@openssh.com). */
  async statvfs(o?: RequestOptions): Promise<SftpStatVfs> {
    const ctx = this.#ctx('fstatvfs', o);
    if (!this.session.has(EXT.FSTATVFS)) throw unsupported('fstatvfs', EXT.FSTATVFS, this.path);
    return decodeStatVfs(await this.session.extended((id) => encodeExtended(id, EXT.FSTATVFS, (w) => w.string(this.handle)), ctx));
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Close the handle (once; later calls resolve at once). */
  async close(o?: RequestOptions): Promise<void> {
    if (this.#closed) return;
    const ctx = this.#ctx('close', o);
    this.#closed = true;
    await this.session.status((id) => encodeOneString(FXP.CLOSE, id, this.handle), ctx);
  }

  /** `await using fh = await sftp.open(...)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.session.error) return;
    await this.close();
  }
}

/** A Date or seconds since the epoch → whole seconds (what SFTP v3 carries). */
export function toSeconds(t: Date | number): number {
  const s = t instanceof Date ? t.getTime() / 1000 : t;
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0 || s > 0xffffffff) {
    throw new TypeError(`a time must be a Date or seconds since the epoch between 0 and 2^32 - 1, received ${String(t)}`);
  }
  return Math.floor(s);
}
