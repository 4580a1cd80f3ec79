import { targetArgs, type ConnectionSpec } from './common.js';
import { hostProblem } from '../options/host.js';
import { quote } from '../options/validate.js';

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
  /** `-W <spec>`: forward stdio to `host:port` (already bracketed for IPv6); no command is sent. */
  stdioForward?: string | undefined;
  /** The remote command string; omitted (interactive shell) when undefined or empty. */
  command?: string | undefined;
  /**
   * Variable names to send (`-o SendEnv=NAME` each, after the safety options): ssh sends those
   * of its own environment, so the values never appear on the command line.
   */
  sendEnv?: readonly string[] | undefined;
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
  for (const name of o.sendEnv ?? []) argv.push('-o', `SendEnv=${name}`);
  let flags = '';
  if (o.tty === true) flags += 'qtt';
  else if (o.tty === false) flags += 'T';
  if (o.forwardAgent !== undefined) flags += o.forwardAgent ? 'A' : 'a';
  if (o.forwardX11 !== undefined) flags += o.forwardX11 ? 'X' : 'x';
  if (o.subsystem) flags += 's';
  if (flags !== '') argv.push(`-${flags}`);
  if (o.stdioForward !== undefined) return [...argv, '-W', o.stdioForward, ...targetArgs(o), '--'];
  argv.push(...targetArgs(o), '--');
  if (o.command !== undefined && o.command !== '') argv.push(o.command);
  return argv;
}

/**
 * The `-W` argument for a stdio forward to `host:port`. An IPv6 literal is put in brackets
 * (`[::1]:22`), which ssh needs to find the port (Net::OpenSSH passes it bare and breaks).
 * Throws a TypeError naming the expected form.
 */
export function stdioForwardSpec(host: unknown, port: unknown): string {
  const expected = 'tunnel host must be a host name or IP address (no spaces or slashes)';
  if (typeof host !== 'string' || host === '' || /[\s\0\/]/.test(host)) {
    throw new TypeError(`${expected}, received ${typeof host === 'string' ? quote(host) : JSON.stringify(host)}`);
  }
  const why = hostProblem(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
  if (why !== undefined) throw new TypeError(`${expected}, received ${quote(host)}: ${why}`);
  const p = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) {
    throw new TypeError(`tunnel port must be an integer from 1 to 65535, received ${JSON.stringify(port) ?? String(port)}`);
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare.includes(':') ? `[${bare}]:${p}` : `${bare}:${p}`;
}
