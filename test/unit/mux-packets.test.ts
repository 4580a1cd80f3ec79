import { describe, expect, it } from 'vitest';
import { ErrorCode, MuxProtocolError } from '../../src/errors/index.js';
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
  type ChannelRequest,
} from '../../src/mux/channel-messages.js';
import { decodeMuxReply, encodeForwardRequest, encodeHello, encodeSimpleRequest, MuxType, PORT_STREAMLOCAL } from '../../src/mux/control-messages.js';
import { FrameSplitter } from '../../src/mux/framing.js';
import { WireReader, WireWriter } from '../../src/mux/wire.js';
import { expectThrow, expectTypeError } from '../helpers/expect-throw.js';

/** Hex of a buffer, for exact comparisons. */
const hex = (b: Buffer) => b.toString('hex');
/** Bytes from a hex string with spaces. */
const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** A frame body without its uint32 length (checking the length is right). */
function body(frame: Buffer): Buffer {
  expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
  return frame.subarray(4);
}

describe('wire types', () => {
  it('writes byte, bool, uint32, string and name-list exactly', () => {
    const b = new WireWriter().byte(7).bool(true).bool(false).uint32(0x01020304).string('ab').string(Buffer.of(0xff)).nameList(['x', 'y-z']).finish();
    expect(hex(b)).toBe('07' + '01' + '00' + '01020304' + '00000002' + '6162' + '00000001' + 'ff' + '00000005' + '782c792d7a');
  });

  it('reads them back, and an empty name-list is []', () => {
    const r = new WireReader(h('07 01 01020304 00000002 6162 00000003 782c79 00000000'), 't');
    expect([r.byte(), r.bool(), r.uint32(), r.string(), r.nameList(), r.nameList()]).toEqual([7, true, 0x01020304, 'ab', ['x', 'y'], []]);
    expect(() => r.end()).not.toThrow();
  });

  it('rejects bad values to write with a TypeError', () => {
    expectTypeError(() => new WireWriter().uint32(-1), 'uint32 must be an integer from 0 to 4294967295, received -1');
    expectTypeError(() => new WireWriter().byte(256), 'byte must be an integer from 0 to 255, received 256');
    expectTypeError(() => new WireWriter().nameList(['a,b']), 'name-list entries must be non-empty printable ASCII without commas, received "a,b"');
  });

  it('throws a MuxProtocolError for truncated input, trailing bytes and invalid UTF-8', () => {
    const e = expectThrow(() => new WireReader(h('000000'), 'pkt').uint32(), MuxProtocolError, 'pkt: truncated (a uint32 needs 4 bytes, 3 left)');
    expect(e.code).toBe(ErrorCode.MUX_PROTOCOL);
    expect(e.code).toBe('OSSH_MUX_PROTOCOL');
    expect(e.reason).toBe('malformed');
    expectThrow(() => new WireReader(h('00000005 6162'), 'pkt').bytes(), MuxProtocolError, 'pkt: truncated (a string of 5 bytes needs 5 bytes, 2 left)');
    expectThrow(() => new WireReader(h('00'), 'pkt').end(), MuxProtocolError, 'pkt: 1 unexpected trailing bytes');
    expectThrow(() => new WireReader(h('00000001 ff'), 'pkt').string(), MuxProtocolError, 'pkt: a string is not valid UTF-8');
  });
});

