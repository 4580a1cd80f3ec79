import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortError, TimeoutError } from '../../src/errors/index.js';
import { acquireSession, SessionLimiter, spawnTurn, startWithin, type Release } from '../../src/run/sessions.js';

/** Let pending promise callbacks and immediates run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SessionLimiter', () => {
  it('hands out max slots at once, then queues; a release passes the slot to the first waiter', async () => {
    const l = new SessionLimiter(2);
    const a = await l.acquire();
    const b = await l.acquire();
    expect([l.active, l.waiting]).toEqual([2, 0]);
    const got: string[] = [];
    const c = l.acquire().then((r) => (got.push('c'), r));
    const d = l.acquire().then((r) => (got.push('d'), r));
    await settle();
    expect(got).toEqual([]);
    expect([l.active, l.waiting]).toEqual([2, 2]);
    a();
    await settle();
    expect(got).toEqual(['c']);
    expect([l.active, l.waiting]).toEqual([2, 1]);
    b();
    await settle();
    expect(got).toEqual(['c', 'd']);
    (await c)();
    (await d)();
    expect([l.active, l.waiting]).toEqual([0, 0]);
  });

  it('serves waiters first come, first served', async () => {
    const l = new SessionLimiter(1);
    const first = await l.acquire();
    const order: number[] = [];
    const all = Array.from({ length: 20 }, (_, i) =>
      l.acquire().then((release) => {
        order.push(i);
        release();
      }),
    );
    first();
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a new caller never overtakes a waiter: tryAcquire fails while anyone waits', async () => {
    const l = new SessionLimiter(1);
    const first = l.tryAcquire()!;
    const waiting = l.acquire();
    expect(l.tryAcquire()).toBeUndefined();
    first();
    expect(l.tryAcquire()).toBeUndefined(); // the slot went to the waiter
    (await waiting)();
    expect(l.tryAcquire()).toBeTypeOf('function');
  });

  it('a release is idempotent', async () => {
    const l = new SessionLimiter(1);
    const r = await l.acquire();
    r();
    r();
    expect(l.active).toBe(0);
    const again = await l.acquire();
    r(); // an old release cannot free the new holder's slot
    expect(l.active).toBe(1);
    again();
  });

  it('an aborted waiter leaves the queue with the signal reason and keeps the order of the others', async () => {
    const l = new SessionLimiter(1);
    const held = await l.acquire();
    const ac = new AbortController();
    const order: string[] = [];
    const a = l.acquire().then((r) => (order.push('a'), r));
    const b = l.acquire(ac.signal);
    const c = l.acquire().then((r) => (order.push('c'), r));
    expect(l.waiting).toBe(3);
    const why = new Error('changed my mind');
    ac.abort(why);
    await expect(b).rejects.toBe(why);
    expect(l.waiting).toBe(2);
    held();
    (await a)();
    (await c)();
    expect(order).toEqual(['a', 'c']);
    expect(l.active).toBe(0);
  });

  it('an already aborted signal rejects only when the call would have to wait', async () => {
    const l = new SessionLimiter(1);
    const r = await l.acquire(AbortSignal.abort('x')); // a free slot: no wait, no abort
    await expect(l.acquire(AbortSignal.abort('late'))).rejects.toBe('late');
    expect(l.waiting).toBe(0);
    r();
  });

  it('Infinity never queues', async () => {
    const l = new SessionLimiter(Number.POSITIVE_INFINITY);
    const rs: Release[] = [];
    for (let i = 0; i < 1000; i++) rs.push(l.tryAcquire()!);
    expect(l.active).toBe(1000);
    expect(l.waiting).toBe(0);
    for (const r of rs) r();
    expect(l.active).toBe(0);
  });
});

describe('spawnTurn', () => {
  it('lets callers through one per event-loop turn, in call order: a due timer runs between two turns', async () => {
    const events: string[] = [];
    /** What a spawn does to the event loop: hold it, synchronously. */
    const hold = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const turns = [0, 1, 2].map((i) =>
      spawnTurn().then(() => {
        events.push(`turn ${i}`);
        hold(5);
      }),
    );
    setTimeout(() => events.push('timer'), 1);
    await Promise.all(turns);
    expect(events.filter((e) => e.startsWith('turn'))).toEqual(['turn 0', 'turn 1', 'turn 2']);
    // Due after the first turn's 5 ms at the latest, it runs before the second turn.
    expect(events.indexOf('timer')).toBeLessThan(events.indexOf('turn 1'));
  });
});

