import type { MasterFailureReason } from '../errors/index.js';

/** A reason and a human sentence read from what a dead master printed. */
export interface Diagnosis {
  reason: MasterFailureReason;
  summary: string;
}

const RULES: ReadonlyArray<readonly [RegExp, MasterFailureReason, string]> = [
  [
    /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/,
    'host-key-changed',
    "the server's host key does not match the one in known_hosts (possible man-in-the-middle attack, or the server was reinstalled)",
  ],
  [
    /Host key verification failed|No \S+ host key is known|authenticity of host .* can't be established/,
    'host-key-unknown',
    "the server's host key is not in known_hosts and StrictHostKeyChecking refuses unknown keys (add it to known_hosts first)",
  ],
  [/Permission denied|Too many authentication failures|No more authentication methods/, 'auth', 'authentication failed'],
  [/Could not resolve hostname|Name or service not known|nodename nor servname/, 'resolve', 'the host name could not be resolved'],
  [/Connection timed out|Operation timed out/, 'timeout', 'the TCP connection timed out'],
  [
    /Unable to negotiate|no matching (?:cipher|key exchange method|MAC|host key type) found/,
    'connect',
    'the client and the server have no algorithm in common (check kexAlgorithms, ciphers, macs and hostKeyAlgorithms)',
  ],
  [
    /Connection refused|No route to host|Network is unreachable|Connection reset|Connection closed by|kex_exchange_identification|Bad stdio forwarding|ssh_exchange_identification/,
    'connect',
    'the connection to the server failed',
  ],
  [/too long for Unix domain socket/, 'ctl-path', 'the ControlPath is too long for a Unix socket'],
];

/** Read a failed master's output and say why it failed. */
export function diagnoseMaster(output: string): Diagnosis | undefined {
  for (const [re, reason, summary] of RULES) if (re.test(output)) return { reason, summary };
  return undefined;
}

/** The last `max` characters of ssh's output, trimmed, for error messages. */
export function tail(output: string, max = 2000): string {
  const t = output.trim();
  return t.length > max ? `...${t.slice(-max)}` : t;
}
