import { closeSync, openSync, write, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { Writable, type Readable } from 'node:stream';
import type { StdioSlot } from '../run/engine.js';
import { badOption } from '../options/validate.js';

/**
 * `masterStdout` / `masterStderr` (Net::OpenSSH's `master_stdout_fh` / `master_stderr_fh`):
 * where the master ssh's own output goes, besides its log. A Writable stream (never ended) or
 * a file descriptor (never closed).
 */
export type MasterOutput = Writable | number;

/** Validate `masterStdout` / `masterStderr`; refused together with the matching `*Discard: true`. */
export function optMasterOutput(name: 'masterStdout' | 'masterStderr', value: unknown, discard: boolean | undefined): MasterOutput | undefined {
  if (value === undefined) return undefined;
  const ok = (typeof value === 'number' && Number.isInteger(value) && value >= 0) || value instanceof Writable || (typeof value === 'object' && value !== null && typeof (value as Writable).write === 'function');
  if (!ok) badOption(name, 'a Writable stream or a file descriptor', value);
  if (discard) throw new TypeError(`options '${name}' and '${name}Discard' cannot be used together: the output either goes somewhere or is discarded`);
  return value as MasterOutput;
}

/** The slot the master gets for one stream: a pipe when it goes to the caller. */
export function masterSlot(target: MasterOutput | undefined, discard: boolean, logFd: number | undefined): StdioSlot {
  return target !== undefined ? 'pipe' : discard ? 'ignore' : logFd!;
}

/**
 * Copy what the master writes on `source` to the caller's `target` and, when there is one, to
 * the master's log (so error messages keep ssh's words). Writes are not awaited: a slow or
 * stalled target must never block the master (its output is a few lines). The pipe does not
 * keep Node running.
 */
export function forwardMasterOutput(source: Readable | null, target: MasterOutput | undefined, logPath: string | undefined): void {
  if (!source || target === undefined) return;
  (source as Partial<Socket>).unref?.();
  let logFd: number | undefined;
  try {
    logFd = logPath === undefined ? undefined : openSync(logPath, 'a');
  } catch {
    logFd = undefined;
  }
  source.on('data', (chunk: Buffer) => {
    if (logFd !== undefined) {
      try {
        writeSync(logFd, chunk);
      } catch {
        // the log is only for diagnosis
      }
    }
    if (typeof target === 'number') write(target, chunk, () => {});
    else if (!target.destroyed && !target.writableEnded) target.write(chunk);
  });
  source.on('error', () => {});
  source.once('close', () => {
    if (logFd !== undefined) closeSync(logFd);
    logFd = undefined;
  });
}
