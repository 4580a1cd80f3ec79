import type { Engine, ProcessExit, RunningProcess } from './engine.js';

/** A local command joined to a slave (Net::OpenSSH's `stdinout_dpipe`). */
export interface JoinedLocal {
  /** Settles when the local command has exited. */
  readonly exited: Promise<ProcessExit>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Start `argv` locally with its stdout feeding the slave's stdin and the slave's stdout
 * feeding its stdin; its stderr is this process's. Both directions keep backpressure
 * (`pipe()`), and each side sees EOF when the other closes its output.
 */
export function joinLocal(engine: Engine, argv: readonly string[], slave: RunningProcess): JoinedLocal {
  const local = engine.spawn({ file: argv[0]!, args: argv.slice(1), stdio: ['pipe', 'pipe', 'inherit'] });
  // A side that goes away early is not an error of the other: the exit statuses tell.
  for (const s of [local.stdin, slave.stdin]) s?.on('error', () => {});
  if (local.stdout && slave.stdin) local.stdout.pipe(slave.stdin);
  if (slave.stdout && local.stdin) slave.stdout.pipe(local.stdin);
  return { exited: local.exited, kill: (signal) => void local.kill(signal) };
}
