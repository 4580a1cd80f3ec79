import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MasterError, OpenSSH } from '../../src/index.js';
import { alive, waitGone } from '../helpers/processes.js';
import { baseOptions, connect, open, sshd, target, track, TEST_ENGINE } from '../helpers/server.js';

const scratch = mkdtempSync(join(sshd().dir, 'master-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('connecting', () => {
  it('OpenSSH.connect resolves with a running master whose pid -O check confirms', async () => {
    const ssh = track(await OpenSSH.connect(target(), baseOptions()));
    expect(ssh.state).toBe('running');
    expect(ssh.masterPid).toBeGreaterThan(0);
    expect(alive(ssh.masterPid!)).toBe(true);
    expect(lstatSync(ssh.ctlPath!).isSocket()).toBe(true);
    expect(lstatSync(ssh.ctlPath!).mode & 0o077).toBe(0);
    const check = spawnSync('ssh', ['-O', 'check', '-S', ssh.ctlPath!, 'x'], { encoding: 'utf8' });
    expect(check.status).toBe(0);
    expect(check.stderr).toContain(`Master running (pid=${ssh.masterPid})`);
    await expect(ssh.checkMaster()).resolves.toBeUndefined();
  });

  it('the constructor never throws for connection problems; waitForMaster and error tell', async () => {
    const ssh = open({ masterOpts: ['-o', 'UserKnownHostsFile=/dev/null'] });
    expect(await ssh.waitForMaster()).toBe(false);
    expect(ssh.error).toBeInstanceOf(MasterError);
    expect(ssh.error!.code).toBe('OSSH_MASTER_FAILED');
  });

  it('waitForMaster({async: true}) reports undefined while connecting, then true', async () => {
    const ssh = open();
    expect(await ssh.waitForMaster({ async: true })).toBeUndefined();
    expect(ssh.state).toBe('awaiting_mux');
    let polls = 0;
    let r: boolean | undefined;
    while ((r = await ssh.waitForMaster({ async: true })) === undefined) {
      polls++;
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(r).toBe(true);
    expect(polls).toBeGreaterThan(0);
  });

  it('connect: false defers the login until the first command', async () => {
    const ssh = open({ connect: false });
    await new Promise((r) => setTimeout(r, 100));
    expect(ssh.state).toBe('start');
    expect(ssh.masterPid).toBeUndefined();
    expect(await ssh.capture('echo late')).toBe('late\n');
    expect(ssh.state).toBe('running');
  });

  it('an unknown host key fails with reason host-key-unknown (StrictHostKeyChecking not relaxed)', async () => {
    const ssh = open({ masterOpts: ['-o', 'UserKnownHostsFile=/dev/null'] });
    expect(await ssh.waitForMaster()).toBe(false);
    const e = ssh.error as MasterError;
    expect(e.reason).toBe('host-key-unknown');
    expect(e.message).toMatch(/^unable to establish or keep the master SSH connection to 127\.0\.0\.1: the server's host key is not in known_hosts/);
    expect(e.message).toContain('Host key verification failed');
    expect(e.stderr).toContain('Host key verification failed');
    expect(e.exitCode).toBe(255);
  });

  it('a changed host key fails with reason host-key-changed', async () => {
    const kh = join(scratch, 'known_hosts_changed');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(scratch, 'otherkey')]);
    const other = execFileSync('cat', [join(scratch, 'otherkey.pub')], { encoding: 'utf8' }).split(' ').slice(0, 2).join(' ');
    writeFileSync(kh, `[127.0.0.1]:${sshd().port} ${other}\n`);
    const ssh = open({ masterOpts: ['-o', `UserKnownHostsFile=${kh}`] });
    expect(await ssh.waitForMaster()).toBe(false);
    const e = ssh.error as MasterError;
    expect(e.reason).toBe('host-key-changed');
    expect(e.message).toContain('does not match the one in known_hosts');
  });

  it('an authentication failure fails with reason auth', async () => {
    const key = join(scratch, 'wrongkey');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const ssh = open({ keyPath: key });
    expect(await ssh.waitForMaster()).toBe(false);
    const e = ssh.error as MasterError;
    expect(e.reason).toBe('auth');
    expect(e.message).toContain('authentication failed');
    expect(e.message).toContain('Permission denied');
  });

  it('a refused connection fails with reason connect', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const ssh = track(new OpenSSH(`${sshd().users[0]!.name}@127.0.0.1:${port}`, baseOptions()));
    expect(await ssh.waitForMaster()).toBe(false);
    expect((ssh.error as MasterError).reason).toBe('connect');
    expect(ssh.error!.message).toContain('Connection refused');
  });

  it('connectTimeout bounds the whole login and kills the master', async () => {
    const ssh = open({ proxyCommand: 'sleep 20', connectTimeout: 600 });
    const t0 = performance.now();
    expect(await ssh.waitForMaster()).toBe(false);
    expect(performance.now() - t0).toBeLessThan(10_000);
    const e = ssh.error as MasterError;
    expect(e.reason).toBe('timeout');
    expect(e.message).toMatch(/login timed out after 600 ms without the master becoming ready/);
    expect(ssh.state).toBe('gone');
  });

  it('a missing ssh program fails with reason spawn', async () => {
    const ssh = open({ sshCmd: '/nonexistent/ssh' });
    expect(await ssh.waitForMaster()).toBe(false);
    expect((ssh.error as MasterError).reason).toBe('spawn');
    expect(ssh.error!.message).toContain('ENOENT');
  });
});

