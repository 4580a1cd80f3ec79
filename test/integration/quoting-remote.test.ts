/**
 * Acceptance property test for POSIX quoting: random strings quoted by the library travel
 * through the real sshd to the `sh` (dash on Debian), `dash` and `bash` login shells and come
 * back byte for byte.
 *
 * The strings are made by a seeded PRNG; the seed is in the describe name and in every failure
 * message. Reproduce a failure with `QUOTE_SEED=<seed> npx vitest run test/integration/quoting-remote.test.ts`.
 *
 * Node passes argv as UTF-8, so the code points 128..255 (and the non-BMP ones) travel as
 * their UTF-8 bytes: the remote output is compared with `Buffer.from(input, 'utf8')`.
 */
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenSSH, quotePosix, raw } from '../../src/index.js';
import { mulberry32 } from '../helpers/prng.js';
import { baseOptions, sshd, target } from '../helpers/server.js';

// ---------------------------------------------------------------------------------------------
// Seed and PRNG

function parseSeed(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return (Math.random() * 2 ** 32) >>> 0;
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) {
    throw new Error(`QUOTE_SEED must be an integer in 0..2^32-1 (decimal or 0x hex), received ${JSON.stringify(text)}`);
  }
  return n;
}

const SEED = parseSeed(process.env.QUOTE_SEED);

// ---------------------------------------------------------------------------------------------
// String generation

/** Characters a shell treats specially (plus bash's internal CTLESC/CTLNUL bytes 0x01, 0x7f). */
const SPECIALS = [...'\\$`!\t #~*?[]{}()<>|&;=%^-,:@"\'\r', '\x01', '\x7f', '\xff', '\x80'];

function makeGenerator(seed: number) {
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
    const fixed = [0x1f600, 0x10000, 0x10ffff, 0x1d11e, 0x20000];
    return String.fromCodePoint(rnd() < 0.5 ? pick(fixed) : int(0x10000, 0x10ffff));
  }

  function length(): number {
    // Half short strings (where edge effects of the quoting live), half uniform up to 200.
    return rnd() < 0.5 ? int(1, 12) : int(1, 200);
  }

  function randomString(): string {
    const n = length();
    let s = '';
    while (s.length < n) {
      // Now and then a run of quotes, which the quoter handles specially.
      if (rnd() < 0.04) s += "'".repeat(int(2, 5));
      else s += char();
    }
    return s.slice(0, n);
  }

  function astralString(): string {
    const n = int(1, 40);
    let s = '';
    for (let i = 0; i < n; i++) s += rnd() < 0.3 ? astral() : char();
    return s;
  }

  return { randomString, astralString };
}

/** Hard cases that are always sent, whatever the seed. */
const NET_OPENSSH = "#@$#$%&(@#_)erkljgfd'' 345345' { { / // ///foo bar////doz '''' heloo";
const FIXED: readonly string[] = [
  "'",
  "''",
  "'''",
  '\n',
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
  '$HOME',
  '${HOME}',
  '$(echo pwned)',
  '`echo pwned`',
  '!!',
  '\\',
  '\\\\',
  "\\'",
  '#not a comment',
  'a b',
  '\t',
  '\x01',
  '\x7f',
  '\x01\x7f\x01',
  "\xff'\xff",
  'a=b',
  'if',
  '{a,b}',
  '[a-z]*',
  '\u{1f600}',
  "'\u{1f600}'",
  String.fromCharCode(...Array.from({ length: 255 }, (_, i) => i + 1)),
];

const RANDOM_COUNT = 260;
const ASTRAL_COUNT = 8;

function makeCases(seed: number): string[] {
  const gen = makeGenerator(seed);
  const out = [...FIXED];
  for (let i = 0; i < ASTRAL_COUNT; i++) out.push(gen.astralString());
  for (let i = 0; i < RANDOM_COUNT; i++) out.push(gen.randomString());
  return out;
}

const CASES = makeCases(SEED);

// ---------------------------------------------------------------------------------------------
// Batching and checking

/** Budget for one remote command (Linux limits one argv string to 128 KiB). */
const MAX_COMMAND_BYTES = 100_000;

