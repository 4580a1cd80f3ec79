import { expectThrow } from '../helpers/expect-throw.js';
import { QuoteError } from '../../src/errors/index.js';
import { describe, expect, it } from 'vitest';
import { buildRemoteCommand, type BuildCommandOptions, type Command } from '../../src/quote/command.js';
import { glob, isGlob, isRaw, raw, type CommandWord } from '../../src/quote/markers.js';
import { posixQuoter } from '../../src/quote/posix.js';
import type { Quoter } from '../../src/quote/types.js';
import { expectTypeError } from '../helpers/expect-throw.js';

const build = (cmd: Command, opts: Partial<BuildCommandOptions> = {}) => buildRemoteCommand(cmd, { quoter: posixQuoter, ...opts });

/** A quoter that marks what it did, to see which function handled each word. */
const markingQuoter: Quoter = {
  name: 'marking',
  quote: (w) => `Q(${w})`,
  quoteGlob: (w) => `G(${w})`,
  fragments: {
    stdinDiscard: 'IN',
    stdoutDiscard: 'OUT',
    stderrDiscard: 'ERR',
    stdoutAndStderrDiscard: 'OUTERR',
    stderrToStdout: 'ERR2OUT',
  },
};

describe('markers', () => {
  it('raw() and glob() keep their value and are frozen', () => {
    const r = raw('>');
    const g = glob('*.log');
    expect(r.value).toBe('>');
    expect(g.value).toBe('*.log');
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(g)).toBe(true);
  });

  it('isRaw and isGlob tell the markers apart', () => {
    expect(isRaw(raw('x'))).toBe(true);
    expect(isGlob(raw('x'))).toBe(false);
    expect(isGlob(glob('x'))).toBe(true);
    expect(isRaw(glob('x'))).toBe(false);
    for (const v of ['x', 1, null, undefined, {}, { value: 'x' }]) {
      expect(isRaw(v)).toBe(false);
      expect(isGlob(v)).toBe(false);
    }
  });

  it('recognises markers made by another copy of the library (global symbols)', () => {
    expect(isRaw({ [Symbol.for('openssh-mux.raw')]: true, value: 'x' })).toBe(true);
    expect(isGlob({ [Symbol.for('openssh-mux.glob')]: true, value: 'x' })).toBe(true);
  });

  it('raw() rejects a non-string', () => {
    expectTypeError(() => raw(5 as unknown as string), 'raw() takes a string, received number');
    expectTypeError(() => raw(null as unknown as string), 'raw() takes a string, received null');
  });

  it('glob() rejects a non-string', () => {
    expectTypeError(() => glob(null as unknown as string), 'glob() takes a string, received null');
    expectTypeError(() => glob(undefined as unknown as string), 'glob() takes a string, received undefined');
    expectTypeError(() => glob({} as unknown as string), 'glob() takes a string, received object');
  });
});

describe('buildRemoteCommand: strings', () => {
  it('sends a string as is', () => {
    expect(build("ls -l 'a b' | wc -l")).toBe("ls -l 'a b' | wc -l");
  });

  it('sends a string as is with quoteArgs false', () => {
    expect(build('echo $HOME', { quoteArgs: false })).toBe('echo $HOME');
  });

  it('quotes a string with quoteArgs true', () => {
    expect(build('ls -l', { quoteArgs: true })).toBe("'ls -l'");
    expect(build("it's", { quoteArgs: true })).toBe("it\\'s");
  });

  it('adds no redirections to a string command', () => {
    expect(build('ls -l', { stderrDiscard: true })).toBe('ls -l');
    expect(build('ls -l', { stdinDiscard: true, stdoutDiscard: true, stderrDiscard: true })).toBe('ls -l');
  });

  it('adds redirections to a quoted string command', () => {
    expect(build('ls -l', { quoteArgs: true, stderrDiscard: true })).toBe("'ls -l' 2>/dev/null");
  });
});

describe('buildRemoteCommand: arrays', () => {
  it('quotes word by word', () => {
    expect(build(['echo', 'a b', "it's", '', '$HOME', '*'])).toBe("echo 'a b' it\\'s '' '$HOME' '*'");
  });

  it('accepts finite numbers', () => {
    expect(build(['head', '-n', 10, 'x', -1.5, 0])).toBe('head -n 10 x -1.5 0');
  });

  it('inserts raw() unquoted', () => {
    expect(build(['cat', 'a b', raw('>'), '/tmp/out file'])).toBe("cat 'a b' > '/tmp/out file'");
  });

  it('raw() disables the redirection fragments', () => {
    expect(build(['cat', 'x', raw('2>&1')], { stderrDiscard: true, stdinDiscard: true })).toBe('cat x 2>&1');
  });

  it('glob() uses the quoter\'s quoteGlob', () => {
    expect(build(['ls', glob('/var/log/*.log'), glob("x'*"), glob('$*')])).toBe("ls /var/log/*.log x\\'* '$'*");
    expect(build(['ls', '/var/log/*.log'])).toBe("ls '/var/log/*.log'");
    expect(buildRemoteCommand(['ls', glob('*.log'), 'x', raw('|')], { quoter: markingQuoter })).toBe('Q(ls) G(*.log) Q(x) |');
  });

  it('glob() keeps the redirection fragments', () => {
    expect(build(['ls', glob('*.log')], { stderrDiscard: true })).toBe('ls *.log 2>/dev/null');
  });

  it('an empty array gives an empty command and no fragments', () => {
    expect(build([])).toBe('');
    expect(build([], { stdinDiscard: true, stderrDiscard: true })).toBe('');
  });

  it('quoteArgs false joins the words raw', () => {
    expect(build(['echo', '$HOME', 'a b', 3], { quoteArgs: false })).toBe('echo $HOME a b 3');
  });

  it('quoteArgs false adds no fragments', () => {
    expect(build(['ls', '-l'], { quoteArgs: false, stderrDiscard: true })).toBe('ls -l');
  });

  it('quoteArgs false refuses raw() and glob()', () => {
    expectTypeError(
      () => build(['cat', raw('>'), 'x'], { quoteArgs: false }),
      'command word 1 is a raw() marker, but quoteArgs is false: markers only mean something when quoting is on',
    );
    expectTypeError(
      () => build(['ls', 'a', glob('*')], { quoteArgs: false }),
      'command word 2 is a glob() marker, but quoteArgs is false: markers only mean something when quoting is on',
    );
  });

  it('quoteArgs false still rejects bad words', () => {
    expectTypeError(
      () => build(['ls', null as unknown as string], { quoteArgs: false }),
      'command word 1 must be a string, a number, raw() or glob(), received null',
    );
  });
});

