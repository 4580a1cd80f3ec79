import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, TimeoutError, type OpenSSH } from '../../src/index.js';
import { connect, connectForFile, TEST_ENGINE } from '../helpers/server.js';

let ssh: OpenSSH;
beforeAll(async () => {
  ssh = await connectForFile();
});
afterAll(() => ssh.disconnect());

/** Is a remote process with `marker` in its arguments running? ([x]yz keeps pgrep's own shell out.) */
async function remoteRunning(marker: string): Promise<boolean> {
  return ssh.test(['pgrep', '-f', `[${marker[0]}]${marker.slice(1)}`]);
}

describe('timeout (wall clock)', () => {
  it('stops the slave, keeps the partial output and reports a deadline TimeoutError', async () => {
    const t0 = performance.now();
    const e = (await ssh.capture('echo before; sleep 5; echo after', { timeout: 400 }).catch((x: unknown) => x)) as TimeoutError;
    expect(performance.now() - t0).toBeLessThan(4000);
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.code).toBe('OSSH_SLAVE_TIMEOUT');
    expect(e.kind).toBe('deadline');
    expect(e.timeoutMs).toBe(400);
    expect(e.stdout).toBe('before\n');
    expect(e.message).toBe('ssh slave timed out: still running after 400 ms (timeout); the slave was stopped');
  });

  it('applies to system() with inherited output too', async () => {
    const e = (await ssh.system('sleep 5', { timeout: 300, stdoutDiscard: true }).catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.kind).toBe('deadline');
  });

  it('is never overwritten by the exit status that follows the kill', async () => {
    const r = await ssh.run('sleep 5', { timeout: 200, reject: false });
    expect(r.timedOut).toBe(true);
    expect(r.error).toBeInstanceOf(TimeoutError);
    expect(r.signal === 'SIGTERM' || r.exitCode === 255 || r.remoteSignal === 'SIGTERM').toBe(true);
  });

  it('a constructor default applies to every command', async () => {
    const quick = await connect({ timeout: 300 });
    const e = await quick.capture('sleep 5').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TimeoutError);
    expect(await quick.capture('echo fine')).toBe('fine\n');
  });
});

describe('idleTimeout (no traffic)', () => {
  it('lets a command that keeps talking run past the limit', async () => {
    const out = await ssh.capture('for i in 1 2 3 4 5 6; do echo $i; sleep 0.15; done', { idleTimeout: 600 });
    expect(out).toBe('1\n2\n3\n4\n5\n6\n');
  });

  it('stops a silent command with an idle TimeoutError', async () => {
    const e = (await ssh.capture('echo hi; sleep 5', { idleTimeout: 400 }).catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.kind).toBe('idle');
    expect(e.stdout).toBe('hi\n');
    expect(e.message).toBe('ssh slave timed out: no data for 400 ms (idleTimeout); the slave was stopped');
  });

  it('sees traffic of output sent to a file, and the file gets all of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osmux-idle-'));
    try {
      const out = join(dir, 'out.txt');
      const r = await ssh.run('for i in 1 2 3 4 5; do echo $i; sleep 0.15; done', { idleTimeout: 600, stdoutFile: out });
      expect(r.failed).toBe(false);
      expect(readFileSync(out, 'utf8')).toBe('1\n2\n3\n4\n5\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('AbortSignal', () => {
  it('aborting cancels the command with an AbortError and partial output', async () => {
    const ac = new AbortController();
    const p = ssh.capture('echo early; sleep 5', { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('user gave up')), 300);
    const e = (await p.catch((x: unknown) => x)) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.code).toBe('OSSH_ABORTED');
    expect(e.stdout).toBe('early\n');
    expect(e.message).toBe('the command was aborted: user gave up');
    expect((e.cause as Error).message).toBe('user gave up');
  });

  it('an already aborted signal fails at once without running anything', async () => {
    const e = (await ssh.run('touch /tmp/should-not-exist', { signal: AbortSignal.abort() }).catch((x: unknown) => x)) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.argv).toBeUndefined();
  });
});

describe('what happens to the remote process', () => {
  it('without a pty it keeps running after a timeout (spawn engine; the mux engine signals it); with tty: true it is hung up', async () => {
    const plain = `osmux-plain-${process.pid}`;
    await ssh.run(`sh -c 'sleep 20; true' ${plain}`, { timeout: 300, reject: false });
    await new Promise((r) => setTimeout(r, 300));
    expect(await remoteRunning(plain)).toBe(TEST_ENGINE !== 'mux');
    await ssh.run(['pkill', '-f', `[${plain[0]}]${plain.slice(1)}`], { reject: false });
    expect(await remoteRunning(plain)).toBe(false);

    const withTty = `osmux-tty-${process.pid}`;
    await ssh.run(`sh -c 'sleep 20; true' ${withTty}`, { timeout: 300, tty: true, reject: false });
    let gone = false;
    for (let i = 0; i < 30 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 100));
      gone = !(await remoteRunning(withTty));
    }
    expect(gone).toBe(true);
  });
});
