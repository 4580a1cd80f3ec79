import { accessSync, constants as fsConstants, statSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe } from '../options/validate.js';
import type { Engine, ProcessExit, RunningProcess, SpawnRequest } from '../run/engine.js';
import { openFifos } from './fifo.js';
import { loadPty, type PtyChild } from './load.js';
import { waitForRawMode } from './raw.js';
import { PtyStream } from './terminal.js';

/** Options of {@link createPtyEngine}. */
export interface PtyEngineOptions {
  /** Terminal width in columns (default 80). */
  cols?: number | undefined;
  /** Terminal height in rows (default 24). */
  rows?: number | undefined;
  /** Terminal type, the child's `TERM` (default `xterm-256color`). */
  term?: string | undefined;
  /**
   * `true`: the child's stderr is the terminal too. `false` (default): it is kept apart as the
   * request's third stdio slot says: `'pipe'` a stream, `'ignore'` the null device,
   * `'inherit'` or an fd copied there.
   */
  stderrOnPty?: boolean | undefined;
  /**
   * `true` (default): what the child writes to its stdout is read from the terminal.
   * `false`: the child's stdout is a separate pipe, read as the terminal's output, while the
   * terminal stays its stdin and controlling terminal. Then nothing the local terminal does
   * to output (newline translation, the echo of what we type before the child makes it raw)
   * reaches the reader. With `stderrOnPty`, stderr then goes to that pipe too.
   */
  stdoutOnPty?: boolean | undefined;
  /**
   * Hold writes to the terminal until the child has put it in raw (non-canonical) mode, as
   * `ssh -tt` does once its session is open (see `raw.ts`). Default false.
   */
  holdInputUntilRaw?: boolean | undefined;
  /** Decode the terminal's output (and encode written strings) with this encoding; Buffers when unset. */
  encoding?: BufferEncoding | undefined;
  /** The node-pty package to load (default `node-pty`). */
  module?: string | undefined;
}

/** A process on a pseudo-terminal. `stdin` and `stdout` are both its {@link PtyStream}. */
export interface PtyProcess extends RunningProcess {
  /** The terminal (also `stdin` and `stdout`). */
  readonly terminal: PtyStream;
  /** The terminal's device (`/dev/pts/N`), when node-pty reports it. */
  readonly ptsName: string | undefined;
  /** Current size. */
  readonly cols: number;
  readonly rows: number;
  /** Change the terminal size (the child gets SIGWINCH). Ignored once the process is gone. */
  resize(cols: number, rows: number): void;
}

/** An {@link Engine} that starts processes on pseudo-terminals; remembers the last one. */
export interface PtyEngine extends Engine {
  spawn(request: SpawnRequest): PtyProcess;
  /** The process most recently started by this engine. */
  readonly spawned: PtyProcess | undefined;
}

/** Default terminal width. */
export const DEFAULT_COLS = 80;
/** Default terminal height. */
export const DEFAULT_ROWS = 24;
/** Default terminal type (the child's `TERM`). */
export const DEFAULT_TERM = 'xterm-256color';

/** As in the default engine: how long stderr may stay open after the process has exited. */
const DRAIN_AFTER_EXIT_MS = 2000;
const DRAIN_AFTER_KILL_MS = 100;
/** A process stopped through the terminal (destroy()) gets SIGKILL after this long. */
const KILL_GRACE_MS = 2000;


/**
 * An Engine whose processes run on a new pseudo-terminal each (through node-pty, loaded on
 * the first spawn). The terminal is the child's controlling terminal and its stdin, and its
 * stdout unless `stdoutOnPty: false`; the request's first two stdio slots must be `'pipe'`.
 * A child that cannot be started (not found in PATH, fork failure) is reported like the
 * default engine does: `exited` resolves with `error` set.
 *
 * Differences from the default engine: every child is a session leader (`detached` is
 * implied, the request's is ignored); `unref()` unrefs the read handles, but node-pty's own
 * exit watcher keeps the event loop alive until the child exits.
 *
 * Throws a SlaveError `OSSH_PTY_UNAVAILABLE` from `spawn()` when node-pty cannot be loaded.
 */
