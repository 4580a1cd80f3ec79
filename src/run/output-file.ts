import { writev } from 'node:fs';
import { Writable, type Readable } from 'node:stream';

/**
 * Output written to a local file or fd from Node instead of by ssh. Handed an fd, ssh (in
 * fact the master, which receives the slave's fds) ignores write errors: a full disk gives
 * exit 0 and an empty file. Written here, every error is seen: the first one is reported
 * through `onError` (the caller stops the slave) and the rest of the output is read and
 * dropped, so the process can exit.
 */
export class FdSink {
  /** Settles once everything given is written, or the first write failed. Never rejects. */
  readonly done: Promise<void>;
  #sources = 0;
  #ended = false;
  readonly #out: Writable;
  #failed = false;

  constructor(
    readonly fd: number,
    private readonly onError: (error: NodeJS.ErrnoException) => void,
  ) {
    this.#out = new Writable({
      highWaterMark: 256 * 1024,
      write: (chunk: Buffer, _enc, cb) => writeAll(fd, [chunk], cb),
      writev: (chunks, cb) => writeAll(fd, chunks.map((c) => c.chunk as Buffer), cb),
    });
    this.done = new Promise((resolve) => {
      this.#out.once('finish', resolve);
      this.#out.once('error', (err: NodeJS.ErrnoException) => {
        this.#failed = true;
        this.onError(err);
        resolve();
      });
    });
  }

  /** Call once every source is attached: with none (an engine gave no pipe), `done` settles now. */
  seal(): void {
    if (this.#sources === 0 && !this.#ended) {
      this.#ended = true;
      this.#out.end();
    }
  }

  /** Write everything `source` emits; `touch` is called for each chunk (idle timer). */
  attach(source: Readable, touch: () => void): void {
    this.#sources++;
    const out = this.#out;
    const resume = () => source.resume();
    out.on('drain', resume);
    source.on('data', (c: Buffer) => {
      touch();
      if (this.#failed || out.destroyed) return;
      if (!out.write(c)) source.pause();
    });
    // After a failure, keep reading (and dropping) so the slave is not blocked on a full pipe.
    out.once('error', resume);
    // 'close' also covers a pipe destroyed without an end (the slave was killed).
    source.once('close', () => {
      out.off('drain', resume);
      if (--this.#sources === 0 && !this.#ended) {
        this.#ended = true;
        if (!out.destroyed) out.end();
      }
    });
  }
}

/** Write all of `bufs` to `fd` (partial writes continued; EAGAIN retried for non-blocking fds). */
function writeAll(fd: number, bufs: Buffer[], cb: (error?: Error | null) => void): void {
  writev(fd, bufs, null, (err, written) => {
    if (err) {
      if (err.code === 'EAGAIN') {
        setTimeout(() => writeAll(fd, bufs, cb), 5);
        return;
      }
      cb(err);
      return;
    }
    if (written === 0 && bufs.some((b) => b.length > 0)) {
      cb(Object.assign(new Error('write returned 0 bytes'), { code: 'EIO', syscall: 'write' }));
      return;
    }
    let skip = written;
    const rest: Buffer[] = [];
    for (const b of bufs) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    if (rest.length > 0) writeAll(fd, rest, cb);
    else cb();
  });
}
