import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, OpenSSH, SlaveError, TimeoutError, type SshProcess } from '../../src/index.js';
import { nodeEngine, type Engine } from '../../src/run/engine.js';
import { startSshd, type TestServer } from '../../src/testing/index.js';
import { baseOptions, connect, sshd, target, TEST_ENGINE } from '../helpers/server.js';

describe('a server with MaxSessions 1', () => {
  let server: TestServer;
  let ssh: OpenSSH;
  beforeAll(async () => {
    server = await startSshd({ maxSessions: 1, users: sshd().isRoot ? [sshd().users[0]!] : undefined });
    // The option above the server's limit: the server's refusal still shows.
    ssh = await OpenSSH.connect(server.target(), { ...server.connectOptions(), maxSessions: 3 });
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
      "the master refused a new session (the server's MaxSessions limit is reached): run fewer commands at once on this connection, " +
        "or set the maxSessions option to the server's limit (now 3) so that calls over it wait their turn",
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

/** A slave that holds its session until its stdin ends, once the session is really open. */
async function holdSession(ssh: OpenSSH): Promise<SshProcess> {
  const p = await ssh.spawn('echo open; cat');
  await new Promise<void>((resolve) => p.stdout!.once('data', () => resolve()));
  return p;
}

describe('maxSessions: a server with MaxSessions 2', () => {
  let server: TestServer;
  const opened: OpenSSH[] = [];
  const open = async (maxSessions: number) => {
    const ssh = await OpenSSH.connect(server.target(), { ...server.connectOptions(), maxSessions });
    opened.push(ssh);
    return ssh;
  };
  beforeAll(async () => {
    server = await startSshd({ maxSessions: 2, users: sshd().isRoot ? [sshd().users[0]!] : undefined });
  });
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.disconnect()));
    await server?.stop();
  });

  it('50 concurrent captures with maxSessions 2: every one succeeds, none is refused, one login', async () => {
    const ssh = await open(2);
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => ssh.capture(['echo', `n${i}`])));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.map((r) => (r as PromiseRejectedResult).reason)).toEqual([]);
    expect(results.map((r) => (r as PromiseFulfilledResult<string>).value)).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}\n`));
    expect(server.log().match(/Accepted publickey/g) ?? []).toHaveLength(1);
  });

  it('waiting calls start first come, first served', async () => {
    const ssh = await open(1);
    const held = await holdSession(ssh);
    const started: number[] = [];
    const calls = Array.from({ length: 6 }, (_, i) =>
      ssh.run(['echo', String(i)]).then((r) => {
        started.push(Number(r.stdout));
      }),
    );
    held.stdin!.end();
    await held.result;
    await Promise.all(calls);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("a queued call's timeout fires while it waits: TimeoutError, and it leaves the queue", async () => {
    const ssh = await open(1);
    const held = await holdSession(ssh);
    const e = (await ssh.capture('echo never', { timeout: 300 }).catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.code).toBe('OSSH_SLAVE_TIMEOUT');
    expect(e.kind).toBe('deadline');
    expect(e.timeoutMs).toBe(300);
    expect(e.message).toBe(
      'the command timed out before it started: still waiting for a free session after 300 ms (timeout); all 1 sessions of this connection (maxSessions) were in use',
    );
    expect(e.command).toBe('echo never');
    expect(e.argv?.[0]).toBe('ssh');
    held.stdin!.end();
    await held.result;
    // Had the timed-out call stayed in the queue, the freed slot would have gone to it, and
    // been lost with it: this one would wait for ever (bounded here).
    expect(await ssh.capture('echo next', { timeout: 20_000 })).toBe('next\n');
  });

  it('an idleTimeout also bounds the wait (kind idle)', async () => {
    const ssh = await open(1);
    const held = await holdSession(ssh);
    const e = (await ssh.capture('echo never', { idleTimeout: 200 }).catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.kind).toBe('idle');
    expect(e.message).toBe(
      'the command timed out before it started: no free session for 200 ms (idleTimeout); all 1 sessions of this connection (maxSessions) were in use',
    );
    held.stdin!.end();
    await held.result;
  });

  it("a queued call's AbortSignal fires while it waits: AbortError, and it leaves the queue", async () => {
    const ssh = await open(1);
    const held = await holdSession(ssh);
    const ac = new AbortController();
    const waiting = ssh.capture('echo never', { signal: ac.signal }).catch((x: unknown) => x);
    const behind = ssh.capture('echo behind', { timeout: 20_000 });
    // Both reach the queue within the microtasks that follow (the master is up): let them.
    await new Promise((resolve) => setImmediate(resolve));
    const why = new Error('no longer needed');
    ac.abort(why);
    const e = (await waiting) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.code).toBe('OSSH_ABORTED');
    expect(e.message).toBe('the command was aborted before it started: no longer needed');
    expect(e.cause).toBe(why);
    held.stdin!.end();
    await held.result;
    expect(await behind).toBe('behind\n');
  });

  it('a transfer takes a session too, and its timeout applies while it waits', async () => {
    const ssh = await open(1);
    const held = await holdSession(ssh);
    const e = (await ssh.scpGet('/etc/hostname', '/nonexistent-dir/x', { timeout: 300 }).catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.message).toBe(
      'the transfer timed out before it started: still waiting for a free session after 300 ms (timeout); all 1 sessions of this connection (maxSessions) were in use',
    );
    held.stdin!.end();
    await held.result;
  });

  it('a -W tunnel takes no session (the server does not count it): it opens while the slot is held', async () => {
    const echo: Server = createServer((sock) => sock.pipe(sock));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const ssh = await open(1);
      const held = await holdSession(ssh);
      const port = (echo.address() as { port: number }).port;
      const reply = await ssh.captureTunnel('127.0.0.1', port, { stdinData: 'ping', timeout: 20_000 });
      expect(reply).toBe('ping');
      held.stdin!.end();
      await held.result;
    } finally {
      echo.close();
    }
  });

  it('maxSessions: Infinity turns the queue off: the server refuses what is over its limit', async () => {
    const ssh = await open(Number.POSITIVE_INFINITY);
    const held = [await holdSession(ssh), await holdSession(ssh)];
    const e = (await ssh.capture('echo third').catch((x: unknown) => x)) as SlaveError;
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_SESSION_REFUSED');
    expect(e.message).toMatch(/set the maxSessions option to the server's limit \(now Infinity\)/);
    for (const h of held) h.stdin!.end();
    await Promise.all(held.map((h) => h.result));
  });
});

describe('command lines too long for the system', () => {
  it.runIf(process.platform === 'linux')("a 1 MiB command: OSSH_ARGV_TOO_LONG before spawning, suggesting stdinData; stdinData carries it", async () => {
    const ssh = await connect();
    const e = (await ssh.capture(`echo ${'x'.repeat(1 << 20)}`).catch((x: unknown) => x)) as SlaveError;
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_ARGV_TOO_LONG');
    expect(e.message).toMatch(
      /^the command is too long to run: argument \d+ of ssh takes 1048582 bytes, more than the \d+ this system allows for one \(MAX_ARG_STRLEN\); pass large data on the remote stdin \(stdinData, stdinFile or a stream\) or put the command in a remote script$/,
    );
    expect(e.argv?.at(-1)).toHaveLength(1048581);
    expect(ssh.error).toBe(e);
    expect(await ssh.capture('wc -c', { stdinData: 'x'.repeat(1 << 20) })).toMatch(/^\s*1048576\s*$/);
  });

  it('a spawn the system still refuses (E2BIG) is a SlaveError with the errno, never a plain Error', async () => {
    // An engine that makes the argv too long after the library's check.
    const engine: Engine = { spawn: (r) => nodeEngine.spawn(r.args.includes('ControlMaster=no') ? { ...r, args: [...r.args, 'y'.repeat(1 << 20)] } : r) };
    const ssh = await connect({ engine });
    const e = (await ssh.capture('echo hi').catch((x: unknown) => x)) as SlaveError;
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_SLAVE_FAILED');
    expect(e.errnoCode).toBe('E2BIG');
    expect(e.syscall).toBe('spawn');
    expect(typeof e.errno).toBe('number');
    expect((e.cause as NodeJS.ErrnoException).code).toBe('E2BIG');
    expect(e.message).toBe('unable to run ssh: spawn E2BIG: the argument list and environment are too long (pass large data on the remote stdin)');
    // The slot came back: the connection still works.
    const plain = await connect();
    expect(await plain.capture('echo ok')).toBe('ok\n');
  });
});

describe('out of file descriptors', () => {
  const fixture = fileURLToPath(new URL('../fixtures/emfile-command-child.mjs', import.meta.url));
  const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

  it.runIf(process.platform === 'linux' && TEST_ENGINE !== 'mux')('EMFILE when starting a slave: a SlaveError with the errno; the next command works', async () => {
    if (!existsSync(dist)) throw new Error('dist/ is missing: run the tests with `npm test` (it builds first)');
    // A separate process with a low fd limit uses all its fds (the runner's own must stay usable).
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        'prlimit',
        ['--nofile=256:256', process.execPath, fixture, JSON.stringify({ target: target(), options: baseOptions() })],
        { timeout: 30_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const r = JSON.parse(out) as Record<string, unknown>;
    expect(r.fds).toBeGreaterThan(100);
    expect(r).toMatchObject({
      isOpenSSHError: true, // instanceof OpenSSHError in the child
      name: 'SlaveError',
      code: 'OSSH_SLAVE_FAILED',
      errnoCode: 'EMFILE',
      syscall: 'spawn ssh',
      causeCode: 'EMFILE',
      message: 'unable to run ssh: spawn ssh EMFILE: this process has too many open files (raise its limit, `ulimit -n`, or run fewer operations at once)',
      after: 'after\n',
    });
    expect(typeof r.errno).toBe('number');
  });
});
