import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AbortError, OpenSSH, TimeoutError, TransferError, type TransferOptions, type TransferProgress, type TransferResult } from '../../src/index.js';
import { startSshd, type TestServer } from '../../src/testing/index.js';
import { hostileNames } from '../helpers/hostile-names.js';
import { remoteShells } from '../helpers/remote-shells.js';
import { connect, connectForFile, sshd } from '../helpers/server.js';

let ssh: OpenSSH;
/** Remote scratch directory (same machine: the tests read and write it directly as root). */
let remote: string;
/** Local scratch directory. */
let local: string;
/** The remote user's uid and gid: files the test writes remotely are given to it. */
let owner: [number, number];

beforeAll(async () => {
  ssh = await connectForFile();
  remote = (await ssh.capture('mktemp -d /tmp/osmux-xfer-remote-XXXXXX')).trim();
  owner = (await ssh.capture('id -u; id -g')).trim().split('\n').map(Number) as [number, number];
  local = mkdtempSync(join(tmpdir(), 'osmux-xfer-local-'));
});
afterAll(async () => {
  await ssh?.disconnect();
  if (remote) rmSync(remote, { recursive: true, force: true });
  if (local) rmSync(local, { recursive: true, force: true });
});

type Fn = (sources: string | string[], target: string | undefined, o?: TransferOptions) => Promise<TransferResult>;
interface Method {
  name: string;
  tool: 'scp' | 'rsync';
  get: Fn;
  put: Fn;
}
const METHODS: Method[] = [
  { name: 'scp (SFTP mode)', tool: 'scp', get: (s, t, o) => ssh.scpGet(s, t, { ...o, scpMode: 'sftp' }), put: (s, t, o) => ssh.scpPut(s, t, { ...o, scpMode: 'sftp' }) },
  { name: 'scp (legacy mode)', tool: 'scp', get: (s, t, o) => ssh.scpGet(s, t, { ...o, scpMode: 'legacy' }), put: (s, t, o) => ssh.scpPut(s, t, { ...o, scpMode: 'legacy' }) },
  { name: 'rsync', tool: 'rsync', get: (s, t, o) => ssh.rsyncGet(s, t, o), put: (s, t, o) => ssh.rsyncPut(s, t, o) },
];

let seq = 0;
/** A fresh pair of empty directories: r (remote side) and l (local side). */
function dirs(): { r: string; l: string } {
  seq++;
  const r = join(remote, `t${seq}`);
  const l = join(local, `t${seq}`);
  mkdirSync(r, { mode: 0o777 });
  chmodSync(r, 0o777); // the remote user writes here; the test (root) reads
  mkdirSync(l);
  return { r, l };
}

