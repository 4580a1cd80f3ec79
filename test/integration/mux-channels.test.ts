import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MuxProtocolError, type OpenSSH } from '../../src/index.js';
import type { MuxChannel } from '../../src/mux/channel.js';
import { MuxConnection } from '../../src/mux/connection.js';
import { muxAliveCheck, muxCloseForward, muxOpenForward, muxStopListening, muxTerminate, MuxRequestRefused } from '../../src/mux/control.js';
import { connect, connectForFile, sshd } from '../helpers/server.js';

let ssh: OpenSSH;
let conn: MuxConnection;

beforeAll(async () => {
  ssh = await connectForFile();
  conn = await MuxConnection.open(ssh.ctlPath!);
});
afterAll(async () => {
  conn?.destroy();
  await ssh.disconnect();
});

/** Read a whole stream. */
async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Open a session channel and exec `command`. */
async function exec(command: string, c = conn): Promise<MuxChannel> {
  const ch = await c.openChannel({ type: 'session' });
  expect(await ch.request({ request: 'exec', command }, true)).toBe(true);
  return ch;
}

describe('proxy-mode channels against a real master', () => {
  it('echo: stdout, exit status, close', async () => {
    const ch = await exec('echo hello');
    ch.sendEof();
    const [out, err] = await Promise.all([readAll(ch.stdout), readAll(ch.stderr)]);
    const exit = await ch.closed;
    expect(out.toString()).toBe('hello\n');
    expect(err.toString()).toBe('');
    expect(exit.exitCode).toBe(0);
    expect(conn.channelCount).toBe(0);
  });

  it('keeps stderr apart and reports the exit code', async () => {
    const ch = await exec('echo out; echo err >&2; exit 3');
    ch.sendEof();
    const [out, err] = await Promise.all([readAll(ch.stdout), readAll(ch.stderr)]);
    expect({ out: out.toString(), err: err.toString(), code: (await ch.closed).exitCode }).toEqual({ out: 'out\n', err: 'err\n', code: 3 });
  });

  it('moves 64 MiB both ways intact (windows and packet sizes both directions)', async () => {
    const ch = await exec('cat');
    const block = randomBytes(1 << 20);
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let received = 0;
    ch.stdout.on('data', (c: Buffer) => {
      got.update(c);
      received += c.length;
    });
    for (let i = 0; i < 64; i++) {
      sent.update(block);
      if (!ch.stdin.write(block)) await new Promise((r) => ch.stdin.once('drain', r));
    }
    ch.stdin.end();
    await ch.closed;
    await new Promise((r) => setImmediate(r));
    expect(received).toBe(64 << 20);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
  }, 60_000);

  it('env, pty-req and window-change reach the server', async () => {
    const ch = await conn.openChannel({ type: 'session' });
    // The test sshd has no AcceptEnv: the server refuses the variable (and says so when asked).
    expect(await ch.request({ request: 'env', name: 'OSMUX_X', value: '1' }, true)).toBe(false);
    expect(await ch.request({ request: 'pty-req', term: 'vt100', cols: 100, rows: 30, widthPx: 0, heightPx: 0, modes: Buffer.of(0) }, true)).toBe(true);
    expect(await ch.request({ request: 'exec', command: 'echo $TERM; stty size; sleep 0.3; stty size' }, true)).toBe(true);
    setTimeout(() => void ch.request({ request: 'window-change', cols: 120, rows: 40, widthPx: 0, heightPx: 0 }, false), 100);
    const out = (await readAll(ch.stdout)).toString();
    expect(out.replace(/\r/g, '')).toBe('vt100\n30 100\n40 120\n');
    expect((await ch.closed).exitCode).toBe(0);
  });

  it('exit-signal: a command killed by a signal', async () => {
    const ch = await exec('kill -TERM $$');
    ch.sendEof();
    void readAll(ch.stdout);
    const exit = await ch.closed;
    expect(exit.exitCode).toBeUndefined();
    expect(exit.signal).toBe('TERM');
  });

  it('a signal request ends a non-root remote command (process group)', async () => {
    const marker = `osmux-sig-${process.pid}-${Date.now()}`;
    const ch = await exec(`sleep 30; echo ${marker}`);
    ch.sendEof();
    void readAll(ch.stdout);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    expect(await ch.request({ request: 'signal', signal: 'TERM' }, true)).toBe(true);
    const exit = await ch.closed;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(exit.signal).toBe('TERM');
  });

  it('subsystem: sftp answers its version', async () => {
    const ch = await conn.openChannel({ type: 'session' });
    expect(await ch.request({ request: 'subsystem', name: 'sftp' }, true)).toBe(true);
    // SSH_FXP_INIT version 3.
    ch.stdin.write(Buffer.from('000000050100000003', 'hex'));
    const first = await new Promise<Buffer>((r) => ch.stdout.once('data', r));
    expect(first[4]).toBe(2); // SSH_FXP_VERSION
    ch.close();
    await ch.closed;
  });

  it('an unknown subsystem is refused', async () => {
    const ch = await conn.openChannel({ type: 'session' });
    expect(await ch.request({ request: 'subsystem', name: 'no-such-subsystem' }, true)).toBe(false);
    ch.close();
    await ch.closed;
  });

  it('direct-tcpip: a tunnel to the sshd itself gets its banner', async () => {
    const ch = await conn.openChannel({ type: 'direct-tcpip', host: '127.0.0.1', port: sshd().port, originatorHost: '127.0.0.1', originatorPort: 0 });
    const first = await new Promise<Buffer>((r) => ch.stdout.once('data', r));
    expect(first.toString()).toMatch(/^SSH-2\.0-/);
    ch.close();
    await ch.closed;
  });

  it('a refused direct-tcpip open rejects with the server reason', async () => {
    const e = (await conn.openChannel({ type: 'direct-tcpip', host: '127.0.0.1', port: 1, originatorHost: '127.0.0.1', originatorPort: 0 }).catch((x: unknown) => x)) as Error & {
      openFailureReason?: number;
    };
    expect(e).toBeInstanceOf(Error);
    expect(e.openFailureReason).toBe(2); // SSH_OPEN_CONNECT_FAILED
    expect(conn.channelCount).toBe(0);
  });

  it('runs 100 channels on one connection, 4 at a time', async () => {
    // Sessions beyond the server's MaxSessions (10) are refused: at most 4 in flight, as many more may still be closing on the server side.
    let free = 4;
    const waiting: Array<() => void> = [];
    const outs = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        if (free === 0) await new Promise<void>((r) => waiting.push(r));
        else free--;
        const ch = await exec(`echo ${i}`);
        void ch.closed.then(() => (waiting.length > 0 ? waiting.shift()!() : free++));
        ch.sendEof();
        const [out, err] = await Promise.all([readAll(ch.stdout), readAll(ch.stderr)]);
        const exit = await ch.closed;
        // stderr and the exit status in the value, so that a failure says what happened.
        return `${out.toString()}${err.toString()}${exit.exitCode === 0 ? '' : `exit ${exit.exitCode}`}`;
      }),
    );
    expect(outs).toEqual(Array.from({ length: 100 }, (_, i) => `${i}\n`));
  });

  it('backpressure: unread output stops at one window', async () => {
    const ch = await exec('head -c 67108864 /dev/zero');
    ch.sendEof();
    await new Promise((r) => setTimeout(r, 800));
    // Nothing was read: the server may only have sent one window (2 MiB).
    expect(ch.stdout.readableLength).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(ch.stdout.readableLength).toBeGreaterThan(0);
    const all = await readAll(ch.stdout);
    expect(all.length).toBe(64 << 20);
    expect((await ch.closed).exitCode).toBe(0);
  }, 30_000);
});

