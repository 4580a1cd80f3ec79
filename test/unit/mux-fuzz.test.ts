import { describe, expect, it } from 'vitest';
import { MuxProtocolError } from '../../src/errors/index.js';
import {
  decodeSshMessage,
  encodeChannelOpen,
  encodeChannelRequest,
  encodeClose,
  encodeData,
  encodeEof,
  encodeExtendedData,
  encodeOpenConfirmation,
  encodeOpenFailure,
  encodeRequestReply,
  encodeWindowAdjust,
  NO_TERMINAL_MODES,
} from '../../src/mux/channel-messages.js';
import { decodeMuxReply } from '../../src/mux/control-messages.js';
import { FrameSplitter } from '../../src/mux/framing.js';
import { mulberry32 } from '../helpers/prng.js';

const rand = mulberry32(0x5eed_1234);
const int = (n: number) => Math.floor(rand() * n);
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

/** Valid packets of every kind, as the base of mutations. */
const valid: Buffer[] = [
  encodeChannelOpen({ type: 'session' }, 1, 2, 3),
  encodeChannelOpen({ type: 'direct-tcpip', host: 'h', port: 1, originatorHost: 'o', originatorPort: 2 }, 1, 2, 3),
  encodeOpenConfirmation(1, 2, 3, 4),
  encodeOpenFailure(1, 2, 'x'),
  encodeWindowAdjust(1, 5),
  encodeData(1, Buffer.from('hello')),
  encodeExtendedData(1, 1, Buffer.from('err')),
  encodeEof(1),
  encodeClose(1),
  encodeRequestReply(1, true),
  encodeRequestReply(1, false),
  encodeChannelRequest(1, false, { request: 'exit-status', status: 0 }),
  encodeChannelRequest(1, false, { request: 'exit-signal', signal: 'TERM', coreDumped: false, message: '', language: '' }),
  encodeChannelRequest(1, true, { request: 'pty-req', term: 'x', cols: 1, rows: 1, widthPx: 0, heightPx: 0, modes: NO_TERMINAL_MODES }),
  encodeChannelRequest(1, true, { request: 'env', name: 'a', value: 'b' }),
  encodeChannelRequest(1, true, { request: 'window-change', cols: 1, rows: 2, widthPx: 3, heightPx: 4 }),
].map((f) => f.subarray(4));

function mutate(b: Buffer): Buffer {
  const m = Buffer.from(b);
  switch (int(4)) {
    case 0: // flip bytes
      for (let i = 0, n = 1 + int(4); i < n && m.length > 0; i++) m[int(m.length)] = int(256);
      return m;
    case 1: // truncate
      return m.subarray(0, int(m.length));
    case 2: // append garbage
      return Buffer.concat([m, bytes(1 + int(8))]);
    default: // huge length fields
      if (m.length >= 8) m.writeUInt32BE(0xffff_fff0 - int(16), 2 + 4 * int(Math.floor((m.length - 2) / 4)));
      return m;
  }
}

/** Decode and accept only a message or a MuxProtocolError. */
function decodeOrTypedError(decode: (b: Buffer) => unknown, b: Buffer): 'ok' | 'error' {
  try {
    const m = decode(b);
    expect(m).toBeTypeOf('object');
    return 'ok';
  } catch (err) {
    if (!(err instanceof MuxProtocolError)) throw new Error(`decoder threw ${String(err)} for ${b.toString('hex')}`);
    expect(err.code).toBe('OSSH_MUX_PROTOCOL');
    return 'error';
  }
}

describe('decoder fuzzing', () => {
  it('decodeSshMessage: random bytes give a message or a MuxProtocolError', () => {
    const seen = { ok: 0, error: 0 };
    for (let i = 0; i < 20_000; i++) {
      // Bias towards plausible headers: padding 0 and a channel message number.
      const b = bytes(int(40));
      if (b.length >= 2 && rand() < 0.7) {
        b[0] = 0;
        b[1] = 80 + int(22);
      }
      seen[decodeOrTypedError(decodeSshMessage, b)]++;
    }
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.error).toBeGreaterThan(0);
  });

  it('decodeSshMessage: mutated valid packets give a message or a MuxProtocolError', () => {
    const seen = { ok: 0, error: 0 };
    for (let i = 0; i < 20_000; i++) seen[decodeOrTypedError(decodeSshMessage, mutate(valid[int(valid.length)]!))]++;
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.error).toBeGreaterThan(0);
  });

  it('decodeMuxReply: random and mutated replies', () => {
    const replies = ['00000001 00000004', '80000001 00000003', '80000003 00000003 00000002 6e6f', '80000005 00000003 00003039', '8000000f 00000001'].map((s) =>
      Buffer.from(s.replace(/ /g, ''), 'hex'),
    );
    for (let i = 0; i < 10_000; i++) {
      decodeOrTypedError(decodeMuxReply, bytes(int(24)));
      decodeOrTypedError(decodeMuxReply, mutate(replies[int(replies.length)]!));
    }
  });

  it('FrameSplitter: random streams give frames or a MuxProtocolError, never more than the limit buffered', () => {
    for (let i = 0; i < 2_000; i++) {
      const s = new FrameSplitter(4096);
      try {
        for (let j = 0; j < 20; j++) {
          for (const f of s.push(bytes(int(64)))) expect(f.length).toBeLessThanOrEqual(4096);
          expect(s.buffered).toBeLessThanOrEqual(4096 + 4 + 64);
        }
      } catch (err) {
        if (!(err instanceof MuxProtocolError)) throw err;
      }
    }
  });
});
