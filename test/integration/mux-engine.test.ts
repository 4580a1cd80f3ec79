import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError, MasterError, OpenSSH, TimeoutError } from '../../src/index.js';
import { baseOptions, connect, connectForFile, sshd, target } from '../helpers/server.js';

/**
 * What only the mux engine does: remote exit signals, `signal` requests on timeouts (the
 * remote command is gone, not left running), the refusal of sshd for root sessions, typed
 * errors within 1 s when the master dies, tunnels and subsystems as channels.
 */

let ssh: OpenSSH;
beforeAll(async () => {
  ssh = await connectForFile({ engine: 'mux' });
});
afterAll(async () => {
  await ssh.disconnect();
});

/** Whether a process whose command line contains `marker` runs (checked on the spawn engine). */
async function remoteRunning(marker: string): Promise<boolean> {
  return ssh.test(['pgrep', '-f', `[${marker[0]}]${marker.slice(1)}`], { engine: 'spawn' });
}

describe("engine: 'mux'", () => {
  it('runs commands without a local process: capture, stderr apart, exit codes', async () => {
    expect(await ssh.capture('echo hi')).toBe('hi\n');
    expect(await ssh.capture2('echo o; echo e >&2')).toEqual({ stdout: 'o\n', stderr: 'e\n' });
    const r = await ssh.run('exit 6', { reject: false });
    expect(r.exitCode).toBe(6);
    expect(r.error).toBeInstanceOf(CommandError);
    const p = await ssh.spawn('true');
    expect(p.pid).toBeUndefined();
    await p.result;
  });

  it('reports the remote exit signal in the Result and the error', async () => {
    const r = await ssh.run('kill -USR1 $$', { reject: false });
    expect(r.remoteSignal).toBe('SIGUSR1');
    expect(r.exitCode).toBeUndefined();
    expect(r.error).toBeInstanceOf(CommandError);
    expect(r.error!.message).toBe('the remote command was killed by SIGUSR1: kill -USR1 $$');
  });

  it('a timeout signals the remote command: it is gone within 2 s (non-root user)', async () => {
    const marker = `osmux-mux-timeout-${process.pid}`;
    const t0 = Date.now();
    const e = (await ssh.run(`sh -c 'sleep 30; true' ${marker}`, { timeout: 300 }).catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.message).toBe('ssh slave timed out: still running after 300 ms (timeout); the slave was stopped');
    expect(Date.now() - t0).toBeLessThan(2300);
    expect(await remoteRunning(marker)).toBe(false);
  });

  it('an abort signals the remote command too', async () => {
    const marker = `osmux-mux-abort-${process.pid}`;
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('enough')), 300);
    const r = await ssh.run(`sh -c 'sleep 30; true' ${marker}`, { signal: ac.signal, reject: false });
    expect(r.aborted).toBe(true);
    expect(r.remoteSignal).toBe('SIGTERM');
    expect(await remoteRunning(marker)).toBe(false);
  });

  it('a consumer that gives up on a finished command does not keep it from settling', async () => {
    const r = ssh.pipeOut('echo unread');
    r.on('error', () => {});
    // Let the command finish with its output unread, then give up on the stream.
    await new Promise((res) => setTimeout(res, 500));
    r.destroy();
    const t0 = Date.now();
    await r.done.catch(() => {});
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('a per-call engine overrides the object default', async () => {
    const plain = await connect({ engine: 'spawn' });
    const r = await plain.run('kill -TERM $$', { reject: false, engine: 'mux' });
    expect(r.remoteSignal).toBe('SIGTERM');
    const s = await plain.run('kill -TERM $$', { reject: false });
    expect(s.remoteSignal).toBeUndefined();
    expect(s.exitCode).toBe(255);
  });

  it('calls it cannot serve keep spawning (stdinoutDpipe)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osmux-dpipe-'));
    try {
      const out = join(dir, 'back');
      const r = await ssh.run('cat', { stdinoutDpipe: ['sh', '-c', `echo via-local; exec cat > ${out}`] });
      expect(r.exitCode).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe('via-local\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tunnels are direct-tcpip channels, subsystems are channels', async () => {
    const sock = ssh.openTunnel('127.0.0.1', sshd().port);
    const banner = await new Promise<Buffer>((r) => sock.once('data', r));
    expect(banner.toString()).toMatch(/^SSH-2\.0-/);
    sock.destroy();
    await sock.done.catch(() => {});
    const p = await ssh.spawn('sftp', { subsystem: true });
    p.stdin!.write(Buffer.from('000000050100000003', 'hex'));
    const first = await new Promise<Buffer>((r) => p.stdout!.once('data', r));
    expect(first[4]).toBe(2);
    p.stdin!.end();
    await p.result;
  });

  it('a refused tunnel is a CommandError with the server reason', async () => {
    const e = (await ssh.captureTunnel('127.0.0.1', 1).catch((x: unknown) => x)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.message).toMatch(/^tunnel to 127\.0\.0\.1:1 failed: the server could not open the connection: /);
  });

  it('the master killed mid-command fails it with a MasterError within 1 s', async () => {
    const other = await connect({ engine: 'mux' });
    const running = other.run('sleep 30');
    running.catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    process.kill(other.masterPid!, 'SIGKILL');
    const e = (await running.catch((x: unknown) => x)) as MasterError;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(e).toBeInstanceOf(MasterError);
    expect(e.code).toBe('OSSH_MASTER_FAILED');
  });
});

