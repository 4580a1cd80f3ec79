import { randomBytes } from 'node:crypto';
import type { Sftp } from './client.js';
import { EXT } from './constants.js';
import { openFlags, type RequestOptions } from './file-handle.js';
import { ChunkReader, ChunkWriter, pieces } from './io.js';
import { basenameBytes, dirnameBytes, joinBytes } from './paths.js';
import { unsupported } from './session.js';

/** Options of `readFile()`. */
export interface ReadFileOptions extends RequestOptions {
  /** Decode the content (a Buffer without). */
  encoding?: BufferEncoding;
}

/** Options of `writeFile()`. */
export interface WriteFileOptions extends RequestOptions {
  /** Permission bits of a file it creates (default 0o666, less the server's umask). */
  mode?: number;
  /** Open flags (default `'w'`); `'wx'` fails with EEXIST when the file exists. */
  flags?: string;
  /** Encoding of string data (default utf8). */
  encoding?: BufferEncoding;
  /** Write to a temporary name in the same directory, then rename it over the path. */
  atomic?: boolean;
}

function bytesOf(data: string | Uint8Array, encoding: BufferEncoding | undefined, method: string): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, encoding ?? 'utf8');
  if (data instanceof Uint8Array) return data;
  throw new TypeError(`argument 'data' of ${method}() must be a string, a Buffer or a Uint8Array, received ${data === null ? 'null' : typeof data}`);
}

/** readFile(): pipelined reads to end of file. */
export async function readFile(sftp: Sftp, path: Buffer, o?: ReadFileOptions): Promise<Buffer | string> {
  await using fh = await sftp.open(path, 'r', undefined, o);
  const reader = new ChunkReader(sftp.session, fh.handle, { operation: 'readFile', path, signal: o?.signal, timeout: o?.timeout }, { chunkSize: sftp.settings.chunkSize, concurrency: sftp.settings.readConcurrency });
  const chunks: Buffer[] = [];
  for (let c = await reader.read(); c !== null; c = await reader.read()) chunks.push(c);
  const all = Buffer.concat(chunks);
  return o?.encoding ? all.toString(o.encoding) : all;
}

async function writeAll(sftp: Sftp, path: Buffer, bytes: Uint8Array, flags: string, o: WriteFileOptions | undefined, operation: string): Promise<void> {
  await using fh = await sftp.open(path, flags, o?.mode, o);
  const w = new ChunkWriter(sftp.session, fh.handle, { operation, path, signal: o?.signal, timeout: o?.timeout }, sftp.settings.concurrency);
  let at = 0;
  for (const piece of pieces(bytes, sftp.settings.chunkSize)) {
    await w.write(at, piece);
    at += piece.length;
  }
  await w.flush();
}

/** writeFile(): pipelined writes; `atomic` goes through a temporary name and a rename. */
export function writeFile(sftp: Sftp, path: Buffer, data: string | Uint8Array, o?: WriteFileOptions): Promise<void> {
  openFlags(o?.flags ?? 'w', 'writeFile');
  return writeBytes(sftp, path, bytesOf(data, o?.encoding, 'writeFile'), o);
}

async function writeBytes(sftp: Sftp, path: Buffer, bytes: Uint8Array, o?: WriteFileOptions): Promise<void> {
  if (!o?.atomic) return writeAll(sftp, path, bytes, o?.flags ?? 'w', o, 'writeFile');
  if (!sftp.session.has(EXT.POSIX_RENAME)) {
    throw unsupported('writeFile', EXT.POSIX_RENAME, path);
  }
  const tmp = joinBytes(dirnameBytes(path), Buffer.concat([Buffer.from('.'), basenameBytes(path), Buffer.from(`.${randomBytes(6).toString('hex')}.tmp`)]));
  try {
    await writeAll(sftp, tmp, bytes, 'wx', o, 'writeFile');
    await sftp.rename(tmp, path, { ...o, overwrite: true });
  } catch (e) {
    await sftp.unlink(tmp).catch(() => {});
    throw e;
  }
}

/** appendFile(): opened with the append flag, so the server writes at the end. */
export function appendFile(sftp: Sftp, path: Buffer, data: string | Uint8Array, o?: Omit<WriteFileOptions, 'atomic' | 'flags'>): Promise<void> {
  return writeAll(sftp, path, bytesOf(data, o?.encoding, 'appendFile'), 'a', o, 'appendFile');
}
