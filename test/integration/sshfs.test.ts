import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, OpenSSH, SshfsError, TimeoutError, type SshfsMount } from '../../src/index.js';
import { parseMountinfo } from '../../src/sshfs/mountinfo.js';
import { expectTypeError, rejection } from '../helpers/expect-throw.js';
import { alive, waitGone } from '../helpers/processes.js';
import { connect, connectForFile } from '../helpers/server.js';

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

/** The FUSE mounts of this process, by mount point. */
function mountsAt(path: string) {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.mountpoint === path);
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
});
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
