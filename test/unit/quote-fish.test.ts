import { describe, expect, it } from 'vitest';
import { QuoteError, buildRemoteCommand, getQuoter, shellQuote, shellQuoteGlob } from '../../src/index.js';
import { fishQuoter, quoteFish, quoteGlobFish } from '../../src/quote/fish.js';
import { expectThrow } from '../helpers/expect-throw.js';

// What these strings do in the real fish is checked by test/integration/quoting-remote.test.ts
// and quoting-remote-glob.test.ts.

describe('quoteFish: vectors', () => {
  it.each([
    ['', "''"],
    ['foo', 'foo'],
    ['/foo/', '/foo/'],
    ['-n', '-n'],
    // Net::OpenSSH's: ' and \ take a backslash inside the single quotes.
    ["it's", "'it\\'s'"],
    ['a\\b', "'a\\\\b'"],
    ["'", "'\\''"],
    ['\\', "'\\\\'"],
    ["a\\'b", "'a\\\\\\'b'"],
    ['\\n', "'\\\\n'"],
    ['a b', "'a b'"],
    ['\n', "'\n'"], // a newline is literal in fish single quotes
    ['$x', "'$x'"],
    ['(echo hi)', "'(echo hi)'"],
    ['~', "'~'"],
    ['{a,b}', "'{a,b}'"],
    ['*', "'*'"],
    ['!', "'!'"],
    ['%self', "'%self'"],
    ['é\u{1f600}', "'é\u{1f600}'"],
  ])('%j -> %j', (input, quoted) => {
    expect(quoteFish(input)).toBe(quoted);
  });

  it('refuses a NUL with a QuoteError', () => {
    const e = expectThrow(() => quoteFish('\0'), QuoteError, 'cannot quote a NUL character (at index 0) for fish: no command line can carry one');
    expect(e.code).toBe('OSSH_QUOTE_ERROR');
    expect(e.shell).toBe('fish');
    expectThrow(() => quoteGlobFish('a*\0'), QuoteError, 'cannot quote a NUL character (at index 2) for fish: no command line can carry one');
  });
});

describe('quoteGlobFish: vectors', () => {
  it.each([
    ['', "''"],
    ['*.log', '*.log'],
    ['**/*.log', '**/*.log'],
    ['a?', 'a?'], // fish 3 globs ? unless the qmark-noglob feature is on
    ['{a,b}', '{a,b}'],
    ['a b*', "a' b'*"],
    ["it's*", "it\\'s*"],
    ['a\\b', 'a\\\\b'],
    ['a\\*b', 'a\\*b'],
    ['$*', "'$'*"],
    ['~*', "'~'*"],
    // No [...] wildcard in fish: brackets are escaped and match themselves (bare, an
    // unmatched [ is a syntax error, after which fish 3 exits 0).
    ['[ab]', '\\[ab\\]'],
    ['a[*', 'a\\[*'],
    ['\\[x]', '\\[x\\]'],
    ['[!a]', "\\['!a'\\]"],
    // A brace without its partner is literal (bare, it is a syntax error too).
    ['{', "'{'"],
    ['a}*', "a'}'*"],
    ['{a,b}}', "{a,b}'}'"],
    ['\\{a,b}', "'{'a,b'}'"],
  ])('%j -> %j', (input, quoted) => {
    expect(quoteGlobFish(input)).toBe(quoted);
  });
});

describe('fishQuoter', () => {
  it('is what fish resolves to, with these functions and the POSIX fragments', () => {
    expect(getQuoter('fish')).toBe(fishQuoter);
    expect(getQuoter('FISH')).toBe(fishQuoter);
    expect(fishQuoter.name).toBe('fish');
    expect(fishQuoter.quote).toBe(quoteFish);
    expect(fishQuoter.quoteGlob).toBe(quoteGlobFish);
    expect(Object.isFrozen(fishQuoter)).toBe(true);
    expect(fishQuoter.fragments).toEqual({
      stdinDiscard: '</dev/null',
      stdoutDiscard: '>/dev/null',
      stderrDiscard: '2>/dev/null',
      stdoutAndStderrDiscard: '>/dev/null 2>&1',
      stderrToStdout: '2>&1',
    });
  });

  it('builds commands with them', () => {
    expect(buildRemoteCommand(['ls', "it's"], { quoter: fishQuoter, stderrDiscard: true })).toBe("ls 'it\\'s' 2>/dev/null");
    expect(buildRemoteCommand(['ls', '[ab]*'], { quoter: fishQuoter, glob: true, stdinDiscard: true, stderrToStdout: true })).toBe('ls \\[ab\\]* </dev/null 2>&1');
  });

  it('shellQuote and shellQuoteGlob take it by name', () => {
    expect(shellQuote('echo', 'a b', 'a\\b', { remoteShell: 'fish' })).toBe("echo 'a b' 'a\\\\b'");
    expect(shellQuoteGlob('ls', '[x]*', { remoteShell: 'fish' })).toBe('ls \\[x\\]*');
  });
});
