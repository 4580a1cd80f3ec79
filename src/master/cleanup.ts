import { rmSync } from 'node:fs';

/**
 * Masters this process started and still owns. When the process exits (normally, by an
 * uncaught exception, or by SIGINT/SIGTERM/SIGHUP) each one is sent SIGTERM and its files
 * are removed, synchronously. A master is registered only by the process that spawned it,
 * so a forked or spawned child (which has its own, empty registry) never kills its
 * parent's master.
 */
export interface OwnedMaster {
  pid: number;
  /** Files to remove: the socket and the master's log. */
  files: string[];
}

const owned = new Set<OwnedMaster>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function killAll(): void {
  for (const m of owned) {
    try {
      process.kill(m.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    for (const f of m.files) rmSync(f, { force: true });
  }
  owned.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  uninstall();
  // With no other listener, do what the default action would have done: die by the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', killAll);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Remember a master to kill at process exit. */
export function registerMaster(m: OwnedMaster): void {
  owned.add(m);
  install();
}

/** Forget a master (it was disconnected, died, or was disowned). */
export function unregisterMaster(m: OwnedMaster): void {
  owned.delete(m);
  if (owned.size === 0) uninstall();
}
