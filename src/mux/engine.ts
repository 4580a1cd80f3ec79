import { createReadStream, createWriteStream, open, read, write, writev } from 'node:fs';
import { finished, Readable, Writable } from 'node:stream';
import { constants as osConstants } from 'node:os';
import { nodeEngine, type Engine, type ProcessExit, type RemoteOperation, type RunningProcess, type SpawnRequest, type StdioSlot } from '../run/engine.js';
import { debug } from '../log.js';
import { NO_TERMINAL_MODES, type ChannelOpenKind } from './channel-messages.js';
import type { MuxChannel } from './channel.js';
import { MuxConnection, type MuxConnectionOptions } from './connection.js';

/**
 * The mux engine: a slave's remote side as a channel over one persistent proxy-mode
 * connection per master (see {@link MuxConnection}), no process per command. Plain process
 * requests (the master itself, scp, rsync, local commands) go to the `base` engine.
 */
export interface MuxEngine extends Engine {
  spawnRemote(request: SpawnRequest & { remote: RemoteOperation }): Promise<RunningProcess>;
  /** Close every proxy connection (their channels fail). */
  close(): void;
  /** The engine that starts local processes (the master, scp, rsync) for this one. */
  readonly base: Engine;
}

/** Time to wait for the peer's CLOSE after ours before the channel is given up. */
const CLOSE_AFTER_KILL_MS = 1000;
/** Time output still gets to be read after a kill before it is dropped. */
const DRAIN_AFTER_KILL_MS = 100;
/** Time piped output gets to be read after the channel closed before it is dropped (nodeEngine's too). */
const DRAIN_AFTER_EXIT_MS = 2000;

/** `TERM` → `SIGTERM` when Node knows it. */
function nodeSignal(name: string): NodeJS.Signals | undefined {
  const full = `SIG${name}`;
  return full in osConstants.signals ? (full as NodeJS.Signals) : undefined;
}

/** A process that never ran: ended streams, and `exit` at once. */
function failedProcess(exit: ProcessExit): RunningProcess {
  const stdout = new Readable({ read() {} });
  const stderr = new Readable({ read() {} });
  stdout.push(null);
  stderr.push(null);
  const stdin = new Writable({ write: (_c, _e, cb) => cb() });
  return { pid: undefined, stdin, stdout, stderr, exited: Promise.resolve(exit), kill: () => false, unref: () => {} };
}

/** A connection (tunnel or socket), not a session: no requests, no exit status, no signals. */
function isConnection(op: RemoteOperation): boolean {
  return op.kind === 'tunnel' || op.kind === 'socket';
}

function openKind(op: RemoteOperation): ChannelOpenKind {
  if (op.kind === 'socket') return { type: 'direct-streamlocal@openssh.com', path: op.socketPath! };
  if (op.kind === 'tunnel') return { type: 'direct-tcpip', host: op.tunnel!.host, port: op.tunnel!.port, originatorHost: '127.0.0.1', originatorPort: 0 };
  return { type: 'session' };
}

/** Create a mux engine; `base` runs everything that is not a slave's remote side. */
export function createMuxEngine(base: Engine = nodeEngine, options: MuxConnectionOptions = {}): MuxEngine {
  const connections = new Map<string, Promise<MuxConnection>>();

  const connection = (ctlPath: string): Promise<MuxConnection> => {
    let p = connections.get(ctlPath);
    if (!p) {
      p = MuxConnection.open(ctlPath, options).then((conn) => {
        conn.onClose = () => {
          if (connections.get(ctlPath) === p) connections.delete(ctlPath);
        };
        return conn;
      });
      connections.set(ctlPath, p);
      p.catch(() => {
        if (connections.get(ctlPath) === p) connections.delete(ctlPath);
      });
    }
    return p;
  };

  return {
    base,
    spawn: (request) => base.spawn(request),
    ...(base.spawnAsync ? { spawnAsync: (request: SpawnRequest) => base.spawnAsync!(request) } : {}),
    async spawnRemote(request) {
      const op = request.remote;
      let conn: MuxConnection;
      try {
        conn = await connection(op.ctlPath);
      } catch (err) {
        return failedProcess({ exitCode: null, signal: null, error: err as Error, remoteFailure: { kind: 'connection', message: (err as Error).message } });
      }
      let ch: MuxChannel;
      try {
        ch = await conn.openChannel(openKind(op));
      } catch (err) {
        const e = err as Error & { openFailureReason?: number };
        const kind = e.openFailureReason === undefined ? 'connection' : isConnection(op) ? 'tunnel-refused' : 'session-refused';
        // A refusal ends the command as it ends a slave: exit code 255.
        return failedProcess({ exitCode: kind === 'connection' ? null : 255, signal: null, error: e, remoteFailure: { kind, message: e.message } });
      }
      // No stdin: EOF goes right behind the last request, in the same write (sshd has set up
      // the command's pipes by the time it reads the EOF, which follows in the stream).
      const refused = await sendRequests(ch, op, eofAtOnce(op, request.stdio[0]) ? () => ch.sendEof() : undefined);
      if (refused) {
        ch.close();
        await ch.closed;
        return failedProcess({ exitCode: 255, signal: null, error: new Error(refused), remoteFailure: { kind: 'request-refused', message: refused } });
      }
      debug('mux channel %d: %s %s', ch.id, op.kind, op.command);
      return channelProcess(ch, op, request.stdio);
    },
    close() {
      for (const p of connections.values()) void p.then((c) => c.destroy(), () => {});
      connections.clear();
    },
  };
}