describe('mux control messages', () => {
  it('hello: type 1, version 4', () => {
    expect(hex(encodeHello())).toBe('00000008' + '00000001' + '00000004');
  });

  it('alive check, terminate, stop listening and proxy requests', () => {
    expect(hex(encodeSimpleRequest(MuxType.C_ALIVE_CHECK, 5))).toBe('00000008' + '10000004' + '00000005');
    expect(hex(encodeSimpleRequest(MuxType.C_TERMINATE, 6))).toBe('00000008' + '10000005' + '00000006');
    expect(hex(encodeSimpleRequest(MuxType.C_STOP_LISTENING, 7))).toBe('00000008' + '10000009' + '00000007');
    expect(hex(encodeSimpleRequest(MuxType.C_PROXY, 8))).toBe('00000008' + '1000000f' + '00000008');
  });

  it('open and close forward', () => {
    const f = { type: 'local', listenHost: '', listenPort: 8080, connectHost: 'db', connectPort: 5432 } as const;
    const fields = '00000001' + '00000000' + '00001f90' + '00000002' + '6462' + '00001538';
    expect(hex(encodeForwardRequest(MuxType.C_OPEN_FWD, 9, f))).toBe('0000001e' + '10000006' + '00000009' + fields);
    expect(hex(encodeForwardRequest(MuxType.C_CLOSE_FWD, 10, f))).toBe('0000001e' + '10000007' + '0000000a' + fields);
    const unix = encodeForwardRequest(MuxType.C_OPEN_FWD, 1, { type: 'remote', listenHost: '/s', listenPort: PORT_STREAMLOCAL, connectHost: 'h', connectPort: 1 });
    expect(hex(body(unix))).toBe('10000006' + '00000001' + '00000002' + '00000002' + '2f73' + 'fffffffe' + '00000001' + '68' + '00000001');
    expectTypeError(
      () => encodeForwardRequest(MuxType.C_OPEN_FWD, 1, { ...f, listenPort: 70000 }),
      'forward listenPort must be an integer from 0 to 65535 (or PORT_STREAMLOCAL), received 70000',
    );
  });

  it('decodes every reply', () => {
    expect(decodeMuxReply(h('00000001 00000004'))).toEqual({ type: 'hello', version: 4, extensions: [] });
    expect(decodeMuxReply(h('00000001 00000004 00000001 61 00000001 62'))).toEqual({ type: 'hello', version: 4, extensions: [{ name: 'a', value: Buffer.from('b') }] });
    expect(decodeMuxReply(h('80000001 00000003'))).toEqual({ type: 'ok', requestId: 3 });
    expect(decodeMuxReply(h('80000002 00000003 00000002 6e6f'))).toEqual({ type: 'permission-denied', requestId: 3, reason: 'no' });
    expect(decodeMuxReply(h('80000003 00000003 00000002 6e6f'))).toEqual({ type: 'failure', requestId: 3, reason: 'no' });
    expect(decodeMuxReply(h('80000005 00000003 00003039'))).toEqual({ type: 'alive', requestId: 3, pid: 12345 });
    expect(decodeMuxReply(h('80000007 00000003 00000050'))).toEqual({ type: 'remote-port', requestId: 3, port: 80 });
    expect(decodeMuxReply(h('8000000f 00000003'))).toEqual({ type: 'proxy', requestId: 3 });
  });

  it('rejects unknown types, truncation and trailing bytes', () => {
    const e = expectThrow(() => decodeMuxReply(h('80000004 00000001 00000000')), MuxProtocolError, 'mux message: unexpected type 0x80000004');
    expect(e.reason).toBe('violation');
    expectThrow(() => decodeMuxReply(h('80000001')), MuxProtocolError, /truncated/);
    expectThrow(() => decodeMuxReply(h('80000001 00000003 00')), MuxProtocolError, 'mux message: 1 unexpected trailing bytes');
  });
});

