import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_FS_TYPES, localSink } from '../../src/sftp/local-file.js';
import { mountTinyTmpfs, runAsRoot } from '../helpers/tiny-fs.js';

const dir = mkdtempSync(join(tmpdir(), 'osmux-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const linux = process.platform === 'linux';

describe("localSink (fastGet's local writes)", () => {
  it('writes every chunk at its position, the same synchronously and through the thread pool', async () => {
    for (const async of [false, true]) {
      const path = join(dir, `positions-${async}`);
      await using fh = await open(path, 'w');
      const sink = await localSink(fh, path, { async });
      if (async) expect(sink.mode).toBe('async');
      await sink([Buffer.from('cd'), Buffer.from('ef')], 2);
      await sink([Buffer.from('ab')], 0);
      await sink([Buffer.from('g')], 6);
      expect(readFileSync(path, 'utf8')).toBe('abcdefg');
    }
  });

  it.skipIf(!linux)('a regular file on a local filesystem is written synchronously (the temp dir as its filesystem says)', async () => {
    const path = join(dir, 'local');
    await using fh = await open(path, 'w');
    const local = LOCAL_FS_TYPES.has((await statfs(dir)).type);
    expect((await localSink(fh, path)).mode).toBe(local ? 'sync' : 'async');
  });

  it.skipIf(!linux || !existsSync('/dev/shm'))('tmpfs (/dev/shm) is local: synchronous writes', async () => {
    const shm = mkdtempSync('/dev/shm/osmux-sink-');
    try {
      const path = join(shm, 'f');
      await using fh = await open(path, 'w');
      expect((await statfs(shm)).type).toBe(0x01021994);
      const sink = await localSink(fh, path);
      expect(sink.mode).toBe('sync');
      await sink([Buffer.from('x')], 0);
      expect(readFileSync(path, 'utf8')).toBe('x');
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
  });

  it('what is not a regular file goes through the thread pool: a FIFO (a write could wait forever) and a device', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    {
      // Read and write: opening does not wait for a reader.
      await using fh = await open(fifo, 'r+');
      expect((await localSink(fh, fifo)).mode).toBe('async');
    }
    await using dev = await open('/dev/null', 'w');
    expect((await localSink(dev, '/dev/null')).mode).toBe('async');
  });

  it('a filesystem that cannot be told (statfs fails: the path is gone) goes through the thread pool', async () => {
    const path = join(dir, 'gone');
    await using fh = await open(path, 'w');
    rmSync(path);
    const sink = await localSink(fh, path);
    expect(sink.mode).toBe('async');
    await sink([Buffer.from('z')], 0);
    expect((await fh.stat()).size).toBe(1);
  });

  it('a slow synchronous write sends the rest through the thread pool', async () => {
    const path = join(dir, 'slow');
    await using fh = await open(path, 'w');
    const sink = await localSink(fh, path, { slowMs: 0 }); // every write counts as slow
    const local = linux && LOCAL_FS_TYPES.has((await statfs(dir)).type);
    expect(sink.mode).toBe(local ? 'sync' : 'async');
    await sink([Buffer.from('12')], 0);
    expect(sink.mode).toBe('async');
    await sink([Buffer.from('34')], 2);
    expect(sink.mode).toBe('async');
    expect(readFileSync(path, 'utf8')).toBe('1234');
  });
  it.skipIf(!linux || !runAsRoot)('a short write (a full disk) goes on and fails with ENOSPC, either way (tmpfs of 64 KiB, as root)', async () => {
    const mnt = join(dir, 'tiny');
    const unmount = mountTinyTmpfs(mnt);
    try {
      for (const async of [false, true]) {
        const path = join(mnt, `f-${async}`);
        await using fh = await open(path, 'w');
        const sink = await localSink(fh, path, { async });
        expect(sink.mode).toBe(async ? 'async' : 'sync');
        const e = (await sink([Buffer.alloc(60 * 1024), Buffer.alloc(40 * 1024)], 0).then(() => undefined, (x: unknown) => x)) as NodeJS.ErrnoException;
        expect(e).toBeInstanceOf(Error);
        expect(e.code).toBe('ENOSPC');
        expect(e.message).toBe('ENOSPC: no space left on device, write');
        rmSync(path);
      }
    } finally {
      unmount();
    }
  });
});