/**
 * env, pty-req, then exec/shell/subsystem; resolves with a message when the server refused one
 * that matters. `afterLast` runs as soon as the last request is sent, before its reply.
 */
async function sendRequests(ch: MuxChannel, op: RemoteOperation, afterLast?: () => void): Promise<string | undefined> {
  if (isConnection(op)) {
    afterLast?.();
    return undefined;
  }
  for (const [name, value] of Object.entries(op.env ?? {})) void ch.request({ request: 'env', name, value }, false);
  if (op.tty) {
    const cols = process.stdout.columns ?? 80;
    const rows = process.stdout.rows ?? 24;
    const term = process.env.TERM ?? 'xterm';
    if (!(await ch.request({ request: 'pty-req', term, cols, rows, widthPx: 0, heightPx: 0, modes: NO_TERMINAL_MODES }, true))) {
      return `the server refused to allocate a pty (pty-req) for: ${op.command}`;
    }
  }
  const [last, refused] =
    op.kind === 'subsystem'
      ? [ch.request({ request: 'subsystem', name: op.command }, true), `subsystem ${op.command} failed: the server refused it, it probably does not offer it`]
      : op.command === ''
        ? [ch.request({ request: 'shell' }, true), 'the server refused to start a shell']
        : [ch.request({ request: 'exec', command: op.command }, true), `the server refused the exec request for: ${op.command}`];
  afterLast?.();
  return (await last) ? undefined : refused;
}

/** Tries of a refused signal request: right after the exec, sshd's child may not have its process group yet. */
const SIGNAL_TRIES = 5;
const SIGNAL_RETRY_MS = 50;

/** Send a `signal` request, retrying a refusal a few times; resolves false when the server keeps refusing. */
async function signalRemote(ch: MuxChannel, name: string): Promise<boolean> {
  for (let i = 0; i < SIGNAL_TRIES; i++) {
    if (ch.state !== 'open' || ch.settled) return true;
    if (await ch.request({ request: 'signal', signal: name }, true)) return true;
    await new Promise((r) => setTimeout(r, SIGNAL_RETRY_MS));
  }
  return ch.state !== 'open' || ch.settled;
}

/**
 * The fs methods of the streams over a caller's fd: `close` does nothing, since the fd is the
 * caller's (`autoClose: false` alone does not stop `destroy()` from closing it).
 */
