import { buildControlArgv, type ControlCommand } from '../argv/control.js';
import type { ConnectionSpec } from '../argv/common.js';
import type { Engine } from '../run/engine.js';
import { debug } from '../log.js';
import { runBounded } from './run-bounded.js';

/** What an `ssh -O` call printed and how it ended. */
export interface ControlResult {
  argv: string[];
  exitCode: number | null;
  /** stdout and stderr together (OpenSSH prints `Master running (pid=N)` on stderr). */
  output: string;
  timedOut: boolean;
}

/**
 * Run `ssh -O <command>` against the master's socket, bounded by `timeoutMs` (the process is
 * killed past it). Never rejects: spawn failures come back as exit code null with the message.
 */
export async function runControl(
  engine: Engine,
  spec: ConnectionSpec,
  command: ControlCommand,
  { timeoutMs = 10_000, extra = [] as readonly string[] } = {},
): Promise<ControlResult> {
  const argv = buildControlArgv(spec, command, extra);
  const { exit, output: printed, timedOut } = await runBounded(engine, argv, timeoutMs);
  const output = printed + (exit.error ? exit.error.message : '');
  debug('control %j exited %s: %s', argv, exit.exitCode ?? exit.signal, output.trim());
  return { argv, exitCode: exit.exitCode, output: output.trim(), timedOut };
}

/** The master pid reported by `-O check` (`Master running (pid=N)`), if any. */
export function parseCheckPid(output: string): number | undefined {
  const m = /pid=(\d+)/.exec(output);
  return m ? Number(m[1]) : undefined;
}