/** Write a remote file (as the remote user's). */
function rwrite(path: string, data: string | Buffer): void {
  writeFileSync(path, data);
  chownSync(path, ...owner);
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const rel = (r: string, p: string) => p.slice(r.length + 1);

/** Every path under `root` with its kind and content hash, sorted. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.push(`${rel(root, p)} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`${rel(root, p)}/`);
        walk(p);
      } else out.push(`${rel(root, p)} ${sha(p).slice(0, 12)}`);
    }
  };
  walk(root);
  return out;
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the transfer to fail');
    },
    (e: unknown) => e,
  );
}

describe.each(METHODS)('$name', (m) => {
  it('copies a single file both ways, to a file name and into a directory', async () => {
    const { r, l } = dirs();
    rwrite(join(r, 'one.txt'), 'remote one\n');
    await m.get(join(r, 'one.txt'), join(l, 'copy.txt'));
    expect(readFileSync(join(l, 'copy.txt'), 'utf8')).toBe('remote one\n');
    await m.get(join(r, 'one.txt'), l);
    expect(readFileSync(join(l, 'one.txt'), 'utf8')).toBe('remote one\n');
    writeFileSync(join(l, 'up.txt'), 'local up\n');
    await m.put(join(l, 'up.txt'), join(r, 'renamed.txt'));
    await m.put(join(l, 'up.txt'), r);
    expect(readFileSync(join(r, 'renamed.txt'), 'utf8')).toBe('local up\n');
    expect(readFileSync(join(r, 'up.txt'), 'utf8')).toBe('local up\n');
  });

  it('copies many files both ways into a directory', async () => {
    const { r, l } = dirs();
    const names = Array.from({ length: 12 }, (_, i) => `f${i}.dat`);
    for (const n of names) rwrite(join(r, n), `content of ${n}`);
    await m.get(names.map((n) => join(r, n)), l);
    expect(tree(l)).toEqual(tree(r));
    mkdirSync(join(r, 'back'));
    chmodSync(join(r, 'back'), 0o777);
    await m.put(names.map((n) => join(l, n)), join(r, 'back'));
    expect(tree(join(r, 'back'))).toEqual(tree(l));
  });

  it('copies a tree with a symlink and empty directories recursively, both ways', async () => {
    const { r, l } = dirs();
    const src = join(r, 'src');
    mkdirSync(join(src, 'sub', 'deeper'), { recursive: true });
    mkdirSync(join(src, 'empty'));
    rwrite(join(src, 'a.txt'), 'a');
    rwrite(join(src, 'sub', 'deeper', 'b.txt'), 'b');
    symlinkSync('a.txt', join(src, 'link'));
    await m.get(src, l, m.tool === 'rsync' ? { recursive: true, links: true } : { recursive: true });
    // rsync copies the link as a link (links: true); scp copies what it points to
    const linkAs = m.tool === 'rsync' ? 'link -> a.txt' : `link ${sha(join(src, 'a.txt')).slice(0, 12)}`;
    expect(tree(join(l, 'src'))).toEqual(tree(src).map((x) => (x === 'link -> a.txt' ? linkAs : x)));
    expect(tree(join(l, 'src'))).toContain('empty/');
    const back = join(r, 'back');
    mkdirSync(back);
    chmodSync(back, 0o777);
    await m.put(join(l, 'src'), back, m.tool === 'rsync' ? { recursive: true, links: true } : { recursive: true });
    expect(tree(join(back, 'src'))).toEqual(tree(join(l, 'src')));
    if (m.tool === 'rsync') {
      // without links: true, rsync -r skips symlinks (and says so)
      const plain = join(l, 'plain');
      const res = await m.get(src, plain, { recursive: true, quiet: false });
      expect(existsSync(join(plain, 'src', 'link'))).toBe(false);
      expect(res.stdout).toContain('skipping non-regular file "src/link"');
    }
  });

  it('expands remote wildcards remotely and local ones locally with glob: true, and takes them literally without', async () => {
    const { r, l } = dirs();
    for (const n of ['a1.log', 'a2.log', 'b.txt', 'a*.log']) rwrite(join(r, n), n);
    await m.get(join(r, 'a[0-9].log'), l, { glob: true });
    expect(readdirSync(l).sort()).toEqual(['a1.log', 'a2.log']);
    const lit = join(l, 'literal');
    mkdirSync(lit);
    await m.get(join(r, 'a*.log'), lit);
    expect(readdirSync(lit)).toEqual(['a*.log']);
    const back = join(r, 'back');
    mkdirSync(back);
    chmodSync(back, 0o777);
    await m.put([join(l, 'a[12].log'), join(l, '{nothing,literal}')], back, { glob: true, recursive: true });
    expect(tree(back)).toEqual(tree(l));
    expect(tree(back)).toContain('literal/');
    const e = (await failure(m.put(join(l, 'zz*'), back, { glob: true }))) as TransferError;
    expect(e).toBeInstanceOf(TransferError);
    expect(e.code).toBe('OSSH_TRANSFER_FAILED');
    expect(e.message).toBe(`no local file matches ${JSON.stringify(join(l, 'zz*'))}: nothing to copy`);
  });

  it('keeps modes and times with copyAttrs, and not without', async () => {
    const { r, l } = dirs();
    const f = join(r, 'attrs.txt');
    rwrite(f, 'x');
    chmodSync(f, 0o640);
    utimesSync(f, new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
    await m.get(f, join(l, 'kept'), { copyAttrs: true });
    await m.get(f, join(l, 'fresh'));
    expect(statSync(join(l, 'kept')).mode & 0o777).toBe(0o640);
    expect(statSync(join(l, 'kept')).mtime.toISOString()).toBe('2001-02-03T04:05:06.000Z');
    expect(statSync(join(l, 'fresh')).mtime.getFullYear()).toBeGreaterThan(2020);
    chmodSync(join(l, 'kept'), 0o604);
    utimesSync(join(l, 'kept'), new Date('2002-03-04T05:06:07Z'), new Date('2002-03-04T05:06:07Z'));
    await m.put(join(l, 'kept'), join(r, 'up'), { copyAttrs: true });
    expect(statSync(join(r, 'up')).mode & 0o777).toBe(0o604);
    expect(statSync(join(r, 'up')).mtime.toISOString()).toBe('2002-03-04T05:06:07.000Z');
  });

  it('bwlimit limits the rate both ways', async () => {
    const { r, l } = dirs();
    const data = Buffer.alloc(256 * 1024, 7);
    rwrite(join(r, 'slow.bin'), data);
    writeFileSync(join(l, 'slow.bin'), data);
    // 2048 Kbit/s = 256 kB/s: 256 KiB takes about 1 s; unlimited it is milliseconds. (scp's
    // SFTP mode limits in steps of its request window, so the file cannot be much smaller.)
    const t0 = performance.now();
    await m.get(join(r, 'slow.bin'), join(l, 'got.bin'), { bwlimit: 2048 });
    const get = performance.now() - t0;
    const t1 = performance.now();
    await m.put(join(l, 'slow.bin'), join(r, 'put.bin'), { bwlimit: 2048 });
    const put = performance.now() - t1;
    expect(sha(join(l, 'got.bin'))).toBe(sha(join(r, 'slow.bin')));
    expect(sha(join(r, 'put.bin'))).toBe(sha(join(l, 'slow.bin')));
    expect(get).toBeGreaterThan(600);
    expect(put).toBeGreaterThan(600);
  });

  it.each(['get', 'put'] as const)('a timeout and an abort stop a %s mid-transfer', async (dir) => {
    const { r, l } = dirs();
    const src = dir === 'get' ? join(r, 'big.bin') : join(l, 'big.bin');
    (dir === 'get' ? rwrite : writeFileSync)(src, Buffer.alloc(1 << 20, 1));
    const run = (o: TransferOptions) => (dir === 'get' ? m.get(src, join(l, 'out.bin'), o) : m.put(src, join(r, 'out.bin'), o));
    const t0 = performance.now();
    const e = (await failure(run({ bwlimit: 400, timeout: 600 }))) as TimeoutError;
    expect(performance.now() - t0).toBeLessThan(4000);
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.code).toBe('OSSH_SLAVE_TIMEOUT');
    expect(e.kind).toBe('deadline');
    expect(e.message).toBe(`${m.tool} timed out: still running after 600 ms (timeout); ${m.tool} was stopped`);
    expect(e.argv?.[0]).toBe(m.tool);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('user gave up')), 500);
    const a = (await failure(run({ bwlimit: 400, signal: ac.signal }))) as AbortError;
    expect(a).toBeInstanceOf(AbortError);
    expect(a.code).toBe('OSSH_ABORTED');
    expect(a.message).toBe('the transfer was aborted: user gave up');
  });

  it('a missing source fails with a TransferError carrying the exit code, its meaning and stderr', async () => {
    const { r, l } = dirs();
    const cases = [
      { run: () => m.get(join(r, 'nope'), l), code: m.tool === 'rsync' ? 23 : 1 },
      // scp's SFTP mode exits 255 (a fatal error) when a local source is missing
      { run: () => m.put(join(l, 'nope'), r), code: m.tool === 'rsync' ? 23 : m.name.includes('SFTP') ? 255 : 1 },
    ];
    for (const c of cases) {
      const e = (await failure(c.run())) as TransferError;
      const meaning = m.tool === 'rsync' ? 'partial transfer due to error' : c.code === 1 ? 'scp failed (see its error output)' : 'scp stopped on a fatal error, or its ssh failed (see its error output)';
      expect(e).toBeInstanceOf(TransferError);
      expect(e.code).toBe('OSSH_TRANSFER_FAILED');
      expect(e.tool).toBe(m.tool);
      expect(e.exitCode).toBe(c.code);
      expect(e.meaning).toBe(meaning);
      expect(e.message.split('\n')[0]).toBe(`${m.tool} failed with exit code ${c.code} (${meaning})`);
      expect(e.message).toContain('No such file or directory');
      expect(String(e.stderr)).toMatch(/No such file or directory/);
      expect(e.argv?.[0]).toBe(m.tool);
    }
  });

  it('several sources into a target that is not a directory fail', async () => {
    const { r, l } = dirs();
    for (const n of ['x', 'y', 'file']) {
      rwrite(join(r, n), n);
      writeFileSync(join(l, n), n);
    }
    // each tool says it its own way
    const said = m.tool === 'rsync' ? /destination must be a directory when copying more than 1 file/ : /Not a directory|remote mkdir .*: Failure/;
    const cases = [
      { run: () => m.get([join(r, 'x'), join(r, 'y')], join(l, 'file')), code: m.tool === 'rsync' ? 3 : 1 },
      { run: () => m.put([join(l, 'x'), join(l, 'y')], join(r, 'file')), code: m.tool === 'rsync' ? 3 : m.name.includes('SFTP') ? 255 : 1 },
    ];
    for (const c of cases) {
      const e = (await failure(c.run())) as TransferError;
      expect(e).toBeInstanceOf(TransferError);
      expect(e.code).toBe('OSSH_TRANSFER_FAILED');
      expect(e.exitCode).toBe(c.code);
      expect(String(e.stderr)).toMatch(said);
    }
    expect(readFileSync(join(l, 'file'), 'utf8')).toBe('file');
    expect(readFileSync(join(r, 'file'), 'utf8')).toBe('file');
  });
});


describe('hostile file names', () => {
  const names = hostileNames();
  it('has at least 50 distinct names', () => {
    expect(names.length).toBeGreaterThanOrEqual(50);
    expect(names.some((n) => n.includes('\n'))).toBe(true);
  });

  // Legacy scp and rsync hand remote names to the user's login shell: the csh and fish
  // families quote differently from sh (newlines, `!`, `$`), so they get the same names.
  const shells = remoteShells().filter((sh) => sh.family !== 'posix');
  describe.each(shells)('through the login shell $shell ($user)', (sh) => {
    it.skipIf(sh.skip !== false).each(['legacy', 'rsync'] as const)('%s copies every name both ways, byte for byte', async (how) => {
      const c = await connect({ remoteShell: sh.name }, sh.user);
      chmodSync(remote, 0o755); // made by the default user (0700): this user goes through it
      const { r, l } = dirs();
      const srcR = join(r, 'src');
      mkdirSync(srcR);
      names.forEach((n, i) => writeFileSync(join(srcR, n), `${sh.name} ${i} ${n}`));
      const dstR = join(r, 'dst');
      mkdirSync(dstR);
      chmodSync(dstR, 0o777);
      if (how === 'rsync') {
        await c.rsyncGet(names.map((n) => join(srcR, n)), l);
        await c.rsyncPut(names.map((n) => join(l, n)), dstR);
      } else {
        await c.scpGet(names.map((n) => join(srcR, n)), l, { scpMode: 'legacy' });
        await c.scpPut(names.map((n) => join(l, n)), dstR, { scpMode: 'legacy' });
      }
      expect(tree(l)).toEqual(tree(srcR));
      expect(tree(dstR)).toEqual(tree(l));
    });
  });

  it.each(METHODS)('$name copies every name both ways, byte for byte', async (m) => {
    const { r, l } = dirs();
    const set = names;
    const srcR = join(r, 'src');
    mkdirSync(srcR);
    set.forEach((n, i) => rwrite(join(srcR, n), `remote ${i} ${n}`));
    // one call with every name as its own source, and one file at a time to a named target
    await m.get(set.map((n) => join(srcR, n)), l);
    for (const n of set.slice(0, 20)) {
      const t = join(l, `renamed ${n}`);
      await m.get(join(srcR, n), t);
      expect(sha(t)).toBe(sha(join(srcR, n)));
      rmSync(t);
    }
    expect(tree(l)).toEqual(tree(srcR));
    const dstR = join(r, 'dst');
    mkdirSync(dstR);
    chmodSync(dstR, 0o777);
    await m.put(set.map((n) => join(l, n)), dstR);
    expect(tree(dstR)).toEqual(tree(l));
    for (const n of set.slice(20, 40)) {
      await m.put(join(l, n), join(dstR, `${n}.2`));
      expect(sha(join(dstR, `${n}.2`))).toBe(sha(join(l, n)));
    }
  });
});
