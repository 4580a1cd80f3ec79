import { describe, expect, it } from 'vitest';
import { normalizePool, normalizeShell, normalizeShellCall } from '../../src/shell/options.js';
import { ErrorCode, OpenSSHError, ShellSessionError } from '../../src/errors/index.js';
import { expectTypeError } from '../helpers/expect-throw.js';

const session = normalizeShell({});

describe('shell options', () => {
  it('defaults', () => {
    expect(session).toEqual({ shell: '/bin/sh', encoding: 'utf8', timeout: undefined, idleTimeout: undefined, signal: undefined, maxBuffer: 100 * 1024 * 1024, commandSignal: undefined });
    const c = normalizeShellCall(undefined, { ...session, timeout: 5 }, 'run()');
    expect(c).toMatchObject({ stdin: undefined, stdoutDiscard: false, stderrDiscard: false, reject: true, timeout: 5, encoding: 'utf8' });
    expect(normalizeShellCall({}, session, 'test()')).toMatchObject({ stdoutDiscard: true, stderrDiscard: true });
    expect(normalizeShellCall({ stderrToStdout: true }, session, 'test()')).toMatchObject({ stdoutDiscard: true, stderrDiscard: false });
  });

  it('bad session options name the option', () => {
    expectTypeError(() => normalizeShell({ shell: '' }), `option 'shell' must be a non-empty string, received string ""`);
    expectTypeError(() => normalizeShell({ shell: 'a\nb' }), `option 'shell' must be a path or program name on one line, such as "/bin/bash", received string "a\\nb"`);
    expectTypeError(() => normalizeShell({ tty: true }), /^unknown option 'tty' for shell\(\); known options are: encoding, idleTimeout, maxBuffer, shell, signal, timeout, verbose$/);
    expectTypeError(() => normalizePool({}), `option 'size' must be an integer from 1 to 1024, received undefined`);
    expectTypeError(() => normalizePool({ size: 0 }), `option 'size' must be an integer from 1 to 1024, received number 0`);
    expect(normalizePool({ size: 3, shell: '/bin/bash' })).toMatchObject({ size: 3, shell: '/bin/bash' });
    // One of the connection's sessions stays free to interrupt commands.
    expect(normalizePool({ size: 9 }, { maxSessions: 10 }).size).toBe(9);
    expectTypeError(
      () => normalizePool({ size: 10 }, { maxSessions: 10 }),
      "option 'size' must be an integer from 1 to 9: one of the connection's 10 sessions (maxSessions) stays free to interrupt a command, received number 10",
    );
    expect(normalizePool({ size: 64 }, { maxSessions: Number.POSITIVE_INFINITY }).size).toBe(64);
  });

  it("the connection's signal aborts the opening and every command; a call's own signal adds to it", () => {
    const conn = new AbortController();
    const own = new AbortController();
    const s = normalizeShell({}, 'shell()', { signal: conn.signal });
    expect(s.signal).toBe(conn.signal);
    expect(normalizeShellCall(undefined, s, 'run()').signal).toBe(conn.signal);
    const both = normalizeShellCall({ signal: own.signal }, s, 'run()').signal!;
    expect(both.aborted).toBe(false);
    own.abort();
    expect(both.aborted).toBe(true);
  });

  it('maxBuffer: the session option, else the connection default, else 100 MiB; per call too', () => {
    expect(normalizeShell({}, 'shell()', { maxBuffer: 1000 }).maxBuffer).toBe(1000);
    expect(normalizeShell({ maxBuffer: 10 }, 'shell()', { maxBuffer: 1000 }).maxBuffer).toBe(10);
    expect(normalizeShell({ maxBuffer: Infinity }).maxBuffer).toBe(Infinity);
    expect(normalizePool({ size: 1 }, { maxBuffer: 7 }).maxBuffer).toBe(7);
    expect(normalizeShellCall(undefined, { ...session, maxBuffer: 99 }, 'run()').maxBuffer).toBe(99);
    expect(normalizeShellCall({ maxBuffer: 5 }, session, 'lines()').maxBuffer).toBe(5);
    expectTypeError(() => normalizeShell({ maxBuffer: 0 }), 'option \'maxBuffer\' must be a whole number of bytes >= 1, or Infinity, received number 0');
    expectTypeError(() => normalizeShellCall({ maxBuffer: '1k' }, session, 'run()'), 'option \'maxBuffer\' must be a whole number of bytes >= 1, or Infinity, received string "1k"');
  });

  it('bad call options name the option', () => {
    expectTypeError(
      () => normalizeShellCall({ stdin: 'pipe' }, session, 'run()'),
      "option 'stdin' cannot be used with a shell session's run(): a session command reads stdinData or nothing",
    );
    expectTypeError(() => normalizeShellCall({ remoteShell: 'fish' }, session, 'capture()'), /^option 'remoteShell' cannot be used with a shell session's capture\(\): /);
    expectTypeError(() => normalizeShellCall({ bogus: 1 }, session, 'run()'), /^unknown option 'bogus' for a shell session's run\(\); known options are: /);
    expectTypeError(() => normalizeShellCall({ env: { 'A-B': 'x' } }, session, 'run()'), `option 'env' must be an object whose keys are shell variable names ([A-Za-z_][A-Za-z0-9_]*), received string "A-B"`);
    expectTypeError(() => normalizeShellCall({ env: { A: 1 } }, session, 'run()'), `option 'env.A' must be a string without NUL bytes, received number 1`);
    expectTypeError(() => normalizeShellCall({ stdinData: 5 }, session, 'run()'), `option 'stdinData' must be a string, a Buffer/Uint8Array or an array of them, received number 5`);
    expectTypeError(() => normalizeShellCall({ stdinData: 'x', stdinDiscard: true }, session, 'run()'), "options 'stdinDiscard' and 'stdinData' both set the stdin; give only one of them");
    expectTypeError(() => normalizeShellCall({ stderrDiscard: true, stderrToStdout: true }, session, 'run()'), "options 'stderrDiscard' and 'stderrToStdout' both set the stderr; give only one of them");
    expectTypeError(() => normalizeShellCall({ reject: false }, session, 'capture()'), "option 'reject' is only for run(), which returns the Result; the other methods always reject on failure");
    expectTypeError(() => normalizeShellCall({ stdoutDiscard: true }, session, 'capture()'), "option 'stdoutDiscard' cannot be used here: this method captures stdout itself (use run())");
    expectTypeError(() => normalizeShellCall({ timeout: -1 }, session, 'run()'), /^option 'timeout' must be a number of milliseconds/);
    expectTypeError(() => normalizeShellCall({ cwd: '' }, session, 'run()'), `option 'cwd' must be a non-empty string, received string ""`);
  });

  it('ShellSessionError carries its code and is an OpenSSHError', () => {
    const e = new ShellSessionError(ErrorCode.SHELL_EXITED, 'gone', { exitCode: 3, stdout: 'x' });
    expect(e).toBeInstanceOf(OpenSSHError);
    expect(e.name).toBe('ShellSessionError');
    expect(e.code).toBe('OSSH_SHELL_EXITED');
    expect([e.exitCode, e.stdout, e.message]).toEqual([3, 'x', 'gone']);
    expect(new ShellSessionError(ErrorCode.SHELL_CLOSED, 'closed').code).toBe('OSSH_SHELL_CLOSED');
  });
});