describe('acquireSession', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const details = { host: 'h', command: 'c' };

  it('takes a free slot and reports no wait to speak of', async () => {
    const l = new SessionLimiter(1);
    const s = await acquireSession(l, {}, details);
    expect(l.active).toBe(1);
    s.release();
    expect(l.active).toBe(0);
  });

  it('without a limiter (a -W tunnel) only waits for its spawn turn', async () => {
    const s = await acquireSession(undefined, {}, details);
    expect(() => s.release()).not.toThrow();
  });

  it('with turn: false (a mux channel, nothing forked) it goes on in the same event-loop turn; by default it waits for a turn', async () => {
    // Let the spawn turns of earlier tests run out: the pump then idles (it queues one more
    // immediate after each turn it serves), and the first turn below is ours.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    const l = new SessionLimiter(2);
    let nextTurn = false;
    setImmediate(() => (nextTurn = true));
    for (const limits of [{}, { timeout: 60_000, signal: new AbortController().signal }]) {
      const s = await acquireSession(l, limits, details, 'command', false);
      expect(nextTurn).toBe(false);
      s.release();
    }
    let resolved = false;
    const p = acquireSession(l, {}, details).then((s) => ((resolved = true), s));
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(resolved).toBe(false);
    (await p).release();
    expect(l.active).toBe(0);
  });

  it('a queued call past its timeout leaves the queue with a TimeoutError (deadline)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const l = new SessionLimiter(1);
    const held = l.tryAcquire()!;
    const p = acquireSession(l, { timeout: 500 }, details).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(499);
    expect(l.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const e = (await p) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.code).toBe('OSSH_SLAVE_TIMEOUT');
    expect(e.kind).toBe('deadline');
    expect(e.timeoutMs).toBe(500);
    expect(e.message).toBe(
      'the command timed out before it started: still waiting for a free session after 500 ms (timeout); all 1 sessions of this connection (maxSessions) were in use',
    );
    expect(e.host).toBe('h');
    expect(e.command).toBe('c');
    expect(l.waiting).toBe(0);
    held();
    expect(l.active).toBe(0);
  });

  it('idleTimeout applies while waiting: TimeoutError (idle)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const l = new SessionLimiter(2);
    const held = [l.tryAcquire()!, l.tryAcquire()!];
    const p = acquireSession(l, { idleTimeout: 300, timeout: 1000 }, details, 'transfer').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(300);
    const e = (await p) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.kind).toBe('idle');
    expect(e.message).toBe(
      'the transfer timed out before it started: no free session for 300 ms (idleTimeout); all 2 sessions of this connection (maxSessions) were in use',
    );
    expect(l.waiting).toBe(0);
    for (const r of held) r();
  });

  it('an abort while waiting leaves the queue with an AbortError whose cause is the reason', async () => {
    const l = new SessionLimiter(1);
    const held = l.tryAcquire()!;
    const ac = new AbortController();
    const p = acquireSession(l, { signal: ac.signal, timeout: 60_000 }, details).catch((e: unknown) => e);
    await settle();
    expect(l.waiting).toBe(1);
    const why = new Error('user pressed ^C');
    ac.abort(why);
    const e = (await p) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.code).toBe('OSSH_ABORTED');
    expect(e.message).toBe('the command was aborted before it started: user pressed ^C');
    expect(e.cause).toBe(why);
    expect(l.waiting).toBe(0);
    held();
    expect(l.active).toBe(0);
  });

  it('a slot obtained after a wait reports how long it waited, and the timers are gone', async () => {
    const l = new SessionLimiter(1);
    const held = l.tryAcquire()!;
    const p = acquireSession(l, { timeout: 60_000, idleTimeout: 60_000 }, details);
    await new Promise((r) => setTimeout(r, 20));
    held();
    const s = await p;
    expect(s.waitedMs).toBeGreaterThanOrEqual(15);
    s.release();
    expect(l.active).toBe(0);
  });
});

describe('acquireSession: the spawn turn is bounded too', () => {
  it('a call whose limits fire while it waits for its spawn turn leaves the line and gives its slot back', async () => {
    const l = new SessionLimiter(Number.POSITIVE_INFINITY);
    const ac = new AbortController();
    // Both are in line for a turn; the first is let through in the next check phase at the
    // earliest, so the abort (now) reaches the second while it waits.
    const first = acquireSession(l, {}, { command: 'a' });
    const second = acquireSession(l, { signal: ac.signal }, { command: 'b' }).catch((e: unknown) => e);
    ac.abort('stop');
    const e = (await second) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.message).toBe('the command was aborted before it started: stop');
    (await first).release();
    expect(l.active).toBe(0);
  });
});

describe('startWithin (a process started off the event loop, within the call limits)', () => {
  const details = { host: 'h', command: 'c' };
  /** A start that resolves when told to. */
  const pending = () => {
    let resolve!: (v: string) => void;
    const promise = new Promise<string>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('returns the started process when it comes first', async () => {
    const s = pending();
    s.resolve('proc');
    const discard = vi.fn();
    await expect(startWithin(s.promise, { timeout: 1000 }, 0, details, discard)).resolves.toBe('proc');
    expect(discard).not.toHaveBeenCalled();
  });

  it('fails with a deadline TimeoutError once the time left runs out, and discards the late process', async () => {
    const s = pending();
    const discard = vi.fn();
    const err = await startWithin(s.promise, { timeout: 60 }, 30, details, discard).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({
      code: 'OSSH_SLAVE_TIMEOUT',
      kind: 'deadline',
      host: 'h',
      message: 'the command timed out before it started: not started within 60 ms (timeout); the processes started before it were still being started',
    });
    s.resolve('late');
    await settle();
    expect(discard).toHaveBeenCalledWith('late');
  });

  it('an idleTimeout counts too (nothing moves before the start)', async () => {
    const err = await startWithin(pending().promise, { idleTimeout: 20 }, 0, details, () => {}, 'transfer').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'idle', message: 'the transfer timed out before it started: not started within 20 ms (idleTimeout); the processes started before it were still being started' });
  });

  it('an abort fails at once with an AbortError carrying the reason', async () => {
    const ac = new AbortController();
    const p = startWithin(pending().promise, { signal: ac.signal }, 0, details, () => {});
    ac.abort(new Error('user stop'));
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err).toMatchObject({ code: 'OSSH_ABORTED', message: 'the command was aborted before it started: user stop' });
    expect((err as Error).cause).toEqual(new Error('user stop'));
  });

  it('without limits it is the start itself', async () => {
    const s = pending();
    const p = startWithin(s.promise, {}, 0, details, () => {});
    s.resolve('x');
    await expect(p).resolves.toBe('x');
  });
});