describe('ControlPath checks (before anything is spawned)', () => {
  it('refuses a ctlPath that would be too long for OpenSSH, naming the limit and ctlDir', async () => {
    const dir = join(scratch, 'x'.repeat(80));
    mkdirSync(dir, { mode: 0o700 });
    const ssh = open({ ctlDir: dir });
    expect(await ssh.waitForMaster()).toBe(false);
    const e = ssh.error as MasterError;
    expect(e.reason).toBe('ctl-path');
    expect(e.message).toMatch(/is \d+ bytes long, but on linux a ControlPath can be at most 90 bytes \(sun_path 108 minus the 18 OpenSSH needs for its temporary suffix\); set a shorter ctlDir/);
    expect(ssh.masterPid).toBeUndefined();
    // Nothing was created for it either.
    const missing = join(dir, 'not-yet');
    const other = open({ ctlDir: missing });
    expect(await other.waitForMaster()).toBe(false);
    expect(existsSync(missing)).toBe(false);
  });

  it('refuses an insecure ctlDir unless strictMode is false', async () => {
    const dir = join(scratch, 'open');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const ssh = open({ ctlDir: dir });
    expect(await ssh.waitForMaster()).toBe(false);
    expect((ssh.error as MasterError).reason).toBe('ctl-path');
    expect(ssh.error!.message).toContain(`ctlDir ${dir} is not secure: ${dir} is writable by group and others (mode 0777) without the sticky bit`);
    const relaxed = open({ ctlDir: dir, strictMode: false });
    expect(await relaxed.waitForMaster()).toBe(true);
  });

  it('creates a missing ctlDir with mode 0700', async () => {
    const dir = join(scratch, 'fresh');
    const ssh = await connect({ ctlDir: dir });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(ssh.ctlPath!.startsWith(`${dir}/`)).toBe(true);
    expect(ssh.ctlPath!.slice(dir.length + 1)).toMatch(/^[0-9a-f]{20}$/);
  });

  it('refuses an explicit ctlPath where a file already exists', async () => {
    const p = join(scratch, 'taken');
    writeFileSync(p, '');
    const ssh = open({ ctlPath: p });
    expect(await ssh.waitForMaster()).toBe(false);
    expect(ssh.error!.message).toContain(`unable to use ctlPath ${p}: a file object already exists there`);
  });

  it('uses an explicit ctlPath and removes it on disconnect', async () => {
    const p = join(sshd().ctlDir, 'explicit');
    const ssh = await connect({ ctlPath: p });
    expect(ssh.ctlPath).toBe(p);
    expect(lstatSync(p).isSocket()).toBe(true);
    await ssh.disconnect();
    expect(lstatSync(p, { throwIfNoEntry: false })).toBeUndefined();
  });
});

describe('external masters', () => {
  it('reuses a running master and never kills it', async () => {
    const owner = await connect();
    const ext = track(new OpenSSH(target(), { externalMaster: true, ctlPath: owner.ctlPath! }));
    expect(await ext.waitForMaster()).toBe(true);
    expect(ext.masterPid).toBe(owner.masterPid);
    expect(await ext.capture('echo shared')).toBe('shared\n');
    await ext.disconnect();
    expect(alive(owner.masterPid!)).toBe(true);
    expect(await owner.capture('echo still')).toBe('still\n');
  });

  it('works without a host (0.0.0.0 is used, as in Net::OpenSSH)', async () => {
    const owner = await connect();
    const ext = track(new OpenSSH(undefined as unknown as string, { externalMaster: true, ctlPath: owner.ctlPath! }));
    expect(await ext.capture('echo nohost')).toBe('nohost\n');
    expect(ext.host).toBe('0.0.0.0');
  });

  it('fails when ctlPath is not a socket', async () => {
    const ext = track(new OpenSSH(target(), { externalMaster: true, ctlPath: join(scratch, 'nothing-here') }));
    expect(await ext.waitForMaster()).toBe(false);
    expect(ext.error!.message).toContain('does not point to a socket, so there is no external master there');
  });

  it('fails the (in-process) alive check with reason check when the socket is not a master', async () => {
    const ctl = join(scratch, 'not-a-master');
    // Something listens there, but answers the hello with MUX_S_OK (request id 2).
    const server = createServer((s) => {
      s.on('error', () => {});
      s.write(Buffer.from([0, 0, 0, 8, 0x80, 0, 0, 1, 0, 0, 0, 2]));
    });
    await new Promise<void>((r) => server.listen(ctl, r));
    try {
      const ext = track(new OpenSSH(target(), { externalMaster: true, ctlPath: ctl }));
      expect(await ext.waitForMaster()).toBe(false);
      const e = ext.error as MasterError;
      expect(e).toBeInstanceOf(MasterError);
      expect([e.code, e.reason]).toEqual(['OSSH_MASTER_FAILED', 'check']);
      expect(e.message).toBe(
        `unable to establish or keep the master SSH connection to 127.0.0.1: master check failed: the master sent ok instead of its hello`,
      );
    } finally {
      server.close();
    }
  });
});

