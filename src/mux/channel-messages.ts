import { MuxProtocolError } from '../errors/index.js';
import { WireReader, WireWriter } from './wire.js';

/**
 * SSH connection-protocol messages (RFC 4254) as proxy mode carries them: each packet is a
 * uint32 length, a padding length of 0, the message number and its fields (PROTOCOL.mux
 * section 9). Pure encoders for what this client sends, and one decoder that validates
 * everything the master relays.
 */

/** Message numbers (RFC 4250 section 4.1.2). */
export const SshMsg = {
  GLOBAL_REQUEST: 80,
  REQUEST_SUCCESS: 81,
  REQUEST_FAILURE: 82,
  CHANNEL_OPEN: 90,
  CHANNEL_OPEN_CONFIRMATION: 91,
  CHANNEL_OPEN_FAILURE: 92,
  CHANNEL_WINDOW_ADJUST: 93,
  CHANNEL_DATA: 94,
  CHANNEL_EXTENDED_DATA: 95,
  CHANNEL_EOF: 96,
  CHANNEL_CLOSE: 97,
  CHANNEL_REQUEST: 98,
  CHANNEL_SUCCESS: 99,
  CHANNEL_FAILURE: 100,
} as const;

/** `SSH_EXTENDED_DATA_STDERR`. */
export const EXTENDED_DATA_STDERR = 1;

/** Reason codes of CHANNEL_OPEN_FAILURE (RFC 4254 section 5.1). */
export const OpenFailureReason = {
  ADMINISTRATIVELY_PROHIBITED: 1,
  CONNECT_FAILED: 2,
  UNKNOWN_CHANNEL_TYPE: 3,
  RESOURCE_SHORTAGE: 4,
} as const;

/** What kind of channel to open, with its type-specific fields. */
export type ChannelOpenKind =
  | { type: 'session' }
  | { type: 'direct-tcpip'; host: string; port: number; originatorHost: string; originatorPort: number }
  /** A connection to a Unix socket on the server (OpenSSH's PROTOCOL section 2.4). */
  | { type: 'direct-streamlocal@openssh.com'; path: string };

/** A channel request (RFC 4254 sections 6.2-6.10), with its type-specific fields. */
export type ChannelRequest =
  | { request: 'pty-req'; term: string; cols: number; rows: number; widthPx: number; heightPx: number; modes: Buffer }
  | { request: 'env'; name: string; value: string }
  | { request: 'shell' }
  | { request: 'exec'; command: string | Buffer }
  | { request: 'subsystem'; name: string }
  | { request: 'window-change'; cols: number; rows: number; widthPx: number; heightPx: number }
  | { request: 'signal'; signal: string }
  | { request: 'exit-status'; status: number }
  | { request: 'exit-signal'; signal: string; coreDumped: boolean; message: string; language: string }
  | { request: 'unknown'; name: string; data: Buffer };

/** A decoded connection-protocol message. */
export type SshMessage =
  | { type: 'global-request'; name: string; wantReply: boolean; data: Buffer }
  | { type: 'request-success'; data: Buffer }
  | { type: 'request-failure' }
  | ({ type: 'channel-open'; sender: number; window: number; maxPacket: number } & ({ channelType: 'direct-tcpip' | 'forwarded-tcpip'; host: string; port: number; originatorHost: string; originatorPort: number } | { channelType: string; data: Buffer }))
  | { type: 'open-confirmation'; recipient: number; sender: number; window: number; maxPacket: number; data: Buffer }
  | { type: 'open-failure'; recipient: number; reason: number; description: string; language: string }
  | { type: 'window-adjust'; recipient: number; bytes: number }
  | { type: 'data'; recipient: number; data: Buffer }
  | { type: 'extended-data'; recipient: number; dataType: number; data: Buffer }
  | { type: 'eof'; recipient: number }
  | { type: 'close'; recipient: number }
  | ({ type: 'request'; recipient: number; wantReply: boolean } & ChannelRequest)
  | { type: 'success'; recipient: number }
  | { type: 'failure'; recipient: number };

/** Largest channel id / window / packet size accepted from the peer (OpenSSH refuses ids above INT_MAX). */
const INT_MAX = 0x7fff_ffff;

/** Start a packet: padding length 0, then the message number. */
function packet(type: number): WireWriter {
  return new WireWriter().byte(0).byte(type);
}

/** Frame a packet in its uint32 length. */
function frame(w: WireWriter): Buffer {
  return new WireWriter().string(w.finish()).finish();
}

