import { describe, expect, it } from 'vitest';
import { QuoteError, buildRemoteCommand, getQuoter, shellQuote, shellQuoteGlob } from '../../src/index.js';
import { cshQuoter, quoteCsh, quoteGlobCsh } from '../../src/quote/csh.js';
import { expectThrow } from '../helpers/expect-throw.js';

// What these strings do in the real csh and tcsh is checked by
// test/integration/quoting-remote.test.ts and quoting-remote-glob.test.ts.

describe('quoteCsh: vectors', () => {
  it.each([
    ['', "''"],
    ['foo', 'foo'],
    ['/foo/', '/foo/'],
    ['user@host:/path,x-y_z.1', 'user@host:/path,x-y_z.1'],
    ['-n', '-n'],
    // Net::OpenSSH's: ! and newline take a backslash inside the quotes, each ' is \'.
    ['a!b', "'a\\!b'"],
    ['\n', "'\\\n'"],
    ['a\nb', "'a\\\nb'"],
    ["''", "\\'\\'"],
    ["'", "\\'"],
    ["it's", "it\\'s"],
    ["'a b'", "\\''a b'\\'"],
    ["x'''y", "x\\'\\'\\'y"],
    ['!', "'\\!'"],
    ['!!', "'\\!\\!'"],
    ['\\!', "'\\\\!'"],
    ['a b', "'a b'"],
    ['$HOME', "'$HOME'"],
    ['`id`', "'`id`'"],
    ['~', "'~'"],
    ['a\\b', "'a\\b'"], // a backslash is literal inside csh single quotes
    ['{a,b}', "'{a,b}'"],
    ['*', "'*'"],
    ['a=b', "'a=b'"],
    ['é', "'é'"],
    ['\u{1f600}', "'\u{1f600}'"],
  ])('%j -> %j', (input, quoted) => {
    expect(quoteCsh(input)).toBe(quoted);
  });

  it('refuses a NUL with a QuoteError', () => {
    const e = expectThrow(() => quoteCsh('a\0b'), QuoteError, 'cannot quote a NUL character (at index 1) for csh: no command line can carry one');
    expect(e.code).toBe('OSSH_QUOTE_ERROR');
    expect(e.shell).toBe('csh');
    expectThrow(() => quoteGlobCsh('*\0'), QuoteError, 'cannot quote a NUL character (at index 1) for csh: no command line can carry one');
  });
});

describe('quoteGlobCsh: vectors', () => {
  it.each([
    ['', "''"],
    ['*.log', '*.log'],
    ['/var/log/*.log', '/var/log/*.log'],
    ['a b*', "a' b'*"],
    ["it's*", "it\\'s*"],
    ["''*", "\\'\\'*"],
    ['a!*', "a'\\!'*"],
    ['a\n*', "a'\\\n'*"],
    ['~/x*', "'~/x'*"], // no tilde expansion
    ['$*', "'$'*"],
    ['\\*', '\\*'],
    ['a\\\\b', 'a\\\\b'],
    // Net::OpenSSH dies on a backslash that escapes nothing ("unquotable string"): doubled here.
    ['c:\\dir', 'c:\\\\dir'],
    ['a\\b', 'a\\\\b'],
    ['\\', '\\\\'],
    ['{a,b}', '{a,b}'],
    ['{', "'{'"], // csh would stop with "Missing }"
    ['a{b,c', "a'{'b,c"],
    ['\\{a,b}', "'{'a,b'}'"],
    ['[ab]', '[ab]'],
    ['[!a]', "['\\!a']"], // ! is literal, also first in brackets
    ['[^a]', "['^a']"],
    ['[a&]', "[a'&']"], // no ksh93 here: & in brackets is fine
    ['[{}]', "['{}']"],
    ['é*', "'é'*"], // tcsh never matches this (a tcsh bug); csh does
  ])('%j -> %j', (input, quoted) => {
    expect(quoteGlobCsh(input)).toBe(quoted);
  });
});

describe('cshQuoter', () => {
  it('is what csh and tcsh resolve to, with these functions', () => {
    expect(getQuoter('csh')).toBe(cshQuoter);
    expect(getQuoter('tcsh')).toBe(cshQuoter);
    expect(cshQuoter.name).toBe('csh');
    expect(cshQuoter.quote).toBe(quoteCsh);
    expect(cshQuoter.quoteGlob).toBe(quoteGlobCsh);
    expect(Object.isFrozen(cshQuoter)).toBe(true);
  });

  it('has no redirection for stderr alone nor for stderr to stdout', () => {
    expect(cshQuoter.fragments).toEqual({
      stdinDiscard: '</dev/null',
      stdoutDiscard: '>/dev/null',
      stdoutAndStderrDiscard: '>&/dev/null',
    });
  });

  it('builds commands with its fragments, and refuses the ones it lacks', () => {
    const q = cshQuoter;
    expect(buildRemoteCommand(['ls', 'a b'], { quoter: q, stdoutDiscard: true, stderrDiscard: true, stdinDiscard: true })).toBe("ls 'a b' >&/dev/null </dev/null");
    expect(buildRemoteCommand(['ls'], { quoter: q, stdoutDiscard: true, stderrToStdout: true })).toBe('ls >&/dev/null');
    expect(buildRemoteCommand(['ls'], { quoter: q, stdinDiscard: true, stdoutDiscard: true })).toBe('ls </dev/null >/dev/null');
    for (const [flags, option] of [
      [{ stderrDiscard: true }, 'stderrDiscard'],
      [{ stderrToStdout: true }, 'stderrToStdout'],
      [{ stdinDiscard: true, stderrDiscard: true }, 'stderrDiscard'],
    ] as const) {
      const e = expectThrow(
        () => buildRemoteCommand(['ls'], { quoter: q, ...flags }),
        QuoteError,
        `the remote shell csh has no redirection for ${option}: use a string command and write the redirection yourself, add a raw() word, or handle the stream locally`,
      );
      expect(e.code).toBe('OSSH_QUOTE_ERROR');
    }
    // test()'s own defaults are best effort: what csh lacks is left out.
    expect(buildRemoteCommand(['ls'], { quoter: q, stderrDiscard: true, bestEffort: true })).toBe('ls');
  });

  it('shellQuote and shellQuoteGlob take it by name', () => {
    expect(shellQuote('echo', 'a!b', "it's", { remoteShell: 'tcsh' })).toBe("echo 'a\\!b' it\\'s");
    expect(shellQuoteGlob('ls', 'c:\\dir', '*.c', { remoteShell: 'csh' })).toBe('ls c:\\\\dir *.c');
  });
});
