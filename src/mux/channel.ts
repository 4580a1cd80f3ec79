import { Readable, Writable } from 'node:stream';
import { MuxProtocolError } from '../errors/index.js';
import {
  EXTENDED_DATA_STDERR,
  encodeChannelRequest,
  encodeClose,
  encodeEof,
  encodeWindowAdjust,
  encodeRequestReply,
  type ChannelRequest,
  type SshMessage,
} from './channel-messages.js';

/**
 * One SSH channel over a proxy connection (RFC 4254 section 5): its two windows, the remote
 * stdin as a Writable, stdout and stderr (extended data type 1) as Readables, channel
 * requests with their replies, exit-status / exit-signal, and EOF / CLOSE in order.
 *
 * Flow control: incoming data is pushed into the Readables and the window is given back
 * (WINDOW_ADJUST) only for bytes the consumer has read, so an unread stream stops the remote
 * side after one window instead of growing memory. Outgoing data waits for the peer's window
 * and is cut to its maximum packet size; writes complete once the socket accepted them.
 */

/** What a channel needs from its connection. */
export interface ChannelLink {
  /** Queue a framed packet; false when the socket buffer is full (wait for `drain`). */
  send(packet: Buffer): boolean;
  /** Queue a CHANNEL_DATA packet for `recipient` without copying `data`. */
  sendData(recipient: number, data: Buffer): boolean;
  /** Call `cb` once the socket buffer has drained (at once if it is not full). */
  whenDrained(cb: () => void): void;
  /** The channel is gone on both sides: forget its id. */
  release(id: number): void;
}

/** How a channel's remote command ended. */
export interface ChannelExit {
  /** `exit-status`, when the server sent one. */
  exitCode: number | undefined;
  /** `exit-signal`: the signal name without `SIG` (`TERM`), when the server sent one. */
  signal: string | undefined;
  coreDumped: boolean;
  /** The message of `exit-signal`. */
  message: string;
  /** Why the channel failed (the connection broke), if it did. */
  error: Error | undefined;
}

type State = 'opening' | 'open' | 'closed';

/** Default local window (as OpenSSH's session channels: 2 MiB) and maximum packet size. */
export const LOCAL_WINDOW = 2 * 1024 * 1024;
export const LOCAL_MAX_PACKET = 32 * 1024;

export class MuxChannel {
  state: State = 'opening';
  remoteId = -1;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Settles once the channel is closed on both sides (or failed); never rejects. */
  readonly closed: Promise<ChannelExit>;
  readonly exit: ChannelExit = { exitCode: undefined, signal: undefined, coreDumped: false, message: '', error: undefined };

  #remoteWindow = 0;
  #remoteMaxPacket = 0;
  #localWindow: number;
  #eofSent = false;
  #eofReceived = false;
  #closeSent = false;
  #replies: Array<(ok: boolean) => void> = [];
  #pendingWrite: { chunk: Buffer; offset: number; cb: (err?: Error | null) => void } | undefined;
  #resolveClosed!: (e: ChannelExit) => void;
  #openWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  #settled = false;
  #discarding = false;
  /** The deferred window check (see #giveWindow), while one is pending. */
  #windowCheck: NodeJS.Immediate | undefined;

