import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, MasterError, OpenSSH, SlaveError, TimeoutError, TransferError, type TransferProgress } from '../../src/index.js';
import { startSshd, type TestServer } from '../../src/testing/index.js';
import { connect, connectForFile, sshd } from '../helpers/server.js';

let local: string;
beforeAll(() => {
  local = mkdtempSync(join(tmpdir(), 'osmux-xfer-extra-'));
  chmodSync(local, 0o777); // the remote user (same machine) writes here too
});
afterAll(() => rmSync(local, { recursive: true, force: true }));

let seq = 0;
function dir(): string {
  const d = join(local, `d${++seq}`);
  mkdirSync(d, { mode: 0o777 });
  chmodSync(d, 0o777);
  return d;
}

const gone = (pid: number | undefined) => {
  try {
    process.kill(pid!, 0);
    return false;
  } catch {
    return true;
  }
};

describe('through the master only, with a ControlPath that needs quoting', () => {
  let server: TestServer;
  let ssh: OpenSSH;
  beforeAll(async () => {
    server = await startSshd({ users: sshd().isRoot ? [sshd().users[0]!] : undefined });
    // A socket directory with a space, both quotes and a $: scp's -o ControlPath and
    // rsync's -e must both carry it.
    const ctlDir = join(server.ctlDir, `sp ace 'q" $x`);
    mkdirSync(ctlDir, { mode: 0o700 });
    ssh = await OpenSSH.connect(server.target(), { ...server.connectOptions(), ctlDir });
  });
  afterAll(async () => {
    await ssh?.disconnect();
    await server?.stop();
  });

  it('every method in both directions logs in exactly once: the master', async () => {
    const d = dir();
    writeFileSync(join(d, 'src.txt'), 'payload');
    const got: string[] = [];
    for (const scpMode of ['sftp', 'legacy'] as const) {
      await ssh.scpPut(join(d, 'src.txt'), join(d, `put-${scpMode}`), { scpMode, sshOpts: ['-C'] });
      await ssh.scpGet(join(d, `put-${scpMode}`), join(d, `get-${scpMode}`), { scpMode });
      got.push(readFileSync(join(d, `get-${scpMode}`), 'utf8'));
    }
    await ssh.rsyncPut(join(d, 'src.txt'), join(d, 'put-rsync'), { sshOpts: ['-o', 'Compression=yes'] });
    const r = await ssh.rsyncGet(join(d, 'put-rsync'), join(d, 'get-rsync'));
    got.push(readFileSync(join(d, 'get-rsync'), 'utf8'));
    expect(got).toEqual(['payload', 'payload', 'payload']);
    expect(r.argv[r.argv.indexOf('-e') + 1]).toContain(`-S '${ssh.ctlPath!.replace(/'/g, "''")}'`);
    const logins = server.log().match(/Accepted publickey/g) ?? [];
    expect(logins).toHaveLength(1);
  });
});

