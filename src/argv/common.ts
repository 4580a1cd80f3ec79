/** What every ssh call needs to reach the master: the program, the socket and the target. */
export interface ConnectionSpec {
  /** The ssh program (`ssh` by default). */
  sshCmd: string;
  /** The master's ControlPath socket. */
  ctlPath: string;
  /** Host for ssh (bare IPv6). */
  host: string;
  user?: string | undefined;
  port?: number | undefined;
}

/** `-S ctl [-l user] [-p port] host`: the tail shared by master, slave and control calls. */
export function targetArgs(spec: ConnectionSpec): string[] {
  const out = ['-S', spec.ctlPath];
  if (spec.user !== undefined) out.push('-l', spec.user);
  if (spec.port !== undefined) out.push('-p', String(spec.port));
  out.push(spec.host);
  return out;
}
