import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AbortError, SftpError, TimeoutError, CommandError, sftpOverTransport, type SftpTransport } from '../../src/index.js';
import { FXP } from '../../src/sftp/constants.js';
import { PacketWriter } from '../../src/sftp/packet.js';
import { encodeRead } from '../../src/sftp/messages.js';
import { defaultConcurrency, defaultReadConcurrency } from '../../src/sftp/open.js';
import { rejection } from '../helpers/expect-throw.js';

/**
 * The session's bookkeeping over an in-memory channel whose server side is scripted bytes:
 * how it reacts to a channel that dies, a reply for an unknown id, an oversized packet. The
 * real servers are exercised in test/integration/sftp*.test.ts.
 */
function channel(done?: Promise<unknown>) {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const sent: Buffer[] = [];
  toServer.on('data', (c: Buffer) => sent.push(c));
  let destroyed = false;
  const transport: SftpTransport = {
    readable: toClient,
    writable: toServer,
    ...(done ? { done } : {}),
    destroy: () => {
      destroyed = true;
      toClient.destroy();
    },
  };
  const version = new PacketWriter().byte(FXP.VERSION).u32(3).finish();
  return { transport, toClient, sent, version, destroyed: () => destroyed };
}

/** The packets a client sent: type and request id (INIT has none: its version is read as one). */
function packets(sent: Buffer[]): Array<{ type: number; id: number }> {
  const all = Buffer.concat(sent);
  const out: Array<{ type: number; id: number }> = [];
  for (let at = 0; at + 4 <= all.length; at += 4 + all.readUInt32BE(at)) out.push({ type: all[at + 4]!, id: all.readUInt32BE(at + 5) });
  return out;
}

const status = (id: number, code: number, msg = '') => new PacketWriter().byte(FXP.STATUS).u32(id).u32(code).string(msg).string('').finish();

