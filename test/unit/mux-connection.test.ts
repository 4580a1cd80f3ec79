import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MuxProtocolError } from '../../src/errors/index.js';
import { decodeSshMessage, encodeClose, encodeData, encodeEof, encodeOpenConfirmation, encodeRequestReply, encodeWindowAdjust } from '../../src/mux/channel-messages.js';
import { FrameSplitter } from '../../src/mux/framing.js';
import { MuxConnection } from '../../src/mux/connection.js';
import { mulberry32 } from '../helpers/prng.js';

/**
 * A hostile peer on a unix socket: it answers the mux hello and the proxy request like a
 * master, then sends what each test scripts. Not a model of ssh: a source of bad input for
 * the packet validation, which must fail every channel with a MuxProtocolError and never
 * throw, crash or hang.
 */
const dir = mkdtempSync(join(tmpdir(), 'osmux-hostile-'));
let server: Server;
let script: (sock: Socket, received: Buffer[]) => void = () => {};
const path = join(dir, 'ctl');

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const HELLO = hex('00000008 00000001 00000004');
const PROXY_OK = hex('00000008 8000000f 00000001');

beforeAll(async () => {
  server = createServer((sock) => {
    const received: Buffer[] = [];
    sock.on('error', () => {});
    sock.write(HELLO);
    let greeted = false;
    sock.on('data', (c: Buffer) => {
      received.push(c);
      if (!greeted && Buffer.concat(received).length >= 24) {
        greeted = true;
        sock.write(PROXY_OK);
        script(sock, received);
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** Open a connection and one channel confirmed by the peer (as channel 0 → remote 7, window 1 MiB). */
async function openWithChannel(after: (sock: Socket) => void) {
  script = (sock) => {
    // Confirm the first CHANNEL_OPEN as soon as it arrives, then run the test's part.
    sock.once('data', () => {
      sock.write(encodeOpenConfirmation(0, 7, 1 << 20, 32768));
      setTimeout(() => after(sock), 10);
    });
  };
  const conn = await MuxConnection.open(path, { timeoutMs: 2000 });
  const ch = await conn.openChannel({ type: 'session' });
  ch.stdout.resume();
  ch.stderr.resume();
  return { conn, ch };
}

describe('MuxConnection against a hostile peer', () => {
  it('handshake: the proxy request is sent after the hello', async () => {
    let got: Buffer | undefined;
    script = (_s, received) => (got = Buffer.concat(received));
    const conn = await MuxConnection.open(path);
    expect(got!.toString('hex')).toBe('00000008000000010000000400000008' + '1000000f00000001');
    conn.destroy();
  });

  const violations: Array<[string, Buffer, RegExp]> = [
    ['data for an unknown channel', encodeData(5, Buffer.from('x')), /^mux connection: data for unknown channel 5$/],
    ['a data packet larger than the maximum packet size', encodeData(0, Buffer.alloc(40000)), /larger than the maximum packet size 32768/],
    ['a reply nobody asked for', encodeRequestReply(0, true), /^channel 0: a success reply with no request waiting for one$/],
    ['a second EOF', Buffer.concat([encodeEof(0), encodeEof(0)]), /^channel 0: a second EOF$/],
    ['data after EOF', Buffer.concat([encodeEof(0), encodeData(0, Buffer.from('x'))]), /^channel 0: data after EOF$/],
    ['a window past 2^32-1', Buffer.concat([encodeWindowAdjust(0, 0xffff_ffff)]), /^channel 0: the peer window grew past 2\^32-1$/],
    ['a padded packet', hex('00000003 04 5e 00'), /padding length 4/],
    ['a transport message', hex('00000002 00 01'), /message number 1 is not a connection-protocol message/],
    ['a global request', hex('0000000b 00 50 00000004 74657374 00'), /unexpected global-request/],
    ['a frame longer than allowed', hex('7fffffff 00'), /a frame of 2147483647 bytes is longer than/],
  ];
  it.each(violations)('%s fails the channel and the connection with a MuxProtocolError', async (_name, bytes, message) => {
    const { conn, ch } = await openWithChannel((sock) => sock.write(bytes));
    const exit = await ch.closed;
    expect(exit.error).toBeInstanceOf(MuxProtocolError);
    expect((exit.error as Error).message).toMatch(message);
    expect(conn.error).toBe(exit.error);
    // Later opens fail at once with the same error.
    await expect(conn.openChannel({ type: 'session' })).rejects.toBe(exit.error);
  });

  it('gives the window back in a few large WINDOW_ADJUSTs (not one per packet), all of it', async () => {
    let peer: Socket | undefined;
    let rec: Buffer[] = [];
    script = (sock, received) => {
      peer = sock;
      rec = received;
      sock.once('data', () => sock.write(encodeOpenConfirmation(0, 7, 1 << 20, 32768)));
    };
    const conn = await MuxConnection.open(path, { timeoutMs: 2000 });
    const ch = await conn.openChannel({ type: 'session' });
    const window = 2 * 1024 * 1024;
    let read = 0;
    const all = new Promise<void>((resolve) => ch.stdout.on('data', (c: Buffer) => (read += c.length) === window && resolve()));
    for (let i = 0; i < window / 32768; i++) peer!.write(encodeData(0, Buffer.alloc(32768, i)));
    await all;
    await new Promise((r) => setTimeout(r, 50));
    const split = new FrameSplitter(1 << 20);
    const frames = split.push(Buffer.concat(rec).subarray(24)).map((f) => decodeSshMessage(f));
    const adjusts = frames.filter((m) => m.type === 'window-adjust').map((m) => (m as { bytes: number }).bytes);
    expect(adjusts.reduce((a, b) => a + b, 0)).toBe(window);
    expect(adjusts.length).toBeGreaterThan(0);
    expect(adjusts.length).toBeLessThanOrEqual(8);
    conn.destroy();
  });

  it('a close of the socket fails pending opens and open channels', async () => {
    script = (sock) => sock.once('data', () => sock.destroy());
    const conn = await MuxConnection.open(path);
    const e = (await conn.openChannel({ type: 'session' }).catch((x: unknown) => x)) as MuxProtocolError;
    expect(e).toBeInstanceOf(MuxProtocolError);
    expect(e.reason).toBe('closed');
  });

  it('a CLOSE is answered and frees the channel', async () => {
    const { conn, ch } = await openWithChannel((sock) => sock.write(Buffer.concat([encodeEof(0), encodeClose(0)])));
    const exit = await ch.closed;
    expect(exit.error).toBeUndefined();
    expect(conn.channelCount).toBe(0);
    conn.destroy();
  });

  it('random packets after a confirmed channel: a MuxProtocolError or a clean end, never a crash or hang', async () => {
    const rand = mulberry32(77);
    for (let round = 0; round < 40; round++) {
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 60) }, () => Math.floor(rand() * 256)));
      // A plausible header half the time: a length that fits, padding 0, a channel message number.
      if (rand() < 0.5 && junk.length >= 6) {
        junk.writeUInt32BE(junk.length - 4, 0);
        junk[4] = 0;
        junk[5] = 91 + Math.floor(rand() * 10);
      }
      const { conn, ch } = await openWithChannel((sock) => {
        sock.write(junk);
        // Then end it all, so a packet that was valid by chance still ends the test.
        setTimeout(() => sock.destroy(), 20);
      });
      const exit = await ch.closed;
      if (exit.error) expect(exit.error).toBeInstanceOf(MuxProtocolError);
      conn.destroy();
    }
  });
});
