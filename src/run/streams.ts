import { Duplex, Readable, Writable } from 'node:stream';
import type { Result } from './result.js';
import type { SshProcess } from './execute.js';

/**
 * Node streams in front of a slave that is still starting. The stream methods return at once
 * (like `fs.createReadStream` or `net.connect`); the slave's own pipes are attached when it
 * runs. Backpressure is kept end to end: the slave's stdout is paused while our buffer is
 * full, and writes wait for the slave's stdin to drain.
 *
 * Failure: `done` rejects with the typed error. The stream itself is destroyed with that error
 * only when someone listens for errors (`pipeline()`, `for await`, an `'error'` handler), so a
 * caller who only awaits `done` never gets an unhandled `'error'` event. A readable side ends
 * only once the exit status is known, so a failing command makes `for await` throw.
 */

/** What every stream returned by the stream methods carries. */
export interface RemoteStream<T extends string | Buffer = string> {
  /** Settles when the slave has exited: the Result, or the typed error. */
  readonly done: Promise<Result<T>>;
  /** pid of the local ssh slave, once it runs. */
  readonly pid: number | undefined;
  /** Stop the slave (SIGTERM, then SIGKILL after 2 s). */
  kill(signal?: NodeJS.Signals): void;
}

/** `pipeIn()`: write to the remote command's stdin. */
export type RemoteWritable<T extends string | Buffer = string> = Writable & RemoteStream<T>;
/** `pipeOut()`: read the remote command's stdout. */
export type RemoteReadable<T extends string | Buffer = string> = Readable & RemoteStream<T>;
/** `open2socket()` / `openTunnel()`: both directions as one socket-like stream. */
export type RemoteDuplex<T extends string | Buffer = string> = Duplex & RemoteStream<T>;

/**
 * `open3socket()`: stdin and stdout as one Duplex, like {@link RemoteDuplex}, plus the remote
 * stderr as a separate Readable (`stderr`). Read both: an unread stderr eventually stalls
 * the remote command, as with open3().
 */
export type RemoteDuplex3<T extends string | Buffer = string> = RemoteDuplex<T> & {
  /** The remote stderr; it ends once the command has exited. */
  readonly stderr: Readable;
};

type Cb = (error?: Error | null) => void;

/** The slave behind a stream, and the bookkeeping shared by its two sides. */
class Link {
  proc: SshProcess | undefined;
  readonly started: Promise<SshProcess>;
  readonly done: Promise<Result<string | Buffer>>;
  private killRequested: NodeJS.Signals | undefined;

  constructor(
    start: Promise<SshProcess>,
    stream: Readable | Writable,
    private readonly cancel: AbortController,
  ) {
    this.started = start.then((p) => {
      this.proc = p;
      if (this.killRequested) p.kill(this.killRequested);
      return p;
    });
    this.done = this.started.then((p) => p.result);
    this.done.catch((err: Error) => {
      // Hand the error to the stream only if somebody will hear it.
      if (!stream.destroyed && stream.listenerCount('error') > 0) stream.destroy(err);
    });
  }

  /** The caller destroyed the stream before the command finished: cancel it (an AbortError). */
  destroyed(): void {
    this.cancel.abort(new Error('the stream was destroyed before the command finished'));
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.proc) this.proc.kill(signal);
    else this.killRequested = signal;
  }
}

function defineRemote<S extends object>(stream: S, link: Link): S & RemoteStream<string | Buffer> {
  return Object.defineProperties(stream, {
    done: { get: () => link.done, enumerable: true },
    pid: { get: () => link.proc?.pid, enumerable: true },
    kill: { value: (signal?: NodeJS.Signals) => link.kill(signal) },
  }) as S & RemoteStream<string | Buffer>;
}

/**
 * Write `chunk` to the slave's stdin and call `cb` when more may be written. Once the remote
 * side has closed its stdin (EPIPE), writes wait for the command's outcome: after a success
 * they are discarded (as Net::OpenSSH ignores EPIPE), after a failure they fail with its error.
 */
function writeInto(link: Link, chunk: Buffer, cb: Cb): void {
  link.started.then(
    (p) => {
      const stdin = p.stdin;
      if (!stdin || stdin.destroyed || stdin.writableEnded) {
        link.done.then(
          () => cb(),
          (err: Error) => cb(err),
        );
        return;
      }
      if (stdin.write(chunk)) return cb();
      const go = () => {
        stdin.off('drain', go);
        stdin.off('close', go);
        cb();
      };
      stdin.on('drain', go);
      stdin.on('close', go);
    },
    (err: Error) => cb(err),
  );
}

