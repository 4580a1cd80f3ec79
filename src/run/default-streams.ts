import { closeSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import type { ErrorDetails } from '../errors/index.js';
import type { InputSpec, OutputSpec } from '../options/command.js';
import { badOption, optBoolean, optString } from '../options/validate.js';
import { openFile } from './stdio.js';

/**
 * The constructor's `defaultStdin` (Net::OpenSSH's `default_stdin_fh` / `default_stdin_file`):
 * a Readable stream, a file descriptor, or `{ file }`, a local file opened once for the object.
 */
export type DefaultInput = Readable | number | { file: string };

/**
 * The constructor's `defaultStdout` / `defaultStderr` (Net::OpenSSH's `default_stdout_fh`,
 * `default_stdout_file`, ...): a Writable stream, a file descriptor, or `{ file, append? }`, a
 * local file opened once for the object (truncated, unless `append: true`).
 */
export type DefaultOutput = Writable | number | { file: string; append?: boolean };

/**
 * A file named by a default stream: opened on first use, shared by every command, and closed
 * once the object is disconnected and the last command using it has exited (so its fd number
 * is never reused under a command still writing). Used again after that (a `restart()`), it is
 * reopened: an output file then appends instead of truncating again.
 */
export class SharedFile {
  #fd: number | undefined;
  #users = 0;
  #closing = false;
  #flags: 'r' | 'w' | 'a';

  constructor(
    /** The option that named it, for error messages. */
    readonly option: string,
    readonly path: string,
    flags: 'r' | 'w' | 'a',
  ) {
    this.#flags = flags;
  }

  /** The fd, opened now if needed (a SlaveError when it cannot be), and the function that releases it. */
  acquire(details: ErrorDetails): [number, () => void] {
    if (this.#fd === undefined) {
      this.#fd = openFile(this.path, this.#flags, this.option, details);
      if (this.#flags === 'w') this.#flags = 'a';
    }
    this.#closing = false;
    this.#users++;
    const fd = this.#fd;
    let released = false;
    return [
      fd,
      () => {
        if (released) return;
        released = true;
        this.#users--;
        this.#closeIfIdle();
      },
    ];
  }

  /** Whether the file is open now. */
  get isOpen(): boolean {
    return this.#fd !== undefined;
  }

  /** Close once no command uses it any more (at once when none does). */
  close(): void {
    this.#closing = true;
    this.#closeIfIdle();
  }

  #closeIfIdle(): void {
    if (!this.#closing || this.#users > 0 || this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/** The three default streams, validated, and the files they name. */
export interface DefaultStreams {
  stdin?: InputSpec | undefined;
  stdout?: OutputSpec | undefined;
  stderr?: OutputSpec | undefined;
  /** Files opened on first use; closed by {@link closeDefaultFiles}. */
  files: SharedFile[];
}

const fdOk = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function fileOf(name: string, value: object, expected: string, output: boolean): SharedFile {
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (key !== 'file' && !(output && key === 'append')) badOption(name, expected, value, `unknown key '${key}'`);
  }
  const path = optString(`${name}.file`, v.file);
  if (path === undefined) badOption(name, expected, value);
  const append = output ? (optBoolean(`${name}.append`, v.append) ?? false) : false;
  return new SharedFile(name, path, output ? (append ? 'a' : 'w') : 'r');
}

function inputDefault(value: unknown, files: SharedFile[]): InputSpec | undefined {
  if (value === undefined) return undefined;
  const expected = 'a Readable stream, a file descriptor or { file }';
  if (fdOk(value)) return { kind: 'fd', fd: value };
  if (value instanceof Readable || (typeof value === 'object' && value !== null && typeof (value as Readable).read === 'function' && typeof (value as Readable).pipe === 'function')) {
    return { kind: 'stream', stream: value as Readable };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'file' in value) {
    const shared = fileOf('defaultStdin', value, expected, false);
    files.push(shared);
    return { kind: 'file', path: shared.path, shared };
  }
  return badOption('defaultStdin', expected, value);
}

function outputDefault(name: 'defaultStdout' | 'defaultStderr', value: unknown, files: SharedFile[]): OutputSpec | undefined {
  if (value === undefined) return undefined;
  const expected = 'a Writable stream, a file descriptor or { file, append? }';
  if (fdOk(value)) return { kind: 'fd', fd: value };
  if (value instanceof Writable || (typeof value === 'object' && value !== null && typeof (value as Writable).write === 'function')) {
    return { kind: 'stream', stream: value as Writable };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'file' in value) {
    const shared = fileOf(name, value, expected, true);
    files.push(shared);
    return { kind: 'file', path: shared.path, append: true, shared };
  }
  return badOption(name, expected, value);
}

/** Validate `defaultStdin`, `defaultStdout` and `defaultStderr` (undefined when none is set); nothing is opened yet. */
export function normalizeDefaultStreams(o: Record<string, unknown>): DefaultStreams | undefined {
  if (o.defaultStdin === undefined && o.defaultStdout === undefined && o.defaultStderr === undefined) return undefined;
  const files: SharedFile[] = [];
  return {
    stdin: inputDefault(o.defaultStdin, files),
    stdout: outputDefault('defaultStdout', o.defaultStdout, files),
    stderr: outputDefault('defaultStderr', o.defaultStderr, files),
    files,
  };
}

/** Close the files of the default streams (each once its last command has exited). */
export function closeDefaultFiles(streams: DefaultStreams | undefined): void {
  for (const f of streams?.files ?? []) f.close();
}

/** Run `op`, then close the default files, whatever its outcome (disconnect, stop). */
export function thenCloseFiles<T>(op: Promise<T>, streams: DefaultStreams | undefined): Promise<T> {
  return op.finally(() => closeDefaultFiles(streams));
}
