import { statfs, type FileHandle } from 'node:fs/promises';
import { writeSync, writevSync } from 'node:fs';

/**
 * Filesystems (statfs `f_type`, Linux) whose writes land in the page cache and return at once:
 * ext2/3/4, XFS, Btrfs, tmpfs, F2FS, ZFS, overlayfs. Not NFS, CIFS, FUSE (sshfs...) or anything
 * else, where a write may wait on a server.
 */
export const LOCAL_FS_TYPES: ReadonlySet<number> = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994, 0xf2f52010, 0x2fc12fc1, 0x794c7630]);

/** A synchronous write slower than this makes the rest of the download write through the thread pool. */
export const SLOW_WRITE_MS = 10;

/** How a {@link LocalSink} writes now: on the event loop, or through libuv's thread pool. */
export type SinkMode = 'sync' | 'async';

/** Writes chunks at a position of an open local file, every byte (a short write goes on from where it stopped). */
export interface LocalSink {
  (chunks: Buffer[], position: number): Promise<void>;
  /** How the next write is made. */
  readonly mode: SinkMode;
}

/** Options of {@link localSink} (for tests). */
export interface LocalSinkOptions {
  /** Leave out the synchronous writes. */
  async?: boolean;
  /** See {@link SLOW_WRITE_MS}. */
  slowMs?: number;
}

/**
 * How fastGet() writes its local file. Synchronously, on the event loop, where that cannot
 * wait: a regular file, on Linux, on a filesystem of {@link LOCAL_FS_TYPES}, while each
 * write (one chunk, up to 256 KiB: a copy into the page cache) takes less than
 * {@link SLOW_WRITE_MS}. Anything else, and the rest of a download once a write was slow
 * (writeback throttling a fast download to a slow disk), goes through the thread pool.
 *
 * Why: a thread-pool write costs two thread switches and a wakeup of the event loop, for
 * each chunk. On the benchmark VM (2 vCPU), in four one-off comparisons of 8 to 14
 * interleaved 512 MiB downloads, the median was 0.84x to 0.92x OpenSSH's `sftp` with
 * thread-pool writes and 0.90x to 0.97x with synchronous ones (docs/sftp.md, Performance).
 */
export async function localSink(fh: FileHandle, path: string | Buffer, o: LocalSinkOptions = {}): Promise<LocalSink> {
  let sync = !o.async && process.platform === 'linux' && (await onLocalFs(fh, path));
  const slowMs = o.slowMs ?? SLOW_WRITE_MS;
  const sink = async (chunks: Buffer[], position: number): Promise<void> => {
    if (sync) {
      const t0 = performance.now();
      const n = writevSync(fh.fd, chunks, position);
      for (const [c, off, at] of rest(chunks, n, position)) for (let k = off; k < c.length; ) k += writeSync(fh.fd, c, k, c.length - k, at + k - off);
      if (performance.now() - t0 >= slowMs) sync = false;
      return;
    }
    const { bytesWritten } = await fh.writev(chunks, position);
    for (const [c, off, at] of rest(chunks, bytesWritten, position)) for (let k = off; k < c.length; ) k += (await fh.write(c, k, c.length - k, at + k - off)).bytesWritten;
  };
  return Object.defineProperty(sink, 'mode', { get: () => (sync ? 'sync' : 'async') }) as LocalSink;
}

/**
 * What a short write of `n` bytes (at `position`) left: each chunk not written whole, with
 * the offset in it to go on from and the file position of that offset. Regular files write
 * short only when something is wrong (a full disk); the next write then says what.
 */
function* rest(chunks: Buffer[], n: number, position: number): Generator<[Buffer, number, number]> {
  let at = position;
  for (const c of chunks) {
    const done = Math.min(c.length, Math.max(0, n - (at - position)));
    if (done < c.length) yield [c, done, at + done];
    at += c.length;
  }
}

/** Whether `fh` is a regular file on a filesystem of {@link LOCAL_FS_TYPES}. Asked for each file: a device number can be a FUSE mount's today and was a tmpfs's yesterday. */
async function onLocalFs(fh: FileHandle, path: string | Buffer): Promise<boolean> {
  const st = await fh.stat();
  if (!st.isFile()) return false;
  return statfs(path).then((s) => LOCAL_FS_TYPES.has(s.type), () => false);
}
