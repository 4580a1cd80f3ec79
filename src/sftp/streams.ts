import { Readable, Writable } from 'node:stream';
import type { Sftp } from './client.js';
import type { RequestOptions, SftpFileHandle } from './file-handle.js';
import { ChunkReader, ChunkWriter, pieces } from './io.js';

/** Options of `createReadStream()`. */
export interface ReadStreamOptions extends RequestOptions {
  /** First byte to read (default 0). */
  start?: number;
  /** Last byte to read, inclusive, as in Node's `fs.createReadStream` (default: to the end). */
  end?: number;
  /** Reads kept in flight (default: the session's `concurrency`). */
  concurrency?: number;
  /** Bytes per read (default: the session's `chunkSize`). */
  chunkSize?: number;
  /** The stream's buffer (default: `chunkSize * concurrency`). */
  highWaterMark?: number;
}

/** Options of `createWriteStream()`. */
export interface WriteStreamOptions extends RequestOptions {
  /** Open flags (default `'w'`; `'r+'` to write into an existing file, `'a'` to append). */
  flags?: string;
  /** Offset of the first byte written (default 0). */
  start?: number;
  /** Permission bits of a file it creates. */
  mode?: number;
  /** Writes kept in flight (default: the session's `concurrency`). */
  concurrency?: number;
  /** The stream's buffer before `write()` returns false (default: the session's `chunkSize`). */
  highWaterMark?: number;
}

function optCount(method: string, name: string, v: unknown, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TypeError(`option '${name}' of ${method}() must be an integer >= ${min}, received ${String(v)}`);
  return v;
}

/** A Readable over pipelined reads; destroying it closes the handle. */
export function createReadStream(sftp: Sftp, path: Buffer, o: ReadStreamOptions = {}): Readable {
  const start = optCount('createReadStream', 'start', o.start, 0) ?? 0;
  const end = optCount('createReadStream', 'end', o.end, 0);
  if (end !== undefined && end < start) throw new RangeError(`option 'end' of createReadStream() (${end}) is before 'start' (${start})`);
  const chunkSize = optCount('createReadStream', 'chunkSize', o.chunkSize, 1) ?? sftp.settings.chunkSize;
  const concurrency = optCount('createReadStream', 'concurrency', o.concurrency, 1) ?? sftp.settings.concurrency;
  let fh: SftpFileHandle | undefined;
  let reader: ChunkReader | undefined;
  return new Readable({
    highWaterMark: o.highWaterMark ?? chunkSize * concurrency,
    async construct(cb) {
      try {
        fh = await sftp.open(path, 'r', undefined, o);
        reader = new ChunkReader(sftp.session, fh.handle, { operation: 'read', path, signal: o.signal, timeout: o.timeout }, { chunkSize, concurrency }, start, end === undefined ? undefined : end + 1);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    async read() {
      try {
        const c = await reader!.read();
        if (c === null) this.push(null);
        else this.push(c);
      } catch (e) {
        this.destroy(e as Error);
      }
    },
    destroy(err, cb) {
      reader?.stop();
      if (!fh || fh.closed || sftp.session.error) return cb(err);
      fh.close().then(() => cb(err), (e: Error) => cb(err ?? e));
    },
  });
}

/** A Writable over pipelined writes; its `'finish'` comes once every write is acknowledged. */
export function createWriteStream(sftp: Sftp, path: Buffer, o: WriteStreamOptions = {}): Writable {
  let offset = optCount('createWriteStream', 'start', o.start, 0) ?? 0;
  const concurrency = optCount('createWriteStream', 'concurrency', o.concurrency, 1) ?? sftp.settings.concurrency;
  const flags = o.flags ?? (o.start ? 'r+' : 'w');
  let fh: SftpFileHandle | undefined;
  let writer: ChunkWriter | undefined;
  const put = async (data: Uint8Array) => {
    for (const piece of pieces(data, sftp.settings.chunkSize)) {
      await writer!.write(offset, piece);
      offset += piece.length;
    }
  };
  return new Writable({
    highWaterMark: o.highWaterMark ?? sftp.settings.chunkSize,
    async construct(cb) {
      try {
        fh = await sftp.open(path, flags, o.mode, o);
        writer = new ChunkWriter(sftp.session, fh.handle, { operation: 'write', path, signal: o.signal, timeout: o.timeout }, concurrency);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    write(chunk: Buffer, _enc, cb) {
      put(chunk).then(() => cb(), cb);
    },
    writev(chunks, cb) {
      put(Buffer.concat(chunks.map((c) => c.chunk as Buffer))).then(() => cb(), cb);
    },
    final(cb) {
      writer!
        .flush()
        .then(() => fh!.close())
        .then(() => cb(), cb);
    },
    destroy(err, cb) {
      if (!fh || fh.closed || sftp.session.error) return cb(err);
      fh.close().then(() => cb(err), (e: Error) => cb(err ?? e));
    },
  });
}