/** End the slave's stdin once everything written has been handed over. */
function endInto(link: Link, cb: Cb): void {
  link.started.then(
    (p) => {
      const stdin = p.stdin;
      if (!stdin || stdin.destroyed || stdin.writableFinished) return cb();
      let called = false;
      const once = () => {
        if (called) return;
        called = true;
        stdin.off('close', once);
        cb();
      };
      stdin.end(once);
      stdin.once('close', once);
    },
    (err: Error) => cb(err),
  );
}

/**
 * Feed the slave's stdout into `target` with backpressure; end `target` once stdout has
 * ended and the command succeeded (a failure reaches it through {@link Link}).
 */
function attachSource(link: Link, target: Readable, pick: (p: SshProcess) => Readable | null): { resume: () => void } {
  let source: Readable | null = null;
  link.started.then(
    (p) => {
      source = pick(p);
      if (!source) return;
      source.on('data', (chunk: Buffer) => {
        if (!target.push(chunk)) source!.pause();
      });
      source.once('end', () => {
        link.done.then(
          () => target.push(null),
          () => {
            // The error went to the stream if anyone listens; otherwise just end it.
            if (!target.destroyed && target.listenerCount('error') === 0) target.push(null);
          },
        );
      });
      source.pause();
      if (wanted) source.resume();
    },
    () => {},
  );
  let wanted = false;
  return {
    resume: () => {
      wanted = true;
      source?.resume();
    },
  };
}

/** A writable that feeds the remote stdin (`pipeIn`). `cancel` must be wired to the slave's signal: destroying the stream early aborts it. */
export function remoteWritable(start: Promise<SshProcess>, cancel: AbortController): RemoteWritable<string | Buffer> {
  let link!: Link;
  const w = new Writable({
    write: (chunk: Buffer, _enc, cb) => writeInto(link, chunk, cb),
    final: (cb) => endInto(link, cb),
    destroy: (err, cb) => {
      // Destroyed before it finished: the caller gave up, so stop the slave.
      if (!w.writableFinished) link.destroyed();
      cb(err);
    },
  });
  link = new Link(start, w, cancel);
  return defineRemote(w, link);
}

/** A readable of the remote stdout (`pipeOut`, `lines`). */
export function remoteReadable(start: Promise<SshProcess>, cancel: AbortController): RemoteReadable<string | Buffer> {
  let link!: Link;
  let src!: { resume: () => void };
  const r = new Readable({
    read: () => src.resume(),
    destroy: (err, cb) => {
      // The reader stopped early (break out of for-await, destroy()): stop the slave.
      if (!r.readableEnded) link.destroyed();
      cb(err);
    },
  });
  link = new Link(start, r, cancel);
  src = attachSource(link, r, (p) => p.stdout);
  return defineRemote(r, link);
}

/** Stdin and stdout of the slave as one Duplex (`open2socket`, `openTunnel`). */
export function remoteDuplex(start: Promise<SshProcess>, cancel: AbortController): RemoteDuplex<string | Buffer> {
  let link!: Link;
  let src!: { resume: () => void };
  const d = new Duplex({
    allowHalfOpen: true,
    read: () => src.resume(),
    write: (chunk: Buffer, _enc, cb) => writeInto(link, chunk, cb),
    final: (cb) => endInto(link, cb),
    destroy: (err, cb) => {
      if (!d.readableEnded || !d.writableFinished) link.destroyed();
      cb(err);
    },
  });
  link = new Link(start, d, cancel);
  src = attachSource(link, d, (p) => p.stdout);
  return defineRemote(d, link);
}

/** {@link remoteDuplex} plus the slave's stderr as its own Readable (`open3socket`). */
export function remoteDuplex3(start: Promise<SshProcess>, cancel: AbortController): RemoteDuplex3<string | Buffer> {
  const d = remoteDuplex(start, cancel);
  let source: Readable | null = null;
  let wanted = false;
  const stderr = new Readable({
    read: () => {
      wanted = true;
      source?.resume();
    },
  });
  // The command's outcome reaches the Duplex (and `done`); stderr just ends once it is known.
  const end = () => void d.done.then(() => stderr.push(null), () => stderr.push(null));
  start.then(
    (p) => {
      source = p.stderr;
      if (!source) return end();
      source.on('data', (chunk: Buffer) => {
        if (!stderr.push(chunk)) source!.pause();
      });
      source.once('end', end);
      if (!wanted) source.pause();
    },
    end,
  );
  return Object.defineProperty(d, 'stderr', { value: stderr, enumerable: true }) as RemoteDuplex3<string | Buffer>;
}