  constructor(
    readonly id: number,
    private readonly link: ChannelLink,
    readonly localWindowSize = LOCAL_WINDOW,
    readonly localMaxPacket = LOCAL_MAX_PACKET,
  ) {
    this.#localWindow = localWindowSize;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    // A high-water mark of a whole window: read() asks for more whenever the consumer took
    // something, which is when window is given back. read() calls this before it takes the
    // bytes from the buffer, hence the microtask.
    const read = () => queueMicrotask(() => this.#giveWindow());
    this.stdout = new Readable({ highWaterMark: localWindowSize, read });
    this.stderr = new Readable({ highWaterMark: localWindowSize, read });
    this.stdin = new Writable({
      highWaterMark: 64 * 1024,
      write: (chunk: Buffer, _enc, cb) => this.#write(chunk, 0, cb),
      final: (cb) => {
        this.sendEof();
        cb();
      },
    });
  }

  /** Wait for OPEN_CONFIRMATION; rejects with the open failure. */
  opened(): Promise<void> {
    return new Promise((resolve, reject) => (this.#openWaiter = { resolve, reject }));
  }

  /** Send a channel request; with `wantReply`, resolves true on SUCCESS, false on FAILURE. */
  request(r: ChannelRequest, wantReply: boolean): Promise<boolean> {
    if (this.state !== 'open' || this.#closeSent) return Promise.resolve(false);
    this.link.send(encodeChannelRequest(this.remoteId, wantReply, r));
    if (!wantReply) return Promise.resolve(true);
    return new Promise((resolve) => this.#replies.push(resolve));
  }

  /** Send EOF (no more stdin) once. */
  sendEof(): void {
    if (this.state !== 'open' || this.#eofSent || this.#closeSent) return;
    this.#eofSent = true;
    this.link.send(encodeEof(this.remoteId));
  }

  /** Send CLOSE once; the channel is gone when the peer's CLOSE arrives. */
  close(): void {
    if (this.state !== 'open' || this.#closeSent) return;
    this.#closeSent = true;
    this.link.send(encodeClose(this.remoteId));
  }

  /** Fail the channel (the connection broke): every stream ends, `closed` settles with the error. */
  fail(err: Error): void {
    if (this.state === 'closed') return;
    this.#openWaiter?.reject(err);
    this.#openWaiter = undefined;
    if (!this.#settled) this.exit.error ??= err;
    this.#settle();
    this.#release();
  }

  /**
   * Send CLOSE and stop waiting for the peer's: `closed` settles now. The id stays reserved
   * until the peer's CLOSE arrives (sshd answers only once the remote command's output is
   * closed, which for a command that ignored our signal can be much later).
   */
  abandon(): void {
    this.close();
    if (this.state !== 'open' || this.#settled) return;
    this.#settle();
    // Nobody will read what is left once the channel is given up: let it go.
    for (const s of [this.stdout, this.stderr]) if (!s.destroyed) s.resume();
  }

  /**
   * Stop delivering output: what is buffered and what still arrives is dropped and its window
   * given back, so a remote command that was stopped can flush and close even when nobody reads.
   */
  discard(): void {
    if (this.#discarding) return;
    this.#discarding = true;
    if (this.state !== 'open' || this.#closeSent || this.#eofReceived) return;
    const owed = this.localWindowSize - this.#localWindow;
    if (owed > 0) {
      this.#localWindow += owed;
      this.link.send(encodeWindowAdjust(this.remoteId, owed));
    }
  }

  /** The channel is closed on our side and nothing more is expected from it. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Handle a message addressed to this channel. Throws a MuxProtocolError on a violation. */
  handle(m: SshMessage): void {
    const bad = (why: string) => new MuxProtocolError('violation', `channel ${this.id}: ${why}`);
    if (this.state === 'opening') {
      if (m.type === 'open-confirmation') {
        if (m.maxPacket === 0) throw bad('the peer announced a maximum packet size of 0');
        this.state = 'open';
        this.remoteId = m.sender;
        this.#remoteWindow = m.window;
        this.#remoteMaxPacket = Math.min(m.maxPacket, 256 * 1024);
        this.#openWaiter?.resolve();
        this.#openWaiter = undefined;
        return;
      }
      if (m.type === 'open-failure') {
        const err = Object.assign(new Error(m.description || `open failed (reason ${m.reason})`), { openFailureReason: m.reason });
        this.#openWaiter?.reject(err);
        this.#openWaiter = undefined;
        this.state = 'closed';
        this.link.release(this.id);
        this.#resolveClosed(this.exit);
        return;
      }
      throw bad(`${m.type} before the channel was confirmed`);
    }
    if (this.state === 'closed') throw bad(`${m.type} after the channel was closed`);
    switch (m.type) {
      case 'window-adjust':
        if (this.#remoteWindow + m.bytes > 0xffff_ffff) throw bad('the peer window grew past 2^32-1');
        this.#remoteWindow += m.bytes;
        this.#resumeWrite();
        return;
      case 'data':
      case 'extended-data': {
        if (this.#eofReceived) throw bad('data after EOF');
        if (m.data.length > this.localMaxPacket) throw bad(`a data packet of ${m.data.length} bytes is larger than the maximum packet size ${this.localMaxPacket}`);
        if (m.data.length > this.#localWindow) throw bad(`${m.data.length} bytes of data with a window of ${this.#localWindow}`);
        this.#localWindow -= m.data.length;
        if (this.#closeSent) return; // in flight before our CLOSE: dropped, as RFC 4254 allows
        if (this.#discarding) {
          this.#localWindow += m.data.length;
          this.link.send(encodeWindowAdjust(this.remoteId, m.data.length));
          return;
        }
        // No copy: the packet is a view of a socket chunk that is never reused (see
        // FrameSplitter); it may keep that chunk (at most a few packets) alive while unread.
        if (m.type === 'data') this.stdout.push(m.data);
        else if (m.dataType === EXTENDED_DATA_STDERR) this.stderr.push(m.data);
        // Other extended data types are discarded: their bytes count as consumed below.
        this.#giveWindow();
        return;
      }
      case 'eof':
        if (this.#eofReceived) throw bad('a second EOF');
        this.#eofReceived = true;
        if (this.#settled) return;
        this.stdout.push(null);
        this.stderr.push(null);
        return;
      case 'close':
        // Answer the peer's CLOSE with ours, then the channel is gone (RFC 4254 5.3).
        if (!this.#closeSent) {
          this.#closeSent = true;
          this.link.send(encodeClose(this.remoteId));
        }
        this.#settle();
        this.#release();
        return;
      case 'request':
        if (m.request === 'exit-status') this.exit.exitCode = m.status;
        else if (m.request === 'exit-signal') Object.assign(this.exit, { signal: m.signal, coreDumped: m.coreDumped, message: m.message });
        else if (m.wantReply && !this.#closeSent) this.link.send(encodeRequestReply(this.remoteId, false));
        return;
      case 'success':
      case 'failure': {
        const reply = this.#replies.shift();
        if (!reply) throw bad(`a ${m.type} reply with no request waiting for one`);
        reply(m.type === 'success');
        return;
      }
      default:
        throw bad(`unexpected ${m.type}`);
    }
  }

  /**
   * Give back the window for bytes that have left the Readables' buffers: at once when a
   * quarter of the window (at least three packets) was consumed, else, when the peer has less
   * than a quarter left, once per event-loop turn for whatever was consumed. A Readable only
   * asks again (`read()`) after the next push, so the peer is never left without window.
   */
  #giveWindow(): void {
    if (this.state !== 'open' || this.#closeSent || this.#eofReceived) return;
    const buffered = this.stdout.readableLength + this.stderr.readableLength;
    const consumed = this.localWindowSize - this.#localWindow - buffered;
    if (consumed <= 0) return;
    if (consumed >= Math.max(3 * this.localMaxPacket, this.localWindowSize / 4)) {
      this.#adjust(consumed);
    } else if (this.#localWindow < this.localWindowSize / 4 && !this.#windowCheck) {
      // The peer is short of window: give back what was consumed, once per event-loop turn (as
      // OpenSSH checks its windows once per loop). Each WINDOW_ADJUST is a write and wakes the
      // master, so a quarter of the window at a time, not one per packet read.
      this.#windowCheck = setImmediate(() => {
        this.#windowCheck = undefined;
        if (this.state !== 'open' || this.#closeSent || this.#eofReceived) return;
        const owed = this.localWindowSize - this.#localWindow - this.stdout.readableLength - this.stderr.readableLength;
        if (owed > 0) this.#adjust(owed);
      });
    }
  }

  #adjust(bytes: number): void {
    this.#localWindow += bytes;
    this.link.send(encodeWindowAdjust(this.remoteId, bytes));
  }

  #write(chunk: Buffer, offset: number, cb: (err?: Error | null) => void): void {
    if (this.state !== 'open' || this.#closeSent || this.#eofSent) {
      cb(this.exit.error ?? null); // the remote side is gone: dropped, like a write after EPIPE
      return;
    }
    while (offset < chunk.length) {
      if (this.#remoteWindow === 0) {
        this.#pendingWrite = { chunk, offset, cb };
        return;
      }
      const n = Math.min(chunk.length - offset, this.#remoteWindow, this.#remoteMaxPacket);
      this.link.sendData(this.remoteId, offset === 0 && n === chunk.length ? chunk : chunk.subarray(offset, offset + n));
      this.#remoteWindow -= n;
      offset += n;
    }
    this.link.whenDrained(() => cb());
  }

  #resumeWrite(): void {
    const p = this.#pendingWrite;
    if (!p || this.#remoteWindow === 0) return;
    this.#pendingWrite = undefined;
    this.#write(p.chunk, p.offset, p.cb);
  }

  #release(): void {
    this.state = 'closed';
    this.link.release(this.id);
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#windowCheck) clearImmediate(this.#windowCheck);
    this.#windowCheck = undefined;
    // Replies may still arrive for these requests: keep their places in the queue.
    this.#replies = this.#replies.map((r) => {
      r(false);
      return () => {};
    });
    const p = this.#pendingWrite;
    this.#pendingWrite = undefined;
    p?.cb(this.exit.error ?? null);
    const err = this.exit.error;
    for (const s of [this.stdout, this.stderr]) {
      if (s.destroyed) continue;
      // The error goes to the stream only if someone listens; `closed` carries it anyway.
      if (err && s.listenerCount('error') > 0) s.destroy(err);
      else if (!this.#eofReceived) s.push(null);
    }
    if (!this.stdin.destroyed) this.stdin.destroy();
    this.#resolveClosed(this.exit);
  }
}
