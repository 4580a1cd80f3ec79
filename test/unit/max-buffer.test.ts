import { constants } from 'node:buffer';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EncodingError, MaxBufferError } from '../../src/errors/index.js';
import { normalizeCall, type CommandOptions } from '../../src/options/command.js';
import { normalizeConnection, type OpenSSHOptions } from '../../src/options/connection.js';
import { Collector } from '../../src/run/collect.js';
import { decodedLength, decodeOutput } from '../../src/run/encoding.js';
import { remoteLines } from '../../src/run/lines.js';
import { FdSink } from '../../src/run/output-file.js';
import { closeAll, planStdio } from '../../src/run/stdio.js';
import { expectThrow, expectTypeError } from '../helpers/expect-throw.js';

const call = (options: unknown, defaults = {}) => normalizeCall(options as CommandOptions, defaults, 'run');
const details = { host: 'h', command: 'cat', argv: ['ssh', 'h', 'cat'] };

describe('maxBuffer option', () => {
  it('defaults to 100 MiB, takes the constructor default, and a call overrides it', () => {
    expect(call({}).maxBuffer).toBe(100 * 1024 * 1024);
    const defaults = normalizeConnection('h', { maxBuffer: 5000, connect: false }).defaults;
    expect(defaults.maxBuffer).toBe(5000);
    expect(call({}, defaults).maxBuffer).toBe(5000);
    expect(call({ maxBuffer: 7 }, defaults).maxBuffer).toBe(7);
    expect(call({ maxBuffer: Infinity }, defaults).maxBuffer).toBe(Infinity);
    expect(normalizeConnection('h', {}).defaults.maxBuffer).toBeUndefined();
  });

  it.each([
    [0, 'number 0'],
    [-1, 'number -1'],
    [1.5, 'number 1.5'],
    [Number.NaN, 'number NaN'],
    [Number.NEGATIVE_INFINITY, 'number -Infinity'],
    ['1000', 'string "1000"'],
    [null, 'null'],
  ])('rejects %s', (value, shown) => {
    const msg = `option 'maxBuffer' must be a whole number of bytes >= 1, or Infinity, received ${shown}`;
    expectTypeError(() => call({ maxBuffer: value }), msg);
    expectTypeError(() => normalizeConnection('h', { maxBuffer: value } as unknown as OpenSSHOptions), msg);
  });
});

describe('Collector', () => {
  it('keeps exactly the limit and reports the overflow once', () => {
    const c = new Collector(10);
    expect(c.push(Buffer.from('abcd'))).toBe(false);
    expect(c.push(Buffer.from('efgh'))).toBe(false);
    expect(c.push(Buffer.from('ijkl'))).toBe(true);
    expect(c.push(Buffer.from('mnop'))).toBe(false);
    expect(c.overflowed).toBe(true);
    expect(c.bytes().toString()).toBe('abcdefghij');
    expect(c.size).toBe(10);
  });

  it('output of exactly the limit is no overflow', () => {
    const c = new Collector(4);
    expect(c.push(Buffer.from('abcd'))).toBe(false);
    expect(c.push(Buffer.alloc(0))).toBe(false);
    expect(c.overflowed).toBe(false);
  });

  it('Infinity is bounded by the largest Buffer Node can make', () => {
    expect(new Collector(Infinity).limit).toBe(constants.MAX_LENGTH);
  });
});

describe('decoding output too long for a string', () => {
  it('counts UTF-16 code units without decoding (a lower bound for utf8)', () => {
    const text = 'aé€😀';
    for (const enc of ['latin1', 'ascii', 'utf16le', 'hex', 'base64', 'base64url'] as const) {
      const buf = Buffer.from(text, enc === 'ascii' ? 'latin1' : enc);
      expect(decodedLength(buf, enc)).toBe(buf.toString(enc).length);
    }
    for (const t of ['€€€', 'aaa', '😀', 'é']) {
      const buf = Buffer.from(t);
      expect(decodedLength(buf, 'utf8')).toBeLessThanOrEqual(t.length);
    }
    expect(decodedLength(Buffer.from('€€€'), 'utf8')).toBe(3);
  });

  it('is a MaxBufferError (kind string) carrying the raw Buffers, never a plain Error', () => {
    // Zero-filled pages cost no memory until written.
    const huge = Buffer.alloc(constants.MAX_STRING_LENGTH + 1);
    const small = Buffer.from('err');
    for (const enc of ['latin1', 'utf8']) {
      const e = expectThrow(() => decodeOutput(huge, small, enc, details), MaxBufferError);
      expect(e.code).toBe('OSSH_MAX_BUFFER');
      expect(e.kind).toBe('string');
      expect(e.stream).toBe('stdout');
      expect(e.limit).toBe(constants.MAX_STRING_LENGTH);
      expect(e.stdout).toBe(huge);
      expect(e.stderr).toBe(small);
      expect(e.argv).toEqual(details.argv);
      expect(e.message).toBe(
        `output decoding failed: stdout (${huge.length} bytes) is too long for one JavaScript string (at most ${constants.MAX_STRING_LENGTH} characters); ` +
          "use encoding: 'buffer', stream it (pipeOut(), lines()) or write it to a file (stdoutFile), or set a lower maxBuffer",
      );
    }
    // utf8 past 3 x MAX_STRING_LENGTH bytes is refused without decoding (no 1.6 GB needed: a fake length).
    const fake = Object.defineProperty(Buffer.alloc(4), 'length', { value: 3 * constants.MAX_STRING_LENGTH + 1 });
    expect(expectThrow(() => decodeOutput(small, fake, 'utf8', details), MaxBufferError).stream).toBe('stderr');
    // hex doubles the length: half of it is already too long.
    const half = huge.subarray(0, (constants.MAX_STRING_LENGTH >> 1) + 1);
    expect(expectThrow(() => decodeOutput(small, half, 'hex', details), MaxBufferError).stream).toBe('stderr');
    // 'buffer' never makes a string.
    expect(decodeOutput(huge, small, 'buffer', details).stdout).toBe(huge);
  });

  it('still reports invalid bytes as an EncodingError', () => {
    expectThrow(() => decodeOutput(Buffer.from([0xff]), Buffer.alloc(0), 'utf8', details), EncodingError);
  });
});

