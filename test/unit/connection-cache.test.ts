import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../src/cache/key.js';
import { ConnectionCache, ConnectionCacheError, ErrorCode, Fleet, OpenSSH, defaultConnectionCache } from '../../src/index.js';
import { expectTypeError, rejection } from '../helpers/expect-throw.js';

const same = (a: [string, object], b: [string, object]) => expect(cacheKey(a[0], a[1])).toBe(cacheKey(b[0], b[1]));
const differ = (a: [string, object], b: [string, object]) => expect(cacheKey(a[0], a[1])).not.toBe(cacheKey(b[0], b[1]));

describe('cacheKey(): what "equal target and options" means', () => {
  it('the target normalised: user/port options fill what the text lacks, host case ignored, spaces trimmed', () => {
    same(['me@h:2222', {}], ['h', { user: 'me', port: 2222 }]);
    same(['me@Web1.Example.COM', {}], [' me@web1.example.com ', {}]);
    same(['[::1]:22', {}], ['::1', { port: 22 }]);
    differ(['h', {}], ['h:22', {}]);
    differ(['a@h', {}], ['b@h', {}]);
    differ(['h', {}], ['g', {}]);
  });

  it('the text wins over the user/port options, as in the constructor', () => {
    same(['me@h', { user: 'other' }], ['me@h', {}]);
  });

  it('a password counts, and is not in the key in clear', () => {
    differ(['me:pw1@h', {}], ['me:pw2@h', {}]);
    same(['me:pw1@h', {}], ['me@h', { password: 'pw1' }]);
    const key = cacheKey('me:s3cret-pw@h', { passphrase: 'other-s3cret' });
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain('s3cret');
  });

  it('plain data deep-equal: key order, undefined values, nested objects and arrays', () => {
    same(['h', { masterOpts: ['-o', 'A=b'], vars: { X: 1, Y: 'two' } }], ['h', { vars: { Y: 'two', X: 1 }, masterOpts: ['-o', 'A=b'] }]);
    same(['h', { keyPath: undefined, connectTimeout: 5000 }], ['h', { connectTimeout: 5000 }]);
    same(['h', { connectTimeout: NaN }], ['h', { connectTimeout: NaN }]);
    differ(['h', { masterOpts: ['-o', 'A=b'] }], ['h', { masterOpts: ['-o', 'A=c'] }]);
    differ(['h', { masterOpts: ['a', 'b'] }], ['h', { masterOpts: ['b', 'a'] }]);
    differ(['h', { vars: { X: 1 } }], ['h', { vars: { X: '1' } }]);
    differ(['h', { batchMode: true }], ['h', {}]);
    same(['h', { connect: true }], ['h', {}]);
    differ(['h', { connectTimeout: 0 }], ['h', { connectTimeout: '0' }]);
  });

  it('Buffers by content', () => {
    same(['h', { vars: { B: Buffer.from('abc') } as never }], ['h', { vars: { B: Buffer.from('abc') } as never }]);
    differ(['h', { vars: { B: Buffer.from('abc') } as never }], ['h', { vars: { B: Buffer.from('abd') } as never }]);
  });

  it('streams, functions, AbortSignals and class instances by identity', () => {
    const s = new PassThrough();
    same(['h', { defaultStdout: s }], ['h', { defaultStdout: s }]);
    differ(['h', { defaultStdout: s }], ['h', { defaultStdout: new PassThrough() }]);
    const handler = () => undefined;
    same(['h', { loginHandler: handler as never }], ['h', { loginHandler: handler as never }]);
    differ(['h', { loginHandler: handler as never }], ['h', { loginHandler: (() => undefined) as never }]);
    const signal = new AbortController().signal;
    same(['h', { signal }], ['h', { signal }]);
    differ(['h', { signal }], ['h', { signal: new AbortController().signal }]);
  });

  it('a cyclic object stands for itself instead of looping', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    same(['h', { vars: a as never }], ['h', { vars: a as never }]);
    const b: Record<string, unknown> = {};
    b.self = b;
    differ(['h', { vars: a as never }], ['h', { vars: b as never }]);
  });

  it('a bad target or user/port option is the constructor TypeError', () => {
    expectTypeError(() => cacheKey(42, {}), 'option \'target\' must be a string like "user@host:port", received number 42');
    expectTypeError(() => cacheKey('h', { port: '22' as never }), /^option 'port' must be /);
    expectTypeError(() => cacheKey('h', [] as never), "option 'options' must be an object, received an array of length 0");
  });
});

