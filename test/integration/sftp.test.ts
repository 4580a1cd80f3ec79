import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, CommandError, OpenSSH, Sftp, SftpDirent, SftpError, SftpStats, TimeoutError, type TransferProgress } from '../../src/index.js';
import { connectForFile, TEST_ENGINE } from '../helpers/server.js';
import { hostileNames, INVALID_UTF8_NAMES, SERVERS } from './sftp-helpers.js';
import { rejection } from '../helpers/expect-throw.js';

let ssh: OpenSSH;
/** Remote scratch directory, made by the remote user (same machine: the test reads it directly). */
let remote: string;
let local: string;
let owner: [number, number];

beforeAll(async () => {
  ssh = await connectForFile();
  remote = (await ssh.capture('mktemp -d /tmp/osmux-sftp-XXXXXX')).trim();
  owner = (await ssh.capture('id -u; id -g')).trim().split('\n').map(Number) as [number, number];
  local = mkdtempSync(join(tmpdir(), 'osmux-sftp-local-'));
});
afterAll(async () => {
  await ssh?.disconnect();
  if (remote) rmSync(remote, { recursive: true, force: true });
  if (local) rmSync(local, { recursive: true, force: true });
});

function expectStatus(e: SftpError, syscallCode: string, statusName: string, operation: string) {
  expect(e).toBeInstanceOf(SftpError);
  expect(e.name).toBe('SftpError');
  expect(e.code).toBe('OSSH_SFTP_STATUS');
  expect(e.syscallCode).toBe(syscallCode);
  expect(e.statusName).toBe(statusName);
  expect(e.operation).toBe(operation);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.each(SERVERS)('SFTP over $name', ({ name, options }) => {
  let sftp: Sftp;
  let dir: string;
  beforeAll(async () => {
    sftp = await ssh.sftp(options);
    dir = join(remote, name);
    await sftp.mkdir(dir);
  });
  afterAll(async () => {
    await sftp?.close();
  });
  let seq = 0;
  const fresh = () => join(dir, `t${++seq}`);

  it('announces the OpenSSH extensions and limits', () => {
    expect(sftp.extensions.get('posix-rename@openssh.com')).toBe('1');
    expect(sftp.extensions.get('statvfs@openssh.com')).toBe('2');
    expect(sftp.extensions.has('copy-data')).toBe(true);
    expect(sftp.limits?.maxPacketLength).toBe(256 * 1024);
    expect(sftp.settings.chunkSize).toBe(255 * 1024);
    // 4 MiB worth of WRITEs, 8 MiB worth of READs in flight.
    expect(sftp.settings.concurrency).toBe(16);
    expect(sftp.settings.readConcurrency).toBe(32);
  });

  it('stat/lstat give fs.Stats-like objects', async () => {
    const f = fresh();
    writeFileSync(f, 'hello');
    symlinkSync(f, `${f}.lnk`);
    const st = await sftp.stat(`${f}.lnk`);
    const real = statSync(f);
    expect(st).toBeInstanceOf(SftpStats);
    expect(st.isFile()).toBe(true);
    expect(st.isDirectory()).toBe(false);
    expect(st.size).toBe(5);
    expect(st.mode).toBe(real.mode);
    expect(st.uid).toBe(real.uid);
    expect(st.gid).toBe(real.gid);
    expect(st.mtimeMs).toBe(Math.floor(real.mtimeMs / 1000) * 1000);
    expect(st.mtime).toEqual(new Date(st.mtimeMs!));
    const l = await sftp.lstat(`${f}.lnk`);
    expect(l.isSymbolicLink()).toBe(true);
    expect((await sftp.stat(dir)).isDirectory()).toBe(true);
  });

  it('stat of a missing path: ENOENT with path and operation', async () => {
    const p = join(dir, 'missing');
    const e = await rejection<SftpError>(sftp.stat(p));
    expectStatus(e, 'ENOENT', 'NO_SUCH_FILE', 'stat');
    expect(e.path).toBe(p);
    expect(e.status).toBe(2);
    expect(e.message).toBe(`ENOENT: stat ${JSON.stringify(p)} failed with SFTP status NO_SUCH_FILE: No such file`);
    expect(await sftp.exists(p)).toBe(false);
    expect(await sftp.exists(dir)).toBe(true);
  });

  it('permission denied is EACCES', async () => {
    const e = await rejection<SftpError>(sftp.readFile('/etc/shadow'));
    expectStatus(e, 'EACCES', 'PERMISSION_DENIED', 'open');
    expect(e.path).toBe('/etc/shadow');
  });

  it('readdir: names, entries with attributes, Buffers', async () => {
    const d = fresh();
    mkdirSync(d);
    writeFileSync(join(d, 'a'), 'x');
    mkdirSync(join(d, 'sub'));
    symlinkSync('a', join(d, 'ln'));
    expect((await sftp.readdir(d)).sort()).toEqual(['a', 'ln', 'sub']);
    const entries = await sftp.readdir(d, { withFileTypes: true });
    const by = Object.fromEntries(entries.map((e) => [e.name, e]));
    expect(by.a).toBeInstanceOf(SftpDirent);
    expect(by.a!.isFile()).toBe(true);
    expect(by.a!.stats.size).toBe(1);
    expect(by.sub!.isDirectory()).toBe(true);
    expect(by.ln!.isSymbolicLink()).toBe(true);
    expect(by.a!.longname).toMatch(/^-rw/);
    expect(by.a!.parentPath).toBe(d);
    const bufs = await sftp.readdir(d, { encoding: 'buffer' });
    expect(bufs.every((b) => Buffer.isBuffer(b))).toBe(true);
    expect(bufs.map(String).sort()).toEqual(['a', 'ln', 'sub']);
  });

  it('readdir of a big directory (several READDIR replies)', async () => {
    const d = fresh();
    mkdirSync(d);
    for (let i = 0; i < 450; i++) writeFileSync(join(d, `f${i}`), '');
    const names = await sftp.readdir(d);
    expect(names.length).toBe(450);
    expect(new Set(names).size).toBe(450);
  });

  it('readdir of a file or a missing directory fails typed', async () => {
    expectStatus(await rejection<SftpError>(sftp.readdir(join(dir, 'nope'))), 'ENOENT', 'NO_SUCH_FILE', 'opendir');
  });

  it('mkdir: plain, existing (EEXIST), recursive, mode', async () => {
    const d = fresh();
    await sftp.mkdir(d, { mode: 0o750 });
    expect(statSync(d).mode & 0o777).toBe(0o750);
    const e = await rejection<SftpError>(sftp.mkdir(d));
    expectStatus(e, 'EEXIST', 'FAILURE', 'mkdir');
    expect(e.message).toBe(`EEXIST: mkdir ${JSON.stringify(d)} failed with SFTP status FAILURE: Failure`);
    await sftp.mkdir(d, { recursive: true });
    await sftp.mkdir(join(d, 'x/y/z'), { recursive: true });
    expect(statSync(join(d, 'x/y/z')).isDirectory()).toBe(true);
    expectStatus(await rejection<SftpError>(sftp.mkdir(join(d, 'p/q'))), 'ENOENT', 'NO_SUCH_FILE', 'mkdir');
  });

  it('rmdir, unlink, rm recursive and force', async () => {
    const d = fresh();
    await sftp.mkdir(join(d, 'a/b'), { recursive: true });
    await sftp.writeFile(join(d, 'a/b/f'), 'x');
    await sftp.symlink('/etc', join(d, 'a/link-to-etc'));
    const e = await rejection<SftpError>(sftp.rmdir(join(d, 'a')));
    expectStatus(e, 'ENOTEMPTY', 'FAILURE', 'rmdir');
    expectStatus(await rejection<SftpError>(sftp.unlink(join(d, 'nope'))), 'ENOENT', 'NO_SUCH_FILE', 'unlink');
    await sftp.unlink(join(d, 'a/b/f'));
    expect(existsSync(join(d, 'a/b/f'))).toBe(false);
    await sftp.rmdir(join(d, 'a/b'));
    await sftp.writeFile(join(d, 'a/g'), 'x');
    await sftp.rm(d, { recursive: true });
    expect(existsSync(d)).toBe(false);
    expect(existsSync('/etc/passwd')).toBe(true);
    await sftp.rm(d, { force: true });
    expectStatus(await rejection<SftpError>(sftp.rm(d)), 'ENOENT', 'NO_SUCH_FILE', 'unlink');
  });

  it('rename: replaces with posix-rename; overwrite: false is EEXIST', async () => {
    const a = fresh();
    const b = fresh();
    writeFileSync(a, 'A');
    writeFileSync(b, 'B');
    const e = await rejection<SftpError>(sftp.rename(a, b, { overwrite: false }));
    expectStatus(e, 'EEXIST', 'FAILURE', 'rename');
    expect(e.destination).toBe(b);
    await sftp.rename(a, b);
    expect(readFileSync(b, 'utf8')).toBe('A');
    expect(existsSync(a)).toBe(false);
    await sftp.rename(b, a, { overwrite: false });
    expect(readFileSync(a, 'utf8')).toBe('A');
    expectStatus(await rejection<SftpError>(sftp.rename(b, a)), 'ENOENT', 'NO_SUCH_FILE', 'rename');
  });

  it("symlink takes Node's argument order (sent in OpenSSH's); readlink; realpath", async () => {
    const f = fresh();
    writeFileSync(f, 'x');
    await sftp.symlink(f, `${f}.lnk`);
    expect(readlinkSync(`${f}.lnk`)).toBe(f);
    expect(await sftp.readlink(`${f}.lnk`)).toBe(f);
    expect(await sftp.readlink(`${f}.lnk`, { encoding: 'buffer' })).toEqual(Buffer.from(f));
    await sftp.symlink('relative/target', `${f}.rel`);
    expect(readlinkSync(`${f}.rel`)).toBe('relative/target');
    expectStatus(await rejection<SftpError>(sftp.symlink(f, `${f}.lnk`)), 'EEXIST', 'FAILURE', 'symlink');
    expect(await sftp.realpath(`${dir}/../${name}/./t${seq}`)).toBe(f);
    const home = await sftp.realpath();
    expect(home).toBe((await ssh.capture('pwd')).trim());
    expectStatus(await rejection<SftpError>(sftp.readlink(f)), 'EINVAL', 'BAD_MESSAGE', 'readlink');
  });

  it('chmod, chown, utimes, truncate', async () => {
    const f = fresh();
    await sftp.writeFile(f, 'hello world');
    await sftp.chmod(f, 0o640);
    expect(statSync(f).mode & 0o7777).toBe(0o640);
    await sftp.chown(f, owner[0], owner[1]);
    await sftp.utimes(f, new Date('2001-02-03T04:05:06Z'), 1_000_000_000);
    const st = statSync(f);
    expect(st.atime.toISOString()).toBe('2001-02-03T04:05:06.000Z');
    expect(st.mtimeMs).toBe(1_000_000_000_000);
    await sftp.truncate(f, 5);
    expect(readFileSync(f, 'utf8')).toBe('hello');
    expectStatus(await rejection<SftpError>(sftp.chown('/etc/passwd', owner[0], owner[1])), 'EACCES', 'PERMISSION_DENIED', 'setstat');
    expect(() => sftp.chmod(f, -1)).toThrow(TypeError);
  });

  it('readFile / writeFile / appendFile, with encodings and modes', async () => {
    const f = fresh();
    await sftp.writeFile(f, 'h\u00e9llo', { mode: 0o600 });
    expect(readFileSync(f, 'utf8')).toBe('h\u00e9llo');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(await sftp.readFile(f, { encoding: 'utf8' })).toBe('h\u00e9llo');
    expect(await sftp.readFile(f)).toEqual(Buffer.from('h\u00e9llo'));
    await sftp.appendFile(f, ' world');
    await sftp.appendFile(f, Buffer.from('!'));
    expect(readFileSync(f, 'utf8')).toBe('h\u00e9llo world!');
    await sftp.writeFile(f, '');
    expect(await sftp.readFile(f)).toEqual(Buffer.alloc(0));
    expectStatus(await rejection<SftpError>(sftp.writeFile(f, 'x', { flags: 'wx' })), 'EEXIST', 'FAILURE', 'open');
  });

  it('a 20 MiB file both ways, checksummed (pipelined readFile/writeFile)', async () => {
    const data = randomBytes(20 * 1024 * 1024 + 12345);
    const f = fresh();
    await sftp.writeFile(f, data);
    expect(sha(readFileSync(f))).toBe(sha(data));
    expect(sha(await sftp.readFile(f))).toBe(sha(data));
  });

  it('writeFile atomic: a temp name, then a rename; nothing left behind', async () => {
    const d = fresh();
    await sftp.mkdir(d);
    const f = join(d, 'config');
    await sftp.writeFile(f, 'old');
    await sftp.writeFile(f, 'new', { atomic: true });
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(await sftp.readdir(d)).toEqual(['config']);
  });

  it('open returns a FileHandle: read, write, stat, close, await using', async () => {
    const f = fresh();
    {
      await using fh = await sftp.open(f, 'w+', 0o644);
      expect(await fh.write('hello ')).toEqual({ bytesWritten: 6 });
      await fh.write(Buffer.from('world'));
      await fh.write('J', 0);
      const buf = Buffer.alloc(20);
      const r = await fh.read(buf, 0, 20, 0);
      expect(r.bytesRead).toBe(11);
      expect(buf.subarray(0, 11).toString()).toBe('Jello world');
      expect((await fh.read(buf, 0, 5, 100)).bytesRead).toBe(0);
      expect((await fh.stat()).size).toBe(11);
      await fh.sync();
      expect((await fh.statvfs()).namemax).toBeGreaterThan(0);
      await fh.truncate(5);
    }
    expect(readFileSync(f, 'utf8')).toBe('Jello');
    const fh = await sftp.open(f);
    await fh.close();
    await fh.close();
    const e = await rejection<SftpError>(fh.read());
    expect(e.code).toBe('OSSH_SFTP_CLOSED');
    expect(e.message).toBe('read: the file handle is closed');
    expectStatus(await rejection<SftpError>(sftp.open(join(dir, 'nope/x'), 'w')), 'ENOENT', 'NO_SUCH_FILE', 'open');
    expect(() => sftp.open(f, 'rw')).toThrow("option 'flags' of open() must be one of 'r', 'r+'");
  });

  it('statvfs, link, copyFile, expandPath, homeDirectory, idsToNames', async () => {
    const v = await sftp.statvfs(dir);
    expect(v.bsize).toBeGreaterThan(0);
    expect(typeof v.fsid).toBe('bigint');
    expect(v.readonly).toBe(false);
    const f = fresh();
    await sftp.writeFile(f, 'linked', { mode: 0o604 });
    await sftp.chmod(f, 0o604);
    await sftp.link(f, `${f}.hard`);
    expect(statSync(`${f}.hard`).ino).toBe(statSync(f).ino);
    expectStatus(await rejection<SftpError>(sftp.hardlink(f, `${f}.hard`)), 'EEXIST', 'FAILURE', 'link');
    await sftp.copyFile(f, `${f}.copy`);
    expect(readFileSync(`${f}.copy`, 'utf8')).toBe('linked');
    expect(statSync(`${f}.copy`).mode & 0o777).toBe(0o604);
    expectStatus(await rejection<SftpError>(sftp.copyFile(f, `${f}.copy`, { overwrite: false })), 'EEXIST', 'FAILURE', 'open');
    const home = (await ssh.capture('pwd')).trim();
    expect(await sftp.expandPath('~/x')).toBe(`${home}/x`);
    // OpenSSH 9.2 refuses the empty name the extension's text allows for "the session's user".
    expect(await sftp.homeDirectory((await ssh.capture('id -un')).trim())).toBe(home);
    expectStatus(await rejection<SftpError>(sftp.homeDirectory('no-such-user-here')), 'EIO', 'FAILURE', 'homeDirectory');
    const { users, groups } = await sftp.idsToNames([owner[0], 0], [0]);
    expect(users).toEqual([(await ssh.capture('id -un')).trim(), 'root']);
    expect(groups).toEqual(['root']);
  });

  it('hostile names round-trip: create, list, stat, read, rename, remove', async () => {
    const d = fresh();
    await sftp.mkdir(d);
    const names = hostileNames();
    await Promise.all(names.map((n, i) => sftp.writeFile(join(d, n), `${i}`)));
    expect((await sftp.readdir(d)).sort()).toEqual([...names].sort());
    for (const [i, n] of names.entries()) expect(readFileSync(join(d, n), 'utf8')).toBe(`${i}`);
    const stats = await Promise.all(names.map((n) => sftp.stat(join(d, n))));
    expect(stats.every((s) => s.isFile())).toBe(true);
    await Promise.all(names.map((n) => sftp.rename(join(d, n), join(d, `${n}.moved`))));
    expect(new Set(await sftp.readdir(d))).toEqual(new Set(names.map((n) => `${n}.moved`)));
    await sftp.rm(d, { recursive: true });
    expect(existsSync(d)).toBe(false);
  });

  it('names that are not UTF-8 round-trip as Buffers', async () => {
    const d = fresh();
    await sftp.mkdir(d);
    for (const n of INVALID_UTF8_NAMES) await sftp.writeFile(Buffer.concat([Buffer.from(`${d}/`), n]), n);
    const listed = await sftp.readdir(d, { encoding: 'buffer' });
    expect(listed.map((b) => b.toString('hex')).sort()).toEqual(INVALID_UTF8_NAMES.map((b) => b.toString('hex')).sort());
    for (const n of listed) expect(await sftp.readFile(Buffer.concat([Buffer.from(`${d}/`), n]))).toEqual(n);
    const e = await rejection<SftpError>(sftp.stat(Buffer.concat([Buffer.from(`${d}/missing-`), INVALID_UTF8_NAMES[0]!])));
    expect(Buffer.isBuffer(e.path)).toBe(true);
    await sftp.rm(d, { recursive: true });
  });

  it('createReadStream with start/end; createWriteStream with backpressure', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 7);
    const f = fresh();
    writeFileSync(f, data);
    const read = async (o?: { start?: number; end?: number }) => {
      const chunks: Buffer[] = [];
      for await (const c of sftp.createReadStream(f, o)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    };
    expect(sha(await read())).toBe(sha(data));
    expect(await read({ start: 10, end: 19 })).toEqual(data.subarray(10, 20));
    expect(sha(await read({ start: 1000000 }))).toBe(sha(data.subarray(1000000)));
    const g = fresh();
    await pipeline(Readable.from(chunksOf(data, 10000)), sftp.createWriteStream(g));
    expect(sha(readFileSync(g))).toBe(sha(data));
    await pipeline(Readable.from([Buffer.from('XY')]), sftp.createWriteStream(g, { flags: 'r+', start: 5 }));
    expect(readFileSync(g).subarray(0, 8)).toEqual(Buffer.concat([data.subarray(0, 5), Buffer.from('XY'), data.subarray(7, 8)]));
    const e = await rejection<SftpError>(pipeline(sftp.createReadStream(join(dir, 'nope')), new Writable({ write: (_c, _e, cb) => cb() })));
    expectStatus(e, 'ENOENT', 'NO_SUCH_FILE', 'open');
  });

  it('fastGet / fastPut with progress, chunk size, concurrency and resume', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 3);
    const lsrc = join(local, `${name}-src`);
    writeFileSync(lsrc, data);
    const r = fresh();
    const reports: TransferProgress[] = [];
    await sftp.fastPut(lsrc, r, { concurrency: 8, chunkSize: 65536, onProgress: (p) => reports.push(p) });
    expect(sha(readFileSync(r))).toBe(sha(data));
    const last = reports.at(-1)!;
    expect(last).toMatchObject({ file: lsrc, bytes: data.length, totalBytes: data.length, percent: 100, done: true });
    const ldst = join(local, `${name}-dst`);
    await sftp.fastGet(r, ldst, { onProgress: (p) => reports.push(p) });
    expect(sha(readFileSync(ldst))).toBe(sha(data));
    expect(reports.at(-1)).toMatchObject({ file: r, bytes: data.length, done: true });
    // Resume: cut the local copy short, then go on from its size.
    writeFileSync(ldst, data.subarray(0, 1234567));
    const resumed: TransferProgress[] = [];
    await sftp.fastGet(r, ldst, { resume: true, onProgress: (p) => resumed.push(p) });
    expect(sha(readFileSync(ldst))).toBe(sha(data));
    writeFileSync(r, data.subarray(0, 777));
    await sftp.fastPut(lsrc, r, { resume: true });
    expect(sha(readFileSync(r))).toBe(sha(data));
    // A target longer than the source is cut to the source's size.
    writeFileSync(ldst, Buffer.concat([data, Buffer.from('extra')]));
    await sftp.fastGet(r, ldst, { resume: true });
    expect(sha(readFileSync(ldst))).toBe(sha(data));
    // From a given offset: the bytes before it are kept as they are.
    writeFileSync(ldst, Buffer.alloc(10));
    await sftp.fastGet(r, ldst, { resume: 10 });
    expect(readFileSync(ldst).subarray(10).equals(data.subarray(10))).toBe(true);
    expect(() => sftp.fastGet(r, ldst, { concurrency: 0 })).toThrow("option 'concurrency' of fastGet() must be an integer from 1 to 1024, received 0");
  });

  it('downloadDir / uploadDir with a filter, hostile and non-UTF-8 names', async () => {
    const src = join(local, `${name}-tree`);
    mkdirSync(join(src, 'sub/deeper'), { recursive: true });
    writeFileSync(join(src, 'top.txt'), 'top');
    writeFileSync(join(src, 'skip.log'), 'no');
    writeFileSync(join(src, 'sub/new\nline -dash'), 'nl');
    writeFileSync(join(src, 'sub/deeper/d.txt'), 'd');
    writeFileSync(Buffer.concat([Buffer.from(`${src}/sub/`), INVALID_UTF8_NAMES[0]!]), 'bin');
    symlinkSync('top.txt', join(src, 'link'));
    const r = fresh();
    const seen: Array<string | Buffer> = [];
    await sftp.uploadDir(src, r, { filter: (p) => (seen.push(p), !String(p).endsWith('.log')) });
    expect(seen).toContain('sub/deeper/d.txt');
    expect(seen.some((p) => Buffer.isBuffer(p))).toBe(true);
    expect(readFileSync(join(r, 'sub/deeper/d.txt'), 'utf8')).toBe('d');
    expect(readFileSync(join(r, 'sub/new\nline -dash'), 'utf8')).toBe('nl');
    expect(existsSync(join(r, 'skip.log'))).toBe(false);
    expect(readlinkSync(join(r, 'link'))).toBe('top.txt');
    const back = join(local, `${name}-back`);
    await sftp.downloadDir(r, back, { filter: (p, isDir) => !(isDir && p === 'sub/deeper') });
    expect(readFileSync(join(back, 'top.txt'), 'utf8')).toBe('top');
    expect(readFileSync(Buffer.concat([Buffer.from(`${back}/sub/`), INVALID_UTF8_NAMES[0]!]), 'utf8')).toBe('bin');
    expect(existsSync(join(back, 'sub/deeper'))).toBe(false);
    expect(lstatSync(join(back, 'link')).isSymbolicLink()).toBe(true);
  });

  it('many operations at once are pipelined over one channel', async () => {
    const d = fresh();
    await sftp.mkdir(d);
    await Promise.all(Array.from({ length: 200 }, (_, i) => sftp.writeFile(join(d, `f${i}`), `${i}`)));
    const got = await Promise.all(Array.from({ length: 200 }, (_, i) => sftp.readFile(join(d, `f${i}`), { encoding: 'utf8' })));
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `${i}`));
    const stats = await Promise.all(Array.from({ length: 2000 }, (_, i) => sftp.stat(join(d, `f${i % 200}`))));
    expect(stats.length).toBe(2000);
  });

  it('an aborted request fails with AbortError; the session goes on', async () => {
    const ac = new AbortController();
    ac.abort(new Error('changed my mind'));
    const e = await rejection<SftpError>(sftp.stat(dir, { signal: ac.signal }));
    expect(e).toBeInstanceOf(AbortError);
    expect(e.code).toBe('OSSH_ABORTED');
    expect(e.message).toBe(`the SFTP request stat ${JSON.stringify(dir)} was aborted: Error: changed my mind`);
    const ac2 = new AbortController();
    const big = fresh();
    writeFileSync(big, randomBytes(8 * 1024 * 1024));
    const p = sftp.readFile(big, { signal: ac2.signal });
    setTimeout(() => ac2.abort(new Error('stop')), 5);
    expect(await rejection<SftpError>(p)).toBeInstanceOf(AbortError);
    expect((await sftp.stat(dir)).isDirectory()).toBe(true);
  });
});

