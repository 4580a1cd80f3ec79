import { describe, expect, it } from 'vitest';
import { MasterError } from '../../src/index.js';
import { normalizeHosts, selectHosts } from '../../src/fleet/hosts.js';
import { normalizeLimits, Semaphore } from '../../src/fleet/limits.js';
import { backoffDelay, batches, batchSize, checkPolicy, decide, isRetryable, tooManyFailures } from '../../src/fleet/policy.js';
import { ProgressTracker, type ProgressEvent } from '../../src/fleet/progress.js';
import { summarize, type HostResult } from '../../src/fleet/results.js';

describe('hosts and selectors', () => {
  const hosts = normalizeHosts(['web1', 'web2', { label: 'db1', target: 'admin@db1:2222', port: 22 }, 'u@web3']);

  it('labels default to the target; per-host options are kept', () => {
    expect(hosts.map((h) => h.label)).toEqual(['web1', 'web2', 'db1', 'u@web3']);
    expect(hosts[2]).toEqual({ label: 'db1', target: 'admin@db1:2222', options: { port: 22 } });
  });

  it('rejects duplicates, bad labels and targets that ssh would parse as options', () => {
    expect(() => normalizeHosts(['a', { target: 'b', label: 'a' }])).toThrow(new TypeError('host 1: label "a" is used twice (labels must be unique; give { label } to tell hosts apart)'));
    expect(() => normalizeHosts(['-oProxyCommand=x'])).toThrow(new TypeError('host 0: target "-oProxyCommand=x" has a host or user starting with \'-\', which ssh would take for an option'));
    expect(() => normalizeHosts(['u@-x'])).toThrow(/starting with '-'/);
    expect(() => normalizeHosts([{ target: 'h', label: '..' }])).toThrow(/label "\.\." must be non-empty/);
    expect(() => normalizeHosts([{ target: 'h', label: '!x' }])).toThrow(/not start with '!'/);
    expect(() => normalizeHosts([42 as unknown as string])).toThrow(new TypeError("host 0 must be a target string or an object with a 'target' string, received 42"));
    expect(() => normalizeHosts('web1' as unknown as string[])).toThrow(/takes an array of hosts/);
  });

  it('selects by glob, list, exclusion, array and predicate, keeping the fleet order', () => {
    const labels = (s: Parameters<typeof selectHosts>[1]) => selectHosts(hosts, s).map((h) => h.label);
    expect(labels('web*')).toEqual(['web1', 'web2']);
    expect(labels('db1,web2')).toEqual(['web2', 'db1']);
    expect(labels(' web1 , db1 ')).toEqual(['web1', 'db1']);
    expect(labels('!web*')).toEqual(['db1', 'u@web3']);
    expect(labels(['web?', '!web2'])).toEqual(['web1']);
    expect(labels('*@*')).toEqual(['u@web3']);
    expect(labels((h) => h.target.includes(':'))).toEqual(['db1']);
    expect(labels('nomatch*')).toEqual([]);
    expect(() => labels('web9')).toThrow(new TypeError('selector "web9": no host is labelled "web9"'));
    expect(() => labels(42 as unknown as string)).toThrow(/a selector must be a string/);
  });
});

describe('limits', () => {
  it('connections defaults to 10 (or concurrency), concurrency to connections; concurrency > connections is a TypeError', () => {
    expect(normalizeLimits({})).toEqual({ connections: 10, concurrency: 10 });
    expect(normalizeLimits({ connections: 4 })).toEqual({ connections: 4, concurrency: 4 });
    expect(normalizeLimits({ concurrency: 20 })).toEqual({ connections: 20, concurrency: 20 });
    expect(normalizeLimits({ concurrency: 3 })).toEqual({ connections: 10, concurrency: 3 });
    expect(() => normalizeLimits({ connections: 2, concurrency: 3 })).toThrow(/option 'concurrency' \(3\) cannot exceed 'connections' \(2\)/);
    expect(() => normalizeLimits({ concurrency: 1.5 })).toThrow(new TypeError("option 'concurrency' must be a whole number >= 1, received 1.5"));
  });

  it('Semaphore: FIFO, bounded, a waiter leaves on abort', async () => {
    const s = new Semaphore(2);
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const order: number[] = [];
    const w3 = s.acquire().then((r) => (order.push(3), r));
    const ac = new AbortController();
    const w4 = s.acquire(ac.signal);
    const w5 = s.acquire().then((r) => (order.push(5), r));
    ac.abort(new Error('stop'));
    await expect(w4).rejects.toThrow('stop');
    r1();
    r1(); // twice is harmless
    r2();
    (await w3)();
    (await w5)();
    expect(order).toEqual([3, 5]);
    expect(s.used).toBe(0);
    expect(s.peak).toBe(2);
  });
});