export function createPtyEngine(options: PtyEngineOptions = {}): PtyEngine {
  let last: PtyProcess | undefined;
  return {
    get spawned() {
      return last;
    },
    spawn(request: SpawnRequest): PtyProcess {
      last = spawnOnPty(request, options);
      return last;
    },
  };
}

function spawnOnPty(request: SpawnRequest, o: PtyEngineOptions): PtyProcess {
  const pty = loadPty(o.module);
  const [inSlot, outSlot, errSlot] = request.stdio;
  if (inSlot !== 'pipe' || outSlot !== 'pipe') {
    throw new TypeError(`a pty engine connects stdin and stdout to the terminal: both stdio slots must be 'pipe', received ${JSON.stringify(request.stdio)}`);
  }
  const env = request.env ?? process.env;
  const cols = o.cols ?? DEFAULT_COLS;
  const rows = o.rows ?? DEFAULT_ROWS;
  const program = findProgram(request.file, env.PATH);
  if (!program) {
    const err = Object.assign(new Error(`spawn ${request.file} ENOENT`), { code: 'ENOENT', errno: -2, syscall: `spawn ${request.file}`, path: request.file });
    return failed(err, cols, rows);
  }

  // Where stdout and stderr go, and the FIFOs that carry those kept off the terminal.
  const outApart = o.stdoutOnPty === false;
  const errMode: 'pty' | 'fifo' | 'null' | 'out' = o.stderrOnPty ? (outApart ? 'out' : 'pty') : errSlot === 'ignore' ? 'null' : 'fifo';
  const names = [...(outApart ? ['stdout'] : []), ...(errMode === 'fifo' ? ['stderr'] : [])];
  const set = names.length > 0 ? openFifos(names) : undefined;
  const outFifo = outApart ? set!.fifos[0] : undefined;
  const errFifo = errMode === 'fifo' ? set!.fifos[names.length - 1] : undefined;
  let file = program;
  let args = [...request.args];
  if (outApart || errMode !== 'pty') {
    const redirections = [outApart ? '>"$o"' : '', { pty: '', fifo: '2>"$e"', null: '2>/dev/null', out: '2>&1' }[errMode]];
    const script = `o=$1 e=$2; shift 2; exec "$@" ${redirections.join(' ')}`.trimEnd();
    file = '/bin/sh';
    args = ['-c', script, 'sh', outFifo?.path ?? '', errFifo?.path ?? '', program, ...args];
  }

  let child: PtyChild;
  try {
    child = pty.spawn(file, args, { name: o.term ?? DEFAULT_TERM, cols, rows, cwd: process.cwd(), env, encoding: null });
  } catch (err) {
    set?.dispose();
    return failed(err as Error, cols, rows);
  }

  let over = false;
  let killed = false;
  let killTimer: NodeJS.Timeout | undefined;
  const kill = (signal: NodeJS.Signals = 'SIGTERM'): boolean => {
    if (over) return false;
    try {
      process.kill(child.pid, signal);
    } catch {
      return false;
    }
    killed = true;
    return true;
  };
  const stop = () => {
    if (kill('SIGTERM') && !killTimer) killTimer = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS);
  };
  // The terminal's output, or (stdout apart) only its echo of what we type: dropped.
  const source = outFifo ? outFifo.stream : child;
  const terminal = new PtyStream({ write: (d) => child.write(d), pause: () => source.pause(), resume: () => source.resume() }, stop, o.encoding);
  const ptsName = child.ptsName;
  if (o.holdInputUntilRaw && ptsName) terminal.holdInput(() => waitForRawMode(ptsName, () => over));
  const onData = child.onData((d) => {
    if (!outFifo) terminal.feed(d);
  });
  outFifo?.stream.on('data', (d: Buffer) => terminal.feed(d));

  const stderr = errFifo ? routeStderr(errFifo.stream, errSlot) : null;
  const exited = new Promise<ProcessExit>((resolve) => {
    const onExit = child.onExit(({ exitCode, signal }) => {
      over = true;
      clearTimeout(killTimer);
      onData.dispose();
      onExit.dispose();
      const name = signal ? signalName(signal) : null;
      const exit: ProcessExit = { exitCode: name ? null : exitCode, signal: name };
      if (!set) {
        terminal.exited();
        return resolve(exit);
      }
      // A FIFO ends once ssh and every process it handed the fd to (the master) have closed
      // it: at once after a normal exit; a killed slave's may be held until the remote
      // command ends, so wait only a little (as the default engine does for its pipes).
      set.release();
      const drain = setTimeout(() => {
        for (const f of set.fifos) f.stream.destroy();
      }, killed || name ? DRAIN_AFTER_KILL_MS : DRAIN_AFTER_EXIT_MS);
      const closed = set.fifos.map((f) => (f.stream.closed ? undefined : new Promise((r) => f.stream.once('close', r))));
      void Promise.all(closed).then(() => {
        clearTimeout(drain);
        terminal.exited();
        set.dispose();
        resolve(exit);
      });
    });
  });
  let cols$ = cols;
  let rows$ = rows;

  return {
    pid: child.pid,
    stdin: terminal,
    stdout: terminal,
    stderr,
    exited,
    terminal,
    ptsName,
    get cols() {
      return cols$;
    },
    get rows() {
      return rows$;
    },
    resize(c: number, r: number) {
      checkSize('cols', c);
      checkSize('rows', r);
      if (over) return;
      child.resize(c, r);
      cols$ = c;
      rows$ = r;
    },
    kill,
    unref() {
      // node-pty keeps its read handle private; unref it where it is.
      (child as unknown as { _socket?: { unref?: () => void } })._socket?.unref?.();
      for (const f of set?.fifos ?? []) f.stream.unref();
    },
  };
}

