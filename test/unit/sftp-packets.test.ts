import { describe, expect, it } from 'vitest';
import { readAttrs, writeAttrs } from '../../src/sftp/attrs.js';
import { FXP } from '../../src/sftp/constants.js';
import { PacketReceiver } from '../../src/sftp/receiver.js';
import {
  decodeResponse,
  encodeExtended,
  encodeInit,
  encodeMkdir,
  encodeOneString,
  encodeOpen,
  encodeRead,
  encodeRename,
  encodeSetstat,
  encodeSymlink,
  encodeWrite,
  encodeWriteParts,
} from '../../src/sftp/messages.js';
import { PacketReader, PacketWriter } from '../../src/sftp/packet.js';
import { decodeLimits, decodeStatVfs, decodeUsersGroups } from '../../src/sftp/extensions.js';
import { basenameBytes, dirnameBytes, joinBytes, pathBytes } from '../../src/sftp/paths.js';
import { SftpError } from '../../src/index.js';

const hex = (b: Buffer) => b.toString('hex');
/** A packet from its payload in hex: the length prefixed. */
const pkt = (payloadHex: string) => {
  const p = Buffer.from(payloadHex.replace(/\s+/g, ''), 'hex');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(p.length);
  return hex(Buffer.concat([len, p]));
};
const str = (s: string | Buffer) => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
  return `${b.length.toString(16).padStart(8, '0')}${hex(b)}`;
};
const u32 = (n: number) => n.toString(16).padStart(8, '0');
const u64 = (n: number) => n.toString(16).padStart(16, '0');
/** A server payload (no length), for decodeResponse. */
const payload = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');

function protocolError(fn: () => unknown, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SftpError);
  expect((caught as SftpError).code).toBe('OSSH_SFTP_PROTOCOL');
  expect((caught as SftpError).message).toBe(message);
}

