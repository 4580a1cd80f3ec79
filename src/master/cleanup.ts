/**
 * Last-chance cleanup when this process ends: normally, by an uncaught exception, or by
 * SIGINT/SIGTERM/SIGHUP that nobody else handles. Masters this process started register a
 * synchronous cleanup here (SIGTERM to the master, remove its socket and log); so does the
 * throwaway sshd of `openssh-mux/testing`. Only the process that spawned something registers
 * it, so a forked or spawned child (which has its own, empty registry) never kills its
 * parent's master. The signal handlers exist only while something is registered, and
 * re-raise the signal so the process still dies by it.
 */

/** A registered cleanup; pass it to {@link unregisterCleanup} once done by other means. */
export interface Cleanup {
  /** Synchronous: it may run inside an 'exit' handler. */
  run(): void;
}

const registered = new Set<Cleanup>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function runAll(): void {
  for (const c of registered) {
    try {
      c.run();
    } catch {
      // best effort: keep cleaning the others
    }
  }
  registered.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // The application handles this signal itself: leave its masters alone (it may still need
  // them to shut down cleanly); the exit hook cleans up when the process does exit.
  if (process.listenerCount(signal) > 1) return;
  runAll();
  uninstall();
  // Nobody else listens: do what the default action would have done, die by the signal.
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', runAll);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Run `c` when the process ends, unless unregistered before. */
export function registerCleanup(c: Cleanup): Cleanup {
  registered.add(c);
  install();
  return c;
}

/** Forget a cleanup (its process was stopped, died, or was disowned). */
export function unregisterCleanup(c: Cleanup | undefined): void {
  if (!c) return;
  registered.delete(c);
  if (registered.size === 0) uninstall();
}

/** Signal a pid (or a process group with a negative pid), ignoring "no such process". */
export function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
