import { constants as fsc } from 'node:fs';
import { lstat, mkdir, open as openLocal, readdir, readlink, stat as statLocal, symlink } from 'node:fs/promises';
import type { TransferProgress } from '../transfer/progress.js';
import type { Sftp } from './client.js';
import type { RequestOptions } from './file-handle.js';
import { ChunkReader, ChunkWriter, sharedBufferPool, type Pipelining } from './io.js';
import { localSink } from './local-file.js';
import { displayPath, isUtf8, joinBytes } from './paths.js';
import { SftpError } from '../errors/index.js';

/** Options of `fastGet()` / `fastPut()`. */
export interface FastTransferOptions extends RequestOptions {
  /**
   * Requests kept in flight (default: the session's `readConcurrency` for fastGet, 8 MiB worth
   * of chunks; its `concurrency` for fastPut, 4 MiB worth).
   */
  concurrency?: number;
  /** Bytes per request (default: what the server allows, up to 255 KiB; 32 KiB without limits@openssh.com). */
  chunkSize?: number;
  /** Progress reports, the shape scp/rsync transfers give: bytes, totalBytes, percent, rate, done. */
  onProgress?: (p: TransferProgress) => void;
  /**
   * Go on from where an earlier, interrupted transfer stopped: the bytes the target already
   * has (its size) are kept, the rest is copied. `true` for that; a number to start at that offset.
   */
  resume?: boolean | number;
  /** Permission bits of the file created (default: the source's). */
  mode?: number;
}

/** Options of `downloadDir()` / `uploadDir()`. */
export interface DirTransferOptions extends FastTransferOptions {
  /**
   * Which entries to copy: called with the path relative to the top (always `/`-separated;
   * a Buffer for a remote name that is not UTF-8) and whether it is a directory. A directory
   * left out is not descended into.
   */
  filter?: (relativePath: string | Buffer, isDirectory: boolean) => boolean;
  /** Files copied at the same time (default 4). */
  parallel?: number;
}

function count(method: string, name: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new TypeError(`option '${name}' of ${method}() must be an integer from ${min} to ${max}, received ${String(v)}`);
  return v;
}

/**
 * Check fastGet/fastPut's options at once; the pipelining they ask for. Downloads (`reads`)
 * default to the session's `readConcurrency`, uploads to its `concurrency`.
 */
export function checkFast(sftp: Sftp, method: string, o: FastTransferOptions | undefined, reads: boolean): Pipelining {
  const concurrency = count(method, 'concurrency', o?.concurrency, 1, 1024) ?? (reads ? sftp.settings.readConcurrency : sftp.settings.concurrency);
  const chunkSize = count(method, 'chunkSize', o?.chunkSize, 1, 16 * 1024 * 1024) ?? sftp.settings.chunkSize;
  if (o?.onProgress !== undefined && typeof o.onProgress !== 'function') throw new TypeError(`option 'onProgress' of ${method}() must be a function, received ${typeof o.onProgress}`);
  if (o?.resume !== undefined && typeof o.resume !== 'boolean') count(method, 'resume', o.resume, 0, Number.MAX_SAFE_INTEGER);
  return { concurrency, chunkSize };
}

/** Progress reports at most every 100 ms, plus the last one. */
function progress(file: string, total: number | undefined, start: number, cb?: (p: TransferProgress) => void) {
  const t0 = Date.now();
  let last = 0;
  let bytes = start;
  const emit = (done: boolean) => {
    const secs = (Date.now() - t0) / 1000;
    const percent = total ? Math.min(100, Math.floor((bytes * 100) / total)) : total === 0 ? 100 : undefined;
    cb!({ file, bytes, totalBytes: total, percent, rate: secs > 0 ? Math.round((bytes - start) / secs) : undefined, done });
  };
  return {
    add(n: number) {
      bytes += n;
      if (!cb) return;
      const now = Date.now();
      if (now - last >= 100) {
        last = now;
        emit(false);
      }
    },
    done() {
      if (cb) emit(true);
    },
  };
}

