import { describe, expect, it } from 'vitest';
import { SlaveError } from '../../src/errors/index.js';
import { argvLimits, argvProblem, checkArgv, type ArgvLimits } from '../../src/run/argv-limits.js';
import { failedProcess, nodeEngine } from '../../src/run/engine.js';
import { spawnFailure } from '../../src/run/spawn-failure.js';

const LINUX: ArgvLimits = { perString: 131072, total: 2097152, totalName: 'ARG_MAX' };
const HINT = 'pass large data on the remote stdin (stdinData, stdinFile or a stream) or put the command in a remote script';

describe('argvProblem', () => {
  it('accepts what fits', () => {
    expect(argvProblem('/usr/bin/ssh', ['-S', 'ctl', '--', 'echo hi'], { A: 'b' }, LINUX)).toBeUndefined();
  });

  it('per string: 131071 bytes + NUL fit, one more byte does not', () => {
    expect(argvProblem('ssh', ['x'.repeat(131071)], {}, LINUX)).toBeUndefined();
    expect(argvProblem('ssh', ['-v', 'x'.repeat(131072)], {}, LINUX)).toBe(
      `the command is too long to run: argument 2 of ssh takes 131073 bytes, more than the 131072 this system allows for one (MAX_ARG_STRLEN); ${HINT}`,
    );
  });

  it('counts bytes, not characters', () => {
    expect(argvProblem('ssh', ['é'.repeat(65536)], {}, LINUX)).toMatch(/argument 1 of ssh takes 131073 bytes/);
  });

  it('an environment string counts too', () => {
    expect(argvProblem('ssh', [], { BIG: 'y'.repeat(131068) }, LINUX)).toBe(
      `the command is too long to run: environment variable BIG takes 131073 bytes, more than the 131072 this system allows for one (MAX_ARG_STRLEN); ${HINT}`,
    );
  });

  it('the total: strings with their NULs and pointers, plus room for the program path', () => {
    const limits: ArgvLimits = { perString: undefined, total: 10_000, totalName: 'ARG_MAX' };
    // 4096 slack + ("ssh\0" 4 + 8) + (a 5000-byte argument + NUL + 8) = 9117: fits.
    expect(argvProblem('ssh', ['z'.repeat(5000)], {}, limits)).toBeUndefined();
    // + ("E=" + 870 + NUL = 873, + 8) = 9998: fits; one more byte is 9999, two are 10000, three too many.
    expect(argvProblem('ssh', ['z'.repeat(5000)], { E: 'v'.repeat(872) }, limits)).toBeUndefined();
    expect(argvProblem('ssh', ['z'.repeat(5000)], { E: 'v'.repeat(873) }, limits)).toBe(
      `the command line is too long to run: ssh's arguments and environment take 10001 bytes, more than this system's ARG_MAX (10000); ${HINT}`,
    );
  });

  it('Windows: characters of one command line', () => {
    const win: ArgvLimits = { perString: undefined, total: 32_767, totalName: 'the Windows command-line limit', windows: true };
    expect(argvProblem('ssh', ['a'.repeat(32_000)], { HUGE: 'x'.repeat(100_000) }, win)).toBeUndefined();
    expect(argvProblem('ssh', ['a'.repeat(32_760)], {}, win)).toBe(
      `the command line is too long to run: ssh's 32769 characters exceed the Windows command-line limit (32767); ${HINT}`,
    );
  });

  it.runIf(process.platform === 'linux')('Linux: the limits come from getconf, capped at 6 MiB, and are cached', async () => {
    const a = await argvLimits();
    expect(a.perString).toBeGreaterThanOrEqual(131072);
    expect(a.total).toBeGreaterThanOrEqual(131072);
    expect(a.total).toBeLessThanOrEqual(6 * 1024 * 1024);
    expect(await argvLimits()).toBe(a);
  });
});

