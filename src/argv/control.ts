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

/** The kinds of port forwarding: `-L`, `-R` and `-D`. */
export type ForwardType = 'local' | 'remote' | 'dynamic';

/**
 * One port forwarding, already validated. The listening side is `bindAddress`/`port` or a
 * Unix socket `path`; the connecting side (not for `dynamic`) is `targetHost`/`targetPort` or
 * a Unix socket `targetPath`. IPv6 literals are bare here: {@link forwardSpec} brackets them.
 */
export interface ForwardSpec {
  type: ForwardType;
  bindAddress?: string | undefined;
  port?: number | undefined;
  path?: string | undefined;
  targetHost?: string | undefined;
  targetPort?: number | undefined;
  targetPath?: string | undefined;
}

const FLAGS: Record<ForwardType, '-L' | '-R' | '-D'> = { local: '-L', remote: '-R', dynamic: '-D' };

/** The ssh flag of a forwarding type. */
export function forwardFlag(type: ForwardType): '-L' | '-R' | '-D' {
  return FLAGS[type];
}

/** An address as ssh's forwarding parser wants it: IPv6 literals in brackets. */
function hostField(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The argument of `-L`/`-R`/`-D`: `[bind:]port:host:hostport`, `path:host:hostport`,
 * `[bind:]port:path`, `path:path` or (dynamic) `[bind:]port`. Pure: the caller has validated
 * the fields.
 */
export function forwardSpec(f: ForwardSpec): string {
  const listen =
    f.path ?? (f.bindAddress === undefined ? String(f.port ?? 0) : `${hostField(f.bindAddress)}:${f.port ?? 0}`);
  if (f.type === 'dynamic') return listen;
  const target = f.targetPath ?? `${hostField(f.targetHost ?? '')}:${f.targetPort ?? 0}`;
  return `${listen}:${target}`;
}

/** `ssh -L|-R|-D <spec> -O forward|cancel -T -S ctl ... host --`. */
export function buildForwardArgv(spec: ConnectionSpec, command: 'forward' | 'cancel', f: ForwardSpec): string[] {
  return buildControlArgv(spec, command, [forwardFlag(f.type), forwardSpec(f)]);
}