/** RFC 4254 5.1 `SSH_MSG_CHANNEL_OPEN`. */
export function encodeChannelOpen(kind: ChannelOpenKind, sender: number, window: number, maxPacket: number): Buffer {
  const w = packet(SshMsg.CHANNEL_OPEN).string(kind.type).uint32(sender).uint32(window).uint32(maxPacket);
  if (kind.type === 'direct-tcpip') {
    checkPort(kind.port, 'direct-tcpip port');
    checkPort(kind.originatorPort, 'direct-tcpip originator port');
    w.string(kind.host).uint32(kind.port).string(kind.originatorHost).uint32(kind.originatorPort);
  } else if (kind.type === 'direct-streamlocal@openssh.com') {
    // socket path, then a reserved string and a reserved uint32 (sshd reads and ignores them)
    if (kind.path === '' || kind.path.includes('\0')) throw new TypeError(`direct-streamlocal socket path must be a non-empty string without NUL, received ${JSON.stringify(kind.path)}`);
    w.string(kind.path).string('').uint32(0);
  }
  return frame(w);
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new TypeError(`${what} must be an integer from 0 to 65535, received ${String(p)}`);
}

/** `SSH_MSG_CHANNEL_OPEN_CONFIRMATION` (the proxy only sends it to accept a server's open). */
export function encodeOpenConfirmation(recipient: number, sender: number, window: number, maxPacket: number): Buffer {
  return frame(packet(SshMsg.CHANNEL_OPEN_CONFIRMATION).uint32(recipient).uint32(sender).uint32(window).uint32(maxPacket));
}

/** `SSH_MSG_CHANNEL_OPEN_FAILURE`: refuse a channel the server tried to open. */
export function encodeOpenFailure(recipient: number, reason: number, description: string): Buffer {
  return frame(packet(SshMsg.CHANNEL_OPEN_FAILURE).uint32(recipient).uint32(reason).string(description).string(''));
}

/** `SSH_MSG_CHANNEL_WINDOW_ADJUST`. */
export function encodeWindowAdjust(recipient: number, bytes: number): Buffer {
  return frame(packet(SshMsg.CHANNEL_WINDOW_ADJUST).uint32(recipient).uint32(bytes));
}

/** `SSH_MSG_CHANNEL_DATA`. */
export function encodeData(recipient: number, data: Uint8Array): Buffer {
  return Buffer.concat([dataHeader(recipient, data.byteLength), data]);
}

/** The 14-byte header of a CHANNEL_DATA packet carrying `length` bytes (write the data right after it). */
export function dataHeader(recipient: number, length: number): Buffer {
  const head = Buffer.allocUnsafe(14);
  head.writeUInt32BE(10 + length, 0);
  head[4] = 0;
  head[5] = SshMsg.CHANNEL_DATA;
  head.writeUInt32BE(recipient, 6);
  head.writeUInt32BE(length, 10);
  return head;
}

/** `SSH_MSG_CHANNEL_EXTENDED_DATA`. */
export function encodeExtendedData(recipient: number, dataType: number, data: Uint8Array): Buffer {
  return frame(packet(SshMsg.CHANNEL_EXTENDED_DATA).uint32(recipient).uint32(dataType).string(data));
}

/** `SSH_MSG_CHANNEL_EOF`. */
export function encodeEof(recipient: number): Buffer {
  return frame(packet(SshMsg.CHANNEL_EOF).uint32(recipient));
}

/** `SSH_MSG_CHANNEL_CLOSE`. */
export function encodeClose(recipient: number): Buffer {
  return frame(packet(SshMsg.CHANNEL_CLOSE).uint32(recipient));
}

/** `SSH_MSG_CHANNEL_SUCCESS` / `SSH_MSG_CHANNEL_FAILURE`: reply to a request of the server. */
export function encodeRequestReply(recipient: number, success: boolean): Buffer {
  return frame(packet(success ? SshMsg.CHANNEL_SUCCESS : SshMsg.CHANNEL_FAILURE).uint32(recipient));
}

/** The terminal-modes string with no mode set (just TTY_OP_END). */
export const NO_TERMINAL_MODES = Buffer.of(0);

/** `SSH_MSG_CHANNEL_REQUEST`. */
export function encodeChannelRequest(recipient: number, wantReply: boolean, r: ChannelRequest): Buffer {
  const w = packet(SshMsg.CHANNEL_REQUEST)
    .uint32(recipient)
    .string(r.request === 'unknown' ? r.name : r.request)
    .bool(wantReply);
  switch (r.request) {
    case 'pty-req':
      w.string(r.term).uint32(r.cols).uint32(r.rows).uint32(r.widthPx).uint32(r.heightPx).string(r.modes);
      break;
    case 'env':
      w.string(r.name).string(r.value);
      break;
    case 'shell':
      break;
    case 'exec':
      w.string(r.command);
      break;
    case 'subsystem':
      w.string(r.name);
      break;
    case 'window-change':
      w.uint32(r.cols).uint32(r.rows).uint32(r.widthPx).uint32(r.heightPx);
      break;
    case 'signal':
      w.string(r.signal);
      break;
    case 'exit-status':
      w.uint32(r.status);
      break;
    case 'exit-signal':
      w.string(r.signal).bool(r.coreDumped).string(r.message).string(r.language);
      break;
    case 'unknown':
      w.raw(r.data);
      break;
  }
  return frame(w);
}

