import { isIPv6 } from 'node:net';
import { badOption, optPort, optString } from './validate.js';

/** A target string split into its parts, as Net::OpenSSH's `parse_connection_opts` does. */
export interface ParsedTarget {
  /** Host for ssh: an IPv6 literal without brackets (zone kept). */
  host: string;
  /** Host for scp/rsync/`-W` targets: `[v6]` for IPv6 literals, else the host. */
  hostSquared: string;
  user: string | undefined;
  password: string | undefined;
  port: number | undefined;
  /** True when the host is an IPv6 literal. */
  ipv6: boolean;
}

/** Values used when the target string lacks that part. */
export interface TargetDefaults {
  user?: string | undefined;
  port?: number | string | undefined;
  password?: string | undefined;
}

const HOST_PORT = /^([^[\]@:]+)(?::([^@:]+))?$/;
const BRACKETED = /^\[([^[\]%]+)(%[^[\]]*)?\](?::([^@:]+))?$/;

/**
 * The target with the password of `user:password@host` replaced by `***`, for messages about
 * it (the password runs from the first `:` before the last `@`, as {@link parseTarget} reads it).
 */
function hideTargetPassword(target: string): string {
  const at = target.lastIndexOf('@');
  const colon = at < 0 ? -1 : target.slice(0, at).indexOf(':');
  return colon < 0 ? target : `${target.slice(0, colon)}:***${target.slice(at)}`;
}

function bad(target: string, why: string): never {
  // A password in the target never reaches an error message (or a log that keeps it).
  throw new TypeError(
    `bad target ${JSON.stringify(hideTargetPassword(target))}: ${why}; expected [user[:password]@]host[:port], ` +
      'with IPv6 literals bare (fe80::1) or in brackets ([fe80::1%eth0]:22)',
  );
}

/**
 * Split `[user[:password]@]host[:port]`. The user is greedy up to the last `@`
 * (`foo@bar@doz` is user `foo@bar`), the password runs from the first `:` of that part and
 * may hold `:` and `@`. IPv6 literals may be bare or bracketed, with a `%zone` in brackets.
 * Spaces around the target are ignored. `defaults` fill the parts the string lacks.
 */
export function parseTarget(target: string, defaults: TargetDefaults = {}): ParsedTarget {
  if (typeof target !== 'string') badOption('target', 'a string like "user@host:port"', target);
  const text = target.trim();
  let rest = text;
  let user: string | undefined;
  let password: string | undefined;

  const at = text.lastIndexOf('@');
  if (at >= 0) {
    const cred = text.slice(0, at);
    rest = text.slice(at + 1);
    const colon = cred.indexOf(':');
    user = colon < 0 ? cred : cred.slice(0, colon);
    if (colon >= 0) password = cred.slice(colon + 1);
    if (user === '') bad(target, 'the user part is empty');
  }

  let host: string;
  let port: string | undefined;
  let ipv6 = false;
  const bracketed = BRACKETED.exec(rest);
  if (bracketed) {
    if (!isIPv6(bracketed[1]!)) bad(target, `${bracketed[1]} in brackets is not an IPv6 address`);
    host = bracketed[1]! + (bracketed[2] ?? '');
    port = bracketed[3];
    ipv6 = true;
  } else if (isIPv6(rest)) {
    host = rest;
    ipv6 = true;
  } else {
    const hp = HOST_PORT.exec(rest);
    if (!hp) bad(target, rest === '' ? 'the host is empty' : `cannot read host[:port] from ${JSON.stringify(rest)}`);
    host = hp[1]!;
    port = hp[2];
  }
  if (/\s/.test(host)) bad(target, 'the host contains white space');
  if (port !== undefined && !/^\d+$/.test(port)) bad(target, `the port ${JSON.stringify(port)} is not a number`);

  return {
    host,
    hostSquared: ipv6 ? `[${host}]` : host,
    user: user ?? optString('user', defaults.user),
    password: password ?? optString('password', defaults.password, { nonEmpty: false }),
    port: port !== undefined ? optPort('port', port) : optPort('port', defaults.port),
    ipv6,
  };
}