describe('connection-protocol messages', () => {
  it('channel open: session and direct-tcpip', () => {
    expect(hex(encodeChannelOpen({ type: 'session' }, 1, 0x200000, 0x8000))).toBe(
      '00000019' + '00' + '5a' + '00000007' + hex(Buffer.from('session')) + '00000001' + '00200000' + '00008000',
    );
    const tcp = encodeChannelOpen({ type: 'direct-tcpip', host: 'h', port: 22, originatorHost: '127.0.0.1', originatorPort: 0 }, 2, 1, 2);
    expect(hex(body(tcp))).toBe(
      '00' + '5a' + '0000000c' + hex(Buffer.from('direct-tcpip')) + '00000002' + '00000001' + '00000002' + '00000001' + '68' + '00000016' + '00000009' + hex(Buffer.from('127.0.0.1')) + '00000000',
    );
    expectTypeError(() => encodeChannelOpen({ type: 'direct-tcpip', host: 'h', port: 65536, originatorHost: '', originatorPort: 0 }, 1, 1, 1), 'direct-tcpip port must be an integer from 0 to 65535, received 65536');
    // direct-streamlocal@openssh.com (PROTOCOL 2.4): socket path, reserved string, reserved uint32
    expect(hex(encodeChannelOpen({ type: 'direct-streamlocal@openssh.com', path: '/d.s' }, 3, 0x10, 0x8000))).toBe(
      '00000040' + '00' + '5a' + '0000001e' + '6469726563742d73747265616d6c6f63616c406f70656e7373682e636f6d' + '00000003' + '00000010' + '00008000' +
        '00000004' + '2f642e73' + '00000000' + '00000000',
    );
    expectTypeError(() => encodeChannelOpen({ type: 'direct-streamlocal@openssh.com', path: '' }, 1, 1, 1), 'direct-streamlocal socket path must be a non-empty string without NUL, received ""');
    expectTypeError(() => encodeChannelOpen({ type: 'direct-streamlocal@openssh.com', path: '/a\0' }, 1, 1, 1), 'direct-streamlocal socket path must be a non-empty string without NUL, received "/a\\u0000"');
  });

  it('open confirmation and failure, window adjust, data, extended data, eof, close, success, failure', () => {
    expect(hex(encodeOpenConfirmation(1, 2, 3, 4))).toBe('00000012' + '00' + '5b' + '00000001' + '00000002' + '00000003' + '00000004');
    expect(hex(encodeOpenFailure(1, 2, 'no'))).toBe('00000014' + '00' + '5c' + '00000001' + '00000002' + '00000002' + '6e6f' + '00000000');
    expect(hex(encodeWindowAdjust(3, 0x10000))).toBe('0000000a' + '00' + '5d' + '00000003' + '00010000');
    expect(hex(encodeData(3, Buffer.from('hi')))).toBe('0000000c' + '00' + '5e' + '00000003' + '00000002' + '6869');
    expect(hex(encodeExtendedData(3, 1, Buffer.from('e')))).toBe('0000000f' + '00' + '5f' + '00000003' + '00000001' + '00000001' + '65');
    expect(hex(encodeEof(3))).toBe('00000006' + '00' + '60' + '00000003');
    expect(hex(encodeClose(3))).toBe('00000006' + '00' + '61' + '00000003');
    expect(hex(encodeRequestReply(3, true))).toBe('00000006' + '00' + '63' + '00000003');
    expect(hex(encodeRequestReply(3, false))).toBe('00000006' + '00' + '64' + '00000003');
  });

  const requests: Array<[ChannelRequest, string]> = [
    [{ request: 'exec', command: 'ls' }, '00000002 6c73'],
    [{ request: 'shell' }, ''],
    [{ request: 'subsystem', name: 'sftp' }, '00000004 73667470'],
    [{ request: 'env', name: 'A', value: 'b' }, '00000001 41 00000001 62'],
    [{ request: 'pty-req', term: 'xt', cols: 80, rows: 24, widthPx: 0, heightPx: 0, modes: NO_TERMINAL_MODES }, '00000002 7874 00000050 00000018 00000000 00000000 00000001 00'],
    [{ request: 'window-change', cols: 100, rows: 40, widthPx: 1, heightPx: 2 }, '00000064 00000028 00000001 00000002'],
    [{ request: 'signal', signal: 'TERM' }, '00000004 5445524d'],
    [{ request: 'exit-status', status: 3 }, '00000003'],
    [{ request: 'exit-signal', signal: 'KILL', coreDumped: true, message: 'm', language: '' }, '00000004 4b494c4c 01 00000001 6d 00000000'],
    [{ request: 'unknown', name: 'x@y', data: Buffer.of(1, 2) }, '0102'],
  ];
  it.each(requests)('channel request %j', (req, fields) => {
    const name = req.request === 'unknown' ? req.name : req.request;
    const bytes = encodeChannelRequest(9, true, req);
    expect(hex(body(bytes))).toBe('00' + '62' + '00000009' + hex(new WireWriter().string(name).finish()) + '01' + fields.replace(/\s+/g, ''));
    // And back (exec commands decode as bytes).
    const back = decodeSshMessage(body(bytes));
    const expected = req.request === 'exec' ? { ...req, command: Buffer.from(req.command) } : req;
    expect(back).toEqual({ type: 'request', recipient: 9, wantReply: true, ...expected });
  });

  it('decodes every message the master relays', () => {
    expect(decodeSshMessage(h('00 5b 00000001 00000002 00000003 00000004'))).toEqual({ type: 'open-confirmation', recipient: 1, sender: 2, window: 3, maxPacket: 4, data: Buffer.alloc(0) });
    expect(decodeSshMessage(h('00 5c 00000001 00000004 00000002 6e6f 00000000'))).toEqual({ type: 'open-failure', recipient: 1, reason: 4, description: 'no', language: '' });
    expect(decodeSshMessage(h('00 5d 00000001 00000010'))).toEqual({ type: 'window-adjust', recipient: 1, bytes: 16 });
    expect(decodeSshMessage(h('00 5e 00000001 00000001 41'))).toEqual({ type: 'data', recipient: 1, data: Buffer.from('A') });
    expect(decodeSshMessage(h('00 5f 00000001 00000001 00000001 45'))).toEqual({ type: 'extended-data', recipient: 1, dataType: 1, data: Buffer.from('E') });
    expect(decodeSshMessage(h('00 60 00000001'))).toEqual({ type: 'eof', recipient: 1 });
    expect(decodeSshMessage(h('00 61 00000001'))).toEqual({ type: 'close', recipient: 1 });
    expect(decodeSshMessage(h('00 63 00000001'))).toEqual({ type: 'success', recipient: 1 });
    expect(decodeSshMessage(h('00 64 00000001'))).toEqual({ type: 'failure', recipient: 1 });
    expect(decodeSshMessage(h('00 50 00000001 61 01 ff'))).toEqual({ type: 'global-request', name: 'a', wantReply: true, data: Buffer.of(0xff) });
    expect(decodeSshMessage(h('00 51'))).toEqual({ type: 'request-success', data: Buffer.alloc(0) });
    expect(decodeSshMessage(h('00 52'))).toEqual({ type: 'request-failure' });
    expect(decodeSshMessage(body(encodeChannelOpen({ type: 'direct-tcpip', host: 'h', port: 1, originatorHost: 'o', originatorPort: 2 }, 5, 6, 7)))).toEqual({
      type: 'channel-open', channelType: 'direct-tcpip', sender: 5, window: 6, maxPacket: 7, host: 'h', port: 1, originatorHost: 'o', originatorPort: 2,
    });
    expect(decodeSshMessage(body(encodeChannelOpen({ type: 'session' }, 5, 6, 7)))).toEqual({ type: 'channel-open', channelType: 'session', sender: 5, window: 6, maxPacket: 7, data: Buffer.alloc(0) });
  });

  it('rejects padding, unknown numbers, out-of-range ids, truncation and trailing bytes', () => {
    expectThrow(() => decodeSshMessage(h('04 5e')), MuxProtocolError, 'ssh packet: padding length 4 (proxy mode packets are unpadded)');
    const v = expectThrow(() => decodeSshMessage(h('00 02')), MuxProtocolError, 'ssh packet: message number 2 is not a connection-protocol message a proxy client may receive');
    expect(v.reason).toBe('violation');
    expectThrow(() => decodeSshMessage(h('00 60 80000000')), MuxProtocolError, 'ssh message 96: channel id 2147483648 is out of range');
    expectThrow(() => decodeSshMessage(h('00 5e 00000001 00000005 41')), MuxProtocolError, /truncated/);
    expectThrow(() => decodeSshMessage(h('00 60 00000001 00')), MuxProtocolError, 'ssh packet: 1 unexpected trailing bytes');
    expectThrow(() => decodeSshMessage(h('')), MuxProtocolError, /truncated/);
  });
});

