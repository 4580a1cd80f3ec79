import { MuxProtocolError } from '../errors/index.js';
import { WireReader, WireWriter } from './wire.js';

/**
 * The mux control protocol of OpenSSH (PROTOCOL.mux): each message is a uint32 length, then
 * a uint32 type and its fields. Pure encoders for the client's requests and a decoder for the
 * master's replies.
 */

/** Message types (PROTOCOL.mux section 11; MUX_C_PROXY/MUX_S_PROXY from mux.c). */
export const MuxType = {
  HELLO: 0x0000_0001,
  C_NEW_SESSION: 0x1000_0002,
  C_ALIVE_CHECK: 0x1000_0004,
  C_TERMINATE: 0x1000_0005,
  C_OPEN_FWD: 0x1000_0006,
  C_CLOSE_FWD: 0x1000_0007,
  C_NEW_STDIO_FWD: 0x1000_0008,
  C_STOP_LISTENING: 0x1000_0009,
  C_PROXY: 0x1000_000f,
  S_OK: 0x8000_0001,
  S_PERMISSION_DENIED: 0x8000_0002,
  S_FAILURE: 0x8000_0003,
  S_EXIT_MESSAGE: 0x8000_0004,
  S_ALIVE: 0x8000_0005,
  S_SESSION_OPENED: 0x8000_0006,
  S_REMOTE_PORT: 0x8000_0007,
  S_TTY_ALLOC_FAIL: 0x8000_0008,
  S_PROXY: 0x8000_000f,
} as const;

/** The mux protocol version this client speaks (and the only one OpenSSH accepts). */
export const MUX_VERSION = 4;

/** `MUX_FWD_*`: the kind of a port forwarding. */
export const MuxForwardType = { local: 1, remote: 2, dynamic: 3 } as const;

/** A listen or connect port of `-2` (as uint32) means the host field is a unix socket path. */
export const PORT_STREAMLOCAL = 0xffff_fffe;

/** A port forwarding as MUX_C_OPEN_FWD / MUX_C_CLOSE_FWD carry it. */
export interface MuxForward {
  type: keyof typeof MuxForwardType;
  /** Listen address ('' for the default), or a socket path when `listenPort` is {@link PORT_STREAMLOCAL}. */
  listenHost: string;
  listenPort: number;
  /** Connect address ('' for dynamic forwards), or a socket path with {@link PORT_STREAMLOCAL}. */
  connectHost: string;
  connectPort: number;
}

/** Wrap a message body in its uint32 length. */
function frame(body: Buffer): Buffer {
  return new WireWriter().string(body).finish();
}

/** `MUX_MSG_HELLO`, version 4, no extensions. */
export function encodeHello(): Buffer {
  return frame(new WireWriter().uint32(MuxType.HELLO).uint32(MUX_VERSION).finish());
}

/** A request carrying only its request id: alive check, terminate, stop listening, proxy. */
export function encodeSimpleRequest(
  type: typeof MuxType.C_ALIVE_CHECK | typeof MuxType.C_TERMINATE | typeof MuxType.C_STOP_LISTENING | typeof MuxType.C_PROXY,
  requestId: number,
): Buffer {
  return frame(new WireWriter().uint32(type).uint32(requestId).finish());
}

/** `MUX_C_OPEN_FWD` or `MUX_C_CLOSE_FWD`. */
export function encodeForwardRequest(type: typeof MuxType.C_OPEN_FWD | typeof MuxType.C_CLOSE_FWD, requestId: number, f: MuxForward): Buffer {
  for (const [name, port] of [['listenPort', f.listenPort], ['connectPort', f.connectPort]] as const) {
    if (port !== PORT_STREAMLOCAL && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      throw new TypeError(`forward ${name} must be an integer from 0 to 65535 (or PORT_STREAMLOCAL), received ${String(port)}`);
    }
  }
  return frame(
    new WireWriter()
      .uint32(type)
      .uint32(requestId)
      .uint32(MuxForwardType[f.type])
      .string(f.listenHost)
      .uint32(f.listenPort)
      .string(f.connectHost)
      .uint32(f.connectPort)
      .finish(),
  );
}

/** A message from the master, decoded. */
export type MuxReply =
  | { type: 'hello'; version: number; extensions: Array<{ name: string; value: Buffer }> }
  | { type: 'ok'; requestId: number }
  | { type: 'permission-denied'; requestId: number; reason: string }
  | { type: 'failure'; requestId: number; reason: string }
  | { type: 'alive'; requestId: number; pid: number }
  | { type: 'remote-port'; requestId: number; port: number }
  | { type: 'proxy'; requestId: number };

/**
 * Decode one message body (without its length). Throws a MuxProtocolError: `malformed` for
 * bad bytes, `violation` for a type a control client never receives.
 */
export function decodeMuxReply(body: Buffer): MuxReply {
  const r = new WireReader(body, 'mux message');
  const type = r.uint32();
  let m: MuxReply;
  switch (type) {
    case MuxType.HELLO: {
      const version = r.uint32();
      const extensions: Array<{ name: string; value: Buffer }> = [];
      while (r.remaining > 0) extensions.push({ name: r.string(), value: Buffer.from(r.bytes()) });
      m = { type: 'hello', version, extensions };
      break;
    }
    case MuxType.S_OK:
      m = { type: 'ok', requestId: r.uint32() };
      break;
    case MuxType.S_PERMISSION_DENIED:
      m = { type: 'permission-denied', requestId: r.uint32(), reason: r.string() };
      break;
    case MuxType.S_FAILURE:
      m = { type: 'failure', requestId: r.uint32(), reason: r.string() };
      break;
    case MuxType.S_ALIVE:
      m = { type: 'alive', requestId: r.uint32(), pid: r.uint32() };
      break;
    case MuxType.S_REMOTE_PORT:
      m = { type: 'remote-port', requestId: r.uint32(), port: r.uint32() };
      break;
    case MuxType.S_PROXY:
      m = { type: 'proxy', requestId: r.uint32() };
      break;
    default:
      throw new MuxProtocolError('violation', `mux message: unexpected type 0x${type.toString(16).padStart(8, '0')}`);
  }
  r.end();
  return m;
}