describe('requests: exact bytes', () => {
  it('INIT, version 3', () => {
    expect(hex(encodeInit())).toBe('000000050100000003');
    expect(hex(encodeInit([['a', 'b']]))).toBe(pkt(`01 ${u32(3)} ${str('a')} ${str('b')}`));
  });

  it('OPEN with flags and attrs', () => {
    expect(hex(encodeOpen(7, '/tmp/x', 0x1a, { mode: 0o644 }))).toBe(pkt(`03 ${u32(7)} ${str('/tmp/x')} ${u32(0x1a)} ${u32(4)} ${u32(0o644)}`));
    expect(hex(encodeOpen(1, 'a', 1))).toBe(pkt(`03 ${u32(1)} ${str('a')} ${u32(1)} ${u32(0)}`));
  });

  it('READ and WRITE carry a uint64 offset', () => {
    const h = Buffer.from([1, 2]);
    expect(hex(encodeRead(9, h, 2 ** 40 + 5, 32768))).toBe(pkt(`05 ${u32(9)} ${str(h)} ${u64(2 ** 40 + 5)} ${u32(32768)}`));
    expect(hex(encodeWrite(10, h, 3, Buffer.from('hi')))).toBe(pkt(`06 ${u32(10)} ${str(h)} ${u64(3)} ${str('hi')}`));
    // The zero-copy form: the same bytes in two buffers.
    const data = Buffer.from('x'.repeat(1000));
    expect(Buffer.concat(encodeWriteParts(11, h, 2 ** 33, data)).equals(encodeWrite(11, h, 2 ** 33, data))).toBe(true);
    expect(encodeWriteParts(11, h, 0, data)[1]).toBe(data);
  });

  it('one-string requests', () => {
    for (const t of [FXP.CLOSE, FXP.LSTAT, FXP.FSTAT, FXP.OPENDIR, FXP.READDIR, FXP.REMOVE, FXP.RMDIR, FXP.REALPATH, FXP.STAT, FXP.READLINK] as const) {
      expect(hex(encodeOneString(t, 0xffffffff, 'p'))).toBe(pkt(`${t.toString(16).padStart(2, '0')} ffffffff ${str('p')}`));
    }
  });

  it('a path as bytes goes as it is: invalid UTF-8, newlines, leading dash', () => {
    const name = Buffer.from([0x2d, 0x0a, 0xff, 0xfe]);
    expect(hex(encodeOneString(FXP.STAT, 1, name))).toBe(pkt(`11 ${u32(1)} 00000004 2d0afffe`));
    expect(hex(encodeOneString(FXP.STAT, 1, 'caf\u00e9'))).toBe(pkt(`11 ${u32(1)} 00000005 636166c3a9`));
  });

  it('SETSTAT, FSETSTAT and MKDIR with every attribute', () => {
    const a = { size: 2 ** 33, uid: 1000, gid: 100, mode: 0o100755, atime: 1, mtime: 2 };
    const attrs = `${u32(0xf)} ${u64(2 ** 33)} ${u32(1000)} ${u32(100)} ${u32(0o100755)} ${u32(1)} ${u32(2)}`;
    expect(hex(encodeSetstat(FXP.SETSTAT, 4, 'f', a))).toBe(pkt(`09 ${u32(4)} ${str('f')} ${attrs}`));
    expect(hex(encodeSetstat(FXP.FSETSTAT, 4, Buffer.from('h'), a))).toBe(pkt(`0a ${u32(4)} ${str('h')} ${attrs}`));
    expect(hex(encodeMkdir(5, 'd', { mode: 0o700 }))).toBe(pkt(`0e ${u32(5)} ${str('d')} ${u32(4)} ${u32(0o700)}`));
  });

  it('RENAME; SYMLINK in OpenSSH order (target first) or the draft order', () => {
    expect(hex(encodeRename(2, 'a', 'b'))).toBe(pkt(`12 ${u32(2)} ${str('a')} ${str('b')}`));
    expect(hex(encodeSymlink(3, 'target', 'link'))).toBe(pkt(`14 ${u32(3)} ${str('target')} ${str('link')}`));
    expect(hex(encodeSymlink(3, 'target', 'link', true))).toBe(pkt(`14 ${u32(3)} ${str('link')} ${str('target')}`));
  });

  it('EXTENDED requests', () => {
    expect(hex(encodeExtended(6, 'posix-rename@openssh.com', (w) => w.string('a').string('b')))).toBe(pkt(`c8 ${u32(6)} ${str('posix-rename@openssh.com')} ${str('a')} ${str('b')}`));
    expect(hex(encodeExtended(8, 'limits@openssh.com'))).toBe(pkt(`c8 ${u32(8)} ${str('limits@openssh.com')}`));
    const h = Buffer.from('H');
    expect(hex(encodeExtended(9, 'copy-data', (w) => w.string(h).u64(0).u64(0).string(h).u64(0)))).toBe(pkt(`c8 ${u32(9)} ${str('copy-data')} ${str(h)} ${u64(0)} ${u64(0)} ${str(h)} ${u64(0)}`));
  });

  it('attributes that must go in pairs are TypeErrors', () => {
    expect(() => writeAttrs(new PacketWriter(), { uid: 1 })).toThrow('SFTP attributes: uid and gid must be given together');
    expect(() => writeAttrs(new PacketWriter(), { mtime: 1 })).toThrow('SFTP attributes: atime and mtime must be given together');
  });

  it('a writer grows past its size hint', () => {
    const big = Buffer.alloc(100000, 7);
    const b = new PacketWriter(1).byte(1).string(big).finish();
    expect(b.readUInt32BE(0)).toBe(100005);
    expect(b.subarray(9).equals(big)).toBe(true);
  });
});

