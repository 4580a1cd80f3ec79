import { closeSync, openSync } from 'node:fs';
import { ErrorCode, SlaveError, type ErrorDetails } from '../errors/index.js';
import type { InputSpec, NormalizedCall, OutputSpec } from '../options/command.js';
import type { StdioSlot } from './engine.js';
import type { SharedFile } from './default-streams.js';

/** Where the bytes of one output stream go once they reach Node. */
export type OutputRoute =
  | { kind: 'none' }
  /** Collected into the Result. */
  | { kind: 'collect' }
  /** Handed to the caller as a stream (spawn), and collected too when `buffer`. */
  | { kind: 'pipe'; collect: boolean }
  /** Forwarded to a writable (a caller's stream, or this process's stdout/stderr). */
  | { kind: 'stream'; stream: NodeJS.WritableStream; end?: boolean }
  /** Written to an fd (a file the library opened, at `path`, or the caller's fd) from Node, so write errors are seen. */
  | { kind: 'fd'; fd: number; path: string | undefined };

/** The stdio slots for the engine, how Node must route each piped output, and fds to close once it exits. */
export interface StdioPlan {
  slots: [StdioSlot, StdioSlot, StdioSlot];
  stdout: OutputRoute;
  /** `'stdout'`: stderr bytes are merged into the stdout route. */
  stderr: OutputRoute | { kind: 'stdout' };
  /** fds the library opened (files), closed once the process has exited; functions release a default stream's shared file. */
  opened: Array<number | (() => void)>;
}

/** Open a local file for a command's stream; a SlaveError (`OSSH_SLAVE_PIPE_FAILED`) naming `what` when it cannot be. */
export function openFile(path: string, flags: string, what: string, details: ErrorDetails): number {
  try {
    return openSync(path, flags, 0o666);
  } catch (err) {
    throw new SlaveError(ErrorCode.SLAVE_PIPE_FAILED, `unable to open ${what} ${path}: ${(err as Error).message}`, {
      ...details,
      cause: err,
    });
  }
}

/** A default stream's shared file: its fd, held until the process has exited. */
function sharedFd(shared: SharedFile, opened: StdioPlan['opened'], details: ErrorDetails): number {
  const [fd, release] = shared.acquire(details);
  opened.push(release);
  return fd;
}

function inputSlot(spec: InputSpec, opened: StdioPlan['opened'], details: ErrorDetails): StdioSlot {
  switch (spec.kind) {
    case 'ignore':
      return 'ignore';
    case 'inherit':
      return 'inherit';
    case 'fd':
      return spec.fd;
    case 'file': {
      if (spec.shared) return sharedFd(spec.shared, opened, details);
      const fd = openFile(spec.path, 'r', 'stdinFile', details);
      opened.push(fd);
      return fd;
    }
    default:
      return 'pipe';
  }
}

/**
 * Decide one output slot. Files and fds are always written from Node: handed to ssh, their
 * write errors would be ignored (a full disk would look like success). When `observe` is set
 * (an idle timeout is active) `inherit` is routed through Node too, so its traffic can be seen.
 */
function outputPlan(
  spec: OutputSpec,
  which: 'stdout' | 'stderr',
  observe: boolean,
  opened: StdioPlan['opened'],
  details: ErrorDetails,
): [StdioSlot, OutputRoute] {
  switch (spec.kind) {
    case 'ignore':
      return ['ignore', { kind: 'none' }];
    case 'capture':
      return ['pipe', { kind: 'collect' }];
    case 'pipe':
      return ['pipe', { kind: 'pipe', collect: false }];
    case 'stream':
      return ['pipe', { kind: 'stream', stream: spec.stream, ...(spec.end ? { end: true } : {}) }];
    case 'inherit':
      return observe ? ['pipe', { kind: 'stream', stream: which === 'stdout' ? process.stdout : process.stderr }] : ['inherit', { kind: 'none' }];
    case 'fd':
      return ['pipe', { kind: 'fd', fd: spec.fd, path: undefined }];
    case 'socket':
      return [spec.fd, { kind: 'none' }];
    case 'file': {
      if (spec.shared) return ['pipe', { kind: 'fd', fd: sharedFd(spec.shared, opened, details), path: spec.path }];
      const fd = openFile(spec.path, spec.append ? 'a' : 'w', `${which}File`, details);
      opened.push(fd);
      return ['pipe', { kind: 'fd', fd, path: spec.path }];
    }
    default:
      throw new Error(`unreachable output kind ${spec.kind}`);
  }
}

/** Build the stdio plan for a call. Opens the files it names; the caller closes `opened`. */
export function planStdio(call: NormalizedCall, details: ErrorDetails): StdioPlan {
  const opened: StdioPlan['opened'] = [];
  const observe = call.idleTimeout !== undefined;
  try {
    const stdinSlot = inputSlot(call.stdin, opened, details);
    const [outSlot, outRoute] = outputPlan(call.stdout, 'stdout', observe, opened, details);
    let errSlot: StdioSlot;
    let errRoute: StdioPlan['stderr'];
    if (call.stderr.kind === 'stdout') {
      // Same fd when stdout is an fd (exact interleaving); merged in Node when piped.
      errSlot = outSlot === 'inherit' ? 1 : outSlot;
      errRoute = outSlot === 'pipe' ? { kind: 'stdout' } : { kind: 'none' };
    } else {
      [errSlot, errRoute] = outputPlan(call.stderr, 'stderr', observe, opened, details);
    }
    if (call.stdout.kind === 'pipe' && outRoute.kind === 'pipe') outRoute.collect = call.buffer;
    if (call.stderr.kind === 'pipe' && errRoute.kind === 'pipe') errRoute.collect = call.buffer;
    return { slots: [stdinSlot, outSlot, errSlot], stdout: outRoute, stderr: errRoute, opened };
  } catch (err) {
    closeAll(opened);
    throw err;
  }
}

/** Close the files a plan opened and release the shared ones it used. */
export function closeAll(fds: StdioPlan['opened']): void {
  for (const fd of fds.splice(0)) {
    if (typeof fd === 'function') {
      fd();
      continue;
    }
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}
