import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeResponse } from '../../src/sftp/messages.js';
import { PacketReceiver } from '../../src/sftp/receiver.js';
import { decodeLimits, decodeStatVfs, decodeUsersGroups } from '../../src/sftp/extensions.js';
import { SftpError } from '../../src/index.js';
import { mulberry32 } from '../helpers/prng.js';

/** Real server packets (payloads) to mutate. */
const SEEDS = [
  '02000000030000001873746174766673406f70656e7373682e636f6d0000000132',
  '6500000004000000020000000c4e6f20737563682066696c6500000002656e',
  '66000000010000000468616e64',
  '6700000002000000046461746141',
  '6800000006000000020000000161000000052d7277206100000001000000000000000500000001ff0000000080000000000000010000000174000000016400',
  '690000000300000000f00000000000000000100000003e8000003e8000081a4000000010000000200',
  'c900000005000000000000100000000000000010',
];

function check(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    // Only the typed protocol error may come out: never a RangeError, TypeError or a hang.
    expect(e).toBeInstanceOf(SftpError);
    expect((e as SftpError).code).toBe('OSSH_SFTP_PROTOCOL');
  }
}

describe('fuzz: the response decoder', () => {
  const rnd = mulberry32(20261201);
  const byte = () => Math.floor(rnd() * 256);
  /** Packet builders for the receiver's tests: big-endian uint32, SSH string, a packet of a type and fields. */
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const str = (b: Buffer) => Buffer.concat([u32(b.length), b]);
  const packet = (type: number, ...fields: Buffer[]) => {
    const p = Buffer.concat([Buffer.from([type]), ...fields]);
    return Buffer.concat([u32(p.length), p]);
  };
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => byte()));

  it('random bytes: a decoded message or OSSH_SFTP_PROTOCOL', () => {
    for (let i = 0; i < 20000; i++) {
      const len = Math.floor(rnd() * 64);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = byte();
      // Random data with a valid type byte reaches deeper.
      if (len > 0 && rnd() < 0.7) b[0] = [2, 101, 102, 103, 104, 105, 201][Math.floor(rnd() * 7)]!;
      check(() => decodeResponse(b));
      check(() => decodeStatVfs(b));
      check(() => decodeLimits(b));
      check(() => decodeUsersGroups(b));
    }
  });

  it('mutated real packets: flipped, truncated, extended, lengths forged', () => {
    for (let i = 0; i < 30000; i++) {
      const b = Buffer.from(SEEDS[i % SEEDS.length]!, 'hex');
      let m: Buffer = b;
      switch (Math.floor(rnd() * 4)) {
        case 0:
          for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) m[Math.floor(rnd() * m.length)] = byte();
          break;
        case 1:
          m = b.subarray(0, Math.floor(rnd() * b.length));
          break;
        case 2:
          m = Buffer.concat([b, Buffer.from([byte(), byte(), byte()])]);
          break;
        default: {
          // A length field anywhere set to something huge.
          const at = Math.floor(rnd() * Math.max(1, b.length - 4));
          if (b.length >= 4) m.writeUInt32BE([0xffffffff, 0x7fffffff, 0x10000, b.length][Math.floor(rnd() * 4)]!, at);
        }
      }
      check(() => decodeResponse(m));
    }
  });

  it('the receiver: any chunking of random streams yields packets or the typed error; memory stays bounded', () => {
    for (let i = 0; i < 2000; i++) {
      const dest = Buffer.alloc(64);
      const r = new PacketReceiver((id) => (id % 2 === 0 ? dest : undefined), 4096);
      const len = Math.floor(rnd() * 300);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = rnd() < 0.5 ? 0 : byte();
      check(() => {
        for (let at = 0; at < b.length; ) {
          const n = 1 + Math.floor(rnd() * 40);
          for (const m of r.push(b.subarray(at, at + n))) expect(typeof m.type).toBe('string');
          expect(r.buffered).toBeLessThanOrEqual(4096 + 4);
          at += n;
        }
      });
    }
  });

  it('the receiver: valid packets in a row decode the same whatever the chunking, with or without buffers', () => {
    const seeds = [
      () => packet(0x66, u32(byte()), str(bytes(1 + Math.floor(rnd() * 8)))),
      () => packet(0x65, u32(byte()), u32(Math.floor(rnd() * 9)), str(Buffer.from('No such file')), str(Buffer.alloc(0))),
      () => packet(0x67, u32(byte()), str(bytes(Math.floor(rnd() * 300)))),
      () => packet(0x69, u32(byte()), u32(0)),
      () => packet(0xc9, u32(byte()), bytes(Math.floor(rnd() * 20))),
    ];
    for (let i = 0; i < 500; i++) {
      const picked = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => seeds[Math.floor(rnd() * seeds.length)]!());
      const stream = Buffer.concat(picked);
      const whole = new PacketReceiver().push(stream);
      expect(whole.length).toBe(picked.length);
      const r = new PacketReceiver(() => Buffer.alloc(Math.floor(rnd() * 400)));
      const scratch = Buffer.alloc(64);
      const out = [];
      for (let at = 0; at < stream.length; ) {
        const n = stream.copy(scratch, 0, at, at + 1 + Math.floor(rnd() * 64));
        out.push(...r.push(scratch.subarray(0, n)));
        scratch.fill(0xa5);
        at += n;
      }
      expect(out).toEqual(whole);
      expect(r.buffered).toBe(0);
    }
  });

  it('the receiver read in place (place()): random packets and read sizes decode as read whole; DATA lands in its buffer', () => {
    for (let i = 0; i < 300; i++) {
      let id = 0;
      // Large DATA (a download under way), small DATA, and the other replies, mixed.
      const seeds = [
        () => packet(0x67, u32(id++), str(Buffer.alloc(16 * 1024 + Math.floor(rnd() * 20_000), byte()))),
        () => packet(0x67, u32(id++), str(bytes(Math.floor(rnd() * 300)))),
        () => packet(0x65, u32(id++), u32(Math.floor(rnd() * 9)), str(Buffer.from('No such file')), str(Buffer.alloc(0))),
        () => packet(0x66, u32(id++), str(bytes(1 + Math.floor(rnd() * 8)))),
        () => packet(0x69, u32(id++), u32(0)),
      ];
      const stream = Buffer.concat(Array.from({ length: 1 + Math.floor(rnd() * 10) }, () => seeds[rnd() < 0.5 ? 0 : Math.floor(rnd() * seeds.length)]!()));
      const whole = new PacketReceiver().push(stream);
      const dests = new Map<number, Buffer>();
      const r = new PacketReceiver((k) => (k % 3 === 0 ? undefined : (dests.get(k) ?? dests.set(k, Buffer.alloc(40_000)).get(k))));
      const scratch = Buffer.alloc(64 * 1024);
      const out = [];
      for (let at = 0; at < stream.length; ) {
        const p = r.place();
        if (p !== undefined) expect(p.length).toBeGreaterThan(0);
        const into = p ?? scratch;
        const n = stream.copy(into, 0, at, at + Math.min(into.length, 1 + Math.floor(rnd() * 30_000)));
        out.push(...r.push(Buffer.from(into.buffer, into.byteOffset, n)));
        if (p === undefined) scratch.fill(0xa5, 0, n);
        at += n;
      }
      // Compared as hashes: a deep comparison of megabytes of Buffers element by element is slow.
      const digest = (ms: typeof whole) => ms.map((m) => createHash('sha1').update(JSON.stringify({ ...m, data: undefined })).update(m.type === 'data' ? m.data : Buffer.alloc(0)).digest('hex'));
      expect(digest(out)).toEqual(digest(whole));
      for (const m of out) if (m.type === 'data' && dests.has(m.id)) expect(m.data.buffer).toBe(dests.get(m.id)!.buffer);
      expect(r.buffered).toBe(0);
    }
  });
});
