import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MasterError, OpenSSH, SftpError, type TransferProgress } from '../../src/index.js';
import { connect, connectForFile, TEST_ENGINE } from '../helpers/server.js';
import { waitGone } from '../helpers/processes.js';
import { NO_EXTENSIONS, SERVERS } from './sftp-helpers.js';
import { rejection } from '../helpers/expect-throw.js';
import { mountTinyTmpfs, runAsRoot } from '../helpers/tiny-fs.js';

let ssh: OpenSSH;
let remote: string;
let local: string;

beforeAll(async () => {
  ssh = await connectForFile();
  remote = (await ssh.capture('mktemp -d /tmp/osmux-sftp-extra-XXXXXX')).trim();
  local = mkdtempSync(join(tmpdir(), 'osmux-sftp-extra-'));
});
afterAll(async () => {
  await ssh?.disconnect();
  if (remote) rmSync(remote, { recursive: true, force: true });
  if (local) rmSync(local, { recursive: true, force: true });
});

/** pids of the ssh processes running an sftp channel over this connection's socket. */
function sftpSlaves(c: OpenSSH): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(c.ctlPath!) && !/^\s*\d+\s+Z/.test(l) && (/ -\w*s\w* .* sftp$/.test(l) || l.includes('sftp-server')))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

async function fileSha(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

describe.each(SERVERS)('large files over $name', ({ name, options }) => {
  it('96 MiB each way with fastPut/fastGet, checksummed', async () => {
    const src = join(local, `${name}-big`);
    const data = randomBytes(96 * 1024 * 1024 + 4321);
    writeFileSync(src, data);
    const want = createHash('sha256').update(data).digest('hex');
    await using sftp = await ssh.sftp(options);
    const r = join(remote, `${name}-big`);
    await sftp.fastPut(src, r);
    expect(await fileSha(r)).toBe(want);
    const back = join(local, `${name}-back`);
    await sftp.fastGet(r, back);
    expect(await fileSha(back)).toBe(want);
    rmSync(src);
    rmSync(back);
    await sftp.unlink(r);
  }, 120_000);
});

describe('a server without the extensions (sftp-server -P)', () => {
  it('announces none; the methods needing one fail OSSH_SFTP_UNSUPPORTED; the standard ones work', async () => {
    await using sftp = await ssh.sftp(NO_EXTENSIONS);
    expect([...sftp.extensions.keys()]).toEqual([]);
    expect(sftp.limits).toBeUndefined();
    expect(sftp.settings.chunkSize).toBe(32768);
    expect(sftp.settings.concurrency).toBe(64);
    expect(sftp.settings.readConcurrency).toBe(64);
    const d = join(remote, 'noext');
    await sftp.mkdir(d);
    await sftp.writeFile(join(d, 'a'), 'A');
    await sftp.writeFile(join(d, 'b'), 'B');
    // The standard RENAME refuses to replace: EEXIST, found out with an lstat.
    const e = await rejection<SftpError>(sftp.rename(join(d, 'a'), join(d, 'b')));
    expect(e.syscallCode).toBe('EEXIST');
    expect(e.message).toBe(`EEXIST: rename ${JSON.stringify(join(d, 'a'))} -> ${JSON.stringify(join(d, 'b'))} failed with SFTP status FAILURE: Failure`);
    await sftp.rename(join(d, 'a'), join(d, 'c'));
    expect(readFileSync(join(d, 'c'), 'utf8')).toBe('A');
    for (const [p, ext] of [
      [sftp.statvfs(d), 'statvfs@openssh.com'],
      [sftp.link(join(d, 'c'), join(d, 'h')), 'hardlink@openssh.com'],
      [sftp.copyFile(join(d, 'c'), join(d, 'k')), 'copy-data'],
      [sftp.writeFile(join(d, 'c'), 'x', { atomic: true }), 'posix-rename@openssh.com'],
      [sftp.rename(join(d, 'c'), join(d, 'b'), { overwrite: true }), 'posix-rename@openssh.com'],
    ] as const) {
      const err = await rejection<SftpError>(p);
      expect(err.code).toBe('OSSH_SFTP_UNSUPPORTED');
      expect(err.message).toMatch(new RegExp(`the SFTP server does not offer the ${ext.replace('.', '\\.')} extension$`));
    }
    {
      await using fh = await sftp.open(join(d, 'c'), 'r');
      expect((await rejection<SftpError>(fh.sync())).code).toBe('OSSH_SFTP_UNSUPPORTED');
    }
    await sftp.symlink('c', join(d, 'l'));
    expect(await sftp.readlink(join(d, 'l'))).toBe('c');
    const data = randomBytes(300_000);
    await sftp.writeFile(join(d, 'big'), data);
    expect((await sftp.readFile(join(d, 'big'))).equals(data)).toBe(true);
    expect(readFileSync(join(d, 'c'), 'utf8')).toBe('A');
  });

  it('a request the server refuses (sftp-server -P) is EACCES', async () => {
    await using sftp = await ssh.sftp({ serverCommand: ['/usr/lib/openssh/sftp-server', '-P', 'remove,mkdir'] });
    const e = await rejection<SftpError>(sftp.mkdir(join(remote, 'refused')));
    expect(e.syscallCode).toBe('EACCES');
    expect(e.statusName).toBe('PERMISSION_DENIED');
    expect(existsSync(join(remote, 'refused'))).toBe(false);
  });

  it('a read-only server (sftp-server -R) refuses writes with EACCES', async () => {
    await using sftp = await ssh.sftp({ serverCommand: ['/usr/lib/openssh/sftp-server', '-R'] });
    expect((await rejection<SftpError>(sftp.writeFile(join(remote, 'ro'), 'x'))).syscallCode).toBe('EACCES');
    expect((await sftp.stat(remote)).isDirectory()).toBe(true);
  });
});

describe('engines', () => {
  it("the mux engine's session (a channel, the streams of open2()) carries a transfer too", async () => {
    const c = await connect({ engine: 'mux' });
    try {
      const src = join(local, 'mux-src');
      const data = randomBytes(8 * 1024 * 1024 + 77);
      writeFileSync(src, data);
      await using sftp = await c.sftp();
      const r = join(remote, 'mux-copy');
      await sftp.fastPut(src, r);
      const back = join(local, 'mux-back');
      await sftp.fastGet(r, back);
      expect(readFileSync(back).equals(data)).toBe(true);
      // No ssh process: the mux engine runs the channel itself.
      expect(sftpSlaves(c)).toEqual([]);
      rmSync(src);
      rmSync(back);
      await sftp.unlink(r);
    } finally {
      await c.disconnect();
    }
  }, 60_000);
});

/**
 * An onProgress that SIGKILLs `pid()` at the first report with bytes moved, once the transfer
 * is surely under way (a fixed delay raced a whole transfer on a fast machine); `killed` says
 * whether it did.
 */
function killAtFirstProgress(pid: () => number) {
  const k = {
    killed: false,
    onProgress: (p: TransferProgress) => {
      if (k.killed || p.done || p.bytes === 0) return;
      k.killed = true;
      process.kill(pid(), 'SIGKILL');
    },
  };
  return k;
}

describe.skipIf(!runAsRoot || process.platform !== 'linux')('a full local filesystem (tmpfs of 64 KiB, as root)', () => {
  let mnt: string | undefined;
  let unmount: (() => void) | undefined;
  beforeAll(() => {
    mnt = join(local, 'tiny');
    unmount = mountTinyTmpfs(mnt);
  });
  afterAll(() => unmount?.());

  it('fastGet fails with ENOSPC, not with a short file passed off as the download (tmpfs: the synchronous writes)', async () => {
    // 100 KiB: one chunk, one write, of which 64 KiB fit. A short write taken for a whole one
    // would end the download there, without an error.
    const r = join(remote, '100k');
    writeFileSync(r, randomBytes(100 * 1024));
    await using sftp = await ssh.sftp();
    const e = await rejection<NodeJS.ErrnoException>(sftp.fastGet(r, join(mnt!, 'out')));
    expect(e.code).toBe('ENOSPC');
    expect(e.syscall).toBe('write');
    expect(e.message).toBe('ENOSPC: no space left on device, write');
    expect(statSync(join(mnt!, 'out')).size).toBeLessThanOrEqual(64 * 1024);
    rmSync(r);
  });
});

describe('channel death', () => {
  it.skipIf(TEST_ENGINE === 'mux')('killing the ssh process mid-transfer fails the transfer and every pending request; nothing hangs', async () => {
    const src = join(local, 'death-src');
    writeFileSync(src, randomBytes(64 * 1024 * 1024));
    const sftp = await ssh.sftp();
    const [pid] = sftpSlaves(ssh);
    expect(pid).toBeGreaterThan(0);
    const kill = killAtFirstProgress(() => pid!);
    const put = sftp.fastPut(src, join(remote, 'death'), { onProgress: kill.onProgress });
    const stats = Array.from({ length: 20 }, () => sftp.stat(remote));
    const e = await rejection<SftpError>(put);
    expect(kill.killed).toBe(true);
    expect(e).toBeInstanceOf(SftpError);
    expect(e.code).toBe('OSSH_SFTP_CLOSED');
    expect(e.operation).toBe('fastPut');
    for (const s of stats) await s.catch(() => {});
    const later = await rejection<SftpError>(sftp.readdir(remote));
    expect(later.code).toBe('OSSH_SFTP_CLOSED');
    // Which side notices first varies: the read end, or a write (EPIPE).
    expect(later.message).toMatch(/^opendir ".*": (the SFTP server closed the channel|the SFTP channel closed|(reading|writing to) the SFTP channel failed)/);
    await sftp.close();
    expect(await waitGone(pid!)).toBe(true);
    rmSync(src);
  }, 60_000);

  it('the master dying fails the session with the MasterError as cause', async () => {
    const c = await connect();
    const sftp = await c.sftp();
    const big = join(remote, 'death-master');
    writeFileSync(big, randomBytes(32 * 1024 * 1024));
    const kill = killAtFirstProgress(() => c.masterPid!);
    const get = sftp.fastGet(big, join(local, 'death-master'), { onProgress: kill.onProgress });
    const e = await rejection<SftpError>(get);
    expect(kill.killed).toBe(true);
    expect(e.code).toBe('OSSH_SFTP_CLOSED');
    const later = await rejection<SftpError>(sftp.stat(remote));
    expect(later.code).toBe('OSSH_SFTP_CLOSED');
    expect(later.cause === undefined || later.cause instanceof Error).toBe(true);
    await sftp.close();
    expect(sftpSlaves(c)).toEqual([]);
    const again = await rejection<SftpError>(c.sftp());
    expect(again).toBeInstanceOf(MasterError);
  }, 60_000);
});

describe('processes', () => {
  it.skipIf(TEST_ENGINE === 'mux')('one ssh process per session, gone after close(); several sessions at once', async () => {
    const sessions = await Promise.all([ssh.sftp(), ssh.sftp(), ssh.sftp({ serverCommand: ['/usr/lib/openssh/sftp-server'] })]);
    expect(sftpSlaves(ssh).length).toBe(3);
    const d = join(remote, 'multi');
    await sessions[0]!.mkdir(d);
    await Promise.all(sessions.flatMap((s, i) => Array.from({ length: 30 }, (_, j) => s.writeFile(join(d, `${i}-${j}`), `${i}${j}`))));
    expect((await sessions[1]!.readdir(d)).length).toBe(90);
    const pids = sftpSlaves(ssh);
    await Promise.all(sessions.map((s) => s.close()));
    for (const pid of pids) expect(await waitGone(pid)).toBe(true);
    expect(sftpSlaves(ssh)).toEqual([]);
  });

  it('a session is not limited by the connection default timeouts', async () => {
    const c = await connect({ timeout: 300, idleTimeout: 300 } as object);
    await using sftp = await c.sftp();
    await new Promise((r) => setTimeout(r, 600));
    expect((await sftp.stat(remote)).isDirectory()).toBe(true);
    expect(statSync(remote).isDirectory()).toBe(true);
  });
});

describe('status mapping', () => {
  it('an extended request the server does not know: OP_UNSUPPORTED is ENOTSUP', async () => {
    const { encodeExtended } = await import('../../src/sftp/messages.js');
    await using sftp = await ssh.sftp();
    const e = await rejection<SftpError>(sftp.session.status((id) => encodeExtended(id, 'no-such-request@example.com'), { operation: 'no-such-request@example.com' }));
    expect(e.code).toBe('OSSH_SFTP_STATUS');
    expect(e.syscallCode).toBe('ENOTSUP');
    expect(e.statusName).toBe('OP_UNSUPPORTED');
    expect(e.status).toBe(8);
    expect((await sftp.stat(remote)).isDirectory()).toBe(true);
  });
});
