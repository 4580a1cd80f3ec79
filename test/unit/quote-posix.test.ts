import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QuoteError, shellQuote } from '../../src/index.js';
import { expectThrow } from '../helpers/expect-throw.js';
import { posixQuoter, quoteGlobPosix, quotePosix } from '../../src/quote/posix.js';
import { mulberry32 } from '../helpers/prng.js';

describe('quotePosix: vectors', () => {
  it.each([
    ['', "''"],
    ['foo', 'foo'],
    ['/foo/', '/foo/'],
    ['./foo*/bar&biz;', "'./foo*/bar&biz;'"],
    ["it's", "it\\'s"],
    ["a''b", `a"''"b`],
    ["'", "\\'"],
    ["''", `"''"`],
    ["'foo'", "\\'foo\\'"],
    ["'a b'", "\\''a b'\\'"],
    ['a b', "'a b'"],
    ["a'b c", "a\\''b c'"],
    ['a\nb', "'a\nb'"],
    ['\n', "'\n'"],
    ['a"b', `'a"b'`],
    ['a\\b', "'a\\b'"],
    ['user@host:/path,x-y_z.1', 'user@host:/path,x-y_z.1'],
    ['-rf', '-rf'],
    ['$HOME', "'$HOME'"],
    ['`id`', "'`id`'"],
  ])('%j -> %j', (input, quoted) => {
    expect(quotePosix(input)).toBe(quoted);
  });

  it.each(['=', '~', '!', '%', '^', '$', '*', '?', '[', ']', '{', '}', '#', '&', '|', ';', '<', '>', '(', ')', ' ', '\t', '"', '\\', 'ñ', '€', '😀'])(
    'quotes %j',
    (ch) => {
      expect(quotePosix(ch)).toBe(`'${ch}'`);
      expect(quotePosix(`a${ch}b`)).toBe(`'a${ch}b'`);
    },
  );

  it.each([',', ':', '@', '-', '.', '/', '_', 'Z', '0'])('leaves %j alone', (ch) => {
    expect(quotePosix(ch)).toBe(ch);
    expect(quotePosix(`a${ch}b`)).toBe(`a${ch}b`);
  });

  it('does not add a leading empty quote pair before a leading quote (unlike Net::OpenSSH)', () => {
    expect(quotePosix("'x")).toBe("\\'x");
    expect(quotePosix("'x").startsWith("''")).toBe(false);
  });

  it('posixQuoter uses these functions and the POSIX fragments', () => {
    expect(posixQuoter.name).toBe('POSIX');
    expect(posixQuoter.quote).toBe(quotePosix);
    expect(posixQuoter.quoteGlob).toBe(quoteGlobPosix);
    expect(posixQuoter.fragments).toEqual({
      stdinDiscard: '</dev/null',
      stdoutDiscard: '>/dev/null',
      stderrDiscard: '2>/dev/null',
      stdoutAndStderrDiscard: '>/dev/null 2>&1',
      stderrToStdout: '2>&1',
    });
    expect(Object.isFrozen(posixQuoter)).toBe(true);
    expect(Object.isFrozen(posixQuoter.fragments)).toBe(true);
  });
});

