/**
 * Test strings for the remote quoting property tests, from a seeded PRNG. The seed comes from
 * QUOTE_SEED (decimal or 0x hex) or is random; it is in the test names and in every failure
 * message, so a failing run can be replayed.
 */
import { mulberry32 } from './prng.js';
import { chunk } from './chunk.js';

function parseSeed(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return (Math.random() * 2 ** 32) >>> 0;
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) {
    throw new Error(`QUOTE_SEED must be an integer in 0..2^32-1 (decimal or 0x hex), received ${JSON.stringify(text)}`);
  }
  return n;
}

export const SEED = parseSeed(process.env.QUOTE_SEED);

/** Characters some shell treats specially (plus bash's internal CTLESC/CTLNUL bytes 0x01, 0x7f). */
const SPECIALS = [...'\\$`!\t #~*?[]{}()<>|&;=%^-,:@"\'\r', '\x01', '\x7f', '\xff', '\x80', '\x85', '\xa0'];

/** The characters the hostile runs are made of. */
const HOSTILE = ["'", '\\', '\n', '!', '$', '`', '"', ' ', '~', '-', '^', '#', '{', '}'];

export function makeGenerator(seed: number) {
  const rnd = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

  /** One code point 1..255, with extra weight on quotes, newlines and shell specials. */
  function char(): string {
    const r = rnd();
    if (r < 0.16) return "'";
    if (r < 0.22) return '"';
    if (r < 0.3) return '\n';
    if (r < 0.45) return pick(SPECIALS);
    return String.fromCharCode(int(1, 255));
  }

  /** A non-BMP character (never a lone surrogate). */
  function astral(): string {
    const fixed = [0x1f600, 0x10000, 0x10ffff, 0x1d11e, 0x20000, 0xe0001, 0xf0000];
    return String.fromCodePoint(rnd() < 0.5 ? pick(fixed) : int(0x10000, 0x10ffff));
  }

  /** Any valid code point: BMP outside the surrogates (half of them), or astral. */
  function anyChar(): string {
    const r = rnd();
    if (r < 0.5) {
      const c = int(1, 0xfffd);
      return String.fromCharCode(c >= 0xd800 && c <= 0xdfff ? c - 0x800 : c);
    }
    if (r < 0.7) return astral();
    // Blocks shells use internally: fish's private-use and noncharacter ranges, C1 controls.
    return String.fromCharCode(pick([int(0xf600, 0xf8ff), int(0xfdd0, 0xfdef), int(0x80, 0xa0), 0xfeff, 0xfffe, 0xffff, 0x2028]));
  }

  function length(): number {
    // Half short strings (where edge effects of the quoting live), half uniform up to 200.
    return rnd() < 0.5 ? int(1, 12) : int(1, 200);
  }

  /** Code points 1..255 (sent as UTF-8), with runs of quotes now and then. */
  function randomString(): string {
    const n = length();
    let s = rnd() < 0.1 ? pick(['-', '~', '--', '-n', '~root/']) : '';
    while (s.length < n) {
      if (rnd() < 0.04) s += "'".repeat(int(2, 5));
      else s += char();
    }
    return s.slice(0, n);
  }

  /** Code points 1..255 mixed with non-BMP characters. */
  function astralString(): string {
    const n = int(1, 40);
    let s = '';
    for (let i = 0; i < n; i++) s += rnd() < 0.3 ? astral() : char();
    return s;
  }

  /** Valid UTF-8 text from the whole code space, with some specials in between. */
  function textString(): string {
    const n = int(1, 40);
    let s = '';
    for (let i = 0; i < n; i++) s += rnd() < 0.8 ? anyChar() : pick(SPECIALS);
    return s;
  }

  /** Runs of quotes, backslashes, newlines, `!`, `$` and backticks; some with a leading `-` or `~`. */
  function hostileString(): string {
    const runs = int(1, 6);
    let s = rnd() < 0.3 ? pick(['-', '~', '-~', '~-']) : '';
    for (let i = 0; i < runs; i++) {
      s += pick(HOSTILE).repeat(int(1, 5));
      if (rnd() < 0.3) s += pick(['a', 'x y', 'HOME', '(id)', 'é']);
    }
    return s;
  }

  return { randomString, astralString, textString, hostileString };
}