describe('progress, async, kill, idleTimeout, output routing, rsync options', () => {
  let ssh: OpenSSH;
  beforeAll(async () => {
    ssh = await connectForFile();
  });
  afterAll(() => ssh?.disconnect());

  it('rsync reports per-file progress through onProgress and the async iterable', async () => {
    const d = dir();
    writeFileSync(join(d, 'big.bin'), Buffer.alloc(1 << 20, 3));
    const seen: TransferProgress[] = [];
    // 8192 Kbit/s = 1 MB/s: about a second, with a report each second and at the end
    const t = await ssh.rsyncPut(join(d, 'big.bin'), join(d, 'copy.bin'), { async: true, bwlimit: 8192, onProgress: (p) => seen.push(p) });
    expect(t.pid).toBeGreaterThan(0);
    expect(t.argv).toContain('--info=name1,progress1');
    const iterated: TransferProgress[] = [];
    for await (const p of t.progress) iterated.push(p);
    const res = await t.result;
    expect(res.exitCode).toBe(0);
    expect(iterated).toEqual(seen);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ file: 'big.bin', bytes: 1 << 20, totalBytes: 1 << 20, percent: 100, done: true });
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]!.done).toBe(false);
    // the reported rate shows the limit (generous bounds)
    const rates = seen.map((p) => p.rate ?? 0).filter((x) => x > 0);
    expect(Math.max(...rates)).toBeLessThan(3_000_000);
  });

  it.each(['get', 'put'] as const)('scp %s reports progress from the bytes it moves', async (direction) => {
    const d = dir();
    const src = join(d, 'big.bin');
    writeFileSync(src, Buffer.alloc(1 << 20, 4));
    const seen: TransferProgress[] = [];
    const o = { bwlimit: 8192, onProgress: (p: TransferProgress) => seen.push(p) };
    if (direction === 'get') await ssh.scpGet(src, join(d, 'copy.bin'), o);
    else await ssh.scpPut(src, join(d, 'copy.bin'), o);
    expect(readFileSync(join(d, 'copy.bin')).equals(readFileSync(src))).toBe(true);
    expect(seen[0]).toMatchObject({ file: src, bytes: 0, done: false });
    const middle = seen.filter((p) => !p.done && p.bytes > 0 && p.bytes < 1 << 20);
    expect(middle.length).toBeGreaterThanOrEqual(1);
    const last = seen.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.percent).toBe(100);
    expect(last).toMatchObject({ bytes: 1 << 20, totalBytes: 1 << 20 });
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytes).toBeGreaterThanOrEqual(seen[i - 1]!.bytes);
  });

  it('kill() stops an async transfer and its ssh', async () => {
    const d = dir();
    writeFileSync(join(d, 'big.bin'), Buffer.alloc(1 << 20, 5));
    for (const start of [
      () => ssh.scpGet(join(d, 'big.bin'), join(d, 'k1'), { async: true, bwlimit: 400 }),
      () => ssh.rsyncGet(join(d, 'big.bin'), join(d, 'k2'), { async: true, bwlimit: 400 }),
    ]) {
      const t = await start();
      await new Promise((r) => setTimeout(r, 300));
      t.kill();
      const e = (await t.result.catch((x: unknown) => x)) as TransferError;
      expect(e).toBeInstanceOf(TransferError);
      expect(e.code).toBe('OSSH_TRANSFER_FAILED');
      // scp exits 1 on SIGTERM; rsync 20 (its code for a signal), or 255 when its ssh went first
      expect(e.tool === 'scp' ? [1] : [20, 255]).toContain(e.exitCode);
      expect(e.message.split('\n')[0]).toBe(`${e.tool} failed with exit code ${e.exitCode} (${e.meaning}) after kill() sent SIGTERM`);
      expect(gone(t.pid)).toBe(true);
    }
  });

  it('kill(SIGKILL): the tool killed by the signal, said so', async () => {
    const d = dir();
    writeFileSync(join(d, 'big.bin'), Buffer.alloc(1 << 20, 5));
    const t = await ssh.rsyncPut(join(d, 'big.bin'), join(d, 'k'), { async: true, bwlimit: 400 });
    await new Promise((r) => setTimeout(r, 300));
    t.kill('SIGKILL');
    const e = (await t.result.catch((x: unknown) => x)) as TransferError;
    expect(e).toBeInstanceOf(TransferError);
    expect(e.code).toBe('OSSH_TRANSFER_FAILED');
    expect(e.exitCode).toBeUndefined();
    expect(e.signal).toBe('SIGKILL');
    expect(e.message.split('\n')[0]).toBe('rsync was killed by SIGKILL (kill() sent SIGKILL)');
    expect(gone(t.pid)).toBe(true);
  });

  it('idleTimeout stops a transfer that stalls', async () => {
    const d = dir();
    writeFileSync(join(d, 'big.bin'), Buffer.alloc(1 << 20, 6));
    for (const start of [
      () => ssh.scpPut(join(d, 'big.bin'), join(d, 'i1'), { async: true, bwlimit: 2000, idleTimeout: 800 }),
      () => ssh.rsyncPut(join(d, 'big.bin'), join(d, 'i2'), { async: true, bwlimit: 2000, idleTimeout: 800 }),
    ]) {
      const t = await start();
      await new Promise((r) => setTimeout(r, 400));
      process.kill(-t.pid!, 'SIGSTOP'); // the tool and its ssh freeze: nothing moves any more
      const t0 = performance.now();
      const e = (await t.result.catch((x: unknown) => x)) as TimeoutError;
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(e).toBeInstanceOf(TimeoutError);
      expect(e.kind).toBe('idle');
      expect(e.timeoutMs).toBe(800);
      expect(e.message).toMatch(/^(scp|rsync) timed out: no data moved for 800 ms \(idleTimeout\); (scp|rsync) was stopped$/);
      expect(gone(t.pid)).toBe(true);
    }
  });

  it('routes stdout and stderr', async () => {
    const d = dir();
    writeFileSync(join(d, 'a.txt'), 'a');
    let out = '';
    const sink = new Writable({
      write(c, _e, cb) {
        out += String(c);
        cb();
      },
    });
    const r = await ssh.rsyncGet(join(d, 'a.txt'), join(d, 'b.txt'), { verbose: true, stdout: sink });
    expect(out).toContain('a.txt');
    expect(r.stdout).toBe('');
    const e = (await ssh.rsyncGet(join(d, 'nope'), d, { stderrToStdout: true }).catch((x: unknown) => x)) as TransferError;
    expect(e).toBeInstanceOf(TransferError);
    expect(String(e.stdout)).toContain('No such file or directory');
    expect(String(e.stderr)).toBe('');
    const quiet = await ssh.scpGet(join(d, 'a.txt'), join(d, 'c.txt'), { stdout: 'ignore', stderr: 'ignore' });
    expect(quiet.stdout).toBe('');
  });

  it('passes other rsync options in order, and refuses the forbidden ones at once', async () => {
    const d = dir();
    const src = join(d, 'src');
    mkdirSync(join(src, 'keep'), { recursive: true });
    for (const n of ['a.txt', 'b.tmp', 'keep/c.tmp', 'keep/d.txt']) writeFileSync(join(src, n), n);
    // filter rules are order-sensitive: include keep/c.tmp before excluding *.tmp
    const r = await ssh.rsyncGet(`${src}/`, join(d, 'out'), { recursive: true, include: ['keep/', 'keep/c.tmp'], exclude: '*.tmp', safeLinks: true });
    expect(r.argv).toEqual(expect.arrayContaining(['--include=keep/', '--include=keep/c.tmp', '--exclude=*.tmp', '--safe-links']));
    const files = (p: string): string[] => readdirSync(p, { recursive: true }).map(String).sort();
    expect(files(join(d, 'out'))).toEqual(['a.txt', 'keep', 'keep/c.tmp', 'keep/d.txt']);
    await ssh.rsyncGet(`${src}/`, join(d, 'dry'), { recursive: true, dryRun: true });
    expect(existsSync(join(d, 'dry'))).toBe(false);
    expect(() => ssh.rsyncGet(src, d, { rsh: 'ssh -p 2222' })).toThrow(TypeError);
    expect(() => ssh.rsyncGet(src, d, { rsh: 'ssh -p 2222' })).toThrow(
      "rsync option 'rsh' (--rsh) is forbidden: it would replace the transport, argument protection or process handling that the library sets",
    );
    expect(() => ssh.rsyncPut(src, d, { no_protect_args: true })).toThrow("rsync option 'no_protect_args' (--no-protect-args) is forbidden");
  });

  it.each(['~', ':'])('with no target, puts go to the remote home directory (relative remote paths starting with %s too)', async (lead) => {
    const d = dir();
    const home = (await ssh.capture('pwd')).trim();
    // a leading ~ is a name, not a home directory; a leading : is a name, not rsync's host::module
    const name = `${lead}osmux-xfer-home-${process.pid}`;
    writeFileSync(join(d, name), 'home');
    try {
      for (const put of [
        () => ssh.scpPut(join(d, name), undefined),
        () => ssh.scpPut(join(d, name), undefined, { scpMode: 'legacy' }),
        () => ssh.rsyncPut(join(d, name), undefined),
        () => ssh.rsyncPut(join(d, name), name),
      ]) {
        await put();
        expect(readFileSync(join(home, name), 'utf8')).toBe('home');
        await ssh.scpGet(name, join(d, 'back'));
        await ssh.scpGet(name, join(d, 'back1'), { scpMode: 'legacy' });
        await ssh.rsyncGet(name, join(d, 'back2'));
        expect(['back', 'back1', 'back2'].map((f) => readFileSync(join(d, f), 'utf8'))).toEqual(['home', 'home', 'home']);
        rmSync(join(home, name));
        for (const f of ['back', 'back1', 'back2']) rmSync(join(d, f));
      }
    } finally {
      rmSync(join(home, name), { force: true });
    }
  });

  it('a tool that cannot be started is a SlaveError', async () => {
    const d = dir();
    for (const [run, program] of [
      [() => ssh.scpGet(join(d, 'x'), d, { command: '/nonexistent/osmux-scp' }), '/nonexistent/osmux-scp'],
      [() => ssh.rsyncPut(join(d, 'x'), d, { command: '/nonexistent/osmux-rsync' }), '/nonexistent/osmux-rsync'],
    ] as const) {
      const e = (await run().catch((x: unknown) => x)) as SlaveError;
      expect(e).toBeInstanceOf(SlaveError);
      expect(e.code).toBe('OSSH_SLAVE_FAILED');
      expect(e.message).toBe(`unable to run ${program}: spawn ${program} ENOENT: the program was not found (check sshCmd, or the transfer's \`command\`, and PATH)`);
    }
  });

  it('an abort while the rsync version is asked stops the transfer before it starts', async () => {
    const d = dir();
    writeFileSync(join(d, 'src.txt'), 'payload');
    // a program path never seen before, whose --version takes a while
    const slow = join(d, 'slow-rsync');
    writeFileSync(slow, '#!/bin/sh\n[ "$1" = --version ] && sleep 1\nexec rsync "$@"\n', { mode: 0o755 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('not now')), 200);
    const e = (await ssh.rsyncPut(join(d, 'src.txt'), join(d, 'dst.txt'), { command: slow, signal: ac.signal }).catch((x: unknown) => x)) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.code).toBe('OSSH_ABORTED');
    expect(e.message).toBe('the transfer was aborted: not now');
    expect(existsSync(join(d, 'dst.txt'))).toBe(false);
  });

  it.each(['sftp', 'legacy', 'rsync'] as const)('the master dying mid-transfer is a MasterError (%s)', async (how) => {
    const d = dir();
    writeFileSync(join(d, 'big.bin'), Buffer.alloc(1 << 20, 8));
    const c = await connect();
    const o = { async: true, bwlimit: 400 } as const;
    const t = how === 'rsync' ? await c.rsyncPut(join(d, 'big.bin'), join(d, 'out.bin'), o) : await c.scpPut(join(d, 'big.bin'), join(d, 'out.bin'), { ...o, scpMode: how });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(c.masterPid!, 'SIGKILL');
    const e = (await t.result.catch((x: unknown) => x)) as MasterError;
    expect(e).toBeInstanceOf(MasterError);
    expect(e.code).toBe('OSSH_MASTER_FAILED');
    // The master's exit is usually seen first; under load the alive check (the transfer's
    // exit 255 classified) can come before it and say why the socket no longer answers.
    if (e.reason === 'check') {
      expect(e.message).toMatch(
        new RegExp(`^the master connection is gone: unable to establish or keep the master SSH connection to ${sshd().host.replaceAll('.', '\\.')}: master check failed: unable to connect to the master's control socket `),
      );
    } else {
      expect(e.message).toBe(`the master connection is gone: unable to establish or keep the master SSH connection to ${sshd().host}: the master ssh process was killed by SIGKILL`);
    }
    expect(gone(t.pid)).toBe(true);
  });

  it('a transfer on a closed connection fails with the MasterError', async () => {
    const c = await connect();
    await c.disconnect();
    const e = (await c.rsyncGet('/etc/hostname', local).catch((x: unknown) => x)) as MasterError;
    expect(e).toBeInstanceOf(MasterError);
    expect(e.code).toBe('OSSH_MASTER_FAILED');
    expect(e.message).toBe(`unable to establish or keep the master SSH connection to ${sshd().host}: the connection was closed by disconnect()`);
  });
});
