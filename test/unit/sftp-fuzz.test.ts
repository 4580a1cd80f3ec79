import { describe, expect, it } from 'vitest';
import { PacketFramer } from '../../src/sftp/framer.js';
import { decodeResponse, decodeResponseParts } from '../../src/sftp/messages.js';
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

  it('the framer: any chunking of random streams yields packets or the typed error', () => {
    for (let i = 0; i < 2000; i++) {
      const f = new PacketFramer(4096);
      const len = Math.floor(rnd() * 300);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = rnd() < 0.5 ? 0 : byte();
      check(() => {
        for (let at = 0; at < b.length; ) {
          const n = 1 + Math.floor(rnd() * 40);
          for (const parts of f.pushParts(b.subarray(at, at + n))) {
            const len = parts.reduce((k, p) => k + p.length, 0);
            expect(len).toBeGreaterThan(0);
            expect(len).toBeLessThanOrEqual(4096);
            check(() => decodeResponse(Buffer.concat(parts)));
            check(() => decodeResponseParts(parts));
          }
          at += n;
        }
      });
      expect(f.buffered).toBeLessThanOrEqual(4096 + 4 + 40);
    }
  });
});
