import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { VerboseLog } from '../../src/verbose/log.js';
import { commandLines, endLine, linePrefix, optVerbose, outputLine, visible } from '../../src/verbose/format.js';
import { normalizeCall } from '../../src/options/command.js';
import { normalizeConnection } from '../../src/options/connection.js';
import { parseCli } from '../../src/cli/args.js';
import { expectTypeError } from '../helpers/expect-throw.js';

describe('verbose line format', () => {
  const p = linePrefix('web1');

  it('the command as sent, multi-line commands with continuation prompts', () => {
    expect(commandLines(p, "ls -l '/my dir'")).toBe("[web1] $ ls -l '/my dir'\n");
    expect(commandLines(p, 'for i in 1 2\ndo echo $i\ndone')).toBe('[web1] $ for i in 1 2\n[web1] > do echo $i\n[web1] > done\n');
  });

  it('control characters other than tab and newline are shown as \\xHH, in the command, output and name', () => {
    expect(visible('a\x1b[2Jb\rc\td\x7f\x9b')).toBe('a\\x1b[2Jb\\x0dc\td\\x7f\\x9b');
    expect(commandLines(p, "printf '\x1b]0;x\x07'")).toBe("[web1] $ printf '\\x1b]0;x\\x07'\n");
    expect(outputLine(p, 'err', 'bad\x1bthing')).toBe('[web1] err| bad\\x1bthing\n');
    expect(linePrefix('we\x1bb')).toBe('[we\\x1bb] ');
  });

  it('how it ended: exit status, signal, or a failure before it ran; duration rounded to ms; the error code', () => {
    expect(endLine(p, { exitCode: 0, durationMs: 12.4 })).toBe('[web1] exit 0 (12 ms)\n');
    expect(endLine(p, { exitCode: 3, durationMs: 40.6, code: 'OSSH_SLAVE_CMD_FAILED' })).toBe('[web1] exit 3 (41 ms) OSSH_SLAVE_CMD_FAILED\n');
    expect(endLine(p, { signal: 'SIGTERM', durationMs: 5003, code: 'OSSH_TIMEOUT' })).toBe('[web1] killed by SIGTERM (5003 ms) OSSH_TIMEOUT\n');
    expect(endLine(p, { code: 'OSSH_MASTER_FAILED' })).toBe('[web1] failed OSSH_MASTER_FAILED\n');
  });

  it('output lines in full mode', () => {
    expect(outputLine(p, 'out', 'hello')).toBe('[web1] out| hello\n');
  });
});

describe("the 'verbose' option", () => {
  it("is 'short', 'full' or false, per call and on the constructor; a call's own wins", () => {
    expect(optVerbose(undefined)).toBeUndefined();
    expect(optVerbose(false)).toBeUndefined();
    expect(normalizeCall({ verbose: 'full' }, {}, 'run').verbose).toBe('full');
    expect(normalizeCall({}, { verbose: 'short' }, 'run').verbose).toBe('short');
    expect(normalizeCall({ verbose: false }, { verbose: 'short' }, 'run').verbose).toBeUndefined();
    expect(normalizeConnection('h', { verbose: 'full' }).defaults.verbose).toBe('full');
  });

  it('anything else is a TypeError naming the option and the value', () => {
    expectTypeError(() => normalizeCall({ verbose: true } as never, {}, 'run'), "option 'verbose' must be 'short', 'full' or false, received boolean true");
    expectTypeError(() => normalizeConnection('h', { verbose: 'loud' } as never), 'option \'verbose\' must be \'short\', \'full\' or false, received string "loud"');
    expectTypeError(() => normalizeCall({ verbose: null } as never, {}, 'run'), "option 'verbose' must be 'short', 'full' or false, received null");
  });

  it('the CLI: -v is short, -vv (or -v -v) full, none off', () => {
    const base = ['run', '-H', 'a', '--', 'x'];
    expect(parseCli(base).verbose).toBeUndefined();
    expect(parseCli(['-v', ...base]).verbose).toBe('short');
    expect(parseCli(['-vv', ...base]).verbose).toBe('full');
    expect(parseCli(['--verbose', '-v', ...base]).verbose).toBe('full');
  });
});

describe('VerboseLog', () => {
  /** What the log writes to stderr while `fn` runs. */
  function captured(fn: () => void): string {
    let out = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      fn();
    } finally {
      spy.mockRestore();
    }
    return out;
  }

  it("'full': lines across chunks and split UTF-8 characters, the last partial line flushed before the end line", () => {
    const out = captured(() => {
      const log = new VerboseLog('full', 'h', 'cmd');
      const s = new PassThrough();
      log.tap(s, 'out');
      const e = Buffer.from('é\n');
      s.write(Buffer.from('on'));
      s.write(Buffer.from('e\ntw'));
      s.write(e.subarray(0, 1));
      s.write(e.subarray(1));
      s.write(Buffer.from('tail'));
      log.end({ exitCode: 0, durationMs: 1 });
      log.end({ exitCode: 1 }); // once only
    });
    expect(out).toBe('[h] $ cmd\n[h] out| one\n[h] out| twé\n[h] out| tail\n[h] exit 0 (1 ms)\n');
  });

  it("'short' prints no output, even when tapped; a line longer than 64 KiB is printed in pieces, never held whole", () => {
    const short = captured(() => {
      const log = new VerboseLog('short', 'h', 'cmd');
      const s = new PassThrough();
      log.tap(s, 'err');
      s.write('x\n');
      log.end({ code: 'OSSH_MASTER_FAILED' });
    });
    expect(short).toBe('[h] $ cmd\n[h] failed OSSH_MASTER_FAILED\n');
    const long = captured(() => {
      const log = new VerboseLog('full', 'h', 'cmd');
      const s = new PassThrough();
      log.tap(s, 'err');
      for (let i = 0; i < 5; i++) s.write('y'.repeat(20_000));
      log.end({ exitCode: 0 });
    });
    const lines = long.split('\n').filter((l) => l.startsWith('[h] err| '));
    expect(lines.length).toBe(2);
    expect(lines.map((l) => l.length - '[h] err| '.length)).toEqual([80_000, 20_000]);
  });
});
