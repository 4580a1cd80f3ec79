import { targetArgs, type ConnectionSpec } from './common.js';

/** The `ssh -O` control commands the library sends to a master. */
export type ControlCommand = 'check' | 'exit' | 'stop' | 'forward' | 'cancel';

/**
 * `ssh [extra] -O <cmd> -T -S ctl [-l u] [-p p] host --`: ask the master something over its
 * socket. `extra` carries `-L`/`-R`/`-D` specs for `forward` and `cancel`.
 */
export function buildControlArgv(spec: ConnectionSpec, command: ControlCommand, extra: readonly string[] = []): string[] {
  return [spec.sshCmd, ...extra, '-O', command, '-T', ...targetArgs(spec), '--'];
}