/**
 * Split the strings into batches whose quoted command stays under the budget. The size is
 * bounded without trusting the quoter: quoting at most multiplies the bytes by 2.5 (`'x` ->
 * `\''x'`), so 3x the UTF-8 size plus a separator is an upper bound.
 */
function batches(strings: readonly string[]): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let size = 0;
  for (const s of strings) {
    const cost = 3 * Buffer.byteLength(s, 'utf8') + 4;
    if (cur.length > 0 && size + cost > MAX_COMMAND_BYTES) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(s);
    size += cost;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

const hex = (b: Buffer) => (b.length === 0 ? '(empty)' : b.toString('hex').replace(/(..)(?!$)/g, '$1 '));

/** JSON, with DEL and the C1 controls escaped too, so the message is safe to print. */
const show = (s: string) => JSON.stringify(s).replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function firstDifference(a: Buffer, b: Buffer): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function describeMismatch(shell: string, input: string, expected: Buffer, actual: Buffer | undefined, note = ''): string {
  return [
    `seed ${SEED} (QUOTE_SEED=${SEED}), shell ${shell}${note}`,
    `  input    ${show(input)}`,
    `  quoted   ${show(quotePosix(input))}`,
    `  expected ${hex(expected)}`,
    `  actual   ${actual === undefined ? '(missing: the remote printed fewer words)' : hex(actual)}`,
    ...(actual === undefined ? [] : [`  first difference at byte ${firstDifference(expected, actual)}`]),
  ].join('\n');
}

/** Split `buf` on NUL bytes; the trailing NUL terminates the last piece. */
function splitNul(buf: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(0); i !== -1; i = buf.indexOf(0, start)) {
    parts.push(buf.subarray(start, i));
    start = i + 1;
  }
  if (start < buf.length) parts.push(buf.subarray(start)); // unterminated tail: a mismatch
  return parts;
}

/**
 * Send the strings through `printf '%s\0'` in batches; return the mismatch reports. The
 * command runs in `/`, where glob words left unquoted would match (bin, etc, ...).
 */
async function roundTrip(ssh: OpenSSH, shell: string, strings: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const batch of batches(strings)) {
    const r = await ssh.run([raw('cd / &&'), 'printf', '%s\\0', ...batch], { encoding: 'buffer', reject: false } as const);
    if (r.failed || r.stderr.length > 0) {
      problems.push(
        `seed ${SEED}, shell ${shell}: the batch of ${batch.length} words failed (exit ${r.exitCode}, ` +
          `command ${Buffer.byteLength(r.command)} bytes): ${r.error?.message ?? ''}\nstderr: ${r.stderr.toString('utf8').slice(0, 2000)}`,
      );
    }
    const parts = splitNul(r.stdout);
    if (parts.length !== batch.length) {
      // A word split or swallowed shifts every later word: only the first mismatch is the culprit.
      const i = batch.findIndex((s, k) => parts[k] === undefined || !parts[k]!.equals(Buffer.from(s, 'utf8')));
      const at = i === -1 ? batch.length - 1 : i;
      const where = i === -1 ? 'extra words after the last input' : `first mismatch at word ${i} of the batch`;
      const note = `: the remote printed ${parts.length} words for ${batch.length} inputs; ${where}`;
      problems.push(describeMismatch(shell, batch[at]!, Buffer.from(batch[at]!, 'utf8'), parts[at], note));
      continue;
    }
    batch.forEach((s, i) => {
      const expected = Buffer.from(s, 'utf8');
      if (!parts[i]!.equals(expected)) problems.push(describeMismatch(shell, s, expected, parts[i]));
    });
  }
  return problems;
}

function report(problems: readonly string[]): string {
  const shown = problems.slice(0, 5).join('\n\n');
  const more = problems.length > 5 ? `\n\n... and ${problems.length - 5} more` : '';
  return `${problems.length} quoting round-trip failure(s):\n\n${shown}${more}\n`;
}

// ---------------------------------------------------------------------------------------------
// Which shells

const WANTED = [
  { user: 'osmux-sh', shell: '/bin/sh' },
  { user: 'osmux-dash', shell: '/bin/dash' },
  { user: 'osmux-bash', shell: '/bin/bash' },
];
const NON_POSIX = new Set(['csh', 'tcsh', 'fish', 'nu', 'xonsh', 'elvish', 'rc', 'es', 'pwsh']);

