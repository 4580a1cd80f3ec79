import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenSSH, SlaveError, TimeoutError } from '../../src/index.js';
import { startSshd, type TestServer } from '../../src/testing/index.js';
import { connect, sshd } from '../helpers/server.js';

describe('a server with MaxSessions 1', () => {
  let server: TestServer;
  let ssh: OpenSSH;
  beforeAll(async () => {
    server = await startSshd({ maxSessions: 1, users: sshd().isRoot ? [sshd().users[0]!] : undefined });
    ssh = await OpenSSH.connect(server.target(), server.connectOptions());
  });
  afterAll(async () => {
    await ssh?.disconnect();
    await server?.stop();
  });

  it('a refused session fails with OSSH_SESSION_REFUSED instead of silently logging in again', async () => {
    // Hold the one session: wait until it really runs remotely (spawn() resolves once the
    // local ssh is started, before the session is open), and long enough to outlast any load.
    const busy = await ssh.spawn('echo started; sleep 20');
    await new Promise<void>((resolve) => busy.stdout!.once('data', () => resolve()));
    const e = (await ssh.capture('echo second').catch((x: unknown) => x)) as SlaveError;
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_SESSION_REFUSED');
    expect(e.message).toBe(
      "the master refused a new session (the server's MaxSessions limit is reached): run fewer commands at once on this connection",
    );
    expect(e.stderr).toContain('Session open refused by peer');
    expect(e.exitCode).toBe(255);
    busy.kill();
    await busy.result.catch(() => {});
    // Exactly one login ever happened: the master's.
    const logins = server.log().match(/Accepted publickey/g) ?? [];
    expect(logins).toHaveLength(1);
    // The master is still fine.
    expect(ssh.state).toBe('running');
  });
});

describe('no leaks', () => {
  it('many operations leave no open file descriptor behind', async () => {
    const ssh = await connect();
    await ssh.capture('true'); // warm up lazily opened fds
    const before = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 10; i++) {
      await ssh.capture('echo x');
      await ssh.capture2('echo y >&2');
      await ssh.system('true', { stdoutFile: '/dev/null' });
      await ssh.test('false');
      await ssh.capture('cat', { stdinFile: '/etc/hostname' });
      // (A timed-out command keeps its remote session until it ends by itself: keep it short
      // so the ten of them do not fill the server's MaxSessions.)
      await ssh.capture('sleep 0.3', { timeout: 50 }).catch((e: unknown) => expect(e).toBeInstanceOf(TimeoutError));
      const p = await ssh.spawn('cat');
      p.stdin!.end('z');
      await p.result;
    }
    await ssh.disconnect();
    const after = readdirSync('/proc/self/fd').length;
    expect(after).toBeLessThanOrEqual(before);
  });
});