/** A throwaway sshd that lets root in with a key, for the refusal of signals. */
async function rootSshd(): Promise<{ port: number; dir: string; key: string; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'osmux-root-'));
  const key = join(dir, 'id');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
  writeFileSync(join(dir, 'keys'), readFileSync(`${key}.pub`));
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  writeFileSync(
    join(dir, 'config'),
    [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host')}`, `PidFile ${join(dir, 'pid')}`, `AuthorizedKeysFile ${join(dir, 'keys')}`,
      'StrictModes no', 'UsePAM no', 'PasswordAuthentication no', 'PermitRootLogin prohibit-password', 'AllowUsers root', 'SetEnv SHLVL=1', ''].join('\n'),
  );
  const child = spawn('/usr/sbin/sshd', ['-D', '-f', join(dir, 'config'), '-E', join(dir, 'log')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((r) => {
      const c = netConnect(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), r(true)));
      c.once('error', () => r(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, dir, key, stop: () => (child.kill(), rmSync(dir, { recursive: true, force: true })) };
}

describe.runIf(sshd().isRoot)('root sessions', () => {
  it('sshd refuses signal requests for root: detected, the channel closed, said in the error', async () => {
    const srv = await rootSshd();
    const root = new OpenSSH(`root@127.0.0.1:${srv.port}`, {
      keyPath: srv.key,
      ctlDir: sshd().ctlDir,
      engine: 'mux',
      masterOpts: ['-o', 'StrictHostKeyChecking=no', '-o', `UserKnownHostsFile=${join(srv.dir, 'known')}`],
    });
    try {
      expect(await root.waitForMaster()).toBe(true);
      const marker = `osmux-root-${process.pid}`;
      const r = await root.run(`sh -c 'sleep 5; true' ${marker}`, { timeout: 300, reject: false });
      expect(r.remoteSignalRefused).toBe(true);
      expect(r.error).toBeInstanceOf(TimeoutError);
      expect(r.error!.message).toBe(
        'ssh slave timed out: still running after 300 ms (timeout); the slave was stopped; the server refused the signal request (sshd does for root sessions): the channel was closed, and the remote command may still be running',
      );
      await root.run(['pkill', '-f', `[${marker[0]}]${marker.slice(1)}`], { reject: false });
    } finally {
      await root.disconnect();
      srv.stop();
    }
  }, 30_000);
});

describe('window-change', () => {
  it("a tty: true command follows this process's terminal: resizing it sends window-change", async () => {
    const pty = createRequire(import.meta.url)('node-pty') as typeof import('node-pty');
    const dist = new URL('../../dist/index.js', import.meta.url).href;
    // The child's stdout is the pty: its remote command sees the size, then waits for a change.
    const script = `
      import { OpenSSH } from ${JSON.stringify(dist)};
      const ssh = await OpenSSH.connect(${JSON.stringify(target())}, ${JSON.stringify({ ...baseOptions(), engine: 'mux' })});
      const r = await ssh.run('stty size; while [ "$(stty size)" = "24 80" ]; do sleep 0.05; done; stty size', { tty: true, stdout: 'inherit', timeout: 20000 });
      await ssh.disconnect();
      process.exit(r.exitCode ?? 99);`;
    const t = pty.spawn(process.execPath, ['--input-type=module', '-e', script], { cols: 80, rows: 24, env: process.env as Record<string, string> });
    let screen = '';
    t.onData((d) => (screen += d));
    const exited = new Promise<number>((r) => t.onExit(({ exitCode }) => r(exitCode)));
    for (let i = 0; i < 400 && !screen.includes('24 80'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(screen).toContain('24 80');
    t.resize(100, 30);
    expect(await exited).toBe(0);
    expect(screen).toMatch(/24 80\r*\n[^]*30 100/);
  });
});