describe('responses', () => {
  it('VERSION with extensions', () => {
    const m = decodeResponse(payload(`02 ${u32(3)} ${str('posix-rename@openssh.com')} ${str('1')} ${str('statvfs@openssh.com')} ${str('2')}`));
    expect(m).toEqual({ type: 'version', version: 3, extensions: new Map([['posix-rename@openssh.com', '1'], ['statvfs@openssh.com', '2']]) });
  });

  it('STATUS with and without message and language', () => {
    expect(decodeResponse(payload(`65 ${u32(4)} ${u32(2)} ${str('No such file')} ${str('en')}`))).toEqual({ type: 'status', id: 4, status: 2, message: 'No such file', lang: 'en' });
    expect(decodeResponse(payload(`65 ${u32(4)} ${u32(0)}`))).toEqual({ type: 'status', id: 4, status: 0, message: '', lang: '' });
  });

  it('HANDLE, DATA, ATTRS, EXTENDED_REPLY', () => {
    expect(decodeResponse(payload(`66 ${u32(1)} ${str('h1')}`))).toEqual({ type: 'handle', id: 1, handle: Buffer.from('h1') });
    expect(decodeResponse(payload(`67 ${u32(2)} ${str('data')}`))).toEqual({ type: 'data', id: 2, data: Buffer.from('data') });
    expect(decodeResponse(payload(`69 ${u32(3)} ${u32(0xc)} ${u32(0o40755)} ${u32(10)} ${u32(20)}`))).toEqual({ type: 'attrs', id: 3, attrs: { mode: 0o40755, atime: 10, mtime: 20 } });
    expect(decodeResponse(payload(`c9 ${u32(5)} 0102`))).toEqual({ type: 'extended-reply', id: 5, data: Buffer.from([1, 2]) });
  });

  it('NAME with entries and extended attributes', () => {
    const m = decodeResponse(payload(`68 ${u32(6)} ${u32(2)} ${str('a')} ${str('-rw a')} ${u32(1)} ${u64(5)} ${str(Buffer.from([0xff]))} ${str('')} ${u32(0x80000000)} ${u32(1)} ${str('t')} ${str('d')}`));
    expect(m).toEqual({
      type: 'name',
      id: 6,
      entries: [
        { filename: Buffer.from('a'), longname: Buffer.from('-rw a'), attrs: { size: 5 } },
        { filename: Buffer.from([0xff]), longname: Buffer.alloc(0), attrs: { extended: [[Buffer.from('t'), Buffer.from('d')]] } },
      ],
    });
  });

  it('ATTRS round-trip', () => {
    const a = { size: 123456789012, uid: 0, gid: 4294967295, mode: 0o120777, atime: 4294967295, mtime: 0, extended: [[Buffer.from('x'), Buffer.from('y')]] as Array<[Buffer, Buffer]> };
    const w = writeAttrs(new PacketWriter(), a).finish();
    expect(readAttrs(new PacketReader(w.subarray(4)))).toEqual(a);
  });

  it('malformed packets are OSSH_SFTP_PROTOCOL errors', () => {
    protocolError(() => decodeResponse(payload('')), 'SFTP protocol error: packet too short: a byte needs 1 bytes at offset 0, the packet has 0');
    protocolError(() => decodeResponse(payload('63')), 'SFTP protocol error: unknown packet type 99');
    protocolError(() => decodeResponse(payload(`66 ${u32(1)} 000000ff 00`)), 'SFTP protocol error: packet too short: a string of 255 bytes needs 255 bytes at offset 9, the packet has 10');
    protocolError(() => decodeResponse(payload(`66 ${u32(1)} ${str('h')} 00`)), 'SFTP protocol error: 1 unexpected bytes after a handle packet');
    protocolError(() => decodeResponse(payload(`68 ${u32(1)} ffffffff`)), 'SFTP protocol error: SSH_FXP_NAME claims 4294967295 entries in 0 bytes');
    protocolError(() => decodeResponse(payload(`69 ${u32(1)} ${u32(0x10)}`)), 'SFTP protocol error: ATTRS with unknown flags 0x10');
    protocolError(() => decodeResponse(payload(`69 ${u32(1)} ${u32(0x80000000)} 7fffffff`)), 'SFTP protocol error: ATTRS claims 2147483647 extended attributes in 0 bytes');
    protocolError(() => decodeResponse(payload(`69 ${u32(1)} ${u32(1)} ffffffffffffffff`)), 'SFTP protocol error: uint64 18446744073709551615 is beyond 2^53 - 1');
  });

  it('extension replies: statvfs, limits, users-groups-by-id', () => {
    const v = decodeStatVfs(payload([4096, 4096, 100, 50, 40, 1000, 900, 890].map(u64).join('') + 'ffffffffffffffff' + u64(3) + u64(255)));
    expect(v).toEqual({ bsize: 4096, frsize: 4096, blocks: 100, bfree: 50, bavail: 40, files: 1000, ffree: 900, favail: 890, fsid: 2n ** 64n - 1n, flag: 3, namemax: 255, readonly: true, nosuid: true });
    expect(decodeLimits(payload([262144, 261120, 261120, 0].map(u64).join('')))).toEqual({ maxPacketLength: 262144, maxReadLength: 261120, maxWriteLength: 261120, maxOpenHandles: 0 });
    const names = (l: string[]) => str(Buffer.from(l.map(str).join(''), 'hex'));
    expect(decodeUsersGroups(payload(names(['root', '']) + names(['wheel'])))).toEqual({ users: ['root', ''], groups: ['wheel'] });
    protocolError(() => decodeLimits(payload(u64(1))), 'SFTP protocol error: packet too short: a uint64 needs 8 bytes at offset 8, the packet has 8');
  });
});