function channelId(r: WireReader, what: string): number {
  const id = r.uint32();
  if (id > INT_MAX) throw new MuxProtocolError('malformed', `${what}: channel id ${id} is out of range`);
  return id;
}

function decodeRequest(r: WireReader, name: string): ChannelRequest {
  switch (name) {
    case 'exit-status':
      return { request: 'exit-status', status: r.uint32() };
    case 'exit-signal':
      return { request: 'exit-signal', signal: r.string(), coreDumped: r.bool(), message: r.string(), language: r.string() };
    case 'pty-req':
      return { request: 'pty-req', term: r.string(), cols: r.uint32(), rows: r.uint32(), widthPx: r.uint32(), heightPx: r.uint32(), modes: Buffer.from(r.bytes()) };
    case 'env':
      return { request: 'env', name: r.string(), value: r.string() };
    case 'shell':
      return { request: 'shell' };
    case 'exec':
      return { request: 'exec', command: Buffer.from(r.bytes()) };
    case 'subsystem':
      return { request: 'subsystem', name: r.string() };
    case 'window-change':
      return { request: 'window-change', cols: r.uint32(), rows: r.uint32(), widthPx: r.uint32(), heightPx: r.uint32() };
    case 'signal':
      return { request: 'signal', signal: r.string() };
    default:
      return { request: 'unknown', name, data: Buffer.from(r.rest()) };
  }
}

/**
 * Decode one proxy-mode packet (the frame body: padding length, message number, fields).
 * Returns the message or throws a MuxProtocolError (`malformed`: bad bytes, trailing bytes,
 * non-zero padding, out-of-range ids; `violation`: a message number the connection protocol
 * does not allow here). Data payloads are views into `body`.
 */
export function decodeSshMessage(body: Buffer): SshMessage {
  const r = new WireReader(body, 'ssh packet');
  const pad = r.byte();
  if (pad !== 0) throw new MuxProtocolError('malformed', `ssh packet: padding length ${pad} (proxy mode packets are unpadded)`);
  const type = r.byte();
  const what = `ssh message ${type}`;
  let m: SshMessage;
  switch (type) {
    case SshMsg.GLOBAL_REQUEST:
      m = { type: 'global-request', name: r.string(), wantReply: r.bool(), data: Buffer.from(r.rest()) };
      break;
    case SshMsg.REQUEST_SUCCESS:
      m = { type: 'request-success', data: Buffer.from(r.rest()) };
      break;
    case SshMsg.REQUEST_FAILURE:
      m = { type: 'request-failure' };
      break;
    case SshMsg.CHANNEL_OPEN: {
      const channelType = r.string();
      const sender = channelId(r, what);
      const window = r.uint32();
      const maxPacket = r.uint32();
      if (channelType === 'direct-tcpip' || channelType === 'forwarded-tcpip') {
        m = { type: 'channel-open', channelType, sender, window, maxPacket, host: r.string(), port: r.uint32(), originatorHost: r.string(), originatorPort: r.uint32() };
      } else {
        m = { type: 'channel-open', channelType, sender, window, maxPacket, data: Buffer.from(r.rest()) };
      }
      break;
    }
    case SshMsg.CHANNEL_OPEN_CONFIRMATION:
      m = { type: 'open-confirmation', recipient: channelId(r, what), sender: channelId(r, what), window: r.uint32(), maxPacket: r.uint32(), data: Buffer.from(r.rest()) };
      break;
    case SshMsg.CHANNEL_OPEN_FAILURE:
      m = { type: 'open-failure', recipient: channelId(r, what), reason: r.uint32(), description: r.string(), language: r.remaining > 0 ? r.string() : '' };
      break;
    case SshMsg.CHANNEL_WINDOW_ADJUST:
      m = { type: 'window-adjust', recipient: channelId(r, what), bytes: r.uint32() };
      break;
    case SshMsg.CHANNEL_DATA:
      m = { type: 'data', recipient: channelId(r, what), data: r.bytes() };
      break;
    case SshMsg.CHANNEL_EXTENDED_DATA:
      m = { type: 'extended-data', recipient: channelId(r, what), dataType: r.uint32(), data: r.bytes() };
      break;
    case SshMsg.CHANNEL_EOF:
      m = { type: 'eof', recipient: channelId(r, what) };
      break;
    case SshMsg.CHANNEL_CLOSE:
      m = { type: 'close', recipient: channelId(r, what) };
      break;
    case SshMsg.CHANNEL_REQUEST: {
      const recipient = channelId(r, what);
      const name = r.string();
      const wantReply = r.bool();
      m = { type: 'request', recipient, wantReply, ...decodeRequest(r, name) };
      break;
    }
    case SshMsg.CHANNEL_SUCCESS:
      m = { type: 'success', recipient: channelId(r, what) };
      break;
    case SshMsg.CHANNEL_FAILURE:
      m = { type: 'failure', recipient: channelId(r, what) };
      break;
    default:
      throw new MuxProtocolError('violation', `ssh packet: message number ${type} is not a connection-protocol message a proxy client may receive`);
  }
  r.end();
  return m;
}
