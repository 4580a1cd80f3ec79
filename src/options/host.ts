import { isIPv6 } from 'node:net';

/**
 * Checks for the host and user names that end up as words of an ssh command line (the target,
 * `user`, `proxyJump` hops, forward and tunnel hosts). Each returns why the name is refused, or
 * undefined when it is fine, so callers can word the TypeError for their own option.
 */

/** Unicode bidi controls: LRM/RLM, the embeddings and overrides, the isolates, the Arabic letter mark. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** C0 and C1 control characters and DEL (NUL is reported on its own). */
const CONTROL = /[\x01-\x1f\x7f-\x9f]/;
/**
 * Characters a shell gives a meaning to. No DNS name or sane ssh_config alias holds one, and a
 * host is substituted unquoted into `ProxyCommand`'s `%h` (OpenSSH >= 9.6 refuses them too).
 */
const SHELL_META = /['`"$\\;&<>|(){}]/;

/** The longest DNS name (RFC 1035, written without the final dot) and the longest label. */
export const MAX_HOST_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;

/** Why `text` cannot be a word of a command line, in the words of `what` ("the host"), or undefined. */
function wordProblem(what: string, text: string): string | undefined {
  if (text === '') return `${what} is empty`;
  if (text.startsWith('-')) return `${what} starts with '-', which ssh would read as an option`;
  if (text.includes('\0')) return `${what} contains a NUL byte`;
  if (/\s/.test(text)) return `${what} contains white space`;
  const control = CONTROL.exec(text);
  if (control) return `${what} contains the control character ${codePoint(control[0])}`;
  const bidi = BIDI.exec(text);
  if (bidi) return `${what} contains the Unicode bidi control ${codePoint(bidi[0])}`;
  return undefined;
}

function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Whether `s` is an IPv6 literal (a zone index allowed). Every IPv6 literal has at least two
 * colons; other strings are answered without `net.isIPv6`, whose first call compiles a large
 * regular expression (~90 ms here): a plain `user@host` never pays it.
 */
export function isIPv6Literal(s: string): boolean {
  const first = s.indexOf(':');
  return first !== -1 && s.indexOf(':', first + 1) !== -1 && isIPv6(s);
}

/**
 * Why `host` (bare: no brackets, an IPv6 zone allowed) cannot be a host for ssh, or undefined.
 * Refused: empty, a leading `-`, NUL, white space, control characters, bidi controls, shell
 * metacharacters, and (unless it is an IPv6 literal) more than 253 characters or a label
 * between dots longer than 63. Other characters (`_`, non-ASCII) are left to ssh_config aliases.
 */
export function hostProblem(host: string): string | undefined {
  const word = wordProblem('the host', host);
  if (word !== undefined) return word;
  const meta = SHELL_META.exec(host);
  if (meta) return `the host contains the shell metacharacter ${JSON.stringify(meta[0])}`;
  if (isIPv6Literal(host)) return undefined;
  if (host.length > MAX_HOST_LENGTH) return `the host is ${host.length} characters long, more than the ${MAX_HOST_LENGTH} of the longest DNS name`;
  const label = host.split('.').find((l) => l.length > MAX_LABEL_LENGTH);
  if (label !== undefined) return `the host has a label of ${label.length} characters, more than the ${MAX_LABEL_LENGTH} DNS allows between dots`;
  return undefined;
}

/** Why `user` cannot be a login name for ssh's `-l`, or undefined: empty, a leading `-`, NUL, white space, control or bidi characters. */
export function userProblem(user: string): string | undefined {
  return wordProblem('the user', user);
}

/** The expected form of a user name, for TypeError messages. */
export const USER_FORM = "a user name (not starting with '-', without white space, control characters or bidi controls)";

/** The expected form of a host, for TypeError messages. */
export const HOST_FORM =
  "a host name, IP address or ssh_config alias (not starting with '-', without white space, control characters, bidi controls " +
  'or shell metacharacters, at most 253 characters)';