describe('FrameSplitter', () => {
  it('splits frames across any chunking', () => {
    const stream = Buffer.concat([encodeEof(1), encodeData(2, Buffer.alloc(1000, 7)), encodeClose(3)]);
    for (const size of [1, 2, 3, 5, 13, 999, stream.length]) {
      const s = new FrameSplitter(1 << 20);
      const frames: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) frames.push(...s.push(stream.subarray(i, i + size)).map((f) => Buffer.from(f)));
      expect(frames.map((f) => decodeSshMessage(f).type)).toEqual(['eof', 'data', 'close']);
      expect(frames).toEqual([encodeEof(1), encodeData(2, Buffer.alloc(1000, 7)), encodeClose(3)].map((p) => p.subarray(4)));
      expect(s.buffered).toBe(0);
    }
  });

  it('refuses a frame longer than the limit', () => {
    const e = expectThrow(() => new FrameSplitter(16).push(h('00000011')), MuxProtocolError, 'mux connection: a frame of 17 bytes is longer than the 16 allowed');
    expect(e.reason).toBe('malformed');
    const split = new FrameSplitter(16);
    expect(split.push(h('0000'))).toEqual([]);
    expectThrow(() => split.push(h('0011')), MuxProtocolError, 'mux connection: a frame of 17 bytes is longer than the 16 allowed');
  });
});
