import { describe, expect, it } from 'vitest';
import { MarkerScanner } from '../../src/shell/scanner.js';
import { mulberry32 } from '../helpers/prng.js';

const B = 'fedcba9876543210fedcba9876543210:B';
const E = 'fedcba9876543210fedcba9876543210:E';

function collect(s: MarkerScanner) {
  const got: Array<{ body: Buffer; trailer: string }> = [];
  s.arm(B, E, (body, trailer) => got.push({ body, trailer }));
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
    const body = `00000000000000000000000000000000:E0\n${E.slice(0, -1)}\0${E.slice(0, 10)}`;
    s.push(Buffer.from(`${B}${body}${E}0\n`));
    expect(got[0]!.body.toString()).toBe(body);
  });

  it('reports body progress and can be disarmed', () => {
    const s = new MarkerScanner();
    let n = 0;
    s.arm(B, E, () => {}, () => n++);
    s.push(Buffer.from(`${B}abc`));
    expect(n).toBe(1);
    expect(s.begun).toBe(true);
    s.disarm();
    s.push(Buffer.from(`more${E}0\n`));
    expect(s.armed).toBe(false);
    expect(() => {
      s.arm(B, E, () => {});
      s.arm(B, E, () => {});
    }).toThrow('scanner armed while begin');
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
