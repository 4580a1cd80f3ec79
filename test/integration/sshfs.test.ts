import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, OpenSSH, SshfsError, TimeoutError, type SshfsMount } from '../../src/index.js';
import { parseMountinfo } from '../../src/sshfs/mountinfo.js';
import { expectTypeError, rejection } from '../helpers/expect-throw.js';
import { alive, waitGone } from '../helpers/processes.js';
import { baseOptions, connect, connectForFile, sshd, target } from '../helpers/server.js';

/**
 * sshfs against the real sshd (the remote host is this machine, so both sides of a mount can
 * be checked directly). Needs sshfs and fuse3 (.ci/run installs them) and a usable FUSE: the
 * tests run only where the local sshfs can mount, and say why they are skipped otherwise.
 */

let ssh: OpenSSH;
/** Scratch directories made by the remote user (their files are what an import shows). */
let remote: string;
/** Local scratch directory (root's). */
let local: string;
/** Why the remote user cannot use FUSE (export tests), or undefined. */
let remoteFuse: string | undefined;

/** The FUSE mounts of this process, by mount point. */
function mountsAt(path: string) {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.mountpoint === path);
}

/** pids of this process's children running `name` (the export's local sftp-server). */
function childrenNamed(name: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm === name && Number(fields[1]) === process.pid && fields[0] !== 'Z') out.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Poll (bounded) until this process has no `sftp-server` child left. */
async function noSftpServer(): Promise<boolean> {
  for (let i = 0; i < 100 && childrenNamed('sftp-server').length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return childrenNamed('sftp-server').length === 0;
}

/** Why FUSE cannot be used here, or undefined when it can (detected, not assumed). */
function fuseProblem(): string | undefined {
  if (process.platform !== 'linux') return 'the sshfs tests read /proc/self/mountinfo (Linux only)';
  try {
    execFileSync('sshfs', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'sshfs is not installed here (.ci/run installs the sshfs and fuse3 packages)';
  }
  if (!existsSync('/dev/fuse')) return '/dev/fuse does not exist (no FUSE in this kernel or container)';
  return undefined;
}
const SKIP = fuseProblem();
if (SKIP) console.warn(`sshfs tests skipped: ${SKIP}`);

const mounts: SshfsMount[] = [];
function track(m: SshfsMount): SshfsMount {
  mounts.push(m);
  return m;
}

beforeAll(async () => {
  if (SKIP) return;
  ssh = await connectForFile();
  remote = (await ssh.capture('mktemp -d /tmp/osmux-sshfs-remote-XXXXXX')).trim();
  local = mkdtempSync(join(tmpdir(), 'osmux-sshfs-local-'));
  // The export mounts as the (non-root) remote user: fusermount3 is setuid, but libfuse opens
  // /dev/fuse itself first, and without udev's rule /dev/fuse is root's only (mode 0600).
  if (!(await ssh.test(['test', '-r', '/dev/fuse', '-a', '-w', '/dev/fuse']))) {
    remoteFuse = `the remote test user cannot open /dev/fuse (mode ${(statSync('/dev/fuse').mode & 0o777).toString(8)}; udev makes it 0666, .ci/run does the same)`;
    console.warn(`sshfsExport tests skipped: ${remoteFuse}`);
  }
});

/** Skip an export test when the remote user cannot use FUSE (said once, in beforeAll). */
function needRemoteFuse(ctx: { skip: (note?: string) => void }): void {
  if (remoteFuse) ctx.skip(remoteFuse);
}
afterEach(async () => {
  await Promise.all(mounts.splice(0).map((m) => m.close({ lazy: true }).catch(() => {})));
});
afterAll(async () => {
  await ssh?.disconnect();
  // Nothing may stay mounted under the scratch directories.
  const left = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.mountpoint.includes('osmux-sshfs-'));
  for (const m of left) execFileSync('fusermount3', ['-u', '-z', '--', m.mountpoint]);
  if (remote) rmSync(remote, { recursive: true, force: true });
  if (local) rmSync(local, { recursive: true, force: true });
  expect(left.map((m) => m.mountpoint)).toEqual([]);
});

let n = 0;
/** A fresh empty local directory. */
function localDir(name = `d${++n}`): string {
  const d = join(local, name);
  mkdirSync(d, { recursive: true });
  return d;
}
/** A fresh empty remote directory (owned by the remote user), with files. */
async function remoteDir(files: Record<string, string> = {}): Promise<string> {
  const d = (await ssh.capture(['mktemp', '-d', `${remote}/r-XXXXXX`])).trim();
  for (const [name, text] of Object.entries(files)) await ssh.run(['sh', '-c', 'printf %s "$2" > "$1"', 'sh', `${d}/${name}`, text]);
  return d;
}

describe.skipIf(SKIP)('sshfsImport', () => {
  it('mounts a remote directory: list, read, write; close() unmounts and sshfs exits', async () => {
    const dir = await remoteDir({ 'a.txt': 'alpha', 'b b.txt': 'beta' });
    const mnt = localDir();
    const m = track(await ssh.sshfsImport(dir, mnt));
    expect(m.kind).toBe('import');
    expect(m.mountpoint).toBe(mnt);
    expect(m.source).toBe(`127.0.0.1:${dir}`);
    expect(mountsAt(mnt).map((e) => [e.fstype, e.source])).toEqual([['fuse.sshfs', `127.0.0.1:${dir}`]]);
    expect(readdirSync(mnt).sort()).toEqual(['a.txt', 'b b.txt']);
    expect(readFileSync(join(mnt, 'a.txt'), 'utf8')).toBe('alpha');
    writeFileSync(join(mnt, 'new.txt'), 'written here');
    expect(await ssh.capture(['cat', `${dir}/new.txt`])).toBe('written here');
    // Written through the mount as the remote user.
    expect((await ssh.capture(['stat', '-c', '%U', `${dir}/new.txt`])).trim()).toBe((await ssh.capture('id -un')).trim());
    const pid = m.pid!;
    expect(alive(pid)).toBe(true);
    await m.close();
    expect(m.closed).toBe(true);
    expect(mountsAt(mnt)).toEqual([]);
    await expect(m.done).resolves.toBeUndefined();
    expect(await waitGone(pid)).toBe(true);
    expect(readdirSync(mnt)).toEqual([]);
    await m.close(); // again: nothing to do
  });
});

describe.skipIf(SKIP)('sshfsExport', () => {
  it('mounts a local directory remotely: list, read, write; close() unmounts remotely and everything exits', async (ctx) => {
    needRemoteFuse(ctx);
    const src = localDir();
    writeFileSync(join(src, 'here.txt'), 'from here');
    writeFileSync(join(src, "it's.txt"), 'quoted');
    chmodSync(src, 0o777); // the remote user writes through the mount as this process's user, root
    const mnt = await remoteDir();
    const m = track(await ssh.sshfsExport(src, mnt));
    expect(childrenNamed('sftp-server')).toHaveLength(1);
    expect(m.kind).toBe('export');
    expect(m.mountpoint).toBe(mnt);
    expect(m.source).toBe(src);
    // The remote user's mount, visible here too (same machine).
    expect(mountsAt(mnt).map((e) => e.fstype)).toEqual(['fuse.sshfs']);
    expect((await ssh.capture(['ls', '-1', mnt])).split('\n').filter(Boolean).sort()).toEqual(['here.txt', "it's.txt"]);
    expect(await ssh.capture(['cat', `${mnt}/here.txt`])).toBe('from here');
    await ssh.run(['sh', '-c', 'printf %s "written there" > "$1"', 'sh', `${mnt}/there.txt`]);
    expect(readFileSync(join(src, 'there.txt'), 'utf8')).toBe('written there');
    const pid = m.pid!;
    await m.close();
    expect(mountsAt(mnt)).toEqual([]);
    await expect(m.done).resolves.toBeUndefined();
    expect(await waitGone(pid)).toBe(true);
    expect(await noSftpServer()).toBe(true);
    expect(await ssh.capture(['ls', '-A', mnt])).toBe('');
  });
});

/** Expect an SshfsError with this reason, side and exact message. */
async function expectSshfsError(p: Promise<unknown>, reason: string, side: 'local' | 'remote', message: string | RegExp): Promise<SshfsError> {
  const e = await rejection<SshfsError>(p);
  expect(e).toBeInstanceOf(SshfsError);
  expect(e.name).toBe('SshfsError');
  expect(e.code).toBe('OSSH_SSHFS_FAILED');
  expect(e.reason).toBe(reason);
  expect(e.side).toBe(side);
  if (typeof message === 'string') expect(e.message).toBe(message);
  else expect(e.message).toMatch(message);
  return e;
}

/** A local executable script in the scratch directory. */
function script(name: string, body: string): string {
  const path = join(local, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

function canUnshare(args: string[]): boolean {
  try {
    execFileSync('unshare', [...args, 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(SKIP)('sshfsImport: names, options, errors', () => {
  it('carries odd remote directory names (spaces, quotes, $, comma, backslash, non-ASCII, a leading -)', async () => {
    const base = await remoteDir();
    for (const name of ["a b 'c' \"d\" $HOME", 'x,y\\z', 'é ü 日本', '-dash']) {
      const dir = `${base}/${name}`;
      await ssh.run(['mkdir', '--', dir]);
      await ssh.run(['sh', '-c', 'printf %s "$2" > "$1"', 'sh', `${dir}/f`, name]);
      const mnt = localDir();
      const m = track(await ssh.sshfsImport(dir, mnt));
      expect(readFileSync(join(mnt, 'f'), 'utf8')).toBe(name);
      expect(mountsAt(mnt).map((e) => e.source)).toEqual([`127.0.0.1:${dir}`]);
      await m.close();
      expect(mountsAt(mnt)).toEqual([]);
    }
  });

  it('an IPv6 host goes in brackets, which sshfs removes before running ssh', async () => {
    // The master's socket does not care which host name the slave is given: an external
    // master object named [::1] reaches the 127.0.0.1 sshd through it.
    const v6 = new OpenSSH(`osmux-sh@[::1]:${sshd().port}`, { externalMaster: true, ctlPath: ssh.ctlPath! });
    try {
      expect(await v6.waitForMaster()).toBe(true);
      const dir = await remoteDir({ 'v6.txt': 'six' });
      const mnt = localDir();
      const m = track(await v6.sshfsImport(dir, mnt));
      expect(m.source).toBe(`[::1]:${dir}`);
      expect(m.pid).toBeDefined();
      const args = readFileSync(`/proc/${m.pid}/cmdline`, 'utf8').split('\0');
      expect(args.slice(1, 3)).toEqual([`[::1]:${dir}`, mnt]);
      expect(readFileSync(join(mnt, 'v6.txt'), 'utf8')).toBe('six');
      expect(mountsAt(mnt).map((e) => e.source)).toEqual([`[::1]:${dir}`]);
      // sshfs double-forks its ssh: find it by its command line.
      const sshChild = readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .find((d) => {
          try {
            const c = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
            return c[0] === 'ssh' && c.includes(ssh.ctlPath!) && c.includes('sftp');
          } catch {
            return false;
          }
        });
      const sshArgs = readFileSync(`/proc/${sshChild}/cmdline`, 'utf8').split('\0').filter(Boolean);
      expect(sshArgs.slice(0, 7)).toEqual(['ssh', '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false', '-S', ssh.ctlPath]);
      // The bare address, then the subsystem (Debian's sshfs 3.7.3 puts `-s` earlier and `--` before the host).
      expect(sshArgs.slice(-2)).toEqual(['::1', 'sftp']);
      expect(sshArgs).toContain('-s');
      await m.close();
    } finally {
      await v6.disconnect();
    }
  });

  it("'' mounts the remote home; a relative directory is relative to it", async () => {
    const home = (await ssh.capture('printf %s "$HOME"')).trim();
    await ssh.run(['sh', '-c', 'mkdir -p "$HOME/osmux-sshfs-rel" && echo rel > "$HOME/osmux-sshfs-rel/f"']);
    try {
      const mnt = localDir();
      const m = track(await ssh.sshfsImport('', mnt));
      expect(mountsAt(mnt).map((e) => e.source)).toEqual(['127.0.0.1:']);
      expect(readdirSync(mnt)).toContain('osmux-sshfs-rel');
      await m.close();
      const mnt2 = localDir();
      const m2 = track(await ssh.sshfsImport('osmux-sshfs-rel', mnt2));
      expect(readFileSync(join(mnt2, 'f'), 'utf8')).toBe('rel\n');
      await m2.close();
    } finally {
      await ssh.run(['rm', '-rf', '--', `${home}/osmux-sshfs-rel`]);
    }
  });

  it('sshfsOptions reach sshfs: ro makes the mount read-only', async () => {
    const dir = await remoteDir({ 'f.txt': 'x' });
    const mnt = localDir();
    const m = track(await ssh.sshfsImport(dir, mnt, { sshfsOptions: ['ro', 'idmap=user'] }));
    expect(readFileSync(join(mnt, 'f.txt'), 'utf8')).toBe('x');
    expect(() => writeFileSync(join(mnt, 'g.txt'), 'y')).toThrow(/EROFS/);
    await m.close();
  });

  it('bad arguments and options are TypeErrors, thrown at once', () => {
    expectTypeError(() => ssh.sshfsImport(3 as never, '/tmp/x'), 'sshfsImport(): remoteDir must be a string (empty: the remote home), received number');
    expectTypeError(() => ssh.sshfsImport('/srv', ''), 'sshfsImport(): localMountpoint must be a non-empty path, received ""');
    expectTypeError(() => ssh.sshfsImport('/srv\0x', '/tmp/x'), 'sshfsImport(): remoteDir must not contain a NUL byte, received "/srv\\u0000x"');
    expectTypeError(
      () => ssh.sshfsImport('/srv', '/tmp/x', { sshfsOptions: ['ssh_command=sh -c evil'] }),
      `option 'sshfsOptions' must be an array of sshfs options, one 'name' or 'name=value' per element, received string "ssh_command=sh -c evil": ssh_command is set by the library or would bypass the master`,
    );
    expectTypeError(
      () => ssh.sshfsImport('/srv', '/tmp/x', { sshfsOptions: ['-o', 'ro'] }),
      `option 'sshfsOptions' must be an array of sshfs options, one 'name' or 'name=value' per element, received string "-o": "-o" is not an option name (pass one option per element, without '-o')`,
    );
    expectTypeError(() => ssh.sshfsImport('/srv', '/tmp/x', { sshfsOptions: 'ro' as never }), /^option 'sshfsOptions' must be an array of strings/);
    expectTypeError(
      () => ssh.sshfsImport('/srv', '/tmp/x', { sshOpts: ['-o', 'ProxyCommand=sh -c x'] }),
      `option 'sshOpts' must be an array of ssh argv words that sshfs's ssh_command can carry, received string "ProxyCommand=sh -c x": it contains a space, and sshfs splits ssh_command on spaces`,
    );
    expectTypeError(() => ssh.sshfsImport('/srv', '/tmp/x', { sftpServerCmd: 'x' } as never), /^unknown option 'sftpServerCmd' for sshfsImport\(\); known options are: /);
    expectTypeError(() => ssh.sshfsImport('/srv', '/tmp/x', { sshfsCmd: '-x' }), `option 'sshfsCmd' must be a program name or path (not starting with "-"), received string "-x"`);
    expectTypeError(() => ssh.sshfsImport('/srv', '/tmp/x', { timeout: -1 }), /^option 'timeout' must be a number of milliseconds/);
  });

  it('sshfs not installed: SshfsError not-installed', async () => {
    const mnt = localDir();
    const e = await expectSshfsError(
      ssh.sshfsImport(remote, mnt, { sshfsCmd: '/nonexistent/sshfs' }),
      'not-installed',
      'local',
      `sshfsImport of 127.0.0.1:${remote}: sshfs is not installed: /nonexistent/sshfs: spawn /nonexistent/sshfs ENOENT`,
    );
    expect(e.mountpoint).toBe(mnt);
    expect(e.argv?.[0]).toBe('/nonexistent/sshfs');
  });

  it('sshfs not in PATH: SshfsError not-installed', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expectSshfsError(
        ssh.sshfsImport(remote, localDir()),
        'not-installed',
        'local',
        `sshfsImport of 127.0.0.1:${remote}: sshfs is not installed: sshfs: spawn sshfs ENOENT`,
      );
    } finally {
      process.env.PATH = saved;
    }
  });

  it.skipIf(!canUnshare(['-m']))('FUSE unavailable (no /dev/fuse, in a private mount namespace): SshfsError fuse-unavailable', async () => {
    const wrapper = script('sshfs-nofuse', 'exec unshare -m sh -c \'mount -t tmpfs none /dev && exec sshfs "$@"\' sh "$@"');
    const mnt = localDir();
    const e = await expectSshfsError(
      ssh.sshfsImport(remote, mnt, { sshfsCmd: wrapper }),
      'fuse-unavailable',
      'local',
      `sshfsImport of 127.0.0.1:${remote}: FUSE is not available (no /dev/fuse, or no permission to use it or to mount): fuse: device not found, try 'modprobe fuse' first (exit code 1)`,
    );
    expect(e.exitCode).toBe(1);
    expect(e.stderr).toContain('device not found');
  });

  it('the mount point does not exist, is a file, is not empty, is mounted already', async () => {
    const missing = join(local, 'missing');
    await expectSshfsError(ssh.sshfsImport(remote, missing), 'mountpoint-missing', 'local', `sshfsImport of 127.0.0.1:${remote}: the mount point does not exist or is not a directory: ${missing} (ENOENT)`);
    const file = join(local, 'a-file');
    writeFileSync(file, '');
    await expectSshfsError(ssh.sshfsImport(remote, file), 'mountpoint-missing', 'local', `sshfsImport of 127.0.0.1:${remote}: the mount point does not exist or is not a directory: ${file} (ENOTDIR)`);
    const full = localDir();
    writeFileSync(join(full, 'x'), '');
    await expectSshfsError(ssh.sshfsImport(remote, full), 'mountpoint-not-empty', 'local', `sshfsImport of 127.0.0.1:${remote}: the mount point is not empty (nonEmpty: true mounts over it): ${full}`);
    const dir = await remoteDir({ 'r.txt': 'r' });
    const over = track(await ssh.sshfsImport(dir, full, { nonEmpty: true }));
    expect(readdirSync(full)).toEqual(['r.txt']);
    await expectSshfsError(ssh.sshfsImport(dir, full, { nonEmpty: true }), 'mountpoint-mounted', 'local', `sshfsImport of 127.0.0.1:${dir}: something is already mounted on the mount point: ${full}`);
    await over.close();
    expect(readdirSync(full)).toEqual(['x']);
  });

  it('the remote directory does not exist: SshfsError source-missing, nothing left mounted', async () => {
    const mnt = localDir();
    const e = await expectSshfsError(
      ssh.sshfsImport(`${remote}/nope`, mnt),
      'source-missing',
      'local',
      `sshfsImport of 127.0.0.1:${remote}/nope: the directory to mount does not exist or is not a directory: 127.0.0.1:${remote}/nope: No such file or directory (exit code 1)`,
    );
    expect(e.exitCode).toBe(1);
    expect(mountsAt(mnt)).toEqual([]);
  });

  it('a ControlPath with a space cannot go into ssh_command: SshfsError ssh-command', async () => {
    const ctlDir = join(local, 'ctl dir');
    mkdirSync(ctlDir, { mode: 0o700 });
    const spaced = await connect({ ctlDir });
    const mnt = localDir();
    await expectSshfsError(
      spaced.sshfsImport(remote, mnt),
      'ssh-command',
      'local',
      `sshfsImport of 127.0.0.1:${remote}: the slave ssh cannot be written into sshfs's ssh_command: the word ${JSON.stringify(spaced.ctlPath)} of the ssh command cannot be passed in sshfs's ssh_command: it contains a space, and sshfs splits ssh_command on spaces`,
    );
    await spaced.disconnect();
  });

  it('timeout: an sshfs that never mounts is stopped, TimeoutError', async () => {
    const hang = script('sshfs-hang', 'echo $$ > "$0.pid"; exec sleep 60');
    const e = await rejection(ssh.sshfsImport(remote, localDir(), { sshfsCmd: hang, timeout: 300 }));
    expect(e).toBeInstanceOf(TimeoutError);
    expect((e as TimeoutError).code).toBe('OSSH_SLAVE_TIMEOUT');
    expect(e.message).toBe('the sshfs mount was not ready within 300 ms');
    expect(await waitGone(Number(readFileSync(`${hang}.pid`, 'utf8')))).toBe(true);
  });

  it('signal: aborting stops sshfs, AbortError', async () => {
    const hang = script('sshfs-hang2', 'echo $$ > "$0.pid"; exec sleep 60');
    const ac = new AbortController();
    const p = ssh.sshfsImport(remote, localDir(), { sshfsCmd: hang, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop it')), 200);
    const e = await rejection(p);
    expect(e).toBeInstanceOf(AbortError);
    expect((e as AbortError).code).toBe('OSSH_ABORTED');
    expect(e.message).toBe('the sshfs mount was aborted: stop it');
    expect(await waitGone(Number(readFileSync(`${hang}.pid`, 'utf8')))).toBe(true);
  });

  it('close() of a busy file system rejects with busy and keeps it; close({ lazy: true }) detaches it', async () => {
    const dir = await remoteDir({ 'f.txt': 'x' });
    const mnt = localDir();
    const m = track(await ssh.sshfsImport(dir, mnt));
    const { openSync, closeSync } = await import('node:fs');
    const fd = openSync(join(mnt, 'f.txt'), 'r');
    try {
      const e = await expectSshfsError(m.close(), 'busy', 'local', `closing sshfsImport of 127.0.0.1:${dir}: the file system is busy (close({ lazy: true }) detaches it anyway): fusermount3: failed to unmount ${mnt}: Device or resource busy`);
      expect(e.exitCode).toBe(1);
      expect(m.closed).toBe(false);
      expect(mountsAt(mnt)).toHaveLength(1);
      await m.close({ lazy: true });
      expect(mountsAt(mnt)).toEqual([]);
      // Detached, still serving the open file.
      expect(readFileSync(fd, 'utf8')).toBe('x');
      expect(alive(m.pid!)).toBe(true);
    } finally {
      closeSync(fd);
    }
    // sshfs ends with the last open file.
    await m.done;
    expect(await waitGone(m.pid!)).toBe(true);
  });

  it('done rejects when sshfs ends without close() (unmounted behind its back)', async () => {
    const dir = await remoteDir();
    const mnt = localDir();
    const m = track(await ssh.sshfsImport(dir, mnt));
    execFileSync('fusermount3', ['-u', '--', mnt]);
    await expectSshfsError(m.done, 'exited', 'local', `sshfsImport of 127.0.0.1:${dir}: sshfs exited: it ended without close()`);
    await m.close(); // nothing left to do
  });

  it('await using closes the mount', async () => {
    const dir = await remoteDir();
    const mnt = localDir();
    {
      await using m = await ssh.sshfsImport(dir, mnt);
      expect(mountsAt(mnt)).toHaveLength(1);
      void m;
    }
    expect(mountsAt(mnt)).toEqual([]);
  });
});

describe.skipIf(SKIP)('disconnect()', () => {
  it('unmounts the imports and exports of the connection and stops their processes', async (ctx) => {
    needRemoteFuse(ctx);
    const own = await connect();
    const dir = await remoteDir({ 'f': 'x' });
    const src = localDir();
    const imp = await own.sshfsImport(dir, localDir());
    const exp = await own.sshfsExport(src, await remoteDir());
    const pids = [imp.pid!, exp.pid!];
    await own.disconnect();
    expect(mountsAt(imp.mountpoint)).toEqual([]);
    expect(mountsAt(exp.mountpoint)).toEqual([]);
    expect(imp.closed && exp.closed).toBe(true);
    await imp.done;
    await exp.done;
    for (const pid of pids) expect(await waitGone(pid)).toBe(true);
    expect(await noSftpServer()).toBe(true);
  });
});

describe.skipIf(SKIP)('sshfsExport: errors and options', () => {
  const what = (src: string, mnt: string) => `sshfsExport of ${src} to 127.0.0.1:${mnt}`;

  it('bad arguments and options are TypeErrors, thrown at once', () => {
    expectTypeError(() => ssh.sshfsExport('', '/mnt'), 'sshfsExport(): localDir must be a non-empty path, received ""');
    expectTypeError(() => ssh.sshfsExport('/srv', null as never), 'sshfsExport(): remoteMountpoint must be a non-empty path, received null');
    expectTypeError(() => ssh.sshfsExport('/srv', '/mnt', { sshfsOptions: ['passive'] }), /passive is set by the library or would bypass the master$/);
    expectTypeError(() => ssh.sshfsExport('/srv', '/mnt', { sftpServerCmd: '' }), `option 'sftpServerCmd' must be a non-empty string, received string ""`);
    expectTypeError(() => ssh.sshfsExport('/srv', '/mnt', { nonEmpty: 'yes' as never }), `option 'nonEmpty' must be a boolean, received string "yes"`);
  });

  it('remote sshfs not installed: SshfsError not-installed on the remote side', async (ctx) => {
    needRemoteFuse(ctx);
    const src = localDir();
    const mnt = await remoteDir();
    const e = await expectSshfsError(
      ssh.sshfsExport(src, mnt, { sshfsCmd: '/nonexistent/sshfs' }),
      'not-installed',
      'remote',
      `${what(src, mnt)}: sshfs is not installed: "/nonexistent/sshfs" was not found on the remote host (exit code 127)`,
    );
    expect(e.exitCode).toBe(127);
    expect(e.mountpoint).toBe(mnt);
  });

  it('local sftp-server missing: SshfsError not-installed on the local side', async (ctx) => {
    needRemoteFuse(ctx);
    const src = localDir();
    const mnt = await remoteDir();
    await expectSshfsError(
      ssh.sshfsExport(src, mnt, { sftpServerCmd: '/nonexistent/sftp-server' }),
      'not-installed',
      'local',
      `${what(src, mnt)}: sshfs is not installed: the SFTP server /nonexistent/sftp-server was not found (option sftpServerCmd)`,
    );
  });

  it('the local directory does not exist: SshfsError source-missing', async (ctx) => {
    needRemoteFuse(ctx);
    const src = join(local, 'missing-src');
    const mnt = await remoteDir();
    await expectSshfsError(ssh.sshfsExport(src, mnt), 'source-missing', 'local', `${what(src, mnt)}: the directory to mount does not exist or is not a directory: ${src} (ENOENT)`);
  });

  it('the remote mount point does not exist, or is not empty (nonEmpty: true mounts over it)', async (ctx) => {
    needRemoteFuse(ctx);
    const src = localDir();
    writeFileSync(join(src, 'l.txt'), 'l');
    const missing = `${remote}/missing`;
    await expectSshfsError(ssh.sshfsExport(src, missing), 'mountpoint-missing', 'remote', `${what(src, missing)}: the mount point does not exist or is not a directory: ${JSON.stringify(missing)} (exit code 1)`);
    const full = await remoteDir({ 'x': 'x' });
    await expectSshfsError(ssh.sshfsExport(src, full), 'mountpoint-not-empty', 'remote', `${what(src, full)}: the mount point is not empty (nonEmpty: true mounts over it): ${JSON.stringify(full)} (exit code 1)`);
    const m = track(await ssh.sshfsExport(src, full, { nonEmpty: true }));
    expect((await ssh.capture(['ls', full])).trim()).toBe('l.txt');
    await m.close();
    expect((await ssh.capture(['ls', full])).trim()).toBe('x');
  });

  it('FUSE unavailable on the remote host (no /dev/fuse in a private namespace): SshfsError fuse-unavailable', async (ctx) => {
    needRemoteFuse(ctx);
    if (!(await ssh.test(['unshare', '-Urm', 'true']))) ctx.skip('the remote user cannot make a user and mount namespace (unshare -Urm) to hide /dev/fuse in');
    // In the remote user's directory (this process's scratch directory is root's only).
    const wrapper = join(remote, 'sshfs-nofuse');
    writeFileSync(wrapper, '#!/bin/sh\nexec unshare -Urm sh -c \'mount -t tmpfs none /dev && exec sshfs "$@"\' sh "$@"\n', { mode: 0o755 });
    const src = localDir();
    const mnt = await remoteDir();
    const e = await expectSshfsError(
      ssh.sshfsExport(src, mnt, { sshfsCmd: wrapper }),
      'fuse-unavailable',
      'remote',
      `${what(src, mnt)}: FUSE is not available (no /dev/fuse, or no permission to use it or to mount): fuse: device not found, try 'modprobe fuse' first (exit code 1)`,
    );
    expect(e.stderr).toContain('device not found');
  });

  it('sshfsOptions reach the remote sshfs: ro', async (ctx) => {
    needRemoteFuse(ctx);
    const src = localDir();
    writeFileSync(join(src, 'f'), 'x');
    const mnt = await remoteDir();
    const m = track(await ssh.sshfsExport(src, mnt, { sshfsOptions: ['ro'] }));
    const r = await ssh.run(['sh', '-c', 'echo y > "$1"', 'sh', `${mnt}/g`], { reject: false });
    expect(r.failed).toBe(true);
    expect(String(r.stderr)).toMatch(/Read-only file system/);
    await m.close();
  });

  it('an odd local directory name and a remote mount point with spaces and quotes', async (ctx) => {
    needRemoteFuse(ctx);
    const src = localDir("l 'q' $x,y");
    writeFileSync(join(src, 'f'), 'odd');
    chmodSync(src, 0o755);
    const base = await remoteDir();
    const mnt = `${base}/m 'n' $z`;
    await ssh.run(['mkdir', '--', mnt]);
    const m = track(await ssh.sshfsExport(src, mnt));
    expect(await ssh.capture(['cat', `${mnt}/f`])).toBe('odd');
    await m.close();
    expect(mountsAt(mnt)).toEqual([]);
  });

  for (const [user, remoteShell] of [['osmux-fish', 'fish'], ['osmux-csh', 'csh']] as const) {
    it(`the remote wrapper is quoted for a ${remoteShell} login`, async (ctx) => {
      needRemoteFuse(ctx);
      if (!sshd().users.some((u) => u.name === user)) ctx.skip(`no ${user} test user (${remoteShell} is not installed, or not root)`);
      const other = await connect({ remoteShell }, user);
      const src = localDir("it's $dir");
      writeFileSync(join(src, 'f'), remoteShell);
      chmodSync(src, 0o755);
      const mnt = (await other.capture(['mktemp', '-d', '/tmp/osmux-sshfs-remote-XXXXXX'])).trim();
      try {
        const m = await other.sshfsExport(src, mnt);
        expect(await other.capture(['cat', `${mnt}/f`])).toBe(remoteShell);
        await m.close();
        expect(mountsAt(mnt)).toEqual([]);
      } finally {
        await other.disconnect();
        rmSync(mnt, { recursive: true, force: true });
      }
    });
  }

  it('done rejects when the remote sshfs ends without close()', async (ctx) => {
    needRemoteFuse(ctx);
    const src = localDir();
    const mnt = await remoteDir();
    const m = track(await ssh.sshfsExport(src, mnt));
    await ssh.run(['fusermount3', '-u', '--', mnt]);
    await expectSshfsError(m.done, 'exited', 'remote', `${what(src, mnt)}: sshfs exited: it ended without close()`);
  });
});

const exitChild = fileURLToPath(new URL('../fixtures/sshfs-exit-child.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** Run the exit fixture; resolve with its first line and how it ended. */
function runExitChild(mode: 'exit' | 'signal', args: object): Promise<{ importPid: number; exportPid: number; code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [exitChild, JSON.stringify({ mode, target: target(), options: baseOptions(), ...args })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (mode === 'signal' && out.includes('\n')) p.kill('SIGTERM');
    });
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const first = out.split('\n')[0];
      if (!first) return reject(new Error(`child printed nothing (code ${code}, signal ${signal}): ${err}`));
      resolve({ ...JSON.parse(first), code, signal });
    });
  });
}

/** Poll (bounded) until nothing is mounted at `path`: the remote sshfs unmounts asynchronously. */
async function waitUnmounted(path: string): Promise<boolean> {
  for (let i = 0; i < 250 && mountsAt(path).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return mountsAt(path).length === 0;
}

describe.skipIf(SKIP || !existsSync(dist))('process exit', () => {
  // An open mount keeps the event loop alive, like a listening server: no 'return' case.
  for (const mode of ['exit', 'signal'] as const) {
    it(`${mode === 'exit' ? 'process.exit()' : 'SIGTERM'} without close() unmounts the import (at once) and the export`, async (ctx) => {
      needRemoteFuse(ctx);
      const importAt = localDir();
      const exportAt = await remoteDir();
      const r = await runExitChild(mode, { remoteDir: await remoteDir({ f: 'x' }), importAt, exportFrom: localDir(), exportAt });
      expect(mode === 'signal' ? r.signal : r.code).toBe(mode === 'signal' ? 'SIGTERM' : 0);
      expect(mountsAt(importAt)).toEqual([]);
      expect(await waitUnmounted(exportAt)).toBe(true);
      expect(await waitGone(r.importPid)).toBe(true);
      expect(await waitGone(r.exportPid)).toBe(true);
    });
  }
});
