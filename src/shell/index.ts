/**
 * Shell sessions: many small commands in one persistent remote POSIX shell (docs/shell.md).
 */
import { normalizePool, normalizeShell, type ShellDefaults, type ShellOptions, type ShellPoolOptions } from './options.js';
import { ShellPool } from './pool.js';
import { ShellSession } from './session.js';
import { spawnEngine, type ShellHost } from './transport.js';

export { ShellSession } from './session.js';
export { ShellPool } from './pool.js';
export type { ShellOptions, ShellPoolOptions, ShellCommandOptions } from './options.js';
export type { ShellEngine, ShellHost, ShellTransport, TransportExit } from './transport.js';

/**
 * Open one session on `host` (an OpenSSH): resolves once the remote shell has answered. The
 * channel is what `host.spawn()` gives: an `ssh -S` slave on the spawn engine, one channel
 * of the in-process connection on the mux engine (docs/engines.md).
 */
export function openShell(host: ShellHost, options?: ShellOptions, defaults: ShellDefaults = {}): Promise<ShellSession> {
  return new ShellSession(spawnEngine(host), normalizeShell(options, 'shell()', defaults)).start();
}

/** A pool of up to `size` sessions on `host`, opened lazily (nothing is opened here). */
export function openShellPool(host: ShellHost, options: ShellPoolOptions, defaults: ShellDefaults = {}): Promise<ShellPool> {
  const { size, ...rest } = normalizePool(options, defaults);
  return Promise.resolve(new ShellPool(spawnEngine(host), rest, size));
}
