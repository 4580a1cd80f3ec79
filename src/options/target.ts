import { USER_FORM, hostProblem, isIPv6Literal, userProblem } from './host.js';
import { badOption, optPort, optString, quote } from './validate.js';

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
  /** A number: a string is a TypeError (a typo such as `'2400'` is never guessed at). */
  port?: number | undefined;
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
    `bad target ${quote(hideTargetPassword(target))}: ${why}; expected [user[:password]@]host[:port], ` +
      'with IPv6 literals bare (fe80::1) or in brackets ([fe80::1%eth0]:22)',
  );
}

/** The parts of `[user[:password]@]host[:port]`, as read from the text alone. */
interface TargetParts {
  user: string | undefined;
  password: string | undefined;
  host: string;
  port: number | undefined;
  ipv6: boolean;
}

/**
 * Read `[user[:password]@]host[:port]` (`text` already trimmed); return the parts, or why the
 * text cannot be one. With `password: false` (a `proxyJump` hop, as ssh reads it) the whole
 * part before the last `@` is the user.
 */
export function splitTarget(text: string, { password: withPassword }: { password: boolean }): TargetParts | string {
  let rest = text;
  let user: string | undefined;
  let password: string | undefined;

  const at = text.lastIndexOf('@');
  if (at >= 0) {
    const cred = text.slice(0, at);
    rest = text.slice(at + 1);
    const colon = withPassword ? cred.indexOf(':') : -1;
    user = colon < 0 ? cred : cred.slice(0, colon);
    if (colon >= 0) password = cred.slice(colon + 1);
    if (user === '') return 'the user part is empty';
    const why = userProblem(user);
    if (why !== undefined) return why;
  }

  let host: string;
  let port: string | undefined;
  let ipv6 = false;
  const bracketed = BRACKETED.exec(rest);
  if (bracketed) {
    if (!isIPv6Literal(bracketed[1]!)) return `${bracketed[1]} in brackets is not an IPv6 address`;
    host = bracketed[1]! + (bracketed[2] ?? '');
    port = bracketed[3];
    ipv6 = true;
  } else if (isIPv6Literal(rest)) {
    host = rest;
    ipv6 = true;
  } else {
    const hp = HOST_PORT.exec(rest);
    if (!hp) return rest === '' ? 'the host is empty' : `cannot read host[:port] from ${quote(rest)}`;
    host = hp[1]!;
    port = hp[2];
  }
  const why = hostProblem(host);
  if (why !== undefined) return why;
  if (port !== undefined && !/^\d+$/.test(port)) return `the port ${quote(port)} is not a number`;
  const portNumber = port === undefined ? undefined : Number(port);
  if (portNumber !== undefined && (portNumber < 1 || portNumber > 65535)) return `the port ${port} is not from 1 to 65535`;
  return { user, password, host, port: portNumber, ipv6 };
}

/**
 * Split `[user[:password]@]host[:port]`. The user is greedy up to the last `@`
 * (`foo@bar@doz` is user `foo@bar`), the password runs from the first `:` of that part and
 * may hold `:` and `@`. IPv6 literals may be bare or bracketed, with a `%zone` in brackets.
 * Spaces around the target are ignored. `defaults` fill the parts the string lacks.
 *
 * Refused with a TypeError, before anything runs: a host or user that starts with `-` (ssh
 * would read it as an option), holds NUL, white space, control characters or Unicode bidi
 * controls, a host with shell metacharacters or longer than a DNS name can be, a port that
 * is not a number from 1 to 65535 (a string `port` default too).
 */
export function parseTarget(target: string, defaults: TargetDefaults = {}): ParsedTarget {
  if (typeof target !== 'string') badOption('target', 'a string like "user@host:port"', target);
  const parts = splitTarget(target.trim(), { password: true });
  if (typeof parts === 'string') bad(target, parts);
  const { host, user, password, port, ipv6 } = parts;
  return {
    host,
    hostSquared: ipv6 ? `[${host}]` : host,
    user: user ?? optUser('user', defaults.user),
    password: password ?? optString('password', defaults.password, { nonEmpty: false }),
    port: port ?? optPort('port', defaults.port),
    ipv6,
  };
}

/** A user name option: a non-empty string that {@link userProblem} accepts. */
export function optUser(name: string, value: unknown): string | undefined {
  const user = optString(name, value);
  const why = user === undefined ? undefined : userProblem(user);
  if (why !== undefined) badOption(name, USER_FORM, value, why);
  return user;
}
