import { execFile } from 'node:child_process';
import { readdirSync, statSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  MasterError,
  OpenSSHError,
  TimeoutError,
  TransferError,
  type ErrorDetails,
} from '../errors/index.js';
import { debug } from '../log.js';
import type { ProcessExit, RunningProcess } from '../run/engine.js';
import { abortError, masterReady, type ExecContext } from '../run/execute.js';
import { checkArgv } from '../run/argv-limits.js';
import { acquireSession } from '../run/sessions.js';
import { spawnFailure } from '../run/spawn-failure.js';
import { buildRsyncArgv, buildScpArgv, type TransferSpec } from './argv.js';
import { exitMeaning } from './exit-codes.js';
import type { NormalizedTransfer, OutputSpec } from './options.js';
import { expandLocalGlob, isDir } from './paths.js';
import { ProgressChannel, RsyncProgressParser, processIo, type TransferProgress } from './progress.js';

/** What a transfer needs from its OpenSSH object. */
export interface TransferContext extends ExecContext {
  /** Host in brackets for IPv6 literals. */
  hostSquared: string;
}

/** A finished, successful transfer. */
export interface TransferResult {
  tool: 'scp' | 'rsync';
  /**
   * The local argv that ran, program first (legacy scp may need several runs for names with
   * newlines: then the first one's, as on `Transfer.argv`).
   */
  argv: readonly string[];
  exitCode: 0;
  /** The tool's stdout, when collected (the last MiB at most). */
  stdout: string;
  /** The tool's stderr, when collected (the last MiB at most). */
  stderr: string;
  durationMs: number;
}

/** A running transfer, as the methods return it with `async: true`. */
export interface Transfer {
  /** pid of the local scp or rsync. */
  readonly pid: number | undefined;
  /** The local argv, program first. */
  readonly argv: readonly string[];
  /** Settles when the tool has exited: the result, or the typed error. */
  readonly result: Promise<TransferResult>;
  /** The progress events (see docs/transfer.md); ends when the transfer does. */
  readonly progress: AsyncIterable<TransferProgress>;
  /** Stop the tool (and its ssh): the signal (default SIGTERM), then SIGKILL after 2 s. */
  kill(signal?: NodeJS.Signals): void;
}

/** A transfer ready to start: what `prepare` checked at once. */
export interface TransferPlan {
  call: NormalizedTransfer;
  sources: string[];
  target: string | undefined;
}

const KILL_GRACE_MS = 2000;
const POLL_MS = 250;
const TAIL_BYTES = 1 << 20;

type Termination =
  | { kind: 'idle'; ms: number }
  | { kind: 'deadline'; ms: number }
  | { kind: 'abort'; reason: unknown }
  | { kind: 'killed'; signal: NodeJS.Signals };

const rsyncVersions = new Map<string, Promise<boolean>>();

/**
 * Whether the local rsync needs `--old-args` (3.2.4 and later protect arguments by
 * backslash-escaping them, which would double our quoting). Asked once per program. An
 * unreadable version counts as new: a wrong `--old-args` fails loudly, a missing one would
 * silently copy the wrong names.
 */
export function rsyncWantsOldArgs(program: string): Promise<boolean> {
  let p = rsyncVersions.get(program);
  if (!p) {
    p = new Promise((resolve) => {
      execFile(program, ['--version'], { timeout: 10_000 }, (_err, stdout) => {
        const m = /version\s+(\d+)\.(\d+)\.(\d+)/.exec(String(stdout ?? ''));
        if (!m) return resolve(true);
        const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
        resolve(a > 3 || (a === 3 && (b > 2 || (b === 2 && c >= 4))));
      });
    });
    rsyncVersions.set(program, p);
  }
  return p;
}


/** Local bytes a put will read (scp progress total): files, and directories when recursive. */
function localSize(paths: readonly string[], recursive: boolean): number | undefined {
  let total = 0;
  const walk = (p: string, depth: number): void => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isFile()) total += st.size;
    else if (st.isDirectory() && recursive && depth < 64) {
      for (const e of readdirSync(p)) walk(`${p}/${e}`, depth + 1);
    }
  };
  try {
    for (const p of paths) walk(p, 0);
  } catch {
    return undefined;
  }
  return total;
}

/** After a get of one plain file: the size of the local copy (the final count for scp's progress). */
function fetchedSize(plan: TransferPlan): number | undefined {
  const { call, sources, target } = plan;
  if (call.direction !== 'get' || call.recursive || call.glob || sources.length !== 1) return undefined;
  const dest = target ?? '.';
  const file = isDir(dest) ? join(dest, basename(sources[0]!)) : dest;
  const size = statSync(file, { throwIfNoEntry: false })?.size;
  return size;
}