/** Feed `stream` to `r` in pieces of `size`, each copied into one scratch buffer that is overwritten after: as a socket read into a reused buffer. */
function feed(r: PacketReceiver, stream: Buffer, size: number) {
  const scratch = Buffer.alloc(size);
  const out = [];
  for (let i = 0; i < stream.length; i += size) {
    const n = stream.copy(scratch, 0, i, i + size);
    out.push(...r.push(scratch.subarray(0, n)));
    scratch.fill(0xee);
  }
  return out;
}

describe('receiving', () => {
  const stream = Buffer.from(pkt(`66 ${u32(1)} ${str('h')}`) + pkt(`65 ${u32(2)} ${u32(0)}`) + pkt(`67 ${u32(3)} ${str('x'.repeat(1000))}`) + pkt(`67 ${u32(4)} ${str('')}`), 'hex');
  const expected = [
    { type: 'handle', id: 1, handle: Buffer.from('h') },
    { type: 'status', id: 2, status: 0, message: '', lang: '' },
    { type: 'data', id: 3, data: Buffer.from('x'.repeat(1000)) },
    { type: 'data', id: 4, data: Buffer.alloc(0) },
  ];

  it('cuts a stream into decoded packets whatever the chunking, keeping copies of what it read', () => {
    for (const size of [1, 2, 3, 4, 5, 7, 12, 13, 14, 64, stream.length]) {
      const r = new PacketReceiver();
      expect(feed(r, stream, size)).toEqual(expected);
      expect(r.buffered).toBe(0);
    }
  });

  it("a DATA reply goes into its request's buffer when it fits; otherwise into one of its own", () => {
    for (const size of [1, 5, 13, 100, stream.length]) {
      const dest = Buffer.alloc(1000, 0x61);
      const small = Buffer.alloc(10);
      const r = new PacketReceiver((id) => (id === 3 ? dest : id === 4 ? small : undefined));
      const out = feed(r, stream, size);
      expect(out).toEqual(expected);
      const data = out[2]!;
      expect(data.type === 'data' && data.data.buffer === dest.buffer && data.data.byteOffset === dest.byteOffset).toBe(true);
      expect(dest.toString()).toBe('x'.repeat(1000));
      // An empty reply needs no room; a buffer too small (a server sending more than asked) is left alone.
      const tooBig = new PacketReceiver(() => small).push(Buffer.from(pkt(`67 ${u32(5)} ${str('y'.repeat(11))}`), 'hex'));
      expect(tooBig).toEqual([{ type: 'data', id: 5, data: Buffer.from('y'.repeat(11)) }]);
      expect(small.equals(Buffer.alloc(10))).toBe(true);
    }
  });

  it('reading in place: between the DATA packets of a download only heads are asked for, and each data lands in its buffer with no copy', () => {
    const big = (id: number, fill: number) => pkt(`67 ${u32(id)} ${str(String.fromCharCode(fill).repeat(20_000))}`);
    const s2 = Buffer.from(big(1, 0x61) + big(2, 0x62) + pkt(`65 ${u32(3)} ${u32(1)} ${str('EOF')} ${str('')}`) + big(4, 0x63), 'hex');
    const dests = new Map([1, 2, 4].map((id) => [id, Buffer.alloc(20_000)]));
    const r = new PacketReceiver((id) => dests.get(id));
    const scratch = Buffer.alloc(64 * 1024);
    const places: Array<number | undefined> = [];
    const out = [];
    let copiedData = 0;
    // A socket that reads at most 7,000 bytes at a time, where place() says (or into its own buffer).
    for (let at = 0; at < s2.length; ) {
      const p = r.place();
      places.push(p?.length);
      const into = p ?? scratch;
      const n = s2.copy(into, 0, at, at + Math.min(7000, into.length));
      const view = Buffer.from(into.buffer, into.byteOffset, n);
      const inDest = [...dests.values()].some((d) => d.buffer === view.buffer);
      if (!inDest && p === undefined) copiedData += n;
      out.push(...r.push(view));
      at += n;
    }
    expect(out.map((m) => m.type)).toEqual(['data', 'data', 'status', 'data']);
    for (const m of out) if (m.type === 'data') expect(m.data.buffer).toBe(dests.get(m.id)!.buffer);
    expect([...dests.entries()].map(([id, d]) => [id, d.toString('latin1', 0, 1), d.toString('latin1', 19_999)])).toEqual([
      [1, 'a', 'a'],
      [2, 'b', 'b'],
      [4, 'c', 'c'],
    ]);
    // The first read is anywhere (7,000 bytes: the head and 6,987 bytes of data, copied); the
    // rest of packet 1 in place; then packet 2's head alone (13 bytes) and its data in place;
    // the STATUS read as a head (13 bytes), the rest of it (11) in place; after it (no longer
    // a download) anywhere again.
    expect(places).toEqual([undefined, 13_013, 6013, 13, 20_000, 13_000, 6000, 13, 11, undefined, 13_013, 6013]);
    expect(copiedData).toBe(7000 * 2);
    expect(r.buffered).toBe(0);
  });

  it('a length beyond the limit (or zero) is an error before any buffering', () => {
    const r = new PacketReceiver(undefined, 1000);
    protocolError(() => r.push(Buffer.from('ffffffff', 'hex')), 'SFTP protocol error: the server sent a packet of 4294967295 bytes (the limit is 1000, and a packet has at least a type byte)');
    protocolError(() => new PacketReceiver().push(Buffer.from('00000000', 'hex')), 'SFTP protocol error: the server sent a packet of 0 bytes (the limit is 4194304, and a packet has at least a type byte)');
  });

  it('a DATA packet whose string length disagrees with its packet length is an error', () => {
    protocolError(() => new PacketReceiver().push(Buffer.from(pkt(`67 ${u32(1)} 00000009 6162`), 'hex')), 'SFTP protocol error: packet too short: a string of 9 bytes needs 9 bytes at offset 9, the packet has 11');
    protocolError(() => new PacketReceiver().push(Buffer.from(pkt(`67 ${u32(1)} 00000001 6162`), 'hex')), 'SFTP protocol error: 1 unexpected bytes after a data packet');
    protocolError(() => new PacketReceiver().push(Buffer.from(pkt(`67 ${u32(1)}`), 'hex')), 'SFTP protocol error: packet too short: a uint32 needs 4 bytes at offset 5, the packet has 5');
  });
});