describe('quoteGlobPosix: vectors', () => {
  it.each([
    ['', "''"],
    ['foo', 'foo'],
    ['*.log', '*.log'],
    ['/var/log/*.log', '/var/log/*.log'],
    ['{a,b}', '{a,b}'],
    ['file?[0-9]', 'file?[0-9]'],
    ['~/x', "'~/x'"], // only * ? [ ] { } stay live: no tilde expansion
    ['!x^y', "'!x^y'"],
    ['a\\*b', 'a\\*b'],
    ['a\\\\b', 'a\\\\b'],
    ['a\\b', 'a\\\\b'],
    ['\\', '\\\\'],
    ["it's*", "it\\'s*"],
    ["a''*", `a"''"*`],
    ['$*', "'$'*"],
    ['a\n*', "a'\n'*"],
  ])('%j -> %j', (input, quoted) => {
    expect(quoteGlobPosix(input)).toBe(quoted);
  });

  it('quotes the shell metacharacters of ./foo*/bar&biz; but leaves the * live', () => {
    const q = quoteGlobPosix('./foo*/bar&biz;');
    expect(q.startsWith('./foo*/bar')).toBe(true);
    // & and ; appear only inside single quotes
    expect(q.replace(/'[^']*'/g, '')).not.toMatch(/[&;]/);
  });

  it("gives Net::OpenSSH's exact output: quoted runs reach up to the next glob character", () => {
    expect(quoteGlobPosix('/tmp/a b*')).toBe("/tmp/a' b'*");
    expect(quoteGlobPosix('./foo*/bar&biz;')).toBe("./foo*/bar'&biz;'");
    expect(quoteGlobPosix('/var/log/my logs/*.log')).toBe("/var/log/my' logs/'*.log");
  });
});

describe('quoteGlobPosix: literal braces', () => {
  it.each([
    ['{a,b}*', '{a,b}*'], // a brace group stays live
    ['{', "'{'"], // a brace without its partner is literal
    ['}', "'}'"], // (zsh: a lone } is a parse error)
    ['a{*', "a'{'*"],
    ['{a,b}}*', "{a,b}'}'*"],
    ['{{a,b}', "'{'{a,b}"], // each } closes the latest {
    ['\\{a,b}', "'{'a,b'}'"], // escaped: literal, and its partner has none
    ['\\{{a,b}', "'{'{a,b}"], // quoted, not \{: ksh93 does not expand \{{a,b}
    ['x\\}', "x'}'"],
    ['[{}]*', "['{}']*"], // inside brackets: members
    ['[{a,b}]', "['{'a,b'}']"],
    ['a b{c', "a' b{'c"], // merged into the quoted run
  ])('%j -> %j', (input, quoted) => {
    expect(quoteGlobPosix(input)).toBe(quoted);
  });
});

describe('quoteGlobPosix: the ksh93 workaround', () => {
  // ksh93 drops the quoting of the components after one that has quoted characters it
  // escapes internally and no live wildcard: when later components have wildcards and
  // quoted characters, a one-character bracket expression keeps that from happening.
  it.each([
    ['d\\*r/x\\*?', '[d]\\*r/x\\*?'],
    ['d\\?r/[a^]?', "[d]\\?r/[a'^']?"],
    ['d\\[1\\]/x(1)*', "[d]\\[1\\]/x'(1)'*"],
    ['c:\\dir/x\\\\*', '[c]:\\\\dir/x\\\\*'],
    ['My Files (2020)/IMG\\*?.jpg', "[M]y' Files (2020)/IMG'\\*?.jpg"],
    ['a|b/c&d/x\\**', "[a]'|b/'['c']'&d/x'\\**"], // every such component, a plain character first
    ['{x}y\\}/[a^]*', "{x}[y]'}'/[a'^']*"], // not inside a brace group
    ['/srv/a(1)/b/c*/d\\?', "/srv/[a]'(1)/b/c'*/d\\?"], // d\? comes after a wildcard
    ['(/x\\**', "['(']'/x'\\**"],
    ['^&/x\\**', "['^']'&/x'\\**"],
  ])('%j -> %j', (input, quoted) => {
    expect(quoteGlobPosix(input)).toBe(quoted);
  });

  it.each([
    ['d\\*r/*.log', 'd\\*r/*.log'], // nothing quoted after it: nothing to lose
    ['My Files (2020)/*.jpg', "My' Files (2020)/'*.jpg"],
    ['d\\*r/x', 'd\\*r/x'], // no wildcard after it: no pattern
    ['x*/a(b)/c\\*', "x*/a'(b)/c'\\*"],
    ['d*\\*/x\\**', 'd*\\*/x\\**'], // the component has a live wildcard itself
    ['a b/c\\**', "a' b/c'\\**"], // a space is not one of ksh93's characters
    ['d\\*r/[a!]*', 'd\\*r/[a!]*'], // a bare ! is not affected
    ['a\\*b', 'a\\*b'], // a single component is matched correctly
  ])('leaves %j alone: %j', (input, quoted) => {
    expect(quoteGlobPosix(input)).toBe(quoted);
  });

  it('refuses a directory none of whose characters can be written as a [x] set', () => {
    expectThrow(
      () => quoteGlobPosix('&/x\\**'),
      QuoteError,
      'cannot glob-quote the directory "&" for POSIX shells (in "&/x\\\\**"): ksh93 drops the quoting of the components after it unless one of its characters is written as a [x] set, and none of its characters can be (outside brace groups it has only & | ! -, a leading dot, control or non-ASCII characters); match one of them with ?',
    );
    expectThrow(() => quoteGlobPosix('é|/x\\**'), QuoteError, /^cannot glob-quote the directory "é\|"/);
    expectThrow(() => quoteGlobPosix('{a\\*,b}/x\\*?'), QuoteError, /^cannot glob-quote the directory "\{a\*,b\}"/);
    expect(quoteGlobPosix('&/x*')).toBe("'&/x'*"); // nothing quoted after it: fine
  });
});

describe('quoteGlobPosix: ! & | in brackets', () => {
  it('puts a ! after the first member in bare, which every POSIX shell reads as itself', () => {
    expect(quoteGlobPosix('[a!].txt')).toBe('[a!].txt');
    expect(quoteGlobPosix('x[b!c]y*')).toBe("x[b!'c']y*");
    expect(quoteGlobPosix('[]!]')).toBe('[]!]');
    expect(quoteGlobPosix('[^a]')).toBe("['^a']"); // ^ is literal, also first
    expect(quoteGlobPosix('!*')).toBe("'!'*"); // outside brackets: quoted as ever
    expect(quoteGlobPosix('a|b&c*')).toBe("a'|b&c'*");
  });

  it('refuses a leading !, and & or | in brackets, with a QuoteError saying why', () => {
    expectThrow(
      () => quoteGlobPosix('*.[!o]'),
      QuoteError,
      'cannot glob-quote a \'!\' first in a [...] set for POSIX shells (in "*.[!o]"): glob() keeps \'!\' literal, but bare it would negate the set there and quoted ksh93 also matches a backslash; put it after another member ([a!] rather than [!a])',
    );
    expectThrow(
      () => quoteGlobPosix('[a&]'),
      QuoteError,
      'cannot glob-quote \'&\' in a [...] set for POSIX shells (in "[a&]"): ksh93 also matches a backslash for a quoted \'&\' there; match it with ? or outside the brackets',
    );
    expectThrow(() => quoteGlobPosix('x[|]'), QuoteError, /cannot glob-quote '\|' in a \[\.\.\.\] set/);
    // Not a bracket expression: no closing ], or a / in between.
    expect(quoteGlobPosix('[!a')).toBe("['!a'");
    expect(quoteGlobPosix('[!/]')).toBe("['!/']");
  });
});

describe('shellQuote', () => {
  it('quotes each word and joins them with spaces', () => {
    expect(shellQuote('ls', '-l', 'a b', "it's", '')).toBe("ls -l 'a b' it\\'s ''");
  });

  it('returns an empty string for no words', () => {
    expect(shellQuote()).toBe('');
  });

  it('quotes glob characters (no globbing)', () => {
    expect(shellQuote('rm', '*')).toBe("rm '*'");
  });
});

// ---------------------------------------------------------------------------------------
// Local property tests: what the quoted words mean to real shells on this machine.

const SPECIAL = `'"\\\n \t$\`!*?[]{}~#&|;<>()%^=,:@-./`;

function randomString(rand: () => number, { glob = false } = {}): string {
  const len = Math.floor(rand() * 40);
  let s = '';
  for (let i = 0; i < len; i++) {
    const r = rand();
    let ch: string;
    if (r < 0.45) ch = String.fromCharCode(1 + Math.floor(rand() * 255));
    else if (r < 0.55) ch = "'";
    else if (r < 0.6) ch = '\n';
    else if (r < 0.65) ch = ' ';
    else if (r < 0.7) ch = String.fromCodePoint(0x10000 + Math.floor(rand() * (0x10ffff - 0x10000)));
    else if (r < 0.85) ch = SPECIAL[Math.floor(rand() * SPECIAL.length)]!;
    else ch = String.fromCharCode(0x61 + Math.floor(rand() * 26));
    // In glob mode a raw ~ would be tilde-expanded by design; keep it out of the property.
    if (glob && ch === '~') ch = 'T';
    s += ch;
  }
  return s;
}

const SHELLS = ['/bin/sh', '/bin/dash', '/bin/bash'].filter((s) => existsSync(s));

// The shells run in an empty scratch directory: a quoting bug that lets a redirection
// through must not write files into the working tree.
const scratch = mkdtempSync(join(tmpdir(), 'osmux-quote-'));
afterAll(() => {
  const created = readdirSync(scratch);
  rmSync(scratch, { recursive: true, force: true });
  expect(created, 'quoted words let a redirection through and created files').toEqual([]);
});

/** Run `printf '%s\0' <words>` in `shell` (after `prelude`) and return the printed strings as Buffers. */
function printWords(shell: string, quotedWords: string[], prelude = ''): Buffer[] {
  const out = execFileSync(shell, ['-c', `${prelude}printf '%s\\0' ${quotedWords.join(' ')}`], { maxBuffer: 64 * 1024 * 1024, cwd: scratch });
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 0) {
      parts.push(out.subarray(start, i));
      start = i + 1;
    }
  }
  expect(start).toBe(out.length); // output ends with a NUL
  return parts;
}

