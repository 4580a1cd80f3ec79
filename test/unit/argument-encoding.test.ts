import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { encodeCommand, optArgumentEncoding } from '../../src/run/argument-encoding.js';
import { posixQuoter } from '../../src/quote/posix.js';
import { fishQuoter } from '../../src/quote/fish.js';
import { quotePosix } from '../../src/quote/posix.js';
import { expectTypeError } from '../helpers/expect-throw.js';

describe('optArgumentEncoding', () => {
  it('accepts the names, case-insensitively, with aliases', () => {
    expect(['utf8', 'UTF-8', 'latin1', 'binary', 'ISO-8859-1', 'ascii'].map(optArgumentEncoding)).toEqual(['utf8', 'utf8', 'latin1', 'latin1', 'latin1', 'ascii']);
    expect(optArgumentEncoding(undefined)).toBeUndefined();
  });
  it.each([['utf16le'], ['hex'], [1]])('refuses %o with a TypeError naming the option', (v) => {
    expectTypeError(() => optArgumentEncoding(v), /^option 'argumentEncoding' must be 'utf8', 'latin1' or 'ascii', received /);
  });
});

describe('encodeCommand', () => {
  it('utf8, or a pure ASCII command, is sent unchanged', () => {
    expect(encodeCommand("ls 'caf\u00e9'", 'utf8', posixQuoter)).toBe("ls 'caf\u00e9'");
    expect(encodeCommand("ls 'x y'", 'latin1', posixQuoter)).toBe("ls 'x y'");
    expect(encodeCommand('ls', undefined, posixQuoter)).toBe('ls');
  });

  it('latin1: the exact bytes rebuilt by printf, escaping quote, backslash, percent and controls', () => {
    expect(encodeCommand("printf %s 'caf\u00e9'", 'latin1', posixQuoter)).toBe(`eval "$(printf 'printf \\045s \\047caf\\351\\047')"`);
    expect(encodeCommand('echo \u00ff\\\n', 'latin1', posixQuoter)).toBe(`eval "$(printf 'echo \\377\\134\\012')"`);
  });

  it('the printf form gives back the very bytes under a real /bin/sh', () => {
    const words = ['printf', '%s|', "it's caf\u00e9 \u00c0 100% \\ \n"];
    const cmd = encodeCommand(words.map(quotePosix).join(' '), 'latin1', posixQuoter);
    expect(/^[\x20-\x7e]*$/.test(cmd)).toBe(true);
    const out = execFileSync('/bin/sh', ['-c', cmd]);
    expect(out).toEqual(Buffer.from("it's caf\u00e9 \u00c0 100% \\ \n|", 'latin1'));
  });

  it('a character the encoding lacks is a TypeError with its code point and index', () => {
    expectTypeError(() => encodeCommand('echo \u20ac', 'latin1', posixQuoter), "option 'argumentEncoding' is 'latin1', but the command has the character U+20AC at index 5, which latin1 cannot encode");
    expectTypeError(() => encodeCommand('echo \u00e9', 'ascii', posixQuoter), "option 'argumentEncoding' is 'ascii', but the command has the character U+00E9 at index 5, which ascii cannot encode");
  });

  it('a non-POSIX remote shell cannot rebuild the bytes: TypeError', () => {
    expect(encodeCommand('echo x', 'latin1', fishQuoter)).toBe('echo x');
    expectTypeError(
      () => encodeCommand('echo \u00e9', 'latin1', fishQuoter),
      "option 'argumentEncoding: 'latin1'' needs a POSIX remote shell for a command with characters beyond ASCII (the bytes are rebuilt remotely with printf); remoteShell is 'fish'",
    );
  });
});
