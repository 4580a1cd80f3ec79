import type { Open2, StreamOptions } from '../openssh.js';
import type { Command } from '../quote/command.js';
import type { SshProcess } from '../run/execute.js';
import { optMs, optSignal } from '../options/validate.js';
import { Sftp } from './client.js';
import { EXT } from './constants.js';
import { decodeLimits, type SftpLimits } from './extensions.js';
import { encodeExtended } from './messages.js';
import { SftpSession, type SftpTransport } from './session.js';
import { canPair, socketPair } from './socket.js';

/** Options of `ssh.sftp()` and {@link sftpOverTransport}. */
export interface SftpOptions {
  /** The subsystem to open (default `'sftp'`). */
  subsystem?: string;
  /**
   * Run this remote command as the SFTP server instead of opening a subsystem, e.g.
   * `['/usr/lib/openssh/sftp-server', '-l', 'INFO']` (also `sudo` wrappers).
   */
  serverCommand?: Command;
  /**
   * Requests kept in flight by the bulk methods and the streams. Default: for downloads
   * (fastGet, downloadDir, readFile) 8 MiB worth of `chunkSize`, for the rest 4 MiB worth,
   * from 8 to 64 (32 and 16 of OpenSSH's 255 KiB; 64 of 32 KiB). Given, it applies to both.
   */
  concurrency?: number;
  /** Bytes per read/write request (default: the server's limits, up to 255 KiB; 32 KiB without limits@openssh.com). */
  chunkSize?: number;
  /** The largest packet accepted from the server (default 4 MiB); a larger one is OSSH_SFTP_PROTOCOL. */
  maxPacketLength?: number;
  /** Send SSH_FXP_SYMLINK in the draft's argument order (for servers other than OpenSSH's). */
  symlinkDraftOrder?: boolean;
  /** Milliseconds to wait for the session to start (the ssh process and the VERSION reply). */
  timeout?: number;
  /** Cancel the start. */
  signal?: AbortSignal;
  /** Extra ssh options for the channel's ssh process (as the command methods' `sshOpts`). */
  sshOpts?: readonly string[];
}

const KNOWN = new Set(['subsystem', 'serverCommand', 'concurrency', 'chunkSize', 'maxPacketLength', 'symlinkDraftOrder', 'timeout', 'signal', 'sshOpts']);

function optInt(name: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new TypeError(`option '${name}' of sftp() must be an integer from ${min} to ${max}, received ${String(v)}`);
  return v;
}

/** Check the options at once (TypeErrors name the option). */
export function normalizeSftpOptions(o: unknown = {}): SftpOptions {
  if (typeof o !== 'object' || o === null) throw new TypeError(`the options of sftp() must be an object, received ${o === null ? 'null' : typeof o}`);
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) throw new TypeError(`unknown option '${k}' of sftp(); known: ${[...KNOWN].join(', ')}`);
  const v = o as SftpOptions;
  if (v.subsystem !== undefined && (typeof v.subsystem !== 'string' || !/^[\w.@-]+$/.test(v.subsystem))) {
    throw new TypeError(`option 'subsystem' of sftp() must be a subsystem name such as 'sftp', received ${JSON.stringify(v.subsystem)}`);
  }
  if (v.subsystem !== undefined && v.serverCommand !== undefined) throw new TypeError("options 'subsystem' and 'serverCommand' of sftp() cannot be used together");
  optInt('concurrency', v.concurrency, 1, 1024);
  optInt('chunkSize', v.chunkSize, 1, 16 * 1024 * 1024);
  optInt('maxPacketLength', v.maxPacketLength, 1024, 256 * 1024 * 1024);
  optMs('timeout', v.timeout);
  optSignal('signal', v.signal);
  return v;
}

/** The largest chunk asked for by default: what OpenSSH's server allows (256 KiB less 1 KiB). */
const MAX_DEFAULT_CHUNK = 255 * 1024;

/** Bytes the bulk writes (and the streams) keep in flight by default. */
const IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/** Bytes the bulk reads keep in flight by default. */
const READ_IN_FLIGHT_BYTES = 8 * 1024 * 1024;

/** `bytes` worth of `chunkSize` requests, from 8 to 64 (OpenSSH's sftp keeps 64). */
function requestsFor(bytes: number, chunkSize: number): number {
  return Math.max(8, Math.min(64, Math.round(bytes / chunkSize)));
}

/**
 * WRITE requests in flight by default: 4 MiB worth, from 8 to 64 (16 x 255 KiB with
 * OpenSSH's server). More only fills buffers along the way (the SSH channel's window is
 * 2 MiB) and costs CPU. In one-off scripts with bench/sftp.mjs's setup (10 interleaved
 * 512 MiB fastPuts per setting, on the benchmark VM), the median was 0.96x OpenSSH's `sftp`
 * with 16 in flight, 0.91x with 8 and with 32.
 */
