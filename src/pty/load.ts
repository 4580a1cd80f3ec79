import { createRequire } from 'node:module';
import { ErrorCode, SlaveError } from '../errors/index.js';

/**
 * Lazy loading of `node-pty`, an optional peer dependency: installed by those who want ptys
 * (`npm install node-pty`), never by `npm install openssh-mux`. Nothing here runs at import time: the
 * native addon is loaded on the first call of {@link loadPty}, so programs that never ask for
 * a pseudo-terminal never load native code (and work where `node-pty` could not be built).
 *
 * The types below are the part of node-pty's API this library uses, written out so that the
 * library's own type declarations do not depend on node-pty being installed.
 */

/** A listener registration, as node-pty returns it. */
export interface PtyDisposable {
  dispose(): void;
}

/** Options of node-pty's `spawn()` that this library uses. */
export interface PtyForkOptions {
  /** Terminal name: the child's `TERM`. */
  name: string;
  cols: number;
  rows: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `null`: raw Buffers in `onData`, no decoding. */
  encoding: null;
}

/** A process on a pseudo-terminal, as node-pty's `spawn()` returns it. */
export interface PtyChild {
  readonly pid: number;
  readonly cols: number;
  readonly rows: number;
  /** The slave device (`/dev/pts/N`). */
  readonly ptsName?: string;
  onData(listener: (data: Buffer | string) => void): PtyDisposable;
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): PtyDisposable;
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
  pause(): void;
  resume(): void;
}

/** The node-pty module, as far as this library uses it. */
export interface PtyModule {
  spawn(file: string, args: string[], options: PtyForkOptions): PtyChild;
}

/** The package loaded by default. */
export const PTY_MODULE = 'node-pty';

const require = createRequire(import.meta.url);
const loaded = new Map<string, PtyModule>();
let override: string | undefined;

/**
 * Test hook: make {@link loadPty} (and so every pty method) load `name` instead of
 * `node-pty`; `undefined` restores the default. Not part of the public API.
 */
export function setPtyModuleForTests(name: string | undefined): void {
  override = name;
}

/**
 * Load node-pty (synchronously, once; later calls return the cached module). Throws a
 * {@link SlaveError} with code `OSSH_PTY_UNAVAILABLE` when it is not installed or its native
 * addon cannot be loaded; the message says how to fix it and `cause` holds the loader's error.
 */
export function loadPty(name: string = override ?? PTY_MODULE): PtyModule {
  const cached = loaded.get(name);
  if (cached) return cached;
  let mod: unknown;
  try {
    mod = require(name);
  } catch (err) {
    throw unavailable(name, err);
  }
  if (typeof (mod as PtyModule | null)?.spawn !== 'function') {
    throw unavailable(name, new TypeError(`'${name}' has no spawn() function`));
  }
  loaded.set(name, mod as PtyModule);
  return mod as PtyModule;
}

/** Whether node-pty can be loaded here (loads it if it can). */
export function ptyAvailable(): boolean {
  try {
    loadPty();
    return true;
  } catch {
    return false;
  }
}

function unavailable(name: string, err: unknown): SlaveError {
  const e = err as NodeJS.ErrnoException;
  const reason = e?.message?.split('\n')[0] ?? String(err);
  const missing = e?.code === 'MODULE_NOT_FOUND' && reason.includes(`'${name}'`);
  const message = missing
    ? `a pseudo-terminal needs the optional package '${name}', which is not installed: run 'npm install ${name}' ` +
      '(openssh-mux does not install it: it is an optional peer dependency, and it builds a native addon: ' +
      'python3, make and a C++ compiler are needed)'
    : `a pseudo-terminal needs the optional package '${name}', which is installed but could not be loaded ` +
      `(reinstall or rebuild it: 'npm rebuild ${name}'): ${reason}`;
  return new SlaveError(ErrorCode.PTY_UNAVAILABLE, message, { cause: err });
}