/** Keeps the last `TAIL_BYTES` of a stream. */
class Tail {
  #chunks: Buffer[] = [];
  #size = 0;
  push(c: Buffer): void {
    this.#chunks.push(c);
    this.#size += c.length;
    while (this.#size > TAIL_BYTES && this.#chunks.length > 1) this.#size -= this.#chunks.shift()!.length;
  }
  text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

function forward(spec: OutputSpec, chunk: Buffer, state: { broken: boolean }, inheritFd: number): void {
  if (state.broken) return;
  try {
    if (spec.kind === 'inherit') writeSync(inheritFd, chunk);
    else if (spec.kind === 'fd') writeSync(spec.fd, chunk);
    else if (spec.kind === 'stream') spec.stream.write(chunk);
  } catch {
    state.broken = true;
  }
}

/** One run of the tool: some of the sources and where they go. */
interface Batch {
  sources: string[];
  target: string | undefined;
}

/**
 * Legacy scp sends each file's name on a protocol line and the sending side writes a newline
 * in it as `\^J`. The name only matters when the target is a directory: a source whose name
 * has a newline gets a run of its own with the full target name spelt out. (A directory
 * target is known here for gets; for puts when there are several sources, the target is the
 * home directory or ends with `/`.)
 */
export function legacyBatches(call: NormalizedTransfer, sources: string[], target: string | undefined): Batch[] {
  const base = (p: string) => basename(p.replace(/\/+$/, '')) || p;
  if (call.tool !== 'scp' || call.scpMode !== 'legacy' || !sources.some((s) => base(s).includes('\n'))) return [{ sources, target }];
  const intoDir =
    call.direction === 'get'
      ? isDir(target ?? '.')
      : sources.length > 1 || target === undefined || target === '' || target.endsWith('/');
  if (!intoDir) return [{ sources, target }];
  const plain = sources.filter((s) => !base(s).includes('\n'));
  const out: Batch[] = plain.length > 0 ? [{ sources: plain, target }] : [];
  for (const s of sources) {
    if (!base(s).includes('\n')) continue;
    const dir = target ?? (call.direction === 'get' ? '.' : '');
    out.push({ sources: [s], target: dir === '' ? base(s) : `${dir.replace(/\/+$/, '')}/${base(s)}` });
  }
  return out;
}

/**
 * Start one transfer: wait for the master, expand local wildcards, build the argv, spawn the
 * tool in its own process group (one run, or a few for legacy scp: see legacyBatches), watch
 * output, progress, timeouts and the signal, and settle `result` once the tool has exited.
 */
export async function startTransfer(ctx: TransferContext, plan: TransferPlan): Promise<Transfer> {
  const { call } = plan;
  const tool = call.tool;
  const details: ErrorDetails = { host: ctx.host };
  const signal = call.signal;
  await masterReady(ctx.master, signal, details, 'transfer');

  let sources = plan.sources;
  if (call.direction === 'put' && call.glob) {
    sources = (await Promise.all(plan.sources.map(expandLocalGlob))).flat();
    if (sources.length === 0) {
      throw new TransferError(tool, undefined, `no local file matches ${plan.sources.map((s) => JSON.stringify(s)).join(', ')}: nothing to copy`, details);
    }
  }
  const oldArgs = tool === 'rsync' ? await rsyncWantsOldArgs(call.command ?? 'rsync') : undefined;
  // An abort while rsync's version was asked has fired before anyone listened for it.
  if (signal?.aborted) throw abortError(signal.reason, details, 'transfer');
  const argvs = legacyBatches(call, sources, plan.target).map((b) => {
    const spec: TransferSpec = { ...ctx.master.spec, hostSquared: ctx.hostSquared, sources: b.sources, target: b.target, oldArgs };
    return tool === 'scp' ? buildScpArgv(spec, call) : buildRsyncArgv(spec, call);
  });
  const argv = argvs[0]!;
  details.argv = argv;
  const env = { ...process.env };
  if (tool === 'rsync') {
    // They would change how rsync hands the (already quoted) remote names over.
    delete env.RSYNC_OLD_ARGS;
    delete env.RSYNC_PROTECT_ARGS;
  }
  for (const a of argvs) await checkArgv(a, env, details);
  // One session slot for the whole transfer (maxSessions); the limits apply while waiting.
  const session = await acquireSession(ctx.sessions, call, details, 'transfer');
  const started = performance.now();

  const channel = new ProgressChannel();
  const emit = (p: TransferProgress) => {
    if (call.onProgress) {
      try {
        call.onProgress(p);
      } catch (e) {
        debug('onProgress threw: %s', (e as Error).message);
      }
    }
    channel.push(p);
  };

  let proc: RunningProcess | undefined;
  let termination: Termination | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;

  /** Signal the current run's whole group: the tool and the ssh it started. */
  const signalGroup = (sig: NodeJS.Signals): boolean => {
    const p = proc;
    if (p?.pid === undefined) return false;
    try {
      process.kill(-p.pid, sig);
      return true;
    } catch {
      return p.kill(sig);
    }
  };
  let finished = false;
  const kill = (sig: NodeJS.Signals = 'SIGTERM') => {
    if (finished) return;
    termination ??= { kind: 'killed', signal: sig };
    if (signalGroup(sig) && !killTimer) killTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
  };
  const terminate = (t: Termination) => {
    termination ??= t;
    kill();
  };
  if (call.idleTimeout !== undefined) {
    const ms = call.idleTimeout;
    idleTimer = setTimeout(() => terminate({ kind: 'idle', ms }), ms);
  }
  const touch = () => idleTimer?.refresh();
  if (call.timeout !== undefined) {
    const ms = call.timeout;
    // Counted from the call: the time spent waiting for a session is deducted.
    deadlineTimer = setTimeout(() => terminate({ kind: 'deadline', ms }), Math.max(0, ms - session.waitedMs));
  }
  const onAbort = () => terminate({ kind: 'abort', reason: signal!.reason });
  signal?.addEventListener('abort', onAbort, { once: true });

  // Output: collected (tail), forwarded, and read for progress.
  const outTail = new Tail();
  const errTail = new Tail();
  const rsyncParser = tool === 'rsync' && call.progress ? new RsyncProgressParser(emit) : undefined;
  const outState = { broken: false };
  const errState = { broken: false };
  const wire = (stream: Readable | null, spec: OutputSpec, tail: Tail, parse: boolean, inheritFd: number, state: { broken: boolean }) => {
    if (!stream) return;
    const fd = spec.kind === 'stdout' ? 1 : inheritFd;
    const target = spec.kind === 'stdout' ? call.stdout : spec;
    const collectInto = spec.kind === 'stdout' ? outTail : tail;
    stream.on('data', (c: Buffer) => {
      touch();
      if (parse) rsyncParser?.push(c.toString('utf8'));
      if (target.kind === 'collect') collectInto.push(c);
      else forward(target, c, state, fd);
    });
  };

  // Activity and scp's progress: the bytes the tool reads and writes (Linux /proc).
  const single = plan.sources.length === 1 && !call.glob ? plan.sources[0] : undefined;
  const total = tool === 'scp' && call.direction === 'put' && call.progress ? localSize(sources, call.recursive) : undefined;
  /** Bytes of the runs before the current one (legacy scp batches). */
  let carried = 0;
  let base: number | undefined;
  let lastIo = -1;
  let lastBytes = 0;
  let lastAt = performance.now();
  const scpProgress = (done: boolean, bytes: number) => {
    const now = performance.now();
    const dt = (now - lastAt) / 1000;
    const rate = dt > 0 && !done ? Math.round((bytes - lastBytes) / dt) : undefined;
    lastAt = now;
    lastBytes = bytes;
    const totalBytes = total ?? (done ? bytes : undefined);
    const percent = totalBytes ? Math.min(100, Math.round((bytes / totalBytes) * 1000) / 10) : done ? 100 : undefined;
    emit({ file: single, bytes, totalBytes, percent, rate, done });
  };
  const watching = call.progress || call.idleTimeout !== undefined;
  if (tool === 'scp' && call.progress) scpProgress(false, 0);
  if (watching) {
    pollTimer = setInterval(() => {
      const pid = proc?.pid;
      if (pid === undefined) return;
      const io = processIo(pid);
      if (!io) return;
      const sum = io.rchar + io.wchar;
      if (sum !== lastIo) {
        if (lastIo >= 0) touch();
        lastIo = sum;
      }
      if (tool === 'scp' && call.progress) {
        const moved = Math.min(io.rchar, io.wchar);
        base ??= moved;
        const bytes = carried + Math.max(0, moved - base);
        if (bytes !== lastBytes) scpProgress(false, total !== undefined ? Math.min(bytes, total) : bytes);
      }
    }, POLL_MS);
  }

  /** Run the tool once; resolves with how it ended. */
  const runOnce = (args: string[]): Promise<ProcessExit> => {
    debug('transfer spawn %j', args);
    const p = ctx.engine.spawn({ file: args[0]!, args: args.slice(1), stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    proc = p;
    base = undefined;
    lastIo = -1;
    wire(p.stdout, call.stdout, outTail, true, 1, outState);
    wire(p.stderr, call.stderr, errTail, call.stderr.kind === 'stdout', 2, errState);
    return p.exited.then((exit) => {
      // A tool we stopped may leave its ssh behind in the group: make sure it goes too.
      if (termination && p.pid !== undefined) {
        try {
          process.kill(-p.pid, 'SIGKILL');
        } catch {
          // the group is gone
        }
      }
      carried = lastBytes;
      return exit;
    });
  };

  let first: Promise<ProcessExit>;
  try {
    first = runOnce(argv);
  } catch (e) {
    clearTimeout(idleTimer);
    clearTimeout(deadlineTimer);
    clearInterval(pollTimer);
    signal?.removeEventListener('abort', onAbort);
    session.release();
    throw e;
  }
  const firstPid = proc!.pid;
  const result = (async (): Promise<TransferResult> => {
    let exit = await first;
    let ranArgv = argv;
    for (const next of argvs.slice(1)) {
      if (termination || exit.exitCode !== 0) break;
      ranArgv = next;
      exit = await runOnce(next);
    }
    finished = true;
    clearTimeout(idleTimer);
    clearTimeout(deadlineTimer);
    clearTimeout(killTimer);
    clearInterval(pollTimer);
    signal?.removeEventListener('abort', onAbort);
    const durationMs = performance.now() - started;
    const stdout = outTail.text();
    const stderr = errTail.text();
    const exitCode = exit.exitCode ?? undefined;
    const d: ErrorDetails = { ...details, argv: ranArgv, exitCode, signal: exit.signal ?? undefined, stdout, stderr };
    let error: OpenSSHError | undefined;
    if (exit.error && exit.exitCode === null && exit.signal === null) {
      error = spawnFailure(ranArgv[0]!, exit.error, d);
    } else if (termination?.kind === 'idle' || termination?.kind === 'deadline') {
      const what = termination.kind === 'idle' ? `no data moved for ${termination.ms} ms (idleTimeout)` : `still running after ${termination.ms} ms (timeout)`;
      error = new TimeoutError(termination.kind, termination.ms, `${tool} timed out: ${what}; ${tool} was stopped`, d);
    } else if (termination?.kind === 'abort') {
      error = abortError(termination.reason, d, 'transfer');
    } else if (exitCode !== 0) {
      const last = stderr.trim().split('\n').slice(-3).join('\n');
      // scp exits 1 for a lost connection as for any other failure: ask the master each time.
      const transport = tool === 'scp' || exitCode === 255 || exitCode === 12;
      if (transport && !(await ctx.master.alive())) {
        const m = ctx.master.error;
        error = new MasterError(m?.reason ?? 'exited', `the master connection is gone: ${m?.message ?? 'master check failed'}`, { ...d, cause: m });
      } else if (exitCode === undefined) {
        const why = termination?.kind === 'killed' ? ` (kill() sent ${termination.signal})` : '';
        error = new TransferError(tool, undefined, `${tool} was killed by ${exit.signal}${why}${last ? `\n${last}` : ''}`, d);
      } else {
        const meaning = exitMeaning(tool, exitCode);
        const why = termination?.kind === 'killed' ? ` after kill() sent ${termination.signal}` : '';
        error = new TransferError(tool, meaning, `${tool} failed with exit code ${exitCode} (${meaning})${why}${last ? `\n${last}` : ''}`, d);
      }
    }
    debug('transfer %d exited %s after %d ms%s', proc?.pid, exit.exitCode ?? exit.signal, Math.round(durationMs), error ? `: ${error.code}` : '');
    if (!error && tool === 'scp' && call.progress) scpProgress(true, total ?? fetchedSize(plan) ?? lastBytes);
    channel.close();
    if (error) throw error;
    return { tool, argv, exitCode: 0 as const, stdout, stderr, durationMs };
  })();
  void result.then(session.release, session.release);
  result.catch(() => {});
  return {
    get pid() {
      return proc?.pid ?? firstPid;
    },
    argv,
    result,
    progress: channel,
    kill,
  };
}
