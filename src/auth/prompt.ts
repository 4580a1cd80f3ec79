import type { MasterFailureReason } from '../errors/index.js';
import type { SecretKind } from './secret.js';

/**
 * Reading what ssh shows on the master's terminal during a login (Net::OpenSSH's rules,
 * reference section 1.4): host-key questions first, then the password prompt anywhere in the
 * output, then (once the secret was sent) a prompt at the very end of the output, which means
 * the server asked again.
 */

/** Net::OpenSSH's default password prompt: any `:` or `?`. */
export const DEFAULT_PASSWORD_PROMPT = /[:?]/;

/**
 * The `passwordPrompt` option as a RegExp: a string is matched literally (Net::OpenSSH's
 * quotemeta), a RegExp is used as is (without the `g`/`y` flags, which would make `test()`
 * stateful), undefined gives {@link DEFAULT_PASSWORD_PROMPT}.
 */
export function compilePrompt(prompt: string | RegExp | undefined): RegExp {
  if (prompt === undefined) return DEFAULT_PASSWORD_PROMPT;
  if (typeof prompt === 'string') return new RegExp(prompt.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
  return new RegExp(prompt.source, prompt.flags.replace(/[gy]/g, ''));
}

/** `prompt` followed by optional white space at the end of the text: a prompt waiting for an answer. */
export function endsWithPrompt(text: string, prompt: RegExp): boolean {
  const atEnd = new RegExp(`(?:${prompt.source})\\s*$`, prompt.flags.replace(/[gy]/g, ''));
  return atEnd.test(text);
}

/** A host-key problem seen in ssh's output. */
export interface HostKeyProblem {
  reason: Extract<MasterFailureReason, 'host-key-unknown' | 'host-key-changed'>;
  summary: string;
  /**
   * The first line of the output that shows it, trimmed, for the message: the same on the
   * pty and askpass routes, however much of ssh's question had arrived when it was seen.
   */
  line: string;
}

/** What ssh asks when a host key is unknown and StrictHostKeyChecking is `ask` (line by line). */
const UNKNOWN_KEY = /authenticity of host .* can't be established|continue connecting \(yes\/no/;
const CHANGED_KEY = /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/;

function firstLine(text: string, re: RegExp): string | undefined {
  return text
    .split(/\r?\n/)
    .find((l) => re.test(l))
    ?.trim();
}

/**
 * Look for a host-key question or warning in terminal output (checked before any prompt, so
 * that a yes/no question is never answered with the password).
 */
export function hostKeyProblem(text: string): HostKeyProblem | undefined {
  const changed = firstLine(text, CHANGED_KEY);
  if (changed !== undefined) {
    return {
      reason: 'host-key-changed',
      line: changed,
      summary: "the server's host key does not match the one in known_hosts (possible man-in-the-middle attack, or the server was reinstalled)",
    };
  }
  const unknown = firstLine(text, UNKNOWN_KEY);
  if (unknown !== undefined) {
    return {
      reason: 'host-key-unknown',
      line: unknown,
      summary:
        "the server's host key is not in known_hosts and ssh asked whether to trust it; nothing answers that question " +
        "for you: add the key to known_hosts, use hostKeyPolicy 'tofu', or answer it from a loginHandler",
    };
  }
  return undefined;
}

/**
 * The message of a login that failed because ssh asked for the secret a second time
 * (`asked`: the prompt's last line); `how` it was handed over: typed on the pty or given to
 * the askpass helper.
 */
export function askedAgain(kind: SecretKind, asked: string, how: 'typed' | 'given'): string {
  return kind === 'password'
    ? `password authentication failed: the server asked again ("${asked}"); a password is ${how} once and never retried`
    : `bad passphrase: ssh asked again ("${asked}"); a passphrase is ${how} once and never retried`;
}

/**
 * True when the last line of `text` is ssh asking for a private key's passphrase
 * (`Enter passphrase for key '/path': `): a password is never typed there.
 */
export function isKeyPassphrasePrompt(text: string): boolean {
  return /^Enter passphrase for key\b/.test(lastLine(text));
}

/**
 * The `user@host` a prompt names, if it names one: OpenSSH's password prompt is
 * `user@host's password: ` and its keyboard-interactive prompts start with `(user@host) `.
 */
export function promptTarget(prompt: string): { user: string; host: string } | undefined {
  const m = /\(([^()\s@]+)@([^()\s]+)\)\s[^\n]*$/.exec(prompt) ?? /([^\s@']+)@([^\s']+)'s password:\s*$/.exec(prompt);
  return m ? { user: m[1]!, host: m[2]! } : undefined;
}

/**
 * True when a prompt names one of the jump hosts rather than the target (a jump host's ssh
 * asking on the same terminal): the secret is only ever given to the target. `jumps` are
 * `proxyJump` hops (`[user@]host[:port]`). Hosts are compared without brackets and
 * case-insensitively. A prompt that names no host, or a host that is not a hop, is not one.
 */
export function promptForJumpHost(prompt: string, target: string, jumps: readonly string[]): boolean {
  const t = promptTarget(prompt);
  if (!t || jumps.length === 0) return false;
  const named = bareHost(t.host);
  if (named === bareHost(target)) return false;
  return jumps.some((hop) => bareHost(hopHost(hop)) === named);
}

/** The host of a `[user@]host[:port]` hop (IPv6 in brackets). */
export function hopHost(hop: string): string {
  const h = hop.slice(hop.lastIndexOf('@') + 1);
  const br = /^\[([^\]]+)\]/.exec(h);
  if (br) return br[1]!;
  return h.includes(':') && h.indexOf(':') === h.lastIndexOf(':') ? h.slice(0, h.indexOf(':')) : h;
}

function bareHost(h: string): string {
  return h.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/** The last line of terminal output, without control characters: for error messages. */
export function lastLine(text: string): string {
  const lines = text
    .replace(/\r/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').trim())
    .filter((l) => l !== '');
  return lines.at(-1) ?? '';
}
