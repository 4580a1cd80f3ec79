import { connect as netConnect, type Socket } from 'node:net';
import { MuxProtocolError } from '../errors/index.js';
import { debug } from '../log.js';
import { dataHeader, decodeSshMessage, encodeChannelOpen, encodeOpenFailure, OpenFailureReason, type ChannelOpenKind, type SshMessage } from './channel-messages.js';
import { LOCAL_MAX_PACKET, LOCAL_WINDOW, MuxChannel, type ChannelLink } from './channel.js';
import { decodeMuxReply, encodeHello, encodeSimpleRequest, MUX_VERSION, MuxType, type MuxReply } from './control-messages.js';
import { FrameSplitter } from './framing.js';

/**
 * A proxy-mode connection to an OpenSSH master (PROTOCOL.mux section 9, MUX_C_PROXY, OpenSSH
 * >= 7.4): after the mux hello and the proxy request, the control socket carries plain SSH
 * connection-protocol packets, relayed by the master over its authenticated connection. Any
 * number of channels share it.
 *
 * Every packet received is validated; a malformed or out-of-state packet, or the socket
 * closing, fails every channel with a {@link MuxProtocolError} and closes the connection
 * (nothing malformed is ever sent: the master would drop its whole SSH connection).
 */

/** Largest frame accepted: a data packet of our maximum size plus headers, with room for requests. */
const MAX_FRAME = 1024 * 1024;
/** Time allowed for connect + hello + proxy reply. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Open a socket to the ControlPath and do the mux hello; resolves with the socket and a splitter holding what came after. */
export function muxHandshake(ctlPath: string, timeoutMs: number, after: (socket: Socket) => void): Promise<{ socket: Socket; split: FrameSplitter; frames: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(ctlPath);
    const split = new FrameSplitter(MAX_FRAME, 'mux control socket');
    const frames: Buffer[] = [];
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve({ socket, split, frames });
      }
    };
    const timer = setTimeout(() => finish(new MuxProtocolError('connect', `no mux hello from the master on ${ctlPath} within ${timeoutMs} ms`)), timeoutMs);
    const onError = (err: Error) => finish(new MuxProtocolError('connect', `unable to connect to the master's control socket ${ctlPath}: ${err.message}`, { cause: err }));
    const onClose = () => finish(new MuxProtocolError('closed', `the master closed the control socket ${ctlPath} during the mux hello`));
    const onData = (chunk: Buffer) => {
      try {
        frames.push(...split.push(chunk).map((f) => Buffer.from(f)));
        if (frames.length === 0) return;
        const hello = decodeMuxReply(frames.shift()!);
        if (hello.type !== 'hello') throw new MuxProtocolError('violation', `the master sent ${hello.type} instead of its hello`);
        if (hello.version !== MUX_VERSION) throw new MuxProtocolError('unsupported', `the master speaks mux protocol version ${hello.version}; this client needs version ${MUX_VERSION}`);
        finish();
      } catch (err) {
        finish(err as Error);
      }
    };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.setNoDelay?.(true);
    socket.write(encodeHello());
    after(socket);
  });
}