describe('buildRemoteCommand: redirection fragments (Net::OpenSSH order)', () => {
  it('stderrDiscard', () => {
    expect(build(['ls', '-l'], { stderrDiscard: true })).toBe('ls -l 2>/dev/null');
  });

  it('stdoutDiscard', () => {
    expect(build(['ls', '-l'], { stdoutDiscard: true })).toBe('ls -l >/dev/null');
  });

  it('stdinDiscard', () => {
    expect(build(['ls', '-l'], { stdinDiscard: true })).toBe('ls -l </dev/null');
  });

  it('stderrToStdout', () => {
    expect(build(['ls', '-l'], { stderrToStdout: true })).toBe('ls -l 2>&1');
  });

  it('stdout + stderr + stdin discard', () => {
    expect(build(['ls', '-l'], { stdoutDiscard: true, stderrDiscard: true, stdinDiscard: true })).toBe(
      'ls -l >/dev/null 2>&1 </dev/null',
    );
  });

  it('stdout discard + stderrToStdout collapse too', () => {
    expect(build(['ls', '-l'], { stdoutDiscard: true, stderrToStdout: true })).toBe('ls -l >/dev/null 2>&1');
  });

  it('stderrToStdout + stdinDiscard', () => {
    expect(build(['ls', '-l'], { stderrToStdout: true, stdinDiscard: true })).toBe('ls -l </dev/null 2>&1');
  });

  it('stdin, stdout-less: stdin then stderr', () => {
    expect(build(['ls', '-l'], { stdinDiscard: true, stderrDiscard: true })).toBe('ls -l </dev/null 2>/dev/null');
  });

  it('false flags add nothing', () => {
    expect(
      build(['ls'], { stdinDiscard: false, stdoutDiscard: false, stderrDiscard: false, stderrToStdout: false }),
    ).toBe('ls');
  });

  it("uses the quoter's fragments; one the shell lacks is a QuoteError, or skipped for best-effort defaults", () => {
    const q: Quoter = { ...markingQuoter, fragments: { ...markingQuoter.fragments, stderrDiscard: undefined } };
    expectThrow(
      () => buildRemoteCommand(['a'], { quoter: q, stdinDiscard: true, stderrDiscard: true }),
      QuoteError,
      'the remote shell marking has no redirection for stderrDiscard: use a string command and write the redirection yourself, add a raw() word, or handle the stream locally',
    );
    expect(buildRemoteCommand(['a'], { quoter: q, stdinDiscard: true, stderrDiscard: true, bestEffort: true })).toBe('Q(a) IN');
    expect(
      buildRemoteCommand(['a'], { quoter: markingQuoter, stdinDiscard: true, stdoutDiscard: true, stderrDiscard: true }),
    ).toBe('Q(a) OUTERR IN');
    expect(
      buildRemoteCommand(['a'], { quoter: markingQuoter, stdinDiscard: true, stdoutDiscard: true, stderrToStdout: true }),
    ).toBe('Q(a) OUTERR IN');
    expect(
      buildRemoteCommand(['a'], { quoter: markingQuoter, stdinDiscard: true, stderrDiscard: true, stderrToStdout: true }),
    ).toBe('Q(a) IN ERR ERR2OUT');
  });
});

describe('buildRemoteCommand: bad input', () => {
  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    [{}, 'an object (Object)'],
    [[], 'an array of length 0'],
    [Number.NaN, 'number NaN'],
    [Number.POSITIVE_INFINITY, 'number Infinity'],
    [true, 'boolean true'],
    [10n, 'bigint 10'],
  ])('rejects the word %s', (word, shown) => {
    expectTypeError(
      () => build(['echo', word as unknown as CommandWord]),
      `command word 1 must be a string, a number, raw() or glob(), received ${shown}`,
    );
  });

  it('rejects a command that is neither a string nor an array', () => {
    expectTypeError(
      () => build(5 as unknown as Command),
      'command must be a string or an array of words, received number 5',
    );
    expectTypeError(
      () => build(undefined as unknown as Command),
      'command must be a string or an array of words, received undefined',
    );
    expectTypeError(
      () => build({ length: 1 } as unknown as Command),
      'command must be a string or an array of words, received an object (Object)',
    );
  });
});
