import { describe, expect, it, vi } from 'vitest';
import { BatchWriter } from '../../src/sftp/bulk.js';
import { BufferPool, SHARED_POOL_IDLE_MS, SHARED_POOL_MAX_FREE_BYTES, sharedBufferPool } from '../../src/sftp/io.js';

/** A write that completes only when the test says so: a disk as slow as wanted. */
function slowDisk() {
  const writes: Array<{ chunks: Buffer[]; position: number; finish: (e?: Error) => void }> = [];
  const write = (chunks: Buffer[], position: number) =>
    new Promise<void>((resolve, reject) => writes.push({ chunks, position, finish: (e) => (e ? reject(e) : resolve()) }));
  return { writes, write };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BatchWriter (fastGet\'s local writes)', () => {
  it('a slow disk holds at most maxBytes + writeBytes + a chunk; everything is written once, in order, at its position', async () => {
    const disk = slowDisk();
    const done: Buffer[] = [];
    const w = new BatchWriter(disk.write, (c) => done.push(c), 1000, 4096, 2000);
    const chunks = Array.from({ length: 200 }, (_, i) => Buffer.alloc(1000, i));
    const bound = 4096 + 2000 + 1000;
    let maxHeld = 0;
    let added = 0;
    const producer = (async () => {
      for (const c of chunks) {
        await w.add(c);
        added++;
        maxHeld = Math.max(maxHeld, w.held);
      }
      await w.end();
    })();
    // The disk finishes one write per turn of the loop, slower than the producer adds.
    let finished = 0;
    let at = 1000;
    while (finished < 200) {
      await tick();
      const next = disk.writes.shift();
      if (!next) continue;
      expect(w.held).toBeLessThanOrEqual(bound);
      const n = next.chunks.reduce((k, c) => k + c.length, 0);
      expect(n).toBeLessThanOrEqual(2000);
      expect(next.position).toBe(at);
      at += n;
      next.finish();
      finished += next.chunks.length;
    }
    await producer;
    expect(added).toBe(200);
    expect(maxHeld).toBeLessThanOrEqual(bound);
    expect(maxHeld).toBeGreaterThanOrEqual(4096); // the bound was reached: the test can fail
    expect(done).toEqual(chunks);
    expect(w.held).toBe(0);
  });

  it('positions follow each other from the start offset', async () => {
    const positions: Array<[number, number]> = [];
    const w = new BatchWriter(async (chunks, pos) => void positions.push([pos, chunks.reduce((n, c) => n + c.length, 0)]), () => {}, 500);
    for (let i = 0; i < 10; i++) await w.add(Buffer.alloc(100 + i));
    await w.end();
    let at = 500;
    for (const [pos, n] of positions) {
      expect(pos).toBe(at);
      at += n;
    }
    expect(at).toBe(500 + 10 * 100 + 45);
  });

  it('a chunk is written as soon as the disk is free; what came meanwhile goes next, up to writeBytes (always a whole chunk)', async () => {
    const disk = slowDisk();
    const w = new BatchWriter(disk.write, () => {}, 0, 100_000, 1000);
    await w.add(Buffer.alloc(100));
    expect(disk.writes.map((x) => x.chunks.length)).toEqual([1]); // at once, alone
    for (let i = 0; i < 25; i++) await w.add(Buffer.alloc(100));
    await w.add(Buffer.alloc(3000)); // larger than writeBytes: still written, whole, alone
    expect(disk.writes.length).toBe(1); // nothing more while the disk is busy
    const sizes: number[] = [];
    const ended = w.end();
    while (sizes.reduce((a, b) => a + b, 0) < 100 + 2500 + 3000) {
      await tick();
      const next = disk.writes.shift();
      if (!next) continue;
      sizes.push(next.chunks.reduce((k, c) => k + c.length, 0));
      next.finish();
    }
    await ended;
    expect(sizes).toEqual([100, 1000, 1000, 500, 3000]);
  });

  it('a failed write is thrown by the next add() or by end(); nothing after it is written', async () => {
    const disk = slowDisk();
    const w = new BatchWriter(disk.write, () => {}, 0, 100, 1);
    await w.add(Buffer.alloc(10));
    const waiting = w.add(Buffer.alloc(200)); // over maxBytes: waits for the write under way
    disk.writes.shift()!.finish(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    await expect(waiting).rejects.toThrow('ENOSPC: no space left on device, write');
    await expect(w.add(Buffer.alloc(1))).rejects.toThrow('ENOSPC: no space left on device, write');
    await expect(w.end()).rejects.toThrow('ENOSPC: no space left on device, write');
    expect(disk.writes.length).toBe(0);
  });
});

describe('BufferPool', () => {
  it('gives back a buffer once the view that ends it is released, and only its own buffers', () => {
    const pool = new BufferPool(64);
    const a = pool.take();
    const b = pool.take();
    expect(pool.made).toBe(2);
    expect(a.length).toBe(64);
    pool.release(a.subarray(0, 10)); // not the end of `a`: still in use
    pool.release(Buffer.alloc(64)); // not the pool's
    expect(pool.take().buffer).not.toBe(a.buffer);
    expect(pool.made).toBe(3);
    pool.release(a.subarray(10));
    pool.release(b.subarray(0, 64));
    const again = [pool.take(), pool.take()].map((x) => x.buffer);
    expect(again).toContain(a.buffer);
    expect(again).toContain(b.buffer);
    expect(pool.made).toBe(3);
  });

  it('keeps at most maxFreeBytes of free buffers; a release beyond that is dropped', () => {
    const pool = new BufferPool(64, { maxFreeBytes: 128 });
    const taken = [pool.take(), pool.take(), pool.take()];
    for (const b of taken) pool.release(b);
    expect(pool.free).toBe(2);
    expect([pool.take(), pool.take()].map((x) => x.buffer)).toEqual([taken[1]!.buffer, taken[0]!.buffer]);
    expect(pool.take().buffer).not.toBe(taken[2]!.buffer);
    expect(pool.made).toBe(4);
  });

  it('drops its free buffers after idleMs without a take or a release', () => {
    vi.useFakeTimers();
    try {
      const pool = new BufferPool(64, { idleMs: 1000 });
      const a = pool.take();
      vi.advanceTimersByTime(900);
      pool.release(a); // a release counts as use: the idle time starts again
      vi.advanceTimersByTime(900);
      expect(pool.free).toBe(1);
      vi.advanceTimersByTime(200);
      expect(pool.free).toBe(0);
      expect(pool.take().buffer).not.toBe(a.buffer);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sharedBufferPool: one pool per size for the whole process, bounded and idle-released', () => {
    const size = 4096 + 7; // a size no other test uses
    const pool = sharedBufferPool(size);
    expect(sharedBufferPool(size)).toBe(pool);
    expect(sharedBufferPool(size + 1)).not.toBe(pool);
    const a = pool.take();
    pool.release(a);
    expect(sharedBufferPool(size).take().buffer).toBe(a.buffer);
    expect(SHARED_POOL_MAX_FREE_BYTES).toBe(16 * 1024 * 1024);
    expect(SHARED_POOL_IDLE_MS).toBe(5000);
  });
});
