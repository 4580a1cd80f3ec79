/**
 * Shell sessions: many small commands in one persistent remote POSIX shell (docs/shell.md).
 */
import { normalizePool, normalizeShell, type ShellOptions, type ShellPoolOptions } from './options.js';
import { ShellPool } from './pool.js';
import { ShellSession } from './session.js';
import { spawnEngine, type ShellHost } from './transport.js';

export { ShellSession } from './session.js';
export { ShellPool } from './pool.js';
export type { ShellOptions, ShellPoolOptions, ShellCommandOptions } from './options.js';
export type { ShellEngine, ShellHost, ShellTransport, TransportExit } from './transport.js';

/** Open one session on `host` (an OpenSSH): resolves once the remote shell has answered. */
export function openShell(host: ShellHost, options?: ShellOptions): Promise<ShellSession> {
  return new ShellSession(spawnEngine(host), normalizeShell(options)).start();
}

/** A pool of up to `size` sessions on `host`, opened lazily (nothing is opened here). */
export function openShellPool(host: ShellHost, options: ShellPoolOptions): Promise<ShellPool> {
  const { size, ...rest } = normalizePool(options);
  return Promise.resolve(new ShellPool(spawnEngine(host), rest, size));
}