/** Hard cases that are always sent, whatever the seed. */
const NET_OPENSSH = "#@$#$%&(@#_)erkljgfd'' 345345' { { / // ///foo bar////doz '''' heloo";
export const FIXED: readonly string[] = [
  "'",
  "''",
  "'''",
  '\n',
  '\n\n',
  'a\'b"c',
  "\x82'<~{", // the 'broken ksh' string
  NET_OPENSSH,
  `${NET_OPENSSH}\nline1\nline2`,
  ' ',
  '      ',
  '-',
  '-n',
  '-e',
  '--',
  '%s',
  '%s\\0',
  '*',
  '~root',
  '~',
  '~/x',
  '$HOME',
  '${HOME}',
  '$(echo pwned)',
  '`echo pwned`',
  '!!',
  '!',
  'a!b',
  '!$',
  '!-1',
  '\\!',
  '!\n',
  '\n!',
  "'!'",
  '^x^y',
  'a^b',
  '\\',
  '\\\\',
  "\\'",
  "'\\",
  '\\\n',
  'a\\\nb',
  '#not a comment',
  'a b',
  '\t',
  '\r\n',
  '\x01',
  '\x7f',
  '\x01\x7f\x01',
  "\xff'\xff",
  '\x85\xa0',
  'a=b',
  '=ls',
  'if',
  '{a,b}',
  '{}',
  '[a-z]*',
  '%1',
  '$<',
  '$fish_pid',
  '(echo pwned)',
  'a;b',
  'a|b&c',
  '\u{1f600}',
  "'\u{1f600}'",
  '\uf600\uf6ff\uf8ff\ufdd0\ufdef\ufeff\ufffe\uffff',
  String.fromCharCode(...Array.from({ length: 255 }, (_, i) => i + 1)),
];

export const COUNTS = { random: 260, astral: 12, text: 40, hostile: 40 } as const;

/** The strings of one run: the fixed ones, then the generated ones. */
export function makeCases(seed: number): string[] {
  const gen = makeGenerator(seed);
  const out = [...FIXED];
  for (let i = 0; i < COUNTS.astral; i++) out.push(gen.astralString());
  for (let i = 0; i < COUNTS.text; i++) out.push(gen.textString());
  for (let i = 0; i < COUNTS.hostile; i++) out.push(gen.hostileString());
  for (let i = 0; i < COUNTS.random; i++) out.push(gen.randomString());
  return out;
}

/** Budget for one remote command (Linux limits one argv string to 128 KiB). */
export const MAX_COMMAND_BYTES = 100_000;

/**
 * Split the strings into batches whose quoted command stays under the budget. The size is
 * bounded without trusting the quoter: no quoter makes more than 4 bytes of one (csh turns a
 * lone `!` into `'\!'`), so 5x the UTF-8 size plus a separator is an upper bound.
 */
export function batches(strings: readonly string[]): string[][] {
  return chunk(strings, (s) => 5 * Buffer.byteLength(s, 'utf8') + 4, MAX_COMMAND_BYTES);
}

export const hex = (b: Buffer) => (b.length === 0 ? '(empty)' : b.toString('hex').replace(/(..)(?!$)/g, '$1 '));

/** JSON, with DEL and the C1 controls escaped too, so the message is safe to print. */
export const show = (s: string) => JSON.stringify(s).replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function firstDifference(a: Buffer, b: Buffer): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** A failure report naming the seed, the shell, the input, its quoted form and the bytes. */
export function describeMismatch(shell: string, input: string, quoted: string, expected: Buffer, actual: Buffer | undefined, note = ''): string {
  return [
    `seed ${SEED} (QUOTE_SEED=${SEED}), shell ${shell}${note}`,
    `  input    ${show(input)}`,
    `  quoted   ${show(quoted)}`,
    `  expected ${hex(expected)}`,
    `  actual   ${actual === undefined ? '(missing: the remote printed fewer words)' : hex(actual)}`,
    ...(actual === undefined ? [] : [`  first difference at byte ${firstDifference(expected, actual)}`]),
  ].join('\n');
}

/** Split `buf` on NUL bytes; the trailing NUL terminates the last piece. */
export function splitNul(buf: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(0); i !== -1; i = buf.indexOf(0, start)) {
    parts.push(buf.subarray(start, i));
    start = i + 1;
  }
  if (start < buf.length) parts.push(buf.subarray(start)); // unterminated tail: a mismatch
  return parts;
}

export function report(problems: readonly string[]): string {
  const shown = problems.slice(0, 5).join('\n\n');
  const more = problems.length > 5 ? `\n\n... and ${problems.length - 5} more` : '';
  return `${problems.length} quoting round-trip failure(s):\n\n${shown}${more}\n`;
}