/** stderr for the request's slot: a stream for 'pipe', copied to an fd otherwise. */
function routeStderr(stream: Readable, slot: SpawnRequest['stdio'][2]): Readable | null {
  if (slot === 'pipe') return stream;
  const fd = slot === 'inherit' ? 2 : (slot as number);
  let broken = false;
  stream.on('data', (c: Buffer) => {
    if (broken) return;
    try {
      writeSync(fd, c);
    } catch {
      broken = true;
    }
  });
  return null;
}

/** Terminal sizes are unsigned 16-bit numbers; 0 is refused (node-pty refuses it too). */
export function checkSize(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffff) {
    throw new TypeError(`${name} must be an integer from 1 to 65535, received ${describe(value)}`);
  }
  return value;
}

function signalName(n: number): NodeJS.Signals | null {
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === n) return name as NodeJS.Signals;
  return null;
}

/** Like execvp's search: a name with a slash is used as is; otherwise the first executable file in PATH. */
function findProgram(file: string, path: string | undefined): string | undefined {
  const executable = (p: string) => {
    try {
      accessSync(p, fsConstants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (file.includes('/')) return executable(file) ? file : undefined;
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir || '.', file);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

/** A process that never started, reported through `exited` as the default engine does. */
function failed(error: Error, cols: number, rows: number): PtyProcess {
  const noop = () => {};
  const terminal = new PtyStream({ pause: noop, resume: noop, write: noop }, noop, undefined);
  terminal.exited();
  return {
    pid: undefined,
    stdin: terminal,
    stdout: terminal,
    stderr: null,
    exited: Promise.resolve({ exitCode: null, signal: null, error }),
    terminal,
    ptsName: undefined,
    cols,
    rows,
    resize: (c: number, r: number) => {
      checkSize('cols', c);
      checkSize('rows', r);
    },
    kill: () => false,
    unref: noop,
  };
}