describe('ConnectionCache options', () => {
  it('defaults: maxSize 20 (Net::OpenSSH::ConnectionCache MAX_SIZE), no idle expiry', () => {
    const c = new ConnectionCache();
    expect(c.maxSize).toBe(20);
    expect(c.idleTimeout).toBeUndefined();
    expect(c.size).toBe(0);
    expect(c.closed).toBe(false);
    expect(new ConnectionCache({ idleTimeout: 0 }).idleTimeout).toBeUndefined();
    expect(new ConnectionCache({ idleTimeout: Infinity }).idleTimeout).toBeUndefined();
    expect(new ConnectionCache({ maxSize: 3, idleTimeout: 1500 })).toMatchObject({ maxSize: 3, idleTimeout: 1500 });
  });

  it('bad options are TypeErrors naming the option, the expected form and the value', () => {
    expectTypeError(() => new ConnectionCache({ maxSize: 0 }), "option 'maxSize' must be a whole number >= 1, received number 0");
    expectTypeError(() => new ConnectionCache({ maxSize: 2.5 }), "option 'maxSize' must be a whole number >= 1, received number 2.5");
    expectTypeError(() => new ConnectionCache({ maxSize: '5' as never }), 'option \'maxSize\' must be a whole number >= 1, received string "5"');
    expectTypeError(() => new ConnectionCache({ idleTimeout: -1 }), "option 'idleTimeout' must be a number of milliseconds from 0 to 2147483647 (0 or Infinity: never), received number -1");
    expectTypeError(() => new ConnectionCache({ idleTimeout: 2 ** 31 }), "option 'idleTimeout' must be a number of milliseconds from 0 to 2147483647 (0 or Infinity: never), received number 2147483648");
    expectTypeError(() => new ConnectionCache({ size: 3 } as never), "unknown option 'size' for new ConnectionCache(); known options are: idleTimeout, maxSize");
    expectTypeError(() => new ConnectionCache(null as never), "option 'options' must be an object, received null");
  });

  it('get(): bad arguments throw at once, before anything starts', () => {
    const c = new ConnectionCache();
    expectTypeError(() => c.get('h', { connect: false }), "option 'connect' cannot be false for a cached connection: the cache hands out connected objects");
    expectTypeError(() => c.get('h', {}, { signal: 'x' as never }), 'option \'signal\' must be an AbortSignal, received string "x"');
    expectTypeError(() => c.get('h', {}, { timeout: 5 } as never), "unknown option 'timeout' for a ConnectionCache get() or acquire(); known options are: signal");
    expectTypeError(() => c.acquire('h', { bogus: 1 } as never), /^unknown option 'bogus' for new OpenSSH\(\); known options are: /);
    expectTypeError(() => c.get('-oProxyCommand=x'), /^bad target "-oProxyCommand=x"/);
    expect(c.size).toBe(0);
  });

  it('a closed cache rejects get() and acquire() with ConnectionCacheError', async () => {
    const c = new ConnectionCache();
    await c.close();
    expect(c.closed).toBe(true);
    for (const p of [c.get('h'), c.acquire('h')]) {
      const e = await rejection<ConnectionCacheError>(p);
      expect(e).toBeInstanceOf(ConnectionCacheError);
      expect(e.code).toBe('OSSH_CACHE_CLOSED');
      expect(e.code).toBe(ErrorCode.CACHE_CLOSED);
      expect(e.name).toBe('ConnectionCacheError');
      expect(e.message).toBe('the connection cache is closed');
    }
  });

  it('OpenSSH.cached() uses the process-wide default cache', () => {
    expect(defaultConnectionCache()).toBe(defaultConnectionCache());
    expect(defaultConnectionCache().maxSize).toBe(20);
    expectTypeError(() => OpenSSH.cached('h', { connect: false }), "option 'connect' cannot be false for a cached connection: the cache hands out connected objects");
  });
});

describe("Fleet's cache option", () => {
  it('true: a cache of its own with maxSize = connections; a ConnectionCache: that one; none by default', async () => {
    const own = new Fleet(['a', 'b'], { connections: 4, cache: true });
    expect(own.cache).toBeInstanceOf(ConnectionCache);
    expect(own.cache!.maxSize).toBe(4);
    expect(own.select('a').cache).toBe(own.cache);
    await own.close();
    expect(own.cache!.closed).toBe(true);
    const shared = new ConnectionCache();
    const f = new Fleet(['a'], { cache: shared });
    expect(f.cache).toBe(shared);
    await f.close();
    expect(shared.closed).toBe(false);
    expect(new Fleet(['a']).cache).toBeUndefined();
    expect(new Fleet(['a'], { cache: false }).cache).toBeUndefined();
  });

  it('anything else is a TypeError', () => {
    expectTypeError(() => new Fleet(['a'], { cache: 'yes' as never }), 'option \'cache\' must be true, false or a ConnectionCache, received string "yes"');
    expectTypeError(() => new Fleet(['a'], { cache: {} as never }), "option 'cache' must be true, false or a ConnectionCache, received an object (Object)");
    expectTypeError(() => new Fleet(['a', { label: 'b', target: 'b', connect: false }], { cache: true }), "host b: option 'connect' cannot be false with the fleet's 'cache': the cache hands out connected objects");
  });
});