describe('policies', () => {
  it('checks policy names and lets a function decide; a throwing one means abort-all', async () => {
    expect(checkPolicy('abort-host')).toBe('abort-host');
    expect(() => checkPolicy('abort')).toThrow(TypeError);
    const host = { label: 'a', target: 'a', index: 0, signal: new AbortController().signal };
    expect(await decide('continue', new Error('x'), host)).toBe('continue');
    expect(await decide(async () => 'abort-host' as const, new Error('x'), host)).toBe('abort-host');
    expect(await decide(() => 'bad' as 'continue', new Error('x'), host)).toBe('abort-all');
    expect(
      await decide(
        () => {
          throw new Error('bug');
        },
        new Error('x'),
        host,
      ),
    ).toBe('abort-all');
  });

  it('retries connection failures only', () => {
    for (const r of ['connect', 'timeout', 'exited', 'check', 'resolve'] as const) expect(isRetryable(new MasterError(r, 'm'))).toBe(true);
    for (const r of ['auth', 'host-key-unknown', 'host-key-changed', 'login-handler', 'aborted', 'ctl-path', 'spawn', 'disconnected'] as const) {
      expect(isRetryable(new MasterError(r, 'm'))).toBe(false);
    }
    expect(isRetryable(new Error('connect'))).toBe(false);
  });

  it('backoff doubles, with jitter between half and all of it, capped at 30 s', () => {
    expect(backoffDelay(1, 1000, () => 0)).toBe(500);
    expect(backoffDelay(1, 1000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, () => 1)).toBe(4000);
    expect(backoffDelay(3, 1000, () => 0.5)).toBe(3000);
    expect(backoffDelay(20, 1000, () => 1)).toBe(30_000);
  });

  it('batch sizes and max failures', () => {
    expect(batchSize(undefined, 7)).toBe(7);
    expect(batchSize(3, 7)).toBe(3);
    expect(batchSize('25%', 7)).toBe(2);
    expect(batchSize('1%', 7)).toBe(1);
    expect(batchSize('100%', 7)).toBe(7);
    for (const bad of [0, '0%', '101%', 'x', 1.5, '%']) expect(() => batchSize(bad, 7)).toThrow(/option 'batch' must be/);
    expect(batches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(tooManyFailures(1, 10, 0, undefined)).toBe(true);
    expect(tooManyFailures(1, 10, 1, undefined)).toBe(false);
    expect(tooManyFailures(3, 10, undefined, 30)).toBe(false);
    expect(tooManyFailures(4, 10, undefined, 30)).toBe(true);
    expect(tooManyFailures(5, 10, undefined, undefined)).toBe(false);
  });
});

describe('progress and summary', () => {
  it('counts move with each transition; final states are final', () => {
    const events: ProgressEvent[] = [];
    const p = new ProgressTracker(2, (e) => events.push(e));
    const h = { label: 'a', target: 'a', index: 0 };
    p.move(h, 'connecting');
    p.move(h, 'running');
    p.move(h, 'failed');
    p.move(h, 'ok');
    expect(events.map((e) => `${e.from}>${e.to}`)).toEqual(['queued>connecting', 'connecting>running', 'running>failed']);
    expect(p.counts).toEqual({ total: 2, queued: 1, connecting: 0, running: 0, ok: 0, failed: 1, timedOut: 0, aborted: 0, skipped: 0, done: 1 });
    // A listener that throws does not break the tracker.
    const q = new ProgressTracker(1, () => {
      throw new Error('ui bug');
    });
    q.move(h, 'skipped');
    expect(q.counts.skipped).toBe(1);
  });

  it('summarize() counts each status', () => {
    const r = (status: HostResult<unknown>['status']) => ({ status }) as HostResult<unknown>;
    expect(summarize([r('ok'), r('ok'), r('failed'), r('timed-out'), r('aborted'), r('skipped')])).toEqual({ total: 6, ok: 2, failed: 1, timedOut: 1, aborted: 1, skipped: 1 });
  });
});