/** fastGet(): pipelined reads into a local file (positional writes). */
export async function fastGet(sftp: Sftp, remote: Buffer, local: string | Buffer, o: FastTransferOptions | undefined, p: Pipelining): Promise<void> {
  await using fh = await sftp.open(remote, 'r', undefined, o);
  const st = await fh.stat(o);
  let start = 0;
  if (o?.resume === true) start = await statLocal(local).then((s) => s.size, () => 0);
  else if (typeof o?.resume === 'number') start = o.resume;
  // A target longer than the source is cut to the source's size, not extended.
  if (st.size !== undefined) start = Math.min(start, st.size);
  const out = await openLocal(local, start > 0 ? fsc.O_WRONLY | fsc.O_CREAT : 'w', o?.mode ?? (st.mode ?? 0o644) & 0o777);
  try {
    if (start > 0) await out.truncate(start);
    const prog = progress(String(displayPath(remote)), st.size, start, o?.onProgress);
    // Each READ's data is copied into a buffer of the pool as it arrives, written to the file
    // from there, and the buffer used again: the memory is touched once, not per request. The
    // pool is the process's for this chunk size, so the next download reuses these buffers.
    const pool = sharedBufferPool(p.chunkSize);
    const reader = new ChunkReader(sftp.session, fh.handle, { operation: 'fastGet', path: remote, signal: o?.signal, timeout: o?.timeout }, p, start, undefined, pool.take);
    const writes = new BatchWriter(await localSink(out, local), (c) => pool.release(c), start);
    try {
      for (let c = await reader.read(); c !== null; c = await reader.read()) {
        prog.add(c.length);
        await writes.add(c);
      }
      await writes.end();
    } finally {
      reader.stop();
      await writes.settled();
    }
    prog.done();
  } finally {
    await out.close();
  }
}

/** What a {@link BatchWriter} holds at most, besides the write under way: `add()` waits beyond. */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/**
 * The most a {@link BatchWriter} writes at once (but always a whole chunk): one 255 KiB chunk
 * of OpenSSH's server, or several smaller ones. Larger writes were the slow ones: on the
 * benchmark machine (a VM), a 512 MiB fastGet that wrote what had come in batches of 1 to
 * 8 MiB spent 450 to 950 ms in the kernel, against about 200 ms written chunk by chunk; `dd`
 * of 512 MiB took 0.13-0.16 s with 32 KiB blocks every time, up to 1.3 s with 1 MiB blocks.
 */
export const WRITE_BYTES = 256 * 1024;

/**
 * Writes consecutive chunks at increasing positions, one write at a time: each starts as
 * soon as the one before has finished, with what came meanwhile, up to `writeBytes` (see
 * {@link localSink} for how the bytes reach the file).
 * `add()` waits while `maxBytes` are already waiting, so a slow disk holds less than
 * `maxBytes` + `writeBytes` + a chunk. Each chunk is handed to `done` once it is written.
 */
export class BatchWriter {
  #queue: Buffer[] = [];
  #queued = 0;
  #at: number;
  #writing: Promise<void> | undefined;
  #writingBytes = 0;
  #failed: { e: unknown } | undefined;

  constructor(
    private readonly write: (chunks: Buffer[], position: number) => Promise<unknown>,
    private readonly done: (chunk: Buffer) => void,
    start: number,
    private readonly maxBytes = MAX_BATCH_BYTES,
    private readonly writeBytes = WRITE_BYTES,
  ) {
    this.#at = start;
  }

  /** Bytes handed to `add()` and not yet written (waiting, or being written). */
  get held(): number {
    return this.#queued + this.#writingBytes;
  }

  #check(): void {
    if (this.#failed) throw this.#failed.e;
  }

