import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CommandError, MasterError, nodeEngine, OpenSSH, SlaveError, type Engine } from '../../src/index.js';
import { baseOptions, connect, track, TEST_ENGINE } from '../helpers/server.js';

describe('error paths not covered elsewhere', () => {
  it('an unresolvable host name fails with reason resolve', async () => {
    const ssh = track(new OpenSSH('nobody@no-such-host.invalid', baseOptions()));
    expect(await ssh.waitForMaster()).toBe(false);
    const e = ssh.error as MasterError;
    expect(e).toBeInstanceOf(MasterError);
    expect(e.code).toBe('OSSH_MASTER_FAILED');
    expect(e.reason).toBe('resolve');
    expect(e.message).toMatch(
      /^unable to establish or keep the master SSH connection to no-such-host\.invalid: the host name could not be resolved; the master ssh process exited with code 255: .*Could not resolve hostname no-such-host\.invalid/s,
    );
  });

  it('a socket removed under a running master is a sticky MasterError on the next command', async () => {
    const ssh = await connect();
    rmSync(ssh.ctlPath!);
    const e = (await ssh.capture('true').catch((x: unknown) => x)) as MasterError;
    expect(e).toBeInstanceOf(MasterError);
    expect(e.reason).toBe('exited');
    expect(e.message).toBe(
      `unable to establish or keep the master SSH connection to 127.0.0.1: master SSH connection broken: the socket ${ssh.ctlPath} is gone`,
    );
    expect(ssh.state).toBe('gone');
    expect(await ssh.capture('true').catch((x: unknown) => x)).toBe(e);
  });

  it('a slave whose program cannot be started fails with OSSH_SLAVE_FAILED', async () => {
    // The engine seam: the master and its checks run for real, slaves get a missing program.
    const engine: Engine = {
      spawn: (req) => nodeEngine.spawn(req.args.includes('--') && !req.args.includes('-O') && !req.args.some((a) => a.startsWith('-MN')) ? { ...req, file: '/nonexistent/ssh' } : req),
    };
    const ssh = await connect({ engine });
    const e = (await ssh.capture('true').catch((x: unknown) => x)) as SlaveError;
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_SLAVE_FAILED');
    expect(e.message).toBe('unable to run ssh: spawn /nonexistent/ssh ENOENT: the program was not found (check sshCmd, or the transfer\'s `command`, and PATH)');
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect([e.errnoCode, e.syscall]).toEqual(['ENOENT', 'spawn /nonexistent/ssh']);
  });

  it('a stdoutFile that cannot be opened fails with OSSH_SLAVE_PIPE_FAILED before running anything', async () => {
    const ssh = await connect();
    const e = (await ssh.system('echo x', { stdoutFile: '/nonexistent-dir/out.txt' }).catch((x: unknown) => x)) as SlaveError;
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_SLAVE_PIPE_FAILED');
    expect(e.message).toBe("unable to open stdoutFile /nonexistent-dir/out.txt: ENOENT: no such file or directory, open '/nonexistent-dir/out.txt'");
  });

  // The mux engine has no local process to kill (its remote signals: mux-engine.test.ts).
  it.skipIf(TEST_ENGINE === 'mux')('a slave killed by a signal is a CommandError naming the signal', async () => {
    const ssh = await connect();
    const p = await ssh.spawn('sleep 30');
    process.kill(p.pid!, 'SIGKILL');
    const e = (await p.result.catch((x: unknown) => x)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe('OSSH_SLAVE_CMD_FAILED');
    expect(e.signal).toBe('SIGKILL');
    expect(e.exitCode).toBeUndefined();
    expect(e.message).toBe('ssh was killed by SIGKILL: sleep 30');
  });
});