function checkBatches(
  shell: string,
  inputs: string[],
  quote: (s: string) => string,
  expected: (s: string) => string,
  prelude = '',
  normalize: (s: string) => string = (s) => s,
): string[] {
  const failures: string[] = [];
  for (let b = 0; b < inputs.length; b += 100) {
    const batch = inputs.slice(b, b + 100);
    const parts = printWords(shell, batch.map(quote), prelude);
    expect(parts).toHaveLength(batch.length);
    batch.forEach((input, i) => {
      if (!Buffer.from(normalize(parts[i]!.toString('utf8')), 'utf8').equals(Buffer.from(normalize(expected(input)), 'utf8'))) {
        failures.push(`${shell}: ${JSON.stringify(input)} quoted as ${JSON.stringify(quote(input))} printed ${JSON.stringify(parts[i]!.toString('utf8'))}`);
      }
    });
  }
  return failures;
}

/** What a glob-quoted word prints with globbing off: kept escapes lose their backslash. */
function unescapeGlob(s: string): string {
  return s.replace(/\\([*?[\]{}\\])/g, '$1');
}

/**
 * A one-character bracket expression (`[x]`) counts as that character: quoteGlobPosix writes
 * a literal character of a directory component that way when a later component has
 * wildcards (the ksh93 workaround), and with globbing off it prints as is.
 */
