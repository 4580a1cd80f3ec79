import { describe, expect, it } from 'vitest';
import { normalizePtyCall } from '../../src/pty/session.js';
import { expectTypeError } from '../helpers/expect-throw.js';

/** open2pty/open3pty options: what the call becomes, and every refusal. */

const KNOWN2 =
  'cols, encoding, forwardAgent, forwardX11, glob, idleTimeout, quoteArgs, reject, remoteShell, rows, signal, sshOpts, stderrToStdout, term, timeout';

describe('normalizePtyCall', () => {
  it('a pty call: -tt, the terminal for stdin and stdout, ssh stderr collected, no ~ escapes', () => {
    const { call, cols, rows, term, stderrOnPty } = normalizePtyCall('open2pty', { sshOpts: ['-o', 'EscapeChar=%'] }, {});
    expect(call.tty).toBe(true);
    expect(call.buffer).toBe(false);
    expect(call.stdin).toEqual({ kind: 'pipe' });
    expect(call.stdout).toEqual({ kind: 'pipe' });
    expect(call.stderr).toEqual({ kind: 'capture' });
    // The caller's EscapeChar comes first, so ssh keeps it.
    expect(call.sshOpts).toEqual(['-o', 'EscapeChar=%', '-o', 'EscapeChar=none']);
    expect([cols, rows, term, stderrOnPty]).toEqual([undefined, undefined, undefined, false]);
    expect(call.encoding).toBe('utf8');
  });

  it('takes the terminal settings, the connection defaults and the command options', () => {
    const ac = new AbortController();
    const { call, cols, rows, term } = normalizePtyCall(
      'open3pty',
      { cols: 120, rows: 40, term: 'xterm', timeout: 5000, idleTimeout: 1000, signal: ac.signal, encoding: 'latin1', reject: false },
      { defaultSshOpts: ['-4'] },
    );
    expect([cols, rows, term]).toEqual([120, 40, 'xterm']);
    expect([call.timeout, call.idleTimeout, call.signal, call.encoding, call.reject]).toEqual([5000, 1000, ac.signal, 'latin1', false]);
    expect(call.sshOpts).toEqual(['-4', '-o', 'EscapeChar=none']);
  });

  it('stderrToStdout (open2pty) puts ssh messages on the terminal', () => {
    const { call, stderrOnPty } = normalizePtyCall('open2pty', { stderrToStdout: true }, {});
    expect(stderrOnPty).toBe(true);
    expect(call.stderr).toEqual({ kind: 'stdout' });
  });

  it('refuses stream options: the terminal is stdin and stdout', () => {
    expectTypeError(
      () => normalizePtyCall('open2pty', { stdin: 'pipe' } as never, {}),
      `unknown option 'stdin' for open2pty() (its stdin and stdout are the terminal); known options are: ${KNOWN2}`,
    );
    expectTypeError(
      () => normalizePtyCall('open3pty', { stderrToStdout: true } as never, {}),
      /^unknown option 'stderrToStdout' for open3pty\(\) \(its stdin and stdout are the terminal, its stderr a stream\); known options are: cols, /,
    );
    expectTypeError(() => normalizePtyCall('open2pty', { tty: false } as never, {}), /^unknown option 'tty' for open2pty\(\)/);
  });

  it('refuses bad terminal settings', () => {
    expectTypeError(() => normalizePtyCall('open2pty', { cols: 0 }, {}), "option 'cols' must be an integer from 1 to 65535, received number 0");
    expectTypeError(() => normalizePtyCall('open2pty', { rows: 70000 }, {}), "option 'rows' must be an integer from 1 to 65535, received number 70000");
    expectTypeError(
      () => normalizePtyCall('open2pty', { term: 'xterm; rm' }, {}),
      `option 'term' must be a terminal name such as xterm-256color (letters, digits, . _ + -), received string "xterm; rm"`,
    );
    expectTypeError(() => normalizePtyCall('open2pty', { term: '' }, {}), `option 'term' must be a non-empty string, received string ""`);
    expectTypeError(() => normalizePtyCall('open2pty', { stderrToStdout: 1 } as never, {}), "option 'stderrToStdout' must be a boolean, received number 1");
    expectTypeError(() => normalizePtyCall('open2pty', 'cols=80' as never, {}), `option 'options' must be an object, received string "cols=80"`);
  });

  it('command options are checked as for every command', () => {
    expectTypeError(() => normalizePtyCall('open2pty', { timeout: -1 }, {}), /^option 'timeout' must be a number of milliseconds/);
    expectTypeError(() => normalizePtyCall('open2pty', { encoding: 'klingon' as never }, {}), /^option 'encoding' must be 'buffer' or a Node encoding name/);
  });
});