describe('paths', () => {
  it('strings are UTF-8, Buffers as they are; empty and NUL are TypeErrors', () => {
    expect(pathBytes('caf\u00e9')).toEqual(Buffer.from('caf\u00e9'));
    const b = Buffer.from([0xff]);
    expect(pathBytes(b)).toBe(b);
    expect(() => pathBytes('', 'path', 'stat')).toThrow("argument 'path' of stat() must not be empty");
    expect(() => pathBytes('a\0b', 'path', 'stat')).toThrow(`argument 'path' of stat() must not contain a NUL byte, received "a\\u0000b"`);
    expect(() => pathBytes(5, 'path', 'stat')).toThrow("argument 'path' of stat() must be a string or a Buffer, received number");
  });

  it('join, dirname, basename on bytes', () => {
    const s = (b: Buffer) => b.toString('latin1');
    expect(s(joinBytes(Buffer.from('/a'), Buffer.from('b')))).toBe('/a/b');
    expect(s(joinBytes(Buffer.from('/a/'), Buffer.from('b')))).toBe('/a/b');
    expect(s(dirnameBytes(Buffer.from('/a/b')))).toBe('/a');
    expect(s(dirnameBytes(Buffer.from('/a')))).toBe('/');
    expect(s(dirnameBytes(Buffer.from('a')))).toBe('.');
    expect(s(dirnameBytes(Buffer.from('/a/b//')))).toBe('/a');
    expect(s(basenameBytes(Buffer.from('/a/b\xff', 'latin1')))).toBe('b\xff');
    expect(s(basenameBytes(Buffer.from('/a/b/')))).toBe('b');
  });
});