  /** Queue `chunk`, written after everything added before; resolves once there is room for more. */
  async add(chunk: Buffer): Promise<void> {
    this.#check();
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (!this.#writing) this.#next();
    else if (this.#queued >= this.maxBytes) {
      await this.#writing;
      this.#check();
    }
  }

  /** Start the next write: the chunks at the head of the queue, up to `writeBytes` (at least one). */
  #next(): void {
    let k = 0;
    let n = 0;
    while (k < this.#queue.length && (k === 0 || n + this.#queue[k]!.length <= this.writeBytes)) n += this.#queue[k++]!.length;
    const chunks = this.#queue.splice(0, k);
    const pos = this.#at;
    this.#queued -= n;
    this.#writingBytes = n;
    this.#at += n;
    this.#writing = this.write(chunks, pos).then(
      () => {
        for (const c of chunks) this.done(c);
      },
      (e: unknown) => void (this.#failed ??= { e }),
    ).finally(() => {
      this.#writing = undefined;
      this.#writingBytes = 0;
      // What came meanwhile goes at once; a failure stops the writing.
      if (this.#queue.length > 0 && !this.#failed) this.#next();
    });
  }

  /** Write what is left; throws the first failure. */
  async end(): Promise<void> {
    while (this.#writing) await this.#writing;
    this.#check();
  }

  /** Wait for the write under way, if any (never throws). */
  async settled(): Promise<void> {
    while (this.#writing) await this.#writing;
  }
}

/** fastPut(): a local file read in chunks, written with pipelined requests. */
export async function fastPut(sftp: Sftp, local: string | Buffer, remote: Buffer, o: FastTransferOptions | undefined, p: Pipelining): Promise<void> {
  const input = await openLocal(local, 'r');
  try {
    const st = await input.stat();
    let start = 0;
    if (o?.resume === true) {
      start = await sftp.stat(remote, o).then((s) => s.size ?? 0, (e: unknown) => {
        if (e instanceof SftpError && e.syscallCode === 'ENOENT') return 0;
        throw e;
      });
    } else if (typeof o?.resume === 'number') start = o.resume;
    start = Math.min(start, st.size);
    await using fh = await sftp.open(remote, start > 0 ? 'r+' : 'w', o?.mode ?? st.mode & 0o777, o);
    if (start > 0) await fh.truncate(start, o);
    const prog = progress(local.toString(), st.size, start, o?.onProgress);
    const w = new ChunkWriter(sftp.session, fh.handle, { operation: 'fastPut', path: remote, signal: o?.signal, timeout: o?.timeout }, p.concurrency);
    // Local reads in big blocks, the next one read while the current one is sent. The WRITE
    // requests send slices of the blocks as they are, so a block is reused only once the
    // server has acknowledged every write from it (fresh memory is slow to touch).
    const block = Math.max(p.chunkSize, Math.min(8 * 1024 * 1024, Math.ceil((4 * 1024 * 1024) / p.chunkSize) * p.chunkSize));
    const ring = Array.from({ length: Math.ceil((p.concurrency * p.chunkSize) / block) + 2 }, () => ({ buf: undefined as Buffer | undefined, acked: Promise.resolve() }));
    let slot = 0;
    const readBlock = (pos: number) => {
      const s = ring[slot]!;
      slot = (slot + 1) % ring.length;
      const r = s.acked.then(() => input.read((s.buf ??= Buffer.allocUnsafe(block)), 0, block, pos)).then((x) => ({ s, data: x.buffer.subarray(0, x.bytesRead) }));
      r.catch(() => {}); // awaited below; not an unhandled rejection if a write fails first
      return r;
    };
    let at = start;
    let next = readBlock(at);
    for (;;) {
      const { s, data } = await next;
      if (data.length === 0) break;
      next = readBlock(at + data.length);
      const acks: Array<Promise<unknown>> = [];
      for (let i = 0; i < data.length; i += p.chunkSize) {
        const piece = data.subarray(i, Math.min(data.length, i + p.chunkSize));
        acks.push((await w.write(at, piece)).acked);
        at += piece.length;
        prog.add(piece.length);
      }
      s.acked = Promise.all(acks).then(() => undefined, () => undefined);
    }
    await w.flush();
    prog.done();
  } finally {
    await input.close();
  }
}

/** Run `jobs` with at most `n` at a time; the first failure is thrown once all have settled. */
async function limited(n: number, jobs: Array<() => Promise<void>>): Promise<void> {
  let i = 0;
  let failure: { e: unknown } | undefined;
  const worker = async () => {
    while (i < jobs.length && !failure) {
      const job = jobs[i++]!;
      await job().catch((e: unknown) => void (failure ??= { e }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  if (failure) throw failure.e;
}

const rel = (b: Buffer) => (isUtf8(b) ? b.toString('utf8') : b);
const SLASH = Buffer.from('/');
const localJoin = (dir: Buffer, name: Buffer) => Buffer.concat([dir, SLASH, name]);

/** Check downloadDir/uploadDir's options at once (`reads` for downloadDir). */
export function checkDir(sftp: Sftp, method: string, o: DirTransferOptions | undefined, reads: boolean): Pipelining & { parallel: number } {
  if (o?.filter !== undefined && typeof o.filter !== 'function') throw new TypeError(`option 'filter' of ${method}() must be a function, received ${typeof o.filter}`);
  return { ...checkFast(sftp, method, o, reads), parallel: count(method, 'parallel', o?.parallel, 1, 64) ?? 4 };
}

/** downloadDir(): the remote tree walked with readdir, files copied `parallel` at a time. */
export async function downloadDir(sftp: Sftp, remote: Buffer, local: string | Buffer, o: DirTransferOptions | undefined, p: Pipelining & { parallel: number }): Promise<void> {
  const jobs: Array<() => Promise<void>> = [];
  // Local names are bytes too: Node takes a Buffer path as it is.
  const walk = async (dir: Buffer, ldir: Buffer, prefix: Buffer): Promise<void> => {
    await mkdir(ldir, { recursive: true });
    for (const e of await sftp.readdir(dir, { ...o, withFileTypes: true, encoding: 'buffer' })) {
      const relPath = prefix.length ? joinBytes(prefix, e.name) : e.name;
      const isDir = e.isDirectory();
      if (o?.filter && !o.filter(rel(relPath), isDir)) continue;
      const r = joinBytes(dir, e.name);
      const l = localJoin(ldir, e.name);
      if (isDir) await walk(r, l, relPath);
      else if (e.isSymbolicLink()) jobs.push(async () => symlink(await sftp.readlink(r, { ...o, encoding: 'buffer' }), l));
      else if (e.isFile()) jobs.push(() => fastGet(sftp, r, l, o, p));
    }
  };
  await walk(remote, Buffer.from(local), Buffer.alloc(0));
  await limited(p.parallel, jobs);
}

/** uploadDir(): the local tree walked, remote directories made, files copied `parallel` at a time. */
export async function uploadDir(sftp: Sftp, local: string | Buffer, remote: Buffer, o: DirTransferOptions | undefined, p: Pipelining & { parallel: number }): Promise<void> {
  const jobs: Array<() => Promise<void>> = [];
  const walk = async (ldir: Buffer, dir: Buffer, prefix: Buffer): Promise<void> => {
    await sftp.mkdir(dir, { ...o, recursive: true });
    for (const name of await readdir(ldir, { encoding: 'buffer' })) {
      const l = localJoin(ldir, name);
      const st = await lstat(l);
      const relPath = prefix.length ? joinBytes(prefix, name) : name;
      if (o?.filter && !o.filter(rel(relPath), st.isDirectory())) continue;
      const r = joinBytes(dir, name);
      if (st.isDirectory()) await walk(l, r, relPath);
      else if (st.isSymbolicLink()) jobs.push(async () => sftp.symlink(await readlink(l, { encoding: 'buffer' }), r, o));
      else if (st.isFile()) jobs.push(() => fastPut(sftp, l, r, o, p));
    }
  };
  await walk(Buffer.from(local), remote, Buffer.alloc(0));
  await limited(p.parallel, jobs);
}