describe('SFTP session over a scripted channel', () => {
  it("a transport with subscribe(): chunks are views of one buffer it reuses; the session copies what it keeps", async () => {
    const c = channel();
    let receive!: (chunk: Buffer) => void;
    const scratch = Buffer.alloc(3);
    /** Server bytes as a socket read into one buffer delivers them: a few at a time, the buffer overwritten after. */
    const deliver = (bytes: Buffer) => {
      for (let i = 0; i < bytes.length; i += scratch.length) {
        const n = bytes.copy(scratch, 0, i, i + scratch.length);
        receive(scratch.subarray(0, n));
        scratch.fill(0xff);
      }
    };
    c.toClient.on('data', () => expect.unreachable("the session must not read 'data' when it subscribed"));
    const started = sftpOverTransport({ ...c.transport, subscribe: (fn) => (receive = fn) });
    deliver(c.version);
    const sftp = await started;
    const a = sftp.stat('/a');
    const b = sftp.stat('/b');
    // ATTRS with size (flag 1) 0x0102030405 for request 0; NO_SUCH_FILE for request 1.
    deliver(Buffer.concat([new PacketWriter().byte(FXP.ATTRS).u32(0).u32(1).u64(0x0102030405).finish(), status(1, 2, 'No such file')]));
    expect((await a).size).toBe(0x0102030405);
    const e = (await rejection(b)) as SftpError;
    expect(e.code).toBe('OSSH_SFTP_STATUS');
    expect(e.message).toBe('ENOENT: stat "/b" failed with SFTP status NO_SUCH_FILE: No such file');
  });

  it('a transport that reads where place() says: DATA lands in the buffer its request brought, never in the transport\'s own', async () => {
    const c = channel();
    let receive!: (chunk: Buffer) => void;
    let place!: () => Uint8Array | undefined;
    const scratch = Buffer.alloc(5000);
    /** Server bytes as a socket reads them: at most 5,000 at a time, where place() says, or into its own buffer. */
    const deliver = (bytes: Buffer) => {
      for (let i = 0; i < bytes.length; ) {
        const into = place() ?? scratch;
        const n = bytes.copy(into, 0, i, i + Math.min(into.length, 5000));
        receive(Buffer.from(into.buffer, into.byteOffset, n));
        i += n;
      }
    };
    const started = sftpOverTransport({
      ...c.transport,
      subscribe: (fn, where) => {
        receive = fn;
        place = where;
      },
    });
    deliver(c.version);
    const sftp = await started;
    const dests = [Buffer.alloc(20_000), Buffer.alloc(20_000), Buffer.alloc(20_000)];
    const reads = dests.map((d, k) => sftp.session.data((id) => encodeRead(id, Buffer.from('h'), k * 20_000, 20_000), { operation: 'read' }, d));
    const data = (id: number, fill: number) => new PacketWriter().byte(FXP.DATA).u32(id).string(Buffer.alloc(20_000, fill)).finish();
    deliver(Buffer.concat([data(0, 1), data(1, 2), data(2, 3)]));
    const got = await Promise.all(reads);
    expect(got.map((g) => g!.buffer)).toEqual(dests.map((d) => d.buffer));
    expect(dests.map((d) => [d[0], d[19_999], d.every((b) => b === d[0])])).toEqual([
      [1, 1, true],
      [2, 2, true],
      [3, 3, true],
    ]);
    // The first packet's head came with some of its data through the transport's buffer (copied);
    // once a large DATA packet came, the next heads were read alone and the data in place.
    expect([scratch.includes(1), scratch.includes(2), scratch.includes(3)]).toEqual([true, false, false]);
  });

  it('INIT goes first; no extensions means 32 KiB chunks', async () => {
    const c = channel();
    const started = sftpOverTransport(c.transport);
    c.toClient.write(c.version);
    const sftp = await started;
    expect(Buffer.concat(c.sent).toString('hex')).toBe('000000050100000003');
    expect(sftp.settings.chunkSize).toBe(32768);
    expect(sftp.settings.concurrency).toBe(64);
    expect(sftp.settings.readConcurrency).toBe(64);
    expect(sftp.extensions.size).toBe(0);
    expect(sftp.limits).toBeUndefined();
  });

  it('downloads keep 8 MiB of READs in flight, the rest 4 MiB; a given concurrency is both', async () => {
    expect([defaultConcurrency(255 * 1024), defaultReadConcurrency(255 * 1024)]).toEqual([16, 32]);
    expect([defaultConcurrency(32 * 1024), defaultReadConcurrency(32 * 1024)]).toEqual([64, 64]);
    expect([defaultConcurrency(4 * 1024 * 1024), defaultReadConcurrency(4 * 1024 * 1024)]).toEqual([8, 8]);
    const c = channel();
    const started = sftpOverTransport(c.transport, { chunkSize: 256 * 1024 });
    c.toClient.write(c.version);
    const sftp = await started;
    expect([sftp.settings.concurrency, sftp.settings.readConcurrency]).toEqual([16, 32]);
    // readFile: OPEN, then as many READs as readConcurrency before any reply.
    const file = sftp.readFile('/f');
    await new Promise((r) => setImmediate(r));
    const open = packets(c.sent);
    expect(open.map((x) => x.type)).toEqual([FXP.INIT, FXP.OPEN]);
    c.toClient.write(new PacketWriter().byte(FXP.HANDLE).u32(open[1]!.id).string('h').finish());
    await new Promise((r) => setImmediate(r));
    const reads = packets(c.sent).slice(2);
    expect(reads.length).toBe(32);
    expect(reads.every((x) => x.type === FXP.READ)).toBe(true);
    // EOF for all of them, then the CLOSE's OK: an empty file.
    c.toClient.write(Buffer.concat(reads.map((x) => status(x.id, 1))));
    await new Promise((r) => setImmediate(r));
    const close = packets(c.sent).at(-1)!;
    expect(close.type).toBe(FXP.CLOSE);
    c.toClient.write(status(close.id, 0));
    expect((await file).length).toBe(0);
    const given = channel();
    const s2 = sftpOverTransport(given.transport, { chunkSize: 256 * 1024, concurrency: 5 });
    given.toClient.write(given.version);
    expect((await s2).settings).toMatchObject({ concurrency: 5, readConcurrency: 5 });
  });

  it('a channel that dies fails every pending request with OSSH_SFTP_CLOSED and its cause', async () => {
    let fail!: (e: unknown) => void;
    const c = channel(new Promise((_, rej) => (fail = rej)));
    const started = sftpOverTransport(c.transport);
    c.toClient.write(c.version);
    const sftp = await started;
    const pending = [sftp.stat('/a'), sftp.readdir('/b'), sftp.readFile('/c')];
    const cause = new CommandError('ssh died');
    fail(cause);
    c.toClient.end();
    for (const p of pending) {
      const e = (await rejection(p)) as SftpError;
      expect(e).toBeInstanceOf(SftpError);
      expect(e.code).toBe('OSSH_SFTP_CLOSED');
      expect(e.cause).toBe(cause);
    }
    const e = (await rejection(sftp.stat('/a'))) as SftpError;
    expect(e.message).toBe('stat "/a": the SFTP server closed the channel (ssh died)');
    expect(e.path).toBe('/a');
  });

  it('an oversized packet fails everything with OSSH_SFTP_PROTOCOL and tears the channel down', async () => {
    const c = channel();
    const started = sftpOverTransport(c.transport);
    c.toClient.write(c.version);
    const sftp = await started;
    const p = sftp.stat('/x');
    c.toClient.write(Buffer.from('7fffffff', 'hex'));
    const e = (await rejection(p)) as SftpError;
    expect(e.code).toBe('OSSH_SFTP_PROTOCOL');
    expect(e.message).toBe('SFTP protocol error: the server sent a packet of 2147483647 bytes (the limit is 4194304, and a packet has at least a type byte)');
    expect(c.destroyed()).toBe(true);
    expect(((await rejection(sftp.stat('/y'))) as SftpError).code).toBe('OSSH_SFTP_PROTOCOL');
  });

  it('a reply to a request not in flight is a protocol error', async () => {
    const c = channel();
    const started = sftpOverTransport(c.transport);
    c.toClient.write(c.version);
    const sftp = await started;
    const p = sftp.stat('/x');
    c.toClient.write(status(77, 0));
    const e = (await rejection(p)) as SftpError;
    expect(e.message).toBe('SFTP protocol error: a reply to request 77, which is not in flight');
  });

  it('replies out of order reach their requests; a status where attrs were due is the typed error', async () => {
    const c = channel();
    const started = sftpOverTransport(c.transport);
    c.toClient.write(c.version);
    const sftp = await started;
    const a = sftp.stat('/a');
    const b = sftp.stat('/b');
    c.toClient.write(Buffer.concat([new PacketWriter().byte(FXP.ATTRS).u32(1).u32(1).u64(42).finish(), status(0, 2, 'No such file')]));
    expect((await b).size).toBe(42);
    const e = (await rejection(a)) as SftpError;
    expect(e.syscallCode).toBe('ENOENT');
    expect(e.serverMessage).toBe('No such file');
  });

  it('timeouts and aborts fail one request; its late reply is dropped', async () => {
    const c = channel();
    const started = sftpOverTransport(c.transport);
    c.toClient.write(c.version);
    const sftp = await started;
    const t = await rejection(sftp.stat('/slow', { timeout: 20 }));
    expect(t).toBeInstanceOf(TimeoutError);
    expect(t.message).toBe('the SFTP request stat "/slow" got no reply within 20 ms (timeout)');
    const ac = new AbortController();
    const p = sftp.lstat('/x', { signal: ac.signal });
    ac.abort('no');
    expect(await rejection(p)).toBeInstanceOf(AbortError);
    // The late replies for ids 0 and 1, then an answer to a new request (id 2).
    const q = sftp.stat('/z');
    c.toClient.write(Buffer.concat([status(0, 2), status(1, 2), new PacketWriter().byte(FXP.ATTRS).u32(2).u32(0).finish()]));
    expect((await q).size).toBeUndefined();
    expect(sftp.session.inFlight).toBe(0);
  });

  it('an extension the server lacks: OSSH_SFTP_UNSUPPORTED, nothing sent', async () => {
    const c = channel();
    const started = sftpOverTransport(c.transport);
    c.toClient.write(c.version);
    const sftp = await started;
    const before = Buffer.concat(c.sent).length;
    for (const [p, ext, op] of [
      [sftp.statvfs('/'), 'statvfs@openssh.com', 'statvfs'],
      [sftp.link('/a', '/b'), 'hardlink@openssh.com', 'link'],
      [sftp.copyFile('/a', '/b'), 'copy-data', 'copyFile'],
      [sftp.rename('/a', '/b', { overwrite: true }), 'posix-rename@openssh.com', 'rename'],
      [sftp.writeFile('/a', 'x', { atomic: true }), 'posix-rename@openssh.com', 'writeFile'],
      [sftp.expandPath('~'), 'expand-path@openssh.com', 'expandPath'],
      [sftp.homeDirectory(), 'home-directory', 'homeDirectory'],
      [sftp.idsToNames([0], []), 'users-groups-by-id@openssh.com', 'idsToNames'],
      [sftp.lutimes('/a', 0, 0), 'lsetstat@openssh.com', 'lsetstat'],
    ] as const) {
      const e = (await rejection(p)) as SftpError;
      expect(e.code).toBe('OSSH_SFTP_UNSUPPORTED');
      expect(e.operation).toBe(op);
      expect(e.message).toBe(`${op}: the SFTP server does not offer the ${ext} extension`);
    }
    expect(Buffer.concat(c.sent).length).toBe(before);
  });

  it('a server below version 3 is refused', async () => {
    const c = channel();
    const started = sftpOverTransport(c.transport);
    c.toClient.write(new PacketWriter().byte(FXP.VERSION).u32(2).finish());
    const e = (await rejection(started)) as SftpError;
    expect(e.code).toBe('OSSH_SFTP_PROTOCOL');
    expect(e.message).toBe('SFTP protocol error: the server speaks SFTP version 2; version 3 is needed');
  });
});

describe('SftpError', () => {
  it('is an OpenSSHError with the SFTP fields', async () => {
    const { OpenSSHError, ErrorCode } = await import('../../src/index.js');
    const e = new SftpError(ErrorCode.SFTP_STATUS, 'ENOENT: stat "/x" failed', { operation: 'stat', path: '/x', status: 2, statusName: 'NO_SUCH_FILE', serverMessage: 'No such file', syscallCode: 'ENOENT', host: 'h' });
    expect(e).toBeInstanceOf(OpenSSHError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('SftpError');
    expect(e.code).toBe('OSSH_SFTP_STATUS');
    expect([e.operation, e.path, e.status, e.statusName, e.serverMessage, e.syscallCode, e.host, e.destination]).toEqual(['stat', '/x', 2, 'NO_SUCH_FILE', 'No such file', 'ENOENT', 'h', undefined]);
  });
});