export function defaultConcurrency(chunkSize: number): number {
  return requestsFor(IN_FLIGHT_BYTES, chunkSize);
}

/**
 * READ requests in flight by default: 8 MiB worth, from 8 to 64 (32 x 255 KiB with OpenSSH's
 * server, 64 x 32 KiB without its limits). A download needs the deeper queue: with 2 MiB in
 * flight (one channel window) the sftp server waits for each next request, every process
 * sleeps and wakes per chunk, and in a one-off script with bench/sftp.mjs's setup a 512 MiB
 * fastGet ran at 400-490 MiB/s with 500-780 ms of Node CPU, against 610-680 MiB/s and
 * 250-290 ms with 32 or 64 in flight (OpenSSH's sftp: 670-720 MiB/s).
 */
export function defaultReadConcurrency(chunkSize: number): number {
  return requestsFor(READ_IN_FLIGHT_BYTES, chunkSize);
}

/** Start SFTP on any byte channel: INIT/VERSION, then the server's limits when offered. */
export async function sftpOverTransport(transport: SftpTransport, options: SftpOptions = {}): Promise<Sftp> {
  const o = normalizeSftpOptions(options);
  const timeout = optMs('timeout', o.timeout);
  const session = await SftpSession.start(transport, { maxPacketLength: o.maxPacketLength, signal: o.signal, timeout });
  let limits: SftpLimits | undefined;
  try {
    if (session.has(EXT.LIMITS)) limits = decodeLimits(await session.extended((id) => encodeExtended(id, EXT.LIMITS), { operation: 'limits', signal: o.signal, timeout }));
  } catch (e) {
    session.destroy();
    throw e;
  }
  const serverMax = Math.min(limits?.maxReadLength || MAX_DEFAULT_CHUNK, limits?.maxWriteLength || MAX_DEFAULT_CHUNK, MAX_DEFAULT_CHUNK);
  const chunkSize = o.chunkSize ?? (limits ? serverMax : 32 * 1024);
  const settings = {
    chunkSize,
    concurrency: o.concurrency ?? defaultConcurrency(chunkSize),
    readConcurrency: o.concurrency ?? defaultReadConcurrency(chunkSize),
    symlinkDraftOrder: o.symlinkDraftOrder ?? false,
  };
  return new Sftp(session, settings, limits);
}

/** How openssh.ts starts the channel's ssh process: its `open2()`. */
export type Open2Fn = (cmd: Command, options: StreamOptions) => Promise<Open2<string | Buffer>>;

/** How openssh.ts starts it with a socket (an fd) as its stdin and stdout. */
export type SocketStartFn = (cmd: Command, options: StreamOptions, fd: number) => Promise<SshProcess>;

/** The ways to start the channel's process: `socket` only where it runs as a local ssh process (spawn engine). */
export interface SftpStarters {
  open2: Open2Fn;
  socket?: SocketStartFn | undefined;
}

/**
 * `ssh.sftp()`: one `ssh -S ctl -s <host> sftp` process (or the `serverCommand`) for the
 * whole session. On the spawn engine (Linux) its stdin and stdout are one socket this side
 * reads into a buffer used over and over (src/sftp/socket.ts); otherwise (the mux engine's
 * channel, other systems) the session speaks over `open2()`'s streams.
 */
export function openSftp(start: SftpStarters, options: SftpOptions = {}): Promise<Sftp> {
  return startSftp(start, normalizeSftpOptions(options));
}

async function startSftp(start: SftpStarters, o: SftpOptions): Promise<Sftp> {
  const base: StreamOptions = { encoding: 'buffer', timeout: 0, idleTimeout: 0, ...(o.sshOpts ? { sshOpts: o.sshOpts } : {}) };
  const cmd: Command = o.serverCommand ?? o.subsystem ?? 'sftp';
  const opts: StreamOptions = o.serverCommand !== undefined ? base : { ...base, subsystem: true };
  let transport: SftpTransport;
  let kill: () => void;
  if (start.socket && canPair) {
    const pair = await socketPair();
    let p: SshProcess;
    try {
      p = await start.socket(cmd, opts, pair.fd);
    } catch (e) {
      pair.mine.destroy();
      throw e;
    } finally {
      // The process has its copy: this one must not read what the process is to read.
      pair.theirs.destroy();
    }
    const done = p.result.then(() => undefined);
    done.catch(() => {});
    kill = () => p.kill('SIGTERM');
    transport = { readable: pair.mine, writable: pair.mine, subscribe: pair.subscribe, done, destroy: () => (kill(), pair.mine.destroy()) };
  } else {
    const p = await start.open2(cmd, opts);
    const done = p.done.then(() => undefined);
    done.catch(() => {});
    kill = () => p.kill('SIGTERM');
    transport = { readable: p.stdout, writable: p.stdin, done, destroy: kill };
  }
  try {
    return await sftpOverTransport(transport, o);
  } catch (e) {
    transport.destroy!();
    throw e;
  }
}
