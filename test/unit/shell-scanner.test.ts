import { describe, expect, it } from 'vitest';
import { MarkerScanner } from '../../src/shell/scanner.js';
import { mulberry32 } from '../helpers/prng.js';

const B = 'fedcba9876543210fedcba:B';
const E = 'fedcba9876543210fedcba:E';
const BB = Buffer.from(B, 'latin1');
const EB = Buffer.from(E, 'latin1');

function collect(s: MarkerScanner, limit?: number) {
  const got: Array<{ body: Buffer; trailer: string }> = [];
  s.arm(BB, EB, { done: (body, trailer) => got.push({ body, trailer }) }, limit);
  return got;
}

describe('MarkerScanner', () => {
  it('drops stray bytes before the begin token and returns the body and trailer', () => {
    const s = new MarkerScanner();
    const got = collect(s);
    s.push(Buffer.from(`noise${B}hello\nworld${E}42\nlate`));
    expect(got).toEqual([{ body: Buffer.from('hello\nworld'), trailer: '42' }]);
    expect(s.armed).toBe(false);
    expect(s.strayBytes).toBe(5 + 4);
  });

  it('waits for the whole trailer line', () => {
    const s = new MarkerScanner();
    const got = collect(s);
    s.push(Buffer.from(`${B}x${E}1`));
    expect(got).toEqual([]);
    expect(s.partial()).toEqual(Buffer.from('x'));
    s.push(Buffer.from('27\n'));
    expect(got).toEqual([{ body: Buffer.from('x'), trailer: '127' }]);
  });

  it('an end token of another marker, a prefix of the own one, NULs: all body', () => {
    const s = new MarkerScanner();
    const got = collect(s);
    const body = `0000000000000000000000:E0\n${E.slice(0, -1)}\0${E.slice(0, 10)}`;
    s.push(Buffer.from(`${B}${body}${E}0\n`));
    expect(got[0]!.body.toString()).toBe(body);
  });

  it('reports body progress and can be disarmed', () => {
    const s = new MarkerScanner();
    let n = 0;
    s.arm(BB, EB, { done: () => {}, activity: () => n++ });
    s.push(Buffer.from(`${B}abc`));
    expect(n).toBe(1);
    expect(s.begun).toBe(true);
    s.disarm();
    s.push(Buffer.from(`more${E}0\n`));
    expect(s.armed).toBe(false);
    expect(() => {
      s.arm(BB, EB, { done: () => {} });
      s.arm(BB, EB, { done: () => {} });
    }).toThrow('scanner armed while begin');
  });

  it('keeps at most `limit` bytes, reports the overflow once, and still finds the end', () => {
    const s = new MarkerScanner();
    let overflows = 0;
    const got: Array<{ body: Buffer; trailer: string }> = [];
    s.arm(BB, EB, { done: (body, trailer) => got.push({ body, trailer }), overflow: () => overflows++ }, 5);
    s.push(Buffer.from(`${B}abc`));
    expect(s.overflowed).toBe(false);
    s.push(Buffer.from('defgh'));
    expect([overflows, s.overflowed]).toEqual([1, true]);
    expect(s.partial()).toEqual(Buffer.from('abcde'));
    s.push(Buffer.from('x'.repeat(10_000)));
    s.push(Buffer.from(`yy${E}130\n`));
    expect(overflows).toBe(1);
    expect(got).toEqual([{ body: Buffer.from('abcde'), trailer: '130' }]);
  });

  it('a sink gets the output as it comes, nothing is collected', () => {
    const s = new MarkerScanner();
    const pieces: string[] = [];
    const got: Array<{ body: Buffer; trailer: string }> = [];
    s.arm(BB, EB, { done: (body, trailer) => got.push({ body, trailer }), sink: (b) => pieces.push(b.toString()) }, 1);
    s.push(Buffer.from(`${B}line 1\n`));
    expect(pieces.join('')).toBe('line 1\n');
    s.push(Buffer.from(`line 2\n${E}0\n`));
    expect(pieces.join('')).toBe('line 1\nline 2\n');
    expect(got).toEqual([{ body: Buffer.alloc(0), trailer: '0' }]);
  });

  it('fuzz: any chunking of random bodies gives them back exactly', () => {
    const rnd = mulberry32(0xc0ffee);
    for (let round = 0; round < 300; round++) {
      const body = Buffer.alloc(Math.floor(rnd() * 200));
      // Bytes drawn from the tokens' own alphabet, so near-misses are common.
      const alphabet = Buffer.from(`${E}${B}\n\0\xff`, 'latin1');
      for (let i = 0; i < body.length; i++) body[i] = alphabet[Math.floor(rnd() * alphabet.length)]!;
      // No accidental full end token inside the body.
      if (body.includes(Buffer.from(E))) continue;
      const stray = Buffer.from('x'.repeat(Math.floor(rnd() * 5)));
      const all = Buffer.concat([stray, Buffer.from(B), body, Buffer.from(`${E}${round % 256}\n`), stray]);
      const s = new MarkerScanner();
      const got = collect(s);
      let at = 0;
      while (at < all.length) {
        const n = 1 + Math.floor(rnd() * 40);
        s.push(all.subarray(at, at + n));
        at += n;
      }
      expect(got, `round ${round}`).toEqual([{ body, trailer: String(round % 256) }]);
    }
  });
});