/** Read the next control reply from a socket after the handshake (buffered frames first). */
export function nextReply(socket: Socket, split: FrameSplitter, frames: Buffer[], timeoutMs: number, what: string): Promise<MuxReply> {
  if (frames.length > 0) return Promise.resolve().then(() => decodeMuxReply(frames.shift()!));
  return new Promise((resolve, reject) => {
    const finish = (err: Error | undefined, reply?: MuxReply) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new MuxProtocolError('closed', `no reply from the master to ${what} within ${timeoutMs} ms`)), timeoutMs);
    const onError = (err: Error) => finish(new MuxProtocolError('closed', `the control socket failed during ${what}: ${err.message}`, { cause: err }));
    const onClose = () => finish(new MuxProtocolError('closed', `the master closed the control socket during ${what}`));
    const onData = (chunk: Buffer) => {
      try {
        frames.push(...split.push(chunk).map((f) => Buffer.from(f)));
        if (frames.length > 0) finish(undefined, decodeMuxReply(frames.shift()!));
      } catch (err) {
        finish(err as Error);
      }
    };
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

/** Options of {@link MuxConnection.open}. */
export interface MuxConnectionOptions {
  /** Limit for connect + hello + proxy reply (default 10 s). */
  timeoutMs?: number;
  /** Local window per channel (default 2 MiB). */
  windowSize?: number;
  /** Largest data packet accepted (default 32 KiB). */
  maxPacket?: number;
}

/** One proxy-mode connection and its channels. */
export class MuxConnection implements ChannelLink {
  readonly #socket: Socket;
  readonly #split: FrameSplitter;
  readonly #channels = new Map<number, MuxChannel>();
  #nextId = 0;
  #error: MuxProtocolError | undefined;
  #drainWaiters: Array<() => void> = [];
  readonly #windowSize: number;
  readonly #maxPacket: number;
  /** Called once when the connection fails or closes. */
  onClose: ((err: MuxProtocolError) => void) | undefined;

  private constructor(socket: Socket, split: FrameSplitter, readonly ctlPath: string, o: MuxConnectionOptions) {
    this.#socket = socket;
    this.#split = split;
    this.#windowSize = o.windowSize ?? LOCAL_WINDOW;
    this.#maxPacket = o.maxPacket ?? LOCAL_MAX_PACKET;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('drain', () => {
      for (const w of this.#drainWaiters.splice(0)) w();
    });
    socket.on('error', (err) => this.fail(new MuxProtocolError('closed', `the mux connection to ${ctlPath} failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.fail(new MuxProtocolError('closed', `the master closed the mux connection ${ctlPath}`)));
    socket.unref();
  }

  /** Connect to the master's ControlPath and switch the connection to proxy mode. */
  static async open(ctlPath: string, o: MuxConnectionOptions = {}): Promise<MuxConnection> {
    const timeoutMs = o.timeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    // The proxy request is pipelined right after the hello.
    const { socket, split, frames } = await muxHandshake(ctlPath, timeoutMs, (s) => s.write(encodeSimpleRequest(MuxType.C_PROXY, 1)));
    let reply: MuxReply;
    try {
      reply = await nextReply(socket, split, frames, timeoutMs, 'the proxy request');
    } catch (err) {
      socket.destroy();
      throw err;
    }
    if (reply.type !== 'proxy' || reply.requestId !== 1) {
      socket.destroy();
      const why = reply.type === 'failure' || reply.type === 'permission-denied' ? `: ${reply.reason}` : ` (${reply.type})`;
      throw new MuxProtocolError('unsupported', `the master refused proxy mode${why}; the mux engine needs OpenSSH >= 7.4`);
    }
    const conn = new MuxConnection(socket, split, ctlPath, o);
    // Packets that arrived with the proxy reply.
    for (const f of frames.splice(0)) conn.#dispatchFrame(f);
    return conn;
  }

  /** The failure that ended this connection, if it ended. */
  get error(): MuxProtocolError | undefined {
    return this.#error;
  }

  /** Channels open now. */
  get channelCount(): number {
    return this.#channels.size;
  }

  /** Open a channel; resolves once the server confirmed it, rejects with the open failure (an Error with `openFailureReason`). */
  async openChannel(kind: ChannelOpenKind): Promise<MuxChannel> {
    if (this.#error) throw this.#error;
    const id = this.#allocateId();
    const ch = new MuxChannel(id, this, this.#windowSize, this.#maxPacket);
    this.#channels.set(id, ch);
    this.#socket.ref();
    const opened = ch.opened();
    this.send(encodeChannelOpen(kind, id, this.#windowSize, this.#maxPacket));
    await opened;
    return ch;
  }

  /** Close the socket (channels fail with `closed`). */
  destroy(): void {
    this.fail(new MuxProtocolError('closed', `the mux connection to ${this.ctlPath} was closed`));
  }

  /** Fail every channel with `err` and close the socket. */
  fail(err: MuxProtocolError): void {
    if (this.#error) return;
    this.#error = err;
    debug('mux %s: %s', this.ctlPath, err.message);
    this.#socket.destroy();
    for (const ch of [...this.#channels.values()]) ch.fail(err);
    this.#channels.clear();
    for (const w of this.#drainWaiters.splice(0)) w();
    this.onClose?.(err);
  }

  send(packet: Buffer): boolean {
    if (this.#error) return false;
    this.#batch();
    return this.#socket.write(packet);
  }

  sendData(recipient: number, data: Buffer): boolean {
    if (this.#error) return false;
    this.#batch();
    this.#socket.write(dataHeader(recipient, data.length));
    return this.#socket.write(data);
  }

  /** Whether the socket is corked until the end of this tick. */
  #corked = false;

  /**
   * Packets sent in one tick leave in one write: the socket stays corked until the tick ends
   * (a channel's open, its requests and its EOF, or the replies to a burst of input). One
   * syscall instead of several, and one wake-up of the master to read them.
   */
  #batch(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#socket.cork();
    process.nextTick(() => {
      this.#corked = false;
      this.#socket.uncork();
    });
  }

  whenDrained(cb: () => void): void {
    if (this.#error || !this.#socket.writableNeedDrain) cb();
    else this.#drainWaiters.push(cb);
  }

  release(id: number): void {
    this.#channels.delete(id);
    if (this.#channels.size === 0) this.#socket.unref();
  }

  #allocateId(): number {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = (this.#nextId + 1) & 0x7fff_ffff;
      if (!this.#channels.has(id)) return id;
    }
  }

  #receive(chunk: Buffer): void {
    if (this.#error) return;
    try {
      for (const f of this.#split.push(chunk)) this.#dispatchFrame(f);
    } catch (err) {
      this.fail(err instanceof MuxProtocolError ? err : new MuxProtocolError('violation', `mux connection: ${(err as Error).message}`, { cause: err }));
    }
  }

  #dispatchFrame(frame: Buffer): void {
    if (this.#error) return;
    this.#dispatch(decodeSshMessage(frame));
  }

  #dispatch(m: SshMessage): void {
    switch (m.type) {
      case 'channel-open':
        // Nothing here asks the server to open channels towards us: refuse politely.
        this.send(encodeOpenFailure(m.sender, OpenFailureReason.ADMINISTRATIVELY_PROHIBITED, 'open refused by the client'));
        return;
      case 'global-request':
      case 'request-success':
      case 'request-failure':
        throw new MuxProtocolError('violation', `mux connection: unexpected ${m.type} (this client sends no global requests)`);
      default: {
        const ch = this.#channels.get(m.recipient);
        if (!ch) throw new MuxProtocolError('violation', `mux connection: ${m.type} for unknown channel ${m.recipient}`);
        ch.handle(m);
      }
    }
  }
}
