import { describe, expect, it } from 'vitest';
import {
  chainQuoters,
  cshQuoter,
  fishQuoter,
  getQuoter,
  msCmdQuoter,
  msWinQuoter,
  OpenSSH,
  posixQuoter,
  QuoteError,
  remoteShellNames,
  shellQuote,
  shellQuoteGlob,
  type Quoter,
} from '../../src/index.js';
import { expectThrow, expectTypeError } from '../helpers/expect-throw.js';

describe('getQuoter: Net::OpenSSH aliases', () => {
  it.each([
    ['POSIX', posixQuoter], ['sh', posixQuoter], ['bash', posixQuoter], ['ksh', posixQuoter], ['ash', posixQuoter],
    ['dash', posixQuoter], ['pdksh', posixQuoter], ['mksh', posixQuoter], ['lksh', posixQuoter], ['zsh', posixQuoter],
    ['posh', posixQuoter], ['yash', posixQuoter], ['fizsh', posixQuoter],
    ['csh', cshQuoter], ['tcsh', cshQuoter], ['fish', fishQuoter], ['MSWin', msWinQuoter], ['MSCmd', msCmdQuoter],
    ['mswin', msWinQuoter], ['TCSH', cshQuoter],
  ] as Array<[string, Quoter]>)('%s', (name, quoter) => {
    expect(getQuoter(name)).toBe(quoter);
  });

  it('lists every accepted name', () => {
    expect(remoteShellNames).toEqual([
      'posix', 'sh', 'bash', 'dash', 'ash', 'ksh', 'pdksh', 'mksh', 'lksh', 'zsh', 'fizsh', 'posh', 'yash', 'busybox',
      'csh', 'tcsh', 'fish', 'mswin', 'mscmd',
    ]);
  });

  it('accepts a quoter object of your own as is', () => {
    const mine: Quoter = { name: 'mine', quote: (w) => `<${w}>`, quoteGlob: (w) => `[${w}]`, fragments: {} };
    expect(getQuoter(mine)).toBe(mine);
  });

  it('rejects unknown names, empty chains and half-made quoters', () => {
    const expected = /^option 'remoteShell' must be a quoter object \(\{ name, quote, quoteGlob, fragments \}\) or shell names joined by ',' \(posix, .*, mscmd\), received /;
    expectTypeError(() => getQuoter('powershell'), expected);
    expectTypeError(() => getQuoter(''), expected);
    expectTypeError(() => getQuoter('MSCmd,'), expected);
    expectTypeError(() => getQuoter({ quote: (w: string) => w } as unknown as Quoter), expected);
  });
});

describe('chains', () => {
  it("'MSCmd,MSWin' quotes for the program first, then for cmd.exe (Net::OpenSSH's order)", () => {
    const chain = getQuoter('MSCmd,MSWin');
    expect(chain.name).toBe('MSCmd,MSWin');
    expect(chain.quote('a b')).toBe('^"a b^"');
    expect(chain.quote('a"b')).toBe(msCmdQuoter.quote(msWinQuoter.quote('a"b')));
  });

  it('uses the innermost quoteGlob and the outermost fragments', () => {
    const outer: Quoter = { name: 'outer', quote: (w) => `O(${w})`, quoteGlob: (w) => `OG(${w})`, fragments: { stdoutDiscard: '>OUT' } };
    const inner: Quoter = { name: 'inner', quote: (w) => `I(${w})`, quoteGlob: (w) => `IG(${w})`, fragments: { stdoutDiscard: '>IN' } };
    const chain = chainQuoters(outer, inner);
    expect(chain.quote('x')).toBe('O(I(x))');
    expect(chain.quoteGlob('x')).toBe('O(IG(x))');
    expect(chain.fragments).toBe(outer.fragments);
    expect(chainQuoters(outer)).toBe(outer);
    expectTypeError(() => chainQuoters(), 'chainQuoters() needs at least one quoter');
  });
});

describe('shellQuote / shellQuoteGlob', () => {
  it('quote for POSIX by default, for another shell with { remoteShell } last', () => {
    expect(shellQuote('ls', '-l', 'a b', "it's", '')).toBe("ls -l 'a b' it\\'s ''");
    expect(shellQuote('a b', "it's", { remoteShell: 'fish' })).toBe("'a b' 'it\\'s'");
    expect(shellQuoteGlob('/tmp/a b*', '~x')).toBe("/tmp/a' b'* '~x'");
    expect(OpenSSH.shellQuote('a b')).toBe("'a b'");
    expect(OpenSSH.shellQuoteGlob('*.c')).toBe('*.c');
  });

  it('an instance quotes for its own remoteShell', () => {
    const ssh = new OpenSSH('h', { remoteShell: 'csh', connect: false });
    expect(ssh.shellQuote('a!b')).toBe("'a\\!b'");
    expect(new OpenSSH('h', { connect: false }).shellQuote('a!b')).toBe("'a!b'");
  });

  it('refuses what cannot be quoted, and non-string words', () => {
    expectThrow(() => shellQuote('a\0b'), QuoteError, 'cannot quote a NUL character (at index 1) for POSIX: no command line can carry one');
    expectThrow(() => shellQuote('a\nb', { remoteShell: 'MSCmd' }), QuoteError, 'cannot quote a newline (at index 1) for cmd.exe: its command line ends there');
    expectTypeError(() => shellQuote('a', 5 as unknown as string), 'word 1 must be a string, received number');
  });
});