describe('lifecycle', () => {
  it('disconnect() ends the master and removes its files; later commands fail sticky', async () => {
    const ssh = await connect();
    const { masterPid, ctlPath } = ssh;
    await ssh.disconnect();
    expect(ssh.state).toBe('gone');
    expect(alive(masterPid!)).toBe(false);
    expect(lstatSync(ctlPath!, { throwIfNoEntry: false })).toBeUndefined();
    expect(lstatSync(`${ctlPath}.log`, { throwIfNoEntry: false })).toBeUndefined();
    const err = await ssh.capture('true').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MasterError);
    expect((err as MasterError).reason).toBe('disconnected');
    expect(ssh.error).toBe(err);
    await expect(ssh.disconnect()).resolves.toBeUndefined();
  });

  it('await using disconnects at the end of the block', async () => {
    let pid: number | undefined;
    {
      await using ssh = await OpenSSH.connect(target(), baseOptions());
      pid = ssh.masterPid;
      expect(await ssh.capture('echo in')).toBe('in\n');
    }
    expect(alive(pid!)).toBe(false);
  });

  it('restart() logs in again with a new master', async () => {
    const ssh = await connect();
    const first = ssh.masterPid;
    await ssh.restart();
    expect(ssh.state).toBe('running');
    expect(ssh.masterPid).not.toBe(first);
    expect(alive(first!)).toBe(false);
    expect(await ssh.capture('echo again')).toBe('again\n');
  });

  it('restart() refuses an external master', async () => {
    const owner = await connect();
    const ext = track(new OpenSSH(target(), { externalMaster: true, ctlPath: owner.ctlPath! }));
    await expect(ext.restart()).rejects.toThrow(new TypeError('restart() cannot be used on an external master'));
  });

  it('stop() makes the master refuse new sessions and the object unusable', async () => {
    const ssh = await connect();
    await ssh.stop();
    expect(ssh.state).toBe('stopped');
    const err = (await ssh.capture('true').catch((e: unknown) => e)) as MasterError;
    expect(err).toBeInstanceOf(MasterError);
    expect(err.reason).toBe('stopped');
    expect(err.message).toContain('master stopped');
  });

  it('disownMaster() leaves the master running after disconnect', async () => {
    const ssh = await connect();
    const pid = await ssh.disownMaster();
    expect(pid).toBe(ssh.masterPid);
    const ctl = ssh.ctlPath!;
    await ssh.disconnect();
    expect(alive(pid)).toBe(true);
    const ext = track(new OpenSSH(target(), { externalMaster: true, ctlPath: ctl }));
    expect(await ext.capture('echo adopted')).toBe('adopted\n');
    process.kill(pid, 'SIGTERM');
    await waitGone(pid);
    expect(alive(pid)).toBe(false);
    rmSync(ctl, { force: true });
    rmSync(`${ctl}.log`, { force: true });
  });

  it('notices the master dying and reports it on the next command, sticky', async () => {
    const ssh = await connect();
    process.kill(ssh.masterPid!, 'SIGKILL');
    for (let i = 0; i < 100 && ssh.state === 'running'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(ssh.state).toBe('gone');
    const err = (await ssh.capture('true').catch((e: unknown) => e)) as MasterError;
    expect(err).toBeInstanceOf(MasterError);
    expect(err.reason).toBe('exited');
    expect(err.message).toContain('the master ssh process was killed by SIGKILL');
    expect(await ssh.waitForMaster()).toBe(false);
  });

  it('a master dying in the middle of a command gives a MasterError for that command', async () => {
    const ssh = await connect();
    const running = ssh.capture('echo started; sleep 10');
    await new Promise((r) => setTimeout(r, 300));
    process.kill(ssh.masterPid!, 'SIGKILL');
    const err = (await running.catch((e: unknown) => e)) as MasterError;
    expect(err).toBeInstanceOf(MasterError);
    expect(err.code).toBe('OSSH_MASTER_FAILED');
    expect(err.message).toMatch(/^the master connection is gone: /);
    expect(err.stdout).toBe('started\n');
    // A slave exits 255; a channel has no exit code.
    expect(err.exitCode).toBe(TEST_ENGINE === 'mux' ? undefined : 255);
  });
});
