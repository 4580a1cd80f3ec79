import { onExit } from 'signal-exit';

/**
 * Last-chance cleanup when this process ends: normally, by an uncaught exception, or by any
 * signal whose default action ends the process and that nobody else handles (SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT, SIGUSR2, SIGABRT, SIGALRM, ...: `signal-exit`'s list, as execa
 * uses; not SIGUSR1, which starts Node's debugger). Masters this process started register a
 * synchronous cleanup here (SIGTERM to the master, remove its socket and log); so does the
 * throwaway sshd of `openssh-mux/testing`. Only the process that spawned something registers
 * it, so a forked or spawned child (which has its own, empty registry) never kills its
 * parent's master. The handlers exist only while something is registered; signal-exit
 * re-raises the signal so the process still dies by it, and leaves a signal alone when the
 * application handles it itself (the cleanup then runs when the process does exit).
 * SIGKILL runs no code: the owner guard (owner-guard.ts) covers it.
 */

/** A registered cleanup; pass it to {@link unregisterCleanup} once done by other means. */
export interface Cleanup {
  /** Synchronous: it may run inside an 'exit' handler. */
  run(): void;
}

const registered = new Set<Cleanup>();
let remove: (() => void) | undefined;

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

function install(): void {
  if (remove) return;
  remove = onExit(() => {
    runAll();
    remove = undefined;
  });
}

function uninstall(): void {
  remove?.();
  remove = undefined;
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
