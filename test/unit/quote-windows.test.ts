/**
 * The Windows quoters against fixed vectors (input -> exact output). Every vector was run
 * under Wine by test/windows/quote-windows.test.ts (`npm run test:windows`, also part of
 * `npm test` when Wine is installed), which runs them again each time; this file needs no Wine.
 */
import { describe, expect, it } from 'vitest';
import { QuoteError } from '../../src/errors/index.js';
import { chainQuoters } from '../../src/quote/chain.js';
import { MSCMD_MAX_COMMAND_LINE, msCmdMsWinQuoter, msCmdQuoter, quoteMsCmd, quoteMsCmdMsWin } from '../../src/quote/mscmd.js';
import { MSWIN_MAX_COMMAND_LINE, msWinQuoter, quoteMsWin } from '../../src/quote/mswin.js';
import { getQuoter } from '../../src/quote/registry.js';
import { shellQuote } from '../../src/quote/shell-quote.js';
import { expectThrow } from '../helpers/expect-throw.js';
import { CHAIN_VECTORS, MSCMD_VECTORS, MSWIN_VECTORS } from '../windows/vectors.js';

describe('MSWin vectors (C runtime / CommandLineToArgvW, verified under Wine)', () => {
  it.each(MSWIN_VECTORS.map((v) => [v[0], v[1]]))('%j -> %j', (input, quoted) => {
    expect(quoteMsWin(input)).toBe(quoted);
    expect(msWinQuoter.quoteGlob(input)).toBe(quoted);
  });
});

describe('MSCmd vectors (cmd.exe, verified under Wine)', () => {
  it.each(MSCMD_VECTORS.map((v) => [v[0], v[1]]))('%j -> %j', (input, quoted) => {
    expect(quoteMsCmd(input)).toBe(quoted);
    expect(msCmdQuoter.quoteGlob(input)).toBe(quoted);
  });
});

describe("'MSCmd,MSWin' vectors (cmd.exe /c starting a program, verified under Wine)", () => {
  const chain = getQuoter('MSCmd,MSWin');
  it.each(CHAIN_VECTORS.map((v) => [v[0], v[1]]))('%j -> %j', (input, quoted) => {
    expect(chain.quote(input)).toBe(quoted);
    expect(chain.quoteGlob(input)).toBe(quoted);
    expect(quoteMsCmdMsWin(input)).toBe(quoted);
  });
});

describe('Net::OpenSSH compatibility', () => {
  it("keeps Net::OpenSSH's documented outputs", () => {
    expect(quoteMsWin('c:\\Program Files\\')).toBe('"c:\\Program Files\\\\"');
    expect(quoteMsWin('a"b')).toBe('"a\\"b"');
    expect(quoteMsWin('')).toBe('""');
    expect(quoteMsCmd('')).toBe('');
    expect(quoteMsCmd('a&b|c')).toBe('a^&b^|c');
    expect(getQuoter('MSCmd,MSWin').quote('a b')).toBe('^"a b^"');
  });

  it('the chain is MSCmd over MSWin except for a `%` or a leading `@`', () => {
    for (const w of ['a b', 'a"b', 'c:\\Program Files\\', '', '!x!', '^', '&|<>()', 'a@b', 'é 中']) {
      expect(quoteMsCmdMsWin(w)).toBe(quoteMsCmd(quoteMsWin(w)));
    }
    // Net::OpenSSH gives ^%PATH^% and @x: Wine's cmd.exe expands the first and drops the @.
    expect(quoteMsCmdMsWin('%PATH%')).toBe('^%^"^"PATH^%^"^"');
    expect(quoteMsCmdMsWin('@x')).toBe('^"@x^"');
  });

  it('MSCmd puts a caret after each % as well (Net::OpenSSH: ^%PATH^%)', () => {
    expect(quoteMsCmd('%PATH%')).toBe('^%^PATH^%');
    expect(quoteMsCmd('%PATH:a=b%')).toBe('^%^PATH:a=b^%');
    expect(quoteMsCmd('%&x')).toBe('^%^&x'); // one caret when the next character is special anyway
  });
});