function* chunksOf(b: Buffer, n: number) {
  for (let i = 0; i < b.length; i += n) yield b.subarray(i, i + n);
}

describe('the session', () => {
  it('ssh.sftp() validates its options', async () => {
    expect(() => ssh.sftp({ nope: 1 } as object)).toThrow("unknown option 'nope' of sftp(); known: subsystem, serverCommand, concurrency, chunkSize, maxPacketLength, symlinkDraftOrder, timeout, signal, sshOpts");
    expect(() => ssh.sftp({ subsystem: 'sftp; rm' })).toThrow(`option 'subsystem' of sftp() must be a subsystem name such as 'sftp', received "sftp; rm"`);
    expect(() => ssh.sftp({ concurrency: 0 })).toThrow("option 'concurrency' of sftp() must be an integer from 1 to 1024, received 0");
  });

  it('close(): pending requests are answered first, later ones fail OSSH_SFTP_CLOSED, the ssh process is gone', async () => {
    const sftp = await ssh.sftp();
    const pending = Array.from({ length: 50 }, () => sftp.stat(remote));
    await sftp.close();
    expect((await Promise.all(pending)).length).toBe(50);
    const e = await rejection<SftpError>(sftp.stat(remote));
    expect(e.code).toBe('OSSH_SFTP_CLOSED');
    expect(e.message).toBe(`stat ${JSON.stringify(remote)}: the SFTP session is closed`);
    await sftp.close();
  });

  it('await using closes the session', async () => {
    let kept: Sftp;
    {
      await using sftp = await ssh.sftp();
      kept = sftp;
      await sftp.stat(remote);
    }
    expect(kept.error?.code).toBe('OSSH_SFTP_CLOSED');
  });

  it('a subsystem the server lacks is a CommandError', async () => {
    const e = await rejection<SftpError>(ssh.sftp({ subsystem: 'nope' }));
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe('OSSH_SLAVE_CMD_FAILED');
    expect(e.message).toBe(
      TEST_ENGINE === 'mux'
        ? 'subsystem nope failed: the server refused it, it probably does not offer it'
        : 'subsystem nope failed with exit code 255 and no message: the server probably does not offer it',
    );
  });

  it('a server command that does not speak SFTP: OSSH_SFTP_PROTOCOL', async () => {
    const e = await rejection<SftpError>(ssh.sftp({ serverCommand: ['echo', 'Welcome to my shell!'] }));
    expect(e).toBeInstanceOf(SftpError);
    expect(e.code).toBe('OSSH_SFTP_PROTOCOL');
    expect(e.message).toBe('SFTP protocol error: the server sent a packet of 1466264675 bytes (the limit is 4194304, and a packet has at least a type byte)');
  });

  it('a server that never answers: the start times out', async () => {
    const e = await rejection<SftpError>(ssh.sftp({ serverCommand: ['sleep', '30'], timeout: 300 }));
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.message).toBe('the SFTP request init got no reply within 300 ms (timeout)');
  });
});