function oneCharBrackets(s: string): string {
  return s.replace(/\[(.)\]/gsu, '$1');
}

describe.skipIf(SHELLS.length === 0)('quoting round-trips through local shells', () => {
  const rand = mulberry32(0x5eed1234);
  const inputs = Array.from({ length: 300 }, () => randomString(rand));
  // Make sure the edge cases are always there, whatever the PRNG gives.
  inputs.push('', "'", "''", "'''", "a'", "'a", '\n', '\\', '😀', 'ÿ', '\u0001', ' ');

  it('generates a varied corpus', () => {
    expect(inputs.some((s) => s.includes("'"))).toBe(true);
    expect(inputs.some((s) => s.includes('\n'))).toBe(true);
    expect(inputs.some((s) => /[\u{10000}-\u{10ffff}]/u.test(s))).toBe(true);
    expect(inputs.some((s) => /[\u0080-\u00ff]/.test(s))).toBe(true);
    expect(new Set(inputs).size).toBeGreaterThan(250);
  });

  it.each(SHELLS)('quotePosix output reads back byte for byte in %s', (shell) => {
    expect(checkBatches(shell, inputs, quotePosix, (s) => s)).toEqual([]);
  });

  it.each(SHELLS)('shellQuote output reads back byte for byte in %s', (shell) => {
    const batch = inputs.slice(0, 50);
    const parts = printWords(shell, [shellQuote(...batch)]);
    expect(parts.map((p) => p.toString('utf8'))).toEqual(batch);
  });

  const globInputs = Array.from({ length: 300 }, () => randomString(rand, { glob: true }));
  globInputs.push('a\\*b', 'a\\\\b', 'a\\b', '\\', '\\\\\\', "\\'", '*', '{a,b}', '[x]', "'*'");

  it.each(SHELLS)('quoteGlobPosix output reads back (escapes removed) in %s with globbing off', (shell) => {
    // set -f: no pathname expansion; set +B: no brace expansion in bash.
    const prelude = shell.endsWith('bash') ? 'set -f +B; ' : 'set -f; ';
    expect(checkBatches(shell, globInputs, quoteGlobPosix, unescapeGlob, prelude, oneCharBrackets)).toEqual([]);
  });
});

describe.skipIf(!existsSync('/bin/sh'))('glob quoting expands remotely, plain quoting does not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'osmux-glob-'));
  for (const name of ['a b1', 'a b2', 'a*c', 'abc', "x'y", 'q&1']) writeFileSync(join(dir, name), '');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const expand = (word: string) => printWords('/bin/sh', [word]).map((b) => b.toString('utf8'));
  const expandMany = (word: string) => execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${word}`], { cwd: scratch }).toString('utf8').split('\0').slice(0, -1).sort();

  it('a glob with a space matches the files', () => {
    expect(expandMany(quoteGlobPosix(`${dir}/a b*`))).toEqual([`${dir}/a b1`, `${dir}/a b2`]);
  });

  it('an escaped * matches only the literal name', () => {
    expect(expandMany(quoteGlobPosix(`${dir}/a\\*c`))).toEqual([`${dir}/a*c`]);
    expect(expandMany(quoteGlobPosix(`${dir}/a*c`))).toEqual([`${dir}/a*c`, `${dir}/abc`].sort());
  });

  it('a glob with a quote and an & matches', () => {
    expect(expandMany(quoteGlobPosix(`${dir}/x'*`))).toEqual([`${dir}/x'y`]);
    expect(expandMany(quoteGlobPosix(`${dir}/q&?`))).toEqual([`${dir}/q&1`]);
  });

  it('quotePosix keeps the pattern literal', () => {
    expect(expand(quotePosix(`${dir}/a b*`))).toEqual([`${dir}/a b*`]);
    expect(expand(quotePosix(`${dir}/*`))).toEqual([`${dir}/*`]);
  });
});
