import { targetArgs, type ConnectionSpec } from './common.js';

/** Inputs of {@link buildMasterArgv}. */
export interface MasterArgvOptions extends ConnectionSpec {
  /** Caller's options, placed first so they win (ssh keeps the first value of each `-o`). */
  masterOpts?: readonly string[] | undefined;
  /** Seconds for `ServerAliveInterval`. */
  serverAliveInterval: number;
  /** Seconds for `ConnectTimeout` (TCP connect + banner), when a connect timeout is set. */
  connectTimeout?: number | undefined;
  /** `-o BatchMode=yes`: never prompt. */
  batchMode?: boolean | undefined;
  /** `-i keyPath` and `PreferredAuthentications=publickey`. */
  keyPath?: string | undefined;
  /** `-o ProxyCommand=...`. */
  proxyCommand?: string | undefined;
  /** undefined: no flag; false: `-a`; true: `-A`. */
  forwardAgent?: boolean | undefined;
  /** false/undefined: `-x`; true: `-X`. */
  forwardX11?: boolean | undefined;
}

/**
 * The master's argv, Net::OpenSSH's order (reference section 1.3), program first:
 * `ssh <masterOpts> -o ServerAliveInterval=N -o ControlPersist=no -MN -x ... -S ctl [-l u] [-p p] host --`.
 *
 * `-M` makes it the master; `-N` runs no command; there is no `-f`, so the master stays a
 * direct child whose pid is known. `ControlPersist=no` overrides any ssh_config setting.
 */
export function buildMasterArgv(o: MasterArgvOptions): string[] {
  const argv = [o.sshCmd, ...(o.masterOpts ?? [])];
  argv.push('-o', `ServerAliveInterval=${o.serverAliveInterval}`, '-o', 'ControlPersist=no');
  if (o.connectTimeout !== undefined) argv.push('-o', `ConnectTimeout=${o.connectTimeout}`);
  let flags = '-MN';
  if (o.forwardAgent !== undefined) flags += o.forwardAgent ? 'A' : 'a';
  flags += o.forwardX11 ? 'X' : 'x';
  argv.push(flags);
  if (o.batchMode) argv.push('-o', 'BatchMode=yes');
  if (o.keyPath !== undefined) argv.push('-i', o.keyPath, '-o', 'PreferredAuthentications=publickey');
  if (o.proxyCommand !== undefined) argv.push('-o', `ProxyCommand=${o.proxyCommand}`);
  argv.push(...targetArgs(o), '--');
  return argv;
}
