import { targetArgs, type ConnectionSpec } from './common.js';

/** Inputs of {@link buildSlaveArgv}. */
export interface SlaveArgvOptions extends ConnectionSpec {
  /** Caller's ssh options, placed first so they win. */
  sshOpts?: readonly string[] | undefined;
  /** true: `-tt` (force a remote pty); false: `-T`; undefined: neither. */
  tty?: boolean | undefined;
  /** undefined: no flag; true `-A`; false `-a`. */
  forwardAgent?: boolean | undefined;
  /** undefined: no flag; true `-X`; false `-x`. */
  forwardX11?: boolean | undefined;
  /** `-s`: the command names a subsystem. */
  subsystem?: boolean | undefined;
  /** The remote command string; omitted (interactive shell) when undefined or empty. */
  command?: string | undefined;
}

/**
 * Options every slave gets after the caller's: `ControlMaster=no` so an ssh_config
 * `ControlMaster auto` cannot turn a slave into a second master, and `ProxyCommand=false`
 * so that when the master refuses a session (the server's MaxSessions) ssh fails instead of
 * silently logging in again on a new connection of its own.
 */
export const SLAVE_SAFETY_OPTS: readonly string[] = Object.freeze([
  '-o',
  'ControlMaster=no',
  '-o',
  'ProxyCommand=false',
]);

/**
 * A slave's argv, program first:
 * `ssh <sshOpts> -o ControlMaster=no -o ProxyCommand=false [-flags] -S ctl [-l u] [-p p] host -- "<command>"`.
 * The command is one argv word after `--`, so a command starting with `-` is never read as
 * an ssh option.
 */
export function buildSlaveArgv(o: SlaveArgvOptions): string[] {
  const argv = [o.sshCmd, ...(o.sshOpts ?? []), ...SLAVE_SAFETY_OPTS];
  let flags = '';
  if (o.tty === true) flags += 'qtt';
  else if (o.tty === false) flags += 'T';
  if (o.forwardAgent !== undefined) flags += o.forwardAgent ? 'A' : 'a';
  if (o.forwardX11 !== undefined) flags += o.forwardX11 ? 'X' : 'x';
  if (o.subsystem) flags += 's';
  if (flags !== '') argv.push(`-${flags}`);
  argv.push(...targetArgs(o), '--');
  if (o.command !== undefined && o.command !== '') argv.push(o.command);
  return argv;
}