describe('the chain', () => {
  it("getQuoter('MSCmd,MSWin') and chainQuoters(msCmdQuoter, msWinQuoter) give the fused quoter", () => {
    expect(getQuoter('MSCmd,MSWin')).toBe(msCmdMsWinQuoter);
    expect(getQuoter(' mscmd , MSWIN ')).toBe(msCmdMsWinQuoter);
    expect(chainQuoters(msCmdQuoter, msWinQuoter)).toBe(msCmdMsWinQuoter);
    expect(msCmdMsWinQuoter.name).toBe('MSCmd,MSWin');
    expect(msCmdMsWinQuoter.fragments).toBe(msCmdQuoter.fragments);
    expect(Object.isFrozen(msCmdMsWinQuoter)).toBe(true);
  });

  it('fuses the pair inside a longer chain, and composes any other order plainly', () => {
    const sudo = getQuoter('POSIX,MSCmd,MSWin');
    expect(sudo.name).toBe('POSIX,MSCmd,MSWin');
    expect(sudo.quote('%x%')).toBe(getQuoter('POSIX').quote(quoteMsCmdMsWin('%x%')));
    const reversed = getQuoter('MSWin,MSCmd');
    expect(reversed.name).toBe('MSWin,MSCmd');
    expect(reversed.quote('a b&')).toBe(quoteMsWin(quoteMsCmd('a b&')));
    expect(reversed.fragments).toEqual({});
  });

  it('cmd.exe redirections', () => {
    expect(msCmdMsWinQuoter.fragments).toEqual({
      stdinDiscard: '<NUL:',
      stdoutDiscard: '>NUL:',
      stderrDiscard: '2>NUL:',
      stdoutAndStderrDiscard: '>NUL: 2>&1',
      stderrToStdout: '2>&1',
    });
    expect(msWinQuoter.fragments).toEqual({});
  });

  it('shellQuote with remoteShell MSCmd,MSWin', () => {
    expect(shellQuote('prog.exe', 'a b', '50%', '', { remoteShell: 'MSCmd,MSWin' })).toBe('prog.exe ^"a b^" 50^%^"^" ^"^"');
  });
});

describe('refused, with the reason', () => {
  it('NUL, everywhere', () => {
    expectThrow(() => quoteMsWin('a\0'), QuoteError, 'cannot quote a NUL character (at index 1) for MSWin: no command line can carry one');
    expectThrow(() => quoteMsCmd('\0'), QuoteError, 'cannot quote a NUL character (at index 0) for MSCmd: no command line can carry one');
    const e = expectThrow(() => quoteMsCmdMsWin('ab\0'), QuoteError, 'cannot quote a NUL character (at index 2) for MSCmd,MSWin: no command line can carry one');
    expect(e.shell).toBe('MSCmd,MSWin');
    expect(e.code).toBe('OSSH_QUOTE_ERROR');
  });

  it('CR and LF through cmd.exe; MSWin carries them', () => {
    expectThrow(() => quoteMsCmd('a\nb'), QuoteError, 'cannot quote a newline (at index 1) for cmd.exe: its command line ends there');
    expectThrow(() => quoteMsCmd('\r'), QuoteError, 'cannot quote a carriage return (at index 0) for cmd.exe: its command line ends there');
    expectThrow(() => quoteMsCmdMsWin('x\r\n'), QuoteError, 'cannot quote a carriage return (at index 1) for cmd.exe: its command line ends there');
    expectThrow(() => getQuoter('MSCmd,MSWin').quote('\n'), QuoteError, /newline/);
    expect(quoteMsWin('a\nb')).toBe('"a\nb"');
    expect(quoteMsWin('a\rb')).toBe('a\rb');
  });

  it('a word longer than the command line can be', () => {
    expect(quoteMsWin('x'.repeat(MSWIN_MAX_COMMAND_LINE))).toHaveLength(MSWIN_MAX_COMMAND_LINE);
    expectThrow(
      () => quoteMsWin(`${'x'.repeat(MSWIN_MAX_COMMAND_LINE - 2)} `),
      QuoteError,
      'cannot quote a word whose quoted form is 32767 characters long for MSWin: a CreateProcess command line holds at most 32766 characters',
    );
    expect(quoteMsCmd('x'.repeat(MSCMD_MAX_COMMAND_LINE))).toHaveLength(MSCMD_MAX_COMMAND_LINE);
    expectThrow(
      () => quoteMsCmd('&'.repeat(4096)),
      QuoteError,
      'cannot quote a word whose quoted form is 8192 characters long for MSCmd: a cmd.exe command line holds at most 8191 characters',
    );
    expectThrow(() => quoteMsCmdMsWin('%'.repeat(2000)), QuoteError, /^cannot quote a word whose quoted form is 12000 characters long for MSCmd,MSWin: a cmd\.exe command line holds at most 8191 characters$/);
  });
});