describe('lines() bound', () => {
  const lines = async (chunks: string[], max: number) => {
    const out: string[] = [];
    const src = Readable.from(chunks.map((c) => Buffer.from(c)));
    try {
      for await (const l of remoteLines(src, 'utf8', details, max)) out.push(l);
    } catch (e) {
      return { out, error: e as MaxBufferError, destroyed: src.destroyed };
    }
    return { out, error: undefined, destroyed: src.destroyed };
  };

  it('yields lines up to maxBuffer bytes, across chunks', async () => {
    expect(await lines(['abc', 'de\nfghij\n', 'kl'], 5)).toEqual({ out: ['abcde', 'fghij', 'kl'], error: undefined, destroyed: true });
  });

  it('fails on a line longer than maxBuffer, in one chunk or across chunks, and destroys the stream', async () => {
    for (const chunks of [['ok\nabcdef\n'], ['ok\nabc', 'def'], ['ok\nabc', 'def\n', 'more\n'], ['ok\n', 'abcdef']]) {
      const r = await lines(chunks, 5);
      expect(r.out).toEqual(['ok']);
      expect(r.error).toBeInstanceOf(MaxBufferError);
      expect(r.error!.stdout).toBe('abcde');
      expect(r.error!.limit).toBe(5);
      expect(r.error!.argv).toEqual(details.argv);
      expect(r.destroyed).toBe(true);
    }
  });
});

describe('output files are written from Node', () => {
  it('planStdio routes stdoutFile, stderrFile and fds through a pipe', () => {
    const dir = mkdtempSync(join(tmpdir(), 'osmux-plan-'));
    try {
      const c = normalizeCall({ stdoutFile: join(dir, 'o'), stderr: 2 }, {}, 'run');
      const plan = planStdio(c, details);
      expect(plan.slots).toEqual(['ignore', 'pipe', 'pipe']);
      expect(plan.stdout).toEqual({ kind: 'fd', fd: plan.opened[0], path: join(dir, 'o') });
      expect(plan.stderr).toEqual({ kind: 'fd', fd: 2, path: undefined });
      closeAll(plan.opened);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('FdSink writes everything from several sources, then settles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osmux-sink-'));
    const fd = openSync(join(dir, 'f'), 'w');
    try {
      const errors: unknown[] = [];
      const sink = new FdSink(fd, (e) => errors.push(e));
      const big = Buffer.alloc(3 * 1024 * 1024, 'x');
      sink.attach(Readable.from([big, Buffer.from('end\n')]), () => {});
      await sink.done;
      expect(errors).toEqual([]);
      // Buffer.equals: a deep toEqual of megabytes is far too slow.
      expect(readFileSync(join(dir, 'f')).equals(Buffer.concat([big, Buffer.from('end\n')]))).toBe(true);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('FdSink with no source settles once sealed (an engine that gave no pipe cannot hang the result)', async () => {
    const fd = openSync('/dev/null', 'w');
    try {
      const sink = new FdSink(fd, () => {});
      sink.seal();
      await expect(sink.done).resolves.toBeUndefined();
    } finally {
      closeSync(fd);
    }
  });

  it('FdSink reports the first write error once and drains its sources', async () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const errors: NodeJS.ErrnoException[] = [];
      const sink = new FdSink(fd, (e) => errors.push(e));
      const src = Readable.from(Array.from({ length: 50 }, () => Buffer.alloc(65536)));
      sink.attach(src, () => {});
      await sink.done;
      await new Promise((r) => src.once('close', r));
      expect(errors.map((e) => [e.code, e.syscall])).toEqual([['ENOSPC', 'write']]);
      expect(src.readableEnded).toBe(true);
    } finally {
      closeSync(fd);
    }
  });
});
