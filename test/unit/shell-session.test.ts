/**
 * The session logic over a local transport: a local /bin/sh in its own process session
 * (`detached`, so close() kills only what it started) stands in for the remote one. This is
 * how another engine plugs in (ShellEngine); the ssh path is tested in
 * test/integration/shell*.test.ts.
 */
import { execFile, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ErrorCode, ShellSessionError, TimeoutError } from '../../src/errors/index.js';
import { ShellSession, type ShellEngine, type TransportExit } from '../../src/shell/index.js';
import { normalizeShell } from '../../src/shell/options.js';
import { alive, waitGone } from '../helpers/processes.js';

function localEngine(): ShellEngine {
  return {
    host: 'localhost',
    async open(shell) {
      const child = spawn(shell, [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const closed = new Promise<TransportExit>((resolve) =>
        child.once('close', (code, signal) => resolve({ exitCode: code ?? undefined, signal: signal ?? undefined })),
      );
      return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, argv: [shell], closed, kill: () => child.kill('SIGKILL') };
    },
    control(script, args) {
      return new Promise((resolve, reject) => {
        execFile('/bin/sh', ['-c', script, 'sh', ...args], (err, stdout) => (err ? reject(err) : resolve(stdout)));
      });
    },
  };
}

const open = (shell = '/bin/sh') => new ShellSession(localEngine(), normalizeShell({ shell })).start();

describe('ShellSession over a local transport', () => {
  it('runs commands with state, exit codes and separate streams', async () => {
    await using sh = await open();
    expect(sh.host).toBe('localhost');
    await sh.run('cd /; X=1');
    expect(await sh.capture2('pwd; echo $X; echo e >&2')).toEqual({ stdout: '/\n1\n', stderr: 'e\n' });
    const r = await sh.run('(exit 9)', { reject: false });
    expect([r.exitCode, r.failed, r.argv]).toEqual([9, true, ['/bin/sh']]);
  });

  it('interrupts a timed-out command and keeps the shell; restarts after exit', async () => {
    await using sh = await open('/bin/bash');
    const pid = sh.pid!;
    const e = (await sh.run('echo a; sleep 20; echo b', { timeout: 200 }).catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.stdout).toBe('a\n');
    expect(sh.pid).toBe(pid);
    const x = (await sh.run('exit 4').catch((err: unknown) => err)) as ShellSessionError;
    expect([x.code, x.exitCode]).toEqual([ErrorCode.SHELL_EXITED, 4]);
    expect(await waitGone(pid)).toBe(true);
    expect(await sh.capture('echo $$')).not.toBe(`${pid}\n`);
    expect(sh.starts).toBe(2);
  });

  it('close() kills background jobs left in the shell session, and nothing else', async () => {
    const sh = await open();
    const job = Number(await sh.capture('sleep 30 >/dev/null 2>&1 & echo $!'));
    const pid = sh.pid!;
    expect(alive(job)).toBe(true);
    await sh.close();
    expect(await waitGone(job)).toBe(true);
    expect(await waitGone(pid)).toBe(true);
    expect(sh.closed).toBe(true);
    expect(alive(process.pid)).toBe(true);
  });
});