const CALLERS_FD = { open, read, write, writev, close: (_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => cb(null) };

/** Channels whose remote pty follows this process's terminal size. */
const resizable = new Set<MuxChannel>();

/** One 'resize' listener for all of them (one per channel would trip MaxListeners past 10). */
function onResize(): void {
  const { columns, rows } = process.stdout;
  if (!columns || !rows) return;
  for (const ch of resizable) void ch.request({ request: 'window-change', cols: columns, rows, widthPx: 0, heightPx: 0 }, false);
}

/** Send `ch` a window-change whenever the terminal is resized; returns the undo. */
function followTerminal(ch: MuxChannel): () => void {
  if (resizable.size === 0) process.stdout.on('resize', onResize);
  resizable.add(ch);
  return () => {
    resizable.delete(ch);
    if (resizable.size === 0) process.stdout.off('resize', onResize);
  };
}

/**
 * Whether the channel gets EOF as soon as it runs: when there is no stdin, but not with a
 * pty. sshd handles a pty channel's EOF by closing its write side of the pty master, the
 * very fd its window-change requests resize: they would then be accepted and do nothing.
 * (A command on a pty does not see the channel's EOF as end of input anyway.)
 */
function eofAtOnce(op: RemoteOperation, inSlot: StdioSlot): boolean {
  return inSlot === 'ignore' && (isConnection(op) || !op.tty);
}

/** Wire the channel's streams to the stdio slots and report its end as a ProcessExit. */
function channelProcess(ch: MuxChannel, op: RemoteOperation, stdio: readonly [StdioSlot, StdioSlot, StdioSlot]): RunningProcess {
  const waits: Array<Promise<unknown>> = [];
  let outputError: Error | undefined;
  const cleanups: Array<() => void> = [];

  // A remote pty follows this process's terminal: window-change when it is resized.
  if (!isConnection(op) && op.tty && process.stdout.isTTY) cleanups.push(followTerminal(ch));

  // stdin
  const [inSlot, outSlot, errSlot] = stdio;
  if (eofAtOnce(op, inSlot)) ch.sendEof();
  else if (inSlot === 'inherit') {
    process.stdin.pipe(ch.stdin);
    cleanups.push(() => {
      process.stdin.unpipe(ch.stdin);
      process.stdin.pause();
    });
  } else if (typeof inSlot === 'number') {
    const src = createReadStream('', { fd: inSlot, autoClose: false, fs: CALLERS_FD });
    src.on('error', () => ch.sendEof());
    src.pipe(ch.stdin);
    cleanups.push(() => src.destroy());
  }
  ch.stdin.on('error', () => {});

  const output = (s: Readable, slot: StdioSlot, which: string) => {
    if (slot === 'pipe') {
      waits.push(new Promise((resolve) => finished(s, () => resolve(undefined))));
      return;
    }
    if (slot === 'ignore') {
      s.resume();
      waits.push(new Promise((resolve) => finished(s, () => resolve(undefined))));
      return;
    }
    const sink: Writable =
      slot === 'inherit' ? (which === 'stdout' ? process.stdout : process.stderr) : createWriteStream('', { fd: slot, autoClose: false, fs: CALLERS_FD });
    waits.push(
      new Promise((resolve) => {
        s.on('data', (chunk: Buffer) => {
          if (outputError) return;
          if (!sink.write(chunk)) {
            s.pause();
            sink.once('drain', () => s.resume());
          }
        });
        s.once('end', () => {
          if (sink === process.stdout || sink === process.stderr) return resolve(undefined);
          sink.end(() => resolve(undefined));
        });
        s.once('close', () => {
          if (!s.readableEnded) resolve(undefined); // destroyed: nothing more to write
        });
        sink.once('error', (err) => {
          outputError ??= Object.assign(err, { message: `writing the remote ${which} to ${slot === 'inherit' ? `this process's ${which}` : `fd ${slot}`} failed: ${err.message}` });
          s.resume();
          resolve(undefined);
        });
      }),
    );
  };
  output(ch.stdout, outSlot, 'stdout');
  output(ch.stderr, errSlot, 'stderr');

  let refused = false;
  let killed = false;
  let killTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  const exited = ch.closed.then(async (exit): Promise<ProcessExit> => {
    clearTimeout(killTimer);
    clearTimeout(drainTimer);
    // Output handed to the caller is waited for a while (as the spawn engine waits for its
    // pipes): not for ever, since a consumer may have stopped reading (a destroyed stream).
    let drain: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all(waits).then(() => true),
      new Promise<false>((r) => (drain = setTimeout(() => r(false), killed ? DRAIN_AFTER_KILL_MS : DRAIN_AFTER_EXIT_MS))),
    ]);
    clearTimeout(drain);
    if (!drained) for (const s of [ch.stdout, ch.stderr]) if (!s.readableEnded) s.destroy();
    for (const c of cleanups) c();
    const base = { remoteSignalRefused: refused || undefined };
    if (exit.error) return { ...base, exitCode: null, signal: null, error: exit.error, remoteFailure: { kind: 'connection', message: exit.error.message } };
    if (outputError) return { ...base, exitCode: null, signal: null, error: outputError, remoteFailure: { kind: 'output', message: outputError.message } };
    if (exit.exitCode !== undefined) return { ...base, exitCode: exit.exitCode, signal: null };
    if (exit.signal !== undefined) return { ...base, exitCode: null, signal: null, remoteSignal: nodeSignal(exit.signal) ?? (exit.signal as NodeJS.Signals) };
    // A tunnel has no exit status; a session without one ends as ssh does: 255.
    return { ...base, exitCode: isConnection(op) ? 0 : 255, signal: null };
  });

  /** Close the channel, and stop waiting for the peer after a grace period. */
  const giveUp = () => {
    ch.close();
    killTimer ??= setTimeout(() => ch.abandon(), CLOSE_AFTER_KILL_MS);
  };
  const kill = (sig: NodeJS.Signals = 'SIGTERM'): boolean => {
    if (ch.state !== 'open' || ch.settled) return false;
    killed = true;
    // What is not read shortly after a kill is dropped, so the remote side can flush and close.
    drainTimer ??= setTimeout(() => ch.discard(), DRAIN_AFTER_KILL_MS);
    // A tunnel has no process; a subsystem cannot be signalled (sshd refuses): close them.
    if (op.kind !== 'exec' || refused) {
      giveUp();
      return true;
    }
    void signalRemote(ch, sig.replace(/^SIG/, '')).then((ok) => {
      if (!ok) {
        // sshd refuses signals for root sessions: closing is all that is left (a pty is hung up).
        refused = true;
        debug('mux channel %d: signal %s refused; closing the channel', ch.id, sig);
        giveUp();
      } else if (sig === 'SIGKILL') {
        giveUp();
      }
    });
    return true;
  };

  return { pid: undefined, channel: ch.id, stdin: ch.stdin, stdout: ch.stdout, stderr: ch.stderr, exited, kill, unref: () => {} };
}