describe('control operations over the mux protocol', () => {
  it('alive check returns the master pid', async () => {
    expect(await muxAliveCheck(ssh.ctlPath!)).toBe(ssh.masterPid);
  });

  it('opens and closes a local forward', async () => {
    const f = { type: 'local' as const, listenHost: '127.0.0.1', listenPort: 0, connectHost: '127.0.0.1', connectPort: sshd().port };
    // A fixed free-ish port from the dynamic range, unique per run.
    f.listenPort = 20000 + (process.pid % 20000);
    expect(await muxOpenForward(ssh.ctlPath!, f)).toBeUndefined();
    await muxCloseForward(ssh.ctlPath!, f);
    const e = (await muxCloseForward(ssh.ctlPath!, f).catch((x: unknown) => x)) as MuxRequestRefused;
    expect(e).toBeInstanceOf(MuxRequestRefused);
    expect(e.reply).toBe('failure');
    expect(e.message).toBe('port not forwarded');
  });

  it('an unreachable socket is a MuxProtocolError (connect)', async () => {
    const e = (await muxAliveCheck(`${sshd().dir}/no-such-socket`).catch((x: unknown) => x)) as MuxProtocolError;
    expect(e).toBeInstanceOf(MuxProtocolError);
    expect(e.code).toBe('OSSH_MUX_PROTOCOL');
    expect(e.reason).toBe('connect');
    expect(e.message).toMatch(/^unable to connect to the master's control socket .*no-such-socket: connect ENOENT/);
  });

  it('stop listening removes the socket; a proxy connection made before keeps working', async () => {
    const other = await connect();
    const path = other.ctlPath!;
    const pid = other.masterPid!;
    const c2 = await MuxConnection.open(path);
    await muxStopListening(path);
    expect(existsSync(path)).toBe(false);
    // The proxy connection made before still works.
    const ch = await exec('echo still', c2);
    ch.sendEof();
    expect((await readAll(ch.stdout)).toString()).toBe('still\n');
    await ch.closed;
    c2.destroy();
    await other.disconnect();
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('terminate: the master exits and channels fail with a typed error within 1 s', async () => {
    const other = await connect();
    const c2 = await MuxConnection.open(other.ctlPath!);
    const ch = await exec('sleep 30', c2);
    const t0 = Date.now();
    await muxTerminate(other.ctlPath!);
    const exit = await ch.closed;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(exit.error).toBeInstanceOf(MuxProtocolError);
    expect((exit.error as MuxProtocolError).reason).toBe('closed');
    expect(c2.error).toBe(exit.error);
  });
});