describe('checkArgv', () => {
  it.runIf(process.platform === 'linux')('throws SlaveError OSSH_ARGV_TOO_LONG with the details', async () => {
    const argv = ['ssh', '--', `echo ${'x'.repeat(1 << 20)}`];
    const e = (await checkArgv(argv, {}, { host: 'h', argv, command: 'c' }).catch((x: unknown) => x)) as SlaveError;
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_ARGV_TOO_LONG');
    expect(e.message).toMatch(/^the command is too long to run: argument 2 of ssh takes 1048582 bytes, more than the \d+ this system allows for one \(MAX_ARG_STRLEN\); pass large data on the remote stdin \(stdinData/);
    expect(e.host).toBe('h');
    expect(e.argv).toBe(argv);
  });
});

describe('spawn failures are typed', () => {
  it('nodeEngine: a spawn Node throws for (E2BIG) comes back in exited, never thrown', async () => {
    let proc: ReturnType<typeof nodeEngine.spawn> | undefined;
    expect(() => {
      proc = nodeEngine.spawn({ file: 'true', args: ['x'.repeat(1 << 20)], stdio: ['ignore', 'ignore', 'ignore'] });
    }).not.toThrow();
    expect(proc!.pid).toBeUndefined();
    expect(proc!.kill()).toBe(false);
    const exit = await proc!.exited;
    expect(exit.exitCode).toBeNull();
    expect((exit.error as NodeJS.ErrnoException).code).toBe('E2BIG');
  });

  it('spawnFailure: a SlaveError OSSH_SLAVE_FAILED carrying the errno, the call and the cause', () => {
    const sys = Object.assign(new Error('spawn ssh EMFILE'), { code: 'EMFILE', errno: -24, syscall: 'spawn ssh' });
    const e = spawnFailure('ssh', sys, { host: 'h', argv: ['ssh'] });
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_SLAVE_FAILED');
    expect(e.errnoCode).toBe('EMFILE');
    expect(e.errno).toBe(-24);
    expect(e.syscall).toBe('spawn ssh');
    expect(e.cause).toBe(sys);
    expect(e.message).toBe(
      'unable to run ssh: spawn ssh EMFILE: this process has too many open files (raise its limit, `ulimit -n`, or run fewer operations at once)',
    );
  });

  it('spawnFailure without an errno code: no hint, no errno fields', () => {
    const e = spawnFailure('ssh', new Error('odd'), {});
    expect(e.message).toBe('unable to run ssh: odd');
    expect([e.errnoCode, e.errno, e.syscall]).toEqual([undefined, undefined, undefined]);
  });

  it('failedProcess: settles at once with the error', async () => {
    const err = new Error('x');
    const p = failedProcess(err);
    expect(await p.exited).toEqual({ exitCode: null, signal: null, error: err });
    expect([p.stdin, p.stdout, p.stderr]).toEqual([null, null, null]);
  });
});

describe('an engine that throws', () => {
  it('startSlave turns a plain Error thrown by engine.spawn into a SlaveError, and gives the slot back', async () => {
    const { startSlave } = await import('../../src/run/execute.js');
    const { SessionLimiter } = await import('../../src/run/sessions.js');
    const { normalizeCall } = await import('../../src/options/command.js');
    const sys = Object.assign(new Error('EMFILE: too many open files, mkdtemp'), { code: 'EMFILE', errno: -24, syscall: 'mkdtemp' });
    const sessions = new SessionLimiter(1);
    const master = { ready: async () => {}, spec: { sshCmd: 'ssh', ctlPath: '/ctl', host: 'h' } };
    const ctx = { engine: { spawn: () => { throw sys; } }, host: 'h', master, sessions } as unknown as Parameters<typeof startSlave>[0];
    const e = (await startSlave(ctx, 'true', normalizeCall({}, {}, 'capture')).catch((x: unknown) => x)) as SlaveError;
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_SLAVE_FAILED');
    expect(e.errnoCode).toBe('EMFILE');
    expect(e.syscall).toBe('mkdtemp');
    expect(e.cause).toBe(sys);
    expect(e.message).toBe(
      'unable to run ssh: EMFILE: too many open files, mkdtemp: this process has too many open files (raise its limit, `ulimit -n`, or run fewer operations at once)',
    );
    expect(sessions.active).toBe(0);
  });
});