function shellsToTest(): Array<{ user: string; shell: string; skip: string | false }> {
  const info = sshd();
  if (!info.isRoot) {
    // Only the current user can log in: test its shell, if it is a POSIX one.
    const u = info.users[0]!;
    const name = basename(u.shell);
    return [{ user: u.name, shell: u.shell, skip: NON_POSIX.has(name) ? `login shell ${u.shell} is not a POSIX shell` : false }];
  }
  return WANTED.map((w) => {
    const u = info.users.find((x) => x.name === w.user);
    return { user: w.user, shell: u?.shell ?? w.shell, skip: u ? false : `user ${w.user} is not on the test sshd` };
  });
}

// ---------------------------------------------------------------------------------------------

describe(`POSIX quoting round-trips through the remote shell (seed ${SEED})`, () => {
  it('the generated strings are valid test data', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(300);
    for (const s of CASES) {
      expect(s.length, JSON.stringify(s)).toBeGreaterThan(0);
      expect(s.includes('\0'), JSON.stringify(s)).toBe(false);
      // No lone surrogates: they would become U+FFFD on the way to argv.
      expect(s.isWellFormed(), JSON.stringify(s)).toBe(true);
    }
    const random = CASES.slice(FIXED.length + ASTRAL_COUNT);
    expect(Math.max(...random.map((s) => s.length))).toBeLessThanOrEqual(200);
    // Every code point 1..255 occurs somewhere, and the astral strings are astral.
    const seen = new Set(CASES.join(''));
    for (let c = 1; c <= 255; c++) expect(seen.has(String.fromCharCode(c)), `code point ${c}`).toBe(true);
    expect(CASES.some((s) => /[\u{10000}-\u{10ffff}]/u.test(s))).toBe(true);
    // The batches stay under the budget once actually quoted.
    for (const b of batches(CASES)) {
      const cmd = ['printf', '%s\\0', ...b].map(quotePosix).join(' ');
      expect(Buffer.byteLength(cmd)).toBeLessThan(MAX_COMMAND_BYTES);
    }
  });

  for (const { user, shell, skip } of shellsToTest()) {
    const label = `${basename(shell)} (${user})`;
    describe.skipIf(skip !== false)(skip === false ? label : `${label}: skipped, ${skip}`, () => {
      // One connection per shell, shared by its tests.
      let ssh: OpenSSH;
      beforeAll(async () => {
        ssh = new OpenSSH(target(user), baseOptions());
        if (!(await ssh.waitForMaster())) throw ssh.error;
      });
      afterAll(async () => {
        await ssh?.disconnect();
      });

      it('the commands run under that login shell', async () => {
        // sshd runs the command as `<shell> -c <command>`, with $0 the shell's base name.
        const zero = await ssh.capture('printf %s "$0"');
        expect(zero.replace(/^-/, ''), `seed ${SEED}: $0 of ${user}`).toBe(basename(shell));
      });

      it(`${CASES.length} strings come back byte for byte through printf '%s\\0'`, async () => {
        const problems = await roundTrip(ssh, label, CASES);
        expect(problems.length, report(problems)).toBe(0);
      });

      it('single words come back exactly through printf %s', async () => {
        const singles = [...FIXED.slice(0, 12), ...CASES.slice(FIXED.length, FIXED.length + 4)];
        const problems: string[] = [];
        for (const s of singles) {
          const r = await ssh.run(['printf', '%s', s], { encoding: 'buffer' } as const);
          const expected = Buffer.from(s, 'utf8');
          if (!r.stdout.equals(expected)) problems.push(describeMismatch(label, s, expected, r.stdout));
        }
        expect(problems.length, report(problems)).toBe(0);
      });

      it('quoteArgs: true makes a string command one literal word', async () => {
        const word = "it's a $HOME `id` test";
        const r = await ssh.run(word, { quoteArgs: true, reject: false });
        // One word naming no command: "not found" (127), with the name printed unexpanded.
        expect(r.exitCode, `seed ${SEED}, ${user}: ${r.command} -> ${r.stderr}`).toBe(127);
        expect(r.stderr, `${user}: ${r.command}`).toContain(word);
        expect(r.stdout).toBe('');
      });
    });
  }
});
